"""During and after the meeting: an agenda item's notes and decision (PUT /api/v1/retrospectives/{id}/agenda/{item}/
decision), the revision that applied a decision (POST .../agenda/{item}/applied), the roll call (POST .../meeting/
roll-call) and the announcement that the retrospective is ready for its final approval (POST .../meeting/ready). The
same services as the pages (meetings.notes)."""

from datetime import datetime
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Field, Router, Schema, Status

from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.meetings.models import AgendaItem, Attendee, Meeting
from retrospector.meetings.notes import (
    DECISION_MAX_CHARS,
    NOTES_FORBIDDEN,
    NOTES_MAX_CHARS,
    decision_apply,
    item_notes_save,
    may_write_notes,
    meeting_of,
    meeting_ready,
    roll_call,
)
from retrospector.writeups.selectors import retrospective_detail_or_404

from .choices import choices_literal
from .contract import InSchema, responses
from .lookups import people_from_usernames
from .responder_accounts import READ_ONLY_409
from .types import Id, Version

router = Router(tags=["meeting"])

DecisionKind = choices_literal(AgendaItem.Decision)
ItemKind = choices_literal(AgendaItem.Kind)
Username = Annotated[str, Field(min_length=1, max_length=150)]
MEETING_RULE = (
    "Written only while the retrospective is at its meeting (state `meeting`): before and after, 409 on `state` with "
    "the reason."
)


# --- Schemas ----------------------------------------------------------------------------------------------------------


class AppliedRevisionOut(Schema):
    id: int
    section: str = Field(..., description="The key of the section the revision belongs to.")
    version: int
    url: str = Field(..., description="The section's history at that version.")


class AgendaItemNotesOut(Schema):
    id: int
    position: int
    title: str
    kind: ItemKind = Field(..., description="thread: a feedback thread to talk through; part: a part of the meeting.")
    thread_id: int | None
    notes: str
    decision: DecisionKind | None = Field(..., description="null: no decision taken on this item.")
    decision_text: str
    version: int = Field(..., description="The item's own version: send it back as base_version.")
    updated_by: str | None
    updated_at: datetime
    applied_at: datetime | None
    applied_by: str | None
    applied_revision: AppliedRevisionOut | None


class DecisionIn(InSchema):
    notes: str = Field("", max_length=NOTES_MAX_CHARS, description="The item's notes (plain text); replaces them.")
    decision: DecisionKind | None = Field(
        None, description="change (to make), clarify (a clarification to add), disagree (recorded); null: none."
    )
    decision_text: str = Field(
        "", max_length=DECISION_MAX_CHARS, description="What was decided: required with a decision."
    )
    base_version: Version


class AppliedIn(InSchema):
    revision: Id | None = Field(
        ...,
        description="The id of the revision of one of this retrospective's sections that applied the decision "
        "(another retrospective's: 422); null marks it not applied.",
    )


class RollCallEntry(InSchema):
    username: Username
    attended: bool | None = Field(..., description="true: attended; false: did not; null: not called yet.")


class RollCallIn(InSchema):
    attended: list[RollCallEntry] = Field(..., max_length=500)


class AttendeeOut(Schema):
    username: str
    mandatory: bool
    attended: bool | None


class ReadyOut(Schema):
    ready_at: datetime
    ready_by: str | None
    already: bool = Field(..., description="It had been announced in this round of the meeting: nobody told again.")
    notified: list[str] = Field(..., description="Usernames told now.")


# --- Answers ----------------------------------------------------------------------------------------------------------


def item_out(item: AgendaItem, retrospective_id: int) -> dict:
    revision = item.applied_revision
    history = f"/retrospectives/{retrospective_id}/sections/{revision.section.key}/history" if revision else ""
    return {
        "id": item.pk,
        "position": item.position,
        "title": item.title,
        "kind": item.kind,
        "thread_id": item.thread_id,
        "notes": item.notes,
        "decision": item.decision or None,
        "decision_text": item.decision_text,
        "version": item.version,
        "updated_by": item.updated_by.username if item.updated_by else None,
        "updated_at": item.updated_at,
        "applied_at": item.applied_at,
        "applied_by": item.applied_by.username if item.applied_by else None,
        "applied_revision": {
            "id": revision.pk,
            "section": revision.section.key,
            "version": revision.version,
            "url": f"{history}?version={revision.version}",
        }
        if revision is not None
        else None,
    }


def _reread(item: AgendaItem) -> AgendaItem:
    return AgendaItem.objects.select_related("updated_by", "applied_by", "applied_revision__section").get(pk=item.pk)


def _meeting(request, retrospective_id: int):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    meeting = meeting_of(retrospective)
    if meeting is None:
        raise Http404("This retrospective has no meeting agenda yet.")
    return retrospective, meeting


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = AgendaItem.objects.filter(pk=item_id, meeting_id=meeting.pk).first()
    if item is None:
        raise Http404("No such agenda item in this retrospective's meeting.")
    return item


# --- Operations -------------------------------------------------------------------------------------------------------


@router.put(
    "/retrospectives/{retrospective_id}/agenda/{item_id}/decision",
    response=responses(200, AgendaItemNotesOut, errors=(400, 413, 403, 404, 409, 422)),
    summary="Write an agenda item's notes and decision (409 on a stale base_version)",
    description="For the meeting's note-taker, its moderator and the retrospective's owner (403 for others who may "
    "read it). Each item has its own version: two people writing two items never conflict; the same item saved "
    "since the version you read is a 409 on `base_version` whose `current` is the item as it is (merge, send "
    "again). A decision needs its `decision_text` (422). Changing a decision that was applied marks it not applied. "
    + MEETING_RULE
    + " That 409 carries the item as it is in `current`.",
)
def write_decision(request, retrospective_id: Id, item_id: Id, payload: DecisionIn):
    retrospective, meeting = _meeting(request, retrospective_id)
    item = _item(meeting, item_id)
    try:
        saved = item_notes_save(
            item=item,
            notes=payload.notes,
            decision=payload.decision or "",
            decision_text=payload.decision_text,
            base_version=payload.base_version,
            by=request.user,
        )
    except (ConflictError, ReadOnlyError) as exc:
        field = "base_version" if isinstance(exc, ConflictError) else "state"
        current = item_out(_reread(exc.current or item), retrospective.pk)
        return Status(409, {"detail": str(exc), "field": field, "current": current})
    return item_out(_reread(saved), retrospective.pk)


@router.post(
    "/retrospectives/{retrospective_id}/agenda/{item_id}/applied",
    response=responses(200, AgendaItemNotesOut, errors=(400, 413, 403, 404, 409, 422), overrides=READ_ONLY_409),
    summary="Mark a decision applied by a revision of the write-up, or not applied",
    description="For those who may edit the retrospective (403 for readers). An item without a decision, or a "
    "revision that is not of one of this retrospective's sections: 422. A recorded disagreement is applied the same "
    "way, once written into the write-up. " + MEETING_RULE,
)
def mark_applied(request, retrospective_id: Id, item_id: Id, payload: AppliedIn):
    retrospective, meeting = _meeting(request, retrospective_id)
    item = _item(meeting, item_id)
    applied = decision_apply(item=item, revision_id=payload.revision, by=request.user)  # read-only: api.on_read_only
    return item_out(_reread(applied), retrospective.pk)


def _attendee_out(attendee: Attendee) -> dict:
    return {"username": attendee.user.username, "mandatory": attendee.mandatory, "attended": attendee.attended}


@router.post(
    "/retrospectives/{retrospective_id}/meeting/roll-call",
    response=responses(200, list[AttendeeOut], errors=(400, 413, 403, 404, 409, 422), overrides=READ_ONLY_409),
    summary="Record who attended the meeting",
    description="For the meeting's note-taker, its moderator and the retrospective's owner (403 for others). People "
    "not asked to the meeting are added as attending (with `attended: true`) only if they may see the incident: "
    "anyone else, or an unknown username, is a 422 on `attended` and nothing is recorded. Answers every attendee. "
    + MEETING_RULE,
)
def record_roll_call(request, retrospective_id: Id, payload: RollCallIn):
    retrospective, meeting = _meeting(request, retrospective_id)
    # Checked before the names are looked up: a reader learns nothing about usernames.
    if not may_write_notes(request.user, retrospective, meeting):
        raise PermissionDenied(NOTES_FORBIDDEN)
    people = people_from_usernames(request.user, [entry.username for entry in payload.attended], "attended")
    by_name = {person.username: person for person in people}
    attended = {by_name[entry.username].pk: entry.attended for entry in payload.attended}
    attendees = roll_call(meeting=meeting, attended=attended, by=request.user)  # read-only: api.on_read_only
    return [_attendee_out(a) for a in attendees]


@router.post(
    "/retrospectives/{retrospective_id}/meeting/ready",
    response=responses(200, ReadyOut, errors=(403, 404, 409, 422), overrides=READ_ONLY_409),
    summary="Announce the retrospective ready for its final approval",
    description="For the retrospective's owner (403 for others). Only once every decision of the meeting is marked "
    "applied (422 on `decisions` listing those still to apply). Notifies the team's members, the moderator and the "
    "note-taker once per round of the meeting: announcing again answers `already: true` and tells nobody; after the "
    "retrospective is reopened and back at its meeting, an announcement tells them again. " + MEETING_RULE,
)
def announce_ready(request, retrospective_id: Id):
    retrospective, meeting = _meeting(request, retrospective_id)
    announced = meeting_ready(meeting=meeting, by=request.user)  # read-only: api.on_read_only
    current = announced.meeting
    return {
        "ready_at": current.ready_at,
        "ready_by": current.ready_by.username if current.ready_by else None,
        "already": announced.already,
        "notified": sorted(person.username for person in announced.notified),
    }
