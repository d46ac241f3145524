"""The fast path of the index's rebuild for the kinds that come by the hundred thousand (incidents, sections, timeline
events): one INSERT ... SELECT per slice of ids, computed by the database, instead of a model per row. It writes what
insights.indexing's builders write (a test compares the two on both databases), with the same cleaning: the marks'
characters taken out, titles cut at 400 characters, bodies at BODY_MAX_CHARS, links as `reverse` makes them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection
from django.urls import reverse
from django.utils import timezone

from retrospector.incidents.models import Incident
from retrospector.insights.models import BODY_MAX_CHARS, MARK_END, MARK_START, SearchDoc
from retrospector.timeline.models import TimelineEvent
from retrospector.writeups.models import Retrospective, Section

Kind = SearchDoc.Kind
SLICE = 20_000  # ids per statement: the progress moves, and no statement runs for minutes
SENTINEL = 987654321
DOCS, INCIDENTS, EVENTS = SearchDoc._meta.db_table, Incident._meta.db_table, TimelineEvent._meta.db_table
RETROSPECTIVES, SECTIONS = Retrospective._meta.db_table, Section._meta.db_table
COLUMNS = (
    "kind, object_id, organization_id, incident_id, retrospective_id, team_id, title, body, context, url, "
    "occurred_at, updated_at"
)


def _clean(expression: str, limit: int) -> str:
    """SQL for indexing._clean: the marks' characters (and NUL, which PostgreSQL text cannot hold) out, then cut."""
    cleaned = f"replace(replace({expression}, %s, ''), %s, '')"
    if connection.vendor == "sqlite":
        cleaned = f"replace({cleaned}, char(0), '')"
    return f"substr({cleaned}, 1, {limit})"


def _clean_params() -> list[str]:
    return [MARK_START, MARK_END]


def _url(name: str, id_column: str) -> tuple[str, list[str]]:
    """SQL for reverse(name, args=[id]) + what follows: the path around a sentinel id, the id put in its place."""
    prefix, suffix = reverse(name, args=[SENTINEL]).split(str(SENTINEL))
    return f"(%s || CAST({id_column} AS TEXT) || %s)", [prefix, suffix]


def _context() -> tuple[str, list[str]]:
    return _clean("('#' || CAST(i.id AS TEXT) || ' ' || i.title)", 400), _clean_params()


def _incident_statement() -> tuple[str, list]:
    url, url_params = _url("incident_detail", "i.id")
    sql = (
        f"INSERT INTO {DOCS} ({COLUMNS}) "
        f"SELECT %s, i.id, i.organization_id, i.id, NULL, i.team_id, {_clean('i.title', 400)}, "
        f"{_clean('i.summary', BODY_MAX_CHARS)}, '', {url}, i.started_at, %s "
        f"FROM {INCIDENTS} i WHERE i.id >= %s AND i.id < %s"
    )
    return sql, [Kind.INCIDENT.value, *_clean_params(), *_clean_params(), *url_params]


def _section_statement() -> tuple[str, list]:
    url, url_params = _url("retrospective_detail", "r.id")
    context, context_params = _context()
    # Python's str.strip() as near as SQL gets: spaces, tabs and line ends (a body of other blanks only is indexed).
    blank = (
        "trim(s.body, ' ' || char(9) || char(10) || char(13))"
        if connection.vendor == "sqlite"
        else ("btrim(s.body, E' \\t\\n\\r')")
    )
    sql = (
        f"INSERT INTO {DOCS} ({COLUMNS}) "
        f"SELECT %s, s.id, i.organization_id, i.id, r.id, i.team_id, {_clean('s.title', 400)}, "
        f"{_clean('s.body', BODY_MAX_CHARS)}, {context}, ({url} || '#section-' || s.key), i.started_at, %s "
        f"FROM {SECTIONS} s JOIN {RETROSPECTIVES} r ON r.id = s.retrospective_id "
        f"JOIN {INCIDENTS} i ON i.id = r.incident_id "
        f"WHERE s.id >= %s AND s.id < %s AND s.body IS NOT NULL AND {blank} <> ''"
    )
    return sql, [Kind.SECTION.value, *_clean_params(), *_clean_params(), *context_params, *url_params]


def _event_statement() -> tuple[str, list]:
    url, url_params = _url("incident_timeline", "i.id")
    context, context_params = _context()
    sql = (
        f"INSERT INTO {DOCS} ({COLUMNS}) "
        f"SELECT %s, e.id, i.organization_id, i.id, NULL, i.team_id, {_clean('e.actor', 400)}, "
        f"{_clean('e.text', BODY_MAX_CHARS)}, {context}, ({url} || '#event-' || CAST(e.id AS TEXT)), i.started_at, %s "
        f"FROM {EVENTS} e JOIN {INCIDENTS} i ON i.id = e.incident_id "
        "WHERE e.id >= %s AND e.id < %s"
    )
    return sql, [Kind.EVENT.value, *_clean_params(), *_clean_params(), *context_params, *url_params]


REBUILD_MAINTENANCE_WORK_MEM = "256MB"


@contextmanager
def without_secondary_indexes() -> Iterator[None]:
    """On PostgreSQL, inside the caller's transaction: the index table's secondary indexes (the GIN over the tsvector,
    the btrees) and its unique and foreign key constraints dropped, then made again as they were, each in one pass
    (with more memory for this transaction), after what runs inside. Writing 800,000 rows through them, and a
    deferred check per row and key, cost more than the rows themselves; the foreign keys are checked again when they
    are added back (one join each), and the drop is undone with the transaction if anything fails. Readers of the
    table wait for the transaction. Nothing on SQLite (the FTS5 table is written by the triggers)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype IN ('u', 'f') ORDER BY contype DESC, conname",
            [DOCS],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid) "
            "ORDER BY c.relname",
            [DOCS],
        )
        indexes = cursor.fetchall()
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{REBUILD_MAINTENANCE_WORK_MEM}'")
        # A table's constraints cannot change while checks deferred to the commit are pending (the caller's writes,
        # of this table or one it refers to): those checks made now, every later one at once until the end.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, _ in constraints:
            cursor.execute(f"ALTER TABLE {DOCS} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        for _, definition in indexes:
            cursor.execute(definition)
        for name, definition in reversed(constraints):
            cursor.execute(f"ALTER TABLE {DOCS} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # back as Django declares its foreign keys (initially deferred)


STATEMENTS: dict[str, Callable[[], tuple[str, list]]] = {
    Kind.INCIDENT: _incident_statement,
    Kind.SECTION: _section_statement,
    Kind.EVENT: _event_statement,
}


ALIASES = {Kind.INCIDENT: "i", Kind.SECTION: "s", Kind.EVENT: "e"}  # the statement's name for the kind's table
ADD_CHUNK = 500  # ids per statement when adding (each is a parameter of its own)


def index_rows_add_in_sql(kind: str, ids: list[int]) -> int:
    """Index rows for these things just made (none of them in the index yet), in the caller's transaction: the
    rebuild's statement limited to `ids` (a bulk import's batch). Returns the rows written (an empty section has
    none)."""
    sql, params = STATEMENTS[kind]()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    ids = sorted(set(ids))
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(ids), ADD_CHUNK):
            part = ids[start : start + ADD_CHUNK]
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(f"{sql} AND {ALIASES[kind]}.id IN ({marks})", [*params, now, part[0], part[-1] + 1, *part])
            written += max(cursor.rowcount, 0)
    return written


def reindex_kind_in_sql(kind: str, ids: list[int], progress: Callable[[str, int, int], None] | None = None) -> int:
    """Rewrite every index row of `kind` (its rows deleted, then made again from `ids`, the sorted ids of its table),
    in the caller's transaction. Returns the rows written."""
    sql, params = STATEMENTS[kind]()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    written = 0
    SearchDoc.objects.filter(kind=kind).delete()
    with connection.cursor() as cursor:
        for start in range(0, len(ids), SLICE):
            part = ids[start : start + SLICE]
            cursor.execute(sql, [*params, now, part[0], part[-1] + 1])  # updated_at, then the slice's ids
            written += max(cursor.rowcount, 0)
            if progress:
                progress(kind, min(start + SLICE, len(ids)), len(ids))
    return written
