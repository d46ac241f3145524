"""Prometheus Alertmanager webhook payloads to timeline events. Pure Python: no Django.

Input: one payload (`{"version": "4", "status": ..., "receiver": ..., "alerts": [...]}`), a JSON
array of payloads, or JSON lines (one payload per line), e.g. what a webhook receiver logged.

Decisions:
- Each alert gives an `alert_firing` event at `startsAt`, and an `alert_resolved` event at `endsAt`
  when the alert's `status` (falling back to the payload's `status`) is "resolved". While an alert
  fires, Alertmanager puts "0001-01-01T00:00:00Z" or a time in the future in `endsAt`; the status
  is the truth, so `endsAt` is ignored unless the alert is resolved (it is still checked for being a
  valid time).
- A resolved alert whose `endsAt` is unset (the zero time) gives no resolved event: there is no time
  to place it at. Its firing event is still imported.
- source_ref is "<fingerprint>:<startsAt as written>:firing|resolved"; without a `fingerprint`, a
  stable hash of the labels stands in. Notifications repeat (group_interval, repeat_interval), so
  the same alert in several payloads of one file is merged (the first notification wins); the same
  alert twice in one payload is a problem. Re-importing gives the same refs.
- actor "Alertmanager" (system); channel = `receiver`, else the `job` or `service` label.
- text: "Firing: <alertname> — <summary>", the description (or message), then the other labels
  ("Labels: host=a, severity=critical"); source_url = `generatorURL` when it is an http(s) URL.
- `truncatedAlerts` (alerts Alertmanager left out of a payload) cannot be recovered and is ignored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ._payloads import (
    Ctx,
    EventSet,
    Moment,
    http_url,
    is_zero_time,
    payload_event,
    rfc3339_time,
    run,
    shown,
    stable_hash,
    text_of,
    type_name,
    wrong_payload,
)
from .base import ImportOptions, ParsedEvent, clip_text
from .sniff import is_alertmanager

SOURCE = "alertmanager"
sniff = is_alertmanager  # every source module answers "is this yours?" by the same name
STATUSES = ("firing", "resolved")


def parse(path: Path, options: ImportOptions, *, name: str | None = None) -> Iterator[ParsedEvent]:
    return run_alert_payloads(
        path, options, name, source_type=SOURCE, actor="Alertmanager", what="an Alertmanager webhook payload"
    )


def run_alert_payloads(
    path: Path,
    options: ImportOptions,
    name: str | None,
    *,
    source_type: str,
    actor: str,
    what: str,
    refuse: Callable[[Ctx, Any], bool] | None = None,
) -> Iterator[ParsedEvent]:
    """Parse a file of Alertmanager-shaped payloads (Alertmanager's, Grafana 8+'s); `refuse` may report a
    problem about a payload (and return True) before it is read. Repeated notifications merge (keep_first)."""

    def handle(ctx: Ctx, events: EventSet) -> None:
        payload = ctx.doc.value
        if refuse is not None and refuse(ctx, payload):
            return
        if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
            wrong_payload(ctx, payload, what, "no 'alerts' list", source_type)
            return
        alert_events(ctx, payload, events, options, source_type=source_type, actor=actor)

    return run(path, options, name, handle, on_conflict="keep_first")


def _labels(ctx: Ctx, alert: dict, i: int, key: str) -> dict[str, str]:
    value = alert.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        ctx.problem(f"must be an object of names and values, not {type(value).__name__}.", "alerts", i, key, field=key)
        return {}
    return {str(k): v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in value.items()}


def alert_events(
    ctx: Ctx, payload: dict, events: EventSet, options: ImportOptions, *, source_type: str, actor: str
) -> None:
    """Alertmanager-shaped alerts (also Grafana 8+) to firing / resolved events."""
    group_status = payload.get("status")
    receiver = text_of(payload.get("receiver"))
    seen_here: set[str] = set()
    for i, alert in enumerate(payload["alerts"]):
        if not isinstance(alert, dict):
            ctx.problem(f"each alert must be an object, not {type_name(alert)}.", "alerts", i)
            continue
        labels = _labels(ctx, alert, i, "labels")
        annotations = _labels(ctx, alert, i, "annotations")

        status = alert.get("status", group_status)
        status_at: tuple = ("alerts", i, "status") if "status" in alert else ("status",)
        if status not in STATUSES:
            ctx.problem(f"must be 'firing' or 'resolved', not {shown(status)}.", *status_at, field="status")
            status = None

        starts_raw = alert.get("startsAt")
        start: Moment | None = None
        if is_zero_time(starts_raw):
            ctx.problem(
                "is unset (the zero time); a firing alert needs its start time.",
                "alerts",
                i,
                "startsAt",
                field="startsAt",
            )
        else:
            start = rfc3339_time(ctx, starts_raw, "alerts", i, "startsAt", field="startsAt", options=options)

        ends_raw = alert.get("endsAt")
        end: Moment | None = None
        if not is_zero_time(ends_raw):
            end = rfc3339_time(ctx, ends_raw, "alerts", i, "endsAt", field="endsAt", options=options, required=False)

        if start is None or status is None:
            continue
        fingerprint = alert.get("fingerprint")
        key = fingerprint.strip() if isinstance(fingerprint, str) and fingerprint.strip() else stable_hash(labels)
        ref_base = f"{key}:{start.original}"
        if ref_base in seen_here:
            ctx.problem(
                f"the same alert ({shown(key)}, starting {shown(start.original)}) appears twice in this payload.",
                "alerts",
                i,
                field="fingerprint",
            )
            continue
        seen_here.add(ref_base)

        channel = receiver or text_of(labels.get("job")) or text_of(labels.get("service"))
        url = (
            http_url(alert.get("panelURL"), alert.get("dashboardURL"), alert.get("generatorURL"))
            if source_type == "grafana"
            else http_url(alert.get("generatorURL"))
        )
        value_string = text_of(alert.get("valueString")) if source_type == "grafana" else ""

        def event(moment: Moment, state: str) -> ParsedEvent:  # state: "firing" or "resolved"
            text = alert_text(state.capitalize(), labels, annotations, value_string)
            return payload_event(
                moment,
                source_type,
                f"{ref_base}:{state}",
                (actor, "system"),
                text,
                f"alert_{state}",
                source_url=url,
                channel=channel,
            )

        events.add(event(start, "firing"), ctx, "alerts", i)
        if status == "resolved" and end is not None:
            if end.utc < start.utc:
                ctx.problem(
                    f"{shown(end.original)} is before startsAt {shown(start.original)}.",
                    "alerts",
                    i,
                    "endsAt",
                    field="endsAt",
                )
                continue
            events.add(event(end, "resolved"), ctx, "alerts", i)


def alert_text(state: str, labels: dict[str, str], annotations: dict[str, str], value_string: str = "") -> str:
    name = labels.get("alertname", "").strip() or "alert"
    summary = (annotations.get("summary") or annotations.get("message") or annotations.get("title") or "").strip()
    lines = [f"{state}: {name}" + (f" — {summary}" if summary else "")]
    description = (annotations.get("description") or "").strip()
    if description and description != summary:
        lines.append(description)
    if value_string:
        lines.append(f"Value: {value_string}")
    others = [f"{k}={v}" for k, v in sorted(labels.items()) if k != "alertname"]
    if others:
        lines.append("Labels: " + ", ".join(others))
    runbook = http_url(annotations.get("runbook_url"))
    if runbook:
        lines.append(f"Runbook: {runbook}")
    return clip_text("\n".join(lines))
