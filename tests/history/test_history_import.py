"""Bringing a history in: past postmortems saved as closed incidents with done, read-only write-ups, their timelines
and their action items as recommendations; each file whole or not at all; the same file again changes nothing; a
changed one updates its write-up with new revisions. The real postmortems of tests/fixtures/postmortems/history."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from retrospector.actions.models import Recommendation
from retrospector.history import services
from retrospector.history.models import ImportedWriteup
from retrospector.history.report import file_lines, totals_lines
from retrospector.history.services import history_import, history_options_parse, inputs_from_paths, mapping_parse
from retrospector.incidents.models import Incident
from retrospector.incidents.selectors import incidents_visible_to
from retrospector.insights.search import search
from retrospector.timeline.models import TimelineEvent
from retrospector.writeups.models import Retrospective, Revision, Section
from retrospector.writeups.services import retrospective_transition
from tests.importers.history.support import FIXTURES
from tests.importers.history.test_history_real_postmortems import EXPECTED

FORMATS = FIXTURES.parent / "history-formats"


def run(people, paths, *, by="alice", team="payments", **options):
    parsed = history_options_parse(by=people[by], team=people[team], **options)
    return history_import(inputs=inputs_from_paths([str(p) for p in paths]), options=parsed)


def by_source(report) -> dict:
    return {entry["source"]: entry for entry in report["files"]}


def copy_files(tmp_path, *relative):
    for rel in relative:
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / rel, target)
    return tmp_path


def test_every_real_postmortem_imports_with_its_title_dates_sections_events_and_action_items(people, committing):
    with committing():
        report = run(people, [FIXTURES])
    entries = by_source(report)
    totals = report["totals"]
    assert (totals["imported"], totals["skipped"], totals["files"]) == (52, 4, 56)  # the 4 skipped: the licences
    assert all(entries[name]["outcome"] == "skipped" for name in entries if "LICENSE" in name)
    for rel, incident_id, title, start, _end, template, matched, extra, _events, timed, actions, _problems in EXPECTED:
        entry = entries[rel]
        assert entry["outcome"] == "imported", rel
        writeup = ImportedWriteup.objects.select_related("incident", "retrospective").get(source_path=rel)
        incident, retrospective = writeup.incident, writeup.retrospective
        assert incident.title == title and retrospective.title == title
        assert writeup.external_id == (incident_id or "")
        assert incident.status == Incident.Status.CLOSED and incident.team == people["payments"]
        if start is not None and " " in start:
            assert incident.started_at == datetime.strptime(start, "%Y-%m-%d %H:%M %z"), rel
        elif start is not None:
            assert incident.started_at.date().isoformat() == start, rel
        assert retrospective.state == Retrospective.State.DONE and retrospective.template_version.template.key == (
            template or "postmortem"
        )
        assert (entry["recognised"]["sections_matched"], entry["recognised"]["sections_extra"]) == (matched, extra)
        template_keys = {spec["key"] for spec in retrospective.template_version.sections}
        saved = list(retrospective.sections.all())
        extra_saved = [s for s in saved if s.key not in template_keys and s.key != "introduction"]
        assert len(extra_saved) == extra, rel
        assert len([s for s in saved if s.key in template_keys]) <= matched + 1  # + the text before the first heading
        assert all(s.revisions.count() == 1 for s in saved)
        assert TimelineEvent.objects.filter(incident=incident, source_type="history").count() == timed, rel
        recommendations = Recommendation.objects.filter(links__retrospective=retrospective)
        assert recommendations.count() == actions, rel
    # Found by search once committed: a word of a real write-up's section.
    reader = people["charlie"]
    found = search(user=reader, query="starvation")
    assert found.counts.get("section", 0) >= 1


def test_importing_the_same_folder_again_changes_nothing(people, committing, tmp_path):
    folder = copy_files(tmp_path, *(row[0] for row in EXPECTED[:6]))
    with committing():
        first = run(people, [folder])
    counts = (
        Incident.objects.count(),
        Section.objects.count(),
        Revision.objects.count(),
        TimelineEvent.objects.count(),
    )
    recommendations = Recommendation.objects.count()
    with committing():
        again = run(people, [folder])
    assert first["totals"]["imported"] == 6
    assert again["totals"]["unchanged"] == 6 and again["totals"]["imported"] == 0
    assert (
        Incident.objects.count(),
        Section.objects.count(),
        Revision.objects.count(),
        TimelineEvent.objects.count(),
    ) == counts
    assert Recommendation.objects.count() == recommendations
    # The same files uploaded from elsewhere (another folder name) are known by their checksum.
    moved = tmp_path / "elsewhere"
    shutil.copytree(folder / "dfds", moved)
    assert run(people, [moved])["totals"]["unchanged"] == 6
    # Two copies of one file in one import: the second is the first.
    twin = tmp_path / "twins"
    twin.mkdir()
    new = "# Fresh\n\nDate: 2024-01-02\n\n## Summary\n\nx\n"
    (twin / "a.md").write_text(new, encoding="utf-8")
    (twin / "b.md").write_text(new, encoding="utf-8")
    entries = by_source(run(people, [twin]))
    assert (entries["a.md"]["outcome"], entries["b.md"]["outcome"]) == ("imported", "unchanged")
    assert "a.md" in entries["b.md"]["note"]
    assert Incident.objects.filter(title="Fresh").count() == 1


def test_a_changed_file_updates_its_write_up_with_a_new_revision(people, tmp_path, committing):
    rel = "dfds/PM2019-010 - Hellman Kubernetes cluster node deletion.md"
    folder = copy_files(tmp_path, rel)
    path = folder / rel
    with committing():
        run(people, [folder])
    writeup = ImportedWriteup.objects.get(source_path=rel)
    events_before = TimelineEvent.objects.filter(incident=writeup.incident).count()
    recommendations_before = Recommendation.objects.filter(links__retrospective=writeup.retrospective).count()
    text = path.read_text(encoding="utf-8")
    changed = text.replace("## Summary", "## Summary\n\nA sentence added after the meeting.", 1)
    changed += "\n- [ ] Add an alert on node deletions\n"
    path.write_text(changed, encoding="utf-8")
    with committing():
        report = run(people, [folder])
    assert by_source(report)[rel]["outcome"] == "updated"
    writeup.refresh_from_db()
    assert writeup.revision == 2
    summary = writeup.retrospective.sections.get(key="summary")
    assert "A sentence added after the meeting." in summary.body
    assert summary.version == 2
    assert list(summary.revisions.values_list("version", flat=True)) == [2, 1]
    assert "changed" in summary.revisions.first().note
    untouched = writeup.retrospective.sections.exclude(key__in=["summary", "action-items"])
    assert all(s.version == 1 for s in untouched)
    assert TimelineEvent.objects.filter(incident=writeup.incident).count() == events_before
    titles = Recommendation.objects.filter(links__retrospective=writeup.retrospective).values_list("title", flat=True)
    assert len(titles) == recommendations_before + 1 and "Add an alert on node deletions" in titles
    assert Incident.objects.filter(imported_writeups__isnull=False).count() == 1
    assert search(user=people["alice"], query="meeting sentence").counts.get("section") == 1


def test_a_file_that_fails_while_saved_leaves_nothing_and_the_others_import(people, tmp_path, monkeypatch):
    names = [row[0] for row in EXPECTED[:3]]
    folder = copy_files(tmp_path, *names)
    real_many = services._save_recommendations_many

    def failing_many(retrospectives, plans, by, team):
        # Files in a row are saved together first: one failing file rolls all of them back, then each is saved alone.
        if any("PM2019-010" in r.imported_from for r in retrospectives):
            raise IntegrityError("the database refused a row")
        return real_many(retrospectives, plans, by, team)

    monkeypatch.setattr(services, "_save_recommendations_many", failing_many)
    report = run(people, [folder])
    entries = by_source(report)
    assert [entries[n]["outcome"] for n in names] == ["imported", "skipped", "imported"]
    assert "could not be saved" in entries[names[1]]["problems"][-1]["message"]
    assert not ImportedWriteup.objects.filter(source_path=names[1]).exists()
    assert not Incident.objects.filter(title="Hellman Kubernetes cluster node deletion").exists()
    assert not TimelineEvent.objects.filter(source_ref__startswith=names[1]).exists()
    assert Incident.objects.count() == 2


def test_a_section_over_the_size_limit_skips_its_file_whole(people, tmp_path):
    (tmp_path / "huge.md").write_text("# Huge\n\n## Summary\n\n" + "word " * 260_000, encoding="utf-8")
    (tmp_path / "small.md").write_text("# Small\n\nDate: 2021-03-04\n\n## Summary\n\nFine.\n", encoding="utf-8")
    report = run(people, [tmp_path])
    entries = by_source(report)
    assert entries["huge.md"]["outcome"] == "skipped"
    assert "the limit is" in entries["huge.md"]["problems"][-1]["message"]
    assert entries["small.md"]["outcome"] == "imported"
    assert list(Incident.objects.values_list("title", flat=True)) == ["Small"]


def test_undecodable_text_is_skipped_naming_its_file_and_byte_offset(people, tmp_path):
    (tmp_path / "latin.md").write_bytes("# Panne\n\nLe service était arrêté.\n".encode("latin-1"))
    entry = by_source(run(people, [tmp_path]))["latin.md"]
    assert entry["outcome"] == "skipped"
    problem = entry["problems"][0]
    assert "latin.md" in problem["message"] and problem["offset"] == 20 and "(line 3)" in problem["message"]
    assert not Incident.objects.exists()


def test_a_dry_run_saves_nothing_and_says_what_would_happen(people):
    report = run(people, [FIXTURES / "learningequality"], dry_run=True)
    assert report["dry_run"] is True
    assert report["totals"]["would import"] == 4 and report["totals"]["imported"] == 0
    assert not Incident.objects.exists() and not Recommendation.objects.exists()
    entry = next(e for e in report["files"] if e["source"] == "004-sushibar-certificate-expired.md")
    assert entry["recognised"]["events"] > 0 and entry["checks"]["count"] >= 0
    assert any("time zone" in p["message"] for p in entry["problems"])


def test_only_members_of_the_team_import_its_history(people):
    for name in ("dana", "erin", "charlie"):  # a viewer, someone in no team, a member of another team
        with pytest.raises(PermissionDenied):
            history_options_parse(by=people[name], team=people["payments"])
    assert history_options_parse(by=people["oscar"], team=people["payments"]).team == people["payments"]
    assert history_options_parse(by=people["bob"], team=people["payments"]).team == people["payments"]


def test_a_private_history_is_seen_by_its_team_only(people, committing):
    with committing():
        run(people, [FIXTURES / "rust-lang-blog"], visibility="private")
    assert incidents_visible_to(people["bob"]).count() == 8
    assert incidents_visible_to(people["charlie"]).count() == 0
    assert search(user=people["charlie"], query="crates").counts == {}
    assert search(user=people["bob"], query="crates").counts


def test_imported_write_ups_are_done_and_cannot_be_reopened(people):
    run(people, [FIXTURES / "rust-lang-blog" / "docsrs-outage-postmortem.md"])
    retrospective = Retrospective.objects.get()
    assert retrospective.state == Retrospective.State.DONE
    with pytest.raises((ValidationError, PermissionDenied)) as refused:
        retrospective_transition(
            retrospective=retrospective, to_state=Retrospective.State.IN_REVIEW, by=people["alice"], note="again"
        )
    assert "imported from a file" in str(refused.value)


def test_the_options_are_checked_with_the_field_named(people):
    with pytest.raises(ValidationError) as bad_zone:
        history_options_parse(by=people["alice"], team=people["payments"], tz="Mars/Olympus")
    assert "tz" in bad_zone.value.message_dict
    with pytest.raises(ValidationError) as bad_key:
        mapping_parse("template: postmortem\ncolumns: {}\n", name="map.yaml")
    assert "map.yaml" in bad_key.value.message_dict["mapping"][0] and "'columns'" in str(bad_key.value)
    with pytest.raises(ValidationError) as bad_yaml:
        mapping_parse("sections: [\n", name="map.yaml")
    assert "map.yaml line" in bad_yaml.value.message_dict["mapping"][0]
    with pytest.raises(ValidationError) as bad_date:
        mapping_parse("fields: {started_at: 2021-02-30}\n", name="map.yaml")
    assert "map.yaml: a value cannot be read" in bad_date.value.message_dict["mapping"][0]
    with pytest.raises(ValidationError) as unknown_template:
        history_options_parse(by=people["alice"], team=people["payments"], mapping_text="template: nothing-like-it\n")
    assert "nothing-like-it" in str(unknown_template.value)


def test_a_mapping_file_overrides_what_is_read(people, tmp_path):
    (tmp_path / "notes.md").write_text("# Notes\n\n## Stats\n\nLatency up.\n", encoding="utf-8")
    mapping = (
        "template: postmortem\nsections: {Stats: impact}\n"
        "fields: {severity: SEV1, services: [api, web], started_at: 2021-06-22 08:21}\n"
    )
    run(people, [tmp_path], mapping_text=mapping, tz="Europe/Paris")
    incident = Incident.objects.get()
    assert incident.severity.key == "SEV1"
    assert sorted(incident.services.values_list("name", flat=True)) == ["api", "web"]
    assert incident.started_at == datetime(2021, 6, 22, 6, 21, tzinfo=UTC)
    assert incident.retrospectives.get().sections.get(key="impact").body == "Latency up."


def test_a_severity_the_organization_lacks_is_reported_and_the_least_severe_used(people, tmp_path):
    (tmp_path / "a.md").write_text("# A\n\nSeverity: Catastrophic\nDate: 2021-01-02\n\n## Summary\n\nx\n")
    (tmp_path / "b.md").write_text("# B\n\nSeverity: P1\nDate: 2021-01-03\n\n## Summary\n\ny\n")
    report = by_source(run(people, [tmp_path]))
    assert Incident.objects.get(title="B").severity.rank == 1
    lowest = Incident.objects.get(title="A").severity
    assert lowest.rank == max(lowest.organization.severity_levels.values_list("rank", flat=True))
    assert any("Catastrophic" in p["message"] and lowest.key in p["action"] for p in report["a.md"]["problems"])


def test_html_and_word_files_import_like_their_markdown(people):
    # pandoc turned the Markdown's TOML front matter into a paragraph: the HTML and Word files have an introduction
    # and a title from the file name, but the same sections and timeline.
    names = ["rust-docsrs-outage.md", "rust-docsrs-outage.html", "rust-docsrs-outage.docx"]
    for team, name in zip(["payments", "platform", "platform"], names, strict=True):
        by = "alice" if team == "payments" else "charlie"
        run(people, [FORMATS / name], by=by, team=team)
    shapes = []
    for writeup in ImportedWriteup.objects.order_by("pk"):
        sections = [k for k in writeup.retrospective.sections.values_list("key", flat=True) if k != "introduction"]
        events = TimelineEvent.objects.filter(incident=writeup.incident).count()
        recommendations = Recommendation.objects.filter(links__retrospective=writeup.retrospective).count()
        shapes.append((writeup.format, sections, events, recommendations))
    assert [s[0] for s in shapes] == ["markdown", "html", "docx"]
    assert shapes[0][1:] == shapes[1][1:] == shapes[2][1:]
    assert shapes[0][2] > 0


def test_a_zip_with_paths_that_climb_out_is_refused_and_nothing_is_saved(people, tmp_path):
    archive = tmp_path / "history.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("good.md", "# Good\n\n## Summary\n\nx\n")
        z.writestr("../evil.md", "# Evil\n")
    report = run(people, [archive])
    assert report["totals"]["imported"] == 0
    assert "nothing was unpacked" in report["files"][0]["problems"][0]["message"]
    assert not Incident.objects.exists()


def test_the_command_prints_a_json_report_with_totals(people, tmp_path):
    folder = copy_files(tmp_path, *(row[0] for row in EXPECTED[:2]))
    out = io.StringIO()
    call_command(
        "history", "import", str(folder), "--team", "payments", "--as-user", "alice", "--format", "json", stdout=out
    )
    report = json.loads(out.getvalue())
    assert report["totals"]["imported"] == 2 and report["import_id"]
    text = io.StringIO()
    call_command("history", "import", str(folder), "--team", "payments", "--as-user", "alice", stdout=text)
    assert "2 file(s): 0 imported, 0 updated, 2 unchanged" in text.getvalue()
    with pytest.raises(CommandError, match="No team 'nope'"):
        call_command("history", "import", str(folder), "--team", "nope")
    with pytest.raises(CommandError, match="--tz"):
        call_command("history", "import", str(folder), "--team", "payments", "--as-user", "alice", "--tz", "Nowhere")


def test_the_queries_per_file_do_not_grow_with_the_history(people, tmp_path):
    def queries_for(count, folder):
        for n in range(count):
            (folder / f"pm-{n}.md").write_text(
                f"# Outage {folder.name} {n}\n\nDate: 2021-03-04\nSeverity: SEV2\nServices: api\n\n"
                f"## Summary\n\nDown {n}.\n\n"
                "## Timeline\n\n| Time | Event |\n|---|---|\n| 14:03 | Paged |\n| 14:10 | Fixed |\n\n"
                "## Action items\n\n- [ ] Add an alert ABC-12\n- [x] Fix the config\n",
                encoding="utf-8",
            )
        with CaptureQueriesContext(connection) as captured:
            run(people, [folder], dry_run=False)
        return len(captured.captured_queries)

    (tmp_path / "ten").mkdir()
    (tmp_path / "twenty").mkdir()
    ten = queries_for(10, tmp_path / "ten")
    twenty = queries_for(20, tmp_path / "twenty")
    per_file = (twenty - ten) / 10
    print(per_file)
    assert per_file <= 25, per_file


def test_an_imported_write_up_page_says_where_it_came_from_and_offers_no_reopening(people, client_for):
    run(people, [FORMATS / "rust-docsrs-outage.html"])
    retrospective = Retrospective.objects.get()
    page = client_for("alice").get(f"/retrospectives/{retrospective.pk}/").content.decode()
    assert "Imported from HTML" in page and "<code>rust-docsrs-outage.html</code>" in page
    assert "imported from a file and is read-only here" in page
    assert "Reopen to change it" not in page
    assert client_for("charlie").get(f"/retrospectives/{retrospective.pk}/").status_code == 200  # organization-wide


def test_a_timeline_row_gone_from_a_changed_file_leaves_the_timeline_and_moves_its_version(people, tmp_path):
    rel = "dfds/PM2019-010 - Hellman Kubernetes cluster node deletion.md"
    folder = copy_files(tmp_path, rel)
    run(people, [folder])
    incident = ImportedWriteup.objects.get(source_path=rel).incident
    text = (folder / rel).read_text(encoding="utf-8")
    [row] = [line for line in text.splitlines() if "2019-12-04 01:15" in line]  # a row in the middle
    (folder / rel).write_text(text.replace(row + "\n", ""), encoding="utf-8")
    events_before = TimelineEvent.objects.filter(incident=incident).count()
    run(people, [folder])
    before, incident.timeline_version = incident.timeline_version, None
    incident.refresh_from_db()
    assert TimelineEvent.objects.filter(incident=incident).count() == events_before - 1
    assert incident.timeline_version == before + 1  # the timeline's cached summary is read afresh


ACTIONS = """# Queue stuck

Date: 2021-03-04

## Action items

- [x] Add an alert on queue depth
- [ ] Write the runbook
- Raise the consumer's memory limit
- Review the retry policy (won't do)

| Action | Owner | Status |
|---|---|---|
| Split the queue | Priya | In progress |
| Load test the consumer | Sam | |
"""


def statuses():
    return dict(Recommendation.objects.values_list("title", "status"))


def test_action_items_without_a_status_are_planned_unless_the_import_says_otherwise(people, tmp_path):
    (tmp_path / "queue.md").write_text(ACTIONS, encoding="utf-8")
    report = run(people, [tmp_path])
    said = {
        "Add an alert on queue depth": "done",
        "Write the runbook": "planned",
        "Review the retry policy (won't do)": "dropped",
        "Split the queue": "in-progress",
    }
    assert statuses() == {
        **said,
        "Raise the consumer's memory limit": "planned",
        "Load test the consumer": "planned",
    }
    assert report["totals"]["action_items_unstated"] == 2
    assert "2 action item(s) had no status in their write-up and were imported as planned" in "\n".join(
        totals_lines(report)
    )

    other = tmp_path / "other"
    other.mkdir()
    (other / "queue-2.md").write_text(ACTIONS.replace("Queue stuck", "Queue stuck again"), encoding="utf-8")
    Recommendation.objects.all().delete()
    run(people, [other], action_status="dropped")
    assert statuses() == {
        **said,
        "Raise the consumer's memory limit": "dropped",
        "Load test the consumer": "dropped",
    }
    dropped = Recommendation.objects.get(title="Load test the consumer")
    assert "No status in the write-up: imported as dropped." in dropped.description
    assert not Recommendation.objects.filter(status__in=Recommendation.OPEN_STATUSES, title__startswith="Raise")


def test_an_unknown_action_status_is_refused_naming_the_field(people, tmp_path):
    with pytest.raises(ValidationError) as refused:
        history_options_parse(by=people["alice"], team=people["payments"], action_status="forgotten")
    assert "planned, done, dropped" in refused.value.message_dict["action_status"][0]
    (tmp_path / "queue.md").write_text(ACTIONS, encoding="utf-8")
    out = io.StringIO()
    call_command(
        "history", "import", str(tmp_path), "--team", "payments", "--as-user", "alice", "--action-status", "done",
        stdout=out,
    )  # fmt: skip
    assert Recommendation.objects.get(title="Raise the consumer's memory limit").status == "done"
    assert "were imported as done (--action-status planned, dropped to choose otherwise)" in out.getvalue()


def test_the_command_and_the_mapping_say_how_ambiguous_dates_are_read(people, tmp_path):
    (tmp_path / "a.md").write_text("# Cards declined\n\nDate: 04/03/2021 10:00 UTC\n\n## Summary\n\nx\n")
    call_command(
        "history", "import", str(tmp_path), "--team", "payments", "--as-user", "alice", "--dates", "day-first",
        stdout=io.StringIO(),
    )  # fmt: skip
    assert Incident.objects.get().started_at == datetime(2021, 3, 4, 10, 0, tzinfo=UTC)
    with pytest.raises(ValidationError) as refused:
        mapping_parse("dates: sideways\n", name="map.yaml")
    assert "map.yaml: dates must be day-first or month-first" in refused.value.message_dict["mapping"][0]
    with pytest.raises(ValidationError) as bad_option:
        history_options_parse(by=people["alice"], team=people["payments"], dates="sideways")
    assert "dates" in bad_option.value.message_dict


def test_milestones_written_in_a_write_up_are_the_incidents_and_one_out_of_its_span_is_reported(people, tmp_path):
    (tmp_path / "a.md").write_text(
        "# Cards declined\n\nStart: 2021-03-04 14:00 UTC\nEnd: 2021-03-04 15:00 UTC\nDetected: 14:05\n"
        "Time to mitigate: 40 min\nAcknowledged: 2021-03-04 13:00 UTC\n\n## Summary\n\nx\n"
    )
    report = run(people, [tmp_path])
    incident = Incident.objects.get()
    assert incident.detected_at == datetime(2021, 3, 4, 14, 5, tzinfo=UTC)
    assert incident.mitigated_at == datetime(2021, 3, 4, 14, 40, tzinfo=UTC)
    assert incident.acknowledged_at is None
    entry = report["files"][0]
    assert set(entry["recognised"]["milestones"]) == {"detected_at", "mitigated_at"}
    assert any("acknowledgement time" in p["message"] and "before the start" in p["message"] for p in entry["problems"])
    assert "milestones: detected 2021-03-04T14:05:00+00:00, mitigated 2021-03-04T14:40:00+00:00" in "\n".join(
        file_lines(entry)
    )


def test_importing_again_reads_only_what_is_new_or_changed(people, tmp_path, monkeypatch):
    (tmp_path / "a.md").write_text("# Alpha\n\nDate: 2024-01-02\n\n## Summary\n\nx\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# Beta\n\nDate: 2024-01-03\n\n## Summary\n\ny\n", encoding="utf-8")
    run(people, [tmp_path])
    read = []
    real = services.understand
    monkeypatch.setattr(services, "understand", lambda doc, **kw: read.append(doc.path) or real(doc, **kw))
    (tmp_path / "c.md").write_text("# Gamma\n\nDate: 2024-01-04\n\n## Summary\n\nz\n", encoding="utf-8")
    again = by_source(run(people, [tmp_path]))
    assert [p.rsplit("/", 1)[-1] for p in read] == ["c.md"]
    assert again["a.md"]["outcome"] == "unchanged" and "not read again" in again["a.md"]["note"]
    assert again["a.md"]["incident"]["id"] == Incident.objects.get(title="Alpha").pk
    assert again["c.md"]["outcome"] == "imported"
    # A file whose bytes are not the ones imported from its place is read again (here: a copy of another one).
    shutil.copy(tmp_path / "a.md", tmp_path / "b.md")
    read.clear()
    entry = by_source(run(people, [tmp_path]))["b.md"]
    assert [p.rsplit("/", 1)[-1] for p in read] == ["b.md"]
    assert entry["outcome"] == "unchanged" and "the same file as" in entry["note"]
