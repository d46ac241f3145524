"""`make bench` compares the Slack import with a floor that builds the same rows its own lean way: if the importer or
timeline_import changes what they store, the floor must change too, or the comparison means nothing."""

import pytest
from django.db import connection

from bench.slack_generator import generate_export
from bench.timeline import COMPARED_COLUMNS, FLOOR_COLUMNS, floor_rows
from retrospector.importers.base import ImportOptions
from retrospector.importers.registry import parse_source
from retrospector.timeline.models import TimelineEvent
from retrospector.timeline.services import timeline_import

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the floor writes SQLite's text forms")


def test_the_floor_builds_the_rows_the_import_stores(make_incident, people, tmp_path):
    export = generate_export(tmp_path / "export", messages=1500, channels=4, seed=3)
    incident = make_incident()
    record = timeline_import(
        incident=incident,
        by=people["bob"],
        source_type="slack",
        file_name="export",
        events=parse_source("slack", export.folder, ImportOptions()),
    )
    assert record.event_count == export.messages
    table = TimelineEvent._meta.db_table
    with connection.cursor() as cursor:
        # The stored text of each column (CAST: no converting the time back to a datetime on the way out).
        columns = ", ".join(f"CAST({c} AS TEXT)" if c == "occurred_at" else c for c in COMPARED_COLUMNS)
        cursor.execute(
            f"SELECT {columns} FROM {table} WHERE import_record_id = %s ORDER BY source_position", [record.pk]
        )
        stored = [tuple(row) for row in cursor.fetchall()]
    constants = {
        "merged_into_id": None,
        "import_record_id": record.pk,
        "created_by_id": people["bob"].pk,
        "incident_id": incident.pk,
        "created_at": "2026-01-01 00:00:00",
    }
    positions = [FLOOR_COLUMNS.index(column) for column in COMPARED_COLUMNS]
    built = [tuple(row[i] for i in positions) for row in floor_rows(export.folder, constants)]
    assert len(built) == len(stored)
    assert built == stored
