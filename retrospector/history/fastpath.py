"""Where the history import leaves the ORM because a measurement asked for it: rows_insert, checked against the plain
ORM way by tests/history/test_history_import_fast.py (files saved together against files saved alone with
bulk_create, on SQLite and on PostgreSQL)."""

from __future__ import annotations

from django.db import connections, router
from django.utils import timezone


def rows_insert(model, rows: list[dict]) -> list[int]:
    """Insert `rows` (each {field name: value}, the same names in every row; a foreign key's value is the id) and
    return their ids, in order. Every other field takes its default (auto_now and auto_now_add fields: now). Values
    are prepared as the ORM prepares them (get_db_prep_save: a one-line field drops its bidirectional controls, JSON
    is dumped...).

    The plain ORM way, model.objects.bulk_create([model(**row) for row in rows]), builds an instance for each row and
    compiles each of its values into the statement: for the sections, revisions and action items of 2,000 write-ups
    that was about half of the saving. This writes multi-row INSERT ... RETURNING (SQLite 3.35+, PostgreSQL), as
    bulk_create does, in batches within the database's parameter limit."""
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    names = list(rows[0])
    given = [opts.get_field(name) for name in names]
    named = {field.name for field in given}
    now = timezone.now()
    rest = [field for field in opts.concrete_fields if not field.primary_key and field.name not in named]
    for field in rest:
        if field.has_default() and callable(field.default):  # one value a row: the caller gives it
            raise ValueError(f"rows_insert: give {opts.label}.{field.name} in every row (its default is made per row)")
    constants = tuple(
        field.get_db_prep_save(
            now if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) else field.get_default(),
            connection,
        )
        for field in rest
    )
    quote = connection.ops.quote_name
    columns = [field.column for field in given] + [field.column for field in rest]
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    head = f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(c) for c in columns)}) VALUES "
    tail = f" RETURNING {quote(opts.pk.column)}"
    per_batch = max(1, (connection.features.max_query_params or 32_000) // len(columns))
    prepare = [(name, field.get_db_prep_save) for name, field in zip(names, given, strict=True)]
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_batch):
            batch = rows[start : start + per_batch]
            params: list = []
            for row in batch:
                params.extend(save(row[name], connection) for name, save in prepare)
                params.extend(constants)
            cursor.execute(head + ", ".join([one] * len(batch)) + tail, params)
            ids.extend(row[0] for row in cursor.fetchall())
    return ids
