"""Pages of the review's process: a team's process settings, the assignment picker, sending for review, the state
buttons (POST /retrospectives/<pk>/state, which wins over writeups' view at the same path) and the part of a
retrospective's page with its owner, deadlines and states."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from retrospector.accounts.models import Role
from retrospector.accounts.selectors import can_manage_team, has_team_role, people_by_username, team_by_slug
from retrospector.core.errors import ReadOnlyError
from retrospector.core.forms import add_service_errors
from retrospector.core.zones import zone_datalist
from retrospector.incidents.models import Incident
from retrospector.incidents.selectors import can_edit_incident
from retrospector.writeups import views as writeups_views
from retrospector.writeups.forms import TransitionForm
from retrospector.writeups.models import Retrospective
from retrospector.writeups.page_parts import PagePart
from retrospector.writeups.selectors import can_edit_retrospective, retrospective_detail_or_404
from retrospector.writeups.services import done_read_only_message, transitions_offered

from .forms import AssignmentForm, ProcessSettingsForm, SendForReviewForm
from .models import ProcessRecord, ProcessSettings
from .process import (
    APPROVE_NOT_OWNER,
    ASSIGN_FORBIDDEN,
    DEFAULT_WORKING_DAYS,
    ISO_WEEKDAYS,
    assignment_candidates,
    deadlines_in_order,
    deadlines_refresh_for_incident,
    may_change_state,
    next_due_step,
    process_current,
    process_settings_for,
    process_settings_save,
    retrospective_assign,
    retrospective_requirement,
    review_readiness,
    review_transition,
    standard_governs,
)
from .survey import SURVEY_STATES, may_answer, survey_results

State = Retrospective.State


def _may_read_process(user, team) -> bool:
    return user.is_org_admin or has_team_role(user, team.pk, Role.VIEWER)


@login_required
def team_process(request, slug):
    team = team_by_slug(user=request.user, slug=slug)
    if team is None:
        raise Http404("No such team.")
    if not _may_read_process(request.user, team):
        raise PermissionDenied("Only the team's members can read its review process.")
    can_change = can_manage_team(request.user, team)
    settings = process_settings_for(team)
    standard = process_current(team.organization_id)
    governs = standard_governs(standard, ProcessSettings.objects.filter(team=team).first())
    severities = team.organization.severity_levels.order_by("rank")
    form = ProcessSettingsForm(request.POST or None, severities=severities, settings=settings)
    status = 200
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied("Only the team's admins can change its review process.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                process_settings_save(
                    team=team,
                    severities_requiring=data["severities_requiring"],
                    time_zone=data["time_zone"].strip(),
                    working_days=data["working_days"],
                    holidays=data["holidays"],
                    offsets=form.offsets(),
                    by=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Review process saved; the open retrospectives' deadlines follow it.")
                return redirect("team_process", slug=team.slug)
        status = 422
    return render(
        request,
        "reviews/process_settings.html",
        {
            "team": team,
            "form": form,
            "can_change": can_change,
            "settings": settings,
            "standard": standard,
            "governs": governs,
            "survey_results": survey_results(organization=team.organization, viewer=request.user, team=team),
            "working_days": [dict(ISO_WEEKDAYS)[d] for d in settings.working_days or DEFAULT_WORKING_DAYS],
            "zone_datalist": zone_datalist((settings.time_zone, request.user.time_zone)) if can_change else "",
        },
        status=status,
    )


@login_required
def assignment(request, pk):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    if not can_edit_incident(request.user, retrospective.incident):
        raise PermissionDenied(ASSIGN_FORBIDDEN)
    candidates = assignment_candidates(retrospective=retrospective, viewer=request.user)
    form = AssignmentForm(
        request.POST or None,
        people=[c.user for c in candidates],
        initial={
            "owner": retrospective.owner_id,
            "shadow": retrospective.shadow_id,
            "reverse_shadow": retrospective.reverse_shadow_id,
            "due_at": retrospective.due_at,
        },
    )
    read_only = done_read_only_message(retrospective) if retrospective.state == State.DONE else None
    status = 200
    if request.method == "POST":
        if read_only:
            status = 409
        elif form.is_valid():
            people = {c.user.pk: c.user for c in candidates}
            data = form.cleaned_data
            try:
                retrospective_assign(
                    retrospective=retrospective,
                    owner=people[data["owner"]],
                    shadow=people.get(data["shadow"]),
                    reverse_shadow=people.get(data["reverse_shadow"]),
                    due_at=data["due_at"],
                    by=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except ReadOnlyError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Assignment saved.")
                return redirect("retrospective_detail", pk=pk)
            status = 422
        else:
            status = 422
    chosen = {
        "owner": form["owner"].value(),
        "shadow": form["shadow"].value(),
        "reverse_shadow": form["reverse_shadow"].value(),
    }
    rows = [
        {
            "candidate": c,
            "owner": str(c.user.pk) == str(chosen["owner"]),
            "shadow": str(c.user.pk) == str(chosen["shadow"]),
            "reverse_shadow": str(c.user.pk) == str(chosen["reverse_shadow"]),
        }
        for c in candidates
    ]
    return render(
        request,
        "reviews/assignment.html",
        {
            "retrospective": retrospective,
            "form": form,
            "rows": rows,
            "nobody": {k: not v for k, v in chosen.items()},
            "read_only": read_only,
            "resolved": retrospective.incident.resolved_at is not None,
        },
        status=status,
    )


@login_required
def send_for_review(request, pk):
    """The confirmation before a review starts: what is still missing, who will be asked, whom else to invite."""
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    if not may_change_state(request.user, retrospective):
        raise PermissionDenied("You can read this retrospective but not send it for review.")
    if retrospective.state != State.DRAFT:
        messages.error(request, "Only a draft is sent for review.")
        return redirect("retrospective_detail", pk=pk)
    form = SendForReviewForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            names = form.usernames()
            found = people_by_username(user=request.user, usernames=names)
            unknown = [n for n in names if n not in found]
            if unknown:
                form.add_error("reviewers", f"Unknown person: {', '.join(unknown)}.")
            else:
                try:
                    review_transition(
                        retrospective=retrospective,
                        to_state=State.IN_REVIEW,
                        invite=[found[n] for n in names],
                        by=request.user,
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, "Sent for review: the reviewers are told.")
                    return redirect("retrospective_detail", pk=pk)
        status = 422
    return render(
        request,
        "reviews/send_for_review.html",
        {"retrospective": retrospective, "form": form, "readiness": review_readiness(retrospective)},
        status=status,
    )


@login_required
@require_POST
def state_change(request, pk):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    if not can_edit_retrospective(request.user, retrospective):
        raise PermissionDenied("You can read this retrospective but not change its state.")
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Unknown state.")
        return redirect("retrospective_detail", pk=pk)
    to_state = form.cleaned_data["to_state"]
    if retrospective.state == State.DRAFT and to_state == State.IN_REVIEW:
        return redirect("review_send", pk=pk)  # the confirmation page lists what is missing first
    from_state = retrospective.state
    try:
        changed = review_transition(
            retrospective=retrospective, to_state=to_state, note=form.cleaned_data["note"], by=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if from_state == State.DONE:
            messages.success(request, "Reopened: it is back in review and can be changed again.")
        elif changed.state == State.DONE:
            messages.success(request, "Marked done and published. It is read-only now: reopen it to change anything.")
        else:
            messages.success(request, f"Now {changed.get_state_display().lower()}.")
    return redirect("retrospective_detail", pk=pk)


@login_required
def retrospective_new(request, incident_pk):
    """writeups' start page, with whether the team's process asks for a retrospective of this incident."""
    response = writeups_views.retrospective_new(request, incident_pk)
    if getattr(response, "context_data", None) is not None and "incident" in response.context_data:
        response.context_data["requirement"] = retrospective_requirement(response.context_data["incident"])
    elif request.method == "POST" and response.status_code == 302:
        # Started, its owner assigned: its deadlines from the team's process, when the incident is resolved.
        incident = Incident.objects.filter(pk=incident_pk).select_related("team").first()
        if incident is not None:
            deadlines_refresh_for_incident(incident)
    return response


def process_page_part(*, request, retrospective, sections):
    """The side of a retrospective's page: who writes it, the next step due, every deadline, and the state buttons."""
    deadlines = deadlines_in_order(retrospective)
    can_change = may_change_state(request.user, retrospective)
    buttons = []
    if can_change:
        for state, label in transitions_offered(retrospective):
            buttons.append(
                {
                    "state": state,
                    "label": label,
                    "send": retrospective.state == State.DRAFT and state == State.IN_REVIEW,
                    "blocked": APPROVE_NOT_OWNER
                    if state == State.APPROVED and request.user.pk == retrospective.owner_id
                    else "",
                }
            )
    return PagePart(
        side_template="reviews/_process_side.html",
        context={
            "retrospective": retrospective,
            "reverse_shadow": retrospective.reverse_shadow,
            "next_due": next_due_step(retrospective, deadlines=deadlines),
            "deadlines": deadlines,
            "buttons": buttons,
            "can_assign": retrospective.state != State.DONE and can_edit_incident(request.user, retrospective.incident),
            # Once approved, its participants are asked how it went (one query, only then).
            "survey": retrospective.state in SURVEY_STATES and may_answer(request.user, retrospective),
            "process_record": ProcessRecord.objects.filter(retrospective=retrospective)
            .select_related("version")
            .first(),
        },
        replaces_transitions=True,
    )
