"""One's own notifications: list (unread first), mark read, and the choices of what reaches one in the app and by
e-mail. Another person's notification answers 404, like one that does not exist."""

from datetime import datetime

from ninja import Field, Query, Router, Schema

from retrospector.core.paging import rows_between
from retrospector.notifications.models import Kind, Notification
from retrospector.notifications.selectors import notification_of_or_404, notifications_of, unread_count
from retrospector.notifications.services import (
    notification_open,
    notifications_mark_all_read,
    preferences_of,
    preferences_save,
)

from .choices import choices_literal
from .contract import InSchema, responses
from .types import Id, PageNumber, PageSize

router = Router(tags=["notifications"])

NotificationKind = choices_literal(Kind)
EmailState = choices_literal(Notification.Email)


class NotificationOut(Schema):
    id: int
    kind: NotificationKind
    title: str
    body: str = Field(..., description="Plain text.")
    url: str = Field(..., description="A path inside the app, where the notification leads; may be empty.")
    actor: str | None = Field(..., description="The username of who caused it; null for the daily reminder.")
    retrospective_id: int | None
    created_at: datetime
    read_at: datetime | None
    email: EmailState = Field(..., description="Whether it was e-mailed: pending, sending, sent, skipped, failed.")


class NotificationPage(Schema):
    count: int
    unread_count: int = Field(..., description="Your unread notifications, whatever the filter.")
    page: int
    page_size: int
    pages: int
    results: list[NotificationOut]


class NotificationFilters(Schema):
    unread: bool = Field(False, description="Only the unread ones.")
    page: PageNumber = Field(1, description="A page past the last answers the last.")
    page_size: PageSize = 25


class ReadAllOut(Schema):
    marked: int = Field(..., description="How many were unread and are now read.")
    unread_count: int


class PreferenceOut(Schema):
    kind: NotificationKind
    label: str
    in_app: bool
    by_email: bool


class PreferenceIn(InSchema):
    kind: NotificationKind
    in_app: bool
    by_email: bool


class PreferencesIn(InSchema):
    preferences: list[PreferenceIn] = Field(
        ..., max_length=len(Kind.values) * 2, description="The kinds to change; those left out keep their choice."
    )


def notification_out(notification: Notification) -> dict:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "actor": notification.actor.username if notification.actor else None,
        "retrospective_id": notification.retrospective_id,
        "created_at": notification.created_at,
        "read_at": notification.read_at,
        "email": notification.email,
    }


@router.get(
    "/notifications",
    response=responses(200, NotificationPage, errors=(422,)),
    summary="List your notifications (unread first, then newest)",
)
def list_notifications(request, filters: Query[NotificationFilters]):
    rows = notifications_of(request.user, unread=filters.unread)
    count = rows.count()
    pages = max(1, -(-count // filters.page_size))
    page = min(filters.page, pages)
    start = (page - 1) * filters.page_size
    return {
        "count": count,
        "unread_count": count if filters.unread else unread_count(request.user),
        "page": page,
        "page_size": filters.page_size,
        "pages": pages,
        "results": [notification_out(n) for n in rows_between(rows, start, start + filters.page_size)],
    }


@router.post(
    "/notifications/read-all",
    response=responses(200, ReadAllOut, errors=(403,)),
    summary="Mark all your notifications read",
)
def read_all_notifications(request):
    return {"marked": notifications_mark_all_read(by=request.user), "unread_count": 0}


@router.post(
    "/notifications/{notification_id}/read",
    response=responses(200, NotificationOut, errors=(403, 404, 422)),
    summary="Mark one of your notifications read",
)
def read_notification(request, notification_id: Id):
    notification = notification_of_or_404(user=request.user, pk=notification_id)
    notification_open(notification=notification, by=request.user)
    return notification_out(Notification.objects.select_related("actor").get(pk=notification.pk))


@router.get(
    "/notifications/preferences",
    response=responses(200, list[PreferenceOut]),
    summary="Which kinds of notification reach you in the app and by e-mail",
)
def get_notification_preferences(request):
    return preferences_of(request.user)


@router.put(
    "/notifications/preferences",
    response=responses(200, list[PreferenceOut], errors=(400, 403, 413, 422)),
    summary="Choose which kinds reach you in the app and by e-mail",
)
def put_notification_preferences(request, payload: PreferencesIn):
    choices = {p.kind: {"in_app": p.in_app, "by_email": p.by_email} for p in payload.preferences}
    return preferences_save(user=request.user, choices=choices)
