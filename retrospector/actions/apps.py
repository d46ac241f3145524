from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "retrospector.actions"
    label = "actions"
    # What the actions add to a retrospective's page (writeups.page_parts); one entry a line.
    retrospective_page_parts: list[str] = [
        "retrospector.actions.findings_views.findings_page_part",
        "retrospector.actions.recommendation_views.recommendations_page_part",
        "retrospector.actions.views_tracking.finished_page_part",
    ]
    # What the actions add to a retrospective's sections in its exports (writeups.export); one entry a line.
    retrospective_export_parts: list[str] = [
        "retrospector.actions.findings.findings_export_part",
    ]
    # Run by `retrospector worker` every few minutes (core.periodic); each must be harmless to run twice.
    periodic_jobs = [
        (
            "trackers: push changes still waiting, pull the state of linked open issues",
            "retrospector.actions.trackers.sync.trackers_sync",
        ),
        ("actions: webhook deliveries due", "retrospector.actions.webhooks.deliveries_sweep"),
        ("recommendations: tell owners of overdue ones", "retrospector.actions.overdue.overdue_notices"),
    ]

    def ready(self):
        from django.db.models.signals import post_save

        from retrospector.actions.trackers import signals  # noqa: F401  (queues pushes to GitHub and Jira)
        from retrospector.writeups.models import StateChange

        post_save.connect(_tell_webhooks, sender=StateChange, dispatch_uid="actions.webhooks")


def _tell_webhooks(sender, instance, created, raw=False, **kwargs):
    """Every state change of a retrospective (whichever path recorded it) is an event for the webhook subscribers."""
    if created and not raw:
        from .retrospective_events import retrospective_events_emit

        retrospective_events_emit(instance)
