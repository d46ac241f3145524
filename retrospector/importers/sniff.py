"""What each webhook payload looks like: one predicate per source, used to pick a parser and to say, when a file is
not what its source expects, what it looks like instead. Pure Python: no Django, and no import of the parsers, so
every parser can use it."""

from __future__ import annotations

from typing import Any

GRAFANA_ALERT_FIELDS = ("valueString", "silenceURL", "dashboardURL", "panelURL", "values")


def first_payload(data: Any) -> Any:
    """For sniffing: the first payload of an array, else the value itself."""
    if isinstance(data, list):
        return data[0] if data else None
    return data


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


def is_grafana(data: Any) -> bool:
    """Does this decoded JSON look like Grafana alerting webhook payload(s), new or legacy?"""
    return is_grafana_payload(first_payload(data))


def is_alertmanager(data: Any) -> bool:
    """Does this decoded JSON look like Alertmanager webhook payload(s)? (Grafana's are told apart.)"""
    item = first_payload(data)
    if not isinstance(item, dict) or not isinstance(item.get("alerts"), list):
        return False
    if is_grafana_payload(item):
        return False
    return item.get("version") == "4" or "groupKey" in item or "receiver" in item


def is_github(data: Any) -> bool:
    """Does this decoded JSON look like GitHub deployment / deployment_status webhook payload(s)?"""
    item = first_payload(data)
    return (
        isinstance(item, dict)
        and (isinstance(item.get("deployment"), dict) or isinstance(item.get("deployment_status"), dict))
        and ("sender" in item or "repository" in item or "action" in item)
    )


def is_opsgenie(data: Any) -> bool:
    """Does this decoded JSON look like Opsgenie alert webhook payload(s)?"""
    item = first_payload(data)
    return (
        isinstance(item, dict)
        and isinstance(item.get("action"), str)
        and isinstance(item.get("alert"), dict)
        and ("integrationId" in item or "integrationName" in item or "alertId" in item["alert"])
    )


def is_pagerduty(data: Any) -> bool:
    """Does this decoded JSON look like PagerDuty log entries or webhook payload(s)?"""
    item = first_payload(data)
    if not isinstance(item, dict):
        return False
    if isinstance(item.get("log_entries"), list):
        return True
    messages = item.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[0], dict):
        event = messages[0].get("event", messages[0].get("type"))
        return isinstance(event, str) and event.startswith("incident.")
    event = item.get("event") if isinstance(item.get("event"), dict) else item
    if isinstance(event.get("event_type"), str) and ("occurred_at" in event or "resource_type" in event):
        return True
    return is_pagerduty_log_entry(item)


def is_pagerduty_log_entry(item: dict) -> bool:
    kind = item.get("type")
    return isinstance(kind, str) and kind.endswith("_log_entry") and "created_at" in item


def looks_like(data: Any, but_not: str) -> str:
    """', it looks like a Grafana webhook payload' when another importer recognises `data`."""
    for source, name, looks in (
        ("grafana", "a Grafana alerting webhook payload", is_grafana),
        ("alertmanager", "an Alertmanager webhook payload", is_alertmanager),
        ("pagerduty", "a PagerDuty log-entry list or webhook payload", is_pagerduty),
        ("opsgenie", "an Opsgenie webhook payload", is_opsgenie),
        ("github", "a GitHub deployment webhook payload", is_github),
    ):
        if source != but_not and looks(data):
            return f"; it looks like {name}"
    return ""
