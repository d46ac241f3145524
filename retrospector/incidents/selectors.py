"""Every read of incidents goes through incidents_visible_to: one rule for pages, API, exports and counts."""

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from retrospector.accounts.models import Role, User
from retrospector.accounts.selectors import has_team_role, team_ids_with_role

from .models import Incident, SeverityLevel, Service

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
    return (
        incidents.select_related("team", "severity")
        .prefetch_related(SERVICE_LIST)
        .order_by("-started_at", "-id")
    )


def incident_detail(*, user: User, pk: int) -> Incident | None:
    return (
        incidents_visible_to(user)
        .select_related("team", "severity", "created_by")
        .prefetch_related(SERVICE_LIST, "responders", "invitees", "links")
        .filter(pk=pk)
        .first()
    )


def incident_visible(*, user: User, pk: int) -> Incident | None:
    """The incident when `user` may see it, without the lists incident_detail loads (services, people, links): for the
    timeline's pages and API, which need the incident itself only."""
    return incidents_visible_to(user).filter(pk=pk).first()


def severity_levels_for(user: User) -> QuerySet[SeverityLevel]:
    if not user.is_authenticated or user.organization_id is None:
        return SeverityLevel.objects.none()
    return SeverityLevel.objects.filter(organization_id=user.organization_id).order_by("rank")

