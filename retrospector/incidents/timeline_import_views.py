"""The timeline's import pages: upload, preview, confirm; and undoing an import."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from retrospector.importers.base import ImportFailed, ImportOptions
from retrospector.importers.registry import parse_upload

from .models import ImportRecord, PendingImport, TimelineEvent
from .timeline_forms import ImportForm
from .timeline_selectors import display_zone
from .timeline_services import import_undo, timeline_import
from .timeline_views import _editable_incident

MAX_PAGE_UPLOAD = 50 * 1024 * 1024


def _options_from(data: dict) -> ImportOptions:
    import zoneinfo

    tz = zoneinfo.ZoneInfo(data["tz"]) if data.get("tz") else None
    channels = frozenset(c.strip() for c in (data.get("channel") or "").split(",") if c.strip()) or None
    return ImportOptions(tz=tz, since=data.get("since"), until=data.get("until"), channels=channels)


@login_required
def timeline_import_view(request, pk):
    incident = _editable_incident(request, pk)
    PendingImport.objects.filter(created_at__lt=timezone.now() - timedelta(days=1)).delete()
    if request.method == "POST" and request.POST.get("confirm"):
        pending = PendingImport.objects.filter(pk=request.POST.get("pending"), incident=incident, created_by=request.user).first()
        if pending is None:
            messages.error(request, "That upload has expired; upload the file again.")
            return redirect("timeline_import", pk=pk)
        options = pending.options
        import_options = _options_from({**options, "since": _iso(options.get("since")), "until": _iso(options.get("until"))})
        try:
            events = parse_upload(pending.source_type, pending.file_name, [bytes(pending.content)], import_options,
                                  mapping=options.get("mapping", ""))
            record = timeline_import(incident=incident, by=request.user, source_type=pending.source_type,
                                     file_name=pending.file_name, events=events)
        except ImportFailed as exc:
            messages.error(request, f"Nothing was imported: {exc}")
            return redirect("timeline_import", pk=pk)
        pending.delete()
        messages.success(request, f"Imported {record.event_count} events from {record.file_name}"
                                  f"{f' ({record.skipped_count} were already on the timeline)' if record.skipped_count else ''}.")
        return redirect("incident_timeline", pk=pk)
    form = ImportForm(request.POST or None, request.FILES or None)
    preview = problems = pending = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_PAGE_UPLOAD:
            form.add_error("file", f"{upload.name} is {upload.size / 1024**2:.0f} MB; upload up to 50 MB here or use the command line.")
        else:
            content = upload.read()
            data = form.cleaned_data
            try:
                events = parse_upload(data["source"], upload.name, [content], _options_from(data), mapping=data["mapping"])
            except ImportFailed as exc:
                problems = exc.problems
            else:
                existing = set(TimelineEvent.objects.filter(incident=incident, source_type=data["source"],
                                                            source_ref__in=[e.source_ref for e in events]).values_list("source_ref", flat=True))
                preview = {"events": events[:100], "count": len(events), "new": sum(1 for e in events if e.source_ref not in existing),
                           "zone": display_zone(incident, request.user)}
                pending = PendingImport.objects.create(
                    incident=incident, created_by=request.user, source_type=data["source"], file_name=upload.name[:300],
                    content=content, options={"tz": data["tz"], "channel": data["channel"], "mapping": data["mapping"],
                                              "since": data["since"].isoformat() if data["since"] else None,
                                              "until": data["until"].isoformat() if data["until"] else None})
    return render(request, "incidents/timeline_import.html",
                  {"incident": incident, "form": form, "preview": preview, "problems": problems, "pending": pending})


def _iso(value):
    from datetime import datetime

    return datetime.fromisoformat(value) if value else None


@login_required
@require_POST
def import_undo_view(request, pk, record_pk):
    incident = _editable_incident(request, pk)
    record = ImportRecord.objects.filter(incident=incident, pk=record_pk).first()
    if record is None:
        raise Http404("No such import.")
    try:
        removed = import_undo(record=record, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Undid the import of {record.file_name}: {removed} events removed.")
    return redirect("incident_timeline", pk=pk)
