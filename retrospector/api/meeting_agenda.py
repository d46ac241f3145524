"""The meeting agenda: /api/v1/retrospectives/{id}/agenda and /agenda/{item_id}. The same services as the page
(meetings.agenda): one rule in one place."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from ninja import Field, Router, Schema, Status

from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.meetings.agenda import (
    AGENDA_FORBIDDEN,
    PART_KEYS,
    THREAD_ITEMS_FOLLOW,
    TIME_BOX_MAX,
    TIME_BOX_MIN,
    TITLE_MAX,
    agenda_item_add,
    agenda_item_move,
    agenda_item_or_404,
    agenda_item_remove,
    agenda_sync,
    agenda_time_box_set,
    agenda_totals,
    meeting_for,
)
from retrospector.meetings.models import AgendaItem, Meeting
from retrospector.reviews.models import Thread
from retrospector.reviews.threads import retrospective_for_feedback_or_404
from retrospector.writeups.selectors import can_edit_retrospective

from .choices import choices_literal
from .contract import ErrorOut, InSchema, Omittable, responses
from .types import Id, Version, _integer

router = Router(tags=["meeting"])

ItemKind = choices_literal(AgendaItem.Kind)
ThreadKind = choices_literal(Thread.Kind)
Decision = choices_literal(AgendaItem.Decision)
PartKey = choices_literal(PART_KEYS)
TimeBox = _integer(ge=TIME_BOX_MIN, le=TIME_BOX_MAX, description=f"Minutes, {TIME_BOX_MIN} to {TIME_BOX_MAX}.")
Position = _integer(ge=1, le=10_000, description="1 is first; beyond the last item: 422.")
WHO_WRITES = (
    "For those who may edit the retrospective (403 for readers); approved and done retrospectives are read-only "
    "(409 on `state`)."
)


# --- Schemas ----------------------------------------------------------------------------------------------------------


class AgendaThreadOut(Schema):
    id: int = Field(..., description="The feedback thread (its page: /threads/{id}/).")
    kind: ThreadKind
    messages: int = Field(..., description="How many messages it holds (three or more, or it is an open disagreement).")
    open: bool = Field(..., description="Whether it is unresolved.")
    quote: str = Field(..., description="The passage it is about; empty for a whole section.")
    section: str = Field(..., description="The title of its section.")


class AgendaItemOut(Schema):
    id: int
    kind: ItemKind = Field(..., description="`thread`: a feedback thread that joined by itself; `part`: added by hand.")
    thread: AgendaThreadOut | None = Field(..., description="Its feedback thread (kind `thread`), else null.")
    part: str = Field(..., description="The meeting template part it comes from; empty for a free item or a thread.")
    title: str
    position: int = Field(..., description="1 is first.")
    time_box_minutes: int
    notes: str
    decision: Decision | None = Field(..., description="The meeting's decision on it, null while none.")
    decision_text: str
    applied: bool = Field(..., description="Whether the decision was applied to the write-up.")
    applied_revision_id: int | None


class AttendeeOut(Schema):
    username: str
    mandatory: bool
    attended: bool | None = Field(..., description="The roll call: null until called.")


class RolesOut(Schema):
    presenter: str | None
    moderator: str | None
    note_taker: str | None


class AgendaOut(Schema):
    version: int = Field(..., description="The agenda's version: send it as `base_version` to change the agenda.")
    items: list[AgendaItemOut]
    total_minutes: int = Field(..., description="The sum of the items' time boxes.")
    length_minutes: int = Field(..., description="The meeting's length.")
    over_by_minutes: int = Field(..., description="How far the total goes past the meeting's length (0 when it fits).")
    attendees: list[AttendeeOut] = Field(..., description="As they are (read-only here).")
    roles: RolesOut


class AgendaItemIn(InSchema):
    part: PartKey = Omittable(description="A part of the built-in meeting template (once per agenda).")
    title: str = Omittable(
        min_length=1, max_length=TITLE_MAX, description="A free item's title (or a part's own title)."
    )
    time_box_minutes: TimeBox = Omittable(description="Left out: the part's suggested minutes, or 5.")
    base_version: Version = Omittable(description="When sent, a stale version gets 409.")


class AgendaItemPatch(InSchema):
    position: Position = Omittable(description="Move the item there; the others keep their order around it.")
    time_box_minutes: TimeBox = Omittable()
    base_version: Version


class ConflictAgendaOut(ErrorOut):
    current: dict[str, Any] = Field(..., description="The agenda as it is now (AgendaOut), or {} when read-only.")


# --- Helpers ----------------------------------------------------------------------------------------------------------


def _username(user) -> str | None:
    return user.username if user is not None else None


def _thread_out(thread) -> dict | None:
    if thread is None:
        return None
    return {
        "id": thread.id,
        "kind": thread.kind,
        "messages": thread.comment_count,
        "open": thread.is_open,
        "quote": thread.quote,
        "section": thread.section_title,
    }


def agenda_out(meeting: Meeting, items: list[AgendaItem]) -> dict:
    meeting = Meeting.objects.select_related("presenter", "moderator", "note_taker").get(pk=meeting.pk)
    totals = agenda_totals(meeting, items)
    attendees = meeting.attendees.select_related("user").order_by("-mandatory", "user__username")
    return {
        "version": meeting.agenda_version,
        "items": [
            {
                "id": item.pk,
                "kind": item.kind,
                "thread": _thread_out(item.shown_thread),
                "part": item.part,
                "title": item.title,
                "position": item.position,
                "time_box_minutes": item.time_box_minutes,
                "notes": item.notes,
                "decision": item.decision or None,
                "decision_text": item.decision_text,
                "applied": item.applied_at is not None,
                "applied_revision_id": item.applied_revision_id,
            }
            for item in items
        ],
        "total_minutes": totals.total_minutes,
        "length_minutes": totals.length_minutes,
        "over_by_minutes": totals.over_by,
        "attendees": [
            {"username": a.user.username, "mandatory": a.mandatory, "attended": a.attended} for a in attendees
        ],
        "roles": {
            "presenter": _username(meeting.presenter),
            "moderator": _username(meeting.moderator),
            "note_taker": _username(meeting.note_taker),
        },
    }


def _meeting(request, retrospective_id: int, *, write: bool = False) -> Meeting:
    retrospective = retrospective_for_feedback_or_404(user=request.user, pk=retrospective_id)
    if write and not can_edit_retrospective(request.user, retrospective):
        raise PermissionDenied(AGENDA_FORBIDDEN)  # before any 422: a reader learns only that they may not
    return meeting_for(retrospective)


def _current(meeting: Meeting) -> dict:
    meeting.refresh_from_db()
    return agenda_out(meeting, agenda_sync(meeting))


def _refused(exc: ConflictError | ReadOnlyError, meeting: Meeting):
    if isinstance(exc, ConflictError):
        return Status(409, {"detail": str(exc), "field": "base_version", "current": _current(meeting)})
    return Status(409, {"detail": str(exc), "field": "state", "current": {}})


AGENDA_409 = {409: ConflictAgendaOut}


# --- Operations -------------------------------------------------------------------------------------------------------


@router.get(
    "/retrospectives/{retrospective_id}/agenda",
    response=responses(200, AgendaOut, errors=(404, 422)),
    summary="The meeting agenda: items in order, time boxes against the meeting's length, attendees and roles",
    description="Brought up to date first: every feedback thread with three messages or more and every open disagree "
    "thread is an item (kind `thread`); a thread item that no longer qualifies leaves unless it has notes or a "
    "decision. 404 for a retrospective you may not see.",
)
def read_agenda(request, retrospective_id: Id):
    meeting = _meeting(request, retrospective_id)
    return agenda_out(meeting, agenda_sync(meeting))


@router.post(
    "/retrospectives/{retrospective_id}/agenda",
    response=responses(201, AgendaOut, errors=(400, 413, 403, 404, 409, 422), overrides=AGENDA_409),
    summary="Add a part of the meeting template, or a free item, at the end of the agenda",
    description="Send `part` (its title and suggested minutes unless given; a part already on the agenda: 422) or "
    "`title` (a free item). Answers the whole agenda. " + WHO_WRITES,
)
def add_agenda_item(request, retrospective_id: Id, payload: AgendaItemIn):
    meeting = _meeting(request, retrospective_id, write=True)
    given = payload.dict(exclude_unset=True)
    if "part" not in given and "title" not in given:
        raise ValidationError({"title": "Send `part` (a meeting template part) or `title` (a free item)."})
    try:
        agenda_item_add(
            meeting=meeting,
            part=given.get("part", ""),
            title=given.get("title", ""),
            time_box_minutes=given.get("time_box_minutes"),
            base_version=given.get("base_version"),
            by=request.user,
        )
    except (ConflictError, ReadOnlyError) as exc:
        return _refused(exc, meeting)
    return Status(201, agenda_out(meeting, agenda_sync(meeting)))


@router.patch(
    "/retrospectives/{retrospective_id}/agenda/{item_id}",
    response=responses(200, AgendaOut, errors=(400, 413, 403, 404, 409, 422), overrides=AGENDA_409),
    summary="Move an agenda item or change its time box (409 on a stale base_version)",
    description="`base_version` is the agenda's `version` you read: when the agenda changed since (an item added, "
    "removed, moved, or given another time box), 409 on `base_version` with `current`, the agenda as it is now; "
    "nothing is changed. Answers the whole agenda. " + WHO_WRITES,
)
def change_agenda_item(request, retrospective_id: Id, item_id: Id, payload: AgendaItemPatch):
    meeting = _meeting(request, retrospective_id, write=True)
    item = agenda_item_or_404(meeting, item_id)
    changes = payload.dict(exclude_unset=True)
    version = payload.base_version
    try:
        with transaction.atomic():  # both or neither
            if "time_box_minutes" in changes:
                minutes = changes["time_box_minutes"]
                agenda_time_box_set(item=item, minutes=minutes, base_version=version, by=request.user)
                version += 1
            if "position" in changes:
                agenda_item_move(item=item, to_position=changes["position"], base_version=version, by=request.user)
    except (ConflictError, ReadOnlyError) as exc:
        return _refused(exc, meeting)
    meeting.refresh_from_db()
    return agenda_out(meeting, agenda_sync(meeting))


@router.delete(
    "/retrospectives/{retrospective_id}/agenda/{item_id}",
    response=responses(204, None, errors=(403, 404, 409, 422), overrides={409: ErrorOut}),
    summary="Remove a part or free item from the agenda",
    description="The items after it move up. A thread item cannot be removed (422): "
    + THREAD_ITEMS_FOLLOW
    + " "
    + WHO_WRITES,
)
def remove_agenda_item(request, retrospective_id: Id, item_id: Id):
    meeting = _meeting(request, retrospective_id, write=True)
    item = agenda_item_or_404(meeting, item_id)
    agenda_item_remove(item=item, by=request.user)  # a read-only agenda: 409 on `state` (api.on_read_only)
    return Status(204, None)
