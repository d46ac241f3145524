"""The write-up checker applied to retrospectives: the organization's and team's settings, the people it knows,
sections as input, findings left on purpose ("ignore here"), and findings marked in a section's rendered text."""

from __future__ import annotations

import hashlib
import html as html_lib
import json
from collections import Counter
from dataclasses import dataclass, field

from django.core.cache import cache

from retrospector.accounts.selectors import organization_people_names
from retrospector.checks import RULES, Config, ConfigError, Document, Finding, load_config, run
from retrospector.checks import Section as CheckSection
from retrospector.core.markdown import render_markdown_with_source_lines, strip_source_lines
from retrospector.core.markdown_marks import Passage, line_starts, mark_passages
from retrospector.timeline.selectors import timeline_people

from .models import FindingIgnore, Retrospective, Section


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
    checked = [_as_check_section(s, replace.get(s.key)) for s in sections]
    incident = retrospective.incident
    return checks_run_cached(checked, incident=incident, people=people_for(incident) if people is None else people)


def checks_run_cached(sections: list[CheckSection], *, incident, people: list[str]) -> list[Finding]:
    """The checker's findings on `sections` with the incident's settings, cached by everything they depend on (the
    sections as checked, the organization's and team's settings, the people): pages read them on every view, and a
    long write-up takes milliseconds to check."""
    layers = [incident.organization.checks_config, incident.team.checks_config]
    checked = [(s.key, s.title, s.body, s.required, s.kind) for s in sections]
    digest = hashlib.sha256(json.dumps([checked, layers, people], sort_keys=True, default=str).encode()).hexdigest()
    key = f"findings:{digest}"
    found = cache.get(key)
    if found is None:
        found = run(Document.from_sections(sections), config=checks_config_for(incident), people=people)
        cache.set(key, found, timeout=3600)
    return found


# --- Findings as the pages show them --------------------------------------------------------


def finding_span(body: str, finding: Finding, starts: list[int] | None = None) -> tuple[int, int]:
    """[start, end) offsets in the section body of what a finding points at; empty for a finding about the whole
    section (placed on its heading)."""
    starts = starts if starts is not None else line_starts(body)

    def offset(line: int, column: int) -> int:
        if line < 1 or line > len(starts):
            return len(body)
        return min(len(body), starts[line - 1] + max(0, column - 1))

    start, end = offset(finding.line, finding.column), offset(finding.end_line, finding.end_column)
    return (start, end) if end > start else (start, start)


@dataclass
class ShownFinding:
    """A finding with what the pages need around it: the passage it points at (the key of an ignore), the ignore that
    silences it, and where it is marked in the text."""

    finding: Finding
    number: int  # its place among its section's findings, for ids
    start: int = 0
    end: int = 0
    passage: str = ""
    ignore: FindingIgnore | None = None
    marked: bool = False

    rule = property(lambda self: self.finding.rule)
    severity = property(lambda self: self.finding.severity)
    line = property(lambda self: self.finding.line)
    column = property(lambda self: self.finding.column)
    message = property(lambda self: self.finding.message)
    suggestion = property(lambda self: self.finding.suggestion)

    @property
    def section_key(self) -> str:
        return self.finding.section_key or ""

    @property
    def ignored(self) -> bool:
        return self.ignore is not None

    @property
    def anchor(self) -> str:
        return f"mark-{self.section_key}-{self.number}"

    @property
    def number_text(self) -> str:
        return str(self.number)

    @property
    def text_id(self) -> str:
        """The id of its entry's text in the list of findings: what its mark in the text is described by."""
        return f"finding-{self.section_key}-{self.number}-text"

    @property
    def title(self) -> str:
        rule = RULES.get(self.rule)
        return rule.title if rule else self.rule


@dataclass
class RetrospectiveChecks:
    """Every finding of a retrospective (ignored ones included, marked as such) and its ignores, standing and taken
    back."""

    findings: list[ShownFinding]
    ignores: list[FindingIgnore] = field(default_factory=list)
    section_titles: dict[str, str] = field(default_factory=dict)

    @property
    def counted(self) -> list[ShownFinding]:
        return [f for f in self.findings if not f.ignored]

    @property
    def errors_besides_empty_sections(self) -> list[ShownFinding]:
        """The counted errors, without the "section-empty" rule's: the pages that say what stops a retrospective
        (sending it for review, its final approval) list its empty required sections once, themselves."""
        return [f for f in self.counted if f.severity == "error" and f.rule != "section-empty"]

    def where(self, finding: ShownFinding) -> str:
        """The title of the finding's section ("Whole write-up" for a finding about the whole)."""
        return self.section_titles.get(finding.section_key, "Whole write-up")

    def for_section(self, key: str) -> list[ShownFinding]:
        return [f for f in self.findings if f.section_key == key]

    def counted_in(self, key: str) -> int:
        return sum(1 for f in self.findings if f.section_key == key and not f.ignored)

    @property
    def counts(self) -> dict[str, int]:
        return severity_counts(self.counted)

    @property
    def ignored_count(self) -> int:
        return sum(1 for f in self.findings if f.ignored)

    @property
    def standing_ignores(self) -> list[FindingIgnore]:
        return [i for i in self.ignores if i.unignored_at is None]

    @property
    def past_ignores(self) -> list[FindingIgnore]:
        return [i for i in self.ignores if i.unignored_at is not None]

    def ignore_rows(self) -> list[dict]:
        """The standing ignores for the reviewers' list: with the section's title and whether the words are still
        found."""
        still = {(f.section_key, f.rule, f.passage[: FindingIgnore.PASSAGE_MAX]) for f in self.findings if f.ignored}
        return [
            {
                "ignore": i,
                "section_title": self.section_titles.get(i.section_key, i.section_key),
                "current": (i.section_key, i.rule, i.passage) in still,
            }
            for i in self.standing_ignores
        ]

    def past_rows(self) -> list[dict]:
        """The ignores taken back, for the same list's history."""
        return [
            {"ignore": i, "section_title": self.section_titles.get(i.section_key, i.section_key)}
            for i in self.past_ignores
        ]


def retrospective_checks(
    retrospective: Retrospective,
    sections: list[Section] | None = None,
    *,
    replace: dict[str, str] | None = None,
    ignores: list[FindingIgnore] | None = None,
) -> RetrospectiveChecks:
    """The findings of a retrospective (or of its drafts, with `replace`), each with its passage and its ignore."""
    sections = sections if sections is not None else list(retrospective.sections.all())
    replace = replace or {}
    bodies = {s.key: replace.get(s.key, s.body) for s in sections}
    if ignores is None:
        ignores = list(retrospective.finding_ignores.select_related("ignored_by", "unignored_by"))
    standing = {(i.section_key, i.rule, i.passage): i for i in ignores if i.unignored_at is None}
    starts: dict[str, list[int]] = {}
    numbers: Counter = Counter()
    shown = []
    for finding in retrospective_findings(retrospective, sections, replace=replace):
        key = finding.section_key or ""
        body = bodies.get(key, "")
        if key not in starts:
            starts[key] = line_starts(body)
        start, end = finding_span(body, finding, starts[key])
        passage = body[start:end]
        item = ShownFinding(finding, numbers[key], start, end, passage)
        item.ignore = standing.get((key, finding.rule, passage[: FindingIgnore.PASSAGE_MAX]))
        numbers[key] += 1
        shown.append(item)
    return RetrospectiveChecks(shown, ignores, {s.key: s.title for s in sections})


def severity_counts(findings) -> dict[str, int]:
    counts = Counter(f.severity for f in findings)
    return {"error": counts.get("error", 0), "warning": counts.get("warning", 0), "info": counts.get("info", 0)}


# --- Findings marked in the text ------------------------------------------------------------


def _mark(finding: ShownFinding, first: bool, inner: str) -> str:
    """A finding's passage, underlined. The tooltip is the mark's own generated content (data-tip, shown under the
    line on hover and focus), so the text of the section stays its text; the first piece of a passage is focusable and
    described by the finding's entry in the list of findings (rule, message, suggestion)."""
    tip = f"{finding.severity.capitalize()} · {finding.rule}: {finding.message}"
    if finding.suggestion:
        tip += f"\nTry: {finding.suggestion}"
    attributes = f'class="finding-mark finding-{html_lib.escape(finding.severity)}" data-tip="{html_lib.escape(tip)}"'
    if first:
        anchor = html_lib.escape(finding.anchor)
        attributes += f' id="{anchor}" tabindex="0" aria-describedby="{html_lib.escape(finding.text_id)}"'
    return f"<mark {attributes}>{inner}</mark>"


def marked_html(body: str, findings: list[ShownFinding]) -> str | None:
    """The section body rendered with each counted finding's passage marked (and the findings marked set so); None
    when no finding has a passage to mark (the stored rendering serves). Cached by the text and the findings."""
    markable = [f for f in findings if not f.ignored and f.end > f.start]
    if not markable:
        return None
    digest = hashlib.sha256(body.encode("utf-8", "surrogatepass"))
    for f in markable:
        digest.update(
            repr((f.section_key, f.number, f.start, f.end, f.rule, f.severity, f.message, f.suggestion)).encode()
        )
    key = f"marked-section:{digest.hexdigest()}"
    cached = cache.get(key)
    if cached is None:
        html, found = mark_passages(
            render_markdown_with_source_lines(body),
            body,
            [Passage(f.start, f.end) for f in markable],
            lambda index, first, inner: _mark(markable[index], first, inner),
        )
        cached = (strip_source_lines(html), sorted(markable[i].number for i in found))
        cache.set(key, cached, timeout=3600)
    html, found_numbers = cached
    found_set = set(found_numbers)
    for f in markable:
        f.marked = f.number in found_set
    return html
