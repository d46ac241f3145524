"""PagerDuty log entries and webhooks to timeline events. Pure Python: no Django.

Accepted, each as one document, a JSON array, or JSON lines:
- REST responses of `GET /incidents/{id}/log_entries` or `GET /log_entries`: `{"log_entries": [...]}`
  (newest first, often several entries with one timestamp); a bare array of log entries too;
- v2 webhooks: `{"messages": [{"event": "incident.trigger", "log_entries": [...], "incident": {...}}]}`
  (a message without log entries, as v1 sent them, gives one event from the message itself);
- v3 webhooks: `{"event": {"id", "event_type": "incident.triggered", "occurred_at", "agent", "data"}}`,
  or the bare event objects.

Decisions:
- kind "page" for everything (trigger, notify, escalate, assign, acknowledge, resolve, priority...),
  except notes ("annotate_log_entry", "incident.annotated") and status updates
  ("incident.status_update_published"), which are "note".
- text: a log entry's own `summary` (PagerDuty writes sentences: "Resolved by Laura Haley") and the
  incident; a note's content. v3 events: "Acknowledged by PIG 208: #10 Test Incident" and the like.
- actor = `agent.summary`; actor_kind "person" for user references, else "system"; without an
  agent, "PagerDuty" (system).
- source_ref = the log entry id, or the v3 event id (v2/v1 messages without entries: message id).
  The same id twice in a file with identical content (a redelivered webhook) is dropped; with
  different content it is a problem.
- channel = the service's `summary` (or `name`). Notes name no service; they take the service of
  their incident when another entry of the same file names it.
- source_url = the entry's / event's `html_url`, else the incident's.
- Within a log-entry list that runs newest first, entries are taken oldest first, so entries that
  share a timestamp keep their real order after the (stable) sort by time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from ._payloads import (
    Ctx,
    EventSet,
    Moment,
    each_payload,
    finish,
    http_url,
    obj,
    payload_event,
    rfc3339_time,
    shown,
    text_of,
    type_name,
)
from .base import ImportOptions, ParsedEvent, ProblemCollector, clip_text
from .sniff import is_pagerduty, is_pagerduty_log_entry, looks_like

SOURCE = "pagerduty"
sniff = is_pagerduty  # every source module answers "is this yours?" by the same name
NOTE_ENTRY_TYPES = {"annotate_log_entry"}
NOTE_EVENT_TYPES = {"incident.annotated", "incident.status_update_published"}
PERSON_TYPES = {"user_reference", "user"}

# What a log entry of each type says when it has no `summary` ({actor} is filled in).
ENTRY_VERBS = {
    "trigger_log_entry": "Triggered",
    "acknowledge_log_entry": "Acknowledged by {actor}",
    "unacknowledge_log_entry": "Unacknowledged",
    "resolve_log_entry": "Resolved by {actor}",
    "escalate_log_entry": "Escalated",
    "notify_log_entry": "Notified",
    "assign_log_entry": "Assigned by {actor}",
    "delegate_log_entry": "Reassigned by {actor}",
    "snooze_log_entry": "Snoozed by {actor}",
    "unsnooze_log_entry": "Unsnoozed",
    "annotate_log_entry": "Note added by {actor}",
}


class _Reader:
    def __init__(self, problems: ProblemCollector, file: str, options: ImportOptions):
        self.problems = problems
        self.file = file
        self.options = options
        self.events = EventSet("error")
        self.incident_services: dict[str, str] = {}  # incident id -> service name, for notes
        self.event_incidents: dict[str, str] = {}  # source_ref -> incident id
        self.pending: list[tuple[Ctx, Any, tuple]] = []  # bare log entries of a top-level array

    # --- shapes -------------------------------------------------------------------------------
    def payload(self, ctx: Ctx) -> None:
        value = ctx.doc.value
        if isinstance(value, dict) and is_pagerduty_log_entry(value) and "log_entries" not in value:
            self.pending.append((ctx, value, ()))  # one of an array of bare log entries
            return
        self.flush()
        if not isinstance(value, dict):
            ctx.problem(f"this is not a PagerDuty payload ({type_name(value)} instead of an object).")
            return
        if "log_entries" in value:
            if not isinstance(value["log_entries"], list):
                ctx.problem("must be a list of log entries.", "log_entries", field="log_entries")
                return
            self.entry_list(ctx, value["log_entries"], ("log_entries",), incident=None)
        elif "messages" in value:
            if not isinstance(value["messages"], list):
                ctx.problem("must be a list of webhook messages.", "messages", field="messages")
                return
            for m, message in enumerate(value["messages"]):
                self.message(ctx, message, m)
        elif "event" in value:
            if not isinstance(value["event"], dict):
                ctx.problem(f"must be an object, not {type_name(value['event'])}.", "event", field="event")
                return
            self.v3_event(ctx, value["event"], ("event",))
        elif "event_type" in value:
            self.v3_event(ctx, value, ())
        else:
            ctx.problem(
                "this is not a PagerDuty log-entry list or webhook payload (no 'log_entries', 'messages' or 'event')"
                f"{looks_like(value, SOURCE)}."
            )

    def entry_list(self, ctx: Ctx, entries: list, at: tuple, incident: dict | None) -> None:
        self.entries([(ctx, entry, (*at, i)) for i, entry in enumerate(entries)], incident)

    def flush(self) -> None:
        if self.pending:
            self.entries(self.pending, None)
            self.pending = []

    def entries(self, items: list[tuple[Ctx, Any, tuple]], incident: dict | None) -> None:
        batch = []
        for ctx, entry, where in items:
            event = self.log_entry(ctx, entry, where, incident)
            if event is not None:
                batch.append((event, ctx, where))
        if len(batch) > 1 and batch[0][0].occurred_at > batch[-1][0].occurred_at:
            batch.reverse()  # newest first (the REST default): oldest first keeps same-second order
        for event, ctx, where in batch:
            self.events.add(event, ctx, *where)

    def message(self, ctx: Ctx, message: Any, m: int) -> None:
        if not isinstance(message, dict):
            ctx.problem("each webhook message must be an object.", "messages", m)
            return
        incident = obj(message.get("incident")) or obj(obj(message.get("data")).get("incident"))
        self._learn_service(incident, obj(incident.get("service")))
        entries = message.get("log_entries")
        if isinstance(entries, list) and entries:
            self.entry_list(ctx, entries, ("messages", m, "log_entries"), incident)
            return
        if entries is not None and not isinstance(entries, list):
            ctx.problem("must be a list of log entries.", "messages", m, "log_entries", field="log_entries")
            return
        # A message without log entries (v1 style): the message itself is the event.
        event_name = text_of(message.get("event")) or text_of(message.get("type"))
        moment = rfc3339_time(
            ctx, message.get("created_on"), "messages", m, "created_on", field="created_on", options=self.options
        )
        ref = text_of(message.get("id"))
        if not ref:
            ctx.problem("is missing; every webhook message needs its id.", "messages", m, "id", field="id")
        if moment is None or not ref:
            return
        what = event_name.removeprefix("incident.").replace("_", " ") or "update"
        text = f"Incident {what}: {_incident_label(incident)}".rstrip(": ")
        event = _event(
            moment,
            ref,
            _actor(incident.get("last_status_change_by")),
            text,
            "page",
            obj(incident.get("service")),
            incident.get("html_url"),
        )
        self.events.add(event, ctx, "messages", m)

    # --- one item -----------------------------------------------------------------------------
    def log_entry(self, ctx: Ctx, entry: Any, at: tuple, incident: dict | None) -> ParsedEvent | None:
        if not isinstance(entry, dict):
            ctx.problem(f"each log entry must be an object, not {type_name(entry)}.", *at)
            return None
        ref = text_of(entry.get("id"))
        if not ref:
            ctx.problem("is missing; every log entry needs its id.", *at, "id", field="id")
        entry_type = entry.get("type")
        if not isinstance(entry_type, str) or not entry_type:
            ctx.problem(
                f"must be a log entry type such as 'trigger_log_entry', not {shown(entry_type)}.",
                *at,
                "type",
                field="type",
            )
            entry_type = None
        moment = rfc3339_time(ctx, entry.get("created_at"), *at, "created_at", field="created_at", options=self.options)
        if moment is None or not ref or entry_type is None:
            return None
        entry_incident = obj(entry.get("incident")) or obj(incident)
        service = obj(entry.get("service")) or obj(obj(incident).get("service"))
        self._learn_service(entry_incident, service)
        actor, actor_kind = _actor(entry.get("agent"))
        channel = obj(entry.get("channel"))
        if entry_type in NOTE_ENTRY_TYPES:
            kind = "note"
            text = (
                text_of(channel.get("content"))
                or text_of(channel.get("summary"))
                or text_of(channel.get("notes"))
                or text_of(entry.get("summary"))
            )
            text = text or ENTRY_VERBS[entry_type].format(actor=actor)
        else:
            kind = "page"
            summary = text_of(entry.get("summary")) or ENTRY_VERBS.get(
                entry_type, entry_type.removesuffix("_log_entry").replace("_", " ").capitalize()
            ).format(actor=actor)
            label = text_of(entry_incident.get("summary")) or _incident_label(obj(incident))
            text = summary + (f" — {label}" if label else "")
        event = _event(
            moment, ref, (actor, actor_kind), text, kind, service, entry.get("html_url"), entry_incident.get("html_url")
        )
        self.event_incidents.setdefault(ref, text_of(entry_incident.get("id")))
        return event

    def v3_event(self, ctx: Ctx, event: dict, at: tuple) -> None:
        ref = text_of(event.get("id"))
        if not ref:
            ctx.problem("is missing; every webhook event needs its id.", *at, "id", field="id")
        event_type = event.get("event_type")
        if not isinstance(event_type, str) or not event_type.strip():
            ctx.problem(
                f"must be an event type such as 'incident.triggered', not {shown(event_type)}.",
                *at,
                "event_type",
                field="event_type",
            )
            event_type = None
        moment = rfc3339_time(
            ctx, event.get("occurred_at"), *at, "occurred_at", field="occurred_at", options=self.options
        )
        data = event.get("data")
        if data is not None and not isinstance(data, dict):
            ctx.problem(f"must be an object, not {type(data).__name__}.", *at, "data", field="data")
            return
        data = obj(data)
        if moment is None or not ref or event_type is None:
            return
        actor, actor_kind = _actor(event.get("agent"))
        # data is the incident itself, or (notes, status updates...) an object with an `incident` reference.
        incident = (
            data if data.get("type") == "incident" or "number" in data or "title" in data else obj(data.get("incident"))
        )
        service = obj(data.get("service")) or obj(incident.get("service"))
        self._learn_service(incident, service)
        label = _incident_label(incident)
        what = event_type.removeprefix("incident.")
        if event_type in NOTE_EVENT_TYPES:
            kind = "note"
            text = text_of(data.get("content")) or text_of(data.get("message")) or f"Note added by {actor}"
        else:
            kind = "page"
            names = ", ".join(n for n in (text_of(obj(a).get("summary")) for a in _list(data.get("assignees"))) if n)
            if what == "triggered":
                head = "Triggered"
            elif what in ("acknowledged", "resolved", "unacknowledged", "reopened", "delegated"):
                head = f"{what.capitalize()} by {actor}"
            elif what in ("escalated", "reassigned"):
                head = what.capitalize() + (f" to {names}" if names else "")
            elif what == "priority_updated":
                priority = text_of(obj(data.get("priority")).get("summary"))
                head = f"Priority set to {priority}" if priority else "Priority removed"
            else:
                head = what.replace("_", " ").replace(".", " ").capitalize() + f" by {actor}"
            text = f"{head}: {label}" if label else head
        self.events.add(
            _event(
                moment, ref, (actor, actor_kind), text, kind, service, data.get("html_url"), incident.get("html_url")
            ),
            ctx,
            *at,
        )
        self.event_incidents.setdefault(ref, text_of(incident.get("id")))

    def _learn_service(self, incident: dict, service: dict) -> None:
        incident_id, name = text_of(incident.get("id")), _service_name(service)
        if incident_id and name:
            self.incident_services.setdefault(incident_id, name)

    def fill_channels(self) -> None:
        """Give events without a service (notes) the service of their incident, when known."""
        for ref, event in self.events.events.items():
            if event.channel:
                continue
            name = self.incident_services.get(self.event_incidents.get(ref, ""))
            if name:
                self.events.events[ref] = replace(event, channel=name)


def _event(
    moment: Moment, ref: str, actor: tuple[str, str], text: str, kind: str, service: dict, *urls: Any
) -> ParsedEvent:
    """A PagerDuty event: channel = the service's name, source_url = the first http(s) one of `urls`."""
    return payload_event(
        moment, SOURCE, ref, actor, text, kind, source_url=http_url(*urls), channel=_service_name(service)
    )


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _actor(agent: Any) -> tuple[str, str]:
    agent = obj(agent)
    name = text_of(agent.get("summary")) or text_of(agent.get("name")) or text_of(agent.get("email"))
    if not name:
        return "PagerDuty", "system"
    return clip_text(name)[:200], "person" if text_of(agent.get("type")) in PERSON_TYPES else "system"


def _service_name(service: dict) -> str:
    return (text_of(service.get("summary")) or text_of(service.get("name")))[:200]


def _incident_label(incident: dict) -> str:
    title = text_of(incident.get("title")) or text_of(incident.get("summary"))
    number = incident.get("number", incident.get("incident_number"))
    if isinstance(number, int) and not isinstance(number, bool) and title and not title.startswith("["):
        return f"#{number} {title}"
    return title


def parse(path: Path, options: ImportOptions, *, name: str | None = None) -> Iterator[ParsedEvent]:
    problems = ProblemCollector(options.max_problems)
    reader = _Reader(problems, name or str(path), options)
    for ctx in each_payload(path, name, problems):
        reader.payload(ctx)
    reader.flush()
    reader.fill_channels()
    return finish(reader.events, problems, options)
