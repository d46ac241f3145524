"""The worker's side of the actions app: webhook deliveries and the trackers' sync."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_webhooks() -> dict:
    """Send every webhook delivery that is due (actions.webhooks.deliveries_send)."""
    from retrospector.actions.webhooks import deliveries_send

    return deliveries_send()
