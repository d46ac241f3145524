"""The worker's side of the actions app: webhook deliveries and the trackers' sync."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django_tasks import task


@task()
def deliver_webhooks() -> dict:
    """Send every webhook delivery that is due (actions.webhooks.deliveries_send), then queue the next run for the
    earliest retry due soon (later ones are sent by the periodic sweep)."""
    from retrospector.actions.webhooks import deliveries_send

    done = deliveries_send()
    when = done.pop("next_due")
    done["next_run_queued"] = deliver_webhooks_queue(when) if when is not None else False
    return done


def deliver_webhooks_queue(when: datetime) -> bool:
    """Queue a run of deliver_webhooks for `when` (or now, if that has passed), unless one already waits to run by
    then; returns whether it queued one. Keeps a single chain of runs however many events woke the worker."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    when = max(when, timezone.now())
    waiting = DBTaskResult.objects.filter(task_path=deliver_webhooks.module_path, status="READY").filter(
        Q(run_after__lte=when) | Q(run_after=get_date_max())
    )
    if waiting.exists():
        return False
    deliver_webhooks.using(run_after=when).enqueue()
    return True
