"""events_insert_fast writes plain INSERTs instead of building model instances: from the same input, the rows it stores
must be those the plain ORM way (bulk_create with ignore_conflicts) stores, field by field and as stored, with the same
rows skipped. The suite runs on SQLite and on PostgreSQL (DATABASE_URL), so this is checked on both."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone as django_timezone
from stored_rows import read_back, stored_columns

from retrospector.timeline import fastpath
from retrospector.timeline.fastpath import EVENT_FIELDS, events_insert_fast
from retrospector.timeline.models import ImportRecord, TimelineEvent

T0 = datetime(2026, 5, 4, 14, 0, 0, 123456, tzinfo=UTC)
ORDER = ("occurred_at", "text")
ALREADY = "C0001/already-there"


def orm_insert(*, common: dict, rows: list[tuple]) -> int:
    """The plain ORM way that events_insert_fast stands for."""
    TimelineEvent.objects.bulk_create(
        [TimelineEvent(**common, **dict(zip(EVENT_FIELDS, row, strict=True))) for row in rows],
        ignore_conflicts=True,
        batch_size=fastpath.EVENTS_BATCH,
    )
    return TimelineEvent.objects.filter(import_record=common["import_record"]).count()


def row(n: int, **changes) -> tuple:
    values = dict(
        occurred_at=T0 + timedelta(minutes=n),
        original_time=f"1777903200.{n:06d}",
        original_offset_minutes=None,
        actor=f"Person {n}",
        actor_kind="person",
        text=f"message {n}",
        kind="message",
        source_ref=f"C0001/1777903200.{n:06d}",
        source_url=f"https://acme.slack.com/archives/C0001/p1777903200{n:06d}",
        channel="inc-42",
        parent_ref="",
        source_position=n,
        key_candidate=False,
        edited=False,
        hidden=False,
        tags=[],
        attachments=[],
    )
    values.update(changes)
    return tuple(values[name] for name in EVENT_FIELDS)


def varied_rows() -> list[tuple]:
    """Times in several zones and precisions, unicode, JSON of every shape, NULLs, empty references, and conflicts."""
    return [
        row(
            0,
            text="Checkout **errors** — ünïcödé ✓ 🚒\nsecond line <b>not html</b> & \"quotes\" 'single' \\ back",
            tags=["milestone:started", "ünï", 'quote"d', "🚒"],
            key_candidate=True,
            edited=True,
            parent_ref="C0001/1777903100.000001",
            attachments=[
                {"name": "graph.png", "mimetype": "image/png", "url": "https://files.example.com/g.png?x=1&y=2"},
                {"name": "ñoño.txt", "mimetype": "", "url": ""},
            ],
        ),
        row(1, occurred_at=datetime(2026, 5, 4, 14, 1, tzinfo=UTC)),  # no microseconds
        row(
            2,
            occurred_at=datetime(2026, 5, 4, 16, 2, 3, 5, tzinfo=ZoneInfo("Europe/Paris")),
            original_offset_minutes=120,
        ),
        row(
            3,
            occurred_at=datetime(2026, 5, 4, 19, 33, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            original_offset_minutes=330,
        ),
        row(
            4,
            occurred_at=datetime(2026, 5, 4, 9, 0, 0, 999999, tzinfo=ZoneInfo("America/New_York")),
            original_offset_minutes=-240,
        ),
        row(5, occurred_at=datetime(2026, 5, 4, 14, 5, 0, 1, tzinfo=ZoneInfo("UTC"))),  # UTC, but not datetime.UTC
        row(
            6,
            occurred_at=datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            text="x" * 20_000,
            actor="",
            channel="",
        ),
        row(7, hidden=True, text="", source_url="", original_time=""),
        row(8, source_ref="", source_position=None, original_offset_minutes=0),  # no reference: never a conflict
        row(9, source_ref="", actor_kind="bot", kind="deploy"),
        row(10, tags={"nested": [1, None, 2.5, True, "é"]}, attachments=[None, {"url": None}]),  # JSON with nulls
        row(11, source_ref=ALREADY, text="already on the timeline: skipped"),
        row(12, source_ref=row(0)[EVENT_FIELDS.index("source_ref")], text="earlier in the input: skipped"),
        row(13, actor="Alertmanager", actor_kind="system", kind="alert_firing", edited=True, key_candidate=True),
    ]


@pytest.fixture
def two_imports(make_incident, people):
    """Two incidents, each with the same event already on its timeline, and an import record on each."""

    def make(by):
        commons = []
        for title in ("Fast", "ORM"):
            incident = make_incident(title=title)
            TimelineEvent.objects.create(
                incident=incident, occurred_at=T0, text="by hand", source_type="slack", source_ref=ALREADY
            )
            TimelineEvent.objects.create(
                incident=incident,
                occurred_at=T0,
                text="other source",
                source_type="csv",
                source_ref=row(1)[EVENT_FIELDS.index("source_ref")],
            )
            record = ImportRecord.objects.create(
                incident=incident, source_type="slack", file_name="export.zip", created_by=by
            )
            commons.append({"incident": incident, "source_type": "slack", "import_record": record, "created_by": by})
        return commons

    return make


@pytest.mark.parametrize("batch", [fastpath.EVENTS_BATCH, 4])  # 4: conflicts fall in other batches than their first
@pytest.mark.parametrize("author", ["bob", None])
def test_the_fast_insert_stores_what_bulk_create_stores(two_imports, people, monkeypatch, batch, author):
    monkeypatch.setattr(fastpath, "EVENTS_BATCH", batch)
    fast, orm = two_imports(people[author] if author else None)
    before = django_timezone.now()
    inserted = events_insert_fast(common=fast, rows=iter(varied_rows()))
    expected = orm_insert(common=orm, rows=varied_rows())
    after = django_timezone.now()

    assert inserted == expected == len(varied_rows()) - 2  # the reference already there, and the repeated one
    assert TimelineEvent.objects.filter(import_record=fast["import_record"]).count() == inserted
    assert read_back(fast["import_record"], order_by=ORDER) == read_back(
        orm["import_record"], order_by=ORDER
    )  # field by field, as the app reads them
    assert stored_columns(fast["import_record"], order_by=ORDER) == stored_columns(
        orm["import_record"], order_by=ORDER
    )  # and as stored
    rows = list(TimelineEvent.objects.filter(import_record=fast["import_record"]))
    assert {
        (e.incident_id, e.source_type, e.created_by_id, e.html, e.version, e.key_event, e.merged_into_id) for e in rows
    } == {(fast["incident"].pk, "slack", people[author].pk if author else None, "", 1, False, None)}
    assert all(before <= e.created_at == e.updated_at <= after for e in rows)
    kept = TimelineEvent.objects.filter(import_record=fast["import_record"])
    assert not kept.filter(text__contains="skipped").exists()
    assert kept.get(source_position=2).occurred_at == datetime(2026, 5, 4, 14, 2, 3, 5, tzinfo=UTC)
    assert kept.get(source_position=4).occurred_at == datetime(2026, 5, 4, 13, 0, 0, 999999, tzinfo=UTC)
    assert kept.get(source_position=10).tags == {"nested": [1, None, 2.5, True, "é"]}
    assert kept.get(source_position=None).original_offset_minutes == 0


def test_the_fast_insert_of_nothing_inserts_nothing(two_imports):
    fast, _ = two_imports(None)
    assert events_insert_fast(common=fast, rows=iter(())) == 0
    assert events_insert_fast(common=fast, rows=iter([row(11, source_ref=ALREADY)])) == 0
