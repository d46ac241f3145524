from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "retrospector.notifications"
    label = "notifications"
    # Run by `retrospector worker` every few minutes (core.periodic); each must be harmless to run twice.
    periodic_jobs = [
        (
            "notifications: send e-mails left pending, fail stuck ones",
            "retrospector.notifications.delivery.emails_sweep",
        ),
    ]
