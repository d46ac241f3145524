"""The history import's pages: the team's imports, an upload (a zip of past write-ups, or one), its report, confirm or
discard; and the note on an imported write-up. A job is shown only to members of its team (and organization admins):
anyone else gets a 404. Small uploads are read and imported in the request; bigger ones by the worker, whose progress
the report page follows with htmx (a plain reload does the same)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from retrospector.core.forms import add_service_errors
from retrospector.core.http import is_htmx
from retrospector.core.paging import paginate
from retrospector.writeups.page_parts import PagePart

from .forms import HistoryUploadForm
from .models import HistoryImport, ImportedWriteup
from .report import MATCH_WORDS, OUTCOME_WORDS
from .tasks import UNFINISHED_LIFETIME
from .uploads import (
    IN_PROGRESS,
    history_import_visible_or_404,
    history_imports_visible_to,
    history_job_summary,
    history_job_waiting_for_worker,
    history_upload_confirm,
    history_upload_create,
    history_upload_discard,
    history_upload_size_check,
)


def imported_page_part(*, request, retrospective, sections) -> PagePart | None:
    if not retrospective.imported_from:  # every imported write-up names its file: no query for the others
        return None
    source = ImportedWriteup.objects.filter(retrospective_id=retrospective.pk).first()
    if source is None:
        return None
    return PagePart(side_template="history/imported_side.html", context={"source": source})


@login_required
def history_list(request):
    page = paginate(request, history_imports_visible_to(request.user))
    return render(
        request,
        "history/list.html",
        {"page": page, "jobs": [(job, history_job_summary(job)) for job in page.object_list]},
    )


@login_required
def history_upload(request):
    form = HistoryUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload, mapping = data["file"], data["mapping"]
        try:
            history_upload_size_check(file_name=upload.name, size=upload.size)
            job = history_upload_create(
                by=request.user,
                team=data["team"],
                file_name=upload.name,
                content=b"".join(upload.chunks()),
                tz=data["tz"],
                mapping=b"".join(mapping.chunks()) if mapping else None,
                mapping_name=mapping.name if mapping else "mapping",
                private=data["private"],
                action_status=data["action_status"] or None,
                dates=data["dates"] or None,
                origin=HistoryImport.Origin.WEB,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("team", str(exc))
        else:
            return redirect("history_detail", pk=job.pk)
    return render(
        request,
        "history/upload.html",
        {"form": form, "inline_limit": settings.HISTORY_IMPORT_INLINE_BYTES},
        status=422 if form.errors else 200,
    )


FILES_PER_PAGE = 100  # a history of thousands of files is read a page of its report at a time


def _files_shown(entries) -> list[dict]:
    """The report's files with what the page prints beside them (words for outcomes and for how sections matched)."""
    shown = []
    for entry in entries:
        recognised = entry.get("recognised") or {}
        sections = [
            {**s, "how": MATCH_WORDS.get(s.get("match"), "kept as an extra section")}
            for s in recognised.get("sections") or ()
        ]
        shown.append(
            {
                **entry,
                "outcome_text": OUTCOME_WORDS.get(entry["outcome"], entry["outcome"]),
                "outcome_class": entry["outcome"].replace(" ", "-"),
                "r": recognised,
                "sections": sections,
                "milestones": [
                    (moment.removesuffix("_at").capitalize(), at)
                    for moment, at in (recognised.get("milestones") or {}).items()
                ],
            }
        )
    return shown


def _context(request, job: HistoryImport) -> dict:
    waited = history_job_waiting_for_worker(job)
    summary = history_job_summary(job)
    report = job.report or {}
    reported = job.status in (HistoryImport.Status.READY, HistoryImport.Status.DONE)
    files = paginate(request, report.get("files") or [], per_page=FILES_PER_PAGE) if reported else None
    return {
        "job": job,
        "summary": summary,
        "in_progress": job.status in IN_PROGRESS,
        # The live status line holds no counted seconds, so a screen reader hears each new state once.
        "status_line": f"{summary} No worker seems to be running; start one with `retrospector worker`."
        if waited
        else summary,
        "no_worker_for": int(waited.total_seconds()) if waited else None,
        # Keys with a space ("would import") cannot be read in a template.
        "totals": {k.replace(" ", "_"): v for k, v in report["totals"].items()} if report.get("totals") else None,
        "page": files,
        "files": _files_shown(files.object_list) if files is not None else [],
        "expires_at": job.created_at + UNFINISHED_LIFETIME,
        "private": (job.options or {}).get("visibility") == "private",
        "action_status": (job.options or {}).get("action_status") or "planned",
    }


@login_required
def history_detail(request, pk):
    job = history_import_visible_or_404(user=request.user, pk=pk)
    return render(request, "history/detail.html", _context(request, job))


@login_required
def history_status(request, pk):
    """The job's state as a fragment, polled by its page with htmx; without htmx, the whole page."""
    job = history_import_visible_or_404(user=request.user, pk=pk)
    if not is_htmx(request):
        return redirect("history_detail", pk=job.pk)
    return render(request, "history/_job.html", {**_context(request, job), "oob": True})


@login_required
@require_POST
def history_confirm(request, pk):
    job = history_import_visible_or_404(user=request.user, pk=pk)
    try:
        history_upload_confirm(job=job, by=request.user)
    except ValidationError as exc:
        messages.info(request, " ".join(exc.messages))
    return redirect("history_detail", pk=job.pk)


@login_required
@require_POST
def history_discard(request, pk):
    job = history_import_visible_or_404(user=request.user, pk=pk)
    try:
        history_upload_discard(job=job, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("history_detail", pk=job.pk)
    messages.success(request, f"Discarded {job.file_name}; nothing was imported from it.")
    return redirect("history_list")
