"""Grafana alerting webhook payloads to timeline events. Pure Python: no Django.

Input: one payload, a JSON array of payloads, or JSON lines (one payload per line).

Decisions:
- Grafana 8+ unified alerting sends Alertmanager-shaped payloads (`"version": "1"`, `orgId`,
  `alerts` with `startsAt`/`endsAt`/`fingerprint`/`valueString`...). They are read with the same
  rules as Alertmanager (see alertmanager.py): a firing event at `startsAt`, a resolved event at
  `endsAt` when the alert's `status` (else the payload's) is "resolved"; the payload-level `state`
  may disagree with `status` and is ignored. `valueString` is added to the text as "Value: ...".
- actor "Grafana" (system); channel = `receiver`, else the `job` or `service` label;
  source_url = `panelURL`, else `dashboardURL`, else `generatorURL` (http(s) only).
- The legacy format (Grafana 7 and older: `ruleName`, `state`, `evalMatches`, no `alerts`) carries
  no time at all, so it cannot be placed on a timeline: such payloads are refused with a problem
  saying so (add the event by hand, or switch the contact point to Grafana 8+ alerting).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._payloads import Ctx, EventSet, first_payload, looks_like, run
from .alertmanager import alert_events
from .base import ImportOptions, ParsedEvent

SOURCE = "grafana"
GRAFANA_ALERT_FIELDS = ("valueString", "silenceURL", "dashboardURL", "panelURL", "values")


def is_grafana_payload(item: Any) -> bool:
    if not isinstance(item, dict):
        return False
    if is_legacy_payload(item):
        return True
    if not isinstance(item.get("alerts"), list):
        return False
    if "orgId" in item or item.get("version") == "1":
        return True
    return any(isinstance(a, dict) and any(f in a for f in GRAFANA_ALERT_FIELDS) for a in item["alerts"][:5])


def is_legacy_payload(item: dict) -> bool:
    return "alerts" not in item and ("ruleName" in item or "evalMatches" in item) and "state" in item


def sniff(data: Any) -> bool:
    """Does this decoded JSON look like Grafana alerting webhook payload(s), new or legacy?"""
    return is_grafana_payload(first_payload(data))


def parse(path: Path, options: ImportOptions, *, name: str | None = None) -> Iterator[ParsedEvent]:
    def handle(ctx: Ctx, events: EventSet) -> None:
        payload = ctx.doc.value
        if isinstance(payload, dict) and is_legacy_payload(payload):
            ctx.problem(
                "legacy Grafana alerts (Grafana 7 and older: ruleName/evalMatches) carry no time, so they cannot be "
                "placed on a timeline; add this alert by hand or use Grafana 8+ alerting webhooks.",
                field="ruleName" if "ruleName" in payload else None,
            )
            return
        if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
            what = "no 'alerts' list" if isinstance(payload, dict) else f"{type(payload).__name__ if payload is not None else 'null'} instead of an object"
            ctx.problem(f"this is not a Grafana alerting webhook payload ({what}){looks_like(payload, SOURCE)}.")
            return
        alert_events(ctx, payload, events, options, source_type=SOURCE, actor="Grafana")

    return run(path, options, name, handle, on_conflict="keep_first")
