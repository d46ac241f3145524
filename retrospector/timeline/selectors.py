"""Reads of an incident's timeline: cursor pages in display order, and the timeline checks."""

from __future__ import annotations

import base64
import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Case, F, Q, QuerySet, TextField, When
from django.db.models.functions import Cast, Left

from retrospector.core.untrusted import utc_in_range
from retrospector.incidents.models import MOMENTS, Incident
from retrospector.timeline.models import TimelineEvent

GAP_THRESHOLD = timedelta(minutes=30)
MAX_ID = 2**63 - 1  # the largest id a row can have (a signed 64-bit integer, on SQLite and PostgreSQL)


def encode_cursor(event: TimelineEvent) -> str:
    return encode_position(event.occurred_at, event.pk)


def encode_position(when: datetime, pk: int) -> str:
    """A cursor for the position (time, id): a page `after` it starts with the first event after that position."""
    raw = f"{when.isoformat()}|{pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, pk = raw.split("|")
        moment = datetime.fromisoformat(when)
        if moment.tzinfo is None or not 1 <= int(pk) <= MAX_ID:
            return None
        utc_in_range(moment)  # 0001-01-01T00:00:00+01:00 is before the first instant a database can hold
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
    text: str = "",
) -> QuerySet[TimelineEvent]:
    """The incident's events in display order (time, then id). The incident must already be permission-checked.
    `text` keeps events whose text or actor contains it (any case)."""
    events = TimelineEvent.objects.filter(incident=incident)
    if text:
        events = events.filter(Q(text__icontains=text) | Q(actor__icontains=text))
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


def timeline_window(
    events: QuerySet[TimelineEvent], *, after: str = "", before: str = "", limit: int = 100
) -> tuple[list[TimelineEvent], str | None, str | None]:
    """One page of `events` (in display order): the first, the one after the cursor `after`, the one just before
    the cursor `before`, or, given both, the first page of the events between the two (a window: its next cursor,
    passed as `after` with the same `before`, reads on towards `before`). Returns (events, next cursor or None,
    previous cursor or None); the previous cursor is that of a page's first event, to read what comes before it.
    ValidationError names the cursor that is not one of ours."""
    positions = {}
    for name, cursor in (("after", after), ("before", before)):
        if cursor:
            positions[name] = decode_cursor(cursor)
            if positions[name] is None:
                raise ValidationError({name: "Not a cursor from this API; start without one."})
    if "before" in positions:
        when, pk = positions["before"]
        events = events.filter(Q(occurred_at__lt=when) | Q(occurred_at=when, pk__lt=pk))
    if "after" in positions:
        when, pk = positions["after"]
        events = events.filter(Q(occurred_at__gt=when) | Q(occurred_at=when, pk__gt=pk))
    if before and not after:
        earlier = events.order_by("-occurred_at", "-id")
        rows = list(earlier[: limit + 1])
        more_before = len(rows) > limit
        rows = rows[:limit][::-1]
        # There is a later page: the event the cursor names, at least.
        return rows, encode_cursor(rows[-1]) if rows else None, encode_cursor(rows[0]) if rows and more_before else None
    rows = list(events[: limit + 1])
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    rows = rows[:limit]
    # After a cursor there is an earlier page: the event the cursor names, at least.
    return rows, next_cursor, encode_cursor(rows[0]) if after and rows else None


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


def timeline_rows(
    events: list[TimelineEvent],
    zone,
    *,
    previous: TimelineEvent | None = None,
    gap_threshold: timedelta = GAP_THRESHOLD,
) -> list[TimelineRow]:
    rows = []
    last = previous
    for event in events:
        local = event.occurred_at.astimezone(zone)
        last_local = last.occurred_at.astimezone(zone) if last else None
        gap = event.occurred_at - last.occurred_at if last else None
        rows.append(
            TimelineRow(
                event=event,
                local=local,
                new_day=last_local is None or last_local.date() != local.date(),
                gap_before=gap if gap is not None and gap > gap_threshold else None,
            )
        )
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
    """Problems a reviewer would want fixed before the timeline is trusted.

    The findings are those of walking every shown event in time order, up to `limit`; but only the events a check can
    speak about are read (lines of imported logs, events entered by hand, events tagged as a milestone), as plain rows:
    a timeline of 20,000 chat messages and alerts costs a few rows, not 20,000 model instances."""
    candidates = (
        TimelineEvent.objects.filter(incident=incident, hidden=False)
        .annotate(tags_text=Cast("tags", output_field=TextField()))
        # Tags are read as text: a superset (LIKE ignores case on SQLite), refined below.
        .filter(Q(source_type__in=("csv", "jsonl", "manual")) | Q(tags_text__contains="milestone:"))
        .annotate(
            manual_text=Case(When(source_type="manual", then=Left("text", 60)), default=None, output_field=TextField()),
            some_tags=Case(When(~Q(tags=[]), then=F("tags_text")), default=None, output_field=TextField()),
        )
        .order_by("occurred_at", "id")
        .values_list(
            "pk",
            "source_type",
            "source_ref",
            "source_url",
            "import_record_id",
            "original_offset_minutes",
            "manual_text",
            "some_tags",
        )
    )
    findings: list[TimelineFinding] = []
    max_line_by_source: dict[tuple, int] = {}
    manual_offsets: dict[int, int] = {}
    milestone_candidates: list[int] = []
    # The ORM's rows: a raw cursor on the compiled query saved only about 0.4 µs a row (20,000 log lines: 8 ms, paid
    # once per timeline version, see timeline_summary).
    for pk, source_type, source_ref, source_url, import_record_id, offset, text, tags in candidates.iterator(
        chunk_size=2000
    ):
        if len(findings) >= limit:
            break
        # 1. Out of order relative to the source: within one line-oriented file, a later line with an earlier time.
        parsed = _line_ref(source_ref) if source_type == "csv" or source_type == "jsonl" else None
        if parsed is not None:
            key = (import_record_id, parsed[0])
            line = parsed[1]
            previous = max_line_by_source.get(key)
            if previous is not None and line < previous:
                findings.append(
                    TimelineFinding(
                        "out-of-order",
                        "warning",
                        f"{parsed[0]} line {line} comes before line {previous} in the file but is shown after it: "
                        "check the times of both.",
                        pk,
                    )
                )
            if previous is None or line > previous:
                max_line_by_source[key] = line
        elif source_type == "manual":
            # 2. Events without a source.
            if not source_url and not source_ref:
                findings.append(
                    TimelineFinding(
                        "no-source",
                        "warning",
                        f"“{text}” has no source: link the message, page, alert or log it comes from.",
                        pk,
                    )
                )
            # 3. Hand-entered times: missing or mixed zones.
            if offset is None:
                findings.append(
                    TimelineFinding(
                        "time-zone", "warning", f"The time of “{text}” was entered without a time zone.", pk
                    )
                )
            else:
                manual_offsets.setdefault(offset, pk)
        if tags is not None and "milestone:" in (tags if isinstance(tags, str) else str(tags)):
            milestone_candidates.append(pk)
    # 4. Milestones, from the events walked above that may carry one (read by primary key: usually none or a few).
    milestone_times: dict[str, tuple[datetime, int]] = {}
    tagged: dict[int, tuple] = {}
    for start in range(0, len(milestone_candidates), 500):
        chunk = milestone_candidates[start : start + 500]
        tagged.update(
            (pk, (when, tags))
            for pk, when, tags in TimelineEvent.objects.filter(pk__in=chunk).values_list("pk", "occurred_at", "tags")
        )
    for pk in milestone_candidates:  # in display order
        occurred_at, tags = tagged.get(pk, (None, None))  # (None: deleted meanwhile)
        for tag in tags if isinstance(tags, (list, dict)) else ():
            if isinstance(tag, str) and tag.startswith("milestone:"):
                milestone_times[tag.removeprefix("milestone:")] = (occurred_at, pk)
    if len(manual_offsets) > 1:
        offsets = ", ".join(_format_offset(o) for o in sorted(manual_offsets))
        findings.append(
            TimelineFinding(
                "time-zone",
                "warning",
                f"Hand-entered times use several UTC offsets ({offsets}); "
                "check each was entered in the zone it was written in.",
            )
        )
    ordered = [(name, milestone_times[name]) for name in MILESTONE_ORDER if name in milestone_times]
    for (name_a, (time_a, _)), (name_b, (time_b, pk_b)) in zip(ordered, ordered[1:], strict=False):
        if time_b < time_a:
            findings.append(
                TimelineFinding("milestone-order", "error", f"“{name_b}” is marked before “{name_a}”.", pk_b)
            )
    return findings


@dataclass(frozen=True)
class TimelineSummary:
    findings: list[TimelineFinding]
    shown: int  # events not hidden


def timeline_summary(incident: Incident) -> TimelineSummary:
    """The checks and the count of shown events: both read the whole timeline (20,000 events cost tens of
    milliseconds), so they are cached until the timeline next changes. The key holds the incident's timeline_version,
    which every timeline write bumps in its own transaction: a reader that sees the new number also sees the new
    events, and each process of a multi-server install computes a version at most once."""
    key = f"timeline-summary:{incident.pk}:{incident.created_at.timestamp()}:{incident.timeline_version}"
    summary = cache.get(key)
    if summary is None:
        summary = TimelineSummary(
            findings=timeline_checks(incident),
            shown=TimelineEvent.objects.filter(incident=incident, hidden=False).count(),
        )
        cache.set(key, summary, timeout=24 * 3600)
    return summary


def timeline_people(incident: Incident) -> list[str]:
    """The people acting in an incident's timeline (its events' actors of kind person: names typed by hand, and the
    names and chat handles imports brought), for the write-up checks. One query, cached until the timeline next changes
    (the key holds timeline_version, as timeline_summary's does): the editor asks on every pause in typing."""
    key = f"timeline-people:{incident.pk}:{incident.created_at.timestamp()}:{incident.timeline_version}"
    names = cache.get(key)
    if names is None:
        names = sorted(
            TimelineEvent.objects.filter(incident=incident, actor_kind=TimelineEvent.ActorKind.PERSON)
            .exclude(actor="")
            .order_by()  # the model's ordering would make DISTINCT keep a row per event
            .values_list("actor", flat=True)
            .distinct()
        )
        cache.set(key, names, timeout=24 * 3600)
    return names


_HEX = frozenset("0123456789abcdef")


def _line_ref(ref: str) -> tuple[str, int] | None:
    """(file, line) of a log line's source_ref ("app.log:12" or "app.log:12:9f3c"), as _LINE_REF reads it, without the
    regex in the common case (a long log has thousands of lines to read on every page view)."""
    if ref.isascii() and "\n" not in ref:
        head, colon, last = ref.rpartition(":")
        if colon and head and last.isdigit():
            return head, int(last)
        if colon and last and _HEX.issuperset(last):
            file, colon, line = head.rpartition(":")
            if colon and file and line.isdigit():
                return file, int(line)
        return None
    match = _LINE_REF.match(ref)
    return (match["file"], int(match["line"])) if match else None


def _format_offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"
