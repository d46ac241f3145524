"""Writes of webhook subscriptions: create, change (pause, resume, events, format, URL, a new secret), delete; and of
their deliveries: redeliver one, send a test event (`ping`). The page and the API call these.

A URL is only checked for its form (http or https, with a host): it is never fetched while a person waits; the worker
calls it (actions.webhooks). The secret signs JSON deliveries; it is stored sealed (core.secretbox) and returned in
plain only by webhook_create (or by a change that sets a new one), to show once.
"""

from __future__ import annotations

import secrets as secrets_module
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from retrospector.accounts.models import Team, User
from retrospector.accounts.selectors import can_manage_team
from retrospector.actions.events import SUBSCRIBABLE, wake_the_worker
from retrospector.actions.models import WebhookDelivery, WebhookSubscription
from retrospector.core.errors import locked
from retrospector.core.secretbox import seal

Format = WebhookSubscription.Format
Status = WebhookDelivery.Status
SECRET_MIN_CHARS = 16
SECRET_MAX_CHARS = 200
URL_MAX_CHARS = 2000
NOT_ALLOWED_ORG = "Only organization admins manage organization-wide webhooks."
NOT_ALLOWED_TEAM = "Only the team's admins (and organization admins) manage its webhooks."
URL_RULE = "An http:// or https:// address with a host, e.g. https://example.com/hooks/retrospector."


def url_checked(url: str) -> str:
    """The URL, stripped, when it is http(s) with a host; ValidationError on `url` otherwise. Never fetched."""
    url = (url or "").strip()
    if not url:
        raise ValidationError({"url": "Enter the address to send events to."})
    if len(url) > URL_MAX_CHARS:
        raise ValidationError({"url": f"At most {URL_MAX_CHARS} characters."})
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": URL_RULE})
    if parts.username or parts.password:
        raise ValidationError({"url": "Put no user name or password in the address: the secret signs each delivery."})
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError({"url": URL_RULE}) from None
    return url


def events_checked(events) -> list[str]:
    events = list(dict.fromkeys(events or ()))
    unknown = [name for name in events if name not in SUBSCRIBABLE]
    if unknown:
        raise ValidationError({"events": f"Unknown event {unknown[0]!r}; choose among {', '.join(SUBSCRIBABLE)}."})
    return events


def _secret_checked(secret: str) -> str:
    secret = (secret or "").strip()
    if not secret:
        return secrets_module.token_urlsafe(32)
    if not SECRET_MIN_CHARS <= len(secret) <= SECRET_MAX_CHARS:
        raise ValidationError(
            {"secret": f"A secret has {SECRET_MIN_CHARS} to {SECRET_MAX_CHARS} characters (leave it empty for one)."}
        )
    return secret


def _check_may_manage(by: User, organization_id: int, team: Team | None) -> None:
    if not by.is_authenticated or by.organization_id != organization_id:
        raise PermissionDenied(NOT_ALLOWED_ORG)
    if team is None:
        if not by.is_org_admin:
            raise PermissionDenied(NOT_ALLOWED_ORG)
    elif team.organization_id != organization_id or not can_manage_team(by, team):
        raise PermissionDenied(NOT_ALLOWED_TEAM)


def may_manage(by: User, subscription: WebhookSubscription) -> bool:
    try:
        _check_may_manage(by, subscription.organization_id, subscription.team)
    except PermissionDenied:
        return False
    return True


@transaction.atomic
def webhook_create(
    *,
    by: User,
    url: str,
    format: str = Format.JSON,
    events=(),
    team: Team | None = None,
    secret: str = "",
    description: str = "",
) -> tuple[WebhookSubscription, str]:
    """A new subscription (of `team`, or organization-wide), and its secret in plain: generated when `secret` is empty.
    Shown once; only its sealed form is kept."""
    _check_may_manage(by, by.organization_id, team)
    if format not in Format.values:
        raise ValidationError({"format": f"Choose one of {', '.join(Format.values)}."})
    plain = _secret_checked(secret)
    subscription = WebhookSubscription.objects.create(
        organization_id=by.organization_id,
        team=team,
        url=url_checked(url),
        format=format,
        events=events_checked(events),
        secret_encrypted=seal(plain),
        description=(description or "").strip()[:200],
        created_by=by,
    )
    return subscription, plain


@transaction.atomic
def webhook_update(*, subscription: WebhookSubscription, by: User, **changes) -> tuple[WebhookSubscription, str]:
    """Change `url`, `format`, `events`, `active`, `description` or `secret` (an empty one generates a new secret).
    Returns the subscription and the new secret in plain when one was set (else "")."""
    _check_may_manage(by, subscription.organization_id, subscription.team)
    current = locked(WebhookSubscription.objects.select_related("team"), subscription.pk, of=("self",))
    new_secret = ""
    unknown = set(changes) - {"url", "format", "events", "active", "description", "secret"}
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "This cannot be changed."})
    if "url" in changes:
        current.url = url_checked(changes["url"])
    if "format" in changes:
        if changes["format"] not in Format.values:
            raise ValidationError({"format": f"Choose one of {', '.join(Format.values)}."})
        current.format = changes["format"]
    if "events" in changes:
        current.events = events_checked(changes["events"])
    if "active" in changes:
        current.active = bool(changes["active"])
    if "description" in changes:
        current.description = (changes["description"] or "").strip()[:200]
    if "secret" in changes:
        new_secret = _secret_checked(changes["secret"])
        current.secret_encrypted = seal(new_secret)
    current.save()
    if current.active and not subscription.active:
        # Resumed: what waited while it was paused goes out now.
        transaction.on_commit(wake_the_worker)
    return current, new_secret


@transaction.atomic
def webhook_delete(*, subscription: WebhookSubscription, by: User) -> None:
    """Delete it with its delivery log; deliveries still waiting are never sent."""
    _check_may_manage(by, subscription.organization_id, subscription.team)
    subscription.delete()


@transaction.atomic
def webhook_redeliver(*, delivery: WebhookDelivery, by: User) -> WebhookDelivery:
    """Send a delivery again: a NEW pending delivery of the same event (same payload and event id, so a subscriber that
    handled it can tell), due now; the original stays in the log as it was. A paused subscription keeps it waiting
    until it is resumed."""
    subscription = delivery.subscription
    _check_may_manage(by, subscription.organization_id, subscription.team)
    if delivery.status == Status.PENDING:
        raise ValidationError({"delivery": "This delivery is still waiting to be sent: it will be retried by itself."})
    again = WebhookDelivery.objects.create(
        subscription=subscription,
        event=delivery.event,
        event_id=delivery.event_id,
        payload=delivery.payload,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(wake_the_worker)
    return again


@transaction.atomic
def webhook_ping(*, subscription: WebhookSubscription, by: User) -> WebhookDelivery:
    """Queue a test event (`ping`) to this one subscription, whatever events it chose."""
    _check_may_manage(by, subscription.organization_id, subscription.team)
    if not subscription.active:
        raise ValidationError({"active": "This webhook is paused: resume it to send a test event."})
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event="ping",
        payload={
            "event": "ping",
            "occurred_at": now.isoformat(),
            "data": {"webhook": subscription.pk, "by": by.username, "message": "Test event: this webhook works."},
        },
        next_attempt_at=now,
    )
    transaction.on_commit(wake_the_worker)
    return delivery
