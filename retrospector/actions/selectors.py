"""Reads of findings and recommendations, with the permission rules built in."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from retrospector.accounts.models import Role, Team, User
from retrospector.accounts.selectors import has_team_role, team_ids_with_role
from retrospector.actions.models import Finding, Recommendation, RecommendationChange, RecommendationLink, SetAside
from retrospector.core.shortcuts import visible_or_404
from retrospector.writeups.models import Retrospective
from retrospector.writeups.selectors import retrospectives_visible_to


def recommendations_visible_to(user: User) -> QuerySet[Recommendation]:
    """Recommendations of the user's organization that they may see: those of their teams and those called for by a
    retrospective they may see. One called for only by private incidents of another team stays
    hidden (never listed, counted nor suggested). Merged-away recommendations are included: filter them out for lists
    (`merged_into__isnull=True`)."""
    if not user.is_authenticated or user.organization_id is None:
        return Recommendation.objects.none()
    recommendations = Recommendation.objects.filter(organization_id=user.organization_id)
    if user.is_org_admin:
        return recommendations
    # Correlated on both levels (the link, then its retrospective by key): `retrospective__in=<visible ones>` made
    # SQLite list every visible retrospective again for each recommendation (90 s for 50,000 of them).
    seen_through = RecommendationLink.objects.filter(
        Exists(retrospectives_visible_to(user).filter(pk=OuterRef("retrospective_id"))),
        recommendation_id=OuterRef("pk"),
    )
    # Not "or its owner": an owner who may no longer see any incident calling for it (they left the team of a
    # private one) no longer sees it either; a new owner must be able to see one (actions.services).
    return recommendations.filter(Q(team_id__in=team_ids_with_role(user, Role.VIEWER)) | Exists(seen_through))


def can_edit_recommendation(user: User, recommendation: Recommendation) -> bool:
    """Its owner, members of its team and organization admins change it."""
    if not user.is_authenticated or user.organization_id != recommendation.organization_id:
        return False
    return (
        user.is_org_admin
        or recommendation.owner_id == user.pk
        or has_team_role(user, recommendation.team_id, Role.MEMBER)
    )


# --- What a recommendation still lacks ------------------------------------------------------------------------------


def recommendation_gaps(recommendation: Recommendation) -> list[str]:
    """What keeps it a draft: it can be saved without an owner or a definition of done, and is flagged until it has
    both ("draft: needs an owner"). A done or dropped one is no draft."""
    if recommendation.status not in Recommendation.OPEN_STATUSES:
        return []
    gaps = []
    if recommendation.owner_id is None:
        gaps.append("needs an owner")
    if not (recommendation.definition_of_done or "").strip():
        gaps.append("needs a definition of done")
    return gaps


def today_utc(now: dt.datetime | None = None) -> dt.date:
    """Today's date in UTC: commitment dates, overdue and targets count in UTC days, whoever looks."""
    return (now or timezone.now()).astimezone(dt.UTC).date()


def overdue_q(today: dt.date) -> Q:
    """is_overdue as a filter: still open after its commitment date."""
    return Q(status__in=Recommendation.OPEN_STATUSES, commitment_date__lt=today)


def is_overdue(recommendation: Recommendation, today: dt.date | None = None) -> bool:
    today = today or today_utc()
    return (
        recommendation.status in Recommendation.OPEN_STATUSES
        and recommendation.commitment_date is not None
        and recommendation.commitment_date < today
    )


def _decorate(recommendation: Recommendation, today: dt.date) -> Recommendation:
    recommendation.gaps = recommendation_gaps(recommendation)
    recommendation.overdue = is_overdue(recommendation, today)
    return recommendation


# --- Similar open recommendations -----------------------------------------------------------------------------------

# Words too common to say two recommendations are alike.
STOPWORDS = frozenset(
    """a an and are as at be by can could do does for from has have how if in into is it its make more no not of on
    or our should so that the their them then there these they this to was we were what when where which who will
    with would add use new all any only also out up""".split()
)
# Candidates scored in Python per suggestion: the most recently changed open recommendations of the organization.
SIMILAR_CANDIDATES = 2000


_WORD = re.compile(r"[a-z0-9]{3,}")


def words_of(text: str) -> set[str]:
    """The words that count for similarity: lower case, three letters or more, without common words, a plural's "s"
    removed ("timeouts" and "timeout", "retries" and "retry" are the same word)."""
    words = set()
    for word in set(_WORD.findall((text or "").lower())) - STOPWORDS:
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.add(word)
    return words


@dataclass(frozen=True)
class Similar:
    """A suggestion: the recommendation, its score (0 to 1: the share of the typed words it has, plus 0.25 when it
    concerns the same service) and why it matched, in words."""

    recommendation: Recommendation
    score: float
    shared_words: list[str]
    shared_services: list[str]

    @property
    def why(self) -> str:
        parts = []
        if self.shared_services:
            parts.append("same service: " + ", ".join(self.shared_services))
        if self.shared_words:
            parts.append("shared words: " + ", ".join(self.shared_words))
        return "; ".join(parts)


def similar_open_recommendations(
    *,
    user: User,
    organization_id: int,
    text: str,
    service_ids=(),
    limit: int = 5,
    exclude_retrospective_id: int | None = None,
) -> list[Similar]:
    """Open recommendations the user may see that look like `text` (a title and description being typed): at least
    one word in common, scored by the share of the typed words found in their title and description; those concerning
    one of `service_ids` (the services of the incidents that call for them) first. When services are given, only
    recommendations of those services are offered. Never one the user may not see. Three queries."""
    typed = words_of(text)
    if not typed:
        return []
    candidates = recommendations_visible_to(user).filter(
        organization_id=organization_id, status__in=Recommendation.OPEN_STATUSES, merged_into__isnull=True
    )
    service_ids = [int(s) for s in service_ids]
    if service_ids:
        same_service = RecommendationLink.objects.filter(
            recommendation_id=OuterRef("pk"), retrospective__incident__services__in=service_ids
        )
        candidates = candidates.filter(Exists(same_service))
    if exclude_retrospective_id is not None:
        candidates = candidates.exclude(links__retrospective_id=exclude_retrospective_id)
    rows = candidates.order_by("-updated_at", "-pk").values_list("pk", "title", "description")[:SIMILAR_CANDIDATES]
    scored = []
    for pk, title, description in rows:
        shared = typed & words_of(f"{title} {description}")
        if shared:
            scored.append((len(shared) / len(typed), pk, sorted(shared)))
    if not scored:
        return []
    scored.sort(key=lambda row: (-row[0], -row[1]))
    top = scored[:limit]
    found = Recommendation.objects.select_related("owner", "team").in_bulk([pk for _, pk, _ in top])
    services: dict[int, set[str]] = {}
    if service_ids:
        for rec_id, name in (
            RecommendationLink.objects.filter(
                recommendation_id__in=found, retrospective__incident__services__in=service_ids
            )
            .values_list("recommendation_id", "retrospective__incident__services__name")
            .distinct()
        ):
            services.setdefault(rec_id, set()).add(name)
    bonus = 0.25 if service_ids else 0.0
    return [
        Similar(
            recommendation=found[pk],
            score=round(min(1.0, share + bonus) if pk in services else share, 2),
            shared_words=words,
            shared_services=sorted(services.get(pk, ())),
        )
        for share, pk, words in top
        if pk in found
    ]


# --- A recommendation's page ----------------------------------------------------------------------------------------

RECOMMENDATION_NOT_VISIBLE = "No such recommendation, or you may not see it."


def recommendation_detail_or_404(*, user: User, pk: int) -> Recommendation:
    return visible_or_404(
        recommendations_visible_to(user).select_related("owner", "team", "created_by", "merged_into", "tracker"),
        pk,
        message=RECOMMENDATION_NOT_VISIBLE,
    )


def retrospectives_calling_for(*, user: User, recommendation: Recommendation) -> list[Retrospective]:
    """The retrospectives that call for it and that `user` may see (the others are not named, nor counted)."""
    return list(
        retrospectives_visible_to(user)
        .filter(recommendation_links__recommendation=recommendation)
        .select_related("incident", "incident__team")
        .order_by("-incident__started_at", "-pk")
    )


def findings_traced(*, user: User, recommendation: Recommendation) -> list[Finding]:
    """The findings it answers, of retrospectives `user` may see."""
    return list(
        Finding.objects.filter(
            traces__recommendation=recommendation,
            retrospective__in=retrospectives_visible_to(user).values("pk"),
        )
        .select_related("retrospective")
        .order_by("retrospective_id", "section_key", "position", "pk")
    )


def status_reason_shown(recommendation: Recommendation) -> tuple[str, str] | None:
    """(what it explains, the reason) of its last change of status or date, when that change gave one: "Why it was
    dropped", "Why its date moved", "Why its status changed". None when the last such change gave no reason (an older
    reason would explain something else). One query."""
    if not recommendation.status_reason:
        return None
    last = (
        RecommendationChange.objects.filter(recommendation=recommendation)
        .filter(Q(changes__has_key="status") | Q(changes__has_key="commitment_date"))
        .order_by("-at", "-pk")
        .only("changes", "reason")
        .first()
    )
    if last is None or not last.reason:
        return None
    if last.changes.get("status", [None, None])[1] == Recommendation.Status.DROPPED:
        return "Why it was dropped", last.reason
    if "commitment_date" in last.changes:
        return "Why its date moved", last.reason
    return "Why its status changed", last.reason


FIELD_LABELS = {
    "title": "Title",
    "description": "Description",
    "definition_of_done": "Definition of done",
    "kind": "Kind",
    "owner": "Owner",
    "team": "Team",
    "priority": "Priority",
    "commitment_date": "Commitment date",
    "status": "Status",
    "linked": "Called for by retrospective",
    "merged_into": "Merged into",
    "merged_from": "Merged from",
}


@dataclass(frozen=True)
class HistoryLine:
    field: str
    label: str
    before: object
    after: object


def recommendation_history(
    recommendation: Recommendation, *, user: User | None = None
) -> QuerySet[RecommendationChange]:
    """Its history and that of the recommendations merged into it, newest first (page it, then describe_changes).
    With `user`, only the merged ones they may see themselves: one merged away from another team's private incident
    keeps its text and history to those who could see it."""
    merged_ones = Recommendation.objects if user is None else recommendations_visible_to(user)
    merged = merged_ones.filter(merged_into=recommendation).values("pk")
    return (
        RecommendationChange.objects.filter(Q(recommendation_id=recommendation.pk) | Q(recommendation_id__in=merged))
        .select_related("by")
        .order_by("-at", "-pk")
    )


def describe_changes(
    entries, *, recommendation: Recommendation, user: User | None = None
) -> list[RecommendationChange]:
    """History entries made readable: each gets `lines` (field label, before, after, with people, teams and
    retrospectives named) and `merged_from` (the id of the merged recommendation it comes from, None for its own).
    With `user`, a retrospective they may not see is "a retrospective you may not see" (neither named nor numbered).
    Three queries at most."""
    entries = list(entries)
    people_ids, team_ids, retrospective_ids = set(), set(), set()
    for entry in entries:
        for field, pair in entry.changes.items():
            if not isinstance(pair, list):
                continue
            if field == "owner":
                people_ids.update(v for v in pair if v)
            elif field == "team":
                team_ids.update(v for v in pair if v)
            elif field == "linked":
                for value in pair:
                    retrospective_ids.update(value if isinstance(value, list) else [value] if value else [])
    people = {u.pk: u.display_name for u in User.objects.filter(pk__in=people_ids)} if people_ids else {}
    teams = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name")) if team_ids else {}
    retrospectives = {}
    if retrospective_ids:
        readable = Retrospective.objects if user is None else retrospectives_visible_to(user)
        retrospectives = dict(readable.filter(pk__in=retrospective_ids).values_list("pk", "title"))
    statuses = dict(Recommendation.Status.choices)
    kinds = dict(Recommendation.Kind.choices)

    def retrospective(pk):
        return retrospectives.get(pk, "a retrospective you may not see")

    def shown(field, value):
        if value is None or value == "":
            return "—"
        if field == "owner":
            return people.get(value, f"person #{value}")
        if field == "team":
            return teams.get(value, f"team #{value}")
        if field == "status":
            return statuses.get(value, value)
        if field == "kind":
            return kinds.get(value, value)
        if field == "linked":
            return "; ".join(retrospective(v) for v in (value if isinstance(value, list) else [value]))
        if field in ("merged_into", "merged_from"):
            return f"#{value}"
        return value

    for entry in entries:
        entry.merged_from = entry.recommendation_id if entry.recommendation_id != recommendation.pk else None
        entry.lines = [
            HistoryLine(field, FIELD_LABELS.get(field, field), shown(field, pair[0]), shown(field, pair[1]))
            for field, pair in entry.changes.items()
            if isinstance(pair, list) and len(pair) == 2
        ]
    return entries


# --- A retrospective's recommendations ------------------------------------------------------------------------------


def recommendations_of_retrospective(retrospective: Retrospective) -> list[Recommendation]:
    """The recommendations a retrospective calls for, live (status, owner, date), each with `gaps`, `overdue` and
    `traced` (how many of this retrospective's findings it answers). One query. Whoever may see the retrospective may
    see them (recommendations_visible_to lets them through the link)."""
    today = timezone.localdate(timezone.now(), dt.UTC)
    rows = (
        Recommendation.objects.filter(links__retrospective=retrospective)
        .select_related("owner")
        .annotate(traced=Count("traces", filter=Q(traces__finding__retrospective=retrospective), distinct=True))
        .order_by("status", "commitment_date", "pk")
    )
    order = {status: i for i, status in enumerate(Recommendation.Status.values)}
    return sorted((_decorate(r, today) for r in rows), key=lambda r: (order[r.status], r.pk))


def set_asides_of(retrospective: Retrospective) -> list[SetAside]:
    return list(SetAside.objects.filter(retrospective=retrospective).select_related("created_by").order_by("pk"))
