"""Reads of an incident's timeline: cursor pages in display order, and the timeline checks."""

from __future__ import annotations

import base64
import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from .models import MOMENTS, Incident, TimelineEvent

GAP_THRESHOLD = timedelta(minutes=30)


def encode_cursor(event: TimelineEvent) -> str:
    raw = f"{event.occurred_at.isoformat()}|{event.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, pk = raw.split("|")
        moment = datetime.fromisoformat(when)
        if moment.tzinfo is None:
            return None
        return moment, int(pk)
    except (ValueError, UnicodeDecodeError):
        return None


def timeline_events(
    *,
    incident: Incident,
    since: datetime | None = None,
    until: datetime | None = None,
    kinds: list[str] | None = None,
    sources: list[str] | None = None,
    include_hidden: bool = False,
    key_only: bool = False,
) -> QuerySet[TimelineEvent]:
    """The incident's events in display order (time, then id). The incident must already be permission-checked."""
    events = TimelineEvent.objects.filter(incident=incident)
    if not include_hidden:
        events = events.filter(hidden=False)
    if key_only:
        events = events.filter(key_event=True)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lte=until)
    if kinds:
        events = events.filter(kind__in=kinds)
    if sources:
        events = events.filter(source_type__in=sources)
    return events.order_by("occurred_at", "id")


def timeline_page(events: QuerySet[TimelineEvent], *, after: str = "", limit: int = 100) -> tuple[list[TimelineEvent], str | None]:
    """One page after the cursor; returns (events, next cursor or None)."""
    if after:
        position = decode_cursor(after)
        if position is None:
            from django.core.exceptions import ValidationError

            raise ValidationError({"after": "Not a cursor from this API; start without one."})
        when, pk = position
        events = events.filter(Q(occurred_at__gt=when) | Q(occurred_at=when, pk__gt=pk))
    rows = list(events[: limit + 1])
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def display_zone(incident: Incident, viewer) -> zoneinfo.ZoneInfo:
    name = incident.timeline_time_zone or getattr(viewer, "time_zone", "") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


@dataclass
class TimelineRow:
    event: TimelineEvent
    local: datetime
    new_day: bool  # the date must be shown: first row, or a different day than the row before
    gap_before: timedelta | None  # a quiet period longer than the threshold before this row


def timeline_rows(events: list[TimelineEvent], zone, *, previous: TimelineEvent | None = None,
                  gap_threshold: timedelta = GAP_THRESHOLD) -> list[TimelineRow]:
    rows = []
    last = previous
    for event in events:
        local = event.occurred_at.astimezone(zone)
        last_local = last.occurred_at.astimezone(zone) if last else None
        gap = event.occurred_at - last.occurred_at if last else None
        rows.append(TimelineRow(
            event=event, local=local, new_day=last_local is None or last_local.date() != local.date(),
            gap_before=gap if gap is not None and gap > gap_threshold else None,
        ))
        last = event
    return rows


@dataclass(frozen=True)
class TimelineFinding:
    check: str  # out-of-order, no-source, time-zone, milestone-order
    severity: str  # warning or error
    message: str
    event_id: int | None = None

    def as_dict(self) -> dict:
        return {"check": self.check, "severity": self.severity, "message": self.message, "event_id": self.event_id}


_LINE_REF = re.compile(r"^(?P<file>.+):(?P<line>\d+)(?::[0-9a-f]+)?$")
MILESTONE_ORDER = [m.removesuffix("_at") for m in MOMENTS]


def timeline_checks(incident: Incident, *, limit: int = 200) -> list[TimelineFinding]:
    """Problems a reviewer would want fixed before the timeline is trusted."""
    findings: list[TimelineFinding] = []
    fields = ("pk", "occurred_at", "source_type", "source_ref", "source_url", "source_position", "import_record_id",
              "original_time", "original_offset_minutes", "tags", "text")
    events = TimelineEvent.objects.filter(incident=incident, hidden=False).only(*fields).order_by("occurred_at", "id")
    last_by_source: dict[tuple, tuple[int, datetime]] = {}
    manual_offsets: dict[int, int] = {}
    milestone_times: dict[str, tuple[datetime, int]] = {}
    for event in events.iterator(chunk_size=2000):
        if len(findings) >= limit:
            break
        # 1. Out of order relative to the source: within one line-oriented file, a later line with an earlier time.
        match = _LINE_REF.match(event.source_ref) if event.source_type in ("csv", "jsonl") else None
        if match:
            key = (event.import_record_id, match["file"])
            line = int(match["line"])
            previous = last_by_source.get(key)
            if previous and line < previous[0]:
                findings.append(TimelineFinding(
                    "out-of-order", "warning",
                    f"{match['file']} line {line} comes before line {previous[0]} in the file but is shown after it: "
                    "check the times of both.", event.pk))
            if previous is None or line > previous[0]:
                last_by_source[key] = (line, event.occurred_at)
        # 2. Events without a source.
        if event.source_type == "manual" and not event.source_url and not event.source_ref:
            findings.append(TimelineFinding("no-source", "warning",
                                            f"“{event.text[:60]}” has no source: link the message, page, alert or log it comes from.", event.pk))
        # 3. Hand-entered times: missing or mixed zones.
        if event.source_type == "manual":
            if event.original_offset_minutes is None:
                findings.append(TimelineFinding("time-zone", "warning",
                                                f"The time of “{event.text[:60]}” was entered without a time zone.", event.pk))
            else:
                manual_offsets.setdefault(event.original_offset_minutes, event.pk)
        # 4. Milestones.
        for tag in event.tags:
            if tag.startswith("milestone:"):
                milestone_times[tag.removeprefix("milestone:")] = (event.occurred_at, event.pk)
    if len(manual_offsets) > 1:
        offsets = ", ".join(_format_offset(o) for o in sorted(manual_offsets))
        findings.append(TimelineFinding("time-zone", "warning",
                                        f"Hand-entered times use several UTC offsets ({offsets}); check each was entered in the zone it was written in."))
    ordered = [(name, milestone_times[name]) for name in MILESTONE_ORDER if name in milestone_times]
    for (name_a, (time_a, _)), (name_b, (time_b, pk_b)) in zip(ordered, ordered[1:]):
        if time_b < time_a:
            findings.append(TimelineFinding("milestone-order", "error", f"“{name_b}” is marked before “{name_a}”.", pk_b))
    return findings


def _format_offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def key_events_markdown(incident: Incident, zone) -> str:
    """The curated key events as a Markdown table, for a retrospective's timeline section."""
    events = timeline_events(incident=incident, key_only=True).only(
        "occurred_at", "actor", "text", "source_url", "source_type", "source_ref")
    header = f"| Time ({zone.key}) | Event | Source |\n|---|---|---|"
    rows = []
    for event in events:
        local = event.occurred_at.astimezone(zone)
        text = " ".join(event.text.split()).replace("|", "\\|")
        if event.actor:
            text = f"{event.actor.replace('|', '/')}: {text}"
        source = f"[{event.source_type}]({event.source_url})" if event.source_url else (event.source_ref.replace("|", "/") or "—")
        rows.append(f"| {local:%Y-%m-%d %H:%M:%S} | {text[:500]} | {source} |")
    return "\n".join([header, *rows])
