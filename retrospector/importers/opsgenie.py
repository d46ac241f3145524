"""Opsgenie alert webhook payloads to timeline events. Pure Python: no Django.

Input: one payload (`{"action": "Create", "alert": {...}, "source": {...}, "integrationName": ...}`),
a JSON array of payloads, or JSON lines (one payload per line).

Decisions:
- kind by `action`: Create -> alert_firing; Close -> alert_resolved; Acknowledge, UnAcknowledge,
  Assign/AssignOwnership, TakeOwnership, Escalate, EscalateToNext, AddRecipient, AddResponder,
  AddTeam -> page; AddNote -> note (its text is the note); any other action (AddTags, Snooze,
  UpdatePriority, Delete, custom actions...) -> note, as "<Action> by <user>: #<tinyId> <message>".
- Time: Opsgenie writes epoch numbers in several units (`createdAt` milliseconds, `updatedAt`
  nanoseconds); the unit is told by magnitude (< 1e11 seconds, < 1e14 ms, < 1e17 µs, else ns) and
  the result must fall between 1990 and 2200. Create uses `createdAt` (else `updatedAt`); every
  other action uses `updatedAt` (the time of that change), never `createdAt` (that would put an
  acknowledgement at the alert's creation). original_time is the number as written; no offset.
- A payload without a usable time is refused with a problem. Opsgenie's own "Escalate" payloads
  carry only the alert id (no time at all), so they are refused unless the receiver added one.
- actor = `alert.username` (person) unless it is empty or "System"/"Alert API" (system);
  escalations are by "Opsgenie" (system). channel = `integrationName` (like Alertmanager's
  receiver: which integration delivered it), else the alert's `entity`.
- source_ref = "<alertId>:<action>:<time as written>", so re-imports match; no source_url (the
  payload does not name the account's domain). The alert's `tags` become the event's tags.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ._payloads import Ctx, EventSet, Moment, json_type, obj, payload_event, run, shown, text_of, wrong_payload
from .base import EPOCH, ImportOptions, ParsedEvent, clip_text
from .sniff import is_opsgenie

SOURCE = "opsgenie"
sniff = is_opsgenie  # every source module answers "is this yours?" by the same name
PAGE_ACTIONS = {
    "acknowledge",
    "unacknowledge",
    "assign",
    "assignownership",
    "takeownership",
    "escalate",
    "escalatetonext",
    "addrecipient",
    "addresponder",
    "addteam",
}
SYSTEM_USERS = {"system", "alert api", "opsgenie", "integration"}
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def epoch_guess(value: Any) -> datetime:
    """An epoch number in s, ms, µs or ns (told by magnitude) to UTC; ValueError when unusable."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"must be an epoch number, not {json_type(value)}")
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{1,30}", text):
            value = int(text)
        elif re.fullmatch(r"\d{1,30}\.\d{1,30}", text):
            value = float(text)
        else:
            raise ValueError(f"{shown(value)} is not an epoch number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("is not a finite number")
    if value <= 0:
        raise ValueError(f"{value} is not a plausible time")
    if value < 1e11:
        scale = 10**6  # seconds -> µs
    elif value < 1e14:
        scale = 10**3  # ms
    elif value < 1e17:
        scale = 1  # µs
    else:
        scale = 10**-3  # ns
    try:
        micros = value * scale if isinstance(value, float) or scale >= 1 else value // 1000
        moment = EPOCH + timedelta(microseconds=micros)
    except (OverflowError, ValueError):
        raise ValueError(f"{value} is out of range") from None
    if not EARLIEST <= moment < LATEST:
        raise ValueError(f"{value} is not a plausible time ({moment:%Y-%m-%d})")
    return moment


def _time(ctx: Ctx, alert: dict, action: str) -> Moment | None:
    fields = ("createdAt", "updatedAt") if action.lower() == "create" else ("updatedAt",)
    for field in fields:
        value = alert.get(field)
        if value is None or value == "":
            continue
        try:
            return Moment(epoch_guess(value), str(value), None)
        except ValueError as exc:
            ctx.problem(
                f"{exc}; expected epoch milliseconds or nanoseconds such as 1420452191104.", "alert", field, field=field
            )
            return None
    ctx.problem(
        (
            f"this {shown(action)} payload carries no time "
            f"({' or '.join('alert.' + f for f in fields)}), so it cannot be placed on a timeline."
        ),
        "alert",
        field=fields[0],
    )
    return None


def _words(action: str) -> str:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", action).strip()
    return spaced[:1].upper() + spaced[1:].lower()


def parse(path: Path, options: ImportOptions, *, name: str | None = None) -> Iterator[ParsedEvent]:
    def handle(ctx: Ctx, events: EventSet) -> None:
        payload = ctx.doc.value
        if not isinstance(payload, dict) or not isinstance(payload.get("alert"), dict) or "action" not in payload:
            wrong_payload(ctx, payload, "an Opsgenie webhook payload", "no 'action' and 'alert' object", SOURCE)
            return
        alert = payload["alert"]
        action = payload.get("action")
        if not isinstance(action, str) or not action.strip():
            ctx.problem(f"must be an action name such as 'Create', not {shown(action)}.", "action", field="action")
            return
        action = action.strip()
        alert_id = text_of(alert.get("alertId"))
        if not alert_id:
            ctx.problem("is missing; every Opsgenie payload needs its alert's id.", "alert", "alertId", field="alertId")
        moment = _time(ctx, alert, action)
        if moment is None or not alert_id:
            return

        key = action.lower()
        username = text_of(alert.get("username"))
        if key == "escalate":
            actor, actor_kind = "Opsgenie", "system"  # escalations are run by Opsgenie's policies
        elif not username or username.lower() in SYSTEM_USERS:
            actor, actor_kind = username or "Opsgenie", "system"
        else:
            actor, actor_kind = username, "person"
        tiny = text_of(alert.get("tinyId"))
        message = text_of(alert.get("message")) or text_of(alert.get("alias")) or alert_id
        subject = f"#{tiny} {message}" if tiny else message
        if key == "create":
            kind, text = "alert_firing", f"Alert created: {subject}"
            description = text_of(alert.get("description"))
            if description:
                text += f"\n{description}"
            priority = text_of(alert.get("priority"))
            if priority:
                text += f"\nPriority: {priority if priority.upper().startswith('P') else 'P' + priority}"
        elif key == "close":
            kind, text = "alert_resolved", f"Closed by {actor}: {subject}"
        elif key == "addnote":
            note = text_of(alert.get("note"))
            kind, text = "note", (f"{note}\n(note on {subject})" if note else f"Note added by {actor}: {subject}")
        elif key == "escalate":
            notify = obj(payload.get("escalationNotify"))
            target = text_of(notify.get("name"))
            policy = text_of(payload.get("escalationName"))
            head = "Escalated" + (f" to {target}" if target else "") + (f" ({policy})" if policy else "")
            kind, text = "page", f"{head}: {subject}"
        elif key in ("assign", "assignownership"):
            owner = text_of(alert.get("owner"))
            kind, text = "page", f"Assigned{' to ' + owner if owner else ''} by {actor}: {subject}"
        elif key in ("acknowledge", "unacknowledge"):
            kind, text = "page", f"{'Acknowledged' if key == 'acknowledge' else 'Unacknowledged'} by {actor}: {subject}"
        elif key in PAGE_ACTIONS:
            kind, text = "page", f"{_words(action)} by {actor}: {subject}"
        else:
            kind, text = "note", f"{_words(action)} by {actor}: {subject}"

        tags = (
            tuple(t.strip()[:100] for t in alert.get("tags", []) if isinstance(t, str) and t.strip())
            if isinstance(alert.get("tags"), list)
            else ()
        )
        channel = (text_of(payload.get("integrationName")) or text_of(alert.get("entity")))[:200]
        event = payload_event(
            moment,
            SOURCE,
            f"{alert_id}:{action}:{moment.original}",
            (clip_text(actor)[:200], actor_kind),
            text,
            kind,
            channel=channel,
            tags=tags[:50],
        )
        events.add(event, ctx, "alert", "alertId", field="alertId")

    return run(path, options, name, handle, on_conflict="error")
