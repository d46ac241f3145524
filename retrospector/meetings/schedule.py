"""Who attends a retrospective's meeting, in which role, when and where; and the invitation that goes out each time it
is scheduled, moved or cancelled. Every write checks its permission here, for the pages and the API alike."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from retrospector.accounts.models import Membership, Role, User
from retrospector.core.errors import ConflictError, ReadOnlyError, locked
from retrospector.incidents.models import Incident
from retrospector.notifications.models import Kind
from retrospector.notifications.services import notify
from retrospector.reviews.models import Comment
from retrospector.writeups.models import Retrospective
from retrospector.writeups.selectors import can_edit_retrospective

from .agenda import agenda_sync, meeting_for
from .ics import meeting_ics
from .models import AgendaItem, Attendee, Meeting

LENGTH_MIN, LENGTH_MAX = 15, 480
YEAR_MIN, YEAR_MAX = 2000, 2999  # far enough either way; keeps the end time and every zone's clock in range
PLACE_MAX = 500
ROLES = ("presenter", "moderator", "note_taker")
ROLE_LABELS = {"presenter": "Presenter", "moderator": "Moderator", "note_taker": "Note-taker"}
MEETING_FORBIDDEN = "Only those who may edit the retrospective schedule its meeting and choose its roles."
ENDED_STATES = (Retrospective.State.APPROVED, Retrospective.State.DONE)
MEETING_ENDED = "The retrospective is approved: its meeting is over and can no longer be changed."
# Team roles asked to the meeting as optional attendees. Viewers are not: they read the team's work without taking
# part in it (a viewer who wrote in an agenda thread is asked all the same, as mandatory).
OPTIONAL_ROLES = (Role.MEMBER, Role.ADMIN)

_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):")
_LINK = re.compile(r"^https?://[^\s/?#]+\S*$", re.IGNORECASE)
_UNSAFE_SCHEMES = {"javascript", "data", "vbscript", "file"}  # refused even without "//"; "Room: 4B" is a place


class _Unchanged:
    def __repr__(self):
        return "UNCHANGED"


UNCHANGED = _Unchanged()


# --- Reads --------------------------------------------------------------------------------------------------------


def people_who_may_see(incident: Incident) -> QuerySet[User]:
    """The active people who may see `incident`, by the rule of incidents.selectors.incidents_visible_to, as one
    queryset (a test compares the two)."""
    people = User.objects.filter(organization_id=incident.organization_id, is_active=True)
    if incident.visibility == Incident.Visibility.ORGANIZATION:
        return people
    in_team = Membership.objects.filter(user_id=OuterRef("pk"), team_id=incident.team_id)
    invited = Incident.invitees.through.objects.filter(user_id=OuterRef("pk"), incident_id=incident.pk)
    return people.filter(Q(is_org_admin=True) | Exists(in_team) | Exists(invited))


def meeting_of(retrospective: Retrospective) -> Meeting:
    """The retrospective's meeting, made the first time it is asked for (agenda.meeting_for: the owner presents)."""
    meeting = meeting_for(retrospective)
    meeting.retrospective = retrospective
    return meeting


def link_of(place: str) -> str:
    """The place when it is a web link (http or https only), else ""."""
    return place if _LINK.match(place or "") else ""


def presenter_of(meeting: Meeting, people: dict[int, User] | None = None) -> User | None:
    """The presenter chosen, or else the owner (the default)."""
    pk = meeting.presenter_id or meeting.retrospective.owner_id
    if pk is None:
        return None
    if people is not None and pk in people:
        return people[pk]
    return meeting.presenter if meeting.presenter_id else meeting.retrospective.owner


def is_cancelled(meeting: Meeting) -> bool:
    """Invited once (an invitation went out), unscheduled since."""
    return meeting.starts_at is None and meeting.sequence > 0


def ends_at(meeting: Meeting) -> datetime | None:
    return meeting.starts_at + timedelta(minutes=meeting.length_minutes) if meeting.starts_at else None


@dataclass(frozen=True)
class AttendeeRow:
    user: User
    mandatory: bool
    attended: bool | None
    why: str  # why mandatory ("owns the write-up", "wrote in an agenda thread"); "" for optional


def _mandatory_ids(meeting: Meeting) -> tuple[int | None, set[int]]:
    """The owner, and the authors of the comments of the meeting's agenda threads (one query)."""
    writers = set(
        Comment.objects.filter(
            thread__agenda_items__meeting=meeting,
            thread__agenda_items__kind=AgendaItem.Kind.THREAD,
            author__isnull=False,
        )
        .values_list("author_id", flat=True)
        .distinct()
    )
    return meeting.retrospective.owner_id, writers


def attendees_of(meeting: Meeting) -> list[AttendeeRow]:
    """The attendees, mandatory first, each with why they are mandatory (two queries)."""
    owner_id, writers = _mandatory_ids(meeting)
    rows = []
    for attendee in meeting.attendees.select_related("user").order_by("-mandatory", "user__username"):
        why = ""
        if attendee.mandatory:
            reasons = []
            if attendee.user_id == owner_id:
                reasons.append("owns the write-up")
            if attendee.user_id in writers:
                reasons.append("wrote in an agenda thread")
            why = " and ".join(reasons)
        rows.append(AttendeeRow(attendee.user, attendee.mandatory, attendee.attended, why))
    return rows


# --- Writes -------------------------------------------------------------------------------------------------------


def attendees_sync(meeting: Meeting) -> list[Attendee]:
    """Bring the attendees up to date, in a constant number of queries however many people: mandatory are the owner
    and everyone who wrote in a thread on the agenda; optional, the other members and admins of the incident's team.
    Only people who may see the incident are asked. Someone no longer asked is removed, unless the roll call has
    recorded them (attended or not): that is what happened at the meeting."""
    retrospective = meeting.retrospective
    incident = retrospective.incident
    owner_id, writers = _mandatory_ids(meeting)
    mandatory = ({owner_id} if owner_id else set()) | writers
    team = set(
        Membership.objects.filter(team_id=incident.team_id, role__in=OPTIONAL_ROLES).values_list("user_id", flat=True)
    )
    allowed = set(people_who_may_see(incident).filter(pk__in=mandatory | team).values_list("pk", flat=True))
    wanted = {pk: pk in mandatory for pk in (mandatory | team) & allowed}
    existing = {a.user_id: a for a in Attendee.objects.filter(meeting=meeting)}
    new = [Attendee(meeting=meeting, user_id=pk, mandatory=m) for pk, m in wanted.items() if pk not in existing]
    changed = []
    for pk, attendee in existing.items():
        if pk in wanted and attendee.mandatory != wanted[pk]:
            attendee.mandatory = wanted[pk]
            changed.append(attendee)
    gone = [a.pk for pk, a in existing.items() if pk not in wanted and a.attended is None]
    if new:
        Attendee.objects.bulk_create(new, ignore_conflicts=True)
    if changed:
        Attendee.objects.bulk_update(changed, ["mandatory"])
    if gone:
        Attendee.objects.filter(pk__in=gone, attended__isnull=True).delete()
    return list(Attendee.objects.filter(meeting=meeting).select_related("user"))


def _check_year(year: int, field: str) -> None:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValidationError({field: f"A meeting happens between {YEAR_MIN} and {YEAR_MAX}."})


def starts_at_from(day: date, at: time, zone_name: str) -> datetime:
    """The moment `day` at `at` in the zone `zone_name`, aware. A time the clocks skip (the spring change) is refused
    with a ValidationError on "time"."""
    _check_year(day.year, "date")
    zone = zoneinfo.ZoneInfo(zone_name or "UTC")
    moment = datetime.combine(day, at.replace(tzinfo=None), tzinfo=zone)
    back = moment.astimezone(zoneinfo.ZoneInfo("UTC")).astimezone(zone)
    if back.replace(tzinfo=None) != moment.replace(tzinfo=None):
        raise ValidationError({"time": f"{at:%H:%M} does not exist on {day} in {zone_name}: the clocks change then."})
    return moment


def _clean_place(place: str) -> str:
    place = " ".join((place or "").split())
    if len(place) > PLACE_MAX:
        raise ValidationError({"place": f"At most {PLACE_MAX} characters."})
    scheme = _SCHEME.match(place)
    looks_like_link = scheme and (place[scheme.end() :].startswith("//") or scheme.group(1).lower() in _UNSAFE_SCHEMES)
    if looks_like_link and not _LINK.match(place):
        raise ValidationError({"place": "A link must be a web address starting with http:// or https://."})
    return place


def _role_people(incident: Incident, roles: dict[str, User | None]) -> None:
    chosen = {role: user for role, user in roles.items() if user is not None}
    if not chosen:
        return
    allowed = set(
        people_who_may_see(incident).filter(pk__in=[u.pk for u in chosen.values()]).values_list("pk", flat=True)
    )
    errors = {
        role: f"{user.display_name} may not see this incident, so cannot be the {ROLE_LABELS[role].lower()}."
        for role, user in chosen.items()
        if user.pk not in allowed
    }
    if errors:
        raise ValidationError(errors)


def meeting_save(
    *,
    retrospective: Retrospective,
    by: User,
    base_version: int,
    starts_at: datetime | None | _Unchanged = UNCHANGED,
    length_minutes: int | _Unchanged = UNCHANGED,
    place: str | _Unchanged = UNCHANGED,
    presenter: User | None | _Unchanged = UNCHANGED,
    moderator: User | None | _Unchanged = UNCHANGED,
    note_taker: User | None | _Unchanged = UNCHANGED,
) -> Meeting:
    """Schedule the meeting (or clear its time: cancel it), and/or choose its roles; what is left UNCHANGED stays.

    For those who may edit the retrospective (PermissionDenied otherwise), until it is approved (ReadOnlyError). A
    `base_version` other than the meeting's is a ConflictError holding the meeting as it is. Roles go to people who may
    see the incident (a ValidationError on the role's field otherwise); a presenter left empty is the owner. When the
    time, length or place changes, the invitation's SEQUENCE grows and every attendee is notified with the new .ics
    (a cancellation when the time was cleared)."""
    if not can_edit_retrospective(by, retrospective):
        raise PermissionDenied(MEETING_FORBIDDEN)
    if retrospective.state in ENDED_STATES:
        raise ReadOnlyError(MEETING_ENDED)
    if not isinstance(length_minutes, _Unchanged) and not LENGTH_MIN <= length_minutes <= LENGTH_MAX:
        raise ValidationError({"length_minutes": f"From {LENGTH_MIN} to {LENGTH_MAX} minutes."})
    if not isinstance(place, _Unchanged):
        place = _clean_place(place)
    if isinstance(starts_at, datetime):
        _check_year(starts_at.astimezone(zoneinfo.ZoneInfo("UTC")).year, "starts_at")
    roles = {"presenter": presenter, "moderator": moderator, "note_taker": note_taker}
    roles = {role: user for role, user in roles.items() if not isinstance(user, _Unchanged)}
    _role_people(retrospective.incident, roles)
    meeting_of(retrospective)  # made outside the lock: get_or_create has its own
    with transaction.atomic():
        meeting = locked(Meeting.objects.all(), Meeting.objects.get(retrospective=retrospective).pk)
        meeting.retrospective = retrospective
        if base_version != meeting.version:
            raise ConflictError(
                f"The meeting was changed meanwhile (version {meeting.version}, you edited version {base_version}).",
                current=meeting,
            )
        was_announced = meeting.starts_at is not None or meeting.sequence > 0
        before = (meeting.starts_at, meeting.length_minutes, meeting.place)
        if not isinstance(starts_at, _Unchanged):
            meeting.starts_at = starts_at
        if not isinstance(length_minutes, _Unchanged):
            meeting.length_minutes = length_minutes
        if not isinstance(place, _Unchanged):
            meeting.place = place
        roles_before = {role: getattr(meeting, f"{role}_id") for role in roles}
        for role, user in roles.items():
            setattr(meeting, role, user)
        moved = (meeting.starts_at, meeting.length_minutes, meeting.place) != before
        roles_changed = {role: getattr(meeting, f"{role}_id") for role in roles} != roles_before
        if not moved and not roles_changed:
            return meeting
        # A meeting without a time was never sent: its first invitation is SEQUENCE 0; every later one counts up.
        announce = moved and (meeting.starts_at is not None or was_announced)
        if moved and was_announced:
            meeting.sequence += 1
        meeting.version += 1
        meeting.save()
        if announce:
            _announce(meeting, by=by)
    return meeting


def attendees_brought_up_to_date(meeting: Meeting) -> list[Attendee]:
    """The agenda's thread items first (the threads on the agenda decide who must come), then the attendees."""
    agenda_sync(meeting)
    return attendees_sync(meeting)


def _announce(meeting: Meeting, *, by: User) -> None:
    retrospective = meeting.retrospective
    attendees = attendees_brought_up_to_date(meeting)
    items = list(meeting.items.order_by("position", "id").values_list("title", flat=True))
    content = meeting_ics(meeting, attendees=attendees, items=items)
    if meeting.starts_at is None:
        title = f"Meeting cancelled: {retrospective.title}"
        body = "The retrospective's meeting is cancelled; the attached invitation removes it from your calendar."
    else:
        when = meeting.starts_at.astimezone(zoneinfo.ZoneInfo("UTC"))
        verb = "moved" if meeting.sequence > 0 else "scheduled"
        title = f"Meeting {verb}: {retrospective.title}"
        body = (
            f"{when:%a %d %b %Y, %H:%M} UTC, {meeting.length_minutes} minutes"
            + (f", {meeting.place}" if meeting.place else "")
            + ". The meeting page shows it in your own time zone; the attached invitation adds it to your calendar."
        )
    notify(
        recipients=[a.user for a in attendees],
        kind=Kind.MEETING,
        key=f"meeting:{meeting.pk}:seq:{meeting.sequence}",
        title=title,
        url=f"/retrospectives/{retrospective.pk}/meeting",
        retrospective=retrospective,
        actor=by,
        body=body,
        attachments=[
            {
                "filename": "invitation.ics",
                "content_type": f"text/calendar; method={'CANCEL' if meeting.starts_at is None else 'REQUEST'}",
                "content": content,
            }
        ],
    )
