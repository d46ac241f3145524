"""The trackers' pages: a team's connections (its admins), a recommendation's issue (its editors), and the address
GitHub and Jira call (/hooks/trackers/<token>/)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from retrospector.accounts.selectors import can_manage_team, team_by_slug
from retrospector.actions.models import TrackerConnection
from retrospector.actions.selectors import can_edit_recommendation, recommendations_visible_to
from retrospector.core.forms import add_service_errors
from retrospector.core.paging import paginate
from retrospector.core.shortcuts import visible_or_404

from .base import TrackerError
from .forms import ConnectionForm, CreateIssueForm, LinkIssueForm
from .sync import (
    BODY_LIMIT,
    recommendation_page,
    tracker_connection_delete,
    tracker_connection_save,
    tracker_failure_record,
    tracker_issue_create,
    tracker_issue_link,
    tracker_issue_unlink,
    tracker_pull,
    tracker_push,
    tracker_webhook_receive,
)


def _managed_team(request, slug):
    team = team_by_slug(user=request.user, slug=slug)
    if team is None:
        raise Http404("No such team.")
    if not can_manage_team(request.user, team):
        raise PermissionDenied("Only the team's admins manage its trackers.")
    return team


def _hook_url(connection: TrackerConnection) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("tracker_webhook", args=[str(connection.webhook_token)])


def _save(form: ConnectionForm, team, request, connection=None):
    data = form.cleaned_data
    return tracker_connection_save(
        team=team,
        by=request.user,
        connection=connection,
        kind=data["kind"],
        name=data["name"],
        base_url=data["base_url"],
        project=data["project"],
        username=data["username"],
        credential=data["credential"],
        webhook_secret=data["webhook_secret"],
        state_map=data["state_map"],
    )


@login_required
def tracker_connections(request, slug):
    team = _managed_team(request, slug)
    form = ConnectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            connection = _save(form, team, request)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"Added {connection.name}. Configure its webhook on the tracker's side (address below)."
            )
            return redirect("tracker_connection_edit", slug=team.slug, pk=connection.pk)
    connections = [(c, _hook_url(c)) for c in team.tracker_connections.order_by("name", "pk")]
    return render(
        request, "actions/trackers/connections.html", {"team": team, "connections": connections, "form": form}
    )


@login_required
def tracker_connection_edit(request, slug, pk):
    team = _managed_team(request, slug)
    connection = team.tracker_connections.filter(pk=pk).first()
    if connection is None:
        raise Http404("No such tracker connection for this team.")
    form = ConnectionForm(request.POST or None, connection=connection)
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            tracker_connection_delete(connection=connection, by=request.user)
            messages.success(request, f"Removed {connection.name}; linked recommendations keep the issue's address.")
            return redirect("tracker_connections", slug=team.slug)
        if form.is_valid():
            try:
                _save(form, team, request, connection)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Saved {connection.name}.")
                return redirect("tracker_connection_edit", slug=team.slug, pk=connection.pk)
    events = paginate(request, connection.incoming_events.all(), per_page=20)
    return render(
        request,
        "actions/trackers/connection_edit.html",
        {"team": team, "connection": connection, "form": form, "hook_url": _hook_url(connection), "events": events},
    )


@login_required
def recommendation_tracker(request, pk):
    recommendation = visible_or_404(
        recommendations_visible_to(request.user).select_related("tracker", "team"),
        pk,
        message="No such recommendation.",
    )
    can_edit = can_edit_recommendation(request.user, recommendation)
    connections = TrackerConnection.objects.filter(team_id=recommendation.team_id).order_by("name", "pk")
    action = request.POST.get("action", "") if request.method == "POST" else ""
    create_form = CreateIssueForm(request.POST if action == "create" else None, connections=connections)
    link_form = LinkIssueForm(request.POST if action == "link" else None, connections=connections, prefix="link")
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only the recommendation's owner, its team's members and admins change its issue.")
        here = redirect("recommendation_tracker", pk=recommendation.pk)
        if action == "unlink":
            tracker_issue_unlink(recommendation=recommendation, by=request.user)
            messages.success(request, "Unlinked from its issue.")
            return here
        if action == "sync" and recommendation.tracker_id:
            try:
                if recommendation.tracker_push_pending:
                    tracker_push(recommendation_id=recommendation.pk)
                else:
                    tracker_pull(recommendation=recommendation)
            except TrackerError as exc:
                tracker_failure_record(recommendation_id=recommendation.pk, error=exc)
                messages.error(request, exc.message)
            else:
                messages.success(request, "In step with its issue.")
            return here
        form = create_form if action == "create" else link_form
        if action in ("create", "link") and form.is_valid():
            connection = form.cleaned_data["connection"]
            try:
                if action == "create":
                    link = settings.SITE_URL.rstrip("/") + recommendation_page(recommendation)
                    done = tracker_issue_create(
                        recommendation=recommendation, connection=connection, by=request.user, link=link
                    )
                else:
                    done = tracker_issue_link(
                        recommendation=recommendation,
                        connection=connection,
                        key=form.cleaned_data["key"],
                        by=request.user,
                    )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Linked to {done.tracker_key}.")
                return here
    return render(
        request,
        "actions/trackers/recommendation_tracker.html",
        {
            "recommendation": recommendation,
            "back_url": recommendation_page(recommendation),
            "can_edit": can_edit,
            "has_connections": connections.exists(),
            "create_form": create_form,
            "link_form": link_form,
            "team_admin": can_manage_team(request.user, recommendation.team),
        },
    )


@csrf_exempt
@require_POST
def tracker_webhook(request, token):
    """GitHub's or Jira's call: at most BODY_LIMIT bytes, signed with the connection's secret; logged in any case."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > BODY_LIMIT:
        body, too_large = b"", True
    else:
        body = request.read(BODY_LIMIT + 1)
        too_large = len(body) > BODY_LIMIT
    status, outcome = tracker_webhook_receive(token=token, headers=request.headers, body=body, too_large=too_large)
    return JsonResponse({"outcome": outcome}, status=status)
