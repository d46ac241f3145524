from datetime import datetime

from ninja import Field, Query, Router, Schema, Status
from pydantic import HttpUrl

from retrospector.incidents.models import Incident, IncidentLink
from retrospector.incidents.selectors import (
    incident_detail_or_404,
    incident_editable_or_403,
    incident_list,
    incident_rows,
)
from retrospector.incidents.services import incident_create, incident_update

from .choices import choices_literal
from .contract import DictOut, InSchema, Omittable, responses
from .lookups import people_from_usernames, severity_from_key, team_from_slug
from .timeline import EVENTS_PER_PAGE, EventPage, first_event_page_out
from .types import Id, Instant, PageNumber, PageSize, Version

router = Router(tags=["incidents"])

LinkKind = choices_literal(IncidentLink.Kind)
IncidentStatus = choices_literal(Incident.Status)
IncidentVisibility = choices_literal(Incident.Visibility)
IncidentInclude = choices_literal(["events"])
# A list filter: one of the values, or empty for any.
StatusFilter = choices_literal(["", *Incident.Status.values])
VisibilityFilter = choices_literal(["", *Incident.Visibility.values])

PEOPLE_RULE = "Usernames of people in your organization (an unknown one: 422 naming the field)."
MOMENTS_RULE = (
    "Key moments, when given, are in order: started_at <= detected_at <= acknowledged_at <= mitigated_at <= "
    "resolved_at (one out of order: 422 naming it)."
)


class LinkSchema(InSchema):
    kind: LinkKind = "other"
    url: HttpUrl
    label: str = Field("", max_length=200)


class IncidentOut(DictOut):
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


class IncidentRead(IncidentFull):
    events: EventPage = Omittable(
        description=f"Only with `include=events`: the first page of the incident's timeline events, as "
        f"GET /api/v1/incidents/{{incident_id}}/events answers it without parameters ({EVENTS_PER_PAGE} events in time "
        "order, hidden ones left out); pass its next_cursor there as `after` to read on."
    )


# The default of read_incident's `include`: nothing but the incident.
INCLUDE_NOTHING = Query(
    [],
    description="What to answer with the incident: `events`, the first page of its timeline events, so that one "
    "request reads both.",
)


class IncidentPage(DictOut):
    count: int
    page: int
    page_size: int
    pages: int
    results: list[IncidentOut]


class IncidentIn(InSchema):
    """Key moments, when given, are in order: started_at <= detected_at <= acknowledged_at <= mitigated_at <=
    resolved_at (one out of order: 422 naming it)."""

    title: str = Field(..., min_length=1, max_length=300)
    team: str = Field(..., min_length=1, description="The team's short name (slug); you must be one of its members.")
    severity: str = Field(..., min_length=1, description="A severity key of your organization, e.g. SEV2.")
    status: IncidentStatus = "open"
    visibility: IncidentVisibility = "organization"
    summary: str = Field("", max_length=20000)
    started_at: Instant
    detected_at: Instant | None = None
    acknowledged_at: Instant | None = None
    mitigated_at: Instant | None = None
    resolved_at: Instant | None = None
    services: list[str] = Field(default_factory=list, max_length=50)
    responders: list[str] = Field(default_factory=list, max_length=200, description=PEOPLE_RULE)
    invitees: list[str] = Field(default_factory=list, max_length=200, description=PEOPLE_RULE)
    links: list[LinkSchema] = Field(default_factory=list, max_length=50)


class IncidentPatch(InSchema):
    """Only the fields sent change; a moment (detected_at ... resolved_at) sent as null is cleared, and services,
    responders, invitees and links sent as null are emptied. The other fields cannot be null. Key moments stay in
    order: started_at <= detected_at <= acknowledged_at <= mitigated_at <= resolved_at (422 naming the one out of
    order)."""

    base_version: Version | None = Field(None, description="The version you read; a stale one gets 409.")
    title: str = Omittable(min_length=1, max_length=300)
    team: str = Omittable(min_length=1, description="The team's short name (slug); you must be one of its members.")
    severity: str = Omittable(min_length=1, description="A severity key of your organization, e.g. SEV2.")
    status: IncidentStatus = Omittable()
    visibility: IncidentVisibility = Omittable()
    summary: str = Omittable(max_length=20000)
    started_at: Instant = Omittable()
    detected_at: Instant | None = None
    acknowledged_at: Instant | None = None
    mitigated_at: Instant | None = None
    resolved_at: Instant | None = None
    services: list[str] | None = Field(None, max_length=50)
    responders: list[str] | None = Field(None, max_length=200, description=PEOPLE_RULE)
    invitees: list[str] | None = Field(None, max_length=200, description=PEOPLE_RULE)
    links: list[LinkSchema] | None = Field(None, max_length=50)


class IncidentFilters(Schema):
    q: str = Field("", max_length=200)
    team: str = Field("", description="A team's short name (slug).")
    severity: str = Field("", description="A severity key.")
    status: StatusFilter = ""
    service: str = ""
    visibility: VisibilityFilter = ""
    page: PageNumber = Field(1, description="A page past the last answers the last.")
    page_size: PageSize = 25


def _seconds(delta):
    return int(delta.total_seconds()) if delta is not None else None


def _seconds_since(started_at, moment):
    return int((moment - started_at).total_seconds()) if moment is not None and started_at is not None else None


def incident_row_out(row: dict) -> dict:
    """incident_out for a row of incident_rows (a dict, not an instance): the same fields and values."""
    started_at = row["started_at"]
    return {
        "id": row["id"],
        "title": row["title"],
        "summary": row["summary"],
        "team": row["team__slug"],
        "severity": row["severity__key"],
        "status": row["status"],
        "visibility": row["visibility"],
        "services": row["services"],
        "started_at": started_at,
        "detected_at": row["detected_at"],
        "acknowledged_at": row["acknowledged_at"],
        "mitigated_at": row["mitigated_at"],
        "resolved_at": row["resolved_at"],
        "time_to_detect_seconds": _seconds_since(started_at, row["detected_at"]),
        "time_to_acknowledge_seconds": _seconds_since(started_at, row["acknowledged_at"]),
        "time_to_mitigate_seconds": _seconds_since(started_at, row["mitigated_at"]),
        "time_to_resolve_seconds": _seconds_since(started_at, row["resolved_at"]),
        "version": row["version"],
        "url": f"/incidents/{row['id']}/",
    }


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


@router.get("/incidents", response=responses(200, IncidentPage, errors=(422,)), summary="List incidents (newest first)")
def list_incidents(request, filters: Query[IncidentFilters]):
    incidents = incident_list(
        user=request.user,
        q=filters.q,
        team=filters.team,
        severity=filters.severity,
        status=filters.status,
        service=filters.service,
        visibility=filters.visibility,
    )
    count = incidents.count()
    pages = max(1, -(-count // filters.page_size))
    page = min(filters.page, pages)
    start = (page - 1) * filters.page_size
    rows = incident_rows(incidents, start, start + filters.page_size)
    return {
        "count": count,
        "page": page,
        "page_size": filters.page_size,
        "pages": pages,
        "results": [incident_row_out(row) for row in rows],
    }


@router.post(
    "/incidents",
    response=responses(201, IncidentFull, errors=(400, 413, 403, 422)),
    summary="Record an incident",
    description=f"403 when you are not a member of the team. {MOMENTS_RULE} Responders and invitees: {PEOPLE_RULE}",
)
def create_incident(request, payload: IncidentIn):
    user = request.user
    incident = incident_create(
        by=user,
        team=team_from_slug(user, payload.team),
        severity=severity_from_key(user, payload.severity),
        title=payload.title,
        status=payload.status,
        visibility=payload.visibility,
        summary=payload.summary,
        started_at=payload.started_at,
        detected_at=payload.detected_at,
        acknowledged_at=payload.acknowledged_at,
        mitigated_at=payload.mitigated_at,
        resolved_at=payload.resolved_at,
        services=payload.services,
        responders=people_from_usernames(user, payload.responders, "responders"),
        invitees=people_from_usernames(user, payload.invitees, "invitees"),
        links=[{"kind": link.kind, "url": str(link.url), "label": link.label} for link in payload.links],
    )
    return Status(201, incident_out(incident_detail_or_404(user=user, pk=incident.pk), full=True))


@router.get(
    "/incidents/{incident_id}",
    response=responses(200, IncidentRead, errors=(404, 422)),
    summary="Read an incident",
    description="With `include=events`, the first page of its timeline events too (`events`).",
    exclude_unset=True,  # `events` only when asked for
)
def read_incident(
    request,
    incident_id: Id,
    include: list[IncidentInclude] = INCLUDE_NOTHING,
):
    incident = incident_detail_or_404(user=request.user, pk=incident_id)
    data = incident_out(incident, full=True)
    if "events" in include:
        data["events"] = first_event_page_out(incident)
    return data


@router.patch(
    "/incidents/{incident_id}",
    response=responses(200, IncidentFull, errors=(400, 413, 403, 404, 409, 422)),
    summary="Change an incident",
    description="403 when you may read the incident but not change it (only members of its team can). "
    f"{MOMENTS_RULE} Responders and invitees: {PEOPLE_RULE}",
)
def update_incident(request, incident_id: Id, payload: IncidentPatch):
    user = request.user
    # Before resolving the payload: a reader gets 403 whatever they sent, not "unknown team".
    incident = incident_editable_or_403(
        user=user, pk=incident_id, detail=True, forbidden="Only members of the incident's team can change it."
    )
    data = payload.dict(exclude_unset=True)
    base_version = data.pop("base_version", None)
    related = {}
    if "team" in data:
        data["team"] = team_from_slug(user, data["team"])
    if "severity" in data:
        data["severity"] = severity_from_key(user, data["severity"])
    for field in ("responders", "invitees"):
        if field in data:
            related[field] = people_from_usernames(user, data.pop(field) or [], field)
    if "services" in data:
        related["services"] = data.pop("services") or []
    if "links" in data:
        related["links"] = [
            {"kind": link.kind, "url": str(link.url), "label": link.label} for link in payload.links or []
        ]
        data.pop("links")
    incident_update(incident=incident, by=user, base_version=base_version, **related, **data)
    return incident_out(incident_detail_or_404(user=user, pk=incident_id), full=True)
