"""Every notification is created here, by `notify`. E-mail goes out later, from the worker (notifications.tasks)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from retrospector.accounts.models import User
from retrospector.incidents.selectors import incidents_visible_to
from retrospector.notifications.models import Kind, Notification, Preference
from retrospector.writeups.models import Retrospective


@dataclass(frozen=True)
class Notified:
    """Who got the notification, and who was left out because they may not see the retrospective's incident."""

    sent_to: list[User]
    not_allowed: list[User]


def may_see(user: User, retrospective: Retrospective | None) -> bool:
    if retrospective is None:
        return True
    if not user.is_active:
        return False
    return incidents_visible_to(user).filter(pk=retrospective.incident_id).exists()


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    key: str,
    title: str,
    url: str = "",
    retrospective: Retrospective | None = None,
    actor: User | None = None,
    body: str = "",
) -> Notified:
    """Tell each recipient (except the actor, who knows) about one event.

    `key` names the event ("thread:12:comment:40"): a person gets at most one notification per key, so announcing the
    same event twice, from two requests or two workers, notifies nobody twice. People who may not see the
    retrospective's incident get nothing and are returned in `not_allowed`. Each person's preferences for `kind`
    decide whether it shows in the app and whether it is e-mailed; the e-mail is sent by the worker after the commit.
    """
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    people = {user.pk: user for user in recipients if user is not None and (actor is None or user.pk != actor.pk)}
    allowed = [user for user in people.values() if may_see(user, retrospective)]
    not_allowed = [user for user in people.values() if user not in allowed]
    if not allowed:
        return Notified(sent_to=[], not_allowed=not_allowed)
    chosen = {
        preference.user_id: preference
        for preference in Preference.objects.filter(user_id__in=[u.pk for u in allowed], kind=kind)
    }
    rows = []
    for user in allowed:
        preference = chosen.get(user.pk)
        in_app = preference.in_app if preference else True
        by_email = (preference.by_email if preference else True) and bool(user.email)
        rows.append(
            Notification(
                recipient=user,
                kind=kind,
                key=key[:200],
                actor=actor,
                retrospective=retrospective,
                title=title[:300],
                body=body,
                url=url[:500],
                shown_in_app=in_app,
                email=Notification.Email.PENDING if by_email else Notification.Email.SKIPPED,
            )
        )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    transaction.on_commit(_deliver_soon)
    return Notified(sent_to=allowed, not_allowed=not_allowed)


def _deliver_soon() -> None:
    """Queue the e-mail delivery task (notifications.tasks) once the notifications are committed."""
    try:
        from retrospector.notifications.tasks import deliver_pending
    except ImportError:  # the delivery task is not written yet
        return
    deliver_pending.enqueue()
