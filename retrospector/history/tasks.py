"""The worker's side of uploaded histories (uploads.py keeps and confirms them): the step that reads an upload for its
report or imports it, as the task `retrospector worker` runs (and the request, for small uploads), and the periodic
jobs that remove expired uploads and fail those whose worker stopped."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from retrospector.accounts.models import User
from retrospector.core.errors import BUSY_RETRY_AFTER_SECONDS, is_lock_contention
from retrospector.importers.history.files import InputFile, iter_upload
from retrospector.incidents.models import Incident

from .models import HistoryImport
from .services import HistoryOptions, history_import

Status = HistoryImport.Status
UNFINISHED_LIFETIME = timedelta(days=1)  # uploads nobody confirmed (and failed ones), with their bytes
STALLED_AFTER = timedelta(hours=1)  # a step still reading or importing this long after it started: its worker is gone
BUSY_RETRY_FOR = timedelta(minutes=10)  # a step meeting a busy database is queued again until this long after it began
PROGRESS_EVERY = 10  # files read between two writes of the job's progress


def inputs_from_upload(name: str, data: bytes) -> Iterator[tuple[str, InputFile]]:
    """What history_import reads from an upload: (what was given, each file in it)."""
    for item in iter_upload(name, data):
        yield name, item


def job_enqueue(job_id: int) -> None:
    """Queue the job's next step for the worker; call inside the transaction that queued the job."""
    history_job_run.enqueue(job_id)


def history_uploads_prune(*, now: datetime | None = None) -> int:
    """Remove uploads nobody confirmed, and failed ones, after a day, with their bytes (imports that finished stay: they
    are the record of what was saved). Run by each upload and as a periodic job."""
    now = now or timezone.now()
    expired = HistoryImport.objects.filter(created_at__lt=now - UNFINISHED_LIFETIME).exclude(
        status__in=[Status.DONE, Status.IMPORTING]
    )
    return expired.delete()[0]


def history_uploads_fail_stalled(*, now: datetime | None = None) -> int:
    """Steps whose worker went away (stopped, restarted, killed): reading or importing for more than STALLED_AFTER.
    They end as failed, saying so. A periodic job."""
    now = now or timezone.now()
    stalled = HistoryImport.objects.filter(
        status__in=[Status.READING, Status.IMPORTING], started_at__lt=now - STALLED_AFTER
    ).defer("content")
    count = 0
    for job in stalled:
        if job.status == Status.READING:
            why = "the worker stopped while reading this upload (it was restarted or ended); nothing was saved."
        else:
            why = (
                "the worker stopped while importing this upload (it was restarted or ended). Each file was saved "
                "whole or not at all: upload it again to import the rest (files already imported are unchanged)."
            )
        _fail(job.pk, why)
        count += 1
    return count


def _fail(job_id: int, error: str) -> None:
    HistoryImport.objects.filter(pk=job_id).update(
        status=Status.FAILED, error=error, content=b"", finished_at=timezone.now()
    )


def _options_of(job: HistoryImport, *, dry_run: bool) -> HistoryOptions:
    """The options the job was uploaded with; the import is made as whoever confirmed it (else its uploader)."""
    stored = job.options or {}
    by = None
    if stored.get("confirmed_by"):
        by = User.objects.filter(pk=stored["confirmed_by"], is_active=True).first()
    by = by or job.created_by
    if by is None:
        raise PermissionDenied("The person who uploaded this history is gone; upload it again.")
    return HistoryOptions(
        team=job.team,
        by=by,
        tz=stored.get("tz") or None,
        mapping=stored.get("mapping") or None,
        visibility=stored.get("visibility") or Incident.Visibility.ORGANIZATION,
        dry_run=dry_run,
        action_status=stored.get("action_status") or "planned",
    )


def _queue_again_or_fail_when_busy(job: HistoryImport) -> dict:
    now = timezone.now()
    if now - (job.confirmed_at or job.created_at) > BUSY_RETRY_FOR:
        minutes = int(BUSY_RETRY_FOR.total_seconds() // 60)
        _fail(job.pk, f"the database stayed too busy to take this upload for {minutes} minutes; upload it again later.")
        return {"job": job.pk, "status": Status.FAILED.value, "ran": True}
    with transaction.atomic():
        HistoryImport.objects.filter(pk=job.pk).update(status=Status.QUEUED, started_at=None, queued_at=now)
        history_job_run.using(run_after=now + timedelta(seconds=BUSY_RETRY_AFTER_SECONDS)).enqueue(job.pk)
    return {"job": job.pk, "status": Status.QUEUED.value, "busy": True, "ran": False}


def history_job_step(job_id: int, *, in_worker: bool = False) -> dict:
    """The job's next step: read it for the report (a dry run: nothing saved), or import it once confirmed. A failure
    ends the job as failed, saying why; in the worker an unexpected one is raised again (its traceback is kept with
    the task's result), in a request it is not (the page shows the failed job)."""
    if in_worker:
        history_uploads_prune()
    job = HistoryImport.objects.filter(pk=job_id).select_related("team__organization", "created_by").first()
    if job is None or job.status != Status.QUEUED:
        return {"job": job_id, "status": job.status if job else "removed", "ran": False}
    importing = job.confirmed_at is not None
    claimed = HistoryImport.objects.filter(pk=job.pk, status=Status.QUEUED).update(
        status=Status.IMPORTING if importing else Status.READING, started_at=timezone.now(), read_count=0
    )
    if not claimed:  # another worker took it meanwhile
        return {"job": job_id, "status": "taken", "ran": False}

    def progress(count: int) -> None:
        if count % PROGRESS_EVERY == 0:
            HistoryImport.objects.filter(pk=job.pk).update(read_count=count)

    try:
        options = _options_of(job, dry_run=not importing)
        report = history_import(
            inputs=inputs_from_upload(job.file_name, bytes(job.content)),
            options=options,
            run=job if importing else None,
            progress=progress,
        )
        count = report["totals"]["files"]
        if importing:
            report["import_id"] = job.pk
            HistoryImport.objects.filter(pk=job.pk).update(
                status=Status.DONE, report=report, read_count=count, content=b"", finished_at=timezone.now()
            )
            return {"job": job_id, "status": Status.DONE.value, "files": count, "ran": True}
        HistoryImport.objects.filter(pk=job.pk, status=Status.READING).update(
            status=Status.READY, report=report, read_count=count
        )
        return {"job": job_id, "status": Status.READY.value, "files": count, "ran": True}
    except PermissionDenied as exc:  # the person may no longer import this team's history
        _fail(job.pk, str(exc))
        return {"job": job_id, "status": Status.FAILED.value, "ran": True}
    except ValidationError as exc:
        _fail(job.pk, " ".join(exc.messages))
        return {"job": job_id, "status": Status.FAILED.value, "ran": True}
    except Exception as exc:
        if is_lock_contention(exc):
            return _queue_again_or_fail_when_busy(job)
        saved = " Each file was saved whole or not at all." if importing else " Nothing was saved."
        _fail(
            job.pk,
            f"the import stopped unexpectedly ({type(exc).__name__}).{saved} Upload it again, or ask an administrator "
            "to look at the worker's log.",
        )
        if in_worker:
            raise  # the task's result keeps the traceback
        return {"job": job_id, "status": Status.FAILED.value, "ran": True}


@task()
def history_job_run(job_id: int) -> dict:
    """An uploaded history's next step, run by `retrospector worker`: read it for the report, or import it."""
    return history_job_step(job_id, in_worker=True)
