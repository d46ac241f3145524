"""The organization's standard review process as a document the product runs (issue 15, item 6): each change is a new
version with its reason, the people it concerns are told what changed and why, every retrospective records the version
it started under, and an onboarding view tells who has seen, done and taught a retrospective."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.urls import reverse

from retrospector.accounts.models import Membership, Organization, Role, Team, User
from retrospector.incidents.models import SeverityLevel
from retrospector.notifications.models import Kind
from retrospector.notifications.services import notify
from retrospector.writeups.models import Retrospective, Template
from retrospector.writeups.selectors import retrospectives_visible_to

from .models import Approvers, ProcessRecord, ProcessSettings, ProcessVersion
from .process import (
    OFFSET_FIELDS,
    checked_offsets,
    checked_severities,
    deadlines_refresh_for_team,
    effective_process_for,
    process_current,
    standard_governs,
)

PROCESS_VERSION_FORBIDDEN = "Only organization admins change the organization's standard process."
REASON_REQUIRED = "Say why the process changes: everyone it concerns is told, with your reason."
REASON_MAX_CHARS = 2000

FIELD_NAMES = {
    "severities_requiring": "Severities that need a retrospective",
    **{field: f"{step.label} (business days)" for step, field in OFFSET_FIELDS.items()},
    "required_template": "Required template",
    "approvers": "Who approves",
    "teams_may_lead_own": "Teams may lead their own process",
}


def _shown(field: str, value) -> str:
    if field == "severities_requiring":
        return ", ".join(value) if value else "every severity"
    if field == "required_template":
        return value or "any template"
    if field == "approvers":
        return Approvers(value).label
    if field == "teams_may_lead_own":
        return "yes" if value else "no"
    return str(value)


def process_changes(before: ProcessVersion | None, after: ProcessVersion) -> list[str]:
    """What changed from one version to the next, one sentence a field ("First draft (business days): 5 → 3")."""
    if before is None:
        return ["The organization's first standard process."]
    return [
        f"{label}: {_shown(field, getattr(before, field))} → {_shown(field, getattr(after, field))}"
        for field, label in FIELD_NAMES.items()
        if getattr(before, field) != getattr(after, field)
    ]


def _checked_template(organization: Organization, key: str) -> str:
    key = (key or "").strip()
    if not key:
        return ""
    known = Template.objects.filter(Q(organization__isnull=True) | Q(organization=organization), key=key)
    if not known.exists():
        raise ValidationError({"required_template": f"No template with the key {key!r} in this organization."})
    return key


def process_people(organization: Organization) -> list[User]:
    """Whom a change of the standard process concerns: the organization's admins and every team's admins."""
    return list(
        User.objects.filter(organization=organization, is_active=True)
        .filter(Q(is_org_admin=True) | Q(memberships__role=Role.ADMIN))
        .distinct()
        .order_by("username")
    )


@transaction.atomic
def process_version_create(
    *,
    organization: Organization,
    by: User,
    reason: str,
    severities_requiring: Iterable[str],
    offsets: dict[str, int],
    required_template: str = "",
    approvers: str = Approvers.TEAM_ADMIN_OR_MODERATOR,
    teams_may_lead_own: bool = True,
) -> ProcessVersion:
    """A new version of the organization's standard process, with the reason for it: the open retrospectives it
    governs get their deadlines moved, and the people it concerns are notified of what changed and why. A version
    that changes nothing is refused."""
    if not (by.is_org_admin and by.organization_id == organization.pk):
        raise PermissionDenied(PROCESS_VERSION_FORBIDDEN)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    if len(reason) > REASON_MAX_CHARS:
        raise ValidationError(
            {"reason": f"The reason is {len(reason):,} characters; keep it under {REASON_MAX_CHARS:,}."}
        )
    if approvers not in Approvers.values:
        raise ValidationError({"approvers": f"Choose who approves among: {', '.join(Approvers.values)}."})
    keys = checked_severities(organization.pk, severities_requiring)
    checked_offsets(offsets)
    template_key = _checked_template(organization, required_template)
    # One writer at a time per organization: the number and the "changes" compare with the latest version.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    before = process_current(organization.pk)
    version = ProcessVersion(
        organization=organization,
        number=(before.number + 1) if before else 1,
        severities_requiring=keys,
        required_template=template_key,
        approvers=approvers,
        teams_may_lead_own=bool(teams_may_lead_own),
        reason=reason,
        created_by=by,
        **{field: offsets[step] for step, field in OFFSET_FIELDS.items()},
    )
    changes = process_changes(before, version)
    if before is not None and not changes:
        raise ValidationError({"reason": "Nothing changed from the current version: there is no new version to make."})
    version.changes = changes
    version.save()
    _refresh_deadlines(organization, version)
    url = reverse("org_process")
    body = "What changed:\n" + "\n".join(f"- {line}" for line in changes) + f"\n\nWhy: {reason}"
    notify(
        recipients=process_people(organization),
        kind=Kind.PROCESS_CHANGED,
        key=f"process:{organization.pk}:v{version.number}",
        title=f"The review process changed (version {version.number})",
        url=url,
        actor=by,
        body=body,
    )
    return version


def _refresh_deadlines(organization: Organization, version: ProcessVersion) -> int:
    """Move the deadlines of the open, resolved retrospectives of every team the version governs."""
    own = {s.team_id: s for s in ProcessSettings.objects.filter(team__organization=organization)}
    count = 0
    for team in Team.objects.filter(organization=organization):
        if not standard_governs(version, own.get(team.pk)):
            continue
        count += deadlines_refresh_for_team(team, settings=effective_process_for(team, version=version))
    return count


def process_versions(organization: Organization) -> list[ProcessVersion]:
    """Every version, newest first, with who made it and how many retrospectives started under each."""
    return list(
        ProcessVersion.objects.filter(organization=organization)
        .select_related("created_by")
        .annotate(retrospective_count=Count("records"))
        .order_by("-number")
    )


def process_record_start(retrospective: Retrospective) -> ProcessRecord | None:
    """Record the version a retrospective starts under (nothing before the organization's first version). Called
    once, when the retrospective is made; a second call changes nothing."""
    team = retrospective.incident.team
    version = process_current(team.organization_id)
    if version is None:
        return None
    own = ProcessSettings.objects.filter(team=team).first()
    record, _ = ProcessRecord.objects.get_or_create(
        retrospective=retrospective,
        defaults={"version": version, "team_led": not standard_governs(version, own)},
    )
    return record


def required_template_for(team: Team) -> str:
    """The template key every retrospective of the team must use, by the standard that governs it ("" for any)."""
    version = process_current(team.organization_id)
    if version is None:
        return ""
    own = ProcessSettings.objects.filter(team=team).first()
    return version.required_template if standard_governs(version, own) else ""


def template_check(*, incident, template) -> None:
    """A retrospective starts in the template the organization's process requires, when it requires one."""
    required = required_template_for(incident.team)
    if required and template.key != required:
        raise ValidationError(
            {"template": f"The organization's review process asks for the template “{required}” for this team."}
        )


def default_offsets() -> dict[str, int]:
    return {step: ProcessVersion._meta.get_field(field).default for step, field in OFFSET_FIELDS.items()}


def version_offsets(version: ProcessVersion | None) -> dict[str, int]:
    if version is None:
        return default_offsets()
    return {step: getattr(version, field) for step, field in OFFSET_FIELDS.items()}


def severity_keys(organization: Organization) -> list[str]:
    return list(SeverityLevel.objects.filter(organization=organization).order_by("rank").values_list("key", flat=True))


# --- Onboarding: who has seen, done and taught one --------------------------------------------------------------------


@dataclass
class Experience:
    person: User
    seen: int  # shadowed (see one)
    done: int  # owned (do one)
    taught: int  # coached as reverse shadow (teach one)
    last: datetime | None

    @property
    def stage(self) -> str:
        if self.taught:
            return "taught one"
        if self.done:
            return "done one"
        if self.seen:
            return "seen one"
        return "not yet"


def onboarding(organization: Organization, *, viewer: User, team: Team | None = None) -> list[Experience]:
    """Each active person of the organization (or of one team) with how many finished retrospectives they shadowed,
    owned and coached, and when last, counting only those `viewer` may see (a private incident's retrospective is
    never counted for someone who can't see it): four queries, whatever the number of people."""
    people = User.objects.filter(organization=organization, is_active=True)
    if team is not None:
        people = people.filter(pk__in=Membership.objects.filter(team=team).values("user_id"))
    people = list(people.order_by("full_name", "username"))
    finished = retrospectives_visible_to(viewer).filter(
        incident__organization=organization, state__in=(Retrospective.State.APPROVED, Retrospective.State.DONE)
    )
    counts: dict[str, dict[int, tuple[int, datetime | None]]] = {}
    for role in ("shadow", "owner", "reverse_shadow"):
        rows = finished.filter(**{f"{role}__in": people}).values(role).annotate(n=Count("pk"), last=Max("done_at"))
        counts[role] = {row[role]: (row["n"], row["last"]) for row in rows}
    result = []
    for person in people:
        seen, done, taught = (counts[role].get(person.pk, (0, None)) for role in ("shadow", "owner", "reverse_shadow"))
        moments = [m for m in (seen[1], done[1], taught[1]) if m is not None]
        result.append(Experience(person, seen[0], done[0], taught[0], max(moments) if moments else None))
    return result
