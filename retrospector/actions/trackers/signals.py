"""A recommendation saved with a change of ours waiting for its issue: the worker pushes it once the transaction is
committed (actions.services.recommendation_update sets the flag; this queues the push)."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from retrospector.actions.models import Recommendation

from .tasks import push_soon


@receiver(post_save, sender=Recommendation, dispatch_uid="actions.trackers.push_on_commit")
def _push_on_commit(sender, instance: Recommendation, update_fields=None, **kwargs) -> None:
    if not (instance.tracker_id and instance.tracker_push_pending):
        return
    if update_fields is not None and "tracker_push_pending" not in update_fields:
        return
    transaction.on_commit(partial(push_soon, instance.pk))
