"""The timeline's import pages: upload, preview, confirm; background import jobs; and undoing an import.

Files up to settings.TIMELINE_IMPORT_INLINE_BYTES are read and imported in the request. Bigger ones become a
background job (tasks.py) with its own page, which polls a status fragment with htmx and has a Refresh link without."""

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from retrospector.core.forms import add_service_errors
from retrospector.core.shortcuts import visible_or_404
from retrospector.importers.base import ImportFailed, ImportProblem
from retrospector.importers.registry import parse_upload
from retrospector.incidents.selectors import incident_editable_or_403
from retrospector.timeline.forms import ImportForm
from retrospector.timeline.imports import (
    import_request_parse,
    import_runs_in_background,
    pending_import_confirm,
    pending_import_create,
    pending_import_for,
)
from retrospector.timeline.models import ImportRecord, PendingImport
from retrospector.timeline.selectors import display_zone
from retrospector.timeline.services import TIMELINE_EDIT_FORBIDDEN, NothingToImport, import_undo
from retrospector.timeline.tasks import (
    IN_PROGRESS,
    UNFINISHED_LIFETIME,
    import_job_confirm,
    import_job_start,
    import_job_summary,
    import_job_waiting_for_worker,
    import_jobs_of,
    import_jobs_prune,
    new_event_count,
    preview_rows,
)

RECENT_JOBS = 5


def _preview(incident, user, *, rows: list[dict], count: int, new: int) -> dict:
    """What the preview table shows, times in the timeline's display zone."""
    zone = display_zone(incident, user)
    shown = [
        {**row, "shown_time": datetime.fromisoformat(row["time"]).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")}
        for row in rows
    ]
    return {"rows": shown, "count": count, "new": new, "zone": zone}


@login_required
def timeline_import_view(request, pk):
    incident = incident_editable_or_403(user=request.user, pk=pk, forbidden=TIMELINE_EDIT_FORBIDDEN)
    import_jobs_prune()
    if request.method == "POST" and request.POST.get("confirm"):
        pending = pending_import_for(user=request.user, incident=incident, pk=request.POST.get("pending"))
        if pending is None:
            messages.error(request, "That upload has expired; upload the file again.")
            return redirect("timeline_import", pk=pk)
        try:
            record = pending_import_confirm(pending=pending, by=request.user)
        except NothingToImport as exc:  # the preview said so; a stale page or a hand-made request posted anyway
            messages.info(request, f"Nothing was imported: {' '.join(exc.messages)}")
            return redirect("incident_timeline", pk=pk)
        except ImportFailed as exc:
            messages.error(request, f"Nothing was imported: {exc}")
            return redirect("timeline_import", pk=pk)
        except ValidationError as exc:  # an option kept with the upload no longer holds (a zone gone from tzdata)
            messages.error(request, f"Nothing was imported: {' '.join(exc.messages)}")
            return redirect("timeline_import", pk=pk)
        messages.success(
            request,
            f"Imported {record.event_count} events from {record.file_name}"
            f"{f' ({record.skipped_count} were already on the timeline)' if record.skipped_count else ''}.",
        )
        return redirect("incident_timeline", pk=pk)
    form = ImportForm(request.POST or None, request.FILES or None)
    preview = problems = pending = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = form.cleaned_data
        try:
            # The form's times are datetime-local values: meant in the viewer's zone, as the page shows times.
            asked = import_request_parse(
                source=data["source"],
                tz=data["tz"],
                since=data["since"],
                until=data["until"],
                channel=data["channel"],
                mapping=data["mapping"],
                local_zone=timezone.get_current_timezone(),
            )
            background = import_runs_in_background(
                file_name=upload.name, size=upload.size, max_bytes=settings.TIMELINE_IMPORT_MAX_BYTES_PAGE
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if background:
                job = import_job_start(
                    incident=incident,
                    by=request.user,
                    request=asked,
                    file_name=upload.name,
                    content=b"".join(upload.chunks()),
                    confirm=False,
                )
                return redirect("timeline_import_job", pk=pk, job_pk=job.pk)
            content = upload.read()
            try:
                events = parse_upload(asked.source, upload.name, [content], asked.options, mapping=asked.mapping)
            except ImportFailed as exc:
                problems = exc.problems
            else:
                preview = _preview(
                    incident,
                    request.user,
                    rows=preview_rows(events),
                    count=len(events),
                    new=new_event_count(incident=incident, source_type=asked.source, events=events),
                )
                pending = pending_import_create(
                    incident=incident, by=request.user, request=asked, file_name=upload.name, content=content
                )
    return render(
        request,
        "timeline/timeline_import.html",
        {
            "incident": incident,
            "form": form,
            "preview": preview,
            "problems": problems,
            "pending": pending,
            "jobs": import_jobs_of(user=request.user, incident=incident)[:RECENT_JOBS] if not preview else (),
            "inline_limit": settings.TIMELINE_IMPORT_INLINE_BYTES,
        },
    )


def _job(request, pk, job_pk):
    """The incident (404 when invisible, 403 when the user may not edit its timeline) and the user's own job (404
    otherwise: a job is only shown to whoever uploaded it)."""
    incident = incident_editable_or_403(user=request.user, pk=pk, forbidden=TIMELINE_EDIT_FORBIDDEN)
    job = visible_or_404(
        import_jobs_of(user=request.user, incident=incident),
        job_pk,
        message="No such import, or it has expired (uploads are kept for a day).",
    )
    return incident, job


def _job_context(request, incident, job: PendingImport) -> dict:
    waited = import_job_waiting_for_worker(job)
    summary = import_job_summary(job)
    return {
        "incident": incident,
        "job": job,
        "summary": summary,
        "in_progress": job.status in IN_PROGRESS,
        # The live status line: no seconds counted in it, so a screen reader hears each new state once.
        "status_line": f"{summary} No worker seems to be running; start one with `retrospector worker`."
        if waited
        else summary,
        "no_worker_for": int(waited.total_seconds()) if waited else None,
        "preview": _preview(
            incident, request.user, rows=job.preview, count=job.event_count or 0, new=job.new_count or 0
        )
        if job.status == PendingImport.Status.READY
        else None,
        "problems": [ImportProblem(**p) for p in job.problems],
        "expires_at": job.created_at + UNFINISHED_LIFETIME,
    }


@login_required
def timeline_import_job_view(request, pk, job_pk):
    incident, job = _job(request, pk, job_pk)
    return render(request, "timeline/timeline_import_job.html", _job_context(request, incident, job))


@login_required
def timeline_import_job_status_view(request, pk, job_pk):
    """The job's state as a fragment, polled by the job page with htmx; without htmx, the whole page."""
    incident, job = _job(request, pk, job_pk)
    if request.headers.get("HX-Request") != "true":
        return redirect("timeline_import_job", pk=pk, job_pk=job.pk)
    return render(request, "timeline/_timeline_import_job.html", {**_job_context(request, incident, job), "oob": True})


@login_required
@require_POST
def timeline_import_job_confirm_view(request, pk, job_pk):
    _, job = _job(request, pk, job_pk)
    try:
        import_job_confirm(job=job, by=request.user)
    except ValidationError as exc:
        messages.info(request, " ".join(exc.messages))
    return redirect("timeline_import_job", pk=pk, job_pk=job.pk)


@login_required
@require_POST
def import_undo_view(request, pk, record_pk):
    incident = incident_editable_or_403(user=request.user, pk=pk, forbidden=TIMELINE_EDIT_FORBIDDEN)
    record = visible_or_404(ImportRecord.objects.filter(incident=incident), record_pk, message="No such import.")
    try:
        removed = import_undo(record=record, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Undid the import of {record.file_name}: {removed} events removed.")
    return redirect("incident_timeline", pk=pk)
