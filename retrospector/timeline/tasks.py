"""Background timeline imports: the jobs' writes and reads, and the task `retrospector worker` runs.

A job is a PendingImport with background=True (uploads over settings.TIMELINE_IMPORT_INLINE_BYTES). Its states:

    queued -> reading -> ready                  upload: a worker reads the file for the preview
    ready -> queued -> importing -> done        the uploader confirms: a worker imports it (timeline_import)
    queued -> reading -> importing -> done      an API upload without dry_run is confirmed at once (read once)
    any step -> failed                          with every problem; nothing is saved
    reading/importing -> queued                 the database was busy (lock contention): the step runs again shortly

Each step is one `import_job_run` task on the database backend, enqueued in the same transaction as the job's change:
a worker never sees a task whose job is not saved, and a request that fails leaves no task behind. The task claims
the job with a conditional UPDATE (status queued -> reading/importing), so a task that runs twice does nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks import task

from retrospector.accounts.models import User
from retrospector.core.errors import BUSY_RETRY_AFTER_SECONDS, is_lock_contention
from retrospector.core.periodic import no_worker_for
from retrospector.importers.base import ImportFailed, ImportProblem, ParsedEvent
from retrospector.importers.registry import parse_uploads, survey_uploads
from retrospector.incidents.models import Incident
from retrospector.timeline.imports import (
    ImportRequest,
    events_outside_window,
    import_permission_check,
    import_window,
    pending_files,
    pending_import_create,
)
from retrospector.timeline.models import ImportRecord, PendingImport, TimelineEvent
from retrospector.timeline.services import NothingToImport, timeline_import

Status = PendingImport.Status
IN_PROGRESS = (Status.QUEUED, Status.READING, Status.IMPORTING)
PREVIEW_ROWS = 100
PREVIEW_TEXT = 500  # characters of an event's text kept for the preview (the table shows 160)
STALLED_AFTER = timedelta(hours=1)  # a step still reading or importing this long after it started: its worker is gone
UNFINISHED_LIFETIME = timedelta(days=1)  # unconfirmed or failed uploads, with their bytes
DONE_LIFETIME = timedelta(days=30)  # finished jobs hold no bytes, only what the result page shows
BUSY_RETRY_FOR = timedelta(
    minutes=10
)  # a step that meets a busy database is queued again until this long after it began
_REF_BATCH = 500  # source refs per query when counting what is already on the timeline


# --- Previews and counts (shared with the in-request import of small files) ------------------------------------


def preview_rows(events: Sequence[ParsedEvent]) -> list[dict]:
    """The first events as the preview shows them (JSON-able: kept on the job until it is imported)."""
    rows = []
    for event in events[:PREVIEW_ROWS]:
        data = event.as_json()
        rows.append(
            {
                "time": data["time"],
                "original_time": event.original_time,
                "kind": event.kind,
                "actor": event.actor,
                "actor_kind": event.actor_kind,
                "channel": event.channel,
                "text": event.text if len(event.text) <= PREVIEW_TEXT else event.text[: PREVIEW_TEXT - 1] + "…",
                "source_ref": event.source_ref,
            }
        )
    return rows


def new_event_count(*, incident: Incident, source_type: str, events: Sequence[ParsedEvent]) -> int:
    """How many of `events` an import would add: not on the timeline yet, nor earlier in the same input (the way
    timeline_import skips them). Looked up in batches: an export has more refs than a query may have parameters."""
    refs = list(dict.fromkeys(e.source_ref[:500] for e in events if e.source_ref))
    existing: set[str] = set()
    for start in range(0, len(refs), _REF_BATCH):
        existing.update(
            TimelineEvent.objects.filter(
                incident=incident, source_type=source_type, source_ref__in=refs[start : start + _REF_BATCH]
            ).values_list("source_ref", flat=True)
        )
    return sum(1 for e in events if not e.source_ref) + len(refs) - len(existing)


def preview_survey(
    *, incident: Incident, request: ImportRequest, files: Sequence[tuple[str, bytes]], events: Sequence[ParsedEvent]
) -> dict:
    """What a preview says of the whole upload (JSON-able, kept on a job): the channels found, each with its messages
    within the times asked for and outside them, and whether it is chosen (a Slack export); and how many events fall
    outside the incident's window."""
    channels = survey_uploads(request.source, files, request.options) or []
    chosen = request.options.channels
    return {
        "channels": [
            {"name": c.name, "messages": c.messages, "outside": c.outside, "chosen": chosen is None or c.name in chosen}
            for c in channels
        ],
        "outside_window": events_outside_window(events, import_window(incident)),
    }


def problem_dict(problem: ImportProblem) -> dict:
    return asdict(problem)


# --- Reads --------------------------------------------------------------------------------------------------------


def import_jobs_of(*, user: User, incident: Incident) -> QuerySet[PendingImport]:
    """A person's background imports into an incident, newest first, without the file's bytes. A job is only ever
    shown to the person who uploaded it (other editors see the result on the timeline)."""
    return (
        PendingImport.objects.filter(incident=incident, created_by=user, background=True)
        .defer("content")
        .select_related("import_record")
        .order_by("-created_at", "-pk")
    )


def import_job_waiting_for_worker(job: PendingImport, *, now: datetime | None = None) -> timedelta | None:
    """How long the queued job has waited for a worker that does not seem to run (core.periodic.no_worker_for)."""
    if job.status != Status.QUEUED or job.queued_at is None:
        return None
    return no_worker_for(job.queued_at, now=now)


def import_job_summary(job: PendingImport) -> str:
    """One sentence on where the job is, naming the file."""
    name = job.file_name
    if job.status == Status.QUEUED:
        step = "read" if job.confirmed_at is None else "import" if job.event_count is not None else "read and import"
        return f"{name}: waiting for a worker to {step} it."
    if job.status == Status.READING:
        return f"{name}: reading; {job.read_count:,} events so far."
    if job.status == Status.READY:
        return f"{name}: {job.event_count:,} events read, {job.new_count:,} new. Nothing is saved until you confirm."
    if job.status == Status.IMPORTING:
        return f"{name}: importing {job.event_count or 0:,} events."
    if job.status == Status.DONE:
        record = job.import_record
        if record is None and job.new_count == 0:
            if not job.event_count:
                return f"{name}: no events to import (none matched the channels and times asked for); nothing saved."
            return f"{name}: nothing new; all {job.event_count:,} events were already on the timeline, nothing saved."
        if record is None:
            return f"{name}: imported (the import was removed since)."
        skipped = f" ({record.skipped_count:,} were already on the timeline)" if record.skipped_count else ""
        return f"{name}: imported {record.event_count:,} events{skipped}."
    count = len(job.problems)
    return f"{name}: nothing was imported; {count} problem{'' if count == 1 else 's'}."


# --- Writes -------------------------------------------------------------------------------------------------------


def _enqueue_step(job: PendingImport) -> None:
    """Queue the job's next step; call inside the transaction that put the job in the queued state."""
    result = import_job_run.enqueue(job.pk)
    PendingImport.objects.filter(pk=job.pk).update(task_id=str(result.id))
    job.task_id = str(result.id)


def import_job_start(
    *,
    incident: Incident,
    by: User,
    request: ImportRequest,
    file_name: str,
    content: bytes,
    confirm: bool,
    files: Sequence[str] = (),
) -> PendingImport:
    """Keep an upload as a background job and queue its reading; `confirm` imports it right after (the API without
    dry_run), otherwise it stops at ready for the uploader to check the preview."""
    import_jobs_prune()
    with transaction.atomic():
        job = pending_import_create(
            incident=incident,
            by=by,
            request=request,
            file_name=file_name,
            content=content,
            files=files,
            background=True,
            confirm=confirm,
        )
        _enqueue_step(job)
    return PendingImport.objects.defer("content").get(pk=job.pk)


def import_job_confirm(*, job: PendingImport, by: User) -> PendingImport:
    """The uploader confirms a job that is ready: queue the import. Confirming twice queues nothing twice."""
    if job.created_by_id != by.pk:
        raise PermissionDenied("Only the person who uploaded the file can confirm its import.")
    import_permission_check(by=by, incident=job.incident)
    now = timezone.now()
    with transaction.atomic():
        confirmed = PendingImport.objects.filter(pk=job.pk, background=True, status=Status.READY).update(
            status=Status.QUEUED, confirmed_at=now, queued_at=now
        )
        if not confirmed:
            job.refresh_from_db(fields=["status"])
            raise ValidationError(
                {
                    "status": f"Only an import that is ready can be confirmed; {job.file_name} is at "
                    f"“{job.get_status_display()}”."
                }
            )
        _enqueue_step(job)
    return PendingImport.objects.defer("content").select_related("import_record").get(pk=job.pk)


def import_job_refine(*, job: PendingImport, by: User, request: ImportRequest) -> PendingImport:
    """Read a job that is ready again with other options (channels and times chosen from its preview): it goes back to
    the queue, and to ready with a new preview."""
    if job.created_by_id != by.pk:
        raise PermissionDenied("Only the person who uploaded the file can change what is imported from it.")
    import_permission_check(by=by, incident=job.incident)
    files = job.options.get("files")
    now = timezone.now()
    with transaction.atomic():
        changed = PendingImport.objects.filter(pk=job.pk, background=True, status=Status.READY).update(
            status=Status.QUEUED,
            options={**request.stored(), **({"files": files} if files else {})},
            queued_at=now,
            started_at=None,
            read_count=0,
            event_count=None,
            new_count=None,
            preview=[],
            survey={},
        )
        if not changed:
            job.refresh_from_db(fields=["status"])
            raise ValidationError(
                {
                    "status": f"Only an import that is ready can be read again; {job.file_name} is at "
                    f"“{job.get_status_display()}”."
                }
            )
        _enqueue_step(job)
    return PendingImport.objects.defer("content").select_related("import_record").get(pk=job.pk)


def import_jobs_prune(*, now: datetime | None = None) -> int:
    """Remove uploads nobody confirmed (and failed ones) after a day, with their bytes; finished jobs after a month.
    Run lazily: by the import pages, each new upload and each task."""
    now = now or timezone.now()
    expired = (Q(created_at__lt=now - UNFINISHED_LIFETIME) & ~Q(status=Status.DONE)) | Q(
        created_at__lt=now - DONE_LIFETIME
    )
    return PendingImport.objects.filter(expired).delete()[0]


def import_jobs_fail_stalled(*, now: datetime | None = None) -> int:
    """Jobs whose worker went away mid-step (stopped, restarted, killed): a step that started more than STALLED_AFTER
    ago and is still reading or importing will not finish (the biggest upload takes well under a minute). They end as
    failed, saying so; nothing of theirs was saved, since an import is one transaction. A periodic job
    (core.periodic)."""
    now = now or timezone.now()
    stalled = PendingImport.objects.filter(
        background=True, status__in=[Status.READING, Status.IMPORTING], started_at__lt=now - STALLED_AFTER
    ).defer("content")
    count = 0
    for job in stalled:
        step = "reading" if job.status == Status.READING else "importing"
        _fail(
            job.pk,
            [
                ImportProblem(
                    file=job.file_name,
                    message=(
                        f"the worker stopped while {step} this file (it was restarted or ended) and nothing was saved; "
                        "upload the file again."
                    ),
                )
            ],
        )
        count += 1
    return count


def _queue_again_or_fail_when_busy(job: PendingImport) -> dict:
    """The step met lock contention (other writers held the database too long) and saved nothing: queue it again a
    moment later, the way a busy page asks to be sent again; fail, saying why, once the database has been busy for
    BUSY_RETRY_FOR since the step was asked for (at upload, or at confirmation)."""
    now = timezone.now()
    if now - (job.confirmed_at or job.created_at) > BUSY_RETRY_FOR:
        minutes = int(BUSY_RETRY_FOR.total_seconds() // 60)
        message = (
            f"the database stayed too busy to take this file for {minutes} minutes and nothing was saved; "
            "upload the file again later."
        )
        _fail(job.pk, [ImportProblem(file=job.file_name, message=message)])
        return {"job": job.pk, "status": Status.FAILED.value, "problems": 1, "ran": True}
    with transaction.atomic():
        PendingImport.objects.filter(pk=job.pk).update(status=Status.QUEUED, started_at=None, queued_at=now)
        result = import_job_run.using(run_after=now + timedelta(seconds=BUSY_RETRY_AFTER_SECONDS)).enqueue(job.pk)
        PendingImport.objects.filter(pk=job.pk).update(task_id=str(result.id))
    return {"job": job.pk, "status": Status.QUEUED.value, "busy": True, "ran": False}


def _fail(job_id: int, problems: Sequence[ImportProblem]) -> None:
    # The bytes go too: a file that failed is uploaded again once corrected.
    PendingImport.objects.filter(pk=job_id).update(
        status=Status.FAILED, problems=[problem_dict(p) for p in problems], content=b"", finished_at=timezone.now()
    )


def _done(job: PendingImport, *, record: ImportRecord | None, count: int, **more) -> None:
    PendingImport.objects.filter(pk=job.pk).update(
        status=Status.DONE,
        import_record=record,
        content=b"",
        event_count=count,
        read_count=count,
        finished_at=timezone.now(),
        **more,
    )


@task()
def import_job_run(job_id: int) -> dict:
    """A background import's next step: read the file for the preview (and import it when already confirmed), or
    import it after confirmation. Problems in the file end the job as failed, with every problem and nothing saved."""
    import_jobs_prune()
    job = PendingImport.objects.filter(pk=job_id, background=True).select_related("incident", "created_by").first()
    if job is None or job.status != Status.QUEUED:
        return {"job": job_id, "status": job.status if job else "removed", "ran": False}
    reading = job.event_count is None
    claimed = PendingImport.objects.filter(pk=job.pk, status=Status.QUEUED).update(
        status=Status.READING if reading else Status.IMPORTING, started_at=timezone.now()
    )
    if not claimed:  # another worker took it meanwhile
        return {"job": job_id, "status": "taken", "ran": False}

    def progress(count: int) -> None:
        PendingImport.objects.filter(pk=job.pk).update(read_count=count)

    try:
        request = ImportRequest.from_stored(source=job.source_type, stored=job.options)
        files = pending_files(job)
        events = parse_uploads(
            job.source_type, files, request.options, mapping=request.mapping, progress=progress if reading else None
        )
        if reading:
            new = new_event_count(incident=job.incident, source_type=job.source_type, events=events)
            importing = job.confirmed_at is not None
            PendingImport.objects.filter(pk=job.pk).update(
                status=Status.IMPORTING if importing else Status.READY,
                read_count=len(events),
                event_count=len(events),
                new_count=new,
                preview=preview_rows(events),
                survey={}
                if importing
                else preview_survey(incident=job.incident, request=request, files=files, events=events),
            )
            if not importing:
                return {"job": job_id, "status": Status.READY.value, "count": len(events), "new": new, "ran": True}
        try:
            with transaction.atomic():  # the events and the job's "done" are saved together, or neither
                record = timeline_import(
                    incident=job.incident,
                    by=job.created_by,
                    source_type=job.source_type,
                    file_name=job.file_name,
                    events=events,
                )
                _done(job, record=record, count=len(events))
        except NothingToImport:  # done, with nothing added and no import recorded (its summary says so)
            _done(job, record=None, count=len(events), new_count=0)
            return {"job": job_id, "status": Status.DONE.value, "import_id": None, "added": 0, "ran": True}
        return {
            "job": job_id,
            "status": Status.DONE.value,
            "import_id": record.pk,
            "added": record.event_count,
            "ran": True,
        }
    except ImportFailed as exc:
        _fail(job.pk, exc.problems)
        return {"job": job_id, "status": Status.FAILED.value, "problems": len(exc.problems), "ran": True}
    except PermissionDenied as exc:  # the uploader may no longer edit the incident
        _fail(job.pk, [ImportProblem(file=job.file_name, message=str(exc))])
        return {"job": job_id, "status": Status.FAILED.value, "problems": 1, "ran": True}
    except ValidationError as exc:  # an option kept with the job no longer holds, e.g. a time zone gone from tzdata
        problems = [
            ImportProblem(file=job.file_name, field=field, message=message)
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
        _fail(job.pk, problems)
        return {"job": job_id, "status": Status.FAILED.value, "problems": len(problems), "ran": True}
    except Exception as exc:
        if is_lock_contention(exc):
            return _queue_again_or_fail_when_busy(job)
        _fail(
            job.pk,
            [
                ImportProblem(
                    file=job.file_name,
                    message=f"the import stopped unexpectedly ({type(exc).__name__}); nothing was saved. "
                    "Upload the file again, or ask an administrator to look at the worker's log.",
                )
            ],
        )
        raise  # the task's result keeps the traceback
