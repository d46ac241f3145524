"""The history import's fast ways against its plain ones, on the real postmortems (the suite runs on SQLite and on
PostgreSQL, so both are checked): new files saved together (_save_new_many) store what saving each alone (_save_new)
stores, reading in several processes makes the same report and the same rows as reading here, and the command's run
keeps the report it prints, though stored from its JSON text."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from django.core.management import call_command
from django.db import IntegrityError

from retrospector.actions.models import Recommendation
from retrospector.history import services
from retrospector.history.models import HistoryImport, ImportedWriteup
from retrospector.history.services import compact_entry, history_import, history_options_parse, inputs_from_paths
from retrospector.timeline.models import ImportRecord, TimelineEvent
from retrospector.writeups.models import Revision, Section, StateChange
from tests.importers.history.support import FIXTURES

RECENT = datetime(2026, 1, 1, tzinfo=UTC)  # the real postmortems are all older


def imported(people, *, team, by, workers=1) -> dict:
    options = history_options_parse(by=people[by], team=people[team])
    return history_import(inputs=inputs_from_paths([str(FIXTURES)]), options=options, workers=workers)


def stored(team) -> dict:
    """Every row the import made for `team`, by file, without ids, teams or times of the import."""
    out = {}
    for writeup in ImportedWriteup.objects.filter(team=team).select_related("incident", "retrospective"):
        incident, retrospective = writeup.incident, writeup.retrospective
        out[writeup.source_path] = {
            "writeup": (writeup.checksum, writeup.format, writeup.external_id, writeup.revision),
            "incident": (
                incident.title,
                incident.summary,
                incident.severity.key,
                incident.status,
                incident.visibility,
                # A file without a date is dated at the time of its import: not compared.
                incident.started_at if incident.started_at < RECENT else "at the import",
                incident.resolved_at,
                incident.timeline_version,
                sorted(incident.services.values_list("name", flat=True)),
            ),
            "retrospective": (
                retrospective.title,
                retrospective.state,
                retrospective.owner_id,
                retrospective.imported_from,
            ),
            "state_changes": list(
                StateChange.objects.filter(retrospective=retrospective).values_list("from_state", "to_state", "note")
            ),
            "sections": list(
                Section.objects.filter(retrospective=retrospective)
                .order_by("position")
                .values_list("key", "title", "kind", "required", "guidance", "position", "body", "html", "filled")
            ),
            "revisions": list(
                Revision.objects.filter(section__retrospective=retrospective)
                .order_by("section__position")
                .values_list("version", "body", "note")
            ),
            "records": list(ImportRecord.objects.filter(incident=incident).values_list("file_name", "event_count")),
            "events": list(
                TimelineEvent.objects.filter(incident=incident)
                .order_by("source_position")
                .values_list("occurred_at", "original_time", "original_offset_minutes", "actor", "text", "source_ref")
            ),
            "recommendations": sorted(
                Recommendation.objects.filter(links__retrospective=retrospective).values_list(
                    "title", "description", "kind", "status", "tracker_key", "tracker_url", "changes__reason"
                )
            ),
        }
    return out


def without_links(report) -> list[dict]:
    return [{k: v for k, v in entry.items() if k != "incident"} for entry in report["files"]]


def test_files_saved_together_store_what_files_saved_alone_store(people, monkeypatch):
    together = imported(people, team="payments", by="alice")

    together_saving = services._save_new_many

    def refused_together(items, *args, **kwargs):
        if len(items) > 1:
            raise IntegrityError("saved alone instead")
        return together_saving(items, *args, **kwargs)

    monkeypatch.setattr(services, "_save_new_many", refused_together)  # every file then falls back to _save_new
    alone = imported(people, team="platform", by="charlie")
    assert together["totals"]["imported"] == alone["totals"]["imported"] == 52
    assert without_links(together) == without_links(alone)
    assert stored(people["payments"]) == stored(people["platform"])


def test_reading_in_several_processes_makes_the_same_report_and_rows(people):
    here = imported(people, team="payments", by="alice", workers=1)
    processes = imported(people, team="platform", by="charlie", workers=2)
    assert without_links(here) == without_links(processes)
    assert stored(people["payments"]) == stored(people["platform"])
    again = imported(people, team="platform", by="charlie", workers=2)
    assert again["totals"]["unchanged"] == 52


def test_the_command_prints_each_file_whole_and_keeps_a_short_form_with_its_run(people, tmp_path, client_for):
    folder = tmp_path / "history"
    (folder / "dfds").mkdir(parents=True)
    for path in sorted((FIXTURES / "dfds").glob("PM2021-00*.md"))[:3]:
        (folder / "dfds" / path.name).write_bytes(path.read_bytes())
    out = io.StringIO()
    call_command(
        "history", "import", str(folder), "--team", "payments", "--as-user", "alice", "--format", "json", stdout=out
    )
    printed = json.loads(out.getvalue())
    run = HistoryImport.objects.get(pk=printed.pop("import_id"))
    # The run keeps the totals and a short form of each file (the whole entries were printed as the files were done).
    assert run.report["totals"] == printed["totals"] and printed["totals"]["imported"] == 3
    assert run.report["files"] == [compact_entry(entry) for entry in printed["files"]]
    assert all("sections" in entry["recognised"] for entry in printed["files"])
    page = client_for("alice").get(f"/history/{run.pk}/")  # the run's page reads the short form
    assert page.status_code == 200 and "PM2021-001" in page.content.decode()
    assert run.status == HistoryImport.Status.DONE and run.team == people["payments"]
