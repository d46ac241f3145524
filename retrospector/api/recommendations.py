"""Recommendations over the API: the list across incidents (the same filters as /recommendations/), one with its
history, a change (PATCH, with the version read and a reason where the rules want one), a new one called for by a
retrospective, and a retrospective's recommendations with whether its incident is finished. The same selectors and
services as the pages (actions.tracking, actions.services)."""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from pydantic import BaseModel

from retrospector.actions.models import Recommendation, RecommendationChange
from retrospector.actions.selectors import can_edit_recommendation
from retrospector.actions.services import recommendation_create, recommendation_update
from retrospector.actions.tracking import (
    RecommendationFilters,
    incident_recommendations,
    recommendation_data,
    recommendation_list,
    recommendation_visible_or_none,
    today_utc,
)
from retrospector.core.errors import ConflictError
from retrospector.core.paging import rows_between
from retrospector.writeups.selectors import can_edit_retrospective, retrospective_detail_or_404

from .choices import choices_literal
from .contract import DictOut, ErrorOut, InSchema, Omittable, responses
from .lookups import person_from_username, team_from_slug
from .types import Day, Id, PageNumber, PageSize, Version

router = Router(tags=["recommendations"])

RecommendationStatus = choices_literal(Recommendation.Status)
RecommendationKind = choices_literal(Recommendation.Kind)
StatusFilter = choices_literal(["", *Recommendation.Status.values])
Source = choices_literal(RecommendationChange.Source)
# Something besides blanks (those str.strip() removes, which \s of a JSON Schema pattern does not all name).
NOT_BLANK = r"[^\s\x1c-\x1f\x85]"
NOT_VISIBLE = "No such recommendation, or you may not see it."
CHANGE_RULES = (
    "A new commitment date is never in the past (422 on `commitment_date`); moving an existing commitment date, or "
    "dropping it (status `dropped`), needs a `reason` (422 on `reason`), shown on every linked retrospective. "
    "`priority` is one of the organization's priorities (422 otherwise); `owner` a username and `team` a team's slug "
    "of your organization (422 when unknown)."
)


# --- Schemas ----------------------------------------------------------------------------------------------------------


class LinkedRetrospective(DictOut):
    id: int
    title: str
    incident_id: int
    url: str


class RecommendationOut(DictOut):
    id: int
    title: str
    description: str
    definition_of_done: str
    kind: RecommendationKind
    status: RecommendationStatus
    status_reason: str = Field(..., description="Why it was dropped, or why its date moved last.")
    priority: str
    team: str = Field(..., description="The team's short name (slug).")
    owner: str | None = Field(..., description="The owner's username; null: nobody yet.")
    commitment_date: date | None
    overdue: bool = Field(..., description="Open (planned or in progress) after its commitment date (UTC).")
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = Field(..., description="When it was done or dropped.")
    merged_into: int | None = Field(..., description="The recommendation it was merged into, if it was.")
    tracker_url: str | None
    version: int = Field(..., description="Send it back as base_version to change it.")
    retrospectives: list[LinkedRetrospective] = Field(
        ..., description="The retrospectives calling for it that you may see (others are left out)."
    )
    url: str


class RecommendationPage(BaseModel):
    count: int
    page: int
    page_size: int
    pages: int
    results: list[RecommendationOut]


class RecommendationQuery(Schema):
    q: str = Field("", max_length=200, description="Words, each in the title.")
    team: str = Field("", max_length=100, description="A team's short name (slug).")
    owner: str = Field("", max_length=150, description="The owner's username.")
    service: str = Field("", max_length=200, description="A service of an incident that calls for it.")
    status: StatusFilter = ""
    priority: str = Field("", max_length=20, description="A priority name, e.g. P1.")
    overdue: bool = Field(False, description="Only open ones after their commitment date (UTC).")
    page: PageNumber = Field(1, description="A page past the last answers the last.")
    page_size: PageSize = 25


class RecommendationPatch(InSchema):
    """Only the fields sent change. `owner` and `commitment_date` sent as null are cleared; the others cannot be
    null."""

    base_version: Version
    reason: str = Field("", max_length=5000, description="Why: required to move a commitment date or to drop it.")
    title: str = Omittable(min_length=1, max_length=300, pattern=NOT_BLANK)
    description: str = Omittable(max_length=20000)
    definition_of_done: str = Omittable(max_length=20000)
    kind: RecommendationKind = Omittable()
    status: RecommendationStatus = Omittable()
    priority: str = Omittable(min_length=1, max_length=20)
    team: str = Omittable(min_length=1, max_length=100, description="A team's short name (slug).")
    owner: str | None = Field(None, min_length=1, max_length=150, description="A username; null: nobody.")
    commitment_date: Day | None = Field(None, description="Today or later; null clears it (with a reason).")


class RecommendationIn(InSchema):
    title: str = Field(..., min_length=1, max_length=300, pattern=NOT_BLANK)
    description: str = Field("", max_length=20000)
    definition_of_done: str = Field("", max_length=20000)
    kind: RecommendationKind = Recommendation.Kind.SOFTWARE
    priority: str | None = Field(
        None, min_length=1, max_length=20, description="Null: the organization's second priority (P2)."
    )
    team: str | None = Field(None, min_length=1, max_length=100, description="Null: the incident's team.")
    owner: str | None = Field(None, min_length=1, max_length=150, description="A username; null: nobody yet.")
    commitment_date: Day | None = Field(None, description="Today or later.")


class ChangeOut(DictOut):
    id: int
    at: datetime
    by: str | None
    source: Source
    changes: dict[str, Any] = Field(..., description='{"field": [before, after]}; people and teams by id.')
    reason: str


class RecommendationConflictOut(ErrorOut):
    """409: `base_version` is stale; `current` is the recommendation as it is now."""

    current: RecommendationOut


class RetrospectiveRecommendations(BaseModel):
    finished: bool = Field(
        ...,
        description="The incident counts as finished only when all its recommendations (those of all its "
        "retrospectives) are done or dropped with a reason; true when it has none.",
    )
    counts: dict[str, int] = Field(..., description="The incident's recommendations per status.")
    dropped_without_reason: int
    results: list[RecommendationOut] = Field(..., description="This retrospective's recommendations.")


# --- Answers ----------------------------------------------------------------------------------------------------------


def _visible_or_404(request, recommendation_id: int) -> Recommendation:
    recommendation = recommendation_visible_or_none(user=request.user, pk=recommendation_id)
    if recommendation is None:
        raise Http404(NOT_VISIBLE)
    return recommendation


def _reread(request, recommendation_id: int) -> dict:
    return recommendation_data(_visible_or_404(request, recommendation_id), today_utc())


def _people_and_team(request, data: dict) -> dict:
    changes = dict(data)
    if "owner" in changes:
        changes["owner"] = person_from_username(request.user, changes["owner"], "owner")
    if changes.get("team") is not None:
        changes["team"] = team_from_slug(request.user, changes["team"])
    return changes


# --- Operations -------------------------------------------------------------------------------------------------------


@router.get(
    "/recommendations",
    response=responses(200, RecommendationPage, errors=(422,)),
    summary="Recommendations across incidents, the nearest commitment date first",
    description="Only recommendations you may see are listed or counted: those of your teams, those you own, and "
    "those called for by a retrospective you may see; merged-away ones are left out. Each lists the retrospectives "
    "calling for it that you may see. Ordered by commitment date (none last), then id.",
)
def list_recommendations(request, query: Query[RecommendationQuery]):
    today = today_utc()
    filters = RecommendationFilters(
        team=query.team,
        owner=query.owner.strip(),
        service=query.service.strip(),
        status=query.status,
        priority=query.priority,
        overdue=query.overdue,
        q=query.q,
    )
    rows = recommendation_list(user=request.user, filters=filters, today=today)
    count = rows.count()
    pages = max(1, -(-count // query.page_size))
    page = min(query.page, pages)
    start = (page - 1) * query.page_size
    return {
        "count": count,
        "page": page,
        "page_size": query.page_size,
        "pages": pages,
        "results": [recommendation_data(r, today) for r in rows_between(rows, start, start + query.page_size)],
    }


@router.get(
    "/recommendations/{recommendation_id}",
    response=responses(200, RecommendationOut, errors=(404, 422)),
    summary="One recommendation",
    description="404 when you may not see it.",
)
def read_recommendation(request, recommendation_id: Id):
    return _reread(request, recommendation_id)


@router.patch(
    "/recommendations/{recommendation_id}",
    response=responses(
        200, RecommendationOut, errors=(400, 403, 404, 409, 413, 422), overrides={409: RecommendationConflictOut}
    ),
    summary="Change a recommendation (409 on a stale base_version)",
    description="For its owner, its team's members and organization admins (403 for others who may see it). Send "
    "the `version` you read as `base_version`: when someone changed it since, 409 whose `current` is the "
    "recommendation as it is. Every change is kept in its history with who, when and `reason`. " + CHANGE_RULES,
)
def change_recommendation(request, recommendation_id: Id, payload: RecommendationPatch):
    recommendation = _visible_or_404(request, recommendation_id)
    if not can_edit_recommendation(request.user, recommendation):
        raise PermissionDenied("Only its owner, its team's members and organization admins change it.")
    data = payload.dict(exclude_unset=True)
    base_version, reason = data.pop("base_version"), data.pop("reason", "")
    changes = _people_and_team(request, data)
    try:
        recommendation_update(
            recommendation=recommendation,
            by=request.user,
            changes=changes,
            reason=reason,
            base_version=base_version,
            source=RecommendationChange.Source.API,
        )
    except ConflictError as exc:
        return Status(
            409, {"detail": str(exc), "field": "base_version", "current": _reread(request, recommendation_id)}
        )
    return _reread(request, recommendation_id)


@router.get(
    "/recommendations/{recommendation_id}/history",
    response=responses(200, list[ChangeOut], errors=(404, 422)),
    summary="A recommendation's history: who changed what, when and why, oldest first",
    description="404 when you may not see it.",
)
def recommendation_history(request, recommendation_id: Id):
    recommendation = _visible_or_404(request, recommendation_id)
    changes = RecommendationChange.objects.filter(recommendation=recommendation).select_related("by")
    return [
        {
            "id": c.pk,
            "at": c.at,
            "by": c.by.username if c.by_id else None,
            "source": c.source,
            "changes": c.changes,
            "reason": c.reason,
        }
        for c in changes
    ]


@router.post(
    "/retrospectives/{retrospective_id}/recommendations",
    response=responses(201, RecommendationOut, errors=(400, 403, 404, 413, 422)),
    summary="Write a new recommendation called for by a retrospective",
    description="For those who may edit the retrospective (403 for readers). It belongs to the incident's team unless "
    "`team` says otherwise, and starts planned. " + CHANGE_RULES,
)
def create_recommendation(request, retrospective_id: Id, payload: RecommendationIn):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    if not can_edit_retrospective(request.user, retrospective):
        raise PermissionDenied("Only people who can edit this retrospective write its recommendations.")
    data = _people_and_team(request, payload.dict())
    created = recommendation_create(
        retrospective=retrospective, by=request.user, source=RecommendationChange.Source.API, **data
    )
    return Status(201, _reread(request, created.pk))


@router.get(
    "/retrospectives/{retrospective_id}/recommendations",
    response=responses(200, RetrospectiveRecommendations, errors=(404, 422)),
    summary="A retrospective's recommendations, and whether its incident is finished",
    description="`finished`: the incident counts as finished only when all its recommendations are done or dropped "
    "with a reason. `counts` covers the incident's recommendations (all its retrospectives), `results` this "
    "retrospective's, in the list's order.",
)
def retrospective_recommendations(request, retrospective_id: Id):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    today = today_utc()
    state = incident_recommendations(retrospective.incident)
    rows = recommendation_list(
        user=request.user, filters=RecommendationFilters(retrospective=retrospective.pk), today=today
    )
    return {
        "finished": state.finished,
        "counts": state.counts,
        "dropped_without_reason": state.dropped_without_reason,
        "results": [recommendation_data(r, today) for r in rows[:500]],
    }
