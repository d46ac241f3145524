"""Outgoing events: what happened, told to the organization's webhook subscribers (signed JSON, or a Slack message).

`event_emit` is called by the services inside their transaction; it writes one WebhookDelivery per subscriber that
wants the event and may know about it, and the worker sends them once the transaction is committed (actions.webhooks).
Events about a private incident reach only subscriptions of that incident's team.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from retrospector.actions.models import WebhookDelivery, WebhookSubscription

# Every event the product sends, with what it means (shown on the webhook page and in the API's help).
EVENTS = {
    "retrospective.state_changed": "A retrospective moved from one state to another.",
    "retrospective.approved": "A retrospective received its final approval and joined the done list.",
    "recommendation.created": "A recommendation was created.",
    "recommendation.changed": "A recommendation changed: status, owner, date, priority, text or link.",
    "ping": "A test event, sent by hand to one subscription (“Send a test event”); not subscribed to.",
}
# The events a subscription chooses among (a ping goes to the one subscription it is sent to, whatever it chose).
SUBSCRIBABLE = {name: meaning for name, meaning in EVENTS.items() if name != "ping"}


def event_emit(*, name: str, organization_id: int, team_id: int | None, private: bool, data: dict) -> int:
    """Queue `name` with `data` for each active subscriber that wants it; returns how many deliveries were queued.

    `private` means the event concerns an incident only its team may see: then only subscriptions of `team_id` hear
    it. Deliveries are sent by the worker after the caller's transaction commits."""
    assert name in EVENTS, name
    subscribers = WebhookSubscription.objects.filter(organization_id=organization_id, active=True)
    if private:
        subscribers = subscribers.filter(team_id=team_id)
    else:
        subscribers = subscribers.filter(Q(team__isnull=True) | Q(team_id=team_id))
    now = timezone.now()
    deliveries = [
        WebhookDelivery(
            subscription=subscription,
            event=name,
            payload={"event": name, "occurred_at": now.isoformat(), "data": data},
            next_attempt_at=now,
        )
        for subscription in subscribers.only("pk", "events")
        if not subscription.events or name in subscription.events
    ]
    if not deliveries:
        return 0
    WebhookDelivery.objects.bulk_create(deliveries)
    transaction.on_commit(wake_the_worker)
    return len(deliveries)


def wake_the_worker() -> None:
    from retrospector.actions.tasks import deliver_webhooks

    deliver_webhooks.enqueue()
