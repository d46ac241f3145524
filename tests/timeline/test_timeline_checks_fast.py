"""timeline_checks reads only the events a check can speak about, as plain rows: its findings must be exactly those of
walking every shown event (the implementation it replaced, kept below as the reference)."""

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrospector.timeline.models import ImportRecord, TimelineEvent
from retrospector.timeline.selectors import (
    _LINE_REF,
    MILESTONE_ORDER,
    TimelineFinding,
    _format_offset,
    _line_ref,
    timeline_checks,
)

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)


def reference_checks(incident, *, limit: int = 200) -> list[TimelineFinding]:
    """The walk over every shown event, as timeline_checks did it before."""
    findings: list[TimelineFinding] = []
    fields = (
        "pk",
        "occurred_at",
        "source_type",
        "source_ref",
        "source_url",
        "source_position",
        "import_record_id",
        "original_time",
        "original_offset_minutes",
        "tags",
        "text",
    )
    events = TimelineEvent.objects.filter(incident=incident, hidden=False).only(*fields).order_by("occurred_at", "id")
    last_by_source: dict[tuple, tuple[int, datetime]] = {}
    manual_offsets: dict[int, int] = {}
    milestone_times: dict[str, tuple[datetime, int]] = {}
    for event in events.iterator(chunk_size=2000):
        if len(findings) >= limit:
            break
        match = _LINE_REF.match(event.source_ref) if event.source_type in ("csv", "jsonl") else None
        if match:
            key = (event.import_record_id, match["file"])
            line = int(match["line"])
            previous = last_by_source.get(key)
            if previous and line < previous[0]:
                findings.append(
                    TimelineFinding(
                        "out-of-order",
                        "warning",
                        (
                            f"{match['file']} line {line} comes before line {previous[0]} in the file "
                            "but is shown after it: check the times of both."
                        ),
                        event.pk,
                    )
                )
            if previous is None or line > previous[0]:
                last_by_source[key] = (line, event.occurred_at)
        if event.source_type == "manual" and not event.source_url and not event.source_ref:
            findings.append(
                TimelineFinding(
                    "no-source",
                    "warning",
                    f"“{event.text[:60]}” has no source: link the message, page, alert or log it comes from.",
                    event.pk,
                )
            )
        if event.source_type == "manual":
            if event.original_offset_minutes is None:
                findings.append(
                    TimelineFinding(
                        "time-zone",
                        "warning",
                        f"The time of “{event.text[:60]}” was entered without a time zone.",
                        event.pk,
                    )
                )
            else:
                manual_offsets.setdefault(event.original_offset_minutes, event.pk)
        for tag in event.tags:
            if tag.startswith("milestone:"):
                milestone_times[tag.removeprefix("milestone:")] = (event.occurred_at, event.pk)
    if len(manual_offsets) > 1:
        offsets = ", ".join(_format_offset(o) for o in sorted(manual_offsets))
        findings.append(
            TimelineFinding(
                "time-zone",
                "warning",
                (
                    f"Hand-entered times use several UTC offsets ({offsets}); "
                    "check each was entered in the zone it was written in."
                ),
            )
        )
    ordered = [(name, milestone_times[name]) for name in MILESTONE_ORDER if name in milestone_times]
    for (name_a, (time_a, _)), (name_b, (time_b, pk_b)) in zip(ordered, ordered[1:], strict=False):
        if time_b < time_a:
            findings.append(
                TimelineFinding("milestone-order", "error", f"“{name_b}” is marked before “{name_a}”.", pk_b)
            )
    return findings


REFS = [
    "app.log:{n}",
    "app.log:{n}:9f3c",
    "other.log:{n}:ab",
    "C:\\logs\\x.log:{n}:00ff",
    "a:1:{n}",
    "x:{n}:{n}",
    "deploys.csv#{n}",
    "no line here",
    "",
    "bad:{n}:XYZ",
    "t:{n}\n",
    "ü.log:{n}",
]
TAGS = [
    [],
    [],
    [],
    ["milestone:started"],
    ["milestone:detected"],
    ["milestone:mitigated", "x"],
    ["milestone:resolved"],
    ["MILESTONE:started"],
    ["xmilestone:started"],
    ["other"],
    ["milestone:acknowledged"],
]
TEXTS = ["short", "ünïcödé ✓ " * 12, "line one\nline two", "“quoted” " * 10]


def random_timeline(incident, user, rng: random.Random, size: int) -> None:
    records = [
        ImportRecord.objects.create(incident=incident, source_type=kind, file_name=f"{kind}.log", created_by=user)
        for kind in ("csv", "csv", "jsonl")
    ]
    events, used = [], set()
    for n in range(size):
        source_type = rng.choice(("csv", "csv", "jsonl", "manual", "manual", "slack", "pagerduty"))
        line = n + rng.choice((0, 0, 0, -3, -20, 5))
        ref = "" if source_type == "manual" and rng.random() < 0.6 else rng.choice(REFS).format(n=max(line, 0))
        if ref and (source_type, ref) in used:
            ref = f"{ref}#{n}"  # references are unique per incident and source
        used.add((source_type, ref))
        events.append(
            TimelineEvent(
                incident=incident,
                occurred_at=T0 + timedelta(seconds=rng.randrange(0, size * 3)),  # ties included
                source_type=source_type,
                source_ref=ref,
                source_url="" if rng.random() < 0.5 else "https://example.com/x",
                original_offset_minutes=rng.choice((None, 0, 0, 60, -300)),
                tags=rng.choice(TAGS),
                text=rng.choice(TEXTS) + str(n),
                hidden=rng.random() < 0.1,
                import_record=rng.choice((*records, None)) if source_type in ("csv", "jsonl") else None,
                created_by=user,
            )
        )
    TimelineEvent.objects.bulk_create(events)


@pytest.mark.parametrize("seed", range(8))
def test_the_findings_are_those_of_walking_every_event(make_incident, people, seed):
    rng = random.Random(seed)
    incident = make_incident(title=f"Random timeline {seed}")
    random_timeline(incident, people["bob"], rng, size=rng.choice((40, 150, 400)))
    for limit in (1, 3, 10, 50, 200):
        assert [f.as_dict() for f in timeline_checks(incident, limit=limit)] == [
            f.as_dict() for f in reference_checks(incident, limit=limit)
        ], f"limit {limit}"


def test_milestones_are_read_only_from_events_walked_before_the_limit(make_incident, people):
    incident = make_incident()
    bob = people["bob"]
    TimelineEvent.objects.bulk_create(
        [
            TimelineEvent(
                incident=incident,
                occurred_at=T0 + timedelta(minutes=n),
                source_type="manual",
                text=f"n{n}",
                created_by=bob,
            )
            for n in range(5)
        ]  # ten findings (no source, no zone)
        + [
            TimelineEvent(
                incident=incident, occurred_at=T0 - timedelta(minutes=1), tags=["milestone:resolved"], created_by=bob
            ),
            TimelineEvent(
                incident=incident, occurred_at=T0 + timedelta(hours=1), tags=["milestone:started"], created_by=bob
            ),
        ]
    )
    for limit in (2, 200):
        assert [f.as_dict() for f in timeline_checks(incident, limit=limit)] == [
            f.as_dict() for f in reference_checks(incident, limit=limit)
        ]
    assert timeline_checks(incident, limit=200)[-1].check == "milestone-order"
    assert all(f.check != "milestone-order" for f in timeline_checks(incident, limit=2))


def test_a_timeline_without_logs_or_hand_entered_events_reads_no_event_rows(
    make_incident, people, django_assert_num_queries
):
    incident = make_incident()
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            incident=incident,
            occurred_at=T0 + timedelta(seconds=n),
            source_type="slack",
            source_ref=f"C1/{n}",
            text="chat",
        )
        for n in range(300)
    )
    with django_assert_num_queries(1):
        assert timeline_checks(incident) == []


@given(st.text(alphabet="ab:1290fF.\n xé٣²\ud800", max_size=12))
def test_log_line_references_are_read_as_the_pattern_reads_them(ref):
    match = _LINE_REF.match(ref)
    assert _line_ref(ref) == ((match["file"], int(match["line"])) if match else None)


def test_log_line_references_of_the_importers():
    assert _line_ref("app.log:12") == ("app.log", 12)
    assert _line_ref("app.log:12:9f3c") == ("app.log", 12)
    assert _line_ref("a:1:2") == ("a:1", 2)  # the file name takes all it can, as the pattern's greedy group does
    assert _line_ref("deploys.csv#3") is None
    assert re.fullmatch(r"\d+", "٣") and _line_ref("x:٣") == ("x", 3)
