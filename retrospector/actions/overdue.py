"""Owners hear once when a recommendation they own passes its commitment date (a periodic job of the worker)."""

from __future__ import annotations

from retrospector.actions.models import Recommendation
from retrospector.actions.selectors import overdue_q, recommendations_visible_to, today_utc
from retrospector.notifications.models import Kind, Notification
from retrospector.notifications.services import Notice, notify_each

BATCH = 2_000


def overdue_notices() -> int:
    """Tell each owner of an open recommendation past its commitment date, once per date (a moved date that passes
    again is told again: the key names the date). Only owners who may still see it. Returns how many were told."""
    day = today_utc()
    overdue = list(
        Recommendation.objects.filter(
            overdue_q(day),
            owner__isnull=False,
            owner__is_active=True,
            merged_into__isnull=True,
        )
        .select_related("owner")
        .order_by("owner_id", "commitment_date", "pk")[:BATCH]
    )
    by_owner: dict[int, list[Recommendation]] = {}
    for r in overdue:
        by_owner.setdefault(r.owner_id, []).append(r)
    visible: dict[int, set[int]] = {
        owner_id: set(
            recommendations_visible_to(rows[0].owner).filter(pk__in=[r.pk for r in rows]).values_list("pk", flat=True)
        )
        for owner_id, rows in by_owner.items()
    }
    keys = {r.pk: f"recommendation:{r.pk}:overdue:{r.commitment_date.isoformat()}" for r in overdue}
    told = set(Notification.objects.filter(key__in=keys.values()).values_list("recipient_id", "key"))
    notices = [
        Notice(
            recipient=r.owner,
            key=keys[r.pk],
            title=f"Overdue since {r.commitment_date.isoformat()}: {r.title}",
            body="Mark it done, or move its commitment date with the reason (the reason shows on every retrospective "
            "that calls for it).",
            url=f"/recommendations/{r.pk}/",
        )
        for r in overdue
        if r.pk in visible[r.owner_id] and (r.owner_id, keys[r.pk]) not in told
    ]
    return notify_each(kind=Kind.RECOMMENDATION, notices=notices)
