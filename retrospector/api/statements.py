"""Sharing: a retrospective's internal summary and customer statement. GET/POST /api/v1/retrospectives/{id}/statements,
GET/PATCH /api/v1/statements/{id}, POST .../publish and .../revoke, GET .../export. The same services and selectors as
the pages (insights.statements): who may read, edit and publish follows the retrospective."""

from datetime import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from retrospector.core.errors import ConflictError
from retrospector.insights.models import Statement
from retrospector.insights.statements import (
    EDIT_FORBIDDEN,
    statement_create,
    statement_detail_or_404,
    statement_export_response,
    statement_findings,
    statement_names,
    statement_publish,
    statement_revoke,
    statement_save,
    statements_of,
)
from retrospector.writeups.checking import people_for
from retrospector.writeups.selectors import can_edit_retrospective, retrospective_detail_or_404

from .choices import choices_literal
from .contract import InSchema, Omittable, responses
from .types import Id, Version

router = Router(tags=["statements"])

StatementKind = choices_literal(Statement.Kind)
WHO = (
    "Whoever may see the retrospective reads its statements (a private incident of another team: 404); whoever may "
    "edit it edits them (403 for readers)."
)


class StatementFindingOut(Schema):
    rule: str
    severity: str
    line: int
    column: int
    message: str
    suggestion: str | None


class StatementOut(Schema):
    id: int
    retrospective_id: int
    kind: StatementKind = Field(..., description="internal: the summary for the organization; external: for customers.")
    body: str = Field(..., description="Markdown.")
    html: str = Field(..., description="The body rendered and sanitized: safe to insert.")
    version: int = Field(..., description="Send it back as `base_version` to change it.")
    keep_names: bool = Field(..., description="Customer statement: people's names kept on purpose.")
    keep_names_by: str | None
    updated_by: str | None
    updated_at: datetime
    published: bool
    published_at: datetime | None
    published_version: int | None = Field(..., description="The version readers see.")
    unpublished_changes: bool = Field(..., description="Saved since it was published: readers see the older text.")
    published_url: str | None = Field(
        ...,
        description="Internal summary, when published: its page for the organization. A customer statement's public "
        "link is given once, by the publish answer that made it (only a fingerprint of it is kept): null here.",
    )
    names: list[str] = Field(..., description="Customer statement: people's names and @handles still in the text.")
    findings: list[StatementFindingOut] = Field(..., description="The write-up checks on the text.")


class PublishedOut(StatementOut):
    public_url: str | None = Field(
        ..., description="A customer statement's new public link, shown this once; null when the link did not change."
    )


class StatementIn(InSchema):
    kind: StatementKind
    keep_names: bool = Field(
        False,
        description="Customer statement: keep people's names in the draft (recorded). False: every name of a person "
        "and @handle becomes “an engineer”.",
    )


class StatementPatch(InSchema):
    body: str = Omittable(
        description="Markdown, at most 1 MB once encoded in UTF-8 (bigger: 422); left out: unchanged."
    )
    keep_names: bool = Omittable(description="Customer statement: keep people's names (recorded); left out: unchanged.")
    base_version: Version = Field(..., description="The version you edited; a stale one gets 409 with the current one.")


class PublishIn(InSchema):
    new_link: bool = Field(False, description="Customer statement: a new public link; the old one stops at once.")


class ExportQuery(Schema):
    format: Literal["md", "html"] = "md"


def statement_out(statement: Statement, *, people: list[str] | None = None) -> dict:
    people = people_for(statement.retrospective.incident) if people is None else people
    published_url = None
    if statement.is_published and statement.kind == Statement.Kind.INTERNAL:
        published_url = reverse("statement_published", args=[statement.pk])
    return {
        "id": statement.pk,
        "retrospective_id": statement.retrospective_id,
        "kind": statement.kind,
        "body": statement.body,
        "html": statement.html,
        "version": statement.version,
        "keep_names": statement.keep_names,
        "keep_names_by": statement.keep_names_by.username if statement.keep_names_by else None,
        "updated_by": statement.updated_by.username if statement.updated_by else None,
        "updated_at": statement.updated_at,
        "published": statement.is_published,
        "published_at": statement.published_at,
        "published_version": statement.published_version,
        "unpublished_changes": statement.has_unpublished_changes,
        "published_url": published_url,
        "names": statement_names(statement, people=people),
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "line": f.line,
                "column": f.column,
                "message": f.message,
                "suggestion": f.suggestion or None,
            }
            for f in statement_findings(statement, people=people)
        ],
    }


def _reloaded(request, pk: int) -> Statement:
    return statement_detail_or_404(user=request.user, pk=pk)


@router.get(
    "/retrospectives/{retrospective_id}/statements",
    response=responses(200, list[StatementOut], errors=(404, 422)),
    summary="A retrospective's statements",
    description="Its internal summary and customer statement, those drafted (none, one or both). " + WHO,
)
def list_statements(request, retrospective_id: Id):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    statements = statements_of(retrospective)
    people = people_for(retrospective.incident) if statements else []
    for statement in statements:
        statement.retrospective = retrospective
    return [statement_out(s, people=people) for s in statements]


@router.post(
    "/retrospectives/{retrospective_id}/statements",
    response=responses(201, StatementOut, errors=(400, 403, 404, 413, 422)),
    summary="Draft a statement from the write-up",
    description="From an approved or done write-up (otherwise 422 on `kind`); one of each kind (a second: 422). " + WHO,
)
def add_statement(request, retrospective_id: Id, payload: StatementIn):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    if not can_edit_retrospective(request.user, retrospective):
        raise PermissionDenied(EDIT_FORBIDDEN)
    statement = statement_create(
        retrospective=retrospective, kind=payload.kind, keep_names=payload.keep_names, by=request.user
    )
    return Status(201, statement_out(_reloaded(request, statement.pk)))


@router.get(
    "/statements/{statement_id}",
    response=responses(200, StatementOut, errors=(404, 422)),
    summary="A statement, with the checks' findings",
    description=WHO,
)
def get_statement(request, statement_id: Id):
    return statement_out(_reloaded(request, statement_id))


@router.patch(
    "/statements/{statement_id}",
    response=responses(200, StatementOut, errors=(400, 403, 404, 409, 413, 422)),
    summary="Change a statement (409 on a stale base_version)",
    description="When someone saved it since `base_version`, 409 on `base_version` whose `current` is the statement "
    "as it is now (merge, send again). " + WHO,
)
def change_statement(request, statement_id: Id, payload: StatementPatch):
    statement = _reloaded(request, statement_id)
    changes = payload.dict(exclude_unset=True)
    try:
        statement_save(
            statement=statement,
            by=request.user,
            base_version=payload.base_version,
            body=changes.get("body"),
            keep_names=changes.get("keep_names"),
        )
    except ConflictError as exc:
        current = statement_out(_reloaded(request, statement_id))
        return Status(409, {"detail": str(exc), "field": "base_version", "current": current})
    return statement_out(_reloaded(request, statement_id))


@router.post(
    "/statements/{statement_id}/publish",
    response=responses(200, PublishedOut, errors=(400, 403, 404, 413, 422)),
    summary="Publish a statement as it is now",
    description="Readers see this copy until it is published again. Internal summary: readable by everyone in the "
    "organization (even when the incident is private; only the summary). Customer statement: at a public link, no "
    "sign-in; `public_url` holds a new link the first time, after a revocation or with `new_link`. A customer "
    "statement that still names people is refused (422 on `keep_names`) unless the names are kept on purpose. "
    "Members and admins of the incident's team only (403 for others).",
)
def publish_statement(request, statement_id: Id, payload: PublishIn):
    statement = _reloaded(request, statement_id)
    statement, token = statement_publish(statement=statement, by=request.user, new_link=payload.new_link)
    out = statement_out(_reloaded(request, statement_id))
    out["public_url"] = request.build_absolute_uri(reverse("statement_public", args=[token])) if token else None
    return out


@router.post(
    "/statements/{statement_id}/revoke",
    response=responses(200, StatementOut, errors=(403, 404, 422)),
    summary="Stop publishing a statement, at once",
    description="The public link (or the organization's page) answers 404 from now on; publishing again makes a new "
    "link. Members and admins of the incident's team only (403 for others).",
)
def revoke_statement(request, statement_id: Id):
    statement_revoke(statement=_reloaded(request, statement_id), by=request.user)
    return statement_out(_reloaded(request, statement_id))


@router.get(
    "/statements/{statement_id}/export",
    response=responses(200, None, errors=(404, 422)),
    summary="Download a statement as Markdown or HTML",
)
def export_statement(request, statement_id: Id, query: Query[ExportQuery]):
    return statement_export_response(_reloaded(request, statement_id), query.format)
