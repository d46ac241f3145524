"""During and after the meeting: each agenda item's notes and decision (written by the note-taker, the moderator or the
owner, item by item on the item's own version), the roll call, the decisions as the owner's to-do (each marked applied
by the revision of the write-up that applied it) and the announcement that the retrospective is ready for its final
approval. The pages (meetings.notes_views) and the API (api.meeting_notes) call these: one rule in one place."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from retrospector.accounts.models import User
from retrospector.core.errors import ConflictError, ReadOnlyError, locked
from retrospector.incidents.selectors import visible_pairs
from retrospector.notifications.models import Kind
from retrospector.notifications.services import notify
from retrospector.writeups.models import Retrospective, Revision, StateChange
from retrospector.writeups.selectors import can_edit_retrospective, retrospectives_visible_to

from .models import AgendaItem, Attendee, Meeting

State = Retrospective.State
Decision = AgendaItem.Decision

# Like the other texts people type (a question, a comment): long enough for a meeting's notes, not for a book.
NOTES_MAX_CHARS = 20_000
DECISION_MAX_CHARS = 20_000

NOTES_FORBIDDEN = (
    "Only the meeting's note-taker, its moderator and the retrospective's owner write the meeting's notes, decisions "
    "and roll call. You can read them."
)
APPLY_FORBIDDEN = "Only people who may edit the retrospective mark its decisions applied. You can read them."
READY_FORBIDDEN = "Only the retrospective's owner announces it ready for final approval."
DECISION_TEXT_REQUIRED = "Say what was decided: the change to make, the clarification to add or the disagreement."
DECISION_KIND_REQUIRED = "Choose what kind of decision this is (or clear its text)."
NOTHING_TO_APPLY = "This item has no decision to apply."
REVISION_NOT_HERE = (
    "That revision is not one of this retrospective's: choose a revision of one of its sections (the one that "
    "applied the decision)."
)

# What saving an agenda item locks: the item, its meeting and retrospective (so that a state change waits), not the
# people it joins (PostgreSQL refuses to lock the nullable side of an outer join).
ITEM_LOCK = ("self", "meeting", "meeting__retrospective", "meeting__retrospective__incident")


# --- Reads ------------------------------------------------------------------------------------------------------------


def meeting_of(retrospective: Retrospective) -> Meeting | None:
    """The retrospective's meeting with its roles, or None while nobody has opened its agenda."""
    return (
        Meeting.objects.select_related("note_taker", "moderator", "presenter", "ready_by")
        .filter(retrospective_id=retrospective.pk)
        .first()
    )


def agenda_items_with_notes(meeting: Meeting | None) -> list[AgendaItem]:
    """Every item in order, with what the notes page prints about it (its thread's section, who saved it last and
    the revision that applied its decision): one query however many items."""
    if meeting is None:
        return []
    return list(
        AgendaItem.objects.filter(meeting_id=meeting.pk)
        .select_related("thread__section", "updated_by", "applied_by", "applied_revision__section")
        .order_by("position", "id")
    )


def decisions_of(meeting: Meeting | None) -> list[AgendaItem]:
    """The items where the meeting decided something, in agenda order: the owner's to-do after the meeting."""
    return [item for item in agenda_items_with_notes(meeting) if item.decision]


def attendees_of(meeting: Meeting | None) -> list[Attendee]:
    if meeting is None:
        return []
    return list(meeting.attendees.select_related("user").order_by("-mandatory", "user__username"))


def meeting_has_notes(retrospective: Retrospective) -> bool:
    return AgendaItem.objects.filter(meeting__retrospective_id=retrospective.pk).exclude(notes="", decision="").exists()


def may_write_notes(user: User, retrospective: Retrospective, meeting: Meeting | None) -> bool:
    """The note-taker, the moderator and the owner, provided they may see the incident (a role outlives a change of
    visibility: it gives no access by itself)."""
    if not user.is_authenticated or meeting is None:
        return False
    writers = {meeting.note_taker_id, meeting.moderator_id, retrospective.owner_id} - {None}
    return user.pk in writers and retrospectives_visible_to(user).filter(pk=retrospective.pk).exists()


def may_announce_ready(user: User, retrospective: Retrospective) -> bool:
    """The owner; a retrospective without an owner, anyone who may edit it."""
    if not user.is_authenticated:
        return False
    if retrospective.owner_id is None:
        return can_edit_retrospective(user, retrospective)
    return user.pk == retrospective.owner_id and can_edit_retrospective(user, retrospective)


def meeting_read_only_message(retrospective: Retrospective) -> str | None:
    """Why the notes, decisions and roll call cannot change now, or None while the retrospective is in its meeting."""
    state = retrospective.state
    if state == State.MEETING:
        return None
    if state in (State.DRAFT, State.IN_REVIEW):
        return (
            f"“{retrospective.title}” is not at its meeting yet ({retrospective.get_state_display().lower()}): the "
            "notes, decisions and roll call are written once the feedback is closed and it moves on to the meeting."
        )
    return (
        f"“{retrospective.title}” is {retrospective.get_state_display().lower()}, so its meeting's notes, decisions "
        "and roll call are read-only. Reopening it for review opens them again."
    )


def meeting_started_at(retrospective: Retrospective):
    """When the retrospective last moved to its meeting (None if it never did)."""
    return (
        StateChange.objects.filter(retrospective_id=retrospective.pk, to_state=State.MEETING)
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )


def revision_choices(retrospective: Retrospective, *, since=None, limit: int = 200) -> list[Revision]:
    """The revisions a decision can point at, offered in a list: every section's latest revision, and every revision
    made since the meeting started (`since`), by section order then newest first. Two queries."""
    rows = Revision.objects.filter(section__retrospective_id=retrospective.pk).select_related("section", "created_by")
    latest = list(rows.filter(version=F("section__version")))
    recent = list(rows.filter(created_at__gte=since).order_by("-created_at")[:limit]) if since else []
    chosen = {revision.pk: revision for revision in latest + recent}
    return sorted(chosen.values(), key=lambda r: (r.section.position, -r.version))


@dataclass(frozen=True)
class DecisionProgress:
    total: int
    applied: int

    @property
    def all_applied(self) -> bool:
        return self.applied == self.total


def decision_progress(decisions: list[AgendaItem]) -> DecisionProgress:
    return DecisionProgress(total=len(decisions), applied=sum(1 for d in decisions if d.applied_revision_id))


def meeting_round(retrospective: Retrospective) -> int:
    """How many times the retrospective moved to its meeting: a new round after a reopen announces anew."""
    return max(1, StateChange.objects.filter(retrospective_id=retrospective.pk, to_state=State.MEETING).count())


def ready_announced(meeting: Meeting | None, retrospective: Retrospective) -> bool:
    """Whether readiness was announced in this round of the meeting (not before a reopen)."""
    if meeting is None or meeting.ready_at is None:
        return False
    started = meeting_started_at(retrospective)
    return started is None or meeting.ready_at >= started


# --- Writes -----------------------------------------------------------------------------------------------------------


def _refuse_unless_meeting(retrospective: Retrospective, *, current=None) -> None:
    if message := meeting_read_only_message(retrospective):
        raise ReadOnlyError(message, current=current)


def _require_note_writer(by: User, retrospective: Retrospective, meeting: Meeting) -> None:
    if not may_write_notes(by, retrospective, meeting):
        raise PermissionDenied(NOTES_FORBIDDEN)


def _clean_text(value: str | None) -> str:
    return (value or "").replace("\r\n", "\n").replace("\r", "\n")


def _checked_decision(*, notes: str, decision: str, decision_text: str) -> None:
    errors = {}
    if len(notes) > NOTES_MAX_CHARS:
        errors["notes"] = f"The notes are {len(notes):,} characters long; the limit is {NOTES_MAX_CHARS:,}."
    if decision and decision not in Decision.values:
        errors["decision"] = f"Unknown decision {decision!r}: choose one of {', '.join(Decision.values)}, or none."
    elif decision and not decision_text.strip():
        errors["decision_text"] = DECISION_TEXT_REQUIRED
    elif decision_text.strip() and not decision:
        errors["decision"] = DECISION_KIND_REQUIRED
    if len(decision_text) > DECISION_MAX_CHARS:
        errors["decision_text"] = (
            f"The decision is {len(decision_text):,} characters long; the limit is {DECISION_MAX_CHARS:,}."
        )
    if errors:
        raise ValidationError(errors)


def _unapplied(item: AgendaItem) -> list[str]:
    """Take back the item's "applied" mark (its decision changed, or someone said it is not applied): the meeting is
    no longer ready for approval. Returns the item's fields to save."""
    item.applied_at = item.applied_by = item.applied_revision = None
    Meeting.objects.filter(pk=item.meeting_id).update(ready_at=None, ready_by=None)
    return ["applied_at", "applied_by", "applied_revision"]


@transaction.atomic
def item_notes_save(
    *, item: AgendaItem, notes: str, decision: str, decision_text: str, base_version: int, by: User
) -> AgendaItem:
    """Save one agenda item's notes and decision if nobody saved that item since `base_version` (ConflictError with
    the item as it is otherwise: other items never conflict). A changed decision is no longer marked applied."""
    current = locked(
        AgendaItem.objects.select_related("meeting__retrospective__incident", "updated_by"),
        item.pk,
        of=ITEM_LOCK,
    )
    meeting = current.meeting
    retrospective = meeting.retrospective
    _require_note_writer(by, retrospective, meeting)
    _refuse_unless_meeting(retrospective, current=current)
    notes, decision, decision_text = _clean_text(notes), (decision or "").strip(), _clean_text(decision_text)
    _checked_decision(notes=notes, decision=decision, decision_text=decision_text)
    if current.version != base_version:
        who = current.updated_by.display_name if current.updated_by else "someone else"
        raise ConflictError(
            f"The notes of “{current.title}” were saved by {who} after you started (you edited version "
            f"{base_version}; it is now version {current.version}).",
            current=current,
        )
    if (current.notes, current.decision, current.decision_text) == (notes, decision, decision_text):
        return current
    fields = ["notes", "decision", "decision_text", "version", "updated_by", "updated_at"]
    if (current.decision, current.decision_text) != (decision, decision_text) and current.applied_at:
        fields += _unapplied(current)
    current.notes, current.decision, current.decision_text = notes, decision, decision_text
    current.version += 1
    current.updated_by = by
    current.save(update_fields=fields)
    return current


@transaction.atomic
def roll_call(*, meeting: Meeting, attended: dict[int, bool | None], by: User) -> list[Attendee]:
    """Record who attended (True), who did not (False) and who is not called yet (None), by user id. Someone who was
    not asked is added as attending (an optional attendee) only if they may see the incident; naming anyone else is
    refused, and nothing is recorded."""
    current = locked(Meeting.objects.select_related("retrospective__incident"), meeting.pk)
    retrospective = current.retrospective
    _require_note_writer(by, retrospective, current)
    _refuse_unless_meeting(retrospective)
    for value in attended.values():
        if value not in (True, False, None):
            raise ValidationError({"attended": f"Attended is yes, no or not called yet (null), not {value!r}."})
    listed = {attendee.user_id: attendee for attendee in current.attendees.all()}
    added = [user_id for user_id, value in attended.items() if user_id not in listed and value is True]
    if added:
        incident = retrospective.incident
        people = {
            person.pk: person
            for person in User.objects.filter(pk__in=added, organization_id=incident.organization_id, is_active=True)
        }
        unknown = [user_id for user_id in added if user_id not in people]
        if unknown:
            n = len(unknown)
            raise ValidationError(
                {"attended": f"{n} of the people named {'is' if n == 1 else 'are'} not active in this organization."}
            )
        seeing = visible_pairs((user_id, incident.pk) for user_id in added)
        hidden = sorted(people[user_id].username for user_id in added if (user_id, incident.pk) not in seeing)
        if hidden:
            raise ValidationError(
                {
                    "attended": f"{', '.join('@' + name for name in hidden)} may not see this incident, so they "
                    "cannot be recorded at its meeting: invite them to the incident first."
                }
            )
        Attendee.objects.bulk_create(
            [Attendee(meeting=current, user_id=user_id, mandatory=False, attended=True) for user_id in added]
        )
    changed = []
    for user_id, value in attended.items():
        attendee = listed.get(user_id)
        if attendee is not None and attendee.attended is not value:
            attendee.attended = value
            changed.append(attendee)
    Attendee.objects.bulk_update(changed, ["attended"])
    return attendees_of(current)


@transaction.atomic
def decision_apply(*, item: AgendaItem, revision_id: int | None, by: User) -> AgendaItem:
    """Mark a decision applied by a revision of one of the retrospective's sections (a disagreement too: it is applied
    once written into the write-up), or, with None, not applied."""
    current = locked(
        AgendaItem.objects.select_related("meeting__retrospective__incident", "applied_revision__section"),
        item.pk,
        of=ITEM_LOCK,
    )
    meeting = current.meeting
    retrospective = meeting.retrospective
    if not can_edit_retrospective(by, retrospective):
        raise PermissionDenied(APPLY_FORBIDDEN)
    _refuse_unless_meeting(retrospective)
    if not current.decision:
        raise ValidationError({"decision": NOTHING_TO_APPLY})
    if revision_id is None:
        if current.applied_at is not None:
            current.save(update_fields=[*_unapplied(current), "updated_at"])
        return current
    revision = (
        Revision.objects.filter(pk=revision_id, section__retrospective_id=retrospective.pk)
        .select_related("section")
        .first()
    )
    if revision is None:
        raise ValidationError({"revision": REVISION_NOT_HERE})
    if current.applied_revision_id == revision.pk:
        return current
    current.applied_revision, current.applied_at, current.applied_by = revision, timezone.now(), by
    current.save(update_fields=["applied_at", "applied_by", "applied_revision", "updated_at"])
    return current


@dataclass(frozen=True)
class Announced:
    meeting: Meeting
    notified: list[User]
    already: bool


def _unapplied_message(unapplied: list[AgendaItem]) -> str:
    n = len(unapplied)
    titles = "; ".join(f"“{item.title}”" for item in unapplied[:10]) + ("; …" if n > 10 else "")
    return f"{n} decision{'' if n == 1 else 's'} still to apply: {titles}. Mark each applied by its revision first."


def _team_of(retrospective: Retrospective, meeting: Meeting) -> list[User]:
    people = {
        person.pk: person
        for person in User.objects.filter(is_active=True, memberships__team_id=retrospective.incident.team_id)
    }
    for person in (meeting.moderator, meeting.note_taker):
        if person is not None and person.is_active:
            people.setdefault(person.pk, person)
    return list(people.values())


@transaction.atomic
def meeting_ready(*, meeting: Meeting, by: User) -> Announced:
    """Announce that every decision is applied and the retrospective awaits its final approval: the team's members
    (and the meeting's moderator and note-taker) are notified once per round of the meeting; announcing again in the
    same round changes nothing."""
    current = locked(
        Meeting.objects.select_related("retrospective__incident", "moderator", "note_taker", "ready_by"),
        meeting.pk,
        of=("self", "retrospective", "retrospective__incident"),
    )
    retrospective = current.retrospective
    if not may_announce_ready(by, retrospective):
        raise PermissionDenied(READY_FORBIDDEN)
    _refuse_unless_meeting(retrospective)
    unapplied = list(
        current.items.exclude(decision="").filter(applied_revision__isnull=True).order_by("position", "id")
    )
    if unapplied:
        raise ValidationError({"decisions": _unapplied_message(unapplied)})
    if ready_announced(current, retrospective):
        return Announced(meeting=current, notified=[], already=True)
    current.ready_at, current.ready_by = timezone.now(), by
    current.save(update_fields=["ready_at", "ready_by", "updated_at"])
    decided = current.items.exclude(decision="").count()
    notified = notify(
        recipients=_team_of(retrospective, current),
        kind=Kind.READY_FOR_APPROVAL,
        key=f"meeting:{current.pk}:ready:{meeting_round(retrospective)}",
        title=f"“{retrospective.title}” is ready for its final approval",
        url=f"/retrospectives/{retrospective.pk}/",
        retrospective=retrospective,
        actor=by,
        body=f"{by.display_name} applied the meeting's {decided} decision{'' if decided == 1 else 's'} to the "
        "write-up: someone other than the owner can now approve it.",
    )
    return Announced(meeting=current, notified=notified.sent_to, already=False)
