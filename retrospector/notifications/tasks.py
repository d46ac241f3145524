"""The worker's side of notifications: e-mail delivery (notifications.delivery.emails_deliver), queued by `notify`
once its notifications are committed, and swept by a periodic job (apps.py) in case a queued task was lost."""

from __future__ import annotations

from django_tasks import task

from retrospector.notifications.delivery import emails_deliver


@task()
def deliver_pending() -> dict:
    """Send the e-mails of pending notifications, at most once each (see emails_deliver)."""
    return emails_deliver()
