from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from pydantic import AwareDatetime, HttpUrl

from retrospector.accounts.models import Team, User
from retrospector.core.paging import rows_between
from retrospector.incidents.models import Incident, SeverityLevel
from retrospector.incidents.selectors import can_edit_incident, incident_detail, incident_list
from retrospector.incidents.services import incident_create, incident_update

router = Router(tags=["incidents"])


class LinkSchema(Schema):
    kind: str = Field("other", pattern="^(ticket|chat|dashboard|other)$")
    url: HttpUrl
    label: str = Field("", max_length=200)


class IncidentOut(Schema):
    id: int
    title: str
    summary: str
    team: str
    severity: str
    status: str
    visibility: str
    services: list[str]
    started_at: datetime
    detected_at: datetime | None
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    time_to_detect_seconds: int | None
    time_to_acknowledge_seconds: int | None
    time_to_mitigate_seconds: int | None
    time_to_resolve_seconds: int | None
    version: int
    url: str


class IncidentFull(IncidentOut):
    responders: list[str]
    invitees: list[str]
    links: list[dict]


class IncidentPage(Schema):
    count: int
    page: int
    page_size: int
    pages: int
    results: list[IncidentOut]


class IncidentIn(Schema):
    title: str = Field(..., min_length=1, max_length=300)
    team: str = Field(..., description="The team's short name (slug).")
    severity: str = Field(..., description="A severity key, e.g. SEV2.")
    status: str = Field("open", pattern="^(open|mitigated|resolved|closed)$")
    visibility: str = Field("organization", pattern="^(organization|private)$")
    summary: str = Field("", max_length=20000)
    started_at: AwareDatetime
    detected_at: AwareDatetime | None = None
    acknowledged_at: AwareDatetime | None = None
    mitigated_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    services: list[str] = Field(default_factory=list, max_length=50)
    responders: list[str] = Field(default_factory=list, max_length=200)
    invitees: list[str] = Field(default_factory=list, max_length=200)
    links: list[LinkSchema] = Field(default_factory=list, max_length=50)


class IncidentPatch(Schema):
    base_version: int | None = Field(None, description="The version you read; a stale one gets 409.")
    title: str | None = Field(None, min_length=1, max_length=300)
    team: str | None = None
    severity: str | None = None
    status: str | None = Field(None, pattern="^(open|mitigated|resolved|closed)$")
    visibility: str | None = Field(None, pattern="^(organization|private)$")
    summary: str | None = Field(None, max_length=20000)
    started_at: AwareDatetime | None = None
    detected_at: AwareDatetime | None = None
    acknowledged_at: AwareDatetime | None = None
    mitigated_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    services: list[str] | None = None
    responders: list[str] | None = None
    invitees: list[str] | None = None
    links: list[LinkSchema] | None = None


class IncidentFilters(Schema):
    q: str = Field("", max_length=200)
    team: str = ""
    severity: str = ""
    status: str = ""
    service: str = ""
    visibility: str = ""
    page: int = Field(1, ge=1)
    page_size: int = Field(25, ge=1, le=100)


def _seconds(delta):
    return int(delta.total_seconds()) if delta is not None else None


def incident_out(incident: Incident, *, full: bool = False) -> dict:
    data = {
        "id": incident.pk,
        "title": incident.title,
        "summary": incident.summary,
        "team": incident.team.slug,
        "severity": incident.severity.key,
        "status": incident.status,
        "visibility": incident.visibility,
        "services": [s.name for s in incident.service_list],
        "started_at": incident.started_at,
        "detected_at": incident.detected_at,
        "acknowledged_at": incident.acknowledged_at,
        "mitigated_at": incident.mitigated_at,
        "resolved_at": incident.resolved_at,
        "time_to_detect_seconds": _seconds(incident.time_to_detect),
        "time_to_acknowledge_seconds": _seconds(incident.time_to_acknowledge),
        "time_to_mitigate_seconds": _seconds(incident.time_to_mitigate),
        "time_to_resolve_seconds": _seconds(incident.time_to_resolve),
        "version": incident.version,
        "url": f"/incidents/{incident.pk}/",
    }
    if full:
        data["responders"] = [u.username for u in incident.responders.all()]
        data["invitees"] = [u.username for u in incident.invitees.all()]
        data["links"] = [{"kind": link.kind, "url": link.url, "label": link.label} for link in incident.links.all()]
    return data


def _team(user, slug):
    team = Team.objects.filter(organization_id=user.organization_id, slug=slug).first()
    if team is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"team": f"Unknown team {slug!r}."})
    return team


def _severity(user, key):
    severity = SeverityLevel.objects.filter(organization_id=user.organization_id, key=key).first()
    if severity is None:
        from django.core.exceptions import ValidationError

        keys = ", ".join(SeverityLevel.objects.filter(organization_id=user.organization_id).values_list("key", flat=True))
        raise ValidationError({"severity": f"Unknown severity {key!r}; use one of {keys}."})
    return severity


def _people(user, usernames, field):
    from django.core.exceptions import ValidationError

    names = list(dict.fromkeys(usernames))
    people = {u.username: u for u in User.objects.filter(organization_id=user.organization_id, username__in=names)}
    for name in names:
        if name not in people:
            raise ValidationError({field: f"Unknown person {name!r}."})
    return [people[n] for n in names]


def _get_visible(request, incident_id) -> Incident:
    incident = incident_detail(user=request.user, pk=incident_id)
    if incident is None:
        raise Http404("No such incident, or you may not see it.")
    return incident


@router.get("/incidents", response=IncidentPage, summary="List incidents (newest first)")
def list_incidents(request, filters: Query[IncidentFilters]):
    incidents = incident_list(
        user=request.user, q=filters.q, team=filters.team, severity=filters.severity,
        status=filters.status, service=filters.service, visibility=filters.visibility,
    )
    count = incidents.count()
    pages = max(1, -(-count // filters.page_size))
    page = min(filters.page, pages)
    start = (page - 1) * filters.page_size
    rows = rows_between(incidents, start, start + filters.page_size)
    return {"count": count, "page": page, "page_size": filters.page_size, "pages": pages,
            "results": [incident_out(i) for i in rows]}


@router.post("/incidents", response={201: IncidentFull}, summary="Record an incident")
def create_incident(request, payload: IncidentIn):
    user = request.user
    incident = incident_create(
        by=user, team=_team(user, payload.team), severity=_severity(user, payload.severity),
        title=payload.title, status=payload.status, visibility=payload.visibility, summary=payload.summary,
        started_at=payload.started_at, detected_at=payload.detected_at, acknowledged_at=payload.acknowledged_at,
        mitigated_at=payload.mitigated_at, resolved_at=payload.resolved_at, services=payload.services,
        responders=_people(user, payload.responders, "responders"), invitees=_people(user, payload.invitees, "invitees"),
        links=[{"kind": link.kind, "url": str(link.url), "label": link.label} for link in payload.links],
    )
    return Status(201, incident_out(_get_visible(request, incident.pk), full=True))


@router.get("/incidents/{incident_id}", response=IncidentFull, summary="Read an incident")
def read_incident(request, incident_id: int):
    return incident_out(_get_visible(request, incident_id), full=True)


@router.patch("/incidents/{incident_id}", response=IncidentFull, summary="Change an incident")
def update_incident(request, incident_id: int, payload: IncidentPatch):
    incident = _get_visible(request, incident_id)
    user = request.user
    if not can_edit_incident(user, incident):
        # Before resolving the payload: a reader gets 403 whatever they sent, not "unknown team".
        raise PermissionDenied("Only members of the incident's team can change it.")
    data = payload.dict(exclude_unset=True)
    base_version = data.pop("base_version", None)
    related = {}
    if "team" in data:
        data["team"] = _team(user, data["team"])
    if "severity" in data:
        data["severity"] = _severity(user, data["severity"])
    for field in ("responders", "invitees"):
        if field in data:
            related[field] = _people(user, data.pop(field) or [], field)
    if "services" in data:
        related["services"] = data.pop("services") or []
    if "links" in data:
        related["links"] = [{"kind": link.kind, "url": str(link.url), "label": link.label} for link in payload.links or []]
        data.pop("links")
    incident_update(incident=incident, by=user, base_version=base_version, **related, **data)
    return incident_out(_get_visible(request, incident_id), full=True)


