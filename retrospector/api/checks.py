from django.core.exceptions import ValidationError
from ninja import Field, Router, Schema

from retrospector.checks import ConfigError, Document, load_config, run
from retrospector.writeups.checking import checks_config_for, retrospective_findings, severity_counts
from retrospector.writeups.selectors import retrospective_detail_or_404, template_by_key, template_latest_version

from .contract import InSchema, responses
from .types import Id

router = Router(tags=["checks"])


class CheckIn(InSchema):
    markdown: str = Field(..., max_length=1_000_000, description="A write-up in Markdown, sections as '## ' headings.")
    template: str | None = Field(
        None,
        description="A template key you can use (unknown: 422): its required sections must be filled. Empty or null: "
        "no template.",
    )
    config: dict | None = Field(
        None,
        description="Optional tuning: {disable: [...], enable: [...], severity: {rule: level}, words: {...}}; an "
        "unknown rule, level or key is a 422 on `config`.",
    )


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


@router.post(
    "/checks",
    response=responses(200, CheckOut, errors=(400, 403, 422)),
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
        config = load_config(payload.config or {})
    except ConfigError as exc:
        raise ValidationError({"config": str(exc)}) from exc
    findings = run(Document.from_markdown(payload.markdown, template_sections=template_sections), config=config)
    return {"counts": severity_counts(findings), "findings": [f.as_dict() for f in findings]}


@router.get(
    "/retrospectives/{retrospective_id}/checks",
    response=responses(200, CheckOut, errors=(404, 422)),
    summary="Findings of a retrospective's checks",
)
def retrospective_checks(request, retrospective_id: Id):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    findings = retrospective_findings(retrospective)
    return {"counts": severity_counts(findings), "findings": [f.as_dict() for f in findings]}


__all__ = ["router", "checks_config_for"]
