"""The meeting's page: when and where (in the reader's zone), its roles and attendees, the invitation to download; its
editors schedule, move or cancel it and choose the roles. And its line in the retrospective's side column."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.core.forms import add_service_errors, show_conflict
from retrospector.writeups.page_parts import PagePart
from retrospector.writeups.selectors import can_edit_retrospective, retrospective_detail_or_404

from .ics import meeting_ics
from .models import Meeting
from .schedule import (
    ENDED_STATES,
    LENGTH_MAX,
    LENGTH_MIN,
    MEETING_FORBIDDEN,
    PLACE_MAX,
    ROLE_LABELS,
    ROLES,
    attendees_brought_up_to_date,
    attendees_of,
    ends_at,
    is_cancelled,
    link_of,
    meeting_of,
    meeting_save,
    people_who_may_see,
    presenter_of,
    starts_at_from,
)


class ScheduleForm(forms.Form):
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label="Time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    length_minutes = forms.IntegerField(
        label="Length (minutes)", min_value=LENGTH_MIN, max_value=LENGTH_MAX, initial=60
    )
    place = forms.CharField(
        label="Place or link",
        max_length=PLACE_MAX,
        required=False,
        help_text="A room, or a link to the video call (http:// or https://).",
    )
    base_version = forms.IntegerField(widget=forms.HiddenInput)


class RolesForm(forms.Form):
    base_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(p.username, f"{p.display_name} ({p.username})") for p in people]
        for role in ROLES:
            label = ROLE_LABELS[role]
            self.fields[role] = forms.ChoiceField(label=label, choices=choices, required=False)
        self.fields["presenter"].choices = [("", "The owner")] + choices[1:]
        self.order_fields([*ROLES, "base_version"])


def _meeting(retrospective) -> Meeting:
    meeting = meeting_of(retrospective)
    return Meeting.objects.select_related("presenter", "moderator", "note_taker").get(pk=meeting.pk)


def _schedule_initial(meeting: Meeting) -> dict:
    initial = {"length_minutes": meeting.length_minutes, "place": meeting.place, "base_version": meeting.version}
    if meeting.starts_at:
        local = timezone.localtime(meeting.starts_at)
        initial.update(date=local.date(), time=local.time().replace(second=0, microsecond=0))
    return initial


def _roles_initial(meeting: Meeting) -> dict:
    initial = {"base_version": meeting.version}
    for role in ROLES:
        user = getattr(meeting, role)
        initial[role] = user.username if user else ""
    return initial


def _view(meeting: Meeting) -> dict:
    """What the page and the side column show of a meeting."""
    return {
        "meeting": meeting,
        "starts_at": meeting.starts_at,
        "ends_at": ends_at(meeting),
        "link": link_of(meeting.place),
        "cancelled": is_cancelled(meeting),
    }


@login_required
def meeting_schedule_page(request, pk):
    """Everyone who may read the retrospective sees its meeting; its editors schedule, move and cancel it (POST)."""
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    can_edit = can_edit_retrospective(request.user, retrospective) and retrospective.state not in ENDED_STATES
    if request.method == "POST" and not can_edit_retrospective(request.user, retrospective):
        raise PermissionDenied(MEETING_FORBIDDEN)
    meeting = _meeting(retrospective)
    status, theirs = 200, None
    form = ScheduleForm(initial=_schedule_initial(meeting))
    if request.method == "POST":
        form = ScheduleForm(request.POST)
        cancel = "cancel" in request.POST
        if cancel:
            form.fields["date"].required = form.fields["time"].required = False
        if form.is_valid():
            data = form.cleaned_data
            try:
                changes = {"starts_at": None}
                if not cancel:
                    changes = {
                        "starts_at": starts_at_from(data["date"], data["time"], request.user.time_zone),
                        "length_minutes": data["length_minutes"],
                        "place": data["place"],
                    }
                meeting_save(retrospective=retrospective, by=request.user, base_version=data["base_version"], **changes)
            except ConflictError as exc:
                theirs = show_conflict(form, exc)
                status = 409
            except ReadOnlyError as exc:
                form.add_error(None, str(exc))
                status = 409
            except ValidationError as exc:
                add_service_errors(form, exc)
                status = 422
            else:
                messages.success(request, "Meeting cancelled." if cancel else "Meeting saved; the attendees are told.")
                return redirect("meeting_schedule", pk=pk)
        else:
            status = 422
    context = _page_context(request, retrospective, meeting, can_edit=can_edit)
    context.update(schedule_form=form, theirs=theirs and _view(theirs))
    return render(request, "meetings/schedule.html", context, status=status)


def _page_context(request, retrospective, meeting, *, can_edit: bool, roles_form=None) -> dict:
    attendees_brought_up_to_date(meeting)
    people = list(people_who_may_see(retrospective.incident).order_by("username")) if can_edit else []
    by_pk = {p.pk: p for p in people}
    rows = attendees_of(meeting)
    return {
        "retrospective": retrospective,
        **_view(meeting),
        "zone": request.user.time_zone or "UTC",
        "roles": [
            ("Presenter", presenter_of(meeting, by_pk)),
            ("Moderator", meeting.moderator),
            ("Note-taker", meeting.note_taker),
        ],
        "presenter_is_owner": not meeting.presenter_id,
        "mandatory": [row for row in rows if row.mandatory],
        "optional": [row for row in rows if not row.mandatory],
        "can_edit": can_edit,
        "roles_form": roles_form or (RolesForm(initial=_roles_initial(meeting), people=people) if can_edit else None),
    }


@login_required
@require_POST
def meeting_roles(request, pk):
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    if not can_edit_retrospective(request.user, retrospective):
        raise PermissionDenied(MEETING_FORBIDDEN)
    meeting = _meeting(retrospective)
    people = list(people_who_may_see(retrospective.incident).order_by("username"))
    by_name = {p.username: p for p in people}
    form = RolesForm(request.POST, people=people)
    status, theirs = 422, None
    if form.is_valid():
        data = form.cleaned_data
        try:
            meeting_save(
                retrospective=retrospective,
                by=request.user,
                base_version=data["base_version"],
                **{role: by_name.get(data[role]) for role in ROLES},
            )
        except ConflictError as exc:
            theirs = show_conflict(form, exc)
            status = 409
        except ReadOnlyError as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Roles saved.")
            return redirect(f"{reverse('meeting_schedule', args=[pk])}#roles")
    can_edit = retrospective.state not in ENDED_STATES
    context = _page_context(request, retrospective, meeting, can_edit=can_edit, roles_form=form)
    context.update(schedule_form=ScheduleForm(initial=_schedule_initial(meeting)), roles_theirs=theirs)
    return render(request, "meetings/schedule.html", context, status=status)


@login_required
def meeting_ics_download(request, pk):
    """The invitation, for anyone who may read the retrospective; a cancellation once it was cancelled."""
    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    meeting = Meeting.objects.filter(retrospective=retrospective).first()
    if meeting is None or (meeting.starts_at is None and meeting.sequence == 0):
        raise Http404("The meeting is not scheduled yet.")
    meeting.retrospective = retrospective
    attendees = meeting.attendees.select_related("user")
    items = meeting.items.order_by("position", "id").values_list("title", flat=True)
    response = HttpResponse(meeting_ics(meeting, attendees=attendees, items=items), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="retrospective-{retrospective.pk}-meeting.ics"'
    return response


def meeting_page_part(*, request, retrospective, sections) -> PagePart:
    """ "Meeting: <when, in the reader's zone>, <place>" and the link to the meeting's page, in the side column."""
    meeting = Meeting.objects.filter(retrospective_id=retrospective.pk).only("starts_at", "place", "sequence").first()
    context = {"retrospective": retrospective, "zone": getattr(request.user, "time_zone", "") or "UTC"}
    if meeting is not None:
        context.update(
            meeting=meeting,
            starts_at=meeting.starts_at,
            link=link_of(meeting.place),
            cancelled=is_cancelled(meeting),
        )
    return PagePart(side_template="meetings/schedule_side.html", context=context)
