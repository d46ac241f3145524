from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "retrospector.actions"
    label = "actions"
    # Run by `retrospector worker` every few minutes (core.periodic); each must be harmless to run twice.
    periodic_jobs = [
        ("actions: webhook deliveries due", "retrospector.actions.webhooks.deliveries_sweep"),
    ]

    def ready(self):
        from django.db.models.signals import post_save

        from retrospector.writeups.models import StateChange

        post_save.connect(_tell_webhooks, sender=StateChange, dispatch_uid="actions.webhooks")


def _tell_webhooks(sender, instance, created, raw=False, **kwargs):
    """Every state change of a retrospective (whichever path recorded it) is an event for the webhook subscribers."""
    if created and not raw:
        from .retrospective_events import retrospective_events_emit

        retrospective_events_emit(instance)
