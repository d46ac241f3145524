"""The write-up checker applied to retrospectives: the organization's and team's settings, sections as input."""

from __future__ import annotations

from collections import Counter

from retrospector.checks import Config, ConfigError, Document, Finding, load_config, run
from retrospector.checks import Section as CheckSection

from .models import Retrospective, Section


def checks_config_for(incident) -> Config:
    """The organization's settings with the team's on top; a broken stored setting falls back to the defaults."""
    config = Config()
    for layer in (incident.organization.checks_config, incident.team.checks_config):
        try:
            config = config.merged(load_config(layer or {}))
        except ConfigError:
            continue
    return config


def _as_check_section(section: Section, body: str | None = None) -> CheckSection:
    return CheckSection(
        section.key, section.title, section.body if body is None else body, required=section.required, kind=section.kind
    )


def retrospective_findings(
    retrospective: Retrospective, sections: list[Section] | None = None, *, replace: dict[str, str] | None = None
) -> list[Finding]:
    """Findings over the whole write-up; `replace` swaps in unsaved text for a section (the editor's draft)."""
    sections = sections if sections is not None else list(retrospective.sections.all())
    replace = replace or {}
    document = Document.from_sections([_as_check_section(s, replace.get(s.key)) for s in sections])
    return run(document, config=checks_config_for(retrospective.incident))


def findings_by_section(findings: list[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.section_key or "", []).append(finding)
    return grouped


def severity_counts(findings: list[Finding]) -> dict[str, int]:
    counts = Counter(f.severity for f in findings)
    return {"error": counts.get("error", 0), "warning": counts.get("warning", 0), "info": counts.get("info", 0)}
