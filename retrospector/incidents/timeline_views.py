"""The timeline page and its edits: events by hand, in bulk, merged; milestones; display settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from retrospector.core.forms import add_service_errors

from .models import Incident, TimelineEvent
from .selectors import can_edit_incident, incident_visible
from .services import ConflictError
from .timeline_forms import BulkForm, EventForm, MilestoneForm, TimelineSettingsForm
from .timeline_selectors import display_zone, timeline_events, timeline_page, timeline_rows, timeline_summary
from .timeline_services import (
    event_add,
    event_update,
    events_bulk,
    events_merge,
    milestone_set_from_event,
)

PAGE_SIZE = 100
SHOWN_FIELDS = ("occurred_at", "original_time", "actor", "actor_kind", "text", "html", "kind", "source_type", "source_ref",
                "source_url", "attachments", "tags", "key_event", "hidden", "edited", "merged_into")


def _incident(request, pk) -> Incident:
    incident = incident_visible(user=request.user, pk=pk)
    if incident is None:
        raise Http404("No such incident, or you may not see it.")
    return incident


def _editable_incident(request, pk) -> Incident:
    incident = _incident(request, pk)
    if not can_edit_incident(request.user, incident):
        raise PermissionDenied("Only members of the incident's team can change its timeline.")
    return incident


@login_required
def timeline(request, pk):
    incident = _incident(request, pk)
    zone = display_zone(incident, request.user)
    show_hidden = request.GET.get("hidden") == "1"
    kinds = [k for k in request.GET.getlist("kind") if k in TimelineEvent.Kind.values]
    events = timeline_events(incident=incident, include_hidden=show_hidden, kinds=kinds or None,
                             key_only=request.GET.get("key") == "1")
    shown = events.only(*SHOWN_FIELDS)  # what the rows show: fewer columns to convert on a 200-row page
    try:
        page, next_cursor = timeline_page(shown, after=request.GET.get("after", ""), limit=PAGE_SIZE)
    except ValidationError:
        page, next_cursor = timeline_page(shown, limit=PAGE_SIZE)
    can_edit = can_edit_incident(request.user, incident)
    summary = timeline_summary(incident)
    filtered = show_hidden or kinds or request.GET.get("key") == "1"
    form = EventForm(initial={"zone": zone.key, "when": timezone.now().astimezone(zone).replace(microsecond=0, tzinfo=None)})
    context = {
        "incident": incident, "rows": timeline_rows(page, zone), "next_cursor": next_cursor, "zone": zone,
        "seconds": incident.timeline_seconds, "can_edit": can_edit, "form": form,
        "checks": summary.findings, "imports": incident.imports.select_related("created_by")[:20],
        "kinds": TimelineEvent.Kind.choices, "selected_kinds": kinds, "show_hidden": show_hidden,
        "show_original": request.GET.get("original") == "1",
        "milestone_form": MilestoneForm(), "bulk_actions": BulkForm.base_fields["action"].choices,
        "settings_form": TimelineSettingsForm(initial={"timeline_time_zone": incident.timeline_time_zone,
                                                       "timeline_seconds": incident.timeline_seconds}),
        "total": events.count() if filtered else summary.shown,
    }
    return render(request, "incidents/timeline.html", context)


@login_required
@require_POST
def event_new(request, pk):
    incident = _editable_incident(request, pk)
    form = EventForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            event_add(incident=incident, by=request.user, occurred_at=data["occurred_at"], text=data["text"],
                      actor=data["actor"], actor_kind=data["actor_kind"], kind=data["kind"], source_url=data["source_url"],
                      original_time=data["original_time"], original_offset_minutes=data["original_offset_minutes"],
                      key_event=data["key_event"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Event added.")
            return redirect("incident_timeline", pk=pk)
    return render(request, "incidents/event_form.html", {"incident": incident, "form": form, "event": None}, status=422)


@login_required
def event_edit(request, pk, event_pk):
    incident = _editable_incident(request, pk)
    event = TimelineEvent.objects.filter(incident=incident, pk=event_pk).first()
    if event is None:
        raise Http404("No such event.")
    zone = display_zone(incident, request.user)
    initial = {"when": event.occurred_at.astimezone(zone).replace(tzinfo=None), "zone": zone.key, "actor": event.actor,
               "actor_kind": event.actor_kind, "kind": event.kind, "text": event.text, "source_url": event.source_url,
               "key_event": event.key_event, "base_version": event.version}
    form = EventForm(request.POST or None, initial=initial)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            event_update(event=event, by=request.user, base_version=data.get("base_version"), occurred_at=data["occurred_at"],
                         text=data["text"], actor=data["actor"], actor_kind=data["actor_kind"], kind=data["kind"],
                         source_url=data["source_url"], key_event=data["key_event"],
                         **({"original_time": data["original_time"], "original_offset_minutes": data["original_offset_minutes"]}
                            if event.source_type == "manual" else {}))
        except ConflictError as exc:
            conflict = exc.current
            form.add_error(None, f"{exc} Their version is shown below; your changes are still in the form.")
            form.data = form.data.copy()
            form.data["base_version"] = conflict.version
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Event saved.")
            return redirect(f"/incidents/{pk}/timeline/#event-{event.pk}")
    return render(request, "incidents/event_form.html", {"incident": incident, "form": form, "event": event, "conflict": conflict},
                  status=409 if conflict else 200)


@login_required
@require_POST
def events_bulk_view(request, pk):
    incident = _editable_incident(request, pk)
    ids = request.POST.getlist("events")
    form = BulkForm(request.POST, event_ids=[i for i in ids if i.isdigit()])
    if not form.is_valid():
        messages.error(request, "Select events and an action.")
        return redirect("incident_timeline", pk=pk)
    action, event_ids = form.cleaned_data["action"], form.cleaned_data["events"]
    try:
        if action == "merge":
            keep = TimelineEvent.objects.filter(incident=incident, pk__in=event_ids).order_by("occurred_at", "id").first()
            events_merge(incident=incident, by=request.user, keep_id=keep.pk if keep else 0, duplicate_ids=event_ids)
            messages.success(request, f"Merged {len(event_ids) - 1} duplicate(s) into the earliest selected event.")
        else:
            changed = events_bulk(incident=incident, by=request.user, event_ids=event_ids, action=action)
            messages.success(request, f"{changed} event(s) changed.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("incident_timeline", pk=pk)


@login_required
@require_POST
def event_milestone(request, pk, event_pk):
    incident = _editable_incident(request, pk)
    event = TimelineEvent.objects.filter(incident=incident, pk=event_pk).first()
    form = MilestoneForm(request.POST)
    if event is None or not form.is_valid():
        raise Http404("No such event or moment.")
    try:
        milestone_set_from_event(event=event, by=request.user, moment=form.cleaned_data["moment"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{dict(form.fields['moment'].choices)[form.cleaned_data['moment']]} set from this event.")
    return redirect(f"/incidents/{pk}/timeline/#event-{event_pk}")


@login_required
@require_POST
def timeline_settings(request, pk):

    incident = _editable_incident(request, pk)
    form = TimelineSettingsForm(request.POST)
    if form.is_valid():
        Incident.objects.filter(pk=incident.pk).update(**form.cleaned_data)
        messages.success(request, "Timeline display saved.")
    return redirect("incident_timeline", pk=pk)
