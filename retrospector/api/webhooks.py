"""Outgoing webhooks: the subscriptions one manages (GET/POST /api/v1/webhooks, GET/PATCH/DELETE /api/v1/webhooks/{id}),
their delivery log (GET .../deliveries) and a redelivery (POST .../deliveries/{id}/redeliver). The same services as
the page (actions.webhook_services). The secret is write-only: no answer ever carries it, only `secret_set`."""

from datetime import datetime
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Field, Query, Router, Schema, Status

from retrospector.actions.events import EVENTS, SUBSCRIBABLE
from retrospector.actions.models import WebhookDelivery, WebhookSubscription
from retrospector.actions.webhook_selectors import (
    may_manage_webhooks,
    webhook_deliveries,
    webhook_list_for,
    webhook_or_none,
)
from retrospector.actions.webhook_services import (
    SECRET_MAX_CHARS,
    URL_MAX_CHARS,
    webhook_create,
    webhook_delete,
    webhook_redeliver,
    webhook_update,
)
from retrospector.actions.webhooks import MAX_ATTEMPTS, SIGNATURE_TOLERANCE_SECONDS
from retrospector.core.paging import rows_between

from .choices import choices_literal
from .contract import DictOut, InSchema, Omittable, responses
from .lookups import team_from_slug
from .types import Id, PageNumber, PageSize

router = Router(tags=["webhooks"])

EventName = choices_literal(SUBSCRIBABLE)
FormatName = choices_literal(WebhookSubscription.Format)
DeliveryStatus = choices_literal(WebhookDelivery.Status)
Url = Annotated[str, Field(min_length=1, max_length=URL_MAX_CHARS)]
Secret = Annotated[str, Field(max_length=SECRET_MAX_CHARS)]
WHO = (
    "Organization admins manage every webhook of the organization; a team admin, those of their teams; for anyone "
    "else the list is empty and a webhook is a 404."
)
SIGNING = (
    "A `json` webhook receives the event as compact JSON with `Retrospector-Event`, `Retrospector-Delivery` (the "
    'event\'s id) and `Retrospector-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the '
    f"secret>`: recompute it and refuse a `t` more than {SIGNATURE_TOLERANCE_SECONDS} s away. A `slack` webhook "
    "receives a Slack message (`text` and `blocks`). Failed deliveries are retried after 1 min, 5 min, 30 min, 2 h "
    f"and 6 h (or the receiver's Retry-After on a 429), and fail after {MAX_ATTEMPTS} attempts."
)


class WebhookOut(DictOut):
    id: int
    url: str
    format: FormatName
    team: str | None = Field(..., description="The team's short name (slug); null: organization-wide.")
    events: list[str] = Field(..., description="The events it hears; empty: every event.")
    active: bool = Field(..., description="false: paused, events wait until it is resumed.")
    description: str
    secret_set: bool = Field(..., description="Whether a secret signs its deliveries (the secret is never answered).")
    created_at: datetime
    created_by: str | None


class WebhookIn(InSchema):
    url: Url = Field(..., description="http:// or https:// with a host (422 on `url` otherwise); never called now.")
    format: FormatName = "json"
    events: list[EventName] = Field(
        default_factory=list, max_length=len(SUBSCRIBABLE), description="Empty: every event."
    )
    team: str | None = Field(
        None, min_length=1, description="A team's short name (slug) you administer; null: organization-wide."
    )
    secret: Secret = Field("", description="Signs JSON deliveries; empty: one is generated. Never answered back.")
    description: str = Field("", max_length=200)


class WebhookPatch(InSchema):
    """Only the fields sent change. A `secret` sent replaces the secret (empty: a new one is generated, which cannot
    be read back: send your own to know it)."""

    url: Url = Omittable()
    format: FormatName = Omittable()
    events: list[EventName] = Omittable(max_length=len(SUBSCRIBABLE))
    active: bool = Omittable()
    description: str = Omittable(max_length=200)
    secret: Secret = Omittable()


class DeliveryOut(DictOut):
    id: int
    event: str
    event_id: str = Field(..., description="Sent as Retrospector-Delivery; a redelivery keeps it.")
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    response_excerpt: str = Field(..., description="The first 1,000 characters of the last answer.")
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(DictOut):
    count: int
    page: int
    page_size: int
    pages: int
    results: list[DeliveryOut]


class WebhookPageQuery(Schema):
    page: PageNumber = Field(1, description="A page past the last answers the last.")
    page_size: PageSize = 25


def webhook_out(subscription: WebhookSubscription) -> dict:
    return {
        "id": subscription.pk,
        "url": subscription.url,
        "format": subscription.format,
        "team": subscription.team.slug if subscription.team_id else None,
        "events": list(subscription.events),
        "active": subscription.active,
        "description": subscription.description,
        "secret_set": bool(subscription.secret_encrypted),
        "created_at": subscription.created_at,
        "created_by": subscription.created_by.username if subscription.created_by_id else None,
    }


def delivery_out(delivery: WebhookDelivery) -> dict:
    return {
        "id": delivery.pk,
        "event": delivery.event,
        "event_id": str(delivery.event_id),
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "response_excerpt": delivery.response_excerpt,
        "created_at": delivery.created_at,
        "delivered_at": delivery.delivered_at,
    }


def _webhook(request, webhook_id: int) -> WebhookSubscription:
    subscription = webhook_or_none(user=request.user, pk=webhook_id)
    if subscription is None:
        raise Http404("No such webhook.")
    return subscription


def _reread(request, pk: int) -> dict:
    return webhook_out(
        webhook_list_for(request.user).select_related("created_by").get(pk=pk)  # team joined by webhook_list_for
    )


def _page(queryset, query: WebhookPageQuery, out) -> dict:
    count = queryset.count()
    pages = max(1, -(-count // query.page_size))
    page = min(query.page, pages)
    start = (page - 1) * query.page_size
    rows = rows_between(queryset, start, start + query.page_size)
    results = [out(row) for row in rows]
    return {"count": count, "page": page, "page_size": query.page_size, "pages": pages, "results": results}


@router.get(
    "/webhooks",
    response=responses(200, list[WebhookOut], errors=(422,)),
    summary="List the webhooks you manage",
    description=WHO + " Events: " + "; ".join(f"`{name}`: {meaning}" for name, meaning in EVENTS.items()),
)
def list_webhooks(request):
    return [webhook_out(s) for s in webhook_list_for(request.user).select_related("created_by")]


@router.post(
    "/webhooks",
    response=responses(201, WebhookOut, errors=(400, 413, 403, 422)),
    summary="Add a webhook",
    description="An organization-wide webhook (no `team`) is for organization admins; a team's, for its admins "
    "(403 for others). A team's webhook also hears about the team's private incidents. " + SIGNING,
)
def create_webhook(request, payload: WebhookIn):
    user = request.user
    if not may_manage_webhooks(user):
        raise PermissionDenied("Only organization admins and team admins manage webhooks.")
    team = team_from_slug(user, payload.team) if payload.team is not None else None
    subscription, _ = webhook_create(
        by=user,
        url=payload.url,
        format=payload.format,
        events=payload.events,
        team=team,
        secret=payload.secret,
        description=payload.description,
    )
    return Status(201, _reread(request, subscription.pk))


@router.get(
    "/webhooks/{webhook_id}",
    response=responses(200, WebhookOut, errors=(404, 422)),
    summary="Read a webhook",
    description=WHO,
)
def read_webhook(request, webhook_id: Id):
    return webhook_out(_webhook(request, webhook_id))


@router.patch(
    "/webhooks/{webhook_id}",
    response=responses(200, WebhookOut, errors=(400, 413, 403, 404, 422)),
    summary="Change a webhook: pause or resume it (`active`), its events, format, URL, description or secret",
    description=WHO + " Resuming sends what waited while it was paused.",
)
def update_webhook(request, webhook_id: Id, payload: WebhookPatch):
    subscription = _webhook(request, webhook_id)
    webhook_update(subscription=subscription, by=request.user, **payload.dict(exclude_unset=True))
    return _reread(request, subscription.pk)


@router.delete(
    "/webhooks/{webhook_id}",
    response=responses(204, None, errors=(403, 404, 422)),
    summary="Delete a webhook and its delivery log",
    description=WHO + " Deliveries still waiting are never sent.",
)
def delete_webhook(request, webhook_id: Id):
    webhook_delete(subscription=_webhook(request, webhook_id), by=request.user)
    return Status(204, None)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response=responses(200, DeliveryPage, errors=(404, 422)),
    summary="A webhook's delivery log, newest first",
    description=WHO,
)
def list_deliveries(request, webhook_id: Id, query: Query[WebhookPageQuery]):
    return _page(webhook_deliveries(_webhook(request, webhook_id)), query, delivery_out)


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    response=responses(201, DeliveryOut, errors=(403, 404, 422)),
    summary="Send a delivery again",
    description=WHO + " Queues a NEW delivery of the same event (same payload, same `event_id`), due now; the original "
    "stays in the log as it was. A delivery still waiting to be sent is a 422 on `delivery` (it is retried by itself).",
)
def redeliver(request, webhook_id: Id, delivery_id: Id):
    subscription = _webhook(request, webhook_id)
    delivery = subscription.deliveries.filter(pk=delivery_id).first()
    if delivery is None:
        raise Http404("No such delivery of this webhook.")
    return Status(201, delivery_out(webhook_redeliver(delivery=delivery, by=request.user)))
