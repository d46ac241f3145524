from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from retrospector.incidents.selectors import incident_list
from retrospector.writeups.models import Retrospective
from retrospector.writeups.selectors import retrospective_list


@login_required
def home(request):
    user = request.user
    open_states = [Retrospective.State.DRAFT, Retrospective.State.IN_REVIEW, Retrospective.State.APPROVED]
    mine = (
        retrospective_list(user=user, owner=user).filter(state__in=open_states).order_by("due_at", "-created_at")[:10]
    )
    today = timezone.localdate()
    due_soon = (
        retrospective_list(user=user)
        .filter(state__in=open_states, due_at__isnull=False, due_at__lte=today + timedelta(days=7))
        .order_by("due_at")[:10]
    )
    recent = incident_list(user=user)[:10]
    return render(request, "home.html", {"mine": mine, "due_soon": due_soon, "recent": recent, "today": today})


def healthz(request):
    from django.http import JsonResponse

    return JsonResponse({"status": "ok"})


@csrf_exempt  # it changes nothing: a DELETE to an unknown API path is a JSON 404 too, not the CSRF page (HTML 403)
def api_not_found(request):
    from django.http import JsonResponse

    return JsonResponse({"detail": f"No API endpoint at {request.path}; see /api/docs.", "field": None}, status=404)
