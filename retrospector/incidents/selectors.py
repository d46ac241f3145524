"""Every read of incidents goes through incidents_visible_to: one rule for pages, API, exports and counts."""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from retrospector.accounts.models import Membership, Role, User
from retrospector.accounts.selectors import has_team_role, team_ids_with_role
from retrospector.core.paging import rows_between
from retrospector.core.shortcuts import editable_or_403, visible_or_404

from .models import MOMENTS, Incident, Service, SeverityLevel

# Services as a plain list, `incident.service_list`: a prefetch into `incident.services.all()` builds a queryset per
# incident, which cost more than the rest of a list page's queries together.
SERVICE_LIST = Prefetch("services", queryset=Service.objects.order_by("name"), to_attr="service_list")


def incidents_visible_to(user: User) -> QuerySet[Incident]:
    """Organization-wide incidents, plus private ones of the user's teams or to which they were invited."""
    if not user.is_authenticated or user.organization_id is None:
        return Incident.objects.none()
    incidents = Incident.objects.filter(organization_id=user.organization_id)
    if user.is_org_admin:
        return incidents
    invited = Incident.invitees.through.objects.filter(incident_id=OuterRef("pk"), user_id=user.pk)
    return incidents.filter(
        Q(visibility=Incident.Visibility.ORGANIZATION)
        | Q(team_id__in=team_ids_with_role(user, Role.VIEWER))
        | Exists(invited)
    )


def visible_pairs(pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which (user id, incident id) pairs are visible, by the rule of incidents_visible_to, in four queries however
    many pairs: for jobs that look at many people's incidents at once (the daily reminders). A test compares it with
    incidents_visible_to."""
    pairs = set(pairs)
    user_ids = {u for u, _ in pairs}
    incident_ids = {i for _, i in pairs}
    if not pairs:
        return set()
    users = {
        row["pk"]: row for row in User.objects.filter(pk__in=user_ids).values("pk", "organization_id", "is_org_admin")
    }
    incidents = {
        row["pk"]: row
        for row in Incident.objects.filter(pk__in=incident_ids).values("pk", "organization_id", "visibility", "team_id")
    }
    # Every role (viewer and up) sees its teams' private incidents.
    teams = set(Membership.objects.filter(user_id__in=user_ids).values_list("user_id", "team_id"))
    invited = set(
        Incident.invitees.through.objects.filter(incident_id__in=incident_ids, user_id__in=user_ids).values_list(
            "user_id", "incident_id"
        )
    )
    visible = set()
    for user_id, incident_id in pairs:
        user, incident = users.get(user_id), incidents.get(incident_id)
        if user is None or incident is None or user["organization_id"] != incident["organization_id"]:
            continue
        if (
            user["is_org_admin"]
            or incident["visibility"] == Incident.Visibility.ORGANIZATION
            or (user_id, incident["team_id"]) in teams
            or (user_id, incident_id) in invited
        ):
            visible.add((user_id, incident_id))
    return visible


def can_edit_incident(user: User, incident: Incident) -> bool:
    """Members and admins of the incident's team (and organization admins) edit it."""
    if not user.is_authenticated or user.organization_id != incident.organization_id:
        return False
    return user.is_org_admin or has_team_role(user, incident.team_id, Role.MEMBER)


def incident_list(
    *,
    user: User,
    q: str = "",
    team: str = "",
    severity: str = "",
    status: str = "",
    service: str = "",
    visibility: str = "",
) -> QuerySet[Incident]:
    """Visible incidents with filters applied, ready for a list page (no N+1)."""
    incidents = incidents_visible_to(user)
    if q:
        incidents = incidents.filter(title__icontains=q.strip()[:200])
    if team:
        incidents = incidents.filter(team__slug=team)
    if severity:
        incidents = incidents.filter(severity__key=severity)
    if status:
        incidents = incidents.filter(status=status)
    if service:
        incidents = incidents.filter(services__name=service)
    if visibility:
        incidents = incidents.filter(visibility=visibility)
    return incidents.select_related("team", "severity").prefetch_related(SERVICE_LIST).order_by("-started_at", "-id")


# An incident as a list row of the API: its columns, its team's slug and its severity's key.
INCIDENT_ROW_FIELDS = ("id", "title", "summary", "team__slug", "severity__key", "status", "visibility", *MOMENTS)
INCIDENT_ROW_FIELDS += ("version",)


def incident_rows(incidents: QuerySet[Incident], start: int, stop: int) -> list[dict]:
    """Rows start:stop of `incidents` (an incident_list) as dicts of INCIDENT_ROW_FIELDS and `services`, their names
    in order: the same as the incidents with their SERVICE_LIST, without building the model instances, which took half
    of the API list's time. Two queries (three on deep pages)."""
    rows = rows_between(incidents.prefetch_related(None), start, stop, fields=INCIDENT_ROW_FIELDS)
    services = defaultdict(list)
    through = Incident.services.through.objects.filter(incident_id__in=[row["id"] for row in rows])
    for incident_id, name in through.order_by("service__name").values_list("incident_id", "service__name"):
        services[incident_id].append(name)
    for row in rows:
        row["services"] = services[row["id"]]
    return rows


INCIDENT_NOT_VISIBLE = "No such incident, or you may not see it."


def _with_details(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """What an incident's page and the API show with it: team, severity, services, people, links."""
    return incidents.select_related("team", "severity", "created_by").prefetch_related(
        SERVICE_LIST, "responders", "invitees", "links"
    )


def incident_detail_or_404(*, user: User, pk: int) -> Incident:
    """The incident with its details (_with_details); 404 when `user` may not see it."""
    return visible_or_404(_with_details(incidents_visible_to(user)), pk, message=INCIDENT_NOT_VISIBLE)


def incident_visible_or_404(*, user: User, pk: int) -> Incident:
    """The incident alone, without the lists incident_detail_or_404 loads (services, people, links): for the
    timeline's pages and API, which need the incident itself only; 404 when `user` may not see it."""
    return visible_or_404(incidents_visible_to(user), pk, message=INCIDENT_NOT_VISIBLE)


def incident_editable_or_403(*, user: User, pk: int, forbidden: str, detail: bool = False) -> Incident:
    """The incident `user` may change: 404 when they may not see it, 403 with `forbidden` (which says what they
    wanted to do) when they may only read it; with `detail`, with its details."""
    incidents = _with_details(incidents_visible_to(user)) if detail else incidents_visible_to(user)
    return editable_or_403(
        incidents,
        pk,
        can_edit=lambda incident: can_edit_incident(user, incident),
        not_found=INCIDENT_NOT_VISIBLE,
        forbidden=forbidden,
    )


def severity_levels_for(user: User) -> QuerySet[SeverityLevel]:
    if not user.is_authenticated or user.organization_id is None:
        return SeverityLevel.objects.none()
    return SeverityLevel.objects.filter(organization_id=user.organization_id).order_by("rank")


def severity_by_key(*, user: User, key: str) -> SeverityLevel | None:
    """The severity level of `user`'s organization with this key (e.g. SEV2); None when there is none."""
    return severity_levels_for(user).filter(key=key).first()
