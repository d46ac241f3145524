"""Findings: GET/POST /api/v1/findings (a retrospective's, by section), GET/PATCH/DELETE /api/v1/findings/{id}, and the
recommendations a retrospective calls for that trace to none of its findings (GET /api/v1/retrospectives/{id}/
untraced). The same services and selectors as the pages (actions.findings): one rule in one place."""

from datetime import date, datetime
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from ninja import Field, Query, Router, Schema, Status

from retrospector.actions.findings import (
    FINDING_MAX_CHARS,
    FINDINGS_FORBIDDEN,
    FINDINGS_MAX,
    LINKS_MAX,
    SECTION_KINDS,
    finding_create,
    finding_delete,
    finding_detail_or_404,
    finding_html,
    finding_move,
    finding_update,
    finding_with_links,
    findings_html,
    findings_of,
    untraced_recommendations,
)
from retrospector.actions.models import Finding, Recommendation
from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.writeups.selectors import can_edit_retrospective, retrospective_detail_or_404

from .choices import choices_literal
from .contract import ErrorOut, InSchema, Omittable, responses
from .types import Id, Integer, Version

router = Router(tags=["findings"])

FindingKind = choices_literal(Finding.Kind)
RecommendationStatus = choices_literal(Recommendation.Status)
SectionKey = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9-]*$")]
SECTIONS = ", ".join(f"`{key}` ({kind})" for key, kind in SECTION_KINDS.items())
READ_ONLY_RULE = (
    "Once the retrospective is approved or done its findings are read-only: 409 on `state` (where the 409 declares "
    "`current`, it holds the finding as it is)."
)
LINK_RULE = (
    "`events` are ids of the incident's timeline events, `accounts` ids of this retrospective's responders' accounts: "
    "any other (another incident's, another retrospective's) is a 422 naming the field."
)
# A 409 that only refuses a change once the retrospective is approved or done: the error body alone.
READ_ONLY_409 = {409: ErrorOut}


# --- Schemas ----------------------------------------------------------------------------------------------------------


class FindingEventOut(Schema):
    id: int
    occurred_at: datetime
    text: str


class FindingAccountOut(Schema):
    id: int
    author: str | None = Field(..., description="Its author's username; null for a person since removed.")


class AnalysisFindingOut(Schema):
    id: int
    retrospective_id: int
    section: str = Field(..., description="The key of the section it is shown in.")
    kind: FindingKind = Field(..., description="Follows its section.")
    position: int = Field(..., description="1 is first in its section.")
    text: str = Field(..., description="Markdown, as written.")
    html: str = Field(..., description="The text rendered and sanitized.")
    events: list[FindingEventOut] = Field(..., description="The timeline events it rests on, in time order.")
    accounts: list[FindingAccountOut] = Field(..., description="The responders' accounts it rests on.")
    version: int = Field(..., description="Send it back as `version` to change it.")
    created_by: str | None
    created_at: datetime
    updated_by: str | None
    updated_at: datetime


class FindingsQuery(Schema):
    retrospective: Id = Field(..., description="The retrospective whose findings to list.")


class FindingIn(InSchema):
    retrospective: Id = Field(..., description="The retrospective it belongs to.")
    section: SectionKey | None = Field(
        None,
        description=f"The key of the section it goes in: {SECTIONS}. Left out: the one section of the "
        "retrospective that holds `kind` (422 when there is none or several).",
    )
    kind: FindingKind | None = Field(None, description="Must match the section's, when both are given.")
    text: str = Field(..., min_length=1, max_length=FINDING_MAX_CHARS, description="Markdown. Blank: 422.")
    events: list[Id] = Field([], max_length=LINKS_MAX, description="Ids of the incident's timeline events.")
    accounts: list[Id] = Field([], max_length=LINKS_MAX, description="Ids of this retrospective's accounts.")


class FindingPatch(InSchema):
    text: str = Omittable(min_length=1, max_length=FINDING_MAX_CHARS, description="Left out: unchanged.")
    section: SectionKey = Omittable(description="Moves it to the end of another section that holds findings.")
    events: list[Id] = Omittable(max_length=LINKS_MAX, description="The whole new list; left out: unchanged.")
    accounts: list[Id] = Omittable(max_length=LINKS_MAX, description="The whole new list; left out: unchanged.")
    position: Integer = Omittable(
        ge=1, le=FINDINGS_MAX, description="Move it there in its section (1 is first); the others follow."
    )
    version: Version


class UntracedOut(Schema):
    id: int
    title: str
    status: RecommendationStatus
    priority: str
    team: str = Field(..., description="The team's slug.")
    owner: str | None
    commitment_date: date | None


# --- Answers ----------------------------------------------------------------------------------------------------------


def finding_out(finding: Finding, html: str | None = None) -> dict:
    """`html`: the rendered text when the caller has it (findings_html renders a list at once)."""
    return {
        "id": finding.pk,
        "retrospective_id": finding.retrospective_id,
        "section": finding.section_key,
        "kind": finding.kind,
        "position": finding.position,
        "text": finding.text,
        "html": finding_html(finding) if html is None else html,
        "events": [{"id": e.pk, "occurred_at": e.occurred_at, "text": e.text} for e in finding.events.all()],
        "accounts": [{"id": a.pk, "author": a.author.username if a.author else None} for a in finding.accounts.all()],
        "version": finding.version,
        "created_by": finding.created_by.username if finding.created_by else None,
        "created_at": finding.created_at,
        "updated_by": finding.updated_by.username if finding.updated_by else None,
        "updated_at": finding.updated_at,
    }


def _one(finding: Finding) -> dict:
    return finding_out(finding_with_links(finding))


def _untraced_out(recommendation: Recommendation) -> dict:
    return {
        "id": recommendation.pk,
        "title": recommendation.title,
        "status": recommendation.status,
        "priority": recommendation.priority,
        "team": recommendation.team.slug,
        "owner": recommendation.owner.username if recommendation.owner else None,
        "commitment_date": recommendation.commitment_date,
    }


def _ordered(findings: QuerySet[Finding], retrospective) -> list[Finding]:
    """By section in the write-up's order, then by position."""
    order = {section.key: section.position for section in retrospective.sections.all()}
    return sorted(findings, key=lambda f: (order.get(f.section_key, len(order)), f.position, f.pk))


# --- Operations -------------------------------------------------------------------------------------------------------


@router.get(
    "/findings",
    response=responses(200, list[AnalysisFindingOut], errors=(404, 422)),
    summary="A retrospective's findings, by section",
    description="Every finding of the retrospective (at most "
    f"{FINDINGS_MAX}), by section in the write-up's order, then in order within each. A retrospective you may not "
    "see (a private incident of another team) is a 404, as if it did not exist.",
)
def list_findings(request, query: Query[FindingsQuery]):
    retrospective = retrospective_detail_or_404(user=request.user, pk=query.retrospective)
    findings = _ordered(findings_of(retrospective), retrospective)
    rendered = findings_html(findings)
    return [finding_out(f, rendered[f.pk]) for f in findings]


@router.post(
    "/findings",
    response=responses(201, AnalysisFindingOut, errors=(400, 413, 403, 404, 409, 422), overrides=READ_ONLY_409),
    summary="Add a finding at the end of its section",
    description="For those who may edit the retrospective (403 for readers; 404 for a retrospective you may not see). "
    "Its kind follows its section. " + LINK_RULE + " " + READ_ONLY_RULE,
)
def add_finding(request, payload: FindingIn):
    retrospective = retrospective_detail_or_404(user=request.user, pk=payload.retrospective)
    if not can_edit_retrospective(request.user, retrospective):
        raise PermissionDenied(FINDINGS_FORBIDDEN)
    finding = finding_create(
        retrospective=retrospective,
        by=request.user,
        text=payload.text,
        section_key=payload.section or "",
        kind=payload.kind or "",
        event_ids=payload.events,
        account_ids=payload.accounts,
    )
    return Status(201, _one(finding))


@router.get(
    "/findings/{finding_id}",
    response=responses(200, AnalysisFindingOut, errors=(404, 422)),
    summary="A finding, with its links",
)
def get_finding(request, finding_id: Id):
    return _one(finding_detail_or_404(user=request.user, pk=finding_id))


@router.patch(
    "/findings/{finding_id}",
    response=responses(200, AnalysisFindingOut, errors=(400, 413, 403, 404, 409, 422)),
    summary="Change or move a finding (409 on a stale version)",
    description="For those who may edit the retrospective (403 for readers). `version` is the version you read: when "
    "the finding was saved since, 409 on `version` whose `current` is the finding as it is (merge, send again). "
    "`position` moves it within its section (no new version). " + LINK_RULE + " " + READ_ONLY_RULE,
)
def change_finding(request, finding_id: Id, payload: FindingPatch):
    finding = finding_detail_or_404(user=request.user, pk=finding_id)
    changes = payload.dict(exclude_unset=True)
    try:
        finding = finding_update(
            finding=finding,
            by=request.user,
            base_version=payload.version,
            text=changes.get("text"),
            section_key=changes.get("section"),
            event_ids=changes.get("events"),
            account_ids=changes.get("accounts"),
        )
        if "position" in changes:
            finding = finding_move(finding=finding, by=request.user, to_position=changes["position"])
    except (ConflictError, ReadOnlyError) as exc:
        field = "version" if isinstance(exc, ConflictError) else "state"
        current = _one(exc.current) if exc.current is not None else _one(finding)
        return Status(409, {"detail": str(exc), "field": field, "current": current})
    return _one(finding)


@router.delete(
    "/findings/{finding_id}",
    response=responses(204, None, errors=(403, 404, 409, 422), overrides=READ_ONLY_409),
    summary="Delete a finding",
    description="For those who may edit the retrospective (403 for readers). Its traces to recommendations go with "
    "it; the others of its section move up. " + READ_ONLY_RULE,
)
def remove_finding(request, finding_id: Id):
    finding = finding_detail_or_404(user=request.user, pk=finding_id)
    finding_delete(finding=finding, by=request.user)  # read-only: api.on_read_only
    return Status(204, None)


@router.get(
    "/retrospectives/{retrospective_id}/untraced",
    response=responses(200, list[UntracedOut], errors=(404, 422)),
    summary="The recommendations not traced to a finding of this retrospective",
    description="The recommendations this retrospective calls for that trace to none of its findings (a "
    "recommendation merged into another is left out), oldest first.",
)
def list_untraced(request, retrospective_id: Id):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    return [_untraced_out(r) for r in untraced_recommendations(retrospective)]
