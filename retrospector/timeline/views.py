"""The timeline page and its edits: events by hand, in bulk, merged; milestones; display settings."""

from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from retrospector.core.errors import ConflictError
from retrospector.core.forms import add_service_errors, show_conflict
from retrospector.core.http import is_htmx
from retrospector.core.shortcuts import visible_or_404
from retrospector.core.zones import zone_datalist
from retrospector.importers.base import SOURCE_TYPES
from retrospector.incidents.selectors import can_edit_incident, incident_editable_or_403, incident_visible_or_404
from retrospector.timeline.forms import BulkForm, EventForm, MilestoneForm, TimelineSettingsForm
from retrospector.timeline.models import PendingImport, TimelineEvent
from retrospector.timeline.selectors import (
    TimelineRow,
    display_zone,
    encode_position,
    timeline_events,
    timeline_rows,
    timeline_summary,
    timeline_window,
)
from retrospector.timeline.services import (
    TIMELINE_EDIT_FORBIDDEN,
    event_add,
    event_delete,
    event_update,
    events_bulk,
    events_merge,
    milestone_set_from_event,
    timeline_display_set,
)
from retrospector.timeline.tasks import IN_PROGRESS, import_jobs_of
from retrospector.timeline.templatetags.timeline_tags import render_rows

PAGE_SIZE = 100
# What a bulk action (or a row's menu) says it did: "{done}: {n} event(s).{after}"
BULK_DONE = {
    "hide": ("Hidden as noise", " “Include hidden noise” in the filters shows them again."),
    "show": ("Shown again", ""),
    "key": ("Marked as key events", ""),
    "unkey": ("No longer key events", ""),
    "delete": ("Deleted for good", ""),
}
SHOWN_FIELDS = (
    "occurred_at",
    "original_time",
    "actor",
    "actor_kind",
    "text",
    "html",
    "kind",
    "source_type",
    "source_ref",
    "source_url",
    "attachments",
    "tags",
    "key_event",
    "key_candidate",
    "parent_ref",
    "hidden",
    "edited",
    "merged_into",
)


def _view_query(request, incident) -> QueryDict:
    """The query (filters, page) of the timeline the person is looking at: the request's own for a GET of the page;
    for a change made with htmx, that of the page the browser shows (HX-Current-URL), so the refreshed timeline keeps
    its filters and page."""
    if request.method == "GET":
        return request.GET
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    if current.path == reverse("incident_timeline", args=[incident.pk]):
        return QueryDict(current.query)
    return QueryDict()


def _local_moment(value: str, zone):
    """A datetime-local value ("2026-05-04T14:20", seconds optional) meant in the timeline's display zone; None when
    empty or not a time."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _timeline_context(request, incident, query: QueryDict, *, whole_page: bool, focus: str = "") -> dict:
    zone = display_zone(incident, request.user)
    show_hidden = query.get("hidden") == "1"
    key_only = query.get("key") == "1"
    kinds = [k for k in query.getlist("kind") if k in TimelineEvent.Kind.values]
    source = query.get("source", "") if query.get("source", "") in SOURCE_TYPES else ""
    text = query.get("q", "").strip()[:200]
    since, until = _local_moment(query.get("from", ""), zone), _local_moment(query.get("until", ""), zone)
    bad_times = [
        label
        for label, raw, moment in (("From", query.get("from", ""), since), ("Until", query.get("until", ""), until))
        if raw and moment is None
    ]
    events = timeline_events(
        incident=incident,
        include_hidden=show_hidden,
        kinds=kinds or None,
        key_only=key_only,
        sources=[source] if source else None,
        text=text,
        since=since,
        until=until,
    )
    shown = events.only(*SHOWN_FIELDS)  # what the rows show: fewer columns to convert on a 100-row page
    try:
        page, next_cursor, previous_cursor = timeline_window(
            shown, after=query.get("after", ""), before=query.get("before", ""), limit=PAGE_SIZE
        )
    except ValidationError:
        page, next_cursor, previous_cursor = timeline_window(shown, limit=PAGE_SIZE)
    summary = timeline_summary(incident)
    kept = query.copy()  # the filters, for the pages' links
    for name in ("after", "before"):
        kept.pop(name, None)
    filtered = show_hidden or kinds or key_only or source or text or since or until
    context = {
        "incident": incident,
        "rows": timeline_rows(page, zone, gap_threshold=timedelta(minutes=incident.timeline_gap_minutes)),
        "next_cursor": next_cursor,
        "previous_cursor": previous_cursor,
        "zone": zone,
        "seconds": incident.timeline_seconds,
        "can_edit": can_edit_incident(request.user, incident),
        "checks": summary.findings,
        "kinds": TimelineEvent.Kind.choices,
        "selected_kinds": kinds,
        "sources": SOURCE_TYPES,
        "source": source,
        "q": text,
        "since_value": query.get("from", "")[:19],
        "until_value": query.get("until", "")[:19],
        "bad_times": bad_times,
        "show_hidden": show_hidden,
        "key_only": key_only,
        "show_original": query.get("original") == "1",
        "filter_query": kept.urlencode(),
        "paged": bool(query.get("after") or query.get("before")),
        "milestone_form": MilestoneForm(),
        "bulk_actions": BulkForm.base_fields["action"].choices,
        "total": events.count() if filtered else summary.shown,
        "filtered": bool(filtered),
        "htmx": is_htmx(request),
        "focus": focus,
        "events_url": reverse("event_new", args=[incident.pk]) + "/",  # + an id: that event (its page, without htmx)
    }
    if whole_page:
        context.update(
            form=_new_event_form(zone),
            zone_datalist=_zone_datalist(request, incident, zone),
            add_open=not summary.shown and not filtered,  # nothing on the timeline yet: adding is what comes next
            imports=incident.imports.select_related("created_by")[:20],
            # Your own background imports still under way or waiting for your confirmation (their own pages say more).
            jobs_under_way=import_jobs_of(user=request.user, incident=incident).filter(
                status__in=[*IN_PROGRESS, PendingImport.Status.READY]
            )[:5]
            if context["can_edit"]
            else (),
            settings_form=TimelineSettingsForm(
                initial={
                    "timeline_time_zone": incident.timeline_time_zone,
                    "timeline_seconds": incident.timeline_seconds,
                    "timeline_gap_minutes": incident.timeline_gap_minutes,
                }
            ),
        )
    return context


def _zone_datalist(request, incident, zone):
    """The zone suggestions of the page's zone fields, written once: the zones this person most likely means first."""
    return zone_datalist((zone.key, getattr(request.user, "time_zone", ""), incident.timeline_time_zone))


def _new_event_form(zone) -> EventForm:
    return EventForm(
        initial={"zone": zone.key, "when": timezone.now().astimezone(zone).replace(microsecond=0, tzinfo=None)}
    )


def _region(request, incident, *, focus: str = "", extra: dict | None = None):
    """The part of the timeline page a change refreshes (checks, count, bulk actions, the rows, the next-page link),
    with the messages of the change; answered to htmx instead of a redirect."""
    context = _timeline_context(request, incident, _view_query(request, incident), whole_page=False, focus=focus)
    context.update(extra or {})
    return render(request, "timeline/_timeline_region.html", context)


def _after_change(request, incident, *, event_pk: int | None = None, focus: str = "", extra: dict | None = None):
    """After a change: with htmx, the refreshed region, where the browser then moves focus to `focus` (a selector; by
    default the changed event's row, else the messages); without, back to the page at the changed event."""
    if is_htmx(request):
        # The change bumped the timeline's version in the database: read it, so the region shows fresh checks.
        incident.refresh_from_db(fields=["timeline_version"])
        return _region(request, incident, focus=focus or (f"#event-{event_pk}" if event_pk else ""), extra=extra)
    event = TimelineEvent.objects.filter(pk=event_pk).only("occurred_at", "hidden").first() if event_pk else None
    return redirect(_page_at(incident.pk, event) if event else reverse("incident_timeline", args=[incident.pk]))


def _page_at(incident_pk: int, event: TimelineEvent) -> str:
    """The address of the timeline page that starts at `event`, scrolled to it: an event of a long timeline is
    rarely on the first page. ("Earlier events" leads back from there.)"""
    query = {"after": encode_position(event.occurred_at, event.pk - 1)}  # the page starts with this very event
    if event.hidden:
        query["hidden"] = "1"
    return f"{reverse('incident_timeline', args=[incident_pk])}?{urlencode(query)}#event-{event.pk}"


def _retarget(response, target: str):
    """Send an htmx answer to another element than the one the request aimed at (a form with its errors)."""
    response["HX-Retarget"] = target
    response["HX-Reswap"] = "outerHTML"
    return response


@login_required
def timeline(request, pk):
    incident = incident_visible_or_404(user=request.user, pk=pk)
    if is_htmx(request) and not request.headers.get("HX-History-Restore-Request"):
        return _region(request, incident)  # filters and pages, fetched by htmx
    return render(request, "timeline/timeline.html", _timeline_context(request, incident, request.GET, whole_page=True))


@login_required
@require_POST
def event_new(request, pk):
    incident = incident_editable_or_403(user=request.user, pk=pk, forbidden=TIMELINE_EDIT_FORBIDDEN)
    form = EventForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            event = event_add(
                incident=incident,
                by=request.user,
                occurred_at=data["occurred_at"],
                text=data["text"],
                actor=data["actor"],
                actor_kind=data["actor_kind"],
                kind=data["kind"],
                source_url=data["source_url"],
                original_time=data["original_time"],
                original_offset_minutes=data["original_offset_minutes"],
                key_event=data["key_event"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            zone = display_zone(incident, request.user)
            messages.success(
                request, f"Event added at {event.occurred_at.astimezone(zone):%Y-%m-%d %H:%M:%S} ({zone.key})."
            )
            # With htmx: the refreshed timeline, and a fresh form in place of the one just sent (out of band).
            return _after_change(
                request, incident, event_pk=event.pk, focus="#id_when", extra={"add_form": _new_event_form(zone)}
            )
    if is_htmx(request):
        return _retarget(
            render(request, "timeline/_event_add_form.html", {"incident": incident, "form": form}, status=422),
            "#add-event-form",
        )
    datalist = _zone_datalist(request, incident, display_zone(incident, request.user))
    context = {"incident": incident, "form": form, "event": None, "zone_datalist": datalist}
    return render(request, "timeline/event_form.html", context, status=422)


def _event(incident, event_pk) -> TimelineEvent:
    return visible_or_404(TimelineEvent.objects.filter(incident=incident), event_pk, message="No such event.")


@login_required
def event_row(request, pk, event_pk):
    """One event's row as the timeline shows it (htmx: Cancel in a row being edited); without htmx, the timeline page
    that starts at the event."""
    incident = incident_visible_or_404(user=request.user, pk=pk)
    event = _event(incident, event_pk)
    if not is_htmx(request):
        return redirect(_page_at(incident.pk, event))  # e.g. "Go to event" from a check's finding
    zone = display_zone(incident, request.user)
    row = TimelineRow(event=event, local=event.occurred_at.astimezone(zone), new_day=False, gap_before=None)
    html = render_rows(
        [row],
        incident=incident,
        can_edit=can_edit_incident(request.user, incident),
        seconds=incident.timeline_seconds,
        show_original=False,
        moment_choices=MilestoneForm.base_fields["moment"].choices,
        csrf_token=get_token(request),
    )
    return HttpResponse(html)


@login_required
def event_edit(request, pk, event_pk):
    incident = incident_editable_or_403(user=request.user, pk=pk, forbidden=TIMELINE_EDIT_FORBIDDEN)
    event = _event(incident, event_pk)
    zone = display_zone(incident, request.user)
    initial = {
        "when": event.occurred_at.astimezone(zone).replace(tzinfo=None),
        "zone": zone.key,
        "actor": event.actor,
        "actor_kind": event.actor_kind,
        "kind": event.kind,
        "text": event.text,
        "source_url": event.source_url,
        "key_event": event.key_event,
        "base_version": event.version,
    }
    form = EventForm(request.POST or None, initial=initial, auto_id=f"id_e{event.pk}_%s")
    conflict = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                event_update(
                    event=event,
                    by=request.user,
                    base_version=data.get("base_version"),
                    occurred_at=data["occurred_at"],
                    text=data["text"],
                    actor=data["actor"],
                    actor_kind=data["actor_kind"],
                    kind=data["kind"],
                    source_url=data["source_url"],
                    key_event=data["key_event"],
                    **(
                        {
                            "original_time": data["original_time"],
                            "original_offset_minutes": data["original_offset_minutes"],
                        }
                        if event.source_type == "manual"
                        else {}
                    ),
                )
            except ConflictError as exc:
                conflict, status = show_conflict(form, exc), 409
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Event saved.")
                return _after_change(request, incident, event_pk=event.pk)
    context = {"incident": incident, "form": form, "event": event, "conflict": conflict, "zone": zone}
    if is_htmx(request):
        response = render(request, "timeline/_event_edit_row.html", context, status=status)
        return _retarget(response, f"#event-{event.pk}") if request.method == "POST" else response
    if request.method == "POST" and status == 422:
        status = 200  # the whole page with the form's errors, as before
    context["zone_datalist"] = _zone_datalist(request, incident, zone)
    return render(request, "timeline/event_form.html", context, status=status)


@login_required
@require_POST
def event_delete_view(request, pk, event_pk):
    """Delete one event for good (hiding it as noise is the undoable way); the form asks for a ticked confirmation."""
    incident = incident_editable_or_403(user=request.user, pk=pk, forbidden=TIMELINE_EDIT_FORBIDDEN)
    event = _event(incident, event_pk)
    if request.POST.get("confirm") != "1":
        messages.error(request, "Tick “Delete for good” to delete the event; or hide it as noise instead.")
        return _after_change(request, incident, event_pk=event.pk)
    event_delete(event=event, by=request.user)
    messages.success(request, f"Deleted the event “{Truncator(event.text).chars(60)}”.")
    return _after_change(request, incident)


@login_required
@require_POST
def events_bulk_view(request, pk):
    incident = incident_editable_or_403(user=request.user, pk=pk, forbidden=TIMELINE_EDIT_FORBIDDEN)
    ids = request.POST.getlist("events")
    form = BulkForm(request.POST, event_ids=[i for i in ids if i.isdigit()])
    if not form.is_valid():
        messages.error(request, "Select events and an action.")
        return _after_change(request, incident)
    action, event_ids = form.cleaned_data["action"], form.cleaned_data["events"]
    try:
        if action == "merge":
            events_merge(incident=incident, by=request.user, duplicate_ids=event_ids)
            messages.success(request, f"Merged {len(event_ids) - 1} duplicate(s) into the earliest selected event.")
        else:
            changed = events_bulk(incident=incident, by=request.user, event_ids=event_ids, action=action)
            done, after = BULK_DONE[action]
            messages.success(request, f"{done}: {changed} event{pluralize(changed)}.{after}")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if len(event_ids) == 1 and action in ("key", "unkey", "show"):
        return _after_change(request, incident, event_pk=event_ids[0])  # one row's menu: back to that row
    return _after_change(request, incident)


@login_required
@require_POST
def event_milestone(request, pk, event_pk):
    incident = incident_editable_or_403(user=request.user, pk=pk, forbidden=TIMELINE_EDIT_FORBIDDEN)
    event = TimelineEvent.objects.filter(incident=incident, pk=event_pk).first()
    form = MilestoneForm(request.POST)
    if event is None or not form.is_valid():
        raise Http404("No such event or moment.")
    try:
        milestone_set_from_event(event=event, by=request.user, moment=form.cleaned_data["moment"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"{dict(form.fields['moment'].choices)[form.cleaned_data['moment']]} set from this event."
        )
    return _after_change(request, incident, event_pk=event.pk)


@login_required
@require_POST
def timeline_settings(request, pk):
    incident = incident_editable_or_403(user=request.user, pk=pk, forbidden=TIMELINE_EDIT_FORBIDDEN)
    form = TimelineSettingsForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            timeline_display_set(
                incident=incident,
                by=request.user,
                time_zone=data["timeline_time_zone"],
                seconds=data["timeline_seconds"],
                gap_minutes=data["timeline_gap_minutes"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Timeline display saved.")
    else:
        messages.error(
            request,
            "Not saved: "
            + " ".join(f"{form.fields[name].label}: {' '.join(errors)}" for name, errors in form.errors.items()),
        )
    return redirect("incident_timeline", pk=pk)
