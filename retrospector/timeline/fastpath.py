"""Where the timeline leaves the ORM because a measurement asked for it, each time behind one function that
tests/timeline/test_timeline_fast_paths.py compares with the plain ORM way, field by field, on SQLite and on PostgreSQL
(the suite runs on both). (The timeline checks no longer read their rows through a raw cursor: see timeline_checks.)"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, timedelta

from django.db import connections, models, router
from django.utils import timezone

from retrospector.timeline.models import TimelineEvent

# The fields each row of events_insert_fast gives, in this order; every other field takes the value in `common`, else
# its default (created_at and updated_at: now, as auto_now does).
EVENT_FIELDS = (
    "occurred_at",
    "original_time",
    "original_offset_minutes",
    "actor",
    "actor_kind",
    "text",
    "kind",
    "source_ref",
    "source_url",
    "channel",
    "parent_ref",
    "source_position",
    "key_candidate",
    "edited",
    "hidden",
    "tags",
    "attachments",
)
EVENTS_BATCH = 5_000


def events_insert_fast(*, common: dict, rows: Iterable[tuple]) -> int:
    """Insert timeline events and return how many were inserted. Each row holds the values of EVENT_FIELDS in that
    order (the plain Python values a TimelineEvent takes); `common` holds, by field name, the values every row shares
    (model instances for foreign keys). A row whose (incident, source_type, source_ref) is already stored, or earlier
    in `rows`, is skipped (the model's unique constraint).

    The plain ORM way does the same:
        TimelineEvent.objects.bulk_create([TimelineEvent(**common, **dict(zip(EVENT_FIELDS, row))) for row in rows],
                                          ignore_conflicts=True, batch_size=EVENTS_BATCH)
    but builds a model instance for each event and compiles each of its 27 values: 100,000 events on SQLite took it
    28 s (27.7 s of CPU) where this takes 3.5 s (3.4 s), best of three on a busy 2-core machine; batch sizes from 100 to
    5,000 made no difference to it. This writes plain INSERT ... ON CONFLICT DO NOTHING in batches, with every value
    adapted as the ORM adapts it (the same stored text, JSON and defaults); on SQLite an aware UTC time is written
    straight as the text Django writes for it ("2024-05-01 10:00:00.000200"). One thing is left to the caller: the
    one-line fields (original_time, actor, channel: core.fields.SingleLineField) must come without bidirectional-text
    controls, which the ORM would drop (timeline_import drops them)."""
    connection = connections[router.db_for_write(TimelineEvent)]
    now = timezone.now()
    constants = {}
    for field in TimelineEvent._meta.concrete_fields:
        if field.primary_key or field.name in EVENT_FIELDS:
            continue
        if field.name in common:
            value = common[field.name]
            value = value.pk if isinstance(value, models.Model) else value
        else:
            value = (
                now
                if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
                else field.get_default()
            )
        constants[field.column] = field.get_db_prep_save(value, connection)
    fields = [TimelineEvent._meta.get_field(name) for name in EVENT_FIELDS]
    qn = connection.ops.quote_name
    columns = [field.column for field in fields] + list(constants)
    sql = (
        f"INSERT INTO {qn(TimelineEvent._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) ON CONFLICT DO NOTHING"
    )
    tail = tuple(constants.values())
    occurred, tags, attachments = fields[0], fields[-2], fields[-1]
    assert (occurred.name, tags.name, attachments.name) == ("occurred_at", "tags", "attachments")
    # What Django writes for an aware UTC time on SQLite (naive UTC text) is its isoformat(" ") without "+00:00".
    zone = connection.timezone
    utc_text = connection.vendor == "sqlite" and zone is not None and zone.utcoffset(None) == timedelta(0)
    no_json = tags.get_db_prep_save([], connection)

    def adapted(row: tuple) -> tuple:  # (slices: the cheapest way to a new tuple, a million times)
        at, row_tags, row_attachments = row[0], row[-2], row[-1]
        return (
            (at.isoformat(" ")[:-6] if utc_text and at.tzinfo is UTC else occurred.get_db_prep_save(at, connection),)
            + row[1:-2]
            + (
                tags.get_db_prep_save(row_tags, connection) if row_tags else no_json,
                attachments.get_db_prep_save(row_attachments, connection) if row_attachments else no_json,
            )
            + tail
        )

    inserted = 0
    batch: list[tuple] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(adapted(row))
            if len(batch) >= EVENTS_BATCH:
                cursor.executemany(sql, batch)
                inserted += cursor.rowcount
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            inserted += cursor.rowcount
    return inserted
