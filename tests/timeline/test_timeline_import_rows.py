"""timeline_import writes plain INSERTs (a million-message export must not build a million model instances): the rows
it stores must be exactly those the ORM stored, on SQLite and on PostgreSQL alike."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone as django_timezone
from stored_rows import read_back, stored_columns

from retrospector.importers.base import Attachment, ParsedEvent
from retrospector.timeline.models import ImportRecord, TimelineEvent
from retrospector.timeline.services import NothingToImport, timeline_import

T0 = datetime(2026, 5, 4, 14, 0, 0, 123456, tzinfo=UTC)
ORDER = ("source_position",)


def event(n: int, **changes) -> ParsedEvent:
    fields = dict(
        occurred_at=T0 + timedelta(minutes=n),
        original_time=f"1777903200.{n:06d}",
        original_offset_minutes=None,
        actor=f"Person {n}",
        actor_kind="person",
        text=f"message {n}",
        kind="message",
        source_type="slack",
        source_ref=f"C0001/1777903200.{n:06d}",
        source_url=f"https://acme.slack.com/archives/C0001/p1777903200{n:06d}",
        channel="inc-42",
    )
    fields.update(changes)
    return ParsedEvent(**fields)


def varied() -> list[ParsedEvent]:
    """Every kind of value the importers produce, and the edges: cut fields, zones, microseconds, JSON, flags."""
    return [
        event(
            0,
            text='Checkout **errors** — ünïcödé ✓ 🚒\nsecond line <b>not html</b> & "quotes"',
            key_candidate=True,
            tags=("milestone:started", "ünï", 'quote"d'),
            edited=True,
            parent_ref="C0001/1777903100.000001",
            attachments=(
                Attachment(name="graph.png", mimetype="image/png", url="https://files.example.com/g.png?x=1"),
                Attachment(name="ñoño.txt"),
            ),
        ),
        event(1, occurred_at=datetime(2026, 5, 4, 14, 1, tzinfo=UTC)),  # no microseconds
        event(
            2,
            occurred_at=datetime(2026, 5, 4, 16, 2, 3, 5, tzinfo=ZoneInfo("Europe/Paris")),
            original_offset_minutes=120,
        ),
        event(
            3,
            occurred_at=datetime(2026, 5, 4, 19, 33, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            original_offset_minutes=330,
        ),
        event(
            4, occurred_at=datetime(2026, 5, 4, 9, 0, tzinfo=ZoneInfo("America/New_York")), original_offset_minutes=-240
        ),
        event(5, deleted=True, text="", attachments=()),
        event(
            6,
            original_time="t" * 150,
            actor="a" * 300,
            source_ref="r" * 600,
            source_url="https://x.example.com/" + "u" * 2100,
            channel="c" * 250,
            parent_ref="p" * 600,
        ),
        event(
            7,
            actor="Alertmanager",
            actor_kind="system",
            kind="alert_firing",
            source_type="alertmanager",
            text="",
            source_url="",
            channel="",
        ),
        event(8, actor="deploy-bot", actor_kind="bot", kind="deploy", original_offset_minutes=0, tags=("a", "b")),
        event(9, occurred_at=datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), text="x" * 20_000),
    ]


def orm_import(*, incident, by, source_type, file_name, events) -> ImportRecord:
    """What timeline_import did before the plain INSERTs: model instances and bulk_create (no duplicates given)."""
    record = ImportRecord.objects.create(incident=incident, source_type=source_type, file_name=file_name, created_by=by)
    TimelineEvent.objects.bulk_create(
        [
            TimelineEvent(
                incident=incident,
                occurred_at=parsed.occurred_at,
                original_time=parsed.original_time[:100],
                original_offset_minutes=parsed.original_offset_minutes,
                actor=parsed.actor[:200],
                actor_kind=parsed.actor_kind,
                text=parsed.text,
                kind=parsed.kind,
                source_type=source_type,
                source_ref=parsed.source_ref[:500],
                source_url=parsed.source_url[:2000],
                channel=parsed.channel[:200],
                parent_ref=parsed.parent_ref[:500],
                source_position=position,
                key_candidate=parsed.key_candidate,
                edited=parsed.edited,
                hidden=parsed.deleted,
                tags=list(parsed.tags),
                attachments=[a.__dict__ for a in parsed.attachments],
                import_record=record,
                created_by=by,
            )
            for position, parsed in enumerate(events)
        ]
    )
    return record


def test_the_rows_stored_are_those_the_orm_stored(make_incident, people):
    ours_incident, theirs_incident = make_incident(), make_incident(title="The same, through the ORM")
    before = django_timezone.now()
    ours = timeline_import(
        incident=ours_incident, by=people["bob"], source_type="slack", file_name="export.zip", events=varied()
    )
    theirs = orm_import(
        incident=theirs_incident, by=people["bob"], source_type="slack", file_name="export.zip", events=varied()
    )
    assert (ours.event_count, ours.skipped_count) == (10, 0)
    assert read_back(ours, order_by=ORDER) == read_back(theirs, order_by=ORDER)  # field by field, as the app reads them
    assert stored_columns(ours, order_by=ORDER) == stored_columns(
        theirs, order_by=ORDER
    )  # and byte for byte as stored (time text, JSON text)
    rows = TimelineEvent.objects.filter(import_record=ours)
    assert {(e.incident_id, e.created_by_id, e.html, e.version, e.key_event, e.merged_into_id) for e in rows} == {
        (ours_incident.pk, people["bob"].pk, "", 1, False, None)
    }
    assert all(before <= e.created_at == e.updated_at <= django_timezone.now() for e in rows)
    first = rows.get(source_position=0)
    assert first.attachments == [
        {"name": "graph.png", "mimetype": "image/png", "url": "https://files.example.com/g.png?x=1"},
        {"name": "ñoño.txt", "mimetype": "", "url": ""},
    ]
    assert first.tags == ["milestone:started", "ünï", 'quote"d']
    assert rows.get(source_position=2).occurred_at == datetime(2026, 5, 4, 14, 2, 3, 5, tzinfo=UTC)


def test_the_same_reference_twice_in_one_input_is_kept_once(make_incident, people):
    incident = make_incident()
    events = [event(1), event(2, source_ref=event(1).source_ref, text="a later duplicate"), event(3)]
    record = timeline_import(incident=incident, by=people["bob"], source_type="slack", file_name="a.zip", events=events)
    assert (record.event_count, record.skipped_count) == (2, 1)
    assert list(TimelineEvent.objects.filter(incident=incident).values_list("text", "source_position")) == [
        ("message 1", 0),
        ("message 3", 2),
    ]


def test_references_that_differ_only_beyond_what_is_stored_are_the_same_reference(make_incident, people):
    incident = make_incident()
    events = [event(1, source_ref="r" * 500 + "one"), event(2, source_ref="r" * 500 + "two")]
    record = timeline_import(incident=incident, by=people["bob"], source_type="slack", file_name="a.zip", events=events)
    assert (record.event_count, record.skipped_count) == (1, 1)  # it used to fail the whole import (IntegrityError)
    with pytest.raises(NothingToImport) as nothing:  # both are already there: no empty import is recorded
        timeline_import(incident=incident, by=people["bob"], source_type="slack", file_name="a.zip", events=events)
    assert nothing.value.read == 2 and ImportRecord.objects.filter(incident=incident).count() == 1


def test_events_without_a_reference_are_all_kept(make_incident, people):
    # The uniqueness is on references; an event without one is never "already there"
    # (it used to drop all but the first).
    incident = make_incident()
    record = timeline_import(
        incident=incident,
        by=people["bob"],
        source_type="csv",
        file_name="a.csv",
        events=[event(1, source_ref=""), event(2, source_ref="")],
    )
    assert (record.event_count, record.skipped_count) == (2, 0)


def test_the_same_reference_from_another_source_or_incident_is_not_a_duplicate(make_incident, people):
    first, second = make_incident(), make_incident(title="Another")
    timeline_import(incident=first, by=people["bob"], source_type="slack", file_name="a.zip", events=[event(1)])
    other_source = timeline_import(
        incident=first, by=people["bob"], source_type="jsonl", file_name="a.jsonl", events=[event(1)]
    )
    other_incident = timeline_import(
        incident=second, by=people["bob"], source_type="slack", file_name="a.zip", events=[event(1)]
    )
    assert (other_source.event_count, other_incident.event_count) == (1, 1)


def test_an_import_writes_in_batches_with_a_constant_number_of_queries(
    make_incident, people, django_assert_max_num_queries
):
    from retrospector.timeline.fastpath import EVENTS_BATCH

    incident = make_incident()
    many = [event(n) for n in range(3 * EVENTS_BATCH + 1)]
    with django_assert_max_num_queries(15):
        record = timeline_import(
            incident=incident, by=people["bob"], source_type="slack", file_name="a.zip", events=many
        )
    assert record.event_count == len(many)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo"])
def test_times_are_stored_in_utc_whatever_zone_they_came_in(make_incident, people, zone):
    incident = make_incident()
    when = datetime(2026, 5, 4, 23, 30, tzinfo=ZoneInfo(zone))
    timeline_import(
        incident=incident, by=people["bob"], source_type="slack", file_name="a.zip", events=[event(1, occurred_at=when)]
    )
    stored = TimelineEvent.objects.get(incident=incident).occurred_at
    assert stored == when and stored.utcoffset() == timedelta(0)
