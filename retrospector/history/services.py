"""Every write of the history import: past postmortems (files, folders, zips) saved as incidents with done, read-only
write-ups, their timelines and their action items as recommendations, each file all or nothing, with a report.

The files are read and understood by retrospector.importers.history (pure Python); this module decides what each
record becomes here and saves it. One copy of the input rules (history_options_parse) serves the command, the page
and the API."""

from __future__ import annotations

import hashlib
import os
import re
import time
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path, PurePosixPath
from types import SimpleNamespace

import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from retrospector.accounts.models import Role, Team, User
from retrospector.accounts.selectors import has_team_role, organization_people_names
from retrospector.actions.models import Recommendation, RecommendationChange, RecommendationLink
from retrospector.checks import Config as CheckConfig
from retrospector.checks import Document
from retrospector.checks import Section as CheckSection
from retrospector.checks import run as checks_run
from retrospector.core.markdown import markdown_size_error, render_markdown
from retrospector.core.text import single_line, strip_bidi_controls
from retrospector.core.untrusted import http_url
from retrospector.importers.history.files import InputFile, iter_inputs
from retrospector.importers.history.reading import read_input, unreadable
from retrospector.importers.history.understand import DATE_ORDERS, HistoryRecord, TemplateOutline, understand
from retrospector.incidents.models import Incident, Service, SeverityLevel
from retrospector.incidents.services import severity_levels_ensure_defaults
from retrospector.insights import cached as insights_cache
from retrospector.insights.indexing import search_index_add, search_index_remove, search_index_update
from retrospector.timeline.fastpath import events_insert_fast
from retrospector.timeline.models import ImportRecord, TimelineEvent
from retrospector.writeups.checking import checks_config_for
from retrospector.writeups.models import Retrospective, Revision, Section, StateChange, Template, TemplateVersion
from retrospector.writeups.services import section_body_fields

from .fastpath import rows_insert
from .models import HistoryImport, ImportedWriteup

# What a batch hands to the search index: rows made (added in bulk), rows changed (updated), events gone.
INDEX_KINDS = ("incident", "section", "event", "changed_incident", "changed_section", "gone_events")
SOURCE_TYPE = "history"  # the timeline events' source_type
BATCH = 50  # files saved per transaction (each in its own savepoint): a failed file rolls back alone
MAX_MAPPING_BYTES = 256 * 1024
FINDINGS_LISTED = 20  # the checker's findings listed per file in the report (all are counted)


# --- The options: one copy of the rules for the command, the page and the API -----------------------


@dataclass(frozen=True)
class HistoryOptions:
    team: Team
    by: User
    tz: str | None = None
    mapping: dict | None = None
    visibility: str = Incident.Visibility.ORGANIZATION
    dry_run: bool = False
    # What an action item becomes when its write-up gives it no status (no checkbox, no status column or word).
    action_status: str = "planned"

    def as_json(self) -> dict:
        return {
            "tz": self.tz,
            "mapping": self.mapping,
            "visibility": self.visibility,
            "action_status": self.action_status,
        }


# The statuses an action item without one may be given (--action-status), with what each means (the page's choices).
ACTION_STATUSES = {
    "planned": "Planned (open, to follow up)",
    "done": "Done (carried out)",
    "dropped": "Dropped (out of the open list)",
}


def mapping_parse(text: str, *, name: str = "mapping") -> dict:
    """A mapping file (YAML or JSON: JSON is YAML) as a dict; ValidationError naming the file and line otherwise."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_MAPPING_BYTES:
        raise ValidationError({"mapping": f"{name} is larger than {MAX_MAPPING_BYTES // 1024} KB."})
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ValidationError({"mapping": f"{name}{where}: not YAML or JSON ({getattr(exc, 'problem', None) or exc})."})
    except (ValueError, OverflowError, TypeError, RecursionError) as exc:  # "started_at: 2021-02-30"
        raise ValidationError({"mapping": f"{name}: a value cannot be read ({exc})."})
    if not isinstance(data, dict):
        raise ValidationError({"mapping": f"{name}: give keys and values (template, sections, fields, dates)."})
    unknown = sorted(set(map(str, data)) - {"template", "sections", "fields", "dates"})
    if unknown:
        raise ValidationError(
            {
                "mapping": f"{name}: unknown key {', '.join(map(repr, unknown))}; the keys: template, sections, "
                "fields, dates."
            }
        )
    if data.get("dates") is not None and data["dates"] not in DATE_ORDERS:
        raise ValidationError({"mapping": f"{name}: dates must be {' or '.join(DATE_ORDERS)}."})
    for key in ("sections", "fields"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise ValidationError({"mapping": f"{name}: {key} must map names to values."})
    if data.get("template") is not None and not isinstance(data["template"], str):
        raise ValidationError({"mapping": f"{name}: template must be a template key, e.g. postmortem."})
    return data


def history_options_parse(
    *,
    by: User,
    team: Team | None,
    tz: str | None = None,
    mapping_text: str | None = None,
    mapping_name: str = "mapping",
    visibility: str | None = None,
    dry_run: bool = False,
    action_status: str | None = None,
    dates: str | None = None,
) -> HistoryOptions:
    """Check what a person asked for; ValidationError by field, PermissionDenied when they may not import here."""
    if team is None:
        raise ValidationError({"team": "Say which team the history belongs to."})
    history_permission_check(by=by, team=team)
    tz = (tz or "").strip() or None
    if tz is not None:
        try:
            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"tz": f"{tz!r} is not a time zone; give one like Europe/Paris or UTC."})
    mapping = mapping_parse(mapping_text, name=mapping_name) if mapping_text is not None else None
    if dates:
        if dates not in DATE_ORDERS:
            raise ValidationError({"dates": f"{dates!r}: give {' or '.join(DATE_ORDERS)}."})
        mapping = {**(mapping or {}), "dates": dates}  # over the mapping file's
    if mapping and mapping.get("template") and not _templates_named(team, [mapping["template"]]):
        raise ValidationError({"mapping": f"{mapping_name}: there is no template {mapping['template']!r}."})
    visibility = visibility or Incident.Visibility.ORGANIZATION
    if visibility not in Incident.Visibility.values:
        raise ValidationError({"visibility": f"Give one of: {', '.join(Incident.Visibility.values)}."})
    action_status = (action_status or "").strip() or "planned"
    if action_status not in ACTION_STATUSES:
        raise ValidationError({"action_status": f"{action_status!r}: give one of {', '.join(ACTION_STATUSES)}."})
    return HistoryOptions(
        team=team,
        by=by,
        tz=tz,
        mapping=mapping,
        visibility=visibility,
        dry_run=dry_run,
        action_status=action_status,
    )


def history_permission_check(*, by: User, team: Team) -> None:
    if not (
        by.is_authenticated
        and by.organization_id == team.organization_id
        and (by.is_org_admin or has_team_role(by, team.pk, Role.MEMBER))
    ):
        raise PermissionDenied("Only members of the team (and organization admins) import its history.")


def _templates_named(team: Team, keys: Iterable[str]) -> list[Template]:
    return list(
        Template.objects.filter(Q(organization__isnull=True) | Q(organization_id=team.organization_id), key__in=keys)
        .filter(Q(team__isnull=True) | Q(team=team))
        .order_by("is_builtin")
        .prefetch_related("versions")
    )


# --- Reading: files in, records out (no database) ------------------------------------------------


@dataclass
class Source:
    """One file to import: where it was found, the key it is known by, and what was read from it."""

    path: str  # as found (shown in the report)
    key: str  # its path inside what was given: the identity of an imported file for its team
    format: str
    checksum: str
    record: HistoryRecord | None  # None when the file could not be read, or was not read again (unchanged)
    problems: list[dict] = field(default_factory=list)
    parse_seconds: float = 0.0
    unchanged: bool = False  # the same bytes at the same place as a write-up the team imported: not read again


def source_key(given: str, item: InputFile) -> str:
    """The file's path inside what was given: a folder's files relative to it, a zip's members by their names, a file
    by its name; so the same history imported from another place (or uploaded as a zip of it) is known again."""
    if item.container is not None:
        return str(PurePosixPath(item.path))[:500]
    if item.path == given:  # a file given by itself, or uploaded alone: its name
        return Path(item.path).name[:500]
    try:
        relative = Path(item.path).relative_to(Path(given))  # a folder's file (the walk yields paths under it)
    except ValueError:
        relative = Path(item.path).name
    return PurePosixPath(*Path(relative).parts).as_posix()[:500] or Path(item.path).name


def sources_read(
    inputs: Iterable[tuple[str, InputFile]],
    *,
    templates: tuple[TemplateOutline, ...],
    options: HistoryOptions,
    imported: frozenset[tuple[str, str]] = frozenset(),
) -> Iterator[Source]:
    """Each input read and understood; one whose (place, checksum) is in `imported` (the team's imported write-ups)
    is not read again: importing a big history again reads only what is new or changed."""
    for given, item in inputs:
        started = time.perf_counter()
        key = source_key(given, item)
        if item.problem is None and repository_file(given, item):
            note = "a repository's own file (licence, read-me), not a write-up"
            problems = [_problem(item.path, None, note, "skipped; give its path alone to import it")]
            yield Source(item.path, key, item.format or "", "", None, problems, 0.0)
            continue
        if imported and item.problem is None and item.data is not None:
            checksum = hashlib.sha256(item.data).hexdigest()
            if (key, checksum) in imported:
                seconds = time.perf_counter() - started
                yield Source(item.path, key, item.format or "markdown", checksum, None, [], seconds, unchanged=True)
                continue
        doc = read_input(item)
        if unreadable(doc):
            problems = [_problem(item.path, p.line, p.message, "skipped", offset=p.offset) for p in doc.problems]
            yield Source(item.path, key, doc.format, doc.checksum, None, problems, time.perf_counter() - started)
            continue
        record = understand(doc, templates=templates, default_tz=options.tz, mapping=options.mapping)
        problems = [_problem(item.path, p.line, p.message, "read around it", offset=p.offset) for p in doc.problems]
        problems += [_problem(p.path, p.line, p.message, p.action) for p in record.problems]
        yield Source(item.path, key, doc.format, doc.checksum, record, problems, time.perf_counter() - started)


# A repository's own files, found beside the write-ups in a folder or a zip: not write-ups (named alone, one is read).
REPOSITORY_FILE_RE = re.compile(
    r"^(LICEN[CS]E|COPYING|NOTICE|README|CONTRIBUTING|CODE_OF_CONDUCT|CHANGELOG|SECURITY|CODEOWNERS|SOURCES)"
    r"([._-][\w.-]*)?$",
    re.IGNORECASE,
)


def inputs_from_paths(paths: Iterable[str]) -> Iterator[tuple[str, InputFile]]:
    for given in paths:
        for item in iter_inputs([given]):
            yield str(given), item


def repository_file(given: str, item: InputFile) -> bool:
    """A LICENSE, README... found inside a folder or a zip (not given by name)."""
    inside = item.container is not None or Path(item.path) != Path(given)
    return inside and bool(REPOSITORY_FILE_RE.match(PurePosixPath(item.path).name))


def _problem(path: str, line: int | None, message: str, action: str, *, offset: int | None = None) -> dict:
    out = {"file": path, "line": line, "message": message, "action": action}
    if offset is not None:
        out["offset"] = offset
    return out


def template_versions(team: Team, mapping: dict | None) -> dict[str, TemplateVersion]:
    """The latest version of every built-in template, plus of the template the mapping names (the team's or the
    organization's own, when it has one of that key), by key: the mapping's first, then in key order, so a document
    matching two equally goes to the same one on every database. What documents are matched against and saved on."""
    wanted = mapping.get("template") if mapping else None
    keys = set(Template.objects.filter(is_builtin=True).values_list("key", flat=True))
    named = _templates_named(team, keys | ({wanted} if wanted else set()))
    templates = [t for t in named if t.is_builtin or t.key == wanted]
    versions: dict[str, TemplateVersion] = {}
    for template in sorted(templates, key=lambda t: (not t.is_builtin if t.key != wanted else -1, t.key)):
        versions.setdefault(template.key, max(template.versions.all(), key=lambda v: v.number))
    return versions


def template_outlines(versions: dict[str, TemplateVersion]) -> tuple[TemplateOutline, ...]:
    return tuple(
        TemplateOutline(key, version.name, tuple((s["key"], s["title"]) for s in version.sections))
        for key, version in versions.items()
    )


# --- Deciding what a record becomes ---------------------------------------------------------------


@dataclass
class PlannedSection:
    key: str
    title: str
    kind: str
    required: bool
    guidance: str
    body: str
    source_titles: list[str]
    html: str | None = None  # rendered ahead (by a reading process), else when saved


@dataclass
class Plan:
    title: str
    external_id: str
    started_at: datetime
    resolved_at: datetime | None
    severity: SeverityLevel
    services: list[str]
    summary: str
    template_version: object
    sections: list[PlannedSection]
    events: list[tuple]
    recommendations: list[dict]
    problems: list[dict]
    milestones: dict[str, datetime] = field(default_factory=dict)  # detected_at, acknowledged_at, mitigated_at


MILESTONE_WORDS = {"detected_at": "detection", "acknowledged_at": "acknowledgement", "mitigated_at": "mitigation"}
_SLUG_RE = re.compile(r"[^a-z0-9]+")


def _slug(title: str, taken: set[str]) -> str:
    base = _SLUG_RE.sub("-", title.casefold()).strip("-")[:50] or "section"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}"[:60], n + 1
    taken.add(key)
    return key


def _aware(value, zone_name: str | None) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        zone = zoneinfo.ZoneInfo(zone_name) if zone_name else UTC
        return datetime(value.year, value.month, value.day, tzinfo=zone)
    return None


_SEVERITY_DIGIT = re.compile(r"(\d)")


def severity_for(text: str, levels: list[SeverityLevel]) -> SeverityLevel | None:
    """The organization's level a written severity names: its key or name ("SEV2", "sev 2"), else its rank from a
    digit ("P1", "Severity 3", "S2"), else a word (critical, major, minor)."""
    norm = re.sub(r"[\s_-]+", "", text.casefold())
    for level in levels:
        if norm in (re.sub(r"[\s_-]+", "", level.key.casefold()), re.sub(r"[\s_-]+", "", level.name.casefold())):
            return level
    ranks = {level.rank: level for level in levels}
    if m := _SEVERITY_DIGIT.search(norm):
        rank = int(m.group(1))
        return ranks.get(rank) or ranks.get(rank + 1)  # "SEV0" where the scale starts at 1
    words = {"critical": 1, "high": 2, "major": 2, "medium": 3, "moderate": 3, "low": 4, "minor": 4}
    for word, rank in words.items():
        if word in norm:
            ordered = sorted(levels, key=lambda level: level.rank)
            return ordered[min(rank, len(ordered)) - 1] if ordered else None
    return None


def status_unstated(item) -> bool:
    """The write-up gives this action item no status: no checkbox, no status column or word."""
    return item.done is None and not item.status.strip()


def _status_of(item, unstated: str = Recommendation.Status.PLANNED) -> str:
    if status_unstated(item):
        return unstated
    text = item.status.casefold()
    if item.done or re.search(r"\b(done|complete|completed|closed|fixed|resolved|finished|shipped|merged)\b", text):
        return Recommendation.Status.DONE
    if re.search(r"won.?t|wontfix|drop|cancel|rejected|not doing|obsolete", text):
        return Recommendation.Status.DROPPED
    if re.search(r"progress|started|doing|ongoing|review", text):
        return Recommendation.Status.IN_PROGRESS
    return Recommendation.Status.PLANNED


def plan_record(
    source: Source,
    *,
    levels: list[SeverityLevel],
    versions: dict,
    now: datetime,
    action_status: str = Recommendation.Status.PLANNED,
) -> Plan:
    """What the record becomes (raises ValidationError naming the field when it cannot be saved whole);
    `action_status` is what an action item whose write-up gives it no status becomes."""
    record = source.record
    problems: list[dict] = []

    def problem(line, message, action):
        problems.append(_problem(source.path, line, message, action))

    title = single_line(str(record.title.value)) if record.title and record.title.value else ""
    if not title:
        title = Path(source.path).stem or source.key
        problem(None, "no title was found", f"the file name was used: {title!r}")
    started = _aware(record.started_at.value, record.timezone) if record.started_at else None
    if started is None:
        started = now
        problem(None, "no start date was found", "the incident is dated at the time of the import; edit it")
    resolved = _aware(record.ended_at.value, record.timezone) if record.ended_at else None
    if resolved is None and record.duration is not None and isinstance(record.duration.value, timedelta):
        resolved = started + record.duration.value
    if resolved is not None and resolved < started:
        line = record.ended_at.line if record.ended_at else None
        problem(line, "the end is before the start", "the end was left out")
        resolved = None
    milestones = {}
    for moment, found in record.milestones.items():
        at = _aware(found.value, record.timezone)
        word = MILESTONE_WORDS[moment]
        if at is None:
            continue
        if at < started or (resolved is not None and at > resolved):
            where = "before the start" if at < started else "after the end"
            problem(found.line, f"the {word} time “{found.original[:80]}” is {where}", "it was left out")
            continue
        milestones[moment] = at
    severity = None
    if record.severity is not None and str(record.severity.value).strip():
        severity = severity_for(str(record.severity.value), levels)
        if severity is None:
            fallback = levels[-1]
            problem(
                record.severity.line,
                f"the severity {str(record.severity.value)[:40]!r} is not one of the organization's levels",
                f"set to {fallback.key}",
            )
            severity = fallback
    severity = severity or levels[-1]
    services = [single_line(s)[:100] for s in (record.services.value if record.services else ()) if single_line(s)]

    version = versions.get(record.template_key or "postmortem") or versions["postmortem"]
    specs = {spec["key"]: spec for spec in version.sections}
    taken = set(specs)
    planned: dict[str, PlannedSection] = {}
    if record.preamble.strip():
        key = "summary" if "summary" in specs and not any(s.key == "summary" for s in record.sections) else None
        spec = specs.get(key, {}) if key else {}
        key = key or _slug("Introduction", taken)
        planned[key] = PlannedSection(
            key,
            spec.get("title", "Introduction"),
            spec.get("kind", "text"),
            spec.get("required", False),
            spec.get("guidance", ""),
            record.preamble.strip(),
            ["(before the first heading)"],
        )
    for section in record.sections:
        body = section.text.strip()
        key = section.key if section.key in specs else None
        if key is not None and key in planned:  # several headings matched one template section: merged, in order
            merged = planned[key]
            merged.body = f"{merged.body}\n\n### {single_line(section.title)}\n\n{body}".strip()
            merged.source_titles.append(section.title)
            continue
        spec = specs.get(key, {}) if key else {}
        key = key or _slug(section.title, taken)
        title_text = single_line(section.title)[:200] or spec.get("title", key)
        planned[key] = PlannedSection(
            key,
            title_text,
            spec.get("kind", "text"),
            spec.get("required", False),
            spec.get("guidance", ""),
            body,
            [section.title],
        )
    for section in planned.values():
        if error := markdown_size_error(section.body):
            raise ValidationError({f"section {section.title!r}": error})

    events, seen = [], Counter()
    for position, event in enumerate(record.events):
        if event.at is None:
            continue
        digest = hashlib.sha1(event.original.encode("utf-8", "surrogatepass")).hexdigest()[:20]
        seen[digest] += 1
        offset = event.at.utcoffset()
        events.append(
            (
                event.at.astimezone(UTC),
                strip_bidi_controls(single_line(event.original))[:100],
                int(offset.total_seconds() // 60) if offset is not None else None,
                "",
                TimelineEvent.ActorKind.PERSON,
                event.text or event.original,
                TimelineEvent.Kind.NOTE,
                f"{source.key}#{digest}:{seen[digest]}"[:500],
                "",
                "",
                "",
                position,
                False,
                False,
                False,
                [],
                [],
            )
        )
    recommendations = []
    for item in record.action_items:
        text = single_line(item.text)
        if not text:
            continue
        refs = item.refs
        first_url = next((http_url(ref.url) for ref in refs if http_url(ref.url)), "")
        lines = [f"Imported from {source.key}, line {item.line}."]
        if item.owner:
            lines.append(f"Owner in the write-up: {single_line(item.owner)}.")
        if item.status:
            lines.append(f"Status in the write-up: {single_line(item.status)}.")
        elif status_unstated(item) and action_status != Recommendation.Status.PLANNED:
            lines.append(f"No status in the write-up: imported as {action_status}.")
        for ref in refs:
            url = http_url(ref.url)
            lines.append(f"- [{ref.key}]({url})" if url else f"- {ref.key}")
        recommendations.append(
            {
                "title": text[:300],
                "description": "\n\n".join(lines) if len(lines) < 4 else "\n".join(lines),
                "status": _status_of(item, action_status),
                "tracker_key": refs[0].key[:200] if refs else "",
                "tracker_url": first_url[:2000],
                "line": item.line,
                "refs": [ref.key for ref in refs],
            }
        )
    summary = record.preamble.strip()[:5000] if record.preamble.strip() else ""
    return Plan(
        title=title[:300],
        external_id=single_line(str(record.incident_id.value))[:100] if record.incident_id else "",
        started_at=started,
        resolved_at=resolved,
        severity=severity,
        services=services,
        summary=summary,
        template_version=version,
        sections=list(planned.values()),
        events=events,
        recommendations=recommendations,
        problems=problems,
        milestones=milestones,
    )


# --- Saving -----------------------------------------------------------------------------------


@dataclass
class Saved:
    outcome: str  # imported, updated, unchanged
    writeup: ImportedWriteup
    new_ids: dict = field(default_factory=lambda: {kind: [] for kind in INDEX_KINDS})


def _services(team: Team, names: list[str], cache: dict) -> list[Service]:
    out = []
    for name in dict.fromkeys(names):
        service = cache.get(name.casefold())
        if service is None:
            service = Service.objects.filter(organization_id=team.organization_id, name__iexact=name).first()
            service = service or Service.objects.create(organization_id=team.organization_id, name=name)
            cache[name.casefold()] = service
        out.append(service)
    return out


def _save_new(source: Source, plan: Plan, options: HistoryOptions, run: HistoryImport | None, cache: dict) -> Saved:
    """One new file: what _save_new_many saves for several (the caller holds the file's savepoint)."""
    return _save_new_many([(source, plan)], options, run, cache)[0]


def _save_new_many(
    items: list[tuple[Source, Plan]], options: HistoryOptions, run: HistoryImport | None, cache: dict
) -> list[Saved]:
    """New files saved: each a closed incident, its done write-up with its sections and their first revisions, its
    events and its action items; one INSERT per table for all of them (each table's rows file by file). The caller
    holds the savepoint, and saves the files one by one (_save_new) when this fails."""
    team, by, now = options.team, options.by, timezone.now()
    incidents = Incident.objects.bulk_create(
        [
            Incident(
                organization_id=team.organization_id,
                team=team,
                title=plan.title,
                summary=plan.summary,
                severity=plan.severity,
                status=Incident.Status.CLOSED,
                visibility=options.visibility,
                started_at=plan.started_at,
                resolved_at=plan.resolved_at,
                **plan.milestones,
                created_by=by,
                timeline_version=1 if plan.events else 0,  # as a later change of its events moves it by one
            )
            for _, plan in items
        ]
    )
    through = Incident.services.through
    through.objects.bulk_create(
        [
            through(incident_id=incident.pk, service_id=service_id)
            for incident, (_, plan) in zip(incidents, items, strict=True)
            if plan.services
            for service_id in {service.pk for service in _services(team, plan.services, cache)}
        ]
    )
    retrospectives = Retrospective.objects.bulk_create(
        [
            Retrospective(
                incident=incident,
                template_version=plan.template_version,
                title=plan.title,
                owner=None,  # the history was written by others: it is on nobody's own list of write-ups
                created_by=by,
                state=Retrospective.State.DONE,
                done_at=now,
                imported_from=f"{source.key}"[:200],
            )
            for incident, (source, plan) in zip(incidents, items, strict=True)
        ]
    )
    StateChange.objects.bulk_create(
        [
            StateChange(
                retrospective=retrospective,
                from_state=Retrospective.State.DRAFT,
                to_state=Retrospective.State.DONE,
                by=by,
                note=f"Imported from {source.key}"[:500],
            )
            for retrospective, (source, _) in zip(retrospectives, items, strict=True)
        ]
    )
    section_rows = [
        {
            "retrospective": retrospective.pk,
            "key": s.key,
            "title": s.title,
            "kind": s.kind,
            "required": s.required,
            "guidance": s.guidance,
            "position": position,
            "updated_by": by.pk,
            **section_body_fields(s.body, s.html),
        }
        for retrospective, (_, plan) in zip(retrospectives, items, strict=True)
        for position, s in enumerate(plan.sections)
    ]
    section_ids = rows_insert(Section, section_rows)
    rows_insert(
        Revision,
        [
            {
                "section": pk,
                "version": 1,
                "body": row["body"],
                "created_by": by.pk,
                "note": f"Imported from {source.key}"[:200],
            }
            for pk, row, source in zip(
                section_ids, section_rows, (source for source, plan in items for _ in plan.sections), strict=True
            )
        ],
    )
    writeups = ImportedWriteup.objects.bulk_create(
        [
            ImportedWriteup(
                organization_id=team.organization_id,
                team=team,
                incident=incident,
                retrospective=retrospective,
                source_path=source.key,
                checksum=source.checksum,
                format=source.format,
                external_id=plan.external_id,
                history_import=run,
                imported_by=by,
            )
            for incident, retrospective, (source, plan) in zip(incidents, retrospectives, items, strict=True)
        ]
    )
    events = _save_events_many(incidents, items, by)
    _save_recommendations_many(retrospectives, [plan for _, plan in items], by, team)
    out, sections_left = [], iter(section_ids)
    for incident, writeup, (_, plan), event_ids in zip(incidents, writeups, items, events, strict=True):
        saved = Saved("imported", writeup)
        saved.new_ids["incident"].append(incident.pk)
        saved.new_ids["section"].extend(next(sections_left) for _ in plan.sections)
        saved.new_ids["event"].extend(event_ids)
        out.append(saved)
    return out


def _save_events_many(incidents: list[Incident], items: list[tuple[Source, Plan]], by: User) -> list[list[int]]:
    """The events of several files, each file's with an import record of its own (one INSERT for the records); the
    ids of the events added, file by file."""
    with_events = [
        (incident, source, plan) for incident, (source, plan) in zip(incidents, items, strict=True) if plan.events
    ]
    records = ImportRecord.objects.bulk_create(
        [
            ImportRecord(
                incident=incident,
                source_type=SOURCE_TYPE,
                file_name=source.key[:300],
                created_by=by,
                event_count=len(plan.events),
                skipped_count=0,
            )
            for incident, source, plan in with_events
        ]
    )
    for record, (incident, _, plan) in zip(records, with_events, strict=True):
        added = events_insert_fast(
            common={"incident": incident, "source_type": SOURCE_TYPE, "import_record": record, "created_by": by},
            rows=plan.events,
        )
        if added != len(plan.events):  # a row already there (or repeated within the file): counted as skipped
            record.event_count, record.skipped_count = added, len(plan.events) - added
            record.save(update_fields=["event_count", "skipped_count"])
    by_record: dict[int, list[int]] = {record.pk: [] for record in records}
    if records:
        for record_id, pk in TimelineEvent.objects.filter(import_record__in=records).values_list(
            "import_record_id", "pk"
        ):
            by_record[record_id].append(pk)
    ids = iter(records)
    return [by_record[next(ids).pk] if plan.events else [] for _, plan in items]


def _save_recommendations_many(retrospectives: list[Retrospective], plans: list[Plan], by: User, team: Team) -> None:
    """Each plan's action items as recommendations called for by its write-up, with their first history entry: three
    INSERTs for all."""
    now = timezone.now()
    closed = {Recommendation.Status.DONE, Recommendation.Status.DROPPED}
    wanted = [
        (retrospective, r)
        for retrospective, plan in zip(retrospectives, plans, strict=True)
        for r in plan.recommendations
    ]
    if not wanted:
        return
    made = rows_insert(
        Recommendation,
        [
            {
                "organization": team.organization_id,
                "team": team.pk,
                "title": r["title"],
                "description": r["description"],
                "kind": Recommendation.Kind.PROCESS if not r["refs"] else Recommendation.Kind.SOFTWARE,
                "status": r["status"],
                "tracker_key": r["tracker_key"],
                "tracker_url": r["tracker_url"],
                "created_by": by.pk,
                "closed_at": now if r["status"] in closed else None,
            }
            for _, r in wanted
        ],
    )
    rows_insert(
        RecommendationLink,
        [
            {"recommendation": pk, "retrospective": retrospective.pk, "created_by": by.pk}
            for pk, (retrospective, _) in zip(made, wanted, strict=True)
        ],
    )
    rows_insert(
        RecommendationChange,
        [
            {
                "recommendation": pk,
                "by": by.pk,
                "changes": {"status": [None, r["status"]]},
                "reason": f"Imported from {retrospective.imported_from}, line {r['line']}.",
            }
            for pk, (retrospective, r) in zip(made, wanted, strict=True)
        ],
    )


def _save_update(
    source: Source, plan: Plan, options: HistoryOptions, run: HistoryImport | None, writeup: ImportedWriteup, cache
) -> Saved:
    """A changed file at a known place: the incident's fields follow it, each changed section gets a new revision (a
    section gone from the file is emptied, its text kept in the revisions), events follow the file, and action items
    not yet there are added (the ones there stay: they may be tracked since)."""
    by, team = options.by, options.team
    retrospective = writeup.retrospective
    incident = writeup.incident
    saved = Saved("updated", writeup)
    Incident.objects.filter(pk=incident.pk).update(
        title=plan.title,
        summary=plan.summary,
        severity=plan.severity,
        started_at=plan.started_at,
        resolved_at=plan.resolved_at,
        **{moment: plan.milestones.get(moment) for moment in MILESTONE_WORDS},
        version=incident.version + 1,
        updated_at=timezone.now(),
    )
    incident.services.set(_services(team, plan.services, cache))
    saved.new_ids["changed_incident"].append(incident.pk)
    existing = {s.key: s for s in retrospective.sections.all()}
    note = f"Imported again from {source.key} (changed)"[:200]
    position = max((s.position for s in existing.values()), default=-1) + 1
    revisions = []
    for order, planned in enumerate(plan.sections):
        current = existing.pop(planned.key, None)
        if current is None:
            section = Section.objects.create(
                retrospective=retrospective,
                key=planned.key,
                title=planned.title,
                kind=planned.kind,
                required=planned.required,
                guidance=planned.guidance,
                position=position + order,
                updated_by=by,
                **section_body_fields(planned.body),
            )
            revisions.append(Revision(section=section, version=1, body=section.body, created_by=by, note=note))
            saved.new_ids["section"].append(section.pk)
        elif current.body != planned.body or current.title != planned.title:
            Section.objects.filter(pk=current.pk).update(
                title=planned.title,
                version=current.version + 1,
                updated_by=by,
                updated_at=timezone.now(),
                **section_body_fields(planned.body),
            )
            revisions.append(
                Revision(section=current, version=current.version + 1, body=planned.body, created_by=by, note=note)
            )
            saved.new_ids["changed_section"].append(current.pk)
    for gone in existing.values():
        if gone.body:
            Section.objects.filter(pk=gone.pk).update(
                version=gone.version + 1, updated_by=by, updated_at=timezone.now(), **section_body_fields("")
            )
            revisions.append(
                Revision(
                    section=gone,
                    version=gone.version + 1,
                    body="",
                    created_by=by,
                    note=f"Not in {source.key} any more"[:200],
                )
            )
            saved.new_ids["changed_section"].append(gone.pk)
    Revision.objects.bulk_create(revisions)
    wanted_refs = {row[7] for row in plan.events}
    stale = TimelineEvent.objects.filter(incident=incident, source_type=SOURCE_TYPE).exclude(source_ref__in=wanted_refs)
    gone_events = list(stale.values_list("pk", flat=True))
    saved.new_ids["gone_events"].extend(gone_events)
    stale.delete()
    present = set(
        TimelineEvent.objects.filter(incident=incident, source_type=SOURCE_TYPE).values_list("source_ref", flat=True)
    )
    plan.events = [row for row in plan.events if row[7] not in present]
    [added] = _save_events_many([incident], [(source, plan)], by)
    saved.new_ids["event"].extend(added)
    if plan.events or gone_events:  # what is cached from the whole timeline is keyed by this number
        Incident.objects.filter(pk=incident.pk).update(timeline_version=F("timeline_version") + 1)
    titles = retrospective.recommendation_links.values_list("recommendation__title", flat=True)
    known = {title.casefold() for title in titles}
    plan.recommendations = [r for r in plan.recommendations if r["title"].casefold() not in known]
    _save_recommendations_many([retrospective], [plan], by, team)
    ImportedWriteup.objects.filter(pk=writeup.pk).update(
        checksum=source.checksum,
        format=source.format,
        external_id=plan.external_id,
        history_import=run,
        imported_by=by,
        updated_at=timezone.now(),
        revision=writeup.revision + 1,
    )
    writeup.revision += 1
    return saved


# --- The checker, per file --------------------------------------------------------------------


def _check(plan: Plan, config: CheckConfig, people: list[str]) -> dict:
    # The checker itself, not checks_run_cached: each file is checked once, so a cache entry per file (its key a hash
    # of the whole write-up) would cost more than it saves.
    sections = [CheckSection(s.key, s.title, s.body, required=False, kind=s.kind) for s in plan.sections]
    findings = checks_run(Document.from_sections(sections), config=config, people=people)
    titles = {s.key: s.title for s in plan.sections}
    by_rule = Counter(f.rule for f in findings)
    return {
        "count": len(findings),
        "by_rule": dict(by_rule.most_common()),
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "section": titles.get(f.section_key, f.section_key),
                "line": f.line,
                "message": f.message,
            }
            for f in findings[:FINDINGS_LISTED]
        ],
    }


# --- The run ----------------------------------------------------------------------------------


def _when(value) -> str | None:
    return value.isoformat() if isinstance(value, (datetime, date)) else None


def _recognised(source: Source, plan: Plan | None) -> dict:
    record = source.record

    def fld(f, value=None):
        if f is None:
            return None
        shown = value if value is not None else f.value
        return {"value": shown, "source": f.source, "line": f.line, "original": f.original[:200]}

    duration = record.duration.value if record.duration else None
    return {
        "title": fld(record.title, plan.title if plan else None),
        "incident_id": fld(record.incident_id),
        "started_at": fld(record.started_at, _when(record.started_at.value) if record.started_at else None),
        "ended_at": fld(record.ended_at, _when(record.ended_at.value) if record.ended_at else None),
        "duration_minutes": round(duration.total_seconds() / 60) if isinstance(duration, timedelta) else None,
        "severity": fld(record.severity, str(record.severity.value) if record.severity else None),
        "severity_level": plan.severity.key if plan else None,
        "services": list(record.services.value) if record.services else [],
        "milestones": {moment: _when(at) for moment, at in plan.milestones.items()} if plan else {},
        "timezone": record.timezone,
        "template": record.template_key,
        "sections": [
            {"title": s.title, "line": s.line, "key": s.key, "match": s.match or "extra", "score": round(s.score, 2)}
            for s in record.sections
        ],
        "sections_matched": sum(1 for s in record.sections if s.key),
        "sections_extra": sum(1 for s in record.sections if not s.key),
        "events": sum(1 for e in record.events if e.at is not None),
        "events_kept_as_text": sum(1 for e in record.events if e.at is None),
        "action_items": len(record.action_items),
        "action_items_done": sum(1 for a in record.action_items if a.done),
        "action_items_unstated": sum(1 for a in record.action_items if status_unstated(a)),
        "tickets": sorted({ref.key for a in record.action_items for ref in a.refs}),
    }


PROBLEMS_KEPT = 5  # a short entry's problems (all are counted; the whole entry was printed)
RECOGNISED_KEPT = ("sections_matched", "sections_extra", "events", "action_items", "action_items_unstated", "template")


def compact_entry(entry: dict) -> dict:
    """A file's entry without what is long (its sections, fields' originals, findings' messages): what a report
    keeps of each file of a big history once the whole entry has been printed."""
    short = {k: entry[k] for k in ("file", "source", "format", "outcome", "note", "incident") if k in entry}
    short["problems"] = entry["problems"][:PROBLEMS_KEPT]
    short["problems_count"] = len(entry["problems"])
    recognised = entry.get("recognised")
    if recognised:
        short["recognised"] = {k: recognised[k] for k in RECOGNISED_KEPT}
        title = recognised.get("title")
        short["recognised"]["title"] = {"value": title["value"]} if title else None
    if entry.get("checks"):
        short["checks"] = {"count": entry["checks"]["count"], "by_rule": entry["checks"]["by_rule"]}
    return short


def _totals(files: list[dict]) -> dict:
    outcomes = Counter(f["outcome"] for f in files)
    recognised = [f["recognised"] for f in files if f.get("recognised")]
    return {
        "files": len(files),
        **{outcome: outcomes.get(outcome, 0) for outcome in OUTCOMES},
        "sections_matched": sum(r["sections_matched"] for r in recognised),
        "sections_extra": sum(r["sections_extra"] for r in recognised),
        "events": sum(r["events"] for r in recognised),
        "action_items": sum(r["action_items"] for r in recognised),
        "action_items_unstated": sum(r.get("action_items_unstated", 0) for r in recognised),
        "problems": sum(f.get("problems_count", len(f["problems"])) for f in files),
        "findings": sum(f["checks"]["count"] for f in files if f.get("checks")),
        "findings_by_rule": dict(
            sum((Counter(f["checks"]["by_rule"]) for f in files if f.get("checks")), Counter()).most_common()
        ),
    }


OUTCOMES = ("imported", "updated", "unchanged", "would import", "would update", "skipped")


@dataclass
class Timing:
    parse: float = 0.0
    save: float = 0.0
    check: float = 0.0
    index: float = 0.0


def history_import(
    *,
    inputs: Iterable[tuple[str, InputFile]],
    options: HistoryOptions,
    run: HistoryImport | None = None,
    progress: Callable[[int], None] | None = None,
    check: bool = True,
    workers: int = 1,
    on_file: Callable[[dict], None] | None = None,
) -> dict:
    """Read, understand and (unless a dry run) save every file; returns the report (JSON-able): per file what was
    recognised, every problem with its file and line and what was done, the checker's findings, and totals. Each file
    is saved whole or not at all (a savepoint each; BATCH files a transaction). With `workers` above 1 the files are
    read, understood, planned and checked (and their sections rendered) by that many processes, ahead of the saving
    here; the report is the same.

    With `on_file`, each file's entry is handed to it, in order, once final (after its batch is saved), and the
    report keeps only a short form of it (compact_entry): the memory then does not grow with a big history's
    findings and sections, and a command prints the report as it goes."""
    team, by = options.team, options.by
    history_permission_check(by=by, team=team)
    severity_levels_ensure_defaults(organization=team.organization)
    levels = list(SeverityLevel.objects.filter(organization_id=team.organization_id).order_by("rank"))
    versions = template_versions(team, options.mapping)
    templates = template_outlines(versions)
    people = organization_people_names(team.organization_id)
    check_config = checks_config_for(SimpleNamespace(organization=team.organization, team=team))
    timing = Timing()
    files: list[dict] = []
    service_cache: dict = {}
    now = timezone.now()
    seen_keys: set[str] = set()
    seen_checksums: dict[str, str] = {}
    pending: list[tuple[Source, Plan | None, dict]] = []

    handed = 0  # entries of `files` handed to on_file so far

    def flush():
        nonlocal handed
        if pending:
            _save_batch(pending, options, run, service_cache, timing)
            pending.clear()
        if on_file is not None:  # every entry before the (now empty) batch is final
            for i in range(handed, len(files)):
                on_file(files[i])
                files[i] = compact_entry(files[i])
            handed = len(files)

    started = time.perf_counter()
    imported = frozenset(ImportedWriteup.objects.filter(team=team).values_list("source_path", "checksum"))
    context = ReadContext(templates, options, levels, versions, now, check_config if check else None, people, imported)
    if workers > 1:
        prepared = _prepared_in_processes(inputs, context, workers)
    else:
        read = sources_read(inputs, templates=templates, options=options, imported=imported)
        prepared = ((source, None) for source in read)
    for source, ahead in prepared:
        timing.parse += source.parse_seconds
        entry = {
            "file": source.path,
            "source": source.key,
            "format": source.format,
            "checksum": source.checksum,
            "outcome": "skipped",
            "problems": list(source.problems),
        }
        files.append(entry)
        if progress is not None:
            progress(len(files))
        if source.unchanged:  # _save_batch finds its write-up and says so
            seen_keys.add(source.key)
            seen_checksums.setdefault(source.checksum, source.path)
            pending.append((source, None, entry))
            if len(pending) >= BATCH:
                flush()
            continue
        if source.record is None:
            continue
        if source.key in seen_keys:
            entry["problems"].append(
                _problem(source.path, None, f"another file was already read as {source.key}", "skipped")
            )
            continue
        seen_keys.add(source.key)
        if source.checksum in seen_checksums:
            entry["outcome"] = "unchanged"
            entry["note"] = f"the same file as {seen_checksums[source.checksum]}, read earlier in this import"
            continue
        seen_checksums[source.checksum] = source.path
        plan, refused, checks, seconds_check, seconds_render = ahead or _plan_and_check(source, context)
        timing.check += seconds_check
        timing.save += seconds_render
        if plan is None:
            entry["problems"].extend(refused)
            entry["recognised"] = _recognised(source, None)
            continue
        entry["problems"].extend(plan.problems)
        entry["recognised"] = _recognised(source, plan)
        if checks is not None:
            entry["checks"] = checks
        pending.append((source, plan, entry))
        if len(pending) >= BATCH:
            flush()
    flush()
    totals = _totals(files)
    totals["seconds"] = round(time.perf_counter() - started, 3)
    totals["seconds_parse"] = round(timing.parse, 3)
    totals["seconds_check"] = round(timing.check, 3)
    totals["seconds_save"] = round(timing.save, 3)
    totals["seconds_index"] = round(timing.index, 3)
    return {
        "dry_run": options.dry_run,
        "team": team.slug,
        "action_status": options.action_status,
        "files": files,
        "totals": totals,
    }


@dataclass(frozen=True)
class ReadContext:
    """What reading, planning and checking a file needs, fetched once (and handed to the reading processes)."""

    templates: tuple[TemplateOutline, ...]
    options: HistoryOptions
    levels: list[SeverityLevel]
    versions: dict
    now: datetime
    check_config: CheckConfig | None  # None: no checks
    people: list[str]
    # The team's imported write-ups, (place, checksum): such a file is not read again (and any file holding one of
    # these checksums is not rendered ahead: it is most often unchanged).
    imported: frozenset[tuple[str, str]] = frozenset()
    imported_checksums: frozenset[str] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "imported_checksums", frozenset(checksum for _, checksum in self.imported))


def _plan_and_check(source: Source, context: ReadContext, *, render: bool = False):
    """(plan, problems when it cannot be saved, the checker's report, seconds checking, seconds rendering)."""
    try:
        plan = plan_record(
            source,
            levels=context.levels,
            versions=context.versions,
            now=context.now,
            action_status=context.options.action_status,
        )
    except ValidationError as exc:
        refused = [
            _problem(source.path, None, f"{where}: {' '.join(messages)}", "skipped")
            for where, messages in exc.message_dict.items()
        ]
        return None, refused, None, 0.0, 0.0
    checks, seconds_check, seconds_render = None, 0.0, 0.0
    if context.check_config is not None:
        t = time.perf_counter()
        checks = _check(plan, context.check_config, context.people)
        seconds_check = time.perf_counter() - t
    if render:
        t = time.perf_counter()
        for section in plan.sections:
            section.html = render_markdown(section.body)
        seconds_render = time.perf_counter() - t
    return plan, [], checks, seconds_check, seconds_render


def reading_processes() -> int:
    """How many processes read a big import ahead of the saving: the cores this process may use, up to 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


_READER: ReadContext | None = None  # set in the parent before the reading processes fork: what they read with
READ_CHUNK = 16  # files per task handed to a reading process
READ_AHEAD = 4  # tasks in flight per reading process (bounds the memory: files are read as they are needed)


def _read_chunk(chunk: list[tuple[str, InputFile]]) -> list[tuple[Source, tuple | None]]:
    context = _READER
    out = []
    for source in sources_read(chunk, templates=context.templates, options=context.options, imported=context.imported):
        # Rendered ahead only when it will likely be saved (a file already imported is most often unchanged; when it
        # is saved after all, its sections are rendered then).
        render = not context.options.dry_run and source.checksum not in context.imported_checksums
        out.append((source, _plan_and_check(source, context, render=render) if source.record is not None else None))
    return out


def _prepared_in_processes(inputs: Iterable[tuple[str, InputFile]], context: ReadContext, workers: int):
    """(source, what _plan_and_check made of it) for each input, in order, from `workers` forked processes (pure
    Python work: they never touch the database); at most READ_AHEAD chunks each are read ahead of the saving."""
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from itertools import islice

    global _READER
    _READER = context
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            items = iter(inputs)
            in_flight: deque = deque()

            def submit() -> bool:
                chunk = list(islice(items, READ_CHUNK))
                if chunk:
                    in_flight.append(pool.submit(_read_chunk, chunk))
                return bool(chunk)

            while len(in_flight) < workers * READ_AHEAD and submit():
                pass
            while in_flight:
                done = in_flight.popleft().result()
                submit()
                yield from done
    finally:
        _READER = None


def _save_batch(pending, options: HistoryOptions, run, cache, timing: Timing) -> None:
    team = options.team
    t0 = time.perf_counter()
    by_key = {}
    keys = [source.key for source, _, _ in pending]
    checksums = [source.checksum for source, _, _ in pending]
    for writeup in ImportedWriteup.objects.filter(team=team, source_path__in=keys).select_related(
        "retrospective", "incident"
    ):
        by_key[writeup.source_path] = writeup
    by_checksum: dict[str, ImportedWriteup] = {}
    for writeup in ImportedWriteup.objects.filter(team=team, checksum__in=checksums).only(
        "source_path", "checksum", "incident_id", "retrospective_id", "revision"
    ):
        by_checksum.setdefault(writeup.checksum, writeup)
    ids = {kind: [] for kind in INDEX_KINDS}
    with transaction.atomic():
        run_of_new: list[tuple[Source, Plan, dict]] = []  # new files in a row: saved together (_save_new_many)
        for source, plan, entry in pending:
            known = by_key.get(source.key)
            same = known if known is not None and known.checksum == source.checksum else None
            if source.unchanged and same is None:  # not read again, but its write-up is no longer as it was read
                message = "its imported write-up changed or went while this import ran"
                entry["problems"].append(_problem(source.path, None, message, "skipped; import it again"))
                continue
            if same is None and known is None:
                same = by_checksum.get(source.checksum)
            if same is not None:
                entry["outcome"] = "unchanged"
                again = " (not read again)" if source.unchanged else ""
                entry["note"] = f"already imported as {same.source_path}; nothing changed{again}"
                entry["incident"] = _links(same)
            elif options.dry_run:
                entry["outcome"] = "would update" if known is not None else "would import"
            elif known is None:
                run_of_new.append((source, plan, entry))
            else:  # a changed file at a known path; the new ones read before it are saved first, as read
                _save_news(run_of_new, options, run, cache, ids)
                run_of_new = []
                _save_one(entry, ids, cache, partial(_save_update, source, plan, options, run, known, cache))
        _save_news(run_of_new, options, run, cache, ids)
    timing.save += time.perf_counter() - t0
    if any(ids.values()):
        t1 = time.perf_counter()
        _index(ids)
        timing.index += time.perf_counter() - t1


def _saved_into(entry: dict, saved: Saved, ids: dict) -> None:
    entry["outcome"] = saved.outcome
    entry["incident"] = _links(saved.writeup)
    for kind, values in saved.new_ids.items():
        ids[kind].extend(values)


def _save_news(items: list[tuple[Source, Plan, dict]], options: HistoryOptions, run, cache: dict, ids: dict) -> None:
    """New files saved together, all in one savepoint (a few statements for all of them, not a few for each); when any
    of them cannot be saved, that savepoint rolls back and each file is saved again in a savepoint of its own, so a
    file still imports whole or not at all and the others are saved as before."""
    if not items:
        return
    try:
        with transaction.atomic():
            saved = _save_new_many([(source, plan) for source, plan, _ in items], options, run, cache)
    except (IntegrityError, ValidationError):
        cache.clear()  # services made inside the rolled-back savepoint are gone
    else:
        for (_, _, entry), one in zip(items, saved, strict=True):
            _saved_into(entry, one, ids)
        return
    for source, plan, entry in items:
        _save_one(entry, ids, cache, partial(_save_new, source, plan, options, run, cache))


def _save_one(entry: dict, ids: dict, cache: dict, save: Callable[[], Saved]) -> None:
    """One file saved by `save` in a savepoint of its own: whole, or not at all and reported as skipped."""
    try:
        with transaction.atomic():
            saved = save()
    except (IntegrityError, ValidationError) as exc:
        message = " ".join(getattr(exc, "messages", [str(exc)]))[:300]
        entry["problems"].append(_problem(entry["file"], None, f"could not be saved ({message})", "skipped"))
        entry["outcome"] = "skipped"
        cache.clear()  # services made inside the rolled-back savepoint are gone
        return
    _saved_into(entry, saved, ids)


def _index(ids: dict) -> None:
    """The saved rows into the search index (their semantic vectors are left to the worker, which fills missing
    ones), and the insights' cached tables moved on: once per batch, not once per row."""
    if ids["gone_events"]:
        search_index_remove(kind="event", ids=ids["gone_events"])
    for kind in ("incident", "section"):
        if ids[f"changed_{kind}"]:
            search_index_update(kind=kind, ids=ids[f"changed_{kind}"])
    for kind in ("incident", "section", "event"):
        if ids[kind]:
            search_index_add(kind=kind, ids=ids[kind], vectors=False)
    insights_cache.data_version_bump()
    if insights_cache.shared():
        insights_cache.refresh_queue()


def _links(writeup: ImportedWriteup) -> dict:
    return {
        "id": writeup.incident_id,
        "retrospective_id": writeup.retrospective_id,
        "url": reverse("retrospective_detail", args=[writeup.retrospective_id]),
        "revision": writeup.revision,
    }


# --- Guards and jobs ----------------------------------------------------------------------------


def imported_stays_done(*, retrospective: Retrospective, to_state: str, clearance=None) -> str | None:
    """An imported write-up is the record of its source file: it is not reopened here (import the changed file)."""
    if retrospective.state != Retrospective.State.DONE or not retrospective.imported_from:
        return None  # (every imported write-up names its file: no query for the others)
    if ImportedWriteup.objects.filter(retrospective_id=retrospective.pk).exists():
        return (
            "This write-up was imported from a file and is read-only here: change the file and import it again "
            "(its changed sections get new revisions)."
        )
    return None


def history_run_record(*, options: HistoryOptions, report: dict, file_name: str) -> HistoryImport:
    """The command's run, kept with its report (the page lists it beside the uploads)."""
    return HistoryImport.objects.create(
        organization_id=options.team.organization_id,
        team=options.team,
        created_by=options.by,
        origin=HistoryImport.Origin.COMMAND,
        file_name=single_line(file_name)[:300],
        options=options.as_json(),
        status=HistoryImport.Status.DONE,
        report=report,
        confirmed_at=timezone.now(),
        finished_at=timezone.now(),
    )


def paths_text(paths: Iterable[str]) -> str:
    return ", ".join(os.path.basename(str(p).rstrip("/")) or str(p) for p in paths)
