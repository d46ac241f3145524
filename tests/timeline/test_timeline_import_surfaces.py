"""Importing real samples through the command line, the page and the API: preview, all-or-nothing, idempotent."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from retrospector.timeline.models import ImportRecord, TimelineEvent

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FIRING = FIXTURES / "alertmanager" / "alertmanager-bot" / "firing.json"
RESOLVED = FIXTURES / "alertmanager" / "alertmanager-bot" / "resolved.json"
PD_TRIGGERED = FIXTURES / "pagerduty" / "zulip-webhook-fixtures" / "triggered_v3.json"


def cli(*args):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("timeline", "import", *[str(a) for a in args], stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_a_dry_run_prints_events_as_json_and_saves_nothing(make_incident):
    incident = make_incident()
    code, out, _ = cli(incident.pk, FIRING, "--source", "alertmanager", "--dry-run", "--format", "json")
    assert code == 0
    events = json.loads(out)
    assert events and events[0]["time"].endswith("Z")
    assert {"time", "original_time", "actor", "text", "kind", "source"} <= set(events[0])
    assert events[0]["kind"] == "alert_firing"
    assert not TimelineEvent.objects.exists()


@pytest.mark.parametrize("output", ["text", "json"])
def test_a_dry_run_into_a_missing_incident_fails_like_the_real_run(make_incident, output):
    missing = make_incident().pk + 1000
    refusals = []
    for dry_run in (["--dry-run"], []):
        args = [missing, FIRING, "--source", "alertmanager", "--as-user", "bob", "--format", output, *dry_run]
        with pytest.raises(CommandError) as refused:
            cli(*args)
        refusals.append(str(refused.value))
    assert refusals == [f"No incident #{missing}."] * 2
    assert not TimelineEvent.objects.exists()


def test_importing_twice_from_the_command_line_adds_nothing_new(make_incident, people):
    incident = make_incident()
    code, out, _ = cli(incident.pk, FIRING, "--source", "alertmanager", "--as-user", "bob", "--format", "json")
    assert code == 0 and json.loads(out)["added"] >= 1
    first = TimelineEvent.objects.filter(incident=incident).count()
    code, out, _ = cli(incident.pk, FIRING, "--source", "alertmanager", "--as-user", "bob", "--format", "json")
    assert code == 0 and json.loads(out) == {"import_id": None, "added": 0, "skipped_existing": first}
    assert ImportRecord.objects.filter(incident=incident).count() == 1  # no empty import recorded
    code, out, _ = cli(incident.pk, FIRING, "--source", "alertmanager", "--as-user", "bob")
    assert code == 0 and "Nothing new in firing.json" in out and "no import was recorded" in out
    cli(incident.pk, RESOLVED, "--source", "alertmanager", "--as-user", "bob")
    kinds = set(TimelineEvent.objects.filter(incident=incident).values_list("kind", flat=True))
    assert kinds == {"alert_firing", "alert_resolved"}


def test_the_wrong_source_exits_non_zero_naming_the_file_and_saves_nothing(make_incident, tmp_path):
    incident = make_incident()
    code, _, err = cli(incident.pk, PD_TRIGGERED, "--source", "alertmanager", "--as-user", "bob")
    assert code == 1
    assert "triggered_v3.json" in err and "nothing was saved" in err
    broken = tmp_path / "broken.json"
    broken.write_text('{"alerts": [')
    code, _, err = cli(incident.pk, broken, "--source", "alertmanager", "--as-user", "bob")
    assert code == 1 and "broken.json" in err
    assert not TimelineEvent.objects.exists()


def test_the_page_previews_then_imports_and_can_undo(make_incident, people, client_for):
    incident = make_incident()
    client = client_for("bob")
    with FIRING.open("rb") as upload:
        preview = client.post(f"/incidents/{incident.pk}/timeline/import", {"source": "alertmanager", "file": upload})
    page = preview.content.decode()
    assert preview.status_code == 200 and "Preview:" in page
    assert not TimelineEvent.objects.exists()
    pending = preview.context["pending"]
    done = client.post(f"/incidents/{incident.pk}/timeline/import", {"confirm": "1", "pending": pending.pk})
    assert done.status_code == 302
    record = ImportRecord.objects.get(incident=incident)
    assert record.event_count == TimelineEvent.objects.filter(incident=incident).count() > 0
    client.post(f"/incidents/{incident.pk}/timeline/imports/{record.pk}/undo")
    assert not TimelineEvent.objects.filter(incident=incident).exists()


def test_the_page_lists_every_problem_of_a_bad_file(make_incident, client_for, tmp_path):
    incident = make_incident()
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"version": "4", "alerts": [{"status": "firing", "labels": {"alertname": "x"}, '
        '"startsAt": "20202-01-16T10:00:00Z"}]}'
    )
    with bad.open("rb") as upload:
        response = client_for("bob").post(
            f"/incidents/{incident.pk}/timeline/import", {"source": "alertmanager", "file": upload}
        )
    page = response.content.decode()
    assert "Nothing can be imported" in page and "bad.json" in page and "startsAt" in page


def test_the_api_imports_a_file_and_reports_problems_as_json(make_incident, client_for):
    incident = make_incident()
    client = client_for("bob")
    with FIRING.open("rb") as upload:
        dry = client.post(
            f"/api/v1/incidents/{incident.pk}/timeline/imports",
            {"source": "alertmanager", "file": upload, "dry_run": "true"},
        )
    assert dry.status_code == 200 and dry.json()["count"] >= 1 and not TimelineEvent.objects.exists()
    with FIRING.open("rb") as upload:
        real = client.post(
            f"/api/v1/incidents/{incident.pk}/timeline/imports", {"source": "alertmanager", "file": upload}
        )
    assert real.status_code == 201 and real.json()["added"] == dry.json()["count"]
    with PD_TRIGGERED.open("rb") as upload:
        wrong = client.post(
            f"/api/v1/incidents/{incident.pk}/timeline/imports", {"source": "alertmanager", "file": upload}
        )
    assert wrong.status_code == 422
    assert wrong.json()["problems"][0]["file"].endswith("triggered_v3.json")
    with FIRING.open("rb") as upload:
        reader = client_for("dana").post(
            f"/api/v1/incidents/{incident.pk}/timeline/imports", {"source": "alertmanager", "file": upload}
        )
    assert reader.status_code == 403


def test_csv_times_without_a_zone_need_tz(make_incident, tmp_path):
    incident = make_incident()
    path = tmp_path / "deploys.csv"
    path.write_text(
        "time,text,actor\n"
        "2026-05-04 14:02:00,Deployed checkout v42,ci\n"
        "2026-05-04 14:09:30,Rolled back checkout,priya\n"
    )
    code, _, err = cli(incident.pk, path, "--source", "csv", "--as-user", "bob")
    assert code == 1 and "deploys.csv:2" in err and "--tz" in err
    code, out, _ = cli(incident.pk, path, "--source", "csv", "--tz", "Europe/Paris", "--dry-run", "--format", "json")
    events = json.loads(out)
    assert [e["time"] for e in events] == ["2026-05-04T12:02:00Z", "2026-05-04T12:09:30Z"]
    assert events[1]["actor"] == "priya"


SLACK = FIXTURES / "slack" / "slack-export-viewer-testarchive"


def test_a_real_slack_export_imports_with_names_threads_and_no_tokens(make_incident, tmp_path, client_for):
    import shutil

    incident = make_incident()
    code, out, err = cli(incident.pk, SLACK, "--source", "slack", "--as-user", "bob", "--format", "json")
    assert code == 0, err
    added = json.loads(out)["added"]
    assert added > 0
    events = TimelineEvent.objects.filter(incident=incident)
    assert events.count() == added
    assert not any("xox" in (e.text + json.dumps(e.attachments)) for e in events)
    assert not any(e.actor.startswith("U0") for e in events.filter(actor_kind="person")), "user ids resolved to names"
    archive = shutil.make_archive(str(tmp_path / "export"), "zip", SLACK)
    with open(archive, "rb") as upload:
        preview = client_for("bob").post(
            f"/incidents/{incident.pk}/timeline/import", {"source": "slack", "file": upload}
        )
    assert "0 new" in preview.content.decode()  # the zip holds the same messages: nothing to add twice
