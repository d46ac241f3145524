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

from ._payloads import Ctx
from .alertmanager import run_alert_payloads
from .base import ImportOptions, ParsedEvent
from .sniff import is_grafana, is_legacy_payload

SOURCE = "grafana"
sniff = is_grafana  # every source module answers "is this yours?" by the same name


def _refuse_legacy(ctx: Ctx, payload: Any) -> bool:
    if not (isinstance(payload, dict) and is_legacy_payload(payload)):
        return False
    ctx.problem(
        "legacy Grafana alerts (Grafana 7 and older: ruleName/evalMatches) carry no time, so they cannot be "
        "placed on a timeline; add this alert by hand or use Grafana 8+ alerting webhooks.",
        field="ruleName" if "ruleName" in payload else None,
    )
    return True


def parse(path: Path, options: ImportOptions, *, name: str | None = None) -> Iterator[ParsedEvent]:
    return run_alert_payloads(
        path,
        options,
        name,
        source_type=SOURCE,
        actor="Grafana",
        what="a Grafana alerting webhook payload",
        refuse=_refuse_legacy,
    )
