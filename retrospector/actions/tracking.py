"""Tracking recommendations to done across incidents: the filtered list (page, CSV, API, CLI), the organization's
per-priority targets and the recommendations that miss them, and the rule that an incident is finished only once all
its recommendations are done or dropped with a reason.

Reads take the user and go through selectors.recommendations_visible_to, so a recommendation called for only by a
private incident of another team is never listed, counted, exported nor shown; the retrospectives shown beside a
recommendation are only those the user may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate

from retrospector.accounts.models import Team, User
from retrospector.actions.models import (
    DEFAULT_PRIORITIES,
    DEFAULT_PRIORITY_TARGET_DAYS,
    ActionSettings,
    Recommendation,
    RecommendationLink,
)
from retrospector.actions.selectors import is_overdue, overdue_q, recommendations_visible_to, today_utc
from retrospector.incidents.models import Incident
from retrospector.writeups.selectors import retrospectives_visible_to

Status = Recommendation.Status
OPEN = tuple(str(s) for s in Recommendation.OPEN_STATUSES)
MAX_PRIORITIES = 20
MAX_TARGET_DAYS = 3650


# --- The list ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecommendationFilters:
    team: str = ""  # a team's slug
    owner: str = ""  # the owner's username
    service: str = ""  # a service of an incident that calls for it (through a retrospective the user may see)
    status: str = ""  # one of Recommendation.Status
    priority: str = ""
    overdue: bool = False  # open with a commitment date before today (UTC)
    q: str = ""  # words, each in the title
    retrospective: int | None = None  # called for by this retrospective (one the user may see)

    @property
    def any(self) -> bool:
        return bool(
            self.team
            or self.owner
            or self.service
            or self.status
            or self.priority
            or self.overdue
            or self.q.strip()
            or self.retrospective
        )


def visible_links(user: User) -> QuerySet[RecommendationLink]:
    """The links to retrospectives `user` may see, with the retrospective's id, title and incident: what a row shows."""
    return (
        RecommendationLink.objects.filter(
            Exists(retrospectives_visible_to(user).filter(pk=OuterRef("retrospective_id")))
        )
        .select_related("retrospective")
        .only("id", "recommendation_id", "retrospective__id", "retrospective__title", "retrospective__incident_id")
        .order_by("retrospective_id")
    )


def recommendation_list(
    *, user: User, filters: RecommendationFilters | None = None, today: dt.date | None = None
) -> QuerySet[Recommendation]:
    """The recommendations `user` may see (merged-away ones left out), filtered, the nearest commitment date first
    (those without one last), then by id. Each row brings its team and owner, `overdue` (annotated), and
    `visible_links` (prefetched, one query for a page): the retrospectives calling for it that `user` may see."""
    filters = filters or RecommendationFilters()
    today = today or today_utc()
    rows = recommendations_visible_to(user).filter(merged_into__isnull=True)
    # By key, looked up first, rather than by a join on the slug or the username: the database then reads the team's
    # rows from its index (team, status, commitment date) instead of the whole organization's (20 ms against 60 with
    # 50,000 recommendations). An unknown name matches nothing.
    if filters.team:
        team = Team.objects.filter(organization_id=user.organization_id, slug=filters.team)
        rows = rows.filter(team_id=team.values_list("pk", flat=True).first())
    if filters.owner:
        owner = User.objects.filter(organization_id=user.organization_id, username=filters.owner)
        rows = rows.filter(owner_id=owner.values_list("pk", flat=True).first())
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.priority:
        rows = rows.filter(priority=filters.priority)
    if filters.overdue:
        rows = rows.filter(overdue_q(today))
    for word in filters.q.split()[:10]:
        rows = rows.filter(title__icontains=word[:100])
    if filters.service or filters.retrospective:
        through = RecommendationLink.objects.filter(
            Exists(retrospectives_visible_to(user).filter(pk=OuterRef("retrospective_id"))),
            recommendation_id=OuterRef("pk"),
        )
        if filters.retrospective:
            through = through.filter(retrospective_id=filters.retrospective)
        if filters.service:
            through = through.filter(
                Exists(
                    Incident.services.through.objects.filter(
                        incident_id=OuterRef("retrospective__incident_id"), service__name=filters.service
                    )
                )
            )
        rows = rows.filter(Exists(through))
    return (
        rows.select_related("team", "owner")
        .annotate(overdue=ExpressionWrapper(overdue_q(today), output_field=BooleanField()))
        .prefetch_related(Prefetch("links", queryset=visible_links(user), to_attr="visible_links"))
        .order_by(F("commitment_date").asc(nulls_last=True), "id")
    )


def recommendation_visible_or_none(*, user: User, pk: int) -> Recommendation | None:
    """One recommendation `user` may see (merged-away ones too: their page says where they went), with its links."""
    return (
        recommendations_visible_to(user)
        .select_related("team", "owner", "merged_into")
        .prefetch_related(Prefetch("links", queryset=visible_links(user), to_attr="visible_links"))
        .filter(pk=pk)
        .first()
    )


def recommendation_data(r: Recommendation, today: dt.date) -> dict:
    """A recommendation as the API and the CLI write it (JSON); its retrospectives are the row's `visible_links`
    (recommendation_list), those the reader may see."""
    links = getattr(r, "visible_links", [])
    return {
        "id": r.pk,
        "title": r.title,
        "description": r.description,
        "definition_of_done": r.definition_of_done,
        "kind": r.kind,
        "status": r.status,
        "status_reason": r.status_reason,
        "priority": r.priority,
        "team": r.team.slug,
        "owner": r.owner.username if r.owner_id else None,
        "commitment_date": r.commitment_date,
        "overdue": is_overdue(r, today),
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "closed_at": r.closed_at,
        "merged_into": r.merged_into_id,
        "tracker_url": r.tracker_url or None,
        "version": r.version,
        "retrospectives": [
            {
                "id": link.retrospective.pk,
                "title": link.retrospective.title,
                "incident_id": link.retrospective.incident_id,
                "url": f"/retrospectives/{link.retrospective.pk}/",
            }
            for link in links
        ],
        "url": f"/recommendations/{r.pk}/",
    }


# --- CSV ----------------------------------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A cell a spreadsheet shows as text: one that would start a formula (=, +, -, @, a tab or a carriage return) is
    prefixed with a single quote. None is an empty cell."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


CSV_HEADER = (
    "id",
    "title",
    "status",
    "priority",
    "team",
    "owner",
    "commitment_date",
    "overdue",
    "created_at",
    "closed_at",
    "retrospectives",
    "url",
)


def csv_row(recommendation: Recommendation) -> list[str]:
    """One row of the export, every cell through csv_safe; `recommendation` comes from recommendation_list."""
    retrospectives = "; ".join(
        f"#{link.retrospective.pk} {link.retrospective.title}" for link in recommendation.visible_links
    )
    cells = (
        recommendation.pk,
        recommendation.title,
        recommendation.status,
        recommendation.priority,
        recommendation.team.slug,
        recommendation.owner.username if recommendation.owner_id else "",
        recommendation.commitment_date.isoformat() if recommendation.commitment_date else "",
        "yes" if recommendation.overdue else "no",
        recommendation.created_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        recommendation.closed_at.astimezone(dt.UTC).isoformat(timespec="seconds") if recommendation.closed_at else "",
        retrospectives,
        f"/recommendations/{recommendation.pk}/",
    )
    return [csv_safe(cell) for cell in cells]


def csv_rows(recommendations: QuerySet[Recommendation]) -> Iterable[list[str]]:
    """The header, then the rows, read in chunks (with their prefetched links per chunk)."""
    yield list(CSV_HEADER)
    for recommendation in recommendations.iterator(chunk_size=1000):
        yield csv_row(recommendation)


# --- Priorities and their targets -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriorityTarget:
    name: str
    days: int | None  # None: no target


def priority_targets(organization_id: int) -> list[PriorityTarget]:
    """The organization's priorities, the most urgent first, each with its days to done (the defaults until it sets
    its own)."""
    row = ActionSettings.objects.filter(organization_id=organization_id).first()
    if row is None or not row.priorities:
        return [PriorityTarget(p, DEFAULT_PRIORITY_TARGET_DAYS.get(p)) for p in DEFAULT_PRIORITIES]
    return [PriorityTarget(p, row.target_days.get(p)) for p in row.priorities]


def priority_targets_check(targets: list[tuple[str, int | None]]) -> list[PriorityTarget]:
    """Validated targets: one priority at least, names unique (ignoring case), short and on one line, days positive."""
    errors = []
    seen: set[str] = set()
    checked = []
    if not targets:
        errors.append("List one priority at least.")
    if len(targets) > MAX_PRIORITIES:
        errors.append(f"List at most {MAX_PRIORITIES} priorities.")
    for name, days in targets:
        name = (name or "").strip()
        if not name or len(name) > 20 or any(c.isspace() for c in name):
            errors.append(f"{name!r}: a priority's name is 1 to 20 characters without spaces.")
            continue
        if name.lower() in seen:
            errors.append(f"{name} is listed twice: each priority once.")
            continue
        seen.add(name.lower())
        if days is not None and not (isinstance(days, int) and 0 < days <= MAX_TARGET_DAYS):
            errors.append(f"{name}: the days to done are a whole number from 1 to {MAX_TARGET_DAYS}.")
            continue
        checked.append(PriorityTarget(name, days))
    if errors:
        raise ValidationError({"targets": errors})
    return checked


def priority_targets_save(*, organization_id: int, by: User, targets: list[tuple[str, int | None]]) -> list:
    """Set the organization's priorities (most urgent first) and their days to done. Only an organization admin
    (PermissionError otherwise, checked by the caller too); a priority still used by an open recommendation can't be
    removed."""
    if not (by.is_org_admin and by.organization_id == organization_id):
        raise PermissionError("Only an organization admin changes the priorities and their targets.")
    checked = priority_targets_check(targets)
    names = [t.name for t in checked]
    with transaction.atomic():
        in_use = (
            Recommendation.objects.filter(organization_id=organization_id, status__in=OPEN, merged_into__isnull=True)
            .exclude(priority__in=names)
            .values("priority")
            .annotate(n=Count("id"))
            .order_by("priority")
        )
        problems = [f"{row['priority']} is used by {row['n']} open recommendation(s): keep it." for row in in_use]
        if problems:
            raise ValidationError({"targets": problems})
        ActionSettings.objects.update_or_create(
            organization_id=organization_id,
            defaults={
                "priorities": names,
                "target_days": {t.name: t.days for t in checked if t.days is not None},
                "updated_by": by,
            },
        )
    return checked


# --- Breaches -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Breach:
    recommendation: Recommendation
    target_days: int
    due: dt.date  # created + target days
    late_days: int  # days past `due`: until today when open, until it was done otherwise
    finished_late: bool  # done, after `due`


def target_breaches(*, user: User, today: dt.date | None = None, team: str = "") -> QuerySet[Recommendation]:
    """Recommendations `user` may see that miss their priority's target: open ones created more than the target's
    days ago, and done ones finished after it (dropped ones never count), the oldest first."""
    today = today or today_utc()
    rows = recommendations_visible_to(user).filter(merged_into__isnull=True)
    if team:
        rows = rows.filter(team__slug=team)
    start_of_today = dt.datetime.combine(today, dt.time.min, tzinfo=dt.UTC)
    rows = rows.annotate(
        created_day=TruncDate("created_at", tzinfo=dt.UTC), closed_day=TruncDate("closed_at", tzinfo=dt.UTC)
    )
    missed = Q(pk__in=[])
    for target in priority_targets(user.organization_id) if user.organization_id else []:
        if target.days is None:
            continue
        days = dt.timedelta(days=target.days)
        # Open: due (the day it was created + the target's days) before today, i.e. created before today - days.
        missed |= Q(priority=target.name, status__in=OPEN, created_at__lt=start_of_today - days)
        # Done: on a day after the one it was due (UTC days, as breaches_of counts them).
        missed |= Q(priority=target.name, status=Status.DONE, closed_day__gt=F("created_day") + days)
    return rows.filter(missed).select_related("team", "owner").order_by("created_at", "id")


def breaches_of(rows: Iterable[Recommendation], *, organization_id: int, today: dt.date | None = None) -> list[Breach]:
    """By how much each of `rows` (from target_breaches) misses its target, in days."""
    today = today or today_utc()
    days = {t.name: t.days for t in priority_targets(organization_id)}
    found = []
    for recommendation in rows:
        target = days.get(recommendation.priority)
        if target is None:
            continue
        due = recommendation.created_at.astimezone(dt.UTC).date() + dt.timedelta(days=target)
        done = recommendation.status == Status.DONE and recommendation.closed_at is not None
        until = recommendation.closed_at.astimezone(dt.UTC).date() if done else today
        if until > due:
            found.append(Breach(recommendation, target, due, (until - due).days, done))
    return found


# --- An incident is finished --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentRecommendations:
    finished: bool  # every recommendation done, or dropped with a reason (true when there is none)
    total: int
    counts: dict[str, int] = field(default_factory=dict)  # per status, every status listed
    dropped_without_reason: int = 0


def incident_recommendations(incident: Incident) -> IncidentRecommendations:
    """The recommendations called for by any retrospective of `incident` (merged-away ones count as the one they were
    merged into), by status, and whether the incident is finished: only when each is done or dropped with a reason.
    Two queries, whatever the number."""
    linked = RecommendationLink.objects.filter(retrospective__incident_id=incident.pk)
    ids = set(linked.values_list("recommendation_id", flat=True))
    if not ids:
        return IncidentRecommendations(True, 0, dict.fromkeys(Status.values, 0), 0)
    rows = Recommendation.objects.filter(Q(pk__in=ids) & Q(merged_into__isnull=True) | Q(merged_from__pk__in=ids))
    counts = dict.fromkeys(Status.values, 0)
    without_reason = 0
    for _, status, reason in rows.distinct().values_list("pk", "status", "status_reason"):
        counts[status] += 1
        if status == Status.DROPPED and not reason.strip():
            without_reason += 1
    total = sum(counts.values())
    finished = counts[Status.PLANNED] == 0 and counts[Status.IN_PROGRESS] == 0 and without_reason == 0
    return IncidentRecommendations(finished, total, counts, without_reason)


def incident_recommendations_finished(incident: Incident) -> bool:
    """An incident counts as finished only when all its recommendations are done or dropped with a reason."""
    return incident_recommendations(incident).finished
