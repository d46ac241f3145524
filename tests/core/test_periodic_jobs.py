"""Periodic housekeeping runs in `retrospector worker`: it keeps itself queued, and one job failing stops no other."""

from datetime import timedelta

import pytest
from conftest import run_worker_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from retrospector.core import periodic
from retrospector.core.periodic import HOUSEKEEPING_EVERY, housekeeping, housekeeping_schedule
from retrospector.timeline.models import PendingImport

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("builtin_templates_put_back")]


def waiting_runs():
    return DBTaskResult.objects.filter(task_path=housekeeping.module_path, status="READY")


def job(incident, people, **fields):
    return PendingImport.objects.create(
        incident=incident,
        created_by=people["bob"],
        source_type="slack",
        file_name="x.zip",
        content=b"PK...",
        background=True,
        **fields,
    )


def test_the_worker_runs_housekeeping_which_queues_itself_again(make_incident, people):
    incident = make_incident()
    now = timezone.now()
    expired = job(incident, people, status="ready")
    PendingImport.objects.filter(pk=expired.pk).update(created_at=now - timedelta(days=2))
    stalled = job(incident, people, status="importing", started_at=now - timedelta(hours=2), event_count=10)
    busy = job(incident, people, status="reading", started_at=now - timedelta(minutes=5))

    run_worker_command()

    assert not PendingImport.objects.filter(pk=expired.pk).exists()
    stalled.refresh_from_db()
    assert stalled.status == "failed" and bytes(stalled.content) == b""
    assert "the worker stopped while importing this file" in stalled.problems[0]["message"]
    assert PendingImport.objects.get(pk=busy.pk).status == "reading"  # a step under way is left alone
    (next_run,) = waiting_runs()
    assert timedelta(minutes=9) < next_run.run_after - timezone.now() <= HOUSEKEEPING_EVERY
    assert housekeeping_schedule() is False and waiting_runs().count() == 1  # a second worker adds no second chain

    run_worker_command()  # the next run is not due yet: nothing runs, still one waiting
    assert waiting_runs().count() == 1


def test_one_failing_job_does_not_stop_the_others_or_the_next_run(monkeypatch):
    ran = []

    def broken():
        raise RuntimeError("disk full")

    monkeypatch.setattr(periodic, "_jobs", lambda: [("broken", broken), ("counting", lambda: ran.append(1) or 1)])
    result = housekeeping.call()
    assert result == {"broken": "failed (see the worker's log)", "counting": 1} and ran == [1]
    assert waiting_runs().count() == 1
