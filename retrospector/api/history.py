"""Bring your history through the API: upload a zip of past write-ups (or one) as a job, read its report, confirm or
discard it. The same services as the page (history.uploads): the same rules, the same permissions (a team's members
and organization admins; anyone else gets 404 for its jobs)."""

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from retrospector.accounts.selectors import team_by_slug
from retrospector.history.models import HistoryImport
from retrospector.history.services import ACTION_STATUSES, DATE_ORDERS
from retrospector.history.uploads import (
    history_import_visible_or_404,
    history_imports_visible_to,
    history_job_summary,
    history_job_waiting_for_worker,
    history_upload_confirm,
    history_upload_create,
    history_upload_discard,
    history_upload_size_check,
)

from .choices import choices_literal
from .contract import DictOut, responses
from .timeline import ZoneOrEmpty
from .types import Id, PageNumber, PageSize

router = Router(tags=["history"])

JobStatus = choices_literal(HistoryImport.Status)
Origin = choices_literal(HistoryImport.Origin)
Visibility = choices_literal(("organization", "private"))
ActionStatus = choices_literal(ACTION_STATUSES)
DateOrderOrEmpty = choices_literal(("", *DATE_ORDERS))  # a multipart field has no null: empty is "not guessed"


class HistoryImportOut(DictOut):
    id: int
    url: str = Field(..., description="Poll this until status is ready, done or failed.")
    status: JobStatus = Field(
        ...,
        description="queued, reading, ready (the report of a dry run: confirm to import), importing, done or failed.",
    )
    detail: str = Field(..., description="Where the import is, in a sentence.")
    confirmed: bool = Field(..., description="False for a dry run: the job stops at ready with its report.")
    team: str = Field(..., description="The team's short name (slug).")
    origin: Origin
    file_name: str
    file_size: int
    tz: str | None = Field(..., description="The zone of times written without one (UTC when null).")
    visibility: Visibility
    action_status: ActionStatus = Field(
        ..., description="What action items whose write-up gives no status become: planned, done or dropped."
    )
    created_by: str | None
    created_at: datetime
    queued_at: datetime | None
    started_at: datetime | None
    confirmed_at: datetime | None
    finished_at: datetime | None
    read_count: int = Field(..., description="Files read so far by the running step.")
    error: str = Field(..., description="Why the job failed, when it did; else empty.")
    totals: dict[str, Any] | None = Field(..., description="The report's totals, once read.")
    report: dict[str, Any] | None = Field(
        ...,
        description="The whole report, once read (ready: what would be imported; done: what was): `files` with, per "
        "file, its outcome, what was recognised (title, dates, sections and how they matched, events, action items), "
        "its problems (file, line, what was done) and the write-up checker's findings; and `totals`. Only in a job's "
        "own answer, not in the list.",
    )
    no_worker: str | None = Field(None, description="Set when the job has waited long for a worker.")


class HistoryImportPage(DictOut):
    count: int
    page: int
    page_size: int
    pages: int
    results: list[HistoryImportOut]


class RemovedOut(Schema):
    removed: int


class HistoryListFilters(Schema):
    page: PageNumber = Field(1, description="A page past the last answers the last.")
    page_size: PageSize = 25


def history_import_out(job: HistoryImport, *, report: bool = True) -> dict:
    waited = history_job_waiting_for_worker(job)
    options = job.options or {}
    return {
        "id": job.pk,
        "url": f"/api/v1/history/imports/{job.pk}",
        "status": job.status,
        "detail": history_job_summary(job),
        "confirmed": job.confirmed_at is not None,
        "team": job.team.slug,
        "origin": job.origin,
        "file_name": job.file_name,
        "file_size": job.file_size,
        "tz": options.get("tz") or None,
        "visibility": options.get("visibility") or "organization",
        "action_status": options.get("action_status") or "planned",
        "created_by": job.created_by.username if job.created_by else None,
        "created_at": job.created_at,
        "queued_at": job.queued_at,
        "started_at": job.started_at,
        "confirmed_at": job.confirmed_at,
        "finished_at": job.finished_at,
        "read_count": job.read_count,
        "error": job.error,
        "totals": (job.report or {}).get("totals"),
        "report": (job.report or None) if report else None,
        "no_worker": f"No worker seems to be running: this job has waited {int(waited.total_seconds())} s. "
        "Start one with `retrospector worker` (`make run` starts one)."
        if waited
        else None,
    }


@router.post(
    "/history/imports",
    response=responses(202, HistoryImportOut, errors=(400, 413, 403, 422)),
    summary="Upload past write-ups (multipart): file, team, tz, mapping, private, dates, action_status, dry_run",
    description="`file` is a zip of Markdown, HTML (Confluence, Google Docs) and Word (.docx) files, or one such file; "
    "`team` the short name of a team you are a member of (403 otherwise; organization admins: any). Answers 202 with "
    "the job: small uploads (up to HISTORY_IMPORT_INLINE_BYTES, 2 MB by default) are read in the request, bigger "
    "ones by the worker: poll the job's url. With `dry_run` (the default) the job stops at ready with its report, to "
    "confirm or discard; with `dry_run=false` it is imported at once. A zip with paths that climb out, links, more "
    "than 10,000 entries or more than 1 GB unpacked, or a file of another format, is refused (422 naming `file`), "
    "and nothing is kept. `mapping` is an optional YAML or JSON file overriding what is read (template, sections, "
    "fields). `action_status` (planned by default) is what action items whose write-up gives no status (no "
    "checkbox, status column or status word) become: planned, done or dropped. `dates` (day-first or month-first) "
    "says how a date like 04/03/2021 is read when a file's other dates do not tell (not guessed by default).",
)
def upload_history(
    request,
    file: File[UploadedFile],
    team: Form[str],
    tz: Annotated[ZoneOrEmpty, Form("")],
    mapping: File[UploadedFile | None] = None,
    private: Form[bool] = False,
    action_status: Form[ActionStatus] = "planned",
    dates: Form[DateOrderOrEmpty] = "",
    dry_run: Form[bool] = True,
):
    found = team_by_slug(user=request.user, slug=team) if team else None
    if found is None:
        raise ValidationError({"team": f"Unknown team {team!r}: give the short name of a team of your organization."})
    history_upload_size_check(file_name=file.name or "upload", size=file.size or 0)
    job = history_upload_create(
        by=request.user,
        team=found,
        file_name=file.name or "upload",
        content=b"".join(file.chunks()),
        tz=tz or None,
        mapping=b"".join(mapping.chunks()) if mapping is not None else None,
        mapping_name=(mapping.name or "mapping") if mapping is not None else "mapping",
        private=private,
        action_status=action_status,
        dates=dates or None,
        origin=HistoryImport.Origin.API,
        confirm=not dry_run,
    )
    return Status(202, history_import_out(job))


@router.get(
    "/history/imports",
    response=responses(200, HistoryImportPage, errors=(422,)),
    summary="The history imports of your teams, newest first (without their reports)",
)
def list_history_imports(request, filters: Query[HistoryListFilters]):
    jobs = history_imports_visible_to(request.user)
    count = jobs.count()
    pages = max(1, -(-count // filters.page_size))
    page = min(filters.page, pages)
    start = (page - 1) * filters.page_size
    return {
        "count": count,
        "page": page,
        "page_size": filters.page_size,
        "pages": pages,
        "results": [history_import_out(job, report=False) for job in jobs[start : start + filters.page_size]],
    }


@router.get(
    "/history/imports/{job_id}",
    response=responses(200, HistoryImportOut, errors=(404, 422)),
    summary="A history import: its status and report",
    description="404 for a job of a team you are not a member of.",
)
def read_history_import(request, job_id: Id):
    return history_import_out(history_import_visible_or_404(user=request.user, pk=job_id))


@router.post(
    "/history/imports/{job_id}/confirm",
    response=responses(202, HistoryImportOut, errors=(403, 404, 422)),
    summary="Import a history whose report is ready",
    description="Only a job at ready can be confirmed: any other status is refused (422 naming `status`). Small "
    "uploads are imported in the request (the answer says done), bigger ones by the worker. 404 for a job of a team "
    "you are not a member of.",
)
def confirm_history_import(request, job_id: Id):
    job = history_upload_confirm(job=history_import_visible_or_404(user=request.user, pk=job_id), by=request.user)
    return Status(202, history_import_out(job))


@router.delete(
    "/history/imports/{job_id}",
    response=responses(200, RemovedOut, errors=(403, 404, 422)),
    summary="Discard an upload that is not imported",
    description="Queued, read (ready) or failed uploads are removed with their file. One being imported or imported is "
    "kept as the record of what was saved (422 naming `status`). 404 for a job of a team you are not a member of.",
)
def discard_history_import(request, job_id: Id):
    history_upload_discard(job=history_import_visible_or_404(user=request.user, pk=job_id), by=request.user)
    return {"removed": 1}
