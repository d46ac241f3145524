"""Every write to templates and retrospectives."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from retrospector.accounts.models import Role, Team, User
from retrospector.accounts.selectors import has_team_role
from retrospector.checks import RULES
from retrospector.core.errors import ConflictError, ReadOnlyError, locked
from retrospector.core.hooks import app_hooks
from retrospector.core.markdown import markdown_size_error, render_markdown
from retrospector.core.markdown_writing import escape_inline, markdown_link, table_cell
from retrospector.core.template_definitions import TemplateDefinition, builtin_definitions
from retrospector.core.text import single_line
from retrospector.core.untrusted import http_url
from retrospector.incidents.models import Incident
from retrospector.incidents.selectors import can_edit_incident
from retrospector.timeline.selectors import timeline_events

from .models import (
    FindingIgnore,
    Retrospective,
    Revision,
    Section,
    StateChange,
    Template,
    TemplateVersion,
    body_is_empty,
)
from .selectors import can_edit_retrospective, template_by_key, template_latest_version

State = Retrospective.State

# Which state can follow which; everything else is refused.
TRANSITIONS = {
    State.DRAFT: {State.IN_REVIEW},
    State.IN_REVIEW: {State.DRAFT, State.MEETING},
    # Approving a retrospective in its meeting publishes it (done) in one step; "approved" is kept for the ones
    # approved before. An app above may reserve a move for its own action (see transition_refusal).
    State.MEETING: {State.IN_REVIEW, State.APPROVED, State.DONE},
    State.APPROVED: {State.IN_REVIEW, State.DONE},
    State.DONE: {State.IN_REVIEW},
}
TRANSITION_LABELS = {
    (State.DRAFT, State.IN_REVIEW): "Send for review",
    (State.IN_REVIEW, State.DRAFT): "Back to draft",
    (State.IN_REVIEW, State.MEETING): "Close feedback, on to the meeting",
    (State.MEETING, State.IN_REVIEW): "Back to review",
    (State.MEETING, State.APPROVED): "Approve",
    (State.MEETING, State.DONE): "Approve and publish",
    (State.APPROVED, State.IN_REVIEW): "Reopen review",
    (State.APPROVED, State.DONE): "Mark done and publish",
    (State.DONE, State.IN_REVIEW): "Reopen",
}
# A done retrospective is the published record: nothing in it changes until someone reopens it, saying why.
REOPEN_REASON_REQUIRED = "Say why it is reopened: everyone who reads the retrospective sees the reason."


def transition_refusal(retrospective: Retrospective, to_state: str, *, clearance=None) -> str | None:
    """Why an app above writeups refuses a move (None: nobody does). Each app lists guards in its AppConfig's
    `retrospective_transition_guards` (dotted paths, like retrospective_page_parts), called as
    `guard(retrospective=..., to_state=..., clearance=...)` and returning a refusal or None; `clearance` is whatever
    the app's own action passes through retrospective_transition to show that its rules were checked."""
    for guard in app_hooks("retrospective_transition_guards"):
        if refusal := guard(retrospective=retrospective, to_state=to_state, clearance=clearance):
            return refusal
    return None


def transitions_offered(retrospective: Retrospective) -> list[tuple[str, str]]:
    """The moves the generic state buttons offer, as (state, label): the allowed ones no guard reserves."""
    return sorted(
        (
            (state, TRANSITION_LABELS[(retrospective.state, state)])
            for state in TRANSITIONS.get(retrospective.state, set())
            if transition_refusal(retrospective, state) is None
        ),
        key=lambda pair: pair[1],
    )


def done_read_only_message(retrospective: Retrospective) -> str:
    return (
        f"“{retrospective.title}” is done, so it is read-only. "
        "Reopen it (saying why) to change it; reopening sends it back to review."
    )


def _refuse_if_done(retrospective: Retrospective, *, current=None) -> None:
    if retrospective.state == State.DONE:
        raise ReadOnlyError(done_read_only_message(retrospective), current=current)


# --- Templates --------------------------------------------------------------------------


def section_body_fields(body: str, html: str | None = None) -> dict:
    """A section's body with what is kept in step with it: its sanitized HTML (`html` when already rendered from this
    body), and whether something was written."""
    return {"body": body, "html": render_markdown(body) if html is None else html, "filled": not body_is_empty(body)}


def builtin_templates_sync(*, template_model=Template, version_model=TemplateVersion) -> int:
    """Create or update the built-in templates; a changed definition becomes a new version.

    Takes the model classes so that a data migration can pass its historical models.
    Returns the number of versions created.
    """
    created = 0
    for definition in builtin_definitions():
        template, _ = template_model.objects.get_or_create(
            organization=None,
            key=definition.key,
            defaults={"name": definition.name, "description": definition.description, "is_builtin": True},
        )
        latest = version_model.objects.filter(template=template).order_by("-number").first()
        sections = definition.sections_as_dicts()
        if (
            latest
            and latest.sections == sections
            and latest.name == definition.name
            and latest.description == definition.description
        ):
            continue
        version_model.objects.create(
            template=template,
            number=(latest.number + 1) if latest else 1,
            name=definition.name,
            description=definition.description,
            sections=sections,
        )
        template_model.objects.filter(pk=template.pk).update(name=definition.name, description=definition.description)
        created += 1
    return created


def _require_template_author(by: User, team: Team) -> None:
    if by.organization_id != team.organization_id or not (by.is_org_admin or has_team_role(by, team.pk, Role.MEMBER)):
        raise PermissionDenied(f"Only members of {team.name} can manage its templates.")


@transaction.atomic
def template_create(*, team: Team, definition: TemplateDefinition, by: User) -> Template:
    _require_template_author(by, team)
    if Template.objects.filter(organization_id=team.organization_id, key=definition.key).exists():
        raise ValidationError({"key": f"A template with the key {definition.key!r} already exists; pick another key."})
    template = Template.objects.create(
        organization_id=team.organization_id,
        team=team,
        key=definition.key,
        name=definition.name,
        description=definition.description,
    )
    TemplateVersion.objects.create(
        template=template,
        number=1,
        name=definition.name,
        description=definition.description,
        sections=definition.sections_as_dicts(),
        created_by=by,
    )
    return template


@transaction.atomic
def template_update(*, template: Template, definition: TemplateDefinition, by: User) -> TemplateVersion:
    """A change never edits a version in place: retrospectives keep the version they started with."""
    if template.is_builtin:
        raise PermissionDenied("Built-in templates cannot be changed; import a copy under a new key instead.")
    _require_template_author(by, template.team)
    if definition.key != template.key:
        raise ValidationError({"key": "The key of an existing template cannot change."})
    latest = TemplateVersion.objects.select_for_update().filter(template=template).order_by("-number").first()
    sections = definition.sections_as_dicts()
    if (
        latest
        and latest.sections == sections
        and latest.name == definition.name
        and latest.description == definition.description
    ):
        return latest
    version = TemplateVersion.objects.create(
        template=template,
        number=(latest.number + 1) if latest else 1,
        name=definition.name,
        description=definition.description,
        sections=sections,
        created_by=by,
    )
    Template.objects.filter(pk=template.pk).update(name=definition.name, description=definition.description)
    return version


@transaction.atomic
def template_save(
    *,
    definition: TemplateDefinition,
    by: User,
    team: Team | None = None,
    template: Template | None = None,
    replace_same_key: bool = False,
) -> tuple[Template, bool]:
    """Save a definition as a new template in `team`, or as the next version of one; returns (template, created).

    `template` is the one being edited. With `replace_same_key` (an import), the organization's own template
    with the definition's key, when `by` can see it, gets the new version instead; a built-in of that key is
    never changed, the import becomes the organization's own template.
    """
    if template is None and replace_same_key:
        existing = template_by_key(user=by, key=definition.key)
        if existing is not None and not existing.is_builtin:
            template = existing
    if template is not None:
        template_update(template=template, definition=definition, by=by)
        return template, False
    return template_create(team=team, definition=definition, by=by), True


# --- Retrospectives ------------------------------------------------------------------------


@transaction.atomic
def _run_start_checks(incident: Incident, template: Template) -> None:
    """The apps above writeups may refuse a start (e.g. the organization's process requires another template): each
    function listed in an AppConfig's `retrospective_start_checks` is called as check(incident=, template=) and raises
    ValidationError to refuse. writeups imports none of them (the layers point down)."""
    for check in app_hooks("retrospective_start_checks"):
        check(incident=incident, template=template)


def retrospective_start(
    *,
    incident: Incident,
    template: Template,
    by: User,
    owner: User | None = None,
    shadow: User | None = None,
    title: str = "",
    due_at=None,
    bodies: dict[str, str] | None = None,
) -> Retrospective:
    if not can_edit_incident(by, incident):
        raise PermissionDenied("Only members of the incident's team can start its retrospective.")
    if template.organization_id not in (None, incident.organization_id):
        raise ValidationError({"template": "Unknown template."})
    _run_start_checks(incident, template)
    owner = owner or by
    _check_and_invite_writers(incident, owner, shadow)
    version = template_latest_version(template)
    retrospective = Retrospective.objects.create(
        incident=incident,
        template_version=version,
        title=single_line(title)[:300] or f"Retrospective: {incident.title}"[:300],
        owner=owner,
        shadow=shadow,
        due_at=due_at,
        created_by=by,
    )
    bodies = bodies or {}
    sections = []
    for position, spec in enumerate(version.sections):
        body = bodies.get(spec["key"], spec.get("starter", "") or "")
        if error := markdown_size_error(body):
            raise ValidationError({f"sections.{spec['key']}": error})
        sections.append(
            Section(
                retrospective=retrospective,
                key=spec["key"],
                title=spec["title"],
                kind=spec["kind"],
                required=spec["required"],
                guidance=spec.get("guidance", ""),
                position=position,
                **section_body_fields(body),
                updated_by=by,
            )
        )
    Section.objects.bulk_create(sections)
    Revision.objects.bulk_create(
        Revision(section=s, version=1, body=s.body, created_by=by, note="Started")
        for s in Section.objects.filter(retrospective=retrospective)
    )
    return retrospective


def _check_and_invite_writers(incident: Incident, owner: User, shadow: User | None) -> None:
    """Owner and shadow must be two people of the incident's organization. Whoever writes the retrospective must
    be able to read the incident, so they are invited to a private one of another team."""
    for field, person in (("owner", owner), ("shadow", shadow)):
        if person is not None and person.organization_id != incident.organization_id:
            raise ValidationError({field: f"{person.username} is not in this organization."})
    if shadow is not None and shadow.pk == owner.pk:
        raise ValidationError({"shadow": "The shadow should be someone other than the owner."})
    if incident.visibility != Incident.Visibility.PRIVATE:
        return
    for person in (owner, shadow):
        if person is not None and not person.is_org_admin and not has_team_role(person, incident.team_id, Role.VIEWER):
            incident.invitees.add(person)


@transaction.atomic
def section_save(*, section: Section, body: str, base_version: int, by: User, note: str = "") -> Section:
    """Save a section only if nobody saved it since `base_version`; otherwise raise ConflictError."""
    body = (body or "").replace("\r\n", "\n")
    if error := markdown_size_error(body):
        raise ValidationError({"body": error})
    current = locked(Section.objects.select_related("retrospective__incident"), section.pk)
    if not can_edit_retrospective(by, current.retrospective):
        raise PermissionDenied("You can read this retrospective but not change it.")
    _refuse_if_done(current.retrospective, current=current)
    if current.version != base_version:
        raise ConflictError(
            f"“{current.title}” was saved by someone else after you started editing "
            f"(you edited version {base_version}; it is now version {current.version}).",
            current=current,
        )
    if current.body == body:
        return current
    for name, value in section_body_fields(body).items():
        setattr(current, name, value)
    current.version += 1
    current.updated_by = by
    current.save(update_fields=["body", "html", "filled", "version", "updated_by", "updated_at"])
    Revision.objects.create(section=current, version=current.version, body=body, created_by=by, note=note[:200])
    Retrospective.objects.filter(pk=current.retrospective_id).update(updated_at=timezone.now())
    return current


def section_restore(*, section: Section, version: int, base_version: int, by: User) -> Section:
    revision = section.revisions.filter(version=version).first()
    if revision is None:
        raise ValidationError({"version": f"There is no version {version} of this section."})
    return section_save(
        section=section, body=revision.body, base_version=base_version, by=by, note=f"Restored version {version}"
    )


# A cell of the key events' table holds at most this much of an event's text (cut at a word, with an ellipsis): the
# table is a summary, the full text stays in the timeline the source column links to.
KEY_EVENT_TEXT_LIMIT = 400
NO_KEY_EVENTS = (
    "The incident's timeline has no key events yet: mark the events that matter as key on the timeline first. "
    "Nothing was replaced."
)


def key_events_table(events, zone) -> str:
    """The key events as a Markdown table in `zone`, named the IANA way in the header ("Time (Europe/Paris)", which the
    timeline checks read as the timeline's zone). Each event's text reads as it was written: Markdown in it escaped,
    code kept as code on one line, long text cut at a word with an ellipsis (core.markdown_writing.table_cell)."""
    rows = [f"| Time ({zone.key}) | Event | Source |", "|---|---|---|"]
    for event in events:
        local = event.occurred_at.astimezone(zone)
        text = table_cell(event.text, limit=KEY_EVENT_TEXT_LIMIT)
        if event.actor:
            text = f"{escape_inline(event.actor)}: {text}"
        if http_url(event.source_url):
            source = markdown_link(event.source_type, event.source_url)
        else:
            source = table_cell(event.source_ref, limit=120) or "—"
        rows.append(f"| {local:%Y-%m-%d %H:%M:%S} | {text} | {source} |")
    return "\n".join(rows)


def section_fill_from_key_events(*, section: Section, base_version: int, by: User, zone) -> Section:
    """Replace a section with the table of its incident's key events (the previous text stays in its history)."""
    retrospective = section.retrospective
    if not can_edit_retrospective(by, retrospective):
        raise PermissionDenied("You can read this retrospective but not change it.")
    _refuse_if_done(retrospective)
    events = list(
        timeline_events(incident=retrospective.incident, key_only=True).only(
            "occurred_at", "actor", "text", "source_url", "source_type", "source_ref"
        )
    )
    if not events:
        raise ValidationError({"section": NO_KEY_EVENTS})
    return section_save(
        section=section,
        body=key_events_table(events, zone),
        base_version=base_version,
        by=by,
        note="Filled from the incident's key events",
    )


@transaction.atomic
def retrospective_transition(
    *, retrospective: Retrospective, to_state: str, by: User, note: str = "", clearance=None
) -> Retrospective:
    current = locked(Retrospective.objects.select_related("incident"), retrospective.pk)
    if not can_edit_retrospective(by, current):
        raise PermissionDenied("You can read this retrospective but not change its state.")
    if to_state not in TRANSITIONS.get(current.state, set()):
        raise ValidationError(
            {"state": f"A retrospective that is {current.get_state_display().lower()} cannot move to {to_state!r}."}
        )
    note = (note or "").strip()
    if current.state == State.DONE and not note:
        raise ValidationError({"note": REOPEN_REASON_REQUIRED})
    if to_state in (State.APPROVED, State.DONE):
        empty = [s.title for s in current.sections.filter(required=True) if s.is_empty]
        if empty:
            raise ValidationError({"state": "Fill in the required sections first: " + ", ".join(empty) + "."})
    refusal = transition_refusal(current, to_state, clearance=clearance)
    if refusal:
        raise ValidationError({"state": refusal})
    StateChange.objects.create(
        retrospective=current, from_state=current.state, to_state=to_state, by=by, note=note[:2000]
    )
    current.state = to_state
    current.done_at = timezone.now() if to_state == State.DONE else None
    current.save(update_fields=["state", "done_at", "updated_at"])
    return current


@transaction.atomic
def retrospective_assign(
    *, retrospective: Retrospective, by: User, owner: User, shadow: User | None, due_at=None
) -> Retrospective:
    if not can_edit_incident(by, retrospective.incident):
        raise PermissionDenied("Only members of the incident's team can assign the retrospective.")
    _refuse_if_done(locked(Retrospective.objects, retrospective.pk))
    _check_and_invite_writers(retrospective.incident, owner, shadow)
    retrospective.owner = owner
    retrospective.shadow = shadow
    retrospective.due_at = due_at
    retrospective.save(update_fields=["owner", "shadow", "due_at", "updated_at"])
    return retrospective


@transaction.atomic
def retrospective_import_markdown(
    *, incident: Incident, text: str, by: User, source: str = "document"
) -> Retrospective:
    """Import an exported (or hand-written) Markdown write-up as a new retrospective; all or nothing."""
    from .exchange import MarkdownImportError, parse_markdown

    if not can_edit_incident(by, incident):
        raise PermissionDenied("Only members of the incident's team can add a retrospective to it.")
    try:
        parsed = parse_markdown(text, source=source)
    except MarkdownImportError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    # `by` may edit the incident, so they are in its organization and see the same templates it can use.
    template = template_by_key(user=by, key=parsed.template) if parsed.template else None
    if template is None:
        template = Template.objects.get(organization__isnull=True, key="postmortem")
    version = None
    if parsed.template_version and template.key == parsed.template:
        version = template.versions.filter(number=parsed.template_version).first()
    version = version or template_latest_version(template)
    keys = _template_keys_for(parsed.sections, version.sections)
    specs = {spec["key"]: spec for spec in version.sections}
    retrospective = Retrospective.objects.create(
        incident=incident,
        template_version=version,
        title=single_line(parsed.title)[:300] or f"Retrospective: {incident.title}"[:300],
        owner=by,
        created_by=by,
        imported_from=single_line(source)[:200] or "document",
    )
    sections = []
    for position, (parsed_section, key) in enumerate(zip(parsed.sections, keys, strict=True)):
        if error := markdown_size_error(parsed_section.body):
            raise ValidationError({f"sections.{parsed_section.key}": error})
        spec = specs.get(key, {})
        sections.append(
            Section(
                retrospective=retrospective,
                key=key,
                title=single_line(parsed_section.title)[:200] or parsed_section.key,
                kind=spec.get("kind", "text"),
                required=spec.get("required", False),
                guidance=spec.get("guidance", ""),
                position=position,
                **section_body_fields(parsed_section.body),
                updated_by=by,
            )
        )
    Section.objects.bulk_create(sections)
    Revision.objects.bulk_create(
        Revision(section=s, version=1, body=s.body, created_by=by, note=f"Imported from {source}"[:200])
        for s in Section.objects.filter(retrospective=retrospective)
    )
    return retrospective


def _title_words(title: str) -> str:
    return " ".join(re.findall(r"\w+", title.casefold()))


def _template_keys_for(parsed_sections, specs: list[dict]) -> list[str]:
    """The key each imported section gets: its own when the template has it, else the key of the template's section
    with the same title ("## Contributing factors:" is the postmortem's contributing-factors), when no other imported
    section has that key; the others keep theirs and are extra sections."""
    template_keys = {spec["key"] for spec in specs}
    by_title = {_title_words(spec["title"]): spec["key"] for spec in specs}
    own = {section.key for section in parsed_sections}
    keys: list[str] = []
    for section in parsed_sections:
        key = section.key
        if key not in template_keys:
            match = by_title.get(_title_words(section.title))
            if match is not None and match not in own and match not in keys:
                key = match
        keys.append(key)
    return keys


# --- Findings of the checks left on purpose ----------------------------------------------------

IGNORE_FORBIDDEN = "Only people who can edit this retrospective can ignore its findings or take an ignore back."


@transaction.atomic
def finding_ignore(
    *, retrospective: Retrospective, section_key: str, rule: str, passage: str, reason: str, by: User
) -> FindingIgnore:
    """Leave a finding of the checks on purpose: the rule's findings on these words in this section no longer count.
    Ignoring what is already ignored returns the standing ignore (its first reason stays)."""
    if not can_edit_retrospective(by, retrospective):
        raise PermissionDenied(IGNORE_FORBIDDEN)
    _refuse_if_done(locked(Retrospective.objects, retrospective.pk))
    reason = single_line(reason)
    if not reason:
        raise ValidationError({"reason": "Say in a few words why this finding is fine here."})
    if len(reason) > 300:
        raise ValidationError({"reason": f"Keep the reason under 300 characters (this one has {len(reason)})."})
    if rule not in RULES:
        raise ValidationError({"rule": f"Unknown rule {rule!r}."})
    if not retrospective.sections.filter(key=section_key).exists():
        raise ValidationError({"section": f"This retrospective has no section {section_key!r}."})
    passage = (passage or "")[: FindingIgnore.PASSAGE_MAX]
    key = dict(retrospective=retrospective, section_key=section_key, rule=rule, passage=passage)
    standing = FindingIgnore.objects.filter(**key, unignored_at__isnull=True).first()
    if standing is not None:
        return standing
    try:
        with transaction.atomic():
            return FindingIgnore.objects.create(**key, reason=reason, ignored_by=by)
    except IntegrityError:  # someone ignored the same finding at the same moment
        return FindingIgnore.objects.get(**key, unignored_at__isnull=True)


@transaction.atomic
def finding_unignore(*, ignore: FindingIgnore, by: User) -> FindingIgnore:
    """Count the finding again. The row stays, with who took the ignore back and when."""
    current = locked(FindingIgnore.objects.select_related("retrospective__incident"), ignore.pk)
    if not can_edit_retrospective(by, current.retrospective):
        raise PermissionDenied(IGNORE_FORBIDDEN)
    _refuse_if_done(locked(Retrospective.objects, current.retrospective_id))
    if current.unignored_at is None:
        current.unignored_at = timezone.now()
        current.unignored_by = by
        current.save(update_fields=["unignored_at", "unignored_by"])
    return current
