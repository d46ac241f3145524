"""Insights, cached: each reader's table for a set of filters is kept in the "insights" cache (settings.CACHES: in the
database, so every server process and the worker share it; in memory in the test suite), stored with the data
version it was computed under. Every save or delete of what an insight reads (incidents, retrospectives,
recommendations, findings, review deadlines, survey answers, memberships, and the names shown: teams, services,
severities, priority targets, and a person's admin flag) moves the version on when it commits, so a table of an older
version is never served: the next read computes afresh.

The version is read with the tables in one query (get_many), and a table is stored with the version read before it
was computed: a change that commits meanwhile moves the version on, so what was computed cannot be served as current.

Readers who open the default view (the last 12 months, no filter) are remembered; once the data changed, the worker
(insights_refresh, a task queued when a change commits, and a periodic job for the day's change) computes their
default view, so the next page is served from the cache instead of waiting for the figures. Filtered views are
computed on demand and cached the same way.

Entries are per reader (the key holds the user's id, never shared between people who may see different incidents)
and per day (the key holds it: figures that depend on today, overdue, are recomputed daily). A bulk update sends no
signal: the review deadlines marked done in bulk send reviews.process.deadlines_changed; other bulk updates of these
models happen in a transaction that also saves one of them (a merge of recommendations, a severity's new rank)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django_tasks import task

from retrospector.accounts.models import User
from retrospector.actions.selectors import today_utc
from retrospector.insights.metrics import INSIGHTS, InsightFilters, Table, default_range

CACHE = "insights"
VERSION_KEY = "insights:data-version"
READERS_KEY = "insights:readers"  # {user id: the last day (ISO) they computed their default view}
READERS_KEPT_DAYS = 14
REFRESH_MAX_READERS = 200


def _cache():
    return caches[CACHE]


def shared() -> bool:
    """Whether the cache is one for every process (the database's): only then is the worker's refresh read by pages."""
    return _cache().__class__.__name__ == "DatabaseCache"


def data_version() -> str:
    version = _cache().get(VERSION_KEY)
    return version if version is not None else _version_start()


def _version_start() -> str:
    _cache().add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    return _cache().get(VERSION_KEY)


def data_version_bump() -> None:
    """A new version (a random token, not an increment: two processes bumping at once cannot land on the same one)."""
    _cache().set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def _key(user: User, name: str, filters: InsightFilters) -> str:
    return f"insights:{today_utc()}:u{user.pk}:{name}:{filters.key()}"


def insight_tables(*, user: User, names: list[str], filters: InsightFilters) -> dict[str, Table]:
    """The insights `names` (keys of metrics.INSIGHTS) as `user` may see them: those of the current data version from
    the cache (one query with the version), the others computed and stored."""
    cache = _cache()
    keys = {name: _key(user, name, filters) for name in names}
    found = cache.get_many([VERSION_KEY, *keys.values()])
    version = found.get(VERSION_KEY) or _version_start()
    tables, computed = {}, {}
    for name in names:
        entry = found.get(keys[name])
        if entry is not None and entry[0] == version:
            tables[name] = entry[1]
        else:
            tables[name] = computed[keys[name]] = INSIGHTS[name][2](user, filters)
    if computed:
        cache.set_many({key: (version, table) for key, table in computed.items()})
        if filters == InsightFilters(*default_range()):
            _remember_reader(user)
    return tables


def insight_table(*, user: User, name: str, filters: InsightFilters) -> Table:
    """The insight `name` as `user` may see it, from the cache when nothing changed."""
    return insight_tables(user=user, names=[name], filters=filters)[name]


def _remember_reader(user: User) -> None:
    """Note that `user` reads the default view today (once a day each), for the worker's refresh."""
    if not shared():
        return
    cache, today = _cache(), today_utc()
    readers = cache.get(READERS_KEY) or {}
    if readers.get(user.pk) == today.isoformat():
        return
    oldest = (today - dt.timedelta(days=READERS_KEPT_DAYS)).isoformat()
    readers = {pk: day for pk, day in readers.items() if day >= oldest}
    readers[user.pk] = today.isoformat()
    cache.set(READERS_KEY, readers, timeout=None)


def insights_refresh() -> dict:
    """The worker's job: compute the default view of every reader who opened it lately and whose tables are not of
    the current version (nothing when they are). Harmless to run twice."""
    if not shared():
        return {"readers": 0, "note": "the insights cache is per process: nothing to share"}
    readers = _cache().get(READERS_KEY) or {}
    oldest = (today_utc() - dt.timedelta(days=READERS_KEPT_DAYS)).isoformat()
    recent = sorted((day, pk) for pk, day in readers.items() if day >= oldest)[-REFRESH_MAX_READERS:]
    users = User.objects.filter(pk__in=[pk for _, pk in recent], is_active=True).order_by("pk")
    filters = InsightFilters(*default_range())
    count = 0
    for user in users:
        insight_tables(user=user, names=list(INSIGHTS), filters=filters)
        count += 1
    return {"readers": count}


@task()
def refresh_insights() -> dict:
    """The worker's task, queued when a change commits: insights_refresh."""
    return insights_refresh()


def refresh_queue() -> bool:
    """Queue the worker's refresh unless one is already waiting; returns whether it queued one."""
    from django_tasks_db.models import DBTaskResult

    if DBTaskResult.objects.filter(task_path=refresh_insights.module_path, status="READY").exists():
        return False
    refresh_insights.enqueue()
    return True


def _after_change() -> None:
    data_version_bump()
    if shared():
        refresh_queue()


def _changed(sender, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    if sender is User and update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a log-in changes no figure
    transaction.on_commit(_after_change)


def connect() -> None:
    from retrospector.accounts.models import Membership, Team
    from retrospector.actions.models import ActionSettings, Finding, Recommendation, RecommendationLink
    from retrospector.incidents.models import Incident, Service, SeverityLevel
    from retrospector.reviews.models import Deadline, SurveyResponse
    from retrospector.reviews.process import deadlines_changed
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
        # What the tables show by name, what decides a share, and who sees everything.
        Team,
        Service,
        SeverityLevel,
        ActionSettings,
        User,
    ]
    for model in models:
        name = model._meta.label_lower
        post_save.connect(_changed, sender=model, dispatch_uid=f"insights-version-save-{name}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"insights-version-delete-{name}")
    deadlines_changed.connect(_changed, dispatch_uid="insights-version-deadlines")
    for through in (Incident.services.through, Incident.invitees.through):
        m2m_changed.connect(_changed, sender=through, dispatch_uid=f"insights-version-m2m-{through._meta.label_lower}")
