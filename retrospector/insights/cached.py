"""Insights, cached: each reader's table for a set of filters is kept in the "insights" cache (settings.CACHES: in the
database, so every server process and the worker share it; in memory in the test suite), stored with the data
version it was computed under. Every save or delete of what an insight reads (incidents, retrospectives,
recommendations, findings, review deadlines, survey answers, memberships, and the names shown: teams, services,
severities, priority targets, and a person's admin flag) moves the version on when it commits, so a table of an older
version is never served: the next read computes afresh.

The version is read with the reader's scope in one query, the tables in a second (get_many), and a table is stored
with the version read before it was computed: a change that commits meanwhile moves the version on, so what was
computed cannot be served as current. The cost: after each committed transaction that changed any of these, once
however many rows it saved, a write of the version and a look at the task queue (a few queries).

Readers who open the default view (the last 12 months, no filter) are remembered; once the data changed, the worker
(insights_refresh, a task queued when a change commits, and a periodic job for the day's change) computes their
default view, so the next page is served from the cache instead of waiting for the figures. Filtered views are
computed on demand and cached the same way.

Entries are per visibility scope (visibility_scope: the organization, admin or not, the teams, and the person when they
were invited to an incident), so people who see the same incidents share them and people who do not never do; and per
day (the key holds it: figures that depend on today, overdue, are recomputed daily). A bulk update sends no
signal: the review deadlines marked done in bulk send reviews.process.deadlines_changed; other bulk updates of these
models happen in a transaction that also saves one of them (a merge of recommendations, a severity's new rank)."""

from __future__ import annotations

import datetime as dt
import hashlib
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


def visibility_scope(user: User) -> str:
    """What decides which incidents and recommendations `user` sees (incidents_visible_to, recommendations_visible_to):
    their organization, whether they are its admin, their teams (every role sees its teams' private incidents) and,
    only when they were invited to an incident, themselves. People with the same scope see the same figures, so they
    share cached tables; a hash, to keep keys short."""
    from retrospector.accounts.models import Role
    from retrospector.accounts.selectors import team_ids_with_role
    from retrospector.incidents.models import Incident

    if user.organization_id is None:
        scope = f"user {user.pk}"
    elif user.is_org_admin:
        scope = f"org {user.organization_id} admin"
    else:
        teams = ",".join(str(pk) for pk in sorted(team_ids_with_role(user, Role.VIEWER)))
        scope = f"org {user.organization_id} teams {teams}"
        if Incident.invitees.through.objects.filter(user_id=user.pk).exists():
            scope += f" user {user.pk}"
    return hashlib.sha256(scope.encode()).hexdigest()[:32]


def _scope_of(user: User, version: str, found: dict) -> str:
    """The user's scope as of `version`: from the cache (read with the version), else worked out and stored."""
    key = f"insights:scope:u{user.pk}"
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return entry[1]
    scope = visibility_scope(user)
    _cache().set(key, (version, scope))
    return scope


def insight_tables(*, user: User, names: list[str], filters: InsightFilters, reading: bool = True) -> dict[str, Table]:
    """The insights `names` (keys of metrics.INSIGHTS) as `user` may see them: those of the current data version from
    the cache, the others computed and stored. Two reads: the version with the reader's scope, then the tables.
    `reading`: a person reads them (the worker's refresh does not count as their reading the default view)."""
    cache = _cache()
    default = reading and filters == InsightFilters(*default_range())
    found = cache.get_many([VERSION_KEY, f"insights:scope:u{user.pk}", *([READERS_KEY] if default else [])])
    version = found.get(VERSION_KEY) or _version_start()
    scope = _scope_of(user, version, found)
    keys = {name: f"insights:{today_utc()}:s{scope}:{name}:{filters.key()}" for name in names}
    stored = cache.get_many(list(keys.values()))
    tables, computed = {}, {}
    for name in names:
        entry = stored.get(keys[name])
        if entry is not None and entry[0] == version:
            tables[name] = entry[1]
        else:
            tables[name] = computed[keys[name]] = INSIGHTS[name][2](user, filters)
    if computed:
        cache.set_many({key: (version, table) for key, table in computed.items()})
    if default:
        _remember_reader(user, found.get(READERS_KEY) or {})
    return tables


def insight_table(*, user: User, name: str, filters: InsightFilters) -> Table:
    """The insight `name` as `user` may see it, from the cache when nothing changed."""
    return insight_tables(user=user, names=[name], filters=filters)[name]


def _remember_reader(user: User, readers: dict) -> None:
    """Note that `user` reads the default view today (a write once a day each), for the worker's refresh."""
    if not shared():
        return
    cache, today = _cache(), today_utc()
    if readers.get(user.pk) == today.isoformat():
        return
    oldest = (today - dt.timedelta(days=READERS_KEPT_DAYS)).isoformat()
    readers = {pk: day for pk, day in readers.items() if day >= oldest}
    readers[user.pk] = today.isoformat()
    cache.set(READERS_KEY, readers, timeout=None)


def insights_refresh() -> dict:
    """The worker's job: compute the default view of every reader who opened it lately and whose tables are not of
    the current version (nothing when they are; readers of one scope share theirs, computed once). Harmless to run
    twice."""
    if not shared():
        return {"readers": 0, "note": "the insights cache is per process: nothing to share"}
    readers = _cache().get(READERS_KEY) or {}
    oldest = (today_utc() - dt.timedelta(days=READERS_KEPT_DAYS)).isoformat()
    recent = sorted((day, pk) for pk, day in readers.items() if day >= oldest)[-REFRESH_MAX_READERS:]
    users = User.objects.filter(pk__in=[pk for _, pk in recent], is_active=True).order_by("pk")
    filters = InsightFilters(*default_range())
    count = 0
    for user in users:
        insight_tables(user=user, names=list(INSIGHTS), filters=filters, reading=False)
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
    # Once per transaction, however many rows it saves: the callback already waiting for this commit does it. (Found
    # by identity: a commit or a rollback empties the waiting list, and a savepoint's rollback takes out what was
    # registered inside it.)
    connection = transaction.get_connection()
    waiting = getattr(connection, "insights_version_bump", None)
    if waiting is not None and any(entry is waiting for entry in connection.run_on_commit):
        return
    # Robust: the change is committed already; a cache that cannot be written is logged, not the request's failure.
    transaction.on_commit(_after_change, robust=True)
    connection.insights_version_bump = connection.run_on_commit[-1] if connection.in_atomic_block else None


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
