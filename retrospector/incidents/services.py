"""Every write to incidents."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from retrospector.accounts.models import Organization, Team, User
from retrospector.core.errors import ConflictError, locked
from retrospector.core.text import single_line
from retrospector.core.untrusted import utc_in_range

from .models import MOMENT_LABELS, MOMENTS, Incident, IncidentLink, Service, SeverityLevel
from .selectors import can_edit_incident

DEFAULT_SEVERITIES = [
    ("SEV1", "Critical", "Most or all customers cannot use a core part of the product."),
    ("SEV2", "Major", "A large share of customers are affected, or a core feature is degraded."),
    ("SEV3", "Minor", "Some customers see a partial or intermittent problem."),
    ("SEV4", "Low", "Little or no customer impact; worth learning from."),
]

EDITABLE_FIELDS = ("title", "summary", "severity", "status", "visibility", "team", *MOMENTS)


def severity_levels_ensure_defaults(*, organization: Organization) -> None:
    if SeverityLevel.objects.filter(organization=organization).exists():
        return
    SeverityLevel.objects.bulk_create(
        SeverityLevel(organization=organization, key=key, name=name, description=description, rank=rank)
        for rank, (key, name, description) in enumerate(DEFAULT_SEVERITIES, start=1)
    )


def validate_moments(moments: dict[str, datetime | None]) -> None:
    """Refuse key moments that are out of order, naming both fields, or too close to the calendar's ends. The moments
    given are put in UTC, in `moments` itself: PostgreSQL refuses offsets beyond ±15:59, which RFC 3339 allows."""
    if moments.get("started_at") is None:
        raise ValidationError({"started_at": "When did the impact start? This moment is required."})
    previous_field = None
    for field in MOMENTS:
        value = moments.get(field)
        if value is None:
            continue
        try:
            value = moments[field] = utc_in_range(value)  # shown in every viewer's zone: it must convert
        except ValueError as exc:
            raise ValidationError({field: f"{MOMENT_LABELS[field]}: this time {exc}."}) from None
        if previous_field is not None and value < moments[previous_field]:
            raise ValidationError(
                {
                    field: f"{MOMENT_LABELS[field]} ({value:%Y-%m-%d %H:%M}) cannot be before "
                    f"{MOMENT_LABELS[previous_field].lower()} ({moments[previous_field]:%Y-%m-%d %H:%M})."
                }
            )
        previous_field = field


def _services_from_names(organization: Organization, names) -> list[Service]:
    cleaned = []
    for name in names or []:
        name = single_line(str(name)).lower()[:100]
        if name and name not in cleaned:
            cleaned.append(name)
    existing = {s.name: s for s in Service.objects.filter(organization=organization, name__in=cleaned)}
    missing = [Service(organization=organization, name=n) for n in cleaned if n not in existing]
    if missing:
        Service.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {s.name: s for s in Service.objects.filter(organization=organization, name__in=cleaned)}
    return [existing[n] for n in cleaned]


def _check_people(organization: Organization, people, field: str) -> list[User]:
    people = list(people or [])
    for person in people:
        if person.organization_id != organization.pk:
            raise ValidationError({field: f"{person.username} is not in this organization."})
    return people


def _check_team_and_severity(*, by: User, team: Team, severity: SeverityLevel) -> None:
    if team.organization_id != by.organization_id:
        raise ValidationError({"team": "Unknown team."})
    if severity.organization_id != by.organization_id:
        raise ValidationError({"severity": "Unknown severity level."})
    probe = Incident(organization_id=team.organization_id, team=team)
    if not can_edit_incident(by, probe):
        raise PermissionDenied(f"You need to be a member of {team.name} to record its incidents.")


@transaction.atomic
def incident_create(
    *,
    by: User,
    team: Team,
    title: str,
    severity: SeverityLevel,
    started_at: datetime,
    summary: str = "",
    status: str = Incident.Status.OPEN,
    visibility: str = Incident.Visibility.ORGANIZATION,
    detected_at: datetime | None = None,
    acknowledged_at: datetime | None = None,
    mitigated_at: datetime | None = None,
    resolved_at: datetime | None = None,
    services=(),
    responders=(),
    invitees=(),
    links=(),
) -> Incident:
    _check_team_and_severity(by=by, team=team, severity=severity)
    title = single_line(title)
    if not title:
        raise ValidationError({"title": "Give the incident a short title that says what users saw."})
    moments = dict(
        started_at=started_at,
        detected_at=detected_at,
        acknowledged_at=acknowledged_at,
        mitigated_at=mitigated_at,
        resolved_at=resolved_at,
    )
    validate_moments(moments)
    incident = Incident(
        organization_id=team.organization_id,
        team=team,
        title=title[:300],
        summary=summary or "",
        severity=severity,
        status=status,
        visibility=visibility,
        created_by=by,
        **moments,
    )
    incident.full_clean(exclude=["created_by"])
    incident.save()
    incident.services.set(_services_from_names(team.organization, services))
    incident.responders.set(_check_people(team.organization, responders, "responders"))
    incident.invitees.set(_check_people(team.organization, invitees, "invitees"))
    incident_links_set(incident=incident, links=links)
    return incident


def incident_links_set(*, incident: Incident, links) -> None:
    incident.links.all().delete()
    objs = []
    for position, link in enumerate(links or []):
        url = (link.get("url") or "").strip()
        if not url:
            continue
        obj = IncidentLink(
            incident=incident,
            kind=link.get("kind") or IncidentLink.Kind.OTHER,
            url=url,
            label=single_line(link.get("label"))[:200],
        )
        try:
            obj.full_clean(exclude=["incident"])
        except ValidationError as exc:
            raise ValidationError({f"links[{position}]": "; ".join(exc.messages)}) from exc
        objs.append(obj)
    IncidentLink.objects.bulk_create(objs)


@transaction.atomic
def incident_update(
    *,
    incident: Incident,
    by: User,
    base_version: int | None = None,
    services=None,
    responders=None,
    invitees=None,
    links=None,
    **changes,
) -> Incident:
    if not can_edit_incident(by, incident):
        raise PermissionDenied("Only members of the incident's team can change it.")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "This field cannot be changed."})
    current = locked(Incident.objects, incident.pk)
    if base_version is not None and current.version != base_version:
        raise ConflictError(
            f"This incident was changed by someone else (you edited version {base_version}, "
            f"it is now version {current.version}).",
            current=current,
        )
    if "team" in changes or "severity" in changes:
        _check_team_and_severity(
            by=by, team=changes.get("team", current.team), severity=changes.get("severity", current.severity)
        )
    if "title" in changes:
        changes["title"] = single_line(changes["title"])[:300]
        if not changes["title"]:
            raise ValidationError({"title": "The title cannot be empty."})
    for field, value in changes.items():
        setattr(current, field, value)
    moments = {field: getattr(current, field) for field in MOMENTS}
    validate_moments(moments)
    for field, value in moments.items():
        setattr(current, field, value)
    current.version += 1
    current.full_clean(exclude=["created_by"])
    # Only what changed: never timeline_version, which the timeline's services move forward in the database.
    current.save(update_fields=[*changes, "version", "updated_at"])
    if services is not None:
        current.services.set(_services_from_names(current.organization, services))
    if responders is not None:
        current.responders.set(_check_people(current.organization, responders, "responders"))
    if invitees is not None:
        current.invitees.set(_check_people(current.organization, invitees, "invitees"))
    if links is not None:
        incident_links_set(incident=current, links=links)
    return current


@transaction.atomic
def severity_levels_save(*, organization: Organization, levels: list[dict], by: User) -> list[SeverityLevel]:
    """Replace the organization's severity levels, in the given order (first = most severe).

    Levels are matched by key; a level still used by an incident cannot be removed.
    """
    if not (by.is_org_admin and by.organization_id == organization.pk):
        raise PermissionDenied("Only organization admins can change severity levels.")
    cleaned, seen = [], set()
    for index, level in enumerate(levels):
        key = single_line(level.get("key")).upper()[:20]
        if not key:
            continue
        if key in seen:
            raise ValidationError({f"levels[{index}].key": f"{key} appears twice."})
        seen.add(key)
        cleaned.append(
            {
                "key": key,
                "name": (single_line(level.get("name")) or key)[:100],
                "description": (level.get("description") or "").strip(),
            }
        )
    if not cleaned:
        raise ValidationError({"levels": "Keep at least one severity level."})
    existing = {s.key: s for s in SeverityLevel.objects.select_for_update().filter(organization=organization)}
    removed = [s for key, s in existing.items() if key not in seen]
    for level in removed:
        used = level.incidents.count()
        if used:
            raise ValidationError(
                {"levels": f"{level.key} is used by {used} incident(s); rename it instead of removing it."}
            )
    SeverityLevel.objects.filter(pk__in=[s.pk for s in removed]).delete()
    # Ranks are unique per save; shift them out of the way first.
    SeverityLevel.objects.filter(organization=organization).update(rank=1000)
    result = []
    for rank, level in enumerate(cleaned, start=1):
        obj = existing.get(level["key"]) or SeverityLevel(organization=organization, key=level["key"])
        obj.name, obj.description, obj.rank = level["name"], level["description"], rank
        obj.save()
        result.append(obj)
    return result
