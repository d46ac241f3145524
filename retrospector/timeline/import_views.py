"""The timeline's import pages: upload, preview, confirm; background import jobs; and undoing an import.

Files up to settings.TIMELINE_IMPORT_INLINE_BYTES are read and imported in the request. Bigger ones become a
background job (tasks.py) with its own page, which polls a status fragment with htmx and has a Refresh link without."""

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from retrospector.core.forms import add_service_errors
from retrospector.core.http import is_htmx
from retrospector.core.shortcuts import visible_or_404
from retrospector.importers.base import ImportFailed, ImportProblem
from retrospector.importers.registry import parse_uploads
from retrospector.incidents.selectors import incident_editable_or_403
from retrospector.timeline.forms import ImportForm
from retrospector.timeline.imports import (
    WINDOW_AFTER,
    WINDOW_BEFORE,
    ImportRequest,
    hours_text,
    import_request_parse,
    import_runs_in_background,
    import_window,
    pending_files,
    pending_import_confirm,
    pending_import_create,
    pending_import_for,
    pending_import_refine,
    upload_bundle,
)
from retrospector.timeline.models import ImportRecord, PendingImport
from retrospector.timeline.selectors import display_zone
from retrospector.timeline.services import TIMELINE_EDIT_FORBIDDEN, NothingToImport, import_undo
from retrospector.timeline.tasks import (
    IN_PROGRESS,
    UNFINISHED_LIFETIME,
    import_job_confirm,
    import_job_refine,
    import_job_start,
    import_job_summary,
    import_job_waiting_for_worker,
    import_jobs_of,
    import_jobs_prune,
    new_event_count,
    preview_rows,
    preview_survey,
)

RECENT_JOBS = 5


def _local_input(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M") if moment else ""


def _preview(incident, user, *, rows: list[dict], count: int, new: int, survey: dict | None = None, asked=None) -> dict:
    """What the preview shows, times in the timeline's display zone: the first rows, the counts, and from the survey
    (tasks.preview_survey) the channels to choose from and a warning when most events fall outside the incident's
    window; `asked` (the options read with) fills the form that reads the file again with other choices."""
    zone = display_zone(incident, user)

    def shown(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    shown_rows = [
        {**row, "shown_time": datetime.fromisoformat(row["time"]).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")}
        for row in rows
    ]
    survey = survey or {}
    channels = sorted(survey.get("channels") or (), key=lambda c: (-c["messages"], c["name"]))
    options = asked.options if asked is not None else None
    window = import_window(incident)
    outside = survey.get("outside_window") or 0
    return {
        "rows": shown_rows,
        "count": count,
        "new": new,
        "zone": zone,
        "channel_column": any(row.get("channel") for row in rows),
        "channels": channels,
        "chosen_count": sum(1 for c in channels if c["chosen"]),
        "left_out_by_time": sum(c["outside"] for c in channels if c["chosen"]),
        "filtered": bool(options and (options.since or options.until or options.channels)),
        "channel_text": ", ".join(sorted(options.channels)) if options and options.channels else "",
        "slack": asked is not None and asked.source == "slack",
        "since": _local_input(options.since) if options else "",
        "until": _local_input(options.until) if options else "",
        "outside_window": outside,
        "mostly_outside": count > 0 and outside * 2 > count,
        "window": {
            "since": shown(window.since),
            "until": shown(window.until) if window.until else "now",
            "started": shown(incident.started_at),
            "resolved": shown(incident.resolved_at) if incident.resolved_at else "",
            "before": hours_text(WINDOW_BEFORE),
            "after": hours_text(WINDOW_AFTER),
        },
    }


def _read_preview(incident, user, *, asked, files: list[tuple[str, bytes]]) -> tuple[dict | None, list | None]:
    """Read small uploaded files in the request: (the preview, None), or (None, the problems)."""
    try:
        events = parse_uploads(asked.source, files, asked.options, mapping=asked.mapping)
    except ImportFailed as exc:
        return None, exc.problems
    try:
        survey = preview_survey(incident=incident, request=asked, files=files, events=events)
    except ImportFailed:  # (parsing it just went through the same limits)
        survey = {}
    preview = _preview(
        incident,
        user,
        rows=preview_rows(events),
        count=len(events),
        new=new_event_count(incident=incident, source_type=asked.source, events=events),
        survey=survey,
        asked=asked,
    )
    return preview, None


def _confirm(request, incident):
    pk = incident.pk
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


def refined_request(request, *, source: str, stored: dict):
    """The options of an upload read again from its preview's form: the channels ticked and the times typed (in the
    viewer's zone), the rest as kept. Raises ValidationError naming the option."""
    channels = request.POST.getlist("channel")
    if "channels_listed" in request.POST and not channels:
        raise ValidationError({"channel": "Tick at least one channel to import from."})
    return import_request_parse(
        source=source,
        tz=stored.get("tz"),
        since=request.POST.get("since", ""),
        until=request.POST.get("until", ""),
        channel=channels if "channels_listed" in request.POST else request.POST.get("channel", ""),
        mapping=stored.get("mapping"),
        local_zone=timezone.get_current_timezone(),
    )


def _refine(request, incident):
    """The preview's form: read the kept upload again with the channels and times chosen, and show the new preview."""
    pending = pending_import_for(user=request.user, incident=incident, pk=request.POST.get("pending"))
    if pending is None:
        messages.error(request, "That upload has expired; upload the file again.")
        return redirect("timeline_import", pk=incident.pk)
    refine_errors = []
    try:
        asked = refined_request(request, source=pending.source_type, stored=pending.options)
    except ValidationError as exc:
        refine_errors = exc.messages
        asked = ImportRequest.from_stored(source=pending.source_type, stored=pending.options)
    else:
        pending_import_refine(pending=pending, by=request.user, request=asked)
    preview, problems = _read_preview(incident, request.user, asked=asked, files=pending_files(pending))
    if problems and _only_the_channel_is_missing(problems):
        return _page(request, incident, form=None, pending=pending, ask_channel=asked, errors=refine_errors)
    form = ImportForm(window=import_window(incident)) if problems else None  # to upload a corrected file
    return _page(
        request, incident, form=form, preview=preview, problems=problems, pending=pending, errors=refine_errors
    )


def _only_the_channel_is_missing(problems) -> bool:
    """Day files read without their channel's name: the upload is kept and the page asks for the name."""
    return all(problem.field == "channel" for problem in problems)


def _page(request, incident, *, form, preview=None, problems=None, pending=None, errors=(), ask_channel=None):
    return render(
        request,
        "timeline/timeline_import.html",
        {
            "incident": incident,
            "form": form,
            "preview": preview,
            "problems": problems,
            "pending": pending,
            "refine_errors": errors,
            "ask_channel": ask_channel,
            "ask_channel_times": {
                "since": _local_input(ask_channel.options.since),
                "until": _local_input(ask_channel.options.until),
            }
            if ask_channel
            else None,
            "refine_action": "",
            "jobs": import_jobs_of(user=request.user, incident=incident)[:RECENT_JOBS] if not preview else (),
            "inline_limit": settings.TIMELINE_IMPORT_INLINE_BYTES,
        },
    )


@login_required
def timeline_import_view(request, pk):
    incident = incident_editable_or_403(user=request.user, pk=pk, forbidden=TIMELINE_EDIT_FORBIDDEN)
    import_jobs_prune()
    if request.method == "POST" and request.POST.get("confirm"):
        return _confirm(request, incident)
    if request.method == "POST" and request.POST.get("refine"):
        return _refine(request, incident)
    form = ImportForm(request.POST or None, request.FILES or None, window=import_window(incident))
    if request.method != "POST" or not form.is_valid():
        return _page(request, incident, form=form)
    uploads = form.cleaned_data["file"]
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
            file_name=uploads[0].name if len(uploads) == 1 else f"{len(uploads)} files",
            size=sum(upload.size for upload in uploads),
            max_bytes=settings.TIMELINE_IMPORT_MAX_BYTES_PAGE,
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _page(request, incident, form=form)
    files = [(upload.name, b"".join(upload.chunks())) for upload in uploads]
    file_name, content, names = upload_bundle(files)
    if background:
        job = import_job_start(
            incident=incident,
            by=request.user,
            request=asked,
            file_name=file_name,
            content=content,
            files=names,
            confirm=False,
        )
        return redirect("timeline_import_job", pk=pk, job_pk=job.pk)
    preview, problems = _read_preview(incident, request.user, asked=asked, files=files)
    if problems and not _only_the_channel_is_missing(problems):
        return _page(request, incident, form=form, problems=problems)
    pending = pending_import_create(
        incident=incident, by=request.user, request=asked, file_name=file_name, content=content, files=names
    )
    if problems:  # kept, so that the files need not be picked again once the channel is named
        return _page(request, incident, form=None, pending=pending, ask_channel=asked)
    return _page(request, incident, form=form, preview=preview, pending=pending)


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


def _kept_request(job: PendingImport) -> ImportRequest | None:
    """The options a job was read with, to fill its preview's form (None when one no longer holds)."""
    try:
        return ImportRequest.from_stored(source=job.source_type, stored=job.options)
    except ValidationError:
        return None


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
            incident,
            request.user,
            rows=job.preview,
            count=job.event_count or 0,
            new=job.new_count or 0,
            survey=job.survey,
            asked=_kept_request(job),
        )
        if job.status == PendingImport.Status.READY
        else None,
        "refine_action": reverse("timeline_import_job_refine", args=[incident.pk, job.pk]),
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
    if not is_htmx(request):
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
def timeline_import_job_refine_view(request, pk, job_pk):
    """The job's preview form: read the file again with the channels and times chosen."""
    _, job = _job(request, pk, job_pk)
    try:
        asked = refined_request(request, source=job.source_type, stored=job.options)
        import_job_refine(job=job, by=request.user, request=asked)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
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
