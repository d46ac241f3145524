"""Findings: what a retrospective's analysis concludes, kept as records in the section they belong to (a contributing
factor; for a systems analysis, a safety control, how a control fell short, a systemic problem, a missing control),
tied to the incident's timeline events and to the responders' accounts of the same retrospective, so that each
recommendation can be traced to the findings it answers.

The pages (actions.findings_views) and the API (api.findings) call these: one rule in one place. Selectors first, then
the services. Every write locks the retrospective first, then the finding: the one order, so two writers never wait
on each other in a circle."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Prefetch, QuerySet
from django.http import Http404

from retrospector.accounts.models import User
from retrospector.core.errors import ConflictError, ReadOnlyError, locked
from retrospector.core.markdown import render_markdown
from retrospector.core.markdown_writing import escape_inline
from retrospector.core.shortcuts import visible_or_404
from retrospector.reviews.models import Account
from retrospector.reviews.responder_accounts import incident_event_ids
from retrospector.timeline.models import TimelineEvent
from retrospector.writeups.export import SectionExtra
from retrospector.writeups.models import Retrospective, Section
from retrospector.writeups.selectors import can_edit_retrospective, retrospectives_visible_to

from .models import Finding, Recommendation, RecommendationLink, Trace

Kind = Finding.Kind
State = Retrospective.State

# The section each kind of finding is shown in, by the section's key (the built-in templates'; a team's own template
# using the same keys gets the same). A section whose key is not here shows no findings.
SECTION_KINDS: dict[str, str] = {
    "contributing-factors": Kind.CONTRIBUTING_FACTOR,  # postmortem: Contributing factors
    "causes": Kind.CONTRIBUTING_FACTOR,  # incident review: Causes and contributing factors
    "learnings": Kind.CONTRIBUTING_FACTOR,  # learning review: What we learned (its contributing factors)
    # Systems analysis (CAST)
    "safety-controls": Kind.SAFETY_CONTROL,
    "control-failures": Kind.CONTROL_FAILURE,
    "systemic-problems": Kind.SYSTEMIC_PROBLEM,
    "missing-controls": Kind.MISSING_CONTROL,
}
KIND_LABELS = dict(Kind.choices)
# What each kind asks for, shown beside the form.
KIND_HELP = {
    Kind.CONTRIBUTING_FACTOR: "A condition that, with others, made the incident possible or worse: technical, "
    "organisational or environmental. Describe the circumstances, not who touched what last.",
    Kind.SAFETY_CONTROL: "A control meant to prevent this kind of failure or limit its impact (an alert, a timeout, a "
    "review, a runbook), and what it is designed to do.",
    Kind.CONTROL_FAILURE: "How a control fell short or was missing: its intended behaviour against the conditions it "
    "actually met.",
    Kind.SYSTEMIC_PROBLEM: "A problem bigger than any single control: how controls are chosen, tested, owned and "
    "reviewed; competing priorities; knowledge held by a few.",
    Kind.MISSING_CONTROL: "A part of the system with no safety control for this situation, and the control that would "
    "have stopped the incident or limited its impact.",
}

FINDING_MAX_CHARS = 5_000
# A retrospective's findings fit on one page (and one API answer): more is a sign to merge some.
FINDINGS_MAX = 200
LINKS_MAX = 500

FINDINGS_FORBIDDEN = "Only people who can edit this retrospective add, change, move or delete its findings."
NOT_VISIBLE = "No such finding, or you may not see it."
READ_ONLY_STATES = (State.APPROVED, State.DONE)
UNTRACED_WARNING = "not traced to a finding of this retrospective"


def findings_read_only_message(retrospective: Retrospective) -> str | None:
    """Why the findings cannot change now (approved or done: the write-up is the published record), or None."""
    if retrospective.state not in READ_ONLY_STATES:
        return None
    return (
        f"“{retrospective.title}” is {retrospective.get_state_display().lower()}, so its findings are read-only. "
        "Reopening it (saying why) opens them again."
    )


def section_kind(key: str) -> str | None:
    return SECTION_KINDS.get(key)


# --- Selectors -------------------------------------------------------------------------------------------------------


def findings_visible_to(user: User) -> QuerySet[Finding]:
    """Findings of the retrospectives `user` may see (a private incident's stay hidden from outsiders)."""
    visible = retrospectives_visible_to(user).filter(pk=OuterRef("retrospective_id"))
    return Finding.objects.filter(Exists(visible))


def finding_detail_or_404(*, user: User, pk: int) -> Finding:
    """A finding `user` may see, with its retrospective and incident; 404 otherwise (unknown or hidden alike)."""
    return visible_or_404(findings_visible_to(user).select_related("retrospective__incident"), pk, message=NOT_VISIBLE)


def _with_links(findings: QuerySet[Finding]) -> QuerySet[Finding]:
    """With their events (in time order), accounts (with authors) and who saved them last: four queries however many."""
    events = TimelineEvent.objects.order_by("occurred_at", "id").only(
        "id", "incident_id", "occurred_at", "actor", "text", "hidden"
    )
    accounts = Account.objects.select_related("author").order_by("created_at", "id")
    return findings.select_related("created_by", "updated_by").prefetch_related(
        Prefetch("events", queryset=events), Prefetch("accounts", queryset=accounts)
    )


def findings_of(retrospective: Retrospective) -> QuerySet[Finding]:
    """A retrospective's findings by section, in order, with their links. The caller has checked that the reader may
    see the retrospective."""
    return _with_links(Finding.objects.filter(retrospective_id=retrospective.pk)).order_by(
        "section_key", "position", "id"
    )


def finding_with_links(finding: Finding) -> Finding:
    return _with_links(Finding.objects.filter(pk=finding.pk)).get()


@dataclass
class FindingGroup:
    """One section that holds findings, with them in order."""

    section: Section
    kind: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def kind_help(self) -> str:
        return KIND_HELP[self.kind]


def finding_sections(sections) -> list[FindingGroup]:
    """The retrospective's sections that hold findings, in the write-up's order, each with its kind (no findings)."""
    return [FindingGroup(section=s, kind=SECTION_KINDS[s.key]) for s in sections if s.key in SECTION_KINDS]


def findings_by_section(retrospective: Retrospective, sections=None) -> list[FindingGroup]:
    """finding_sections with each one's findings: the queries of findings_of, however many sections and findings."""
    sections = list(retrospective.sections.all()) if sections is None else sections
    groups = finding_sections(sections)
    if not groups:
        return []
    by_key = {group.section.key: group for group in groups}
    for finding in findings_of(retrospective):
        group = by_key.get(finding.section_key)
        if group is not None:
            group.findings.append(finding)
    return groups


def untraced_recommendations(retrospective: Retrospective) -> QuerySet[Recommendation]:
    """The recommendations this retrospective calls for (RecommendationLink) that trace to none of its findings: the
    exact form of the checker's "untraced" rule. A recommendation merged into another lives on there and is left out.
    One query. The caller has checked that the reader may see the retrospective (and so these recommendations)."""
    linked = RecommendationLink.objects.filter(recommendation_id=OuterRef("pk"), retrospective_id=retrospective.pk)
    traced = Trace.objects.filter(recommendation_id=OuterRef("pk"), finding__retrospective_id=retrospective.pk)
    return (
        Recommendation.objects.filter(Exists(linked), merged_into__isnull=True)
        .exclude(Exists(traced))
        .select_related("team", "owner")
        .order_by("created_at", "id")
    )


def _html_key(text: str) -> str:
    return "finding-html:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def findings_html(findings) -> dict[int, str]:
    """{finding id: its text rendered and sanitized (untrusted Markdown)}: renderings are cached by text, so a page of
    findings renders only those whose text is new (one cache read for all of them)."""
    findings = list(findings)
    keys = {finding.pk: _html_key(finding.text) for finding in findings}
    cached = cache.get_many(set(keys.values()))
    missing = {}
    for finding in findings:
        if keys[finding.pk] not in cached:
            missing[keys[finding.pk]] = cached[keys[finding.pk]] = render_markdown(finding.text)
    if missing:
        cache.set_many(missing, timeout=24 * 3600)
    return {finding.pk: cached[keys[finding.pk]] for finding in findings}


def finding_html(finding: Finding) -> str:
    """The finding's text rendered and sanitized (untrusted Markdown)."""
    return findings_html([finding])[finding.pk]


# --- The write-up's exports (writeups.export, through its `retrospective_export_parts`) -------------------------------


def _utc(moment) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _author(account: Account) -> str:
    return account.author.display_name if account.author else "a former member"


def _links_markdown(finding: Finding) -> str:
    parts = []
    if events := list(finding.events.all()):
        parts.append("Events: " + "; ".join(f"{_utc(e.occurred_at)} {escape_inline(e.text[:200])}" for e in events))
    if accounts := list(finding.accounts.all()):
        parts.append("Accounts: " + ", ".join(escape_inline(_author(a)) for a in accounts))
    return " · ".join(parts)


def _finding_markdown(finding: Finding) -> str:
    lines = finding.text.split("\n")
    item = "- " + "\n".join([lines[0], *[f"  {line}" if line.strip() else "" for line in lines[1:]]])
    if links := _links_markdown(finding):
        item += f"\n\n  *{links}*"
    return item


def _finding_export_html(finding: Finding, rendered: str) -> str:
    e = html.escape
    links = []
    if events := list(finding.events.all()):
        links.append("Events: " + "; ".join(f"{e(_utc(ev.occurred_at))} {e(ev.text[:200])}" for ev in events))
    if accounts := list(finding.accounts.all()):
        links.append("Accounts: " + ", ".join(e(_author(a)) for a in accounts))
    shown = f'<p class="finding-links">{" · ".join(links)}</p>' if links else ""
    return f"<li>{rendered}{shown}</li>"


def _finding_data(finding: Finding) -> dict:
    return {
        "id": finding.pk,
        "kind": finding.kind,
        "position": finding.position,
        "text": finding.text,
        "events": [{"id": e.pk, "occurred_at": _utc(e.occurred_at), "text": e.text} for e in finding.events.all()],
        "accounts": [{"id": a.pk, "author": a.author.username if a.author else None} for a in finding.accounts.all()],
        "version": finding.version,
    }


def findings_export_part(*, retrospective: Retrospective) -> dict[str, SectionExtra]:
    """Each section that holds findings gets them in the exports: a list in Markdown and HTML, records in JSON (an
    empty list for a section without any yet). Four queries, however many findings."""
    groups = findings_by_section(retrospective, list(retrospective.sections.all()))
    rendered = findings_html(f for group in groups for f in group.findings)
    return {
        group.section.key: SectionExtra(
            name="findings",
            title="Findings",
            markdown="\n".join(_finding_markdown(f) for f in group.findings),
            html=f'<ol class="findings">{"".join(_finding_export_html(f, rendered[f.pk]) for f in group.findings)}</ol>'
            if group.findings
            else "",
            data=[_finding_data(f) for f in group.findings],
        )
        for group in groups
    }


# --- Services --------------------------------------------------------------------------------------------------------


def _clean_text(text: str | None) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ValidationError({"text": "Write the finding."})
    if len(text) > FINDING_MAX_CHARS:
        raise ValidationError(
            {"text": f"Keep a finding under {FINDING_MAX_CHARS:,} characters (this one has {len(text):,})."}
        )
    return text


def _ids(values, name: str) -> list[int]:
    ids = list(dict.fromkeys(int(pk) for pk in values))
    if len(ids) > LINKS_MAX:
        raise ValidationError({name: f"Link at most {LINKS_MAX} {name} to a finding."})
    return ids


def _event_ids(retrospective: Retrospective, event_ids) -> list[int]:
    return incident_event_ids(retrospective, _ids(event_ids, "events"))


def _account_ids(retrospective: Retrospective, account_ids) -> list[int]:
    wanted = _ids(account_ids, "accounts")
    if not wanted:
        return []
    found = set(Account.objects.filter(retrospective_id=retrospective.pk, pk__in=wanted).values_list("pk", flat=True))
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise ValidationError({"accounts": f"Not responders' accounts of this retrospective: {', '.join(missing)}."})
    return wanted


def _section_for(retrospective: Retrospective, *, section_key: str, kind: str) -> tuple[str, str]:
    """(section key, kind) of a new or moved finding: the section named, or the one section holding that kind."""
    keys = set(retrospective.sections.values_list("key", flat=True))
    mapped = [key for key in SECTION_KINDS if key in keys]
    if kind and kind not in KIND_LABELS:
        raise ValidationError({"kind": f"Unknown kind {kind!r}: choose one of {', '.join(KIND_LABELS)}."})
    if not mapped:
        raise ValidationError(
            {"section": "This retrospective's template has no section for findings (such as Contributing factors)."}
        )
    if section_key:
        if section_key not in keys:
            raise ValidationError({"section": f"This retrospective has no section {section_key!r}."})
        if section_key not in SECTION_KINDS:
            raise ValidationError(
                {"section": f"The section {section_key!r} holds no findings: choose one of {', '.join(mapped)}."}
            )
        if kind and SECTION_KINDS[section_key] != kind:
            expected = SECTION_KINDS[section_key]
            raise ValidationError(
                {"kind": f"The section {section_key!r} holds {KIND_LABELS[expected].lower()} findings ({expected})."}
            )
        return section_key, SECTION_KINDS[section_key]
    candidates = [key for key in mapped if not kind or SECTION_KINDS[key] == kind]
    if len(candidates) != 1:
        problem = "has no section for" if not candidates else "has several sections for"
        what = KIND_LABELS[kind].lower() if kind else "findings"
        raise ValidationError({"section": f"This retrospective {problem} {what}: name the section."})
    return candidates[0], SECTION_KINDS[candidates[0]]


def _writable(retrospective_pk: int, by: User) -> Retrospective:
    """The retrospective, locked (a state change waits for the write), when `by` may edit it."""
    retrospective = locked(Retrospective.objects.select_related("incident"), retrospective_pk, of=("self",))
    if not can_edit_retrospective(by, retrospective):
        raise PermissionDenied(FINDINGS_FORBIDDEN)
    return retrospective


def _refuse_if_read_only(retrospective: Retrospective, *, current=None) -> None:
    if message := findings_read_only_message(retrospective):
        raise ReadOnlyError(message, current=current)


def _locked_finding(finding: Finding, by: User) -> tuple[Retrospective, Finding]:
    """Lock the finding's retrospective, then the finding (the one order): (retrospective, finding) as they are now."""
    retrospective_pk = Finding.objects.filter(pk=finding.pk).values_list("retrospective_id", flat=True).first()
    if retrospective_pk is None:
        raise Http404("This finding was deleted meanwhile; nothing was changed.")
    retrospective = _writable(retrospective_pk, by)
    return retrospective, locked(Finding.objects.select_related("updated_by"), finding.pk, of=("self",))


def _last_position(retrospective_pk: int, section_key: str) -> int:
    last = Finding.objects.filter(retrospective_id=retrospective_pk, section_key=section_key).aggregate(
        last=Max("position")
    )["last"]
    return last or 0


def _renumber(retrospective_pk: int, section_key: str, ordered: list[int] | None = None) -> None:
    """Number a section's findings 1, 2, ... (in `ordered`, else as they are), writing only those that move."""
    if ordered is None:
        ordered = list(
            Finding.objects.filter(retrospective_id=retrospective_pk, section_key=section_key)
            .order_by("position", "id")
            .values_list("pk", flat=True)
        )
    for position, pk in enumerate(ordered, start=1):
        Finding.objects.filter(pk=pk).exclude(position=position).update(position=position)


@transaction.atomic
def finding_create(
    *,
    retrospective: Retrospective,
    by: User,
    text: str,
    section_key: str = "",
    kind: str = "",
    event_ids=(),
    account_ids=(),
) -> Finding:
    """Add a finding at the end of its section: the section named (`section_key`), or the one that holds `kind`. Its
    links must be events of the retrospective's incident and accounts of the retrospective (422 on `events`,
    `accounts` otherwise)."""
    current = _writable(retrospective.pk, by)
    _refuse_if_read_only(current)
    text = _clean_text(text)
    section_key, kind = _section_for(current, section_key=(section_key or "").strip(), kind=(kind or "").strip())
    count = Finding.objects.filter(retrospective_id=current.pk).count()
    if count >= FINDINGS_MAX:
        raise ValidationError(
            {"text": f"This retrospective already has {count} findings, the most it holds. Merge some first."}
        )
    events = _event_ids(current, event_ids)
    accounts = _account_ids(current, account_ids)
    finding = Finding.objects.create(
        retrospective=current,
        section_key=section_key,
        kind=kind,
        text=text,
        position=_last_position(current.pk, section_key) + 1,
        created_by=by,
        updated_by=by,
    )
    finding.events.set(events)
    finding.accounts.set(accounts)
    return finding


@transaction.atomic
def finding_update(
    *,
    finding: Finding,
    by: User,
    base_version: int,
    text: str | None = None,
    event_ids=None,
    account_ids=None,
    section_key: str | None = None,
) -> Finding:
    """Change a finding if nobody saved it since `base_version` (ConflictError with the finding as it is otherwise);
    None leaves a part as it is. `section_key` moves it to the end of another section that holds findings (its kind
    follows). Returns it as saved; unchanged (same version) when nothing changed."""
    retrospective, current = _locked_finding(finding, by)
    _refuse_if_read_only(retrospective, current=current)
    if current.version != base_version:
        who = current.updated_by.display_name if current.updated_by else "someone else"
        raise ConflictError(
            f"This finding was saved by {who} after you started editing (you edited version {base_version}; it is "
            f"now version {current.version}).",
            current=current,
        )
    changed: list[str] = []
    if text is not None:
        text = _clean_text(text)
        if text != current.text:
            current.text = text
            changed.append("text")
    old_section = current.section_key
    if section_key is not None and section_key.strip() != current.section_key:
        current.section_key, current.kind = _section_for(retrospective, section_key=section_key.strip(), kind="")
        current.position = _last_position(retrospective.pk, current.section_key) + 1
        changed += ["section_key", "kind", "position"]
    events = _event_ids(retrospective, event_ids) if event_ids is not None else None
    accounts = _account_ids(retrospective, account_ids) if account_ids is not None else None
    links_changed = False
    if events is not None and set(events) != set(current.events.values_list("pk", flat=True)):
        current.events.set(events)
        links_changed = True
    if accounts is not None and set(accounts) != set(current.accounts.values_list("pk", flat=True)):
        current.accounts.set(accounts)
        links_changed = True
    if not changed and not links_changed:
        return current
    current.version += 1
    current.updated_by = by
    current.save(update_fields=[*changed, "version", "updated_by", "updated_at"])
    if "section_key" in changed:
        _renumber(retrospective.pk, old_section)
    return current


@transaction.atomic
def finding_move(*, finding: Finding, by: User, to_position: int) -> Finding:
    """Put a finding at `to_position` in its section (1 is first; beyond the last: last) and number the others around
    it. Order is not content: moving changes no finding's version."""
    retrospective, current = _locked_finding(finding, by)
    _refuse_if_read_only(retrospective)
    ordered = list(
        Finding.objects.filter(retrospective_id=retrospective.pk, section_key=current.section_key)
        .exclude(pk=current.pk)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    index = min(max(int(to_position), 1), len(ordered) + 1) - 1
    ordered.insert(index, current.pk)
    _renumber(retrospective.pk, current.section_key, ordered)
    current.position = index + 1
    return current


def finding_step(*, finding: Finding, by: User, direction: str) -> Finding:
    """Move a finding one place up or down in its section (the page's buttons)."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": "Move a finding up or down."})
    place = list(
        Finding.objects.filter(retrospective_id=finding.retrospective_id, section_key=finding.section_key)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    index = place.index(finding.pk) + 1 if finding.pk in place else 1
    return finding_move(finding=finding, by=by, to_position=index - 1 if direction == "up" else index + 1)


@transaction.atomic
def finding_delete(*, finding: Finding, by: User) -> None:
    """Delete a finding (its traces to recommendations go with it); the others of its section move up."""
    retrospective, current = _locked_finding(finding, by)
    _refuse_if_read_only(retrospective)
    section_key = current.section_key
    current.delete()
    _renumber(retrospective.pk, section_key)
