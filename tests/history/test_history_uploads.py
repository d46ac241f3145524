"""Bring your history on the page and through the API: an upload (a zip of past write-ups) is read into a report,
nothing saved; confirmed, its files become incidents with done write-ups. Only a team's members (and organization
admins) see, confirm or discard its uploads; anyone else gets 404. Small uploads run in the request, bigger ones in
the worker (its task is run here directly)."""

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from retrospector.history import tasks
from retrospector.history.models import HistoryImport, ImportedWriteup
from retrospector.history.uploads import history_upload_confirm, history_upload_create
from retrospector.incidents.models import Incident
from retrospector.writeups.models import Retrospective

HISTORY = Path(__file__).resolve().parents[1] / "fixtures" / "postmortems" / "history" / "dfds"
FILES = [
    "PM2020-002 - KIAM service disruption on Hellman.md",
    "PM2022-006 - ALB 502 errors.md",
    "PM2020-007 - Unhealthy nodes.md",
]
API = "/api/v1/history/imports"
Status = HistoryImport.Status


def history_zip(members: dict[str, bytes] | None = None) -> bytes:
    members = members if members is not None else {f"dfds/{n}": (HISTORY / n).read_bytes() for n in FILES}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload_file(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def page_upload(client, team, data: bytes, name="history.zip", **more):
    return client.post(
        "/history/upload", {"team": team.pk, "file": upload_file(name, data), "tz": "Europe/Copenhagen", **more}
    )


def api_client(user) -> Client:
    from retrospector.accounts.services import token_create

    _, raw = token_create(user=user, name="history")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_zip_uploaded_on_the_page_is_reported_then_imported_once_confirmed(people, client_for):
    bob = client_for("bob")
    response = page_upload(bob, people["payments"], history_zip(), private="on")
    job = HistoryImport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/history/{job.pk}/"
    assert (job.status, job.origin, job.created_by, job.options["tz"]) == (
        Status.READY,
        "web",
        people["bob"],
        "Europe/Copenhagen",
    )
    assert job.report["totals"]["would import"] == 3 and not Incident.objects.exists()

    page = bob.get(f"/history/{job.pk}/").content.decode()
    assert page.index("What the import would do") < page.index("Per file")  # totals first
    assert page.count("would be imported</span>") == 3 and "KIAM Service disruption" in page
    assert "Confirm the import" in page and "Discard" in page and "csrfmiddlewaretoken" in page
    assert "hx-trigger" not in page  # nothing to follow once ready

    response = bob.post(f"/history/{job.pk}/confirm")
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, bytes(job.content), job.report["totals"]["imported"]) == (Status.DONE, b"", 3)
    writeups = ImportedWriteup.objects.filter(history_import=job).select_related("incident", "retrospective")
    assert sorted(w.source_path for w in writeups) == sorted(f"dfds/{n}" for n in FILES)
    for writeup in writeups:
        assert writeup.retrospective.state == Retrospective.State.DONE
        assert writeup.incident.visibility == Incident.Visibility.PRIVATE
        assert writeup.incident.team == people["payments"]
    page = bob.get(f"/history/{job.pk}/").content.decode()
    assert "What was imported" in page and page.count("Open the write-up") == 3
    assert f"/history/{job.pk}/" in bob.get("/history/").content.decode()

    again = history_upload_create(
        by=people["bob"], team=people["payments"], file_name="history.zip", content=history_zip()
    )
    page = bob.get(f"/history/{again.pk}/").content.decode()
    assert "nothing new to import" in page and "Confirm the import" not in page and "Discard" in page


def test_the_same_upload_through_the_api_with_a_token(people):
    api = api_client(people["bob"])
    response = api.post(API, {"file": upload_file("history.zip", history_zip()), "team": "payments"})
    assert response.status_code == 202, response.content
    job = response.json()
    assert (job["status"], job["confirmed"], job["team"], job["origin"]) == ("ready", False, "payments", "api")
    assert job["report"]["totals"]["would import"] == 3 and not Incident.objects.exists()
    assert api.get(job["url"]).json()["report"]["files"][0]["recognised"]["title"]["value"]

    listed = api.get(API).json()
    assert (listed["count"], listed["results"][0]["id"], listed["results"][0]["report"]) == (1, job["id"], None)

    done = api.post(f"{job['url']}/confirm")
    assert done.status_code == 202 and done.json()["status"] == "done", done.content
    assert done.json()["report"]["totals"]["imported"] == 3
    assert Incident.objects.filter(imported_writeups__history_import_id=job["id"]).count() == 3
    again = api.post(f"{job['url']}/confirm")
    assert (again.status_code, again.json()["field"]) == (422, "status")
    assert api.delete(job["url"]).status_code == 422  # an import that is done stays

    # dry_run=false imports at once; the same files again change nothing.
    asked = {"file": upload_file("history.zip", history_zip()), "team": "payments", "dry_run": "false"}
    response = api.post(API, asked)
    assert response.status_code == 202 and response.json()["status"] == "done"
    assert response.json()["report"]["totals"]["unchanged"] == 3 and Incident.objects.count() == 3


def test_a_zip_with_a_path_climbing_out_is_refused_with_a_clear_message_and_nothing_is_kept(people, client_for):
    bad = history_zip({"ok.md": b"# Outage\n", "../../escape.md": b"# Escape\n"})
    response = page_upload(client_for("bob"), people["payments"], bad, name="evil.zip")
    assert response.status_code == 422
    message = "evil.zip holds '../../escape.md', a path that climbs out of the zip (absolute or with '..')"
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert "nothing was unpacked" in response.content.decode()

    response = api_client(people["bob"]).post(API, {"file": upload_file("evil.zip", bad), "team": "payments"})
    assert response.status_code == 422 and response.json()["field"] == "file"
    assert "climbs out of the zip" in response.json()["detail"]
    assert not HistoryImport.objects.exists() and not Incident.objects.exists()


def test_someone_outside_the_team_gets_404_and_cannot_pick_the_team(people, client_for):
    job = history_upload_create(
        by=people["bob"], team=people["payments"], file_name="history.zip", content=history_zip()
    )
    assert job.status == Status.READY
    for name in ("charlie", "dana", "erin"):  # another team's member; a viewer; in no team
        client = client_for(name)
        for url in (f"/history/{job.pk}/", f"/history/{job.pk}/status"):
            assert client.get(url).status_code == 404, (name, url)
        for url in (f"/history/{job.pk}/confirm", f"/history/{job.pk}/discard"):
            assert client.post(url).status_code == 404, (name, url)
        assert f"/history/{job.pk}/" not in client.get("/history/").content.decode()
    api = api_client(people["charlie"])
    assert api.get(f"{API}/{job.pk}").status_code == 404
    assert api.post(f"{API}/{job.pk}/confirm").status_code == 404
    assert api.delete(f"{API}/{job.pk}").status_code == 404
    assert api.get(API).json()["count"] == 0
    response = api.post(API, {"file": upload_file("history.zip", history_zip()), "team": "payments"})
    assert response.status_code == 403

    charlie = client_for("charlie")
    form = charlie.get("/history/upload").content.decode()
    assert f'value="{people["platform"].pk}"' in form and f'value="{people["payments"].pk}"' not in form
    response = page_upload(charlie, people["payments"], history_zip())
    assert response.status_code == 422 and "Select a valid choice" in response.content.decode()
    assert HistoryImport.objects.count() == 1

    assert client_for("oscar").get(f"/history/{job.pk}/").status_code == 200  # an organization admin
    assert client_for("alice").get(f"/history/{job.pk}/").status_code == 200  # the team's admin
    job.refresh_from_db()
    assert job.status == Status.READY


def test_a_big_upload_is_read_then_imported_by_the_worker(people, settings, client_for):
    settings.HISTORY_IMPORT_INLINE_BYTES = 100  # the zip is bigger: the worker's
    job = history_upload_create(
        by=people["bob"], team=people["payments"], file_name="history.zip", content=history_zip()
    )
    assert job.status == Status.QUEUED and DBTaskResult.objects.filter(status="READY").count() == 1
    page = client_for("bob").get(f"/history/{job.pk}/").content.decode()
    assert "hx-trigger" in page and "Refresh" in page  # followed with htmx; a plain reload does the same
    status = client_for("bob").get(f"/history/{job.pk}/status", HTTP_HX_REQUEST="true")
    assert status.status_code == 200 and "waiting for a worker to read it" in status.content.decode()

    assert tasks.history_job_run.call(job.pk)["status"] == "ready"
    assert tasks.history_job_run.call(job.pk)["ran"] is False  # a task run twice does nothing twice
    job.refresh_from_db()
    assert job.report["totals"]["would import"] == 3 and not Incident.objects.exists()

    job = history_upload_confirm(job=job, by=people["alice"])
    assert job.status == Status.QUEUED
    assert tasks.history_job_run.call(job.pk) == {"job": job.pk, "status": "done", "files": 3, "ran": True}
    job.refresh_from_db()
    assert (job.status, bytes(job.content), job.report["totals"]["imported"]) == (Status.DONE, b"", 3)
    assert set(ImportedWriteup.objects.values_list("imported_by__username", flat=True)) == {"alice"}


def test_unconfirmed_uploads_are_removed_after_a_day_and_stalled_ones_fail(people):
    def upload():
        return history_upload_create(
            by=people["bob"], team=people["payments"], file_name="pm.md", content=(HISTORY / FILES[0]).read_bytes()
        )

    old, stalled, fresh = upload(), upload(), upload()
    HistoryImport.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    HistoryImport.objects.filter(pk=stalled.pk).update(
        status=Status.READING, started_at=timezone.now() - timedelta(hours=2)
    )
    assert tasks.history_uploads_fail_stalled() == 1
    assert tasks.history_uploads_prune() == 1
    assert set(HistoryImport.objects.values_list("pk", "status")) == {
        (stalled.pk, Status.FAILED),
        (fresh.pk, Status.READY),
    }
    assert "the worker stopped while reading" in HistoryImport.objects.get(pk=stalled.pk).error


def test_a_discarded_upload_is_gone_and_nothing_was_imported(people, client_for):
    job = history_upload_create(
        by=people["bob"], team=people["payments"], file_name="history.zip", content=history_zip()
    )
    alice = client_for("alice")
    response = alice.post(f"/history/{job.pk}/discard")
    assert response.status_code == 302 and response["Location"] == "/history/"
    assert not HistoryImport.objects.exists() and not Incident.objects.exists()


@pytest.mark.parametrize(
    "name, data, words",
    [
        ("scan.pdf", b"%PDF-1.4", "not a format a history is read from"),
        ("empty.md", b"", "The submitted file is empty"),
    ],
)
def test_a_file_of_another_format_is_refused_on_the_page(people, client_for, name, data, words):
    response = page_upload(client_for("bob"), people["payments"], data, name=name)
    assert response.status_code == 422 and words in response.content.decode()
    assert not HistoryImport.objects.exists()


def test_the_list_says_what_is_read_when_empty_and_the_incidents_list_links_to_it(people, client_for):
    bob = client_for("bob")
    page = bob.get("/history/").content.decode()
    assert "No history imported yet" in page and ".docx" in page and "nothing is saved until you confirm" in page
    assert 'href="/history/"' in bob.get("/incidents/").content.decode()


def test_the_page_and_the_api_check_the_mapping_file_and_the_zone_by_the_same_rules(people, client_for):
    bad_mapping = upload_file("map.yaml", b"sections: [unclosed\n")
    response = page_upload(client_for("bob"), people["payments"], history_zip(), mapping=bad_mapping)
    assert response.status_code == 422 and "map.yaml line 2: not YAML or JSON" in response.content.decode()

    api = api_client(people["bob"])
    asked = {"file": upload_file("history.zip", history_zip()), "team": "payments"}
    response = api.post(API, {**asked, "mapping": upload_file("map.yaml", b"sections: [unclosed\n")})
    assert (response.status_code, response.json()["field"]) == (422, "mapping")
    assert response.json()["detail"].startswith("map.yaml line 2: not YAML or JSON")
    response = api.post(API, {**asked, "file": upload_file("history.zip", history_zip()), "tz": "Mars/Olympus"})
    assert (response.status_code, response.json()["field"]) == (422, "tz")
    assert not HistoryImport.objects.exists()

    mapping = upload_file("map.yaml", b"sections:\n  Stats: impact\n")
    response = api.post(API, {**asked, "file": upload_file("history.zip", history_zip()), "mapping": mapping})
    assert response.status_code == 202, response.content
    sections = [s for f in response.json()["report"]["files"] for s in f["recognised"]["sections"]]
    assert {(s["key"], s["match"]) for s in sections if s["title"] == "Stats"} == {("impact", "mapping")}


def test_the_report_of_a_big_history_is_read_a_page_of_files_at_a_time(people, client_for, monkeypatch):
    from retrospector.history import views

    monkeypatch.setattr(views, "FILES_PER_PAGE", 2)
    job = history_upload_create(
        by=people["bob"], team=people["payments"], file_name="history.zip", content=history_zip()
    )
    bob = client_for("bob")
    first = bob.get(f"/history/{job.pk}/").content.decode()
    assert first.count('class="card history-file"') == 2 and "Per file (1–2 of 3)" in first and "Next files" in first
    second = bob.get(f"/history/{job.pk}/?page=2").content.decode()
    assert second.count('class="card history-file"') == 1 and "Previous files" in second
    assert "Files</dt><dd>3</dd>" in second  # the totals are of the whole upload


def test_an_upload_over_the_limit_is_refused_before_it_is_read(people, client_for, settings):
    settings.HISTORY_IMPORT_MAX_BYTES = 1000
    response = page_upload(client_for("bob"), people["payments"], history_zip())
    assert response.status_code == 422 and "the limit is 1000 bytes" in response.content.decode()
    response = api_client(people["bob"]).post(API, {"file": upload_file("h.zip", history_zip()), "team": "payments"})
    assert (response.status_code, response.json()["field"]) == (422, "file")
    assert not HistoryImport.objects.exists()


ACTIONS_MD = b"""# Queue stuck

Date: 2021-03-04

## Action items

- [x] Add an alert on queue depth
- Raise the consumer's memory limit
- Load test the consumer
"""


def test_the_page_and_the_api_say_what_action_items_without_a_status_become(people, client_for):
    from retrospector.actions.models import Recommendation

    bob = client_for("bob")
    form = bob.get("/history/upload").content.decode()
    assert 'name="action_status"' in form and "Action items without a status become" in form
    response = page_upload(bob, people["payments"], ACTIONS_MD, name="queue.md", action_status="dropped")
    assert response.status_code == 302, response.content
    job = HistoryImport.objects.get()
    page = bob.get(f"/history/{job.pk}/").content.decode()
    assert "2 without a status in their write-up: to be imported as dropped" in page
    bob.post(f"/history/{job.pk}/confirm")
    assert dict(Recommendation.objects.values_list("title", "status")) == {
        "Add an alert on queue depth": "done",
        "Raise the consumer's memory limit": "dropped",
        "Load test the consumer": "dropped",
    }

    api = api_client(people["bob"])
    asked = {"file": upload_file("queue.md", ACTIONS_MD), "team": "payments", "action_status": "forgotten"}
    response = api.post(API, asked)
    assert response.status_code == 422 and "action_status" in response.content.decode()
    again = ACTIONS_MD.replace(b"Queue stuck", b"Queue stuck again")  # queue.md as it was is imported: not read
    asked = {"file": upload_file("queue-2.md", again), "team": "payments", "action_status": "done"}
    response = api.post(API, asked)
    assert response.status_code == 202 and response.json()["action_status"] == "done"
    assert response.json()["report"]["totals"]["action_items_unstated"] == 2


def test_the_page_and_the_api_read_ambiguous_dates_the_way_they_are_told(people, client_for):
    text = b"# Cards declined\n\nDate: 04/03/2021 10:00 UTC\n\n## Summary\n\nx\n"
    bob = client_for("bob")
    assert "Dates like 04/03/2021" in bob.get("/history/upload").content.decode()
    page_upload(bob, people["payments"], text, name="cards.md", dates="month-first")
    started = HistoryImport.objects.get().report["files"][0]["recognised"]["started_at"]["value"]
    assert started.startswith("2021-04-03T10:00")

    api = api_client(people["bob"])
    response = api.post(API, {"file": upload_file("cards.md", text), "team": "payments", "dates": "day-first"})
    assert response.status_code == 202, response.content
    assert response.json()["report"]["files"][0]["recognised"]["started_at"]["value"].startswith("2021-03-04T10:00")
    response = api.post(API, {"file": upload_file("cards.md", text), "team": "payments", "dates": "sideways"})
    assert response.status_code == 422 and "dates" in response.content.decode()
