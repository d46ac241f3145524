"""Uploaded histories (the page's and the API's): a zip of past write-ups, or one, kept as a HistoryImport job that is
read for its report (a dry run), then imported once a member of the team confirms it.

    queued -> reading -> ready                  an upload: its files are read for the report; nothing is saved
    ready -> queued -> importing -> done        confirmed: imported, with the import's own report
    queued -> importing -> done                 an API upload with dry_run=false (confirmed at once)
    any step -> failed                          with the reason (`error`); a file is saved whole or not at all
    reading/importing -> queued                 the database was busy: the step runs again shortly

Uploads up to settings.HISTORY_IMPORT_INLINE_BYTES run each step in the request; bigger ones are run by
`retrospector worker` (tasks.history_job_run), queued in the transaction that queues the job. A step claims its job
with a conditional UPDATE (queued -> reading/importing): a step that runs twice does nothing twice. The bytes are
emptied once imported (or failed); unfinished uploads are removed after a day (a periodic job, as are stalled ones).
"""

from __future__ import annotations

import codecs
from datetime import datetime, timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from retrospector.accounts.models import Team, User
from retrospector.accounts.selectors import teams_where_user_can_write
from retrospector.core.periodic import no_worker_for
from retrospector.core.shortcuts import visible_or_404
from retrospector.core.text import single_line
from retrospector.importers.history.files import upload_refusal
from retrospector.importers.zip_limits import size_text
from retrospector.incidents.models import Incident

from .models import HistoryImport
from .services import history_options_parse, history_permission_check
from .tasks import (
    history_job_step,
    history_uploads_prune,
    job_enqueue,
)

Status = HistoryImport.Status
IN_PROGRESS = (Status.QUEUED, Status.READING, Status.IMPORTING)
NOT_FOUND = "No such history import, or it has expired (unconfirmed uploads are kept for a day)."
FORMATS_TEXT = "a zip of Markdown, HTML and Word files, or one .md, .html or .docx file"


# --- Reads ----------------------------------------------------------------------------------------------------------


def history_imports_visible_to(user: User) -> QuerySet[HistoryImport]:
    """The imports of the teams where `user` may import (members, admins; organization admins: all the organization's),
    newest first, without the uploaded bytes."""
    if not user.is_authenticated or user.organization_id is None:
        return HistoryImport.objects.none()
    return (
        HistoryImport.objects.filter(
            organization_id=user.organization_id, team__in=teams_where_user_can_write(user).values("pk")
        )
        .defer("content")
        .select_related("team", "created_by")
        .order_by("-created_at", "-id")
    )


def history_import_visible_or_404(*, user: User, pk: int) -> HistoryImport:
    return visible_or_404(history_imports_visible_to(user), pk, message=NOT_FOUND)


def history_teams_for(user: User) -> QuerySet[Team]:
    """The teams whose history `user` may import (the upload form's choices)."""
    return teams_where_user_can_write(user)


def history_job_summary(job: HistoryImport) -> str:
    """One sentence on where the import is, naming the file."""
    name, totals = job.file_name, (job.report or {}).get("totals") or {}
    if job.status == Status.QUEUED:
        step = "import" if job.confirmed_at else "read"
        return f"{name}: waiting for a worker to {step} it."
    if job.status == Status.READING:
        return f"{name}: reading; {job.read_count:,} files so far."
    if job.status == Status.IMPORTING:
        return f"{name}: importing; {job.read_count:,} files so far."
    if job.status == Status.READY:
        would = totals.get("would import", 0) + totals.get("would update", 0)
        return (
            f"{name}: {totals.get('files', 0):,} files read; {would:,} would be imported or updated, "
            f"{totals.get('unchanged', 0):,} unchanged, {totals.get('skipped', 0):,} skipped. "
            "Nothing is saved until you confirm."
        )
    if job.status == Status.DONE:
        return (
            f"{name}: {totals.get('imported', 0):,} imported, {totals.get('updated', 0):,} updated, "
            f"{totals.get('unchanged', 0):,} unchanged, {totals.get('skipped', 0):,} skipped."
        )
    return f"{name}: failed. {job.error}"


def history_job_waiting_for_worker(job: HistoryImport, *, now: datetime | None = None) -> timedelta | None:
    """How long the queued job has waited for a worker that does not seem to run (core.periodic.no_worker_for)."""
    if job.status != Status.QUEUED or job.queued_at is None:
        return None
    return no_worker_for(job.queued_at, now=now)


# --- Writes ---------------------------------------------------------------------------------------------------------


def _mapping_text(mapping: bytes | None, name: str) -> str | None:
    if mapping is None:
        return None
    data = mapping[3:] if mapping.startswith(codecs.BOM_UTF8) else mapping
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError({"mapping": f"{name} is not UTF-8 text; save it as UTF-8 (YAML or JSON)."}) from None


def _inline(size: int) -> bool:
    return size <= settings.HISTORY_IMPORT_INLINE_BYTES


def _reloaded(job_id: int) -> HistoryImport:
    return HistoryImport.objects.defer("content").select_related("team", "created_by").get(pk=job_id)


def history_upload_size_check(*, file_name: str, size: int) -> None:
    """ValidationError naming `file` when an upload is over HISTORY_IMPORT_MAX_BYTES (the page and the API ask before
    they read the upload into memory)."""
    if size > settings.HISTORY_IMPORT_MAX_BYTES:
        limit = size_text(settings.HISTORY_IMPORT_MAX_BYTES)
        raise ValidationError(
            {
                "file": f"{file_name} is {size_text(size)}; the limit is {limit} (import bigger histories with "
                "`retrospector history import`)."
            }
        )


def history_upload_create(
    *,
    by: User,
    team: Team | None,
    file_name: str,
    content: bytes,
    tz: str | None = None,
    mapping: bytes | None = None,
    mapping_name: str = "mapping",
    private: bool = False,
    action_status: str | None = None,
    dates: str | None = None,
    origin: str = HistoryImport.Origin.WEB,
    confirm: bool = False,
) -> HistoryImport:
    """Keep an upload as a job and read it (in the request when small, else by the worker); `confirm` imports it at
    once (the API without dry_run). ValidationError by field (team, tz, mapping, visibility, action_status, file) and
    PermissionDenied (not a member of the team) before anything is kept; a zip refused whole (paths that climb out,
    links, too many entries, too big) is refused here, from its directory, before any of it is unpacked."""
    options = history_options_parse(
        by=by,
        team=team,
        tz=tz,
        mapping_text=_mapping_text(mapping, mapping_name),
        mapping_name=mapping_name,
        visibility=Incident.Visibility.PRIVATE if private else None,
        dry_run=not confirm,
        action_status=action_status,
        dates=dates,
    )
    name = single_line(PurePosixPath((file_name or "").replace("\\", "/")).name)[:300] or "upload"
    if not content:
        raise ValidationError({"file": f"{name} is empty: give {FORMATS_TEXT}."})
    history_upload_size_check(file_name=name, size=len(content))
    if refusal := upload_refusal(name, content):
        raise ValidationError({"file": refusal})
    history_uploads_prune()
    now = timezone.now()
    with transaction.atomic():
        job = HistoryImport.objects.create(
            organization_id=team.organization_id,
            team=team,
            created_by=by,
            origin=origin,
            file_name=name,
            content=content,
            file_size=len(content),
            options={**options.as_json(), "mapping_name": mapping_name if mapping is not None else None},
            status=Status.QUEUED,
            queued_at=now,
            confirmed_at=now if confirm else None,
        )
        if not _inline(len(content)):
            job_enqueue(job.pk)
    if _inline(len(content)):
        history_job_step(job.pk)
    return _reloaded(job.pk)


def history_upload_confirm(*, job: HistoryImport, by: User) -> HistoryImport:
    """A member of the team confirms an upload whose report is ready: it is imported (as them), in the request when
    small, else by the worker. Confirming twice imports nothing twice."""
    history_permission_check(by=by, team=job.team)
    now = timezone.now()
    with transaction.atomic():
        confirmed = HistoryImport.objects.filter(pk=job.pk, status=Status.READY).update(
            status=Status.QUEUED,
            confirmed_at=now,
            queued_at=now,
            started_at=None,
            read_count=0,
            options={**job.options, "confirmed_by": by.pk},
        )
        if not confirmed:
            job.refresh_from_db(fields=["status"])
            raise ValidationError(
                {
                    "status": f"Only an import whose report is ready can be confirmed; {job.file_name} is at "
                    f"“{job.get_status_display()}”."
                }
            )
        if not _inline(job.file_size):
            job_enqueue(job.pk)
    if _inline(job.file_size):
        history_job_step(job.pk)
    return _reloaded(job.pk)


def history_upload_discard(*, job: HistoryImport, by: User) -> None:
    """Drop an upload and its bytes before it is imported (queued, read, ready or failed). One being imported, or
    imported, stays: it is the record of what was saved."""
    history_permission_check(by=by, team=job.team)
    kept = (Status.IMPORTING, Status.DONE)
    removed, _ = HistoryImport.objects.filter(pk=job.pk).exclude(status__in=kept).delete()
    if not removed:
        job.refresh_from_db(fields=["status"])
        raise ValidationError(
            {
                "status": f"{job.file_name} is at “{job.get_status_display()}”: an import that has begun is kept as "
                "the record of what was saved."
            }
        )
