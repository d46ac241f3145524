"""Every write to an incident's timeline: events by hand and in bulk, merges, milestones, imports and their undo."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from retrospector.accounts.models import User
from retrospector.core.errors import ConflictError, locked
from retrospector.core.markdown import markdown_size_error, render_markdown
from retrospector.core.shortcuts import all_visible_or_404
from retrospector.core.text import single_line, strip_bidi_controls
from retrospector.core.untrusted import utc_in_range
from retrospector.incidents.models import MOMENTS, Incident
from retrospector.incidents.selectors import can_edit_incident
from retrospector.incidents.services import incident_update
from retrospector.timeline.fastpath import events_insert_fast
from retrospector.timeline.models import ImportRecord, TimelineEvent

MAX_EVENT_TEXT = 20_000
BULK_ACTIONS = ("hide", "show", "key", "unkey", "delete")
TIMELINE_EDIT_FORBIDDEN = "Only members of the incident's team can change its timeline."
EVENT_NOT_ON_INCIDENT = "No such event on this incident."


def _require_editor(by: User, incident: Incident) -> None:
    if not can_edit_incident(by, incident):
        raise PermissionDenied(TIMELINE_EDIT_FORBIDDEN)


def _events_of(incident: Incident, event_ids: Iterable[int]) -> list[int]:
    """The distinct ids when each is an event of `incident`; Http404 naming the others otherwise (another incident's
    events answer as if they did not exist, seen by the caller or not), so bulk writes never reach them."""
    return all_visible_or_404(TimelineEvent.objects.filter(incident=incident), event_ids, message=EVENT_NOT_ON_INCIDENT)


def _timeline_changed(incident_id: int) -> None:
    """Every write below calls this inside its transaction: what is cached from the whole timeline (checks, counts;
    see timeline_selectors.timeline_summary) is keyed by this number, so the next read computes it afresh."""
    Incident.objects.filter(pk=incident_id).update(timeline_version=F("timeline_version") + 1)


def _utc_time(occurred_at: datetime | None, missing: str) -> datetime:
    """An event's time in UTC: it has a zone and can be shown in every zone (core.untrusted.utc_in_range). Stored in
    UTC: PostgreSQL refuses offsets beyond ±15:59, which RFC 3339 allows (the offset as written is kept apart)."""
    if occurred_at is None or occurred_at.tzinfo is None:
        raise ValidationError({"occurred_at": missing})
    try:
        return utc_in_range(occurred_at)
    except ValueError as exc:
        raise ValidationError({"occurred_at": f"This time {exc}."}) from None


def _clean_text(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_EVENT_TEXT:
        raise ValidationError({"text": f"An event's text is limited to {MAX_EVENT_TEXT:,} characters."})
    if error := markdown_size_error(text):
        raise ValidationError({"text": error})
    return text


def event_add(
    *,
    incident: Incident,
    by: User,
    occurred_at: datetime,
    text: str,
    actor: str = "",
    actor_kind: str = TimelineEvent.ActorKind.PERSON,
    kind: str = TimelineEvent.Kind.NOTE,
    source_url: str = "",
    source_ref: str = "",
    original_time: str = "",
    original_offset_minutes: int | None = None,
    key_event: bool = False,
    tags: Iterable[str] = (),
) -> TimelineEvent:
    _require_editor(by, incident)
    occurred_at = _utc_time(occurred_at, "Give the time with its zone (or pick the zone it was written in).")
    text = _clean_text(text)
    if not text:
        raise ValidationError({"text": "Say what happened."})
    event = TimelineEvent(
        incident=incident,
        occurred_at=occurred_at,
        text=text,
        html=render_markdown(text),
        actor=single_line(actor)[:200],
        actor_kind=actor_kind,
        kind=kind,
        source_type="manual",
        source_url=(source_url or "").strip(),
        source_ref=(source_ref or "").strip()[:500],
        original_time=strip_bidi_controls(original_time or "")[:100],
        original_offset_minutes=original_offset_minutes,
        key_event=key_event,
        tags=sorted({t.strip()[:50] for t in tags if t.strip()}),
        created_by=by,
    )
    event.full_clean(exclude=["incident", "created_by", "merged_into", "import_record"])
    if (
        event.source_ref
        and TimelineEvent.objects.filter(incident=incident, source_type="manual", source_ref=event.source_ref).exists()
    ):
        raise ValidationError({"source_ref": "Another event already cites this source reference."})
    with transaction.atomic():
        event.save()
        _timeline_changed(incident.pk)
    return event


EDITABLE = (
    "occurred_at",
    "text",
    "actor",
    "actor_kind",
    "kind",
    "source_url",
    "key_event",
    "hidden",
    "tags",
    "original_time",
    "original_offset_minutes",
)


@transaction.atomic
def event_update(*, event: TimelineEvent, by: User, base_version: int | None = None, **changes) -> TimelineEvent:
    current = locked(TimelineEvent.objects.select_related("incident"), event.pk)
    _require_editor(by, current.incident)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "This field cannot be changed."})
    if base_version is not None and current.version != base_version:
        raise ConflictError(
            f"This event was changed by someone else (you edited version {base_version}; "
            f"it is now version {current.version}).",
            current=current,
        )
    if "text" in changes:
        changes["text"] = _clean_text(changes["text"])
        if not changes["text"]:
            raise ValidationError({"text": "Say what happened."})
        changes["html"] = render_markdown(changes["text"])
    if "occurred_at" in changes:
        changes["occurred_at"] = _utc_time(changes["occurred_at"], "Give the time with its zone.")
    for field, value in changes.items():
        setattr(current, field, value)
    current.version += 1
    current.full_clean(exclude=["incident", "created_by", "merged_into", "import_record"])
    current.save()
    _timeline_changed(current.incident_id)
    return current


@transaction.atomic
def event_delete(*, event: TimelineEvent, by: User) -> None:
    _require_editor(by, event.incident)
    event.delete()
    _timeline_changed(event.incident_id)


@transaction.atomic
def events_bulk(*, incident: Incident, by: User, event_ids: Iterable[int], action: str) -> int:
    """Hide, show, mark as key event, unmark or delete many events at once; returns how many changed."""
    _require_editor(by, incident)
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": f"Unknown action {action!r}; use one of {', '.join(BULK_ACTIONS)}."})
    events = TimelineEvent.objects.filter(incident=incident, pk__in=_events_of(incident, event_ids))
    if action == "delete":
        changed = events.delete()[0]
    else:
        field, value = {
            "hide": ("hidden", True),
            "show": ("hidden", False),
            "key": ("key_event", True),
            "unkey": ("key_event", False),
        }[action]
        changed = events.update(**{field: value, "updated_at": timezone.now()})
    if changed:
        _timeline_changed(incident.pk)
    return changed


@transaction.atomic
def events_merge(
    *, incident: Incident, by: User, duplicate_ids: Iterable[int], keep_id: int | None = None
) -> TimelineEvent:
    """Keep one event; the duplicates are hidden and point to it (nothing is lost). Without `keep_id`, the earliest
    of `duplicate_ids` (by time, then id) is kept. Every id must be an event of `incident` (Http404 otherwise)."""
    _require_editor(by, incident)
    duplicate_ids = list(duplicate_ids)
    _events_of(incident, duplicate_ids if keep_id is None else [keep_id, *duplicate_ids])
    events = TimelineEvent.objects.filter(incident=incident)
    if keep_id is None:
        keep = events.filter(pk__in=duplicate_ids).order_by("occurred_at", "id").first()
    else:
        keep = events.filter(pk=keep_id).first()
    if keep is None:
        raise ValidationError({"keep": "Pick the event to keep."})
    duplicate_ids = [i for i in duplicate_ids if i != keep.pk]
    if not duplicate_ids:
        raise ValidationError({"duplicates": "Pick at least one other event to merge into it."})
    TimelineEvent.objects.filter(incident=incident, pk__in=duplicate_ids).update(
        merged_into=keep, hidden=True, updated_at=timezone.now()
    )
    if TimelineEvent.objects.filter(incident=incident, pk__in=duplicate_ids, key_event=True).exists():
        keep.key_event = True
        keep.save(update_fields=["key_event", "updated_at"])
    _timeline_changed(incident.pk)
    return keep


@transaction.atomic
def milestone_set_from_event(*, event: TimelineEvent, by: User, moment: str) -> Incident:
    """Use an event's time as one of the incident's key moments (started, detected, ...)."""
    if moment not in MOMENTS:
        raise ValidationError({"moment": f"Unknown moment {moment!r}; use one of {', '.join(MOMENTS)}."})
    incident = incident_update(incident=event.incident, by=by, **{moment: event.occurred_at})
    tag = f"milestone:{moment.removesuffix('_at')}"
    # The moment now comes from this event: take the tag off any event that carried it before.
    for other in (
        TimelineEvent.objects.filter(incident=incident, key_event=True).exclude(pk=event.pk).only("pk", "tags")
    ):
        if tag in other.tags:
            other.tags = [t for t in other.tags if t != tag]
            other.save(update_fields=["tags", "updated_at"])
    if tag not in event.tags:
        event.tags = sorted({*event.tags, tag})
        event.key_event = True
        event.save(update_fields=["tags", "key_event", "updated_at"])
    _timeline_changed(incident.pk)
    incident.refresh_from_db(fields=["timeline_version"])
    return incident


MAX_GAP_MINUTES = 7 * 24 * 60


def timeline_display_set(*, incident: Incident, by: User, time_zone: str, seconds: bool, gap_minutes: int) -> Incident:
    """How the timeline is shown to everyone: its zone ("" for each viewer's own), seconds or not, and how long a
    quiet period must be to be marked."""
    import zoneinfo

    _require_editor(by, incident)
    if time_zone:
        try:
            zoneinfo.ZoneInfo(time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError(
                {"time_zone": f"Unknown time zone {time_zone!r}; use a name such as Europe/Paris."}
            ) from None
    if not 1 <= gap_minutes <= MAX_GAP_MINUTES:
        raise ValidationError({"gap_minutes": f"Give between 1 and {MAX_GAP_MINUTES:,} minutes (a week)."})
    Incident.objects.filter(pk=incident.pk).update(
        timeline_time_zone=time_zone, timeline_seconds=seconds, timeline_gap_minutes=gap_minutes
    )
    incident.timeline_time_zone, incident.timeline_seconds, incident.timeline_gap_minutes = (
        time_zone,
        seconds,
        gap_minutes,
    )
    return incident


class NothingToImport(ValidationError):
    """An import that would add no event, refused: it would leave an import record (with an Undo that undoes nothing)
    on the timeline. `read` is how many events the input held (all already on the timeline when there were some)."""

    def __init__(self, *, file_name: str, read: int):
        self.read = read
        if read:
            every = "the one event" if read == 1 else f"all {read:,} events"
            verb = "is" if read == 1 else "are"
            message = f"Nothing new in {file_name}: {every} in it {verb} already on the timeline."
        else:
            message = f"{file_name} holds no events to import (none matched the channels and times asked for)."
        super().__init__({"file": message})


@transaction.atomic
def timeline_import(
    *, incident: Incident, by: User, source_type: str, file_name: str, events: Iterable
) -> ImportRecord:
    """Save parsed events all-or-nothing. Events whose source reference is already on the timeline (or earlier in the
    same input) are skipped, so importing the same file twice adds nothing. Any exception from the parser rolls
    everything back. An input that adds nothing raises NothingToImport, and no import is recorded.

    Written by events_insert_fast (no model instances: a million-message export must not take minutes); the
    (incident, source_type, source_ref) unique constraint does the skipping, so memory does not grow with the
    timeline."""
    _require_editor(by, incident)
    record = ImportRecord.objects.create(
        incident=incident, source_type=source_type, file_name=file_name[:300], created_by=by
    )
    total = 0

    def rows():  # in the order of EVENT_FIELDS (hidden is the event's `deleted`)
        nonlocal total
        for position, parsed in enumerate(events):
            total += 1
            attachments = parsed.attachments
            yield (
                parsed.occurred_at,
                strip_bidi_controls(parsed.original_time)[:100],  # (the ORM's SingleLineField would; this is SQL)
                parsed.original_offset_minutes,
                strip_bidi_controls(parsed.actor)[:200],
                parsed.actor_kind,
                parsed.text,
                parsed.kind,
                parsed.source_ref[:500],
                parsed.source_url[:2000],
                strip_bidi_controls(parsed.channel)[:200],
                parsed.parent_ref[:500],
                position,
                bool(parsed.key_candidate),
                bool(parsed.edited),
                bool(parsed.deleted),
                list(parsed.tags),
                [a.__dict__ for a in attachments] if attachments else [],
            )

    added = events_insert_fast(
        common={"incident": incident, "source_type": source_type, "import_record": record, "created_by": by},
        rows=rows(),
    )
    if not added:  # rolled back with the transaction: no empty import to undo
        raise NothingToImport(file_name=file_name, read=total)
    record.event_count = added
    record.skipped_count = total - added
    record.save(update_fields=["event_count", "skipped_count"])
    _timeline_changed(incident.pk)
    return record


@transaction.atomic
def import_undo(*, record: ImportRecord, by: User) -> int:
    _require_editor(by, record.incident)
    if record.undone_at is not None:
        raise ValidationError({"import": "This import was already undone."})
    removed = TimelineEvent.objects.filter(import_record=record).delete()[0]
    _timeline_changed(record.incident_id)
    record.undone_at = timezone.now()
    record.undone_by = by
    record.save(update_fields=["undone_at", "undone_by"])
    return removed
