from datetime import datetime
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field, Router, Schema, Status
from pydantic import create_model

from retrospector.accounts.selectors import organization_people_names
from retrospector.checks import ConfigError, Document, load_config, run
from retrospector.checks.catalog import RULES
from retrospector.checks.config import WORD_LISTS
from retrospector.checks.findings import SEVERITIES
from retrospector.writeups.checking import checks_config_for, severity_counts
from retrospector.writeups.checking import retrospective_checks as checks_of
from retrospector.writeups.selectors import retrospective_detail_or_404, template_by_key, template_latest_version
from retrospector.writeups.services import finding_ignore, finding_unignore

from .choices import choices_literal
from .contract import ErrorOut, InSchema, responses
from .types import Id

router = Router(tags=["checks"])


RuleId = choices_literal(RULES)
Level = choices_literal([*SEVERITIES, "off", "none"])
# A phrase in a word list: not blank.
Phrase = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]

CheckWords = create_model(
    "CheckWords",
    __base__=InSchema,
    **{name: (list[Phrase], Field(default_factory=list, max_length=1000)) for name in WORD_LISTS},
)
CheckWords.__doc__ = (
    "Extra phrases: blame (put blame on people), vague (make a recommendation vague), people (names of people), roles "
    "(roles or groups of people), systems (capitalized words that are not people), allow (never reported)."
)


class CheckConfigIn(InSchema):
    disable: list[RuleId] = Field(default_factory=list, description="Rules to switch off.")
    enable: list[RuleId] = Field(default_factory=list, description="Rules to switch on (some are off by default).")
    severity: dict[RuleId, Level] = Field(default_factory=dict, description="A rule's level; off (or none) disables.")
    words: CheckWords | None = None


class CheckIn(InSchema):
    markdown: str = Field(..., max_length=1_000_000, description="A write-up in Markdown, sections as '## ' headings.")
    template: str | None = Field(
        None,
        description="A template key you can use (unknown: 422): its required sections must be filled. Empty or null: "
        "no template.",
    )
    config: CheckConfigIn | None = Field(None, description="Optional tuning: which rules run, how severe, extra words.")


class FindingOut(Schema):
    rule: str
    severity: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    suggestion: str | None
    section_key: str | None


class CheckOut(Schema):
    counts: dict[str, int]
    findings: list[FindingOut]


class IgnoreOut(Schema):
    id: int = Field(..., description="Take the ignore back with DELETE /retrospectives/{id}/checks/ignores/{this id}.")
    by: str | None = Field(..., description="The username of who ignored it (null once that account is deleted).")
    reason: str
    at: datetime


class IgnoreIn(InSchema):
    section: str = Field(
        ...,
        min_length=1,
        max_length=60,
        description="The key of a section of this retrospective, as `section_key` in the findings (unknown: 422).",
    )
    rule: RuleId = Field(..., description="The finding's rule.")
    passage: str = Field(
        "",
        max_length=5000,
        description="The finding's passage, as `passage` in the findings (empty for a finding about a whole section).",
    )
    reason: str = Field(
        ...,
        min_length=1,
        max_length=300,
        pattern=r"\S",
        description="Why the finding is fine here (required, one line).",
    )


class IgnoreRecordOut(Schema):
    id: int
    section: str
    rule: str
    passage: str
    reason: str
    by: str | None
    at: datetime
    taken_back_by: str | None = Field(..., description="Who took the ignore back; null while it stands.")
    taken_back_at: datetime | None


class RetrospectiveFindingOut(FindingOut):
    ignored: bool = Field(
        ...,
        description='An editor chose to leave this finding ("ignore here"): it is not in `counts` and not underlined.',
    )
    ignore: IgnoreOut | None = Field(..., description="Who ignored it, why and when; null when it counts.")
    passage: str = Field(..., description="The Markdown the finding points at: what to send to ignore it.")


class RetrospectiveCheckOut(Schema):
    counts: dict[str, int] = Field(..., description="Findings by severity, the ignored ones left out.")
    ignored: int = Field(..., description="How many findings are ignored.")
    findings: list[RetrospectiveFindingOut]


@router.post(
    "/checks",
    response=responses(200, CheckOut, errors=(400, 413, 403, 422)),
    summary="Check a Markdown write-up for blame, hindsight, vague recommendations…",
)
def check_markdown(request, payload: CheckIn):
    template_sections = None
    if payload.template:
        template = template_by_key(user=request.user, key=payload.template)
        if template is None:
            raise ValidationError({"template": f"Unknown template {payload.template!r}."})
        template_sections = template_latest_version(template).sections
    try:
        config = load_config(payload.config.model_dump(exclude_none=True) if payload.config else {})
    except ConfigError as exc:
        raise ValidationError({"config": str(exc)}) from exc
    document = Document.from_markdown(payload.markdown, template_sections=template_sections)
    # The names of the caller's organization's people count as people (as in the editor).
    findings = run(document, config=config, people=organization_people_names(request.user.organization_id))
    return {"counts": severity_counts(findings), "findings": [f.as_dict() for f in findings]}


@router.get(
    "/retrospectives/{retrospective_id}/checks",
    response=responses(200, RetrospectiveCheckOut, errors=(404, 422)),
    summary="Findings of a retrospective's checks",
    description="Every finding, with whether an editor ignored it (who, why, when). Ignored findings are left out of "
    "`counts`. The organization's people (users, and the actors of the incident's timeline) count as people.",
)
def retrospective_checks(request, retrospective_id: Id):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    checks = checks_of(retrospective)
    return {
        "counts": checks.counts,
        "ignored": checks.ignored_count,
        "findings": [
            {
                **f.finding.as_dict(),
                "ignored": f.ignored,
                "passage": f.passage,
                "ignore": (
                    {
                        "id": f.ignore.pk,
                        "by": f.ignore.ignored_by.username if f.ignore.ignored_by else None,
                        "reason": f.ignore.reason,
                        "at": f.ignore.ignored_at,
                    }
                    if f.ignore
                    else None
                ),
            }
            for f in checks.findings
        ],
    }


def _ignore_out(ignore) -> dict:
    return {
        "id": ignore.pk,
        "section": ignore.section_key,
        "rule": ignore.rule,
        "passage": ignore.passage,
        "reason": ignore.reason,
        "by": ignore.ignored_by.username if ignore.ignored_by else None,
        "at": ignore.ignored_at,
        "taken_back_by": ignore.unignored_by.username if ignore.unignored_by else None,
        "taken_back_at": ignore.unignored_at,
    }


@router.post(
    "/retrospectives/{retrospective_id}/checks/ignores",
    response=responses(201, IgnoreRecordOut, errors=(400, 413, 403, 404, 409, 422), overrides={409: ErrorOut}),
    summary='Ignore a finding here ("ignore here")',
    description="The rule's findings on this passage in this section stop counting, recorded with who, why and when; "
    "everyone who can read the retrospective sees it. Editors only (403 for readers). Ignoring what is already "
    "ignored returns the standing ignore. An unknown section, or a blank reason, is a 422 naming the field; a done "
    "retrospective is read-only (409 on `state`) until it is reopened.",
)
def ignore_finding(request, retrospective_id: Id, payload: IgnoreIn):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    ignore = finding_ignore(
        retrospective=retrospective,
        section_key=payload.section,
        rule=payload.rule,
        passage=payload.passage,
        reason=payload.reason,
        by=request.user,
    )
    return Status(201, _ignore_out(ignore))


@router.delete(
    "/retrospectives/{retrospective_id}/checks/ignores/{ignore_id}",
    response=responses(200, IgnoreRecordOut, errors=(403, 404, 409, 422), overrides={409: ErrorOut}),
    summary="Take an ignore back",
    description="The finding counts again. The ignore stays on record with who took it back and when (taking back "
    "twice changes nothing). Editors only (403 for readers); a done retrospective is read-only (409 on `state`) until "
    "it is reopened.",
)
def unignore_finding(request, retrospective_id: Id, ignore_id: Id):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    ignore = retrospective.finding_ignores.filter(pk=ignore_id).first()
    if ignore is None:
        raise Http404("No such ignored finding in this retrospective.")
    return _ignore_out(finding_unignore(ignore=ignore, by=request.user))


__all__ = ["router", "checks_config_for"]
