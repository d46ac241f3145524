"""The meeting of a retrospective: /api/v1/retrospectives/{id}/meeting (when, where, roles, attendees; schedule, move,
cancel and choose the roles). The same services as the page (meetings.schedule): one rule in one place."""

from datetime import datetime
from typing import Annotated

from django.conf import settings
from django.core.exceptions import PermissionDenied
from ninja import Field, Router, Schema, Status

from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.meetings.models import Meeting
from retrospector.meetings.schedule import (
    LENGTH_MAX,
    LENGTH_MIN,
    MEETING_FORBIDDEN,
    PLACE_MAX,
    ROLES,
    attendees_brought_up_to_date,
    attendees_of,
    ends_at,
    meeting_of,
    meeting_save,
    presenter_of,
)
from retrospector.writeups.selectors import can_edit_retrospective, retrospective_detail_or_404

from .contract import InSchema, responses
from .lookups import person_from_username
from .types import Id, Instant, Version, _integer

router = Router(tags=["meeting"])

Username = Annotated[str, Field(min_length=1, max_length=150)]
Minutes = _integer(ge=LENGTH_MIN, le=LENGTH_MAX, description=f"From {LENGTH_MIN} to {LENGTH_MAX}.")


class AttendeeOut(Schema):
    username: str
    mandatory: bool = Field(..., description="The owner and everyone who wrote in an agenda thread.")
    attended: bool | None = Field(..., description="The roll call: null until called.")


class MeetingOut(Schema):
    retrospective_id: int
    starts_at: datetime | None = Field(..., description="In UTC; null while not scheduled (or once cancelled).")
    ends_at: datetime | None
    length_minutes: int
    place: str = Field(..., description="A room, or an http(s) link to the call.")
    presenter: str | None = Field(..., description="Username; the owner unless someone else was chosen.")
    moderator: str | None
    note_taker: str | None
    attendees: list[AttendeeOut] = Field(..., description="Mandatory first. Only people who may see the incident.")
    cancelled: bool
    sequence: int = Field(..., description="The invitation's iCalendar SEQUENCE: one more each time it moves.")
    version: int
    ics_url: str = Field(..., description="The invitation (.ics) to download.")


class MeetingIn(InSchema):
    starts_at: Instant | None = Field(
        ...,
        description="When it starts, with its zone (ISO 8601), in the years 2000 to 2999 (others: 422); null cancels "
        "a scheduled meeting.",
    )
    length_minutes: Minutes
    place: str = Field(
        "",
        max_length=PLACE_MAX,
        description="A room, or a link: a place naming a scheme (javascript:, ftp://...) must be an http:// or "
        "https:// link (others: 422).",
    )
    presenter: Username | None = Field(None, description="Username; null: the owner.")
    moderator: Username | None = None
    note_taker: Username | None = None
    base_version: Version


def meeting_out(meeting: Meeting) -> dict:
    rows = attendees_of(meeting)
    presenter = presenter_of(meeting)
    pk = meeting.retrospective_id
    return {
        "retrospective_id": pk,
        "starts_at": meeting.starts_at,
        "ends_at": ends_at(meeting),
        "length_minutes": meeting.length_minutes,
        "place": meeting.place,
        "presenter": presenter.username if presenter else None,
        "moderator": meeting.moderator.username if meeting.moderator_id else None,
        "note_taker": meeting.note_taker.username if meeting.note_taker_id else None,
        "attendees": [
            {"username": row.user.username, "mandatory": row.mandatory, "attended": row.attended} for row in rows
        ],
        "cancelled": meeting.starts_at is None and meeting.sequence > 0,
        "sequence": meeting.sequence,
        "version": meeting.version,
        "ics_url": f"{settings.SITE_URL}/retrospectives/{pk}/meeting.ics",
    }


def _loaded(retrospective) -> Meeting:
    meeting = Meeting.objects.select_related("presenter", "moderator", "note_taker").get(
        pk=meeting_of(retrospective).pk
    )
    meeting.retrospective = retrospective
    return meeting


@router.get(
    "/retrospectives/{retrospective_id}/meeting",
    response=responses(200, MeetingOut, errors=(404, 422)),
    summary="The meeting: when and where, its roles and attendees",
)
def get_meeting(request, retrospective_id: Id):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    meeting = _loaded(retrospective)
    attendees_brought_up_to_date(meeting)
    return meeting_out(meeting)


@router.put(
    "/retrospectives/{retrospective_id}/meeting",
    response=responses(200, MeetingOut, errors=(400, 403, 404, 409, 413, 422)),
    summary="Schedule, move or cancel the meeting and choose its roles",
    description="For those who may edit the retrospective (403 for others). Every field is set as sent. Changing the "
    "time, length or place counts the invitation's SEQUENCE up and sends every attendee the new .ics (null "
    "`starts_at`: a cancellation). Roles go to people who may see the incident (others: 422 naming the role). A stale "
    "`base_version` is a 409 whose `current` is the meeting as it is; once the retrospective is approved, 409 on "
    "`state`.",
)
def put_meeting(request, retrospective_id: Id, payload: MeetingIn):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    if not can_edit_retrospective(request.user, retrospective):
        raise PermissionDenied(MEETING_FORBIDDEN)
    people = {role: person_from_username(request.user, getattr(payload, role), role) for role in ROLES}
    try:
        meeting_save(
            retrospective=retrospective,
            by=request.user,
            base_version=payload.base_version,
            starts_at=payload.starts_at,
            length_minutes=payload.length_minutes,
            place=payload.place,
            **people,
        )
    except ConflictError as exc:
        return Status(
            409, {"detail": str(exc), "field": "base_version", "current": meeting_out(_loaded(retrospective))}
        )
    except ReadOnlyError as exc:
        return Status(409, {"detail": str(exc), "field": "state", "current": meeting_out(_loaded(retrospective))})
    return meeting_out(_loaded(retrospective))
