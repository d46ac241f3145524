"""E-mail delivery of notifications, by the worker: the task (notifications.tasks) and the periodic sweep."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from retrospector.notifications.models import Notification
from retrospector.notifications.selectors import may_see, safe_local_path

logger = logging.getLogger(__name__)
Email = Notification.Email
DELIVERY_BATCH = 200
STUCK_AFTER = timedelta(hours=1)  # a mail still "being sent" this long after it was claimed: its worker is gone
GIVE_UP_AFTER = timedelta(days=1)  # a mail the server would not take for a day is not worth sending any more


def absolute_url(path: str) -> str:
    return settings.SITE_URL + safe_local_path(path)


def email_message(notification: Notification, *, connection=None) -> EmailMessage:
    """The plain-text e-mail of one notification: its title, who, its text and the link to open; and the files it
    carries (a meeting's invitation)."""
    lines = [notification.title, ""]
    if notification.actor_id:
        lines += [f"By {notification.actor.display_name}.", ""]
    if notification.body:
        lines += [notification.body.strip(), ""]
    if notification.url:
        lines += [f"Open it: {absolute_url(notification.url)}", ""]
    lines += [
        "-- ",
        "Retrospector. Choose which notifications reach you by e-mail: " + absolute_url("/me/notifications/"),
    ]
    subject = " ".join(notification.title.split())[:200]
    message = EmailMessage(
        subject=subject,
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        connection=connection,
        headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
    )
    for attachment in notification.attachments or ():
        message.attach(attachment["filename"], attachment["content"], attachment["content_type"])
    return message


def emails_deliver(*, limit: int = DELIVERY_BATCH) -> dict:
    """Send the e-mails waiting to be sent, oldest first, at most once each.

    Each one is claimed with a conditional UPDATE (pending -> sending) before it is sent, so that two workers (or this
    task run twice) never mail the same notification twice: the one whose UPDATE changed no row leaves it. After the
    send it is sent, or failed with the error; a failed one is never sent again (it may have reached the server).
    When the mail server cannot be reached at all nothing is claimed: the mails stay pending for the next run."""
    ids = list(
        Notification.objects.filter(email=Email.PENDING)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    done = {"sent": 0, "failed": 0, "skipped": 0, "taken": 0}
    if not ids:
        return done
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("mail server unreachable, %s e-mails wait: %s", len(ids), exc)
        return {**done, "waiting": len(ids), "error": f"{type(exc).__name__}: {exc}"}
    try:
        for pk in ids:
            claimed = Notification.objects.filter(pk=pk, email=Email.PENDING).update(
                email=Email.SENDING, email_claimed_at=timezone.now()
            )
            if not claimed:  # another worker took it meanwhile
                done["taken"] += 1
                continue
            notification = Notification.objects.select_related("recipient", "actor", "retrospective").get(pk=pk)
            recipient = notification.recipient
            if not recipient.is_active or not recipient.email or not may_see(recipient, notification.retrospective):
                _email_end(pk, Email.SKIPPED)
                done["skipped"] += 1
                continue
            try:
                email_message(notification, connection=connection).send()
            except Exception as exc:  # the server refused it, or went away: not sent again, at most once
                _email_end(pk, Email.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
                done["failed"] += 1
            else:
                _email_end(pk, Email.SENT, emailed_at=timezone.now())
                done["sent"] += 1
    finally:
        try:
            connection.close()
        except Exception:  # a server that went away cannot be said goodbye to
            pass
    return done


def _email_end(pk: int, state: str, *, error: str = "", emailed_at: datetime | None = None) -> None:
    Notification.objects.filter(pk=pk, email=Email.SENDING).update(
        email=state, email_error=error, emailed_at=emailed_at
    )


def emails_sweep(*, now: datetime | None = None) -> dict:
    """The periodic job (core.periodic): send what is still pending (its task was lost, or the server was down), fail
    what a worker claimed over STUCK_AFTER ago and never finished (not sent again: it may have gone out), and give up
    on what stayed pending over GIVE_UP_AFTER."""
    now = now or timezone.now()
    stuck = Notification.objects.filter(email=Email.SENDING, email_claimed_at__lt=now - STUCK_AFTER).update(
        email=Email.FAILED,
        email_error="The worker stopped while sending it; not sent again, so that nobody gets it twice.",
    )
    expired = Notification.objects.filter(email=Email.PENDING, created_at__lt=now - GIVE_UP_AFTER).update(
        email=Email.FAILED, email_error="The mail server did not take it within a day; given up."
    )
    return {"stuck": stuck, "given_up": expired, **emails_deliver()}
