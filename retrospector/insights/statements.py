"""Sharing a write-up: its internal summary and customer statement (insights.models.Statement). Reads with the
permission rules built in, every write, the checker's findings, the exports and the published pages' lookups.

Who may do what follows the retrospective: whoever may see it sees its statements; whoever may edit it edits them;
publishing (which shows the text beyond those who may see the incident) needs a member or admin of the incident's
team (or an organization admin)."""

from __future__ import annotations

import hashlib
import html as html_lib
import re
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.text import slugify

from retrospector.accounts.models import User
from retrospector.actions.models import Finding as AnalysisFinding
from retrospector.actions.models import Recommendation
from retrospector.checks import Finding
from retrospector.checks import Section as CheckSection
from retrospector.core.errors import ConflictError, locked
from retrospector.core.markdown import markdown_size_error, render_markdown, restrict_images
from retrospector.core.shortcuts import visible_or_404
from retrospector.incidents.selectors import can_edit_incident
from retrospector.writeups.checking import checks_run_cached, people_for
from retrospector.writeups.exchange import PRINT_CSS
from retrospector.writeups.models import Retrospective
from retrospector.writeups.selectors import can_edit_retrospective, retrospectives_visible_to

from .models import Statement
from .statement_drafts import DraftSource, external_draft, internal_draft, names_in, without_names

SHAREABLE_STATES = (Retrospective.State.APPROVED, Retrospective.State.DONE)
NOT_VISIBLE = "No such statement, or you may not see it."
EDIT_FORBIDDEN = "You can read this statement but not change it: ask an editor of the retrospective."
PUBLISH_FORBIDDEN = "Only members and admins of the incident's team publish its statements."
NOT_SHAREABLE = "Statements are made from an approved or done write-up; this one is {state}."
EXPORT_FORMATS = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}


# --- Reads ----------------------------------------------------------------------------------------------------------


def statements_visible_to(user: User) -> QuerySet[Statement]:
    visible = retrospectives_visible_to(user).filter(pk=OuterRef("retrospective_id"))
    return Statement.objects.filter(Exists(visible))


def _with_details(statements: QuerySet[Statement]) -> QuerySet[Statement]:
    return statements.select_related(
        "retrospective__incident__organization",
        "retrospective__incident__team",
        "retrospective__incident__severity",
        "updated_by",
        "published_by",
        "keep_names_by",
    )


def statement_detail_or_404(*, user: User, pk: int) -> Statement:
    return visible_or_404(_with_details(statements_visible_to(user)), pk, message=NOT_VISIBLE)


def statements_of(retrospective: Retrospective) -> list[Statement]:
    """A retrospective's statements (the caller checked that the reader may see it), internal first. One query."""
    rows = Statement.objects.filter(retrospective=retrospective).select_related(
        "updated_by", "published_by", "keep_names_by"
    )
    return sorted(rows, key=lambda s: Statement.Kind.values.index(s.kind))


def can_edit_statement(user: User, statement: Statement) -> bool:
    return can_edit_retrospective(user, statement.retrospective)


def can_publish_statement(user: User, statement: Statement) -> bool:
    return can_edit_incident(user, statement.retrospective.incident)


def published_internal_or_404(*, user: User, pk: int) -> Statement:
    """A published internal summary, for anyone signed in to the incident's organization (even when the incident is
    private: publishing shows the summary, and only it, to the whole organization)."""
    if not user.is_authenticated:
        raise Http404(NOT_VISIBLE)
    return visible_or_404(
        Statement.objects.select_related("retrospective__incident__organization", "published_by").filter(
            kind=Statement.Kind.INTERNAL,
            published_at__isnull=False,
            retrospective__incident__organization_id=user.organization_id,
        ),
        pk,
        message="No such published summary.",
    )


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def published_external_or_404(*, token: str) -> Statement:
    """The customer statement published under `token`; a wrong, old or revoked token is a 404, at once. Only the
    digest is stored, so the lookup compares digests, never tokens."""
    if not token or len(token) > 100:
        raise Http404("No such statement.")
    found = (
        Statement.objects.select_related("retrospective__incident__organization")
        .filter(kind=Statement.Kind.EXTERNAL, published_at__isnull=False, public_token_digest=token_digest(token))
        .first()
    )
    if found is None:
        raise Http404("No such statement.")
    return found


def statement_findings(statement: Statement, *, people: list[str] | None = None) -> list[Finding]:
    """The write-up checker's findings on the statement's text, with the incident's settings and people (`people`:
    people_for(incident), when the caller read it already)."""
    incident = statement.retrospective.incident
    checked = CheckSection(statement.kind, statement.get_kind_display(), statement.body, required=True, kind="text")
    return checks_run_cached([checked], incident=incident, people=people_for(incident) if people is None else people)


def statement_names(statement: Statement, *, people: list[str] | None = None) -> list[str]:
    """People's names and @handles in a customer statement (none are looked for in the internal summary)."""
    if statement.kind != Statement.Kind.EXTERNAL:
        return []
    return names_in(statement.body, people_for(statement.retrospective.incident) if people is None else people)


# --- Writes ---------------------------------------------------------------------------------------------------------


def _draft_source(retrospective: Retrospective) -> DraftSource:
    incident = retrospective.incident
    sections = {s.key: s.body for s in retrospective.sections.all() if not s.is_empty}
    factors = AnalysisFinding.objects.filter(
        retrospective=retrospective, kind=AnalysisFinding.Kind.CONTRIBUTING_FACTOR
    ).order_by("section_key", "position", "id")
    recommendations = (
        Recommendation.objects.filter(links__retrospective=retrospective, merged_into__isnull=True)
        .order_by("pk")
        .values_list("title", "status")
    )
    return DraftSource(
        incident_title=incident.title,
        severity_key=incident.severity.key,
        severity_name=incident.severity.name,
        started_at=incident.started_at,
        resolved_at=incident.resolved_at,
        services=list(incident.services.values_list("name", flat=True)),
        sections=sections,
        factors=[f.text for f in factors],
        recommendations=list(recommendations),
    )


def statement_draft(*, retrospective: Retrospective, kind: str, keep_names: bool = False) -> str:
    """The first draft of a statement from the write-up as it is now. The customer statement's names of people
    become roles unless `keep_names`."""
    source = _draft_source(retrospective)
    if kind == Statement.Kind.INTERNAL:
        return internal_draft(source)
    draft = external_draft(source)
    return draft if keep_names else without_names(draft, people_for(retrospective.incident))


def _check_size(body: str) -> None:
    if error := markdown_size_error(body):
        raise ValidationError({"body": error})


@transaction.atomic
def statement_create(*, retrospective: Retrospective, kind: str, by: User, keep_names: bool = False) -> Statement:
    if not can_edit_retrospective(by, retrospective):
        raise PermissionDenied(EDIT_FORBIDDEN)
    if kind not in Statement.Kind.values:
        raise ValidationError({"kind": f"Not a kind of statement: {kind!r}."})
    if retrospective.state not in SHAREABLE_STATES:
        raise ValidationError({"kind": NOT_SHAREABLE.format(state=retrospective.get_state_display().lower())})
    # The retrospective's row, locked: two people starting the same statement at once make one, not an error.
    locked(Retrospective.objects.all(), retrospective.pk, of=("self",))
    if Statement.objects.filter(retrospective=retrospective, kind=kind).exists():
        label = Statement.Kind(kind).label.lower()
        raise ValidationError({"kind": f"This retrospective already has its {label}: edit it."})
    keep_names = keep_names and kind == Statement.Kind.EXTERNAL
    body = statement_draft(retrospective=retrospective, kind=kind, keep_names=keep_names)
    now = timezone.now()
    return Statement.objects.create(
        retrospective=retrospective,
        kind=kind,
        body=body,
        html=render_markdown(body),
        keep_names=keep_names,
        keep_names_by=by if keep_names else None,
        keep_names_at=now if keep_names else None,
        created_by=by,
        updated_by=by,
    )


@transaction.atomic
def statement_save(
    *, statement: Statement, by: User, base_version: int, body: str | None = None, keep_names: bool | None = None
) -> Statement:
    """Save the text (and, for a customer statement, whether people's names are kept) only if nobody saved it since
    `base_version`; otherwise ConflictError with the statement as it is now."""
    if not can_edit_statement(by, statement):
        raise PermissionDenied(EDIT_FORBIDDEN)
    current = locked(Statement.objects.select_related("updated_by"), statement.pk, of=("self",))
    if current.version != base_version:
        raise ConflictError(
            f"This {current.get_kind_display().lower()} was saved by someone else since you opened it "
            f"(you edited version {base_version}; it is now version {current.version}).",
            current=current,
        )
    fields = ["version", "updated_by", "updated_at"]
    if body is not None:
        body = body.replace("\r\n", "\n")
        _check_size(body)
        current.body, current.html = body, render_markdown(body)
        fields += ["body", "html"]
    if keep_names is not None and current.kind == Statement.Kind.EXTERNAL and keep_names != current.keep_names:
        current.keep_names = keep_names
        current.keep_names_by, current.keep_names_at = (by, timezone.now()) if keep_names else (None, None)
        fields += ["keep_names", "keep_names_by", "keep_names_at"]
    current.version += 1
    current.updated_by = by
    current.save(update_fields=fields)
    current.retrospective = statement.retrospective
    return current


@transaction.atomic
def statement_publish(*, statement: Statement, by: User, new_link: bool = False) -> tuple[Statement, str | None]:
    """Publish the statement as it is now (readers see this copy until it is published again). A customer statement
    gets a public link the first time, after a revocation, or when `new_link` (the old one stops working): the token
    is returned then, and only then (only its digest is kept). A customer statement that names people is refused
    unless its author chose to keep the names."""
    if not can_publish_statement(by, statement):
        raise PermissionDenied(PUBLISH_FORBIDDEN)
    current = locked(Statement.objects.all(), statement.pk, of=("self",))
    current.retrospective = statement.retrospective
    if current.kind == Statement.Kind.EXTERNAL and not current.keep_names:
        named = statement_names(current)
        if named:
            raise ValidationError(
                {
                    "keep_names": "This customer statement names people ("
                    + ", ".join(named[:5])
                    + (", …" if len(named) > 5 else "")
                    + "): replace them by roles, or keep the names on purpose, then publish."
                }
            )
    token = None
    if current.kind == Statement.Kind.EXTERNAL and (new_link or not current.public_token_digest):
        token = secrets.token_urlsafe(32)
        current.public_token_digest = token_digest(token)
    current.published_body, current.published_html = current.body, current.html
    current.published_version, current.published_at, current.published_by = current.version, timezone.now(), by
    current.save(
        update_fields=[
            "published_body",
            "published_html",
            "published_version",
            "published_at",
            "published_by",
            "public_token_digest",
        ]
    )
    return current, token


@transaction.atomic
def statement_revoke(*, statement: Statement, by: User) -> Statement:
    """Stop publishing, at once: the public link (for good: publishing again makes a new one) or the internal page."""
    if not can_publish_statement(by, statement):
        raise PermissionDenied(PUBLISH_FORBIDDEN)
    current = locked(Statement.objects.all(), statement.pk, of=("self",))
    current.published_body = current.published_html = ""
    current.published_version = current.published_at = current.published_by = None
    current.public_token_digest = None
    current.save(
        update_fields=[
            "published_body",
            "published_html",
            "published_version",
            "published_at",
            "published_by",
            "public_token_digest",
        ]
    )
    current.retrospective = statement.retrospective
    return current


# --- Exports --------------------------------------------------------------------------------------------------------


_SHIFTED_HEADING = re.compile(r"<(/?)h([3-6])(?=[\s>])")


def headings_from(html: str, top: int) -> str:
    """Sanitized statement HTML with its headings moved back up: the renderer makes `#` an h3, for a section inside a
    page; a statement standing alone starts at h`top`."""
    return _SHIFTED_HEADING.sub(lambda m: f"<{m.group(1)}h{int(m.group(2)) - 3 + top}", html)


def standalone_html(*, title: str, html: str, image_hosts, noindex: bool = False) -> str:
    """A whole page around sanitized HTML: the same stylesheet as the write-up's export, nothing else."""
    robots = '<meta name="robots" content="noindex, nofollow">' if noindex else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{robots}<title>{html_lib.escape(title)}</title><style>{PRINT_CSS}</style></head>\n"
        f"<body><main>{headings_from(restrict_images(html, image_hosts), 1)}</main></body></html>\n"
    )


def standalone_csp(image_hosts) -> str:
    hosts = "".join(f" https://{host}" for host in image_hosts)
    return (
        f"default-src 'none'; style-src 'unsafe-inline'; img-src data:{hosts}; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


def statement_export_response(statement: Statement, fmt: str) -> HttpResponse:
    """The statement's current text as a Markdown or HTML download."""
    organization = statement.retrospective.incident.organization
    title = f"{statement.get_kind_display()}: {statement.retrospective.incident.title}"
    if fmt == "md":
        content = statement.body
    else:
        content = standalone_html(title=title, html=statement.html, image_hosts=organization.image_hosts)
    response = HttpResponse(content, content_type=EXPORT_FORMATS[fmt])
    name = f"{statement.kind}-statement-{statement.retrospective_id}-{slugify(statement.retrospective.title)[:50]}"
    response["Content-Disposition"] = f'attachment; filename="{name.rstrip("-")}.{fmt}"'
    if fmt == "html":
        response["Content-Security-Policy"] = standalone_csp(organization.image_hosts)
    return response
