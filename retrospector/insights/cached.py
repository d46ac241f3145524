"""Insights, cached: each reader's table for a set of filters is kept in Django's cache (settings.CACHES; the default
is per process) under a data version that every save or delete of an incident, retrospective, recommendation, finding,
review deadline, survey answer or team membership moves on, so the next read computes afresh. Two limits, stated
plainly: a change made in another process (or by a bulk update, which sends no signal) is seen once the entry expires
(TTL_SECONDS), and the key holds the day, so figures that depend on today (overdue) are recomputed daily."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from retrospector.accounts.models import User
from retrospector.actions.selectors import today_utc
from retrospector.insights.metrics import INSIGHTS, InsightFilters, Table

TTL_SECONDS = 300
VERSION_KEY = "insights:data-version"


def data_version() -> int:
    return cache.get_or_set(VERSION_KEY, 1, timeout=None)


def data_version_bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet (or evicted): any new value differs from the keys in use
        cache.set(VERSION_KEY, 2, timeout=None)


def insight_table(*, user: User, name: str, filters: InsightFilters) -> Table:
    """The insight `name` (a key of metrics.INSIGHTS) as `user` may see it, from the cache when nothing changed."""
    compute = INSIGHTS[name][2]
    key = f"insights:v{data_version()}:{today_utc()}:u{user.pk}:{name}:{filters.key()}"
    table = cache.get(key)
    if table is None:
        table = compute(user, filters)
        cache.set(key, table, timeout=TTL_SECONDS)
    return table


def _changed(sender, raw=False, **kwargs):
    if not raw:
        transaction.on_commit(data_version_bump)


def connect() -> None:
    from retrospector.accounts.models import Membership
    from retrospector.actions.models import Finding, Recommendation, RecommendationLink
    from retrospector.incidents.models import Incident
    from retrospector.reviews.models import Deadline, SurveyResponse
    from retrospector.writeups.models import Retrospective, StateChange

    models = [
        Incident,
        Retrospective,
        StateChange,
        Recommendation,
        RecommendationLink,
        Finding,
        Deadline,
        SurveyResponse,
        Membership,
    ]
    for model in models:
        name = model._meta.label_lower
        post_save.connect(_changed, sender=model, dispatch_uid=f"insights-version-save-{name}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"insights-version-delete-{name}")
    for through in (Incident.services.through, Incident.invitees.through):
        m2m_changed.connect(_changed, sender=through, dispatch_uid=f"insights-version-m2m-{through._meta.label_lower}")
