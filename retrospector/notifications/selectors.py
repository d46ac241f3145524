"""Reads of notifications: a person's own only."""

from __future__ import annotations

from django.db.models import F, QuerySet
from django.http import Http404

from retrospector.accounts.models import User
from retrospector.incidents.selectors import incidents_visible_to
from retrospector.notifications.models import Notification
from retrospector.writeups.models import Retrospective


def may_see(user: User, retrospective: Retrospective | None) -> bool:
    if retrospective is None:
        return True
    if not user.is_active:
        return False
    return incidents_visible_to(user).filter(pk=retrospective.incident_id).exists()


def notifications_of(user: User, *, unread: bool = False) -> QuerySet[Notification]:
    """The notifications `user` sees in the app, unread first, then newest first; with `unread`, only those."""
    rows = Notification.objects.filter(recipient_id=user.pk, shown_in_app=True)
    if unread:
        rows = rows.filter(read_at__isnull=True)
    return rows.select_related("actor", "retrospective").order_by(
        F("read_at").asc(nulls_first=True), "-created_at", "-id"
    )


def unread_count(user: User) -> int:
    """One indexed COUNT: the bell's number."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True, shown_in_app=True).count()


def notification_of_or_404(*, user: User, pk: int) -> Notification:
    """One of `user`'s own notifications shown in the app; anyone else's is "not found", like one that does not
    exist."""
    notification = Notification.objects.filter(pk=pk, recipient_id=user.pk, shown_in_app=True).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification


def safe_local_path(url: str) -> str:
    """`url` when it is a path of this site ("/retrospectives/4/"), else the list of notifications: never a redirect to
    another site ("//evil.example", "https://...", "/\\evil")."""
    if url.startswith("/") and not url.startswith("//") and "\\" not in url and not any(c < " " for c in url):
        return url
    return "/notifications/"
