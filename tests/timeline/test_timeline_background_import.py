"""Big timeline imports run as background jobs: uploaded, read by the worker for a preview, confirmed, imported.

The jobs are enqueued on the real database backend (django_tasks_db) and run the way `retrospector worker` runs them:
django_tasks_db's Worker claims each ready task in an exclusive transaction and runs it (db_worker --batch, without
the random start-up delay). The worker checks its database connection between tasks (close_old_connections), which
would end a test's wrapping transaction on PostgreSQL, so the tests that run it are transactional; their flush empties
every table, so the built-in templates (from a data migration) are put back after the module (builtin_templates_put_back
in conftest). The threshold is lowered so that a small real sample takes the background path.
"""

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import run_worker_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from retrospector.timeline import tasks
from retrospector.timeline.models import ImportRecord, PendingImport, TimelineEvent

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SLACK = FIXTURES / "slack" / "slack-export-viewer-testarchive"
FIRING = FIXTURES / "alertmanager" / "alertmanager-bot" / "firing.json"
RESOLVED = FIXTURES / "alertmanager" / "alertmanager-bot" / "resolved.json"
PD_TRIGGERED = FIXTURES / "pagerduty" / "zulip-webhook-fixtures" / "triggered_v3.json"

with_worker = pytest.mark.django_db(transaction=True)

pytestmark = pytest.mark.usefixtures("builtin_templates_put_back")


@pytest.fixture(autouse=True)
def _small_threshold(settings):
    settings.TIMELINE_IMPORT_INLINE_BYTES = 1024  # the fixtures below are bigger: they go to the background


@pytest.fixture
def slack_zip(tmp_path):
    return Path(shutil.make_archive(str(tmp_path / "export"), "zip", SLACK))


def run_worker():
    """`retrospector worker --batch`: run every ready task on the database backend, then return."""
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


def page_upload(client, incident, path, source):
    with path.open("rb") as upload:
        return client.post(f"/incidents/{incident.pk}/timeline/import", {"source": source, "file": upload})


def api_upload(client, incident, path, source, **extra):
    with path.open("rb") as upload:
        return client.post(
            f"/api/v1/incidents/{incident.pk}/timeline/imports", {"source": source, "file": upload, **extra}
        )


def job_url(job):
    return f"/incidents/{job.incident_id}/timeline/import/jobs/{job.pk}"


def api_job_url(job):
    return f"/api/v1/incidents/{job.incident_id}/timeline/import-jobs/{job.pk}"


@with_worker
def test_a_big_upload_is_read_in_the_background_then_imported_on_confirm(
    make_incident, client_for, slack_zip, monkeypatch
):
    incident = make_incident()
    client = client_for("bob")

    uploaded = page_upload(client, incident, slack_zip, "slack")
    job = PendingImport.objects.get(incident=incident)
    assert uploaded.status_code == 302 and uploaded["Location"] == job_url(job)
    assert job.background and job.status == "queued" and job.file_size == slack_zip.stat().st_size
    assert (
        DBTaskResult.objects.filter(task_path="retrospector.timeline.tasks.import_job_run", status="READY").count() == 1
    )

    waiting = client.get(job_url(job)).content.decode()
    assert "export.zip: waiting for a worker to read it." in waiting
    assert f'hx-get="{job_url(job)}/status"' in waiting and 'hx-trigger="every 2s"' in waiting
    assert f'<a id="import-job-refresh" href="{job_url(job)}">Refresh</a>' in waiting  # without JavaScript
    assert "No worker seems to be running" not in waiting
    assert "{#" not in waiting and "{%" not in waiting
    timeline_page = client.get(f"/incidents/{incident.pk}/timeline/").content.decode()
    assert f'<a href="{job_url(job)}">export.zip</a>: waiting for a worker' in timeline_page  # found from the timeline
    assert (
        'class="plain small jobs-under-way"'
        not in client_for("alice").get(f"/incidents/{incident.pk}/timeline/").content.decode()
    )

    # While the worker reads, the page says so and counts the events read so far.
    monkeypatch.setattr("retrospector.importers.registry.PROGRESS_EVERY", 50)
    real_parse, seen = tasks.parse_uploads, {"counts": []}

    def watched_parse(*args, progress=None, **kwargs):
        seen["status"] = PendingImport.objects.get(pk=job.pk).status
        seen["fragment"] = client.get(f"{job_url(job)}/status", HTTP_HX_REQUEST="true").content.decode()

        def watch(count):
            progress(count)
            seen["counts"].append(PendingImport.objects.get(pk=job.pk).read_count)

        return real_parse(*args, progress=watch if progress else None, **kwargs)

    monkeypatch.setattr(tasks, "parse_uploads", watched_parse)
    run_worker()
    assert seen["status"] == "reading"
    assert "Reading the file" in seen["fragment"] and 'hx-trigger="every 2s"' in seen["fragment"]
    assert 'id="import-job-status" hx-swap-oob="innerHTML">export.zip: reading' in seen["fragment"]
    assert seen["counts"] == [50, 100, 150]

    job.refresh_from_db()
    assert job.status == "ready" and job.event_count == job.new_count == 150 and len(job.preview) == 100
    assert {"time", "kind", "actor", "text"} <= set(job.preview[0]) and job.started_at is not None
    assert not TimelineEvent.objects.filter(incident=incident).exists()
    fragment = client.get(f"{job_url(job)}/status", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in fragment  # polling stops: the preview is there
    ready = client.get(job_url(job)).content.decode()
    assert "Preview: 150 events, 150 new" in ready and "Showing the first 100." in ready
    assert f'action="{job_url(job)}/confirm"' in ready and "Import 150 events" in ready

    confirmed = client.post(f"{job_url(job)}/confirm")
    assert confirmed.status_code == 302 and confirmed["Location"] == job_url(job)
    assert "waiting for a worker to import it" in client.get(job_url(job)).content.decode()
    assert not TimelineEvent.objects.filter(incident=incident).exists()
    run_worker()

    job.refresh_from_db()
    record = ImportRecord.objects.get(incident=incident)
    assert job.status == "done" and job.import_record == record and job.finished_at is not None
    assert record.event_count == TimelineEvent.objects.filter(incident=incident).count() == 150
    assert record.created_by.username == "bob" and record.file_name == "export.zip"
    assert bytes(PendingImport.objects.get(pk=job.pk).content) == b""  # the bytes are gone, the job stays
    done = client.get(job_url(job)).content.decode()
    assert "export.zip: imported 150 events." in done and "{#" not in done + ready
    assert f'href="/incidents/{incident.pk}/timeline/"' in done and "hx-trigger" not in done
    assert (
        f'href="{job_url(job)}"' not in client.get(f"/incidents/{incident.pk}/timeline/").content.decode()
    )  # finished
    assert "export.zip" in client.get(f"/incidents/{incident.pk}/timeline/import").content.decode()  # recent uploads


@with_worker
def test_a_bad_file_fails_in_the_background_listing_every_problem_and_saving_nothing(
    make_incident, client_for, tmp_path
):
    incident = make_incident()
    client = client_for("bob")
    bad = tmp_path / "bad.json"
    alert = '{"status": "firing", "labels": {"alertname": "x"}, "startsAt": "20202-01-16T10:00:00Z"}'
    bad.write_text('{"version": "4", "alerts": [' + ", ".join([alert] * 30) + "]}")
    assert bad.stat().st_size > 1024
    page_upload(client, incident, bad, "alertmanager")
    job = PendingImport.objects.get(incident=incident)
    run_worker()

    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at is not None and bytes(job.content) == b""
    assert len(job.problems) == 30
    assert job.problems[0] == {
        "file": "bad.json",
        "line": None,
        "pointer": "/alerts/0/startsAt",
        "field": "startsAt",
        "message": job.problems[0]["message"],
    }
    page = client.get(job_url(job)).content.decode()
    assert "Nothing was imported from bad.json; 30 problems" in page
    assert "bad.json#/alerts/0/startsAt: startsAt:" in page and "bad.json#/alerts/29/startsAt: startsAt:" in page
    assert not TimelineEvent.objects.exists() and not ImportRecord.objects.exists()
    # A failed job cannot be confirmed into an import.
    client.post(f"{job_url(job)}/confirm")
    assert PendingImport.objects.get(pk=job.pk).status == "failed"
    assert not DBTaskResult.objects.filter(status="READY").exists()


@with_worker
def test_importing_the_same_file_twice_in_the_background_adds_nothing(make_incident, client_for, slack_zip):
    incident = make_incident()
    client = client_for("bob")
    first = api_upload(client, incident, slack_zip, "slack")
    run_worker()
    second_page = page_upload(client, incident, slack_zip, "slack")
    run_worker()
    second = PendingImport.objects.get(pk=second_page["Location"].rstrip("/").rsplit("/", 1)[1])
    assert second.status == "ready" and second.event_count == 150 and second.new_count == 0
    ready = client.get(job_url(second)).content.decode()
    assert "Preview: 150 events, 0 new" in ready
    assert "Nothing to import: all 150 events read are already on the timeline." in ready
    assert f'action="{job_url(second)}/confirm"' not in ready and "Import 0 events" not in ready
    assert "Back to the timeline" in ready
    client.post(f"{job_url(second)}/confirm")  # posted anyway (a script, an old page): done, and nothing recorded
    run_worker()

    assert client.get(first.json()["url"]).json()["added"] == 150
    second.refresh_from_db()
    assert second.status == "done" and second.import_record is None
    assert ImportRecord.objects.filter(incident=incident).count() == 1  # no empty import with an Undo
    assert TimelineEvent.objects.filter(incident=incident).count() == 150
    done = client.get(job_url(second)).content.decode()
    assert "export.zip: nothing new; all 150 events were already on the timeline, nothing saved." in done
    assert "can be undone" not in done
    api = client.get(api_job_url(second)).json()
    assert (api["status"], api["import_id"], api["added"], api["skipped_existing"]) == ("done", None, 0, 150)


@with_worker
def test_the_api_answers_202_with_a_job_to_poll_until_done(make_incident, client_for, slack_zip):
    incident = make_incident()
    client = client_for("bob")
    response = api_upload(client, incident, slack_zip, "slack")
    assert response.status_code == 202
    job = response.json()
    assert job["status"] == "queued" and job["confirmed"] is True and job["import_id"] is None
    assert job["url"] == f"/api/v1/incidents/{incident.pk}/timeline/import-jobs/{job['id']}"
    assert client.get(job["url"]).json()["detail"] == "export.zip: waiting for a worker to read and import it."
    run_worker()

    done = client.get(job["url"])
    assert done.status_code == 200
    body = done.json()
    record = ImportRecord.objects.get(incident=incident)
    assert body["status"] == "done" and body["import_id"] == record.pk
    assert (body["count"], body["added"], body["skipped_existing"], body["problems"]) == (150, 150, 0, [])
    assert TimelineEvent.objects.filter(incident=incident).count() == 150
    assert body["started_at"] and body["finished_at"] and body["no_worker"] is None

    # background=true sends even a small file to the worker; problems come back on the job.
    small = api_upload(client, incident, PD_TRIGGERED, "alertmanager", background="true")
    assert small.status_code == 202
    run_worker()
    failed = client.get(small.json()["url"]).json()
    assert failed["status"] == "failed" and failed["import_id"] is None
    assert failed["problems"][0]["file"] == "triggered_v3.json" and "alerts" in failed["problems"][0]["message"]
    assert TimelineEvent.objects.filter(incident=incident).count() == 150


@with_worker
def test_an_api_dry_run_of_a_big_file_stops_at_ready_with_a_preview_then_can_be_confirmed(
    make_incident, client_for, slack_zip
):
    incident = make_incident()
    client = client_for("bob")
    job = api_upload(client, incident, slack_zip, "slack", dry_run="true").json()
    assert job["confirmed"] is False
    run_worker()

    ready = client.get(job["url"]).json()
    assert ready["status"] == "ready" and (ready["count"], ready["new"]) == (150, 150) and len(ready["preview"]) == 100
    assert ready["preview"][0]["time"].endswith("Z")
    assert not TimelineEvent.objects.exists()
    confirmed = client.post(f"{job['url']}/confirm")
    assert confirmed.status_code == 202 and confirmed.json()["status"] == "queued"
    again = client.post(f"{job['url']}/confirm")
    assert again.status_code == 422 and again.json()["field"] == "status" and "export.zip" in again.json()["detail"]
    run_worker()
    assert client.get(job["url"]).json()["added"] == 150 == TimelineEvent.objects.filter(incident=incident).count()


@with_worker
def test_the_worker_command_runs_queued_imports(make_incident, client_for):
    incident = make_incident()
    client = client_for("bob")
    job = api_upload(client, incident, FIRING, "alertmanager", background="true").json()
    run_worker_command()
    assert client.get(job["url"]).json()["status"] == "done"
    assert TimelineEvent.objects.filter(incident=incident).exists()


def test_small_files_are_still_read_and_imported_in_the_request(make_incident, client_for, settings):
    settings.TIMELINE_IMPORT_INLINE_BYTES = 2 * 1024 * 1024
    incident = make_incident()
    client = client_for("bob")
    preview = page_upload(client, incident, FIRING, "alertmanager")
    assert preview.status_code == 200 and "Preview:" in preview.content.decode()
    done = client.post(
        f"/incidents/{incident.pk}/timeline/import", {"confirm": "1", "pending": preview.context["pending"].pk}
    )
    assert done.status_code == 302 and TimelineEvent.objects.filter(incident=incident).exists()
    assert api_upload(client, incident, RESOLVED, "alertmanager").status_code == 201
    assert not DBTaskResult.objects.exists() and not PendingImport.objects.exists()


def test_a_small_files_confirmation_cannot_import_a_background_job_in_the_request(make_incident, client_for, slack_zip):
    incident = make_incident()
    client = client_for("bob")
    job = PendingImport.objects.get(pk=page_upload(client, incident, slack_zip, "slack")["Location"].rsplit("/", 1)[1])
    response = client.post(f"/incidents/{incident.pk}/timeline/import", {"confirm": "1", "pending": job.pk})
    assert response.status_code == 302 and not TimelineEvent.objects.exists()
    assert PendingImport.objects.get(pk=job.pk).status == "queued"


@pytest.mark.parametrize("visibility", ["private", "organization"])
def test_only_the_uploader_sees_or_confirms_a_job(make_incident, client_for, slack_zip, visibility):
    """A job is its uploader's: the incident's other editors get 404 (they see the result on the timeline), people who
    may not edit get 403 as on the import page, and another team gets 404 for a private incident."""
    incident = make_incident(visibility=visibility)
    job = PendingImport.objects.get(
        pk=api_upload(client_for("bob"), incident, slack_zip, "slack", dry_run="true").json()["id"]
    )
    PendingImport.objects.filter(pk=job.pk).update(status="ready", event_count=1, new_count=1)
    expected = {
        "alice": 404,  # an editor of the incident, not the uploader
        "oscar": 404,  # organization admin: edits everything, still not their job
        "dana": 403,  # a viewer of the team
        "charlie": 404 if visibility == "private" else 403,  # another team
        "erin": 404 if visibility == "private" else 403,  # in no team
    }
    for name, status in expected.items():
        client = client_for(name)
        assert client.get(job_url(job)).status_code == status, name
        assert client.get(f"{job_url(job)}/status", HTTP_HX_REQUEST="true").status_code == status, name
        assert client.post(f"{job_url(job)}/confirm").status_code == status, name
        api = client.get(api_job_url(job))
        assert api.status_code == status and set(api.json()) >= {"detail", "field"}, name
        assert client.post(f"{api_job_url(job)}/confirm").status_code == status, name
        assert "export.zip" not in client.get(f"/incidents/{incident.pk}/timeline/import").content.decode(), name
        upload = api_upload(client, incident, slack_zip, "slack")
        assert upload.status_code == (202 if name in ("alice", "oscar") else status), name
    assert PendingImport.objects.get(pk=job.pk).status == "ready"
    bob = client_for("bob")
    assert bob.get(job_url(job)).status_code == 200 and bob.get(api_job_url(job)).json()["status"] == "ready"
    assert PendingImport.objects.filter(created_by__username="dana").count() == 0


def test_a_job_waiting_long_for_a_worker_says_how_to_start_one(make_incident, client_for, slack_zip):
    incident = make_incident()
    client = client_for("bob")
    job = PendingImport.objects.get(pk=page_upload(client, incident, slack_zip, "slack")["Location"].rsplit("/", 1)[1])
    assert "No worker seems to be running" not in client.get(job_url(job)).content.decode()
    assert client.get(api_job_url(job)).json()["no_worker"] is None

    PendingImport.objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(seconds=45))
    page = client.get(job_url(job)).content.decode()
    assert "No worker seems to be running" in page and "waited 45 seconds" in page
    assert "<code>retrospector worker</code>" in page and "<code>make run</code>" in page
    fragment = client.get(f"{job_url(job)}/status", HTTP_HX_REQUEST="true").content.decode()
    assert "No worker seems to be running" in fragment and 'hx-trigger="every 2s"' in fragment
    assert "retrospector worker" in client.get(api_job_url(job)).json()["no_worker"]

    # A worker busy with another task: the job merely waits its turn.
    DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="x.y",
        backend_name="default",
        run_after=timezone.now(),
        status="RUNNING",
        started_at=timezone.now(),
    )
    assert "No worker seems to be running" not in client.get(job_url(job)).content.decode()


def test_the_status_fragment_is_for_htmx_only(make_incident, client_for, slack_zip):
    incident = make_incident()
    client = client_for("bob")
    job = PendingImport.objects.get(pk=page_upload(client, incident, slack_zip, "slack")["Location"].rsplit("/", 1)[1])
    plain = client.get(f"{job_url(job)}/status")
    assert plain.status_code == 302 and plain["Location"] == job_url(job)
    fragment = client.get(f"{job_url(job)}/status", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'id="import-job"' in fragment


def test_unconfirmed_uploads_are_removed_after_a_day(make_incident, client_for, slack_zip):
    incident = make_incident()
    client = client_for("bob")
    ids = [int(page_upload(client, incident, slack_zip, "slack")["Location"].rsplit("/", 1)[1]) for _ in range(3)]
    old, done, fresh = ids
    day_ago = timezone.now() - timedelta(days=1, minutes=1)
    PendingImport.objects.filter(pk__in=[old, done]).update(created_at=day_ago)
    PendingImport.objects.filter(pk=done).update(status="done", content=b"")
    client.get(f"/incidents/{incident.pk}/timeline/import")  # the page prunes, as it always did
    assert set(PendingImport.objects.values_list("pk", flat=True)) == {done, fresh}
    assert client.get(f"/incidents/{incident.pk}/timeline/import/jobs/{old}").status_code == 404
    # Finished jobs (no bytes left) go after a month.
    PendingImport.objects.filter(pk=done).update(created_at=timezone.now() - timedelta(days=31))
    assert tasks.import_jobs_prune() == 1
    assert list(PendingImport.objects.values_list("pk", flat=True)) == [fresh]


@with_worker
def test_a_task_whose_job_was_removed_does_nothing(make_incident, client_for, slack_zip):
    incident = make_incident()
    job_id = api_upload(client_for("bob"), incident, slack_zip, "slack").json()["id"]
    PendingImport.objects.filter(pk=job_id).delete()
    run_worker()
    result = DBTaskResult.objects.get()
    assert result.status == "SUCCESSFUL" and result.return_value == {"job": job_id, "status": "removed", "ran": False}
    assert not TimelineEvent.objects.exists()


@with_worker
def test_a_background_preview_lists_channels_and_reads_again_with_the_ones_ticked(make_incident, client_for, slack_zip):
    incident = make_incident()  # in 2026: every message of the 2016 export is outside its window
    client = client_for("bob")
    page_upload(client, incident, slack_zip, "slack")
    job = PendingImport.objects.get(incident=incident)
    run_worker()
    ready = client.get(job_url(job)).content.decode()
    assert "Preview: 150 events, 150 new" in ready and "Channels: 2 of 2 chosen" in ready
    assert f'action="{job_url(job)}/refine"' in ready and 'value="enrique" checked> #enrique' in ready
    assert "150 of these 150 events fall outside the incident's window" in ready
    assert client_for("alice").post(f"{job_url(job)}/refine", {"channel": "enrique"}).status_code == 404  # not theirs

    ticked = {"channels_listed": "1", "channel": ["enrique"], "since": "", "until": ""}
    refined = client.post(f"{job_url(job)}/refine", ticked)
    assert refined.status_code == 302 and refined["Location"] == job_url(job)
    job.refresh_from_db()
    assert (job.status, job.options["channel"], job.event_count, job.preview, job.survey) == (
        "queued",
        "enrique",
        None,
        [],
        {},
    )
    run_worker()
    job.refresh_from_db()
    assert job.status == "ready" and job.event_count == job.new_count == 98
    assert "Channels: 1 of 2 chosen" in client.get(job_url(job)).content.decode()

    client.post(f"{job_url(job)}/confirm")
    late = client.post(f"{job_url(job)}/refine", ticked, follow=True).content.decode()
    assert "Only an import that is ready can be read again" in late
    run_worker()
    assert set(TimelineEvent.objects.filter(incident=incident).values_list("channel", flat=True)) == {"enrique"}
    assert TimelineEvent.objects.filter(incident=incident).count() == 98


@with_worker
def test_several_day_files_too_big_for_the_request_are_read_in_the_background(make_incident, client_for):
    incident = make_incident()
    client = client_for("bob")
    days = [SLACK / "enrique" / "2016-03-26.json", SLACK / "enrique" / "2016-03-28.json"]
    with days[0].open("rb") as first, days[1].open("rb") as second:
        uploaded = client.post(
            f"/incidents/{incident.pk}/timeline/import",
            {"source": "slack", "file": [first, second], "channel": "enrique"},
        )
    job = PendingImport.objects.get(incident=incident)
    assert uploaded["Location"] == job_url(job) and job.file_name == "2016-03-26.json, 2016-03-28.json"
    run_worker()
    job.refresh_from_db()
    assert job.status == "ready" and job.event_count == 37 and job.survey["channels"] == []
