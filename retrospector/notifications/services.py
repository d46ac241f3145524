"""Every notification is created here, by `notify`. E-mail goes out later, from the worker (notifications.tasks)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from retrospector.accounts.models import User
from retrospector.notifications.models import DigestSubscription, Kind, Notification, Preference
from retrospector.notifications.selectors import may_see, safe_local_path
from retrospector.writeups.models import Retrospective


@dataclass(frozen=True)
class Notified:
    """Who got the notification, and who was left out because they may not see the retrospective's incident."""

    sent_to: list[User]
    not_allowed: list[User]


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
    attachments: list[dict] | None = None,
) -> Notified:
    """Tell each recipient (except the actor, who knows) about one event.

    `key` names the event ("thread:12:comment:40"): a person gets at most one notification per key, so announcing the
    same event twice, from two requests or two workers, notifies nobody twice. People who may not see the
    retrospective's incident get nothing and are returned in `not_allowed`. Each person's preferences for `kind`
    decide whether it shows in the app and whether it is e-mailed; the e-mail is sent by the worker after the commit.
    `attachments` ([{"filename", "content_type", "content": text}], e.g. a meeting's .ics) go with each e-mail.
    """
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    people = {user.pk: user for user in recipients if user is not None and (actor is None or user.pk != actor.pk)}
    allowed = [user for user in people.values() if may_see(user, retrospective)]
    not_allowed = [user for user in people.values() if user not in allowed]
    if not allowed:
        return Notified(sent_to=[], not_allowed=not_allowed)
    files = [
        {"filename": str(f["filename"]), "content_type": str(f["content_type"]), "content": str(f["content"])}
        for f in attachments or ()
    ]
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
                attachments=files,
                shown_in_app=in_app,
                email=Notification.Email.PENDING if by_email else Notification.Email.SKIPPED,
            )
        )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    transaction.on_commit(_deliver_soon)
    return Notified(sent_to=allowed, not_allowed=not_allowed)


@dataclass(frozen=True)
class Notice:
    """One notification of `notify_each`: its own recipient, key and text."""

    recipient: User
    key: str
    title: str
    body: str = ""
    url: str = ""


def notify_each(*, kind: str, notices: Iterable[Notice]) -> int:
    """Many notifications of one kind, each to its own person (the daily reminders), in a constant number of queries:
    one for the preferences, one insert. Not tied to a retrospective: the caller lists only what each person may see.
    Keys already used for a person are skipped, as with `notify`. Returns how many notices were given."""
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    notices = [n for n in notices if n.recipient.is_active]
    if not notices:
        return 0
    chosen = {p.user_id: p for p in Preference.objects.filter(user_id__in={n.recipient.pk for n in notices}, kind=kind)}
    rows = []
    for notice in notices:
        preference = chosen.get(notice.recipient.pk)
        by_email = (preference.by_email if preference else True) and bool(notice.recipient.email)
        rows.append(
            Notification(
                recipient=notice.recipient,
                kind=kind,
                key=notice.key[:200],
                title=notice.title[:300],
                body=notice.body,
                url=notice.url[:500],
                shown_in_app=preference.in_app if preference else True,
                email=Notification.Email.PENDING if by_email else Notification.Email.SKIPPED,
            )
        )
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    transaction.on_commit(_deliver_soon)
    return len(rows)


def _deliver_soon() -> None:
    """Queue the e-mail delivery task (notifications.tasks) once the notifications are committed."""
    try:
        from retrospector.notifications.tasks import deliver_pending
    except ImportError:  # the delivery task is not written yet
        return
    deliver_pending.enqueue()


# --- Reading ------------------------------------------------------------------------------------------------------


def notification_open(*, notification: Notification, by: User) -> str:
    """Mark one of `by`'s notifications read (the first opening counts) and return where it leads: a path inside the
    app, never another site."""
    if notification.recipient_id != by.pk:
        raise ValueError("a notification is opened by its recipient only")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return safe_local_path(notification.url)


def notifications_mark_all_read(*, by: User) -> int:
    """Mark every unread notification of `by` read; returns how many were."""
    return Notification.objects.filter(recipient=by, read_at__isnull=True).update(read_at=timezone.now())


def preferences_of(user: User) -> list[dict]:
    """Every kind with the person's choice: in the app, by e-mail (both on without a row)."""
    chosen = {p.kind: p for p in Preference.objects.filter(user=user)}
    return [
        {
            "kind": kind.value,
            "label": kind.label,
            "in_app": chosen[kind.value].in_app if kind.value in chosen else True,
            "by_email": chosen[kind.value].by_email if kind.value in chosen else True,
        }
        for kind in Kind
    ]


def preferences_save(*, user: User, choices: dict[str, dict[str, bool]]) -> list[dict]:
    """Save the person's choices, {kind: {"in_app": bool, "by_email": bool}}; kinds left out keep theirs. An unknown
    kind is a ValidationError naming it."""
    unknown = sorted(set(choices) - set(Kind.values))
    if unknown:
        raise ValidationError({"kind": f"Unknown kind of notification: {unknown[0]!r}."})
    with transaction.atomic():
        for kind, choice in choices.items():
            Preference.objects.update_or_create(
                user=user,
                kind=kind,
                defaults={"in_app": bool(choice.get("in_app", True)), "by_email": bool(choice.get("by_email", True))},
            )
    return preferences_of(user)


def digest_wanted(user: User) -> bool:
    """Whether the person asked for the weekly digest e-mail (off unless they did)."""
    return DigestSubscription.objects.filter(user=user).exists()


def digest_choose(*, user: User, wanted: bool) -> bool:
    """Ask for the weekly digest e-mail, or stop it; harmless to repeat. Returns the choice."""
    if wanted:
        DigestSubscription.objects.get_or_create(user=user)
    else:
        DigestSubscription.objects.filter(user=user).delete()
    return wanted
