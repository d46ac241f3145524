"""A busy database (another writer holds the lock longer than this request waits) is a "try again" (503 with
Retry-After), never a server error (500): on pages, in the API, on the login page and in background imports.

The locks are real: a second connection holds a write transaction, and this one gives up after 100 ms (SQLite's busy
timeout, PostgreSQL's lock_timeout). The second connection needs committed rows to lock, so the tests are
transactional (their flush empties every table: the built-in templates are put back after the module)."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from retrospector.accounts.models import User
from retrospector.accounts.services import token_create
from retrospector.core.errors import is_lock_contention
from retrospector.writeups.models import Section

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("builtin_templates_put_back")]

FIRING = Path(__file__).resolve().parent / "fixtures" / "alertmanager" / "alertmanager-bot" / "firing.json"


@pytest.fixture
def lock_held_by_another_writer():
    """`hold(model, pk)`: another connection writes to that row and keeps its transaction open (on SQLite that locks
    the table, on PostgreSQL the row); the returned function ends it. Meanwhile this connection waits 100 ms at most."""
    sqlite = connection.vendor == "sqlite"
    busy_timeout_ms = int(connection.settings_dict["OPTIONS"].get("timeout", 5) * 1000)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 100" if sqlite else "SET lock_timeout = '100ms'")
    writers = []

    def release(writer):
        if writer in writers:
            writers.remove(writer)
            with writer.cursor() as cursor:
                cursor.execute("ROLLBACK")
            writer.connection.close()  # the driver's own: Django keeps an in-memory SQLite connection open

    def hold(model, pk):
        writer = connection.copy()
        writers.append(writer)
        with writer.cursor() as cursor:
            cursor.execute("BEGIN IMMEDIATE" if sqlite else "BEGIN")
            cursor.execute(f"UPDATE {model._meta.db_table} SET id = id WHERE id = %s", [pk])
        return lambda: release(writer)

    yield hold
    for writer in list(writers):
        release(writer)
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}" if sqlite else "RESET lock_timeout")


@pytest.fixture
def retrospective(make_incident, make_retrospective):
    from retrospector.writeups.services import builtin_templates_sync

    builtin_templates_sync()  # an earlier transactional test's flush may have emptied them
    return make_retrospective(make_incident())


def assert_try_again(response):
    assert response.status_code == 503, response.content[:300]
    assert int(response["Retry-After"]) > 0


def test_saving_a_section_page_while_another_writer_holds_the_lock_asks_to_try_again(
    retrospective, client_for, lock_held_by_another_writer
):
    section = retrospective.sections.order_by("position").first()
    edit = f"/retrospectives/{retrospective.pk}/sections/{section.key}/edit"
    form = {"body": "The queue backed up at 14:02.", "base_version": section.version}
    alice = client_for("alice")
    release = lock_held_by_another_writer(Section, section.pk)

    response = alice.post(edit, form)

    assert_try_again(response)
    assert "busy" in response.content.decode() and response["Content-Type"].startswith("text/html")
    release()
    assert Section.objects.get(pk=section.pk).version == section.version  # nothing was saved
    assert alice.post(edit, form).status_code in (200, 302)  # the same request, sent again, goes through
    assert Section.objects.get(pk=section.pk).body == form["body"]


def test_an_api_save_while_another_writer_holds_the_lock_answers_503_in_the_apis_error_shape(
    retrospective, people, lock_held_by_another_writer
):
    section = retrospective.sections.order_by("position").first()
    _, raw = token_create(user=people["alice"], name="busy")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    url = f"/api/v1/retrospectives/{retrospective.pk}/sections/{section.key}"
    payload = {"body": "The queue backed up at 14:02.", "base_version": section.version}
    release = lock_held_by_another_writer(Section, section.pk)

    response = api.put(url, payload, content_type="application/json")

    assert_try_again(response)
    assert response.json() == {"detail": response.json()["detail"], "field": None}
    assert "busy" in response.json()["detail"] and "Try again" in response.json()["detail"]
    release()
    assert api.put(url, payload, content_type="application/json").status_code == 200


def test_logging_in_while_another_writer_holds_the_lock_asks_to_try_again_and_logs_nobody_in(
    people, lock_held_by_another_writer
):
    browser = Client()
    lock_held_by_another_writer(User, people["bob"].pk)

    response = browser.post("/login/", {"username": "bob", "password": "pw"})

    assert_try_again(response)
    assert browser.get("/").status_code == 302  # still asked to log in


def test_a_busy_database_while_the_session_is_saved_after_the_view_asks_to_try_again(people, monkeypatch):
    """The session middleware saves a log-in's session after the view has answered: outside any view."""
    save = SessionStore.save

    def save_meeting_a_lock(self, must_create=False):
        if not must_create:
            raise OperationalError("database is locked")
        return save(self, must_create=must_create)

    monkeypatch.setattr(SessionStore, "save", save_meeting_a_lock)
    browser = Client(raise_request_exception=False)

    assert_try_again(browser.post("/login/", {"username": "bob", "password": "pw"}))


def test_other_database_errors_are_still_server_errors(client_for, monkeypatch):
    from retrospector import views

    def broken(*args, **kwargs):
        raise OperationalError("no such table: incidents_incident")

    monkeypatch.setattr(views, "select_incidents", broken)
    alice = client_for("alice")
    alice.raise_request_exception = False
    assert alice.get("/").status_code == 500


@pytest.mark.parametrize(
    ("message", "sqlstate", "busy"),
    [
        ("database is locked", None, True),
        ("database table is locked: writeups_section", None, True),
        ("canceling statement due to lock timeout", "55P03", True),
        ("could not serialize access due to concurrent update", "40001", True),
        ("deadlock detected", "40P01", True),
        ("no such table: writeups_section", None, False),
        ("canceling statement due to statement timeout", "57014", False),
    ],
)
def test_lock_contention_is_told_apart_from_other_database_errors(message, sqlstate, busy):
    cause = type("DriverError", (Exception,), {"sqlstate": sqlstate})(message)
    error = OperationalError(message)
    error.__cause__ = cause
    assert is_lock_contention(error) is busy


def test_a_background_import_that_meets_a_busy_database_runs_again_shortly(
    make_incident, client_for, settings, monkeypatch
):
    from conftest import run_worker_command
    from django_tasks_db.models import DBTaskResult

    from retrospector.timeline import tasks
    from retrospector.timeline.models import PendingImport, TimelineEvent

    settings.TIMELINE_IMPORT_INLINE_BYTES = 64  # the sample goes to the background
    incident = make_incident()
    with FIRING.open("rb") as upload:
        response = client_for("alice").post(
            f"/api/v1/incidents/{incident.pk}/timeline/imports", {"source": "alertmanager", "file": upload}
        )
    assert response.status_code == 202, response.content
    job = PendingImport.objects.get()
    import_for_real = tasks.timeline_import

    def import_meeting_a_lock(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(tasks, "timeline_import", import_meeting_a_lock)
    run_worker_command()

    job.refresh_from_db()
    assert (job.status, job.problems) == (PendingImport.Status.QUEUED, [])  # waiting again, not failed
    retry = DBTaskResult.objects.get(pk=job.task_id)
    assert retry.status == "READY" and retry.run_after > timezone.now()

    monkeypatch.setattr(tasks, "timeline_import", import_for_real)
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker_command()

    job.refresh_from_db()
    assert job.status == PendingImport.Status.DONE
    assert TimelineEvent.objects.filter(incident=incident).count() == job.event_count > 0


def test_a_background_import_fails_saying_why_once_the_database_stayed_busy_too_long(
    make_incident, client_for, settings, monkeypatch
):
    from conftest import run_worker_command

    from retrospector.timeline import tasks
    from retrospector.timeline.models import PendingImport

    settings.TIMELINE_IMPORT_INLINE_BYTES = 64
    incident = make_incident()
    with FIRING.open("rb") as upload:
        client_for("alice").post(
            f"/api/v1/incidents/{incident.pk}/timeline/imports", {"source": "alertmanager", "file": upload}
        )
    long_ago = timezone.now() - tasks.BUSY_RETRY_FOR - timedelta(minutes=1)
    PendingImport.objects.update(created_at=long_ago, confirmed_at=long_ago)

    def import_meeting_a_lock(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(tasks, "timeline_import", import_meeting_a_lock)
    run_worker_command()

    job = PendingImport.objects.get()
    assert job.status == PendingImport.Status.FAILED
    (problem,) = job.problems
    assert problem["file"] == job.file_name and "database stayed too busy" in problem["message"]
