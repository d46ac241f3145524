from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from retrospector.incidents import views as incidents_views
from retrospector.incidents.selectors import incident_list as select_incidents
from retrospector.insights.similar_views import similar_panel
from retrospector.reviews.process import due_steps, next_due_by_incident, retrospective_requirement
from retrospector.reviews.responder_accounts import account_requests_waiting_for
from retrospector.writeups.selectors import my_open_retrospectives

DUE_SOON_DAYS = 7


@login_required
def home(request):
    user = request.user
    today = timezone.localdate()
    return render(
        request,
        "home.html",
        {
            "mine": my_open_retrospectives(user=user),
            # Each open retrospective's next step still to do (a done step is never due), from its deadlines.
            "due_steps": due_steps(user=user, within_days=DUE_SOON_DAYS),
            # Their services are not shown here: no need to read them.
            "recent": select_incidents(user=user).prefetch_related(None)[:10],
            "today": today,
            "due_soon_days": DUE_SOON_DAYS,
            # Responders' accounts (reviews): the accounts this person was asked for and has not written yet.
            "account_requests": account_requests_waiting_for(user),
        },
    )


@login_required
def incident_list(request):
    """The incidents app's list (a TemplateResponse), with each row's next review step still to do, due or overdue:
    the incidents app sits below the reviews in the layers, so the top layer adds it. Two queries more."""
    response = incidents_views.incident_list(request)
    page = response.context_data["page"]
    rows = list(page.object_list)
    due = next_due_by_incident(user=request.user, incident_ids=[incident.pk for incident in rows])
    for incident in rows:
        incident.next_due = due.get(incident.pk)
    page.object_list = rows
    return response


@login_required
def incident_detail(request, pk):
    """The incidents app's page (a TemplateResponse), with whether its team's review process asks for a
    retrospective of it (the reviews app sits above incidents, so the top layer adds it)."""
    response = incidents_views.incident_detail(request, pk)
    response.context_data["requirement"] = retrospective_requirement(response.context_data["incident"])
    # "Have we seen this before?" (insights sits above incidents too).
    response.context_data["similar_panel"] = similar_panel(
        user=request.user, incident=response.context_data["incident"]
    )
    return response


def healthz(request):
    from django.http import JsonResponse

    return JsonResponse({"status": "ok"})


@csrf_exempt  # it changes nothing: a POST to a wrong address gets this JSON 404, not the CSRF check's HTML page
def api_not_found(request):
    from django.http import JsonResponse

    return JsonResponse({"detail": f"No API endpoint at {request.path}; see /api/docs.", "field": None}, status=404)
