from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from retrospector.incidents.selectors import incident_list
from retrospector.reviews.responder_accounts import account_requests_waiting_for
from retrospector.writeups.selectors import first_drafts_due, my_open_retrospectives

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
            "due_soon": first_drafts_due(user=user, by=today + timedelta(days=DUE_SOON_DAYS)),
            # Their services are not shown here: no need to read them.
            "recent": incident_list(user=user).prefetch_related(None)[:10],
            "today": today,
            "due_soon_days": DUE_SOON_DAYS,
            # Responders' accounts (reviews): the accounts this person was asked for and has not written yet.
            "account_requests": account_requests_waiting_for(user),
        },
    )


def healthz(request):
    from django.http import JsonResponse

    return JsonResponse({"status": "ok"})


@csrf_exempt  # it changes nothing: a POST to a wrong address gets this JSON 404, not the CSRF check's HTML page
def api_not_found(request):
    from django.http import JsonResponse

    return JsonResponse({"detail": f"No API endpoint at {request.path}; see /api/docs.", "field": None}, status=404)
