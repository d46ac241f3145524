"""Sending the queued webhook deliveries (actions.events queues them): by the worker, never inside a request.

A JSON subscription gets the event's payload as compact JSON, signed Stripe-style in one header:

    Retrospector-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the subscription's secret>

(a subscriber recomputes the HMAC over "<t>." + the raw body, compares in constant time, and refuses an old `t`), with
`Retrospector-Event` and `Retrospector-Delivery` (the event's id: the same for a redelivery, so a subscriber can tell
an event it already handled). A Slack subscription gets a message as Slack's incoming webhooks take it: a fallback
`text` and `blocks` (a mrkdwn section and a context line), with &, < and > escaped as Slack requires.

A 2xx answer delivers it. Anything else, a network error or a timeout, is retried with backoff (BACKOFF; a 429's or a
503's Retry-After is respected) until MAX_ATTEMPTS, then the delivery has failed. An answer that says the endpoint is
gone (410; for Slack also 400 invalid_payload, 403 and 404 no_service) fails it at once: sending it again would not
help. Failed deliveries can be redelivered by hand (actions.webhook_services.webhook_redeliver).

Each delivery is claimed before it is sent, so that two workers never send the same one: a short transaction picks due
rows (PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so workers take different rows; SQLite: the transaction is
IMMEDIATE, so claims are serialised by the write lock) and moves their next_attempt_at forward by CLAIM_FOR, which
hides them from every other claim. A worker that dies after claiming leaves them to be sent again once the claim runs
out (at least once: a subscriber deduplicates on Retrospector-Delivery).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
import orjson
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from retrospector.actions.models import WebhookDelivery, WebhookSubscription
from retrospector.core.secretbox import SecretUnreadable, unseal

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status
TIMEOUT_SECONDS = 10.0
MAX_ATTEMPTS = 6
# The wait after the 1st, 2nd, ... failed attempt (the 6th failure is final).
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
LONGEST_RETRY_AFTER = timedelta(days=1)  # a Retry-After further away than this is read as this
CLAIM_BATCH = 25
# Long enough for a whole batch of timeouts: nobody else takes a claimed delivery before its worker is done with it.
CLAIM_FOR = timedelta(seconds=CLAIM_BATCH * TIMEOUT_SECONDS + 60)
RUN_FOR_SECONDS = 60.0  # one task run sends for at most about this long, then queues the next run
DUE_SOON = timedelta(minutes=10)  # retries due within this get their own task run; later ones wait for housekeeping
EXCERPT_CHARS = 1000
USER_AGENT = "Retrospector-Webhooks"
SIGNATURE_TOLERANCE_SECONDS = 300  # what a subscriber should accept (documented on the page and in the API)
SLACK_FINAL = {400, 403, 404, 410}  # invalid_payload, action_prohibited, no_service/channel_not_found, archived
FINAL = {410}


# --- Signing ------------------------------------------------------------------------------------------------------


def body_of(payload: dict) -> bytes:
    """The exact bytes sent (and signed): compact JSON."""
    return orjson.dumps(payload)


def _signature(secret: str, body: bytes, timestamp: int) -> str:
    """HMAC-SHA256 of "<timestamp>.<body>" under the secret, in hex."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    return f"t={timestamp},v1={_signature(secret, body, timestamp)}"


def signature_valid(
    header: str, secret: str, body: bytes, *, now: float | None = None, tolerance=SIGNATURE_TOLERANCE_SECONDS
) -> bool:
    """What a subscriber does with Retrospector-Signature: recompute the HMAC over "<t>.<body>", compare it in
    constant time and refuse a timestamp older (or further ahead) than `tolerance` seconds. Used by the tests as a
    subscriber would."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(_signature(secret, body, timestamp), parts.get("v1", ""))


# --- Slack --------------------------------------------------------------------------------------------------------

STATE_NAMES = {
    "draft": "Draft",
    "in_review": "In review",
    "meeting": "Meeting",
    "approved": "Approved",
    "done": "Done",
}


def slack_escape(text) -> str:
    """Slack's control characters as the entities it asks for; nothing else is encoded."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(path: str | None, label: str) -> str:
    if not path:
        return f"*{slack_escape(label)}*"
    url = settings.SITE_URL + path
    # Inside <url|label> a "|" or ">" in the label would end it early: the label is escaped, and "|" dropped.
    return f"<{slack_escape(url)}|{slack_escape(label).replace('|', '¦')}>"


def event_summary(payload: dict) -> tuple[str, str, str]:
    """(plain fallback text, mrkdwn text, mrkdwn context) of an event for people."""
    name = payload.get("event", "")
    data = payload.get("data") or {}
    if name.startswith("retrospective."):
        retro = data.get("retrospective") or {}
        incident = data.get("incident") or {}
        title = retro.get("title", "A retrospective")
        by = data.get("by") or "someone"
        if name == "retrospective.approved":
            plain = f"Retrospective approved: {title} (by {by})"
            text = f"{_link(retro.get('url'), title)} was approved by {slack_escape(by)}."
        else:
            before = STATE_NAMES.get(data.get("from_state"), data.get("from_state"))
            after = STATE_NAMES.get(data.get("to_state"), data.get("to_state"))
            plain = f"Retrospective {title}: {before} → {after} (by {by})"
            text = (
                f"{_link(retro.get('url'), title)} moved from *{slack_escape(before)}* to *{slack_escape(after)}* "
                f"(by {slack_escape(by)})."
            )
        context = f"Incident: {slack_escape(incident.get('title', ''))} · team {slack_escape(incident.get('team', ''))}"
        return plain, text, context
    if name.startswith("recommendation."):
        rec = data.get("recommendation") or {}
        title = rec.get("title", "A recommendation")
        verb = "created" if name == "recommendation.created" else "changed"
        changed = ", ".join(sorted((data.get("changes") or {}).keys()))
        plain = f"Recommendation {verb}: {title}" + (f" ({changed})" if changed else "")
        text = f"Recommendation {verb}: {_link(rec.get('url'), title)}" + (
            f" ({slack_escape(changed)})" if changed else ""
        )
        context = f"Status {slack_escape(rec.get('status', ''))} · team {slack_escape(rec.get('team', ''))}"
        return plain, text, context
    if name == "ping":
        plain = "Test event from Retrospector: this webhook works."
        return plain, slack_escape(plain), f"Sent from {slack_escape(settings.SITE_URL)}"
    return name, slack_escape(name), ""


def slack_message(payload: dict) -> dict:
    """The message for a Slack incoming webhook: `text` is the fallback (notifications), `blocks` what is shown."""
    plain, text, context = event_summary(payload)
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}]
    if context:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context[:3000]}]})
    return {"text": slack_escape(plain)[:3000], "blocks": blocks}


# --- Sending ------------------------------------------------------------------------------------------------------


def request_for(delivery: WebhookDelivery, secret: str, now: datetime) -> tuple[bytes, dict]:
    """The body and headers of one delivery."""
    subscription = delivery.subscription
    if subscription.format == WebhookSubscription.Format.SLACK:
        return body_of(slack_message(delivery.payload)), {"Content-Type": "application/json"}
    body = body_of(delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "Retrospector-Event": delivery.event,
        "Retrospector-Delivery": str(delivery.event_id),
    }
    if secret:
        headers["Retrospector-Signature"] = signature_header(secret, body, int(now.timestamp()))
    return body, headers


def _retry_after(response: httpx.Response, now: datetime) -> timedelta | None:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        wait = timedelta(seconds=int(value))
    else:
        try:
            wait = parsedate_to_datetime(value) - now
        except (TypeError, ValueError, OverflowError):
            return None
    return max(timedelta(0), min(wait, LONGEST_RETRY_AFTER))


def _claim(now: datetime, size: int) -> list[WebhookDelivery]:
    due = WebhookDelivery.objects.filter(
        status=Status.PENDING, next_attempt_at__lte=now, subscription__active=True
    ).order_by("next_attempt_at", "id")
    lease = now + CLAIM_FOR
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("pk", flat=True)[:size])
        if not ids:
            return []
        WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=lease)
    claimed = WebhookDelivery.objects.filter(pk__in=ids, next_attempt_at=lease).select_related("subscription")
    return sorted(claimed, key=lambda d: ids.index(d.pk))


def _finish(delivery: WebhookDelivery, lease: datetime, **fields) -> None:
    # Only while the claim still holds (a worker stalled past CLAIM_FOR lost it to another one).
    WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.PENDING, next_attempt_at=lease).update(**fields)


def _send_one(client: httpx.Client, delivery: WebhookDelivery, now: datetime, secrets: dict[int, str]) -> str:
    lease = delivery.next_attempt_at
    subscription = delivery.subscription
    attempts = delivery.attempts + 1
    code = None
    excerpt = ""
    final = False
    wait = None
    try:
        if subscription.pk not in secrets:
            secrets[subscription.pk] = unseal(subscription.secret_encrypted)
        body, headers = request_for(delivery, secrets[subscription.pk], now)
        response = client.post(subscription.url, content=body, headers=headers)
    except SecretUnreadable as exc:
        error = str(exc)
    except httpx.TimeoutException:
        error = f"Timed out after {TIMEOUT_SECONDS:g} s."
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    else:
        code = response.status_code
        excerpt = response.text[:EXCERPT_CHARS]
        if 200 <= code < 300:
            _finish(
                delivery,
                lease,
                status=Status.SUCCEEDED,
                attempts=attempts,
                last_status_code=code,
                last_error="",
                response_excerpt=excerpt,
                delivered_at=now,
                next_attempt_at=None,
            )
            return "succeeded"
        error = f"HTTP {code}" + (" (a redirect: redirects are not followed)" if 300 <= code < 400 else "")
        final = code in (SLACK_FINAL if subscription.format == WebhookSubscription.Format.SLACK else FINAL)
        if code in (429, 503):
            wait = _retry_after(response, now)
    if final or attempts >= MAX_ATTEMPTS:
        _finish(
            delivery,
            lease,
            status=Status.FAILED,
            attempts=attempts,
            last_status_code=code,
            last_error=error[:2000],
            response_excerpt=excerpt,
            next_attempt_at=None,
        )
        return "failed"
    if wait is None:
        wait = BACKOFF[min(attempts, len(BACKOFF)) - 1]
    _finish(
        delivery,
        lease,
        attempts=attempts,
        last_status_code=code,
        last_error=error[:2000],
        response_excerpt=excerpt,
        next_attempt_at=now + wait,
    )
    return "retrying"


def http_client() -> httpx.Client:
    """One client for a whole run: connections are kept open between deliveries to the same host."""
    return httpx.Client(
        timeout=TIMEOUT_SECONDS,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
        trust_env=False,  # no proxy from the environment: the subscriber's URL is what is called
    )


def deliveries_send(*, now: datetime | None = None, run_for: float = RUN_FOR_SECONDS) -> dict:
    """Send every due pending delivery (oldest due first), at most `run_for` seconds' worth; answers the counts and
    `next_due`, when the next delivery due soon is (the task queues its next run for then). `now` fixes the clock
    (tests); by default each batch reads the time."""
    done = {"succeeded": 0, "retrying": 0, "failed": 0}
    started = time.monotonic()
    secrets: dict[int, str] = {}
    with http_client() as client:
        while True:
            moment = now or timezone.now()
            batch = _claim(moment, CLAIM_BATCH)
            if not batch:
                break
            for delivery in batch:
                done[_send_one(client, delivery, now or timezone.now(), secrets)] += 1
            if time.monotonic() - started > run_for:
                break
    done["next_due"] = next_due(now or timezone.now())
    return done


def next_due(now: datetime) -> datetime | None:
    """When the earliest pending delivery is due, if that is within DUE_SOON (later ones wait for housekeeping)."""
    return (
        WebhookDelivery.objects.filter(
            status=Status.PENDING, subscription__active=True, next_attempt_at__lte=now + DUE_SOON
        )
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def deliveries_sweep() -> dict:
    """The periodic job (core.periodic): send what is due, in case the task that was to send it was lost."""
    done = deliveries_send()
    done.pop("next_due")
    return done
