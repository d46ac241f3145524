"""Imported events read back two ways, to compare two ways of writing them: as the app reads them (the ORM) and as
the database holds them (time text on SQLite, JSON text...). Ids, links and write times are left out."""

from django.db import connection

from retrospector.timeline.models import TimelineEvent

NOT_COMPARED = ("id", "incident", "import_record", "created_at", "updated_at")


def _compared_fields():
    return [f for f in TimelineEvent._meta.concrete_fields if f.name not in NOT_COMPARED]


def read_back(record, *, order_by: tuple[str, ...]) -> list[dict]:
    events = TimelineEvent.objects.filter(import_record=record).order_by(*order_by)
    return list(events.values(*(f.name for f in _compared_fields())))


def stored_columns(record, *, order_by: tuple[str, ...]) -> list[tuple]:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in _compared_fields())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {quote(TimelineEvent._meta.db_table)} "
            f"WHERE import_record_id = %s ORDER BY {', '.join(quote(c) for c in order_by)}",
            [record.pk],
        )
        return cursor.fetchall()
