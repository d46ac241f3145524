"""The write-up checker applied to retrospectives: the organization's and team's settings, the people it knows,
sections as input."""

from __future__ import annotations

from collections import Counter

from retrospector.accounts.selectors import organization_people_names
from retrospector.checks import Config, ConfigError, Document, Finding, load_config, run
from retrospector.checks import Section as CheckSection
from retrospector.timeline.selectors import timeline_people

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


def people_for(incident) -> list[str]:
    """The names the checks count as people for an incident's write-up: the organization's users (their usernames,
    first, last and full names; responders and invitees are among them) and the people acting in the incident's
    timeline (names and chat handles from imports). Two queries at most, however many people; the second is cached
    until the timeline changes."""
    return organization_people_names(incident.organization_id) + timeline_people(incident)


def _as_check_section(section: Section, body: str | None = None) -> CheckSection:
    return CheckSection(
        section.key, section.title, section.body if body is None else body, required=section.required, kind=section.kind
    )


def retrospective_findings(
    retrospective: Retrospective,
    sections: list[Section] | None = None,
    *,
    replace: dict[str, str] | None = None,
    people: list[str] | None = None,
) -> list[Finding]:
    """Findings over the whole write-up; `replace` swaps in unsaved text for a section (the editor's draft)."""
    sections = sections if sections is not None else list(retrospective.sections.all())
    replace = replace or {}
    document = Document.from_sections([_as_check_section(s, replace.get(s.key)) for s in sections])
    incident = retrospective.incident
    return run(document, config=checks_config_for(incident), people=people_for(incident) if people is None else people)


def findings_by_section(findings: list[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.section_key or "", []).append(finding)
    return grouped


def severity_counts(findings: list[Finding]) -> dict[str, int]:
    counts = Counter(f.severity for f in findings)
    return {"error": counts.get("error", 0), "warning": counts.get("warning", 0), "info": counts.get("info", 0)}
