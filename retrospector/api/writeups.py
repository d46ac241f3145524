from datetime import date, datetime
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from retrospector.incidents.selectors import incident_detail_or_404, incident_editable_or_403
from retrospector.reviews.process import deadlines_refresh_for_incident, review_transition
from retrospector.writeups.export import EXPORT_FORMATS, export_response
from retrospector.writeups.models import Retrospective
from retrospector.writeups.selectors import retrospective_detail_or_404, template_by_key, templates_visible_to
from retrospector.writeups.services import (
    TRANSITIONS,
    retrospective_import_markdown,
    retrospective_start,
    section_save,
)

from .choices import choices_literal
from .contract import InSchema, responses
from .lookups import people_from_usernames, person_from_username
from .types import Day, Id, Version

router = Router(tags=["retrospectives"])

RetrospectiveState = choices_literal(Retrospective.State)
ExportFormat = choices_literal(EXPORT_FORMATS)

TRANSITIONS_RULE = (
    "Allowed moves: "
    + "; ".join(f"{state} to {' or '.join(sorted(targets))}" for state, targets in TRANSITIONS.items())
    + (
        " (a move to the current state, or any other, is a 422 on `state`). Approving or finishing needs every "
        "required section filled (422 naming them otherwise). A done retrospective is read-only until it is reopened "
        "(moved to in_review), which needs a `note` saying why (422 on `note` without one). 403 when you may read the "
        "retrospective but not change it. Sending a draft for review (to in_review) needs a reviewer besides the "
        "owner and shadow: another member of the team, or someone in `reviewers` (422 on `state` otherwise). "
        "Approving is for someone other than the owner (422 on `state`). Out of the meeting, approving (to approved "
        "or done) is refused here (422 on `state`): it is the final approval's, POST "
        "/api/v1/retrospectives/{id}/approve, which checks that nothing is missing."
    )
)
# Text a Markdown importer reads as empty: nothing but line breaks (as str.splitlines() counts them).
NOT_ONLY_LINE_BREAKS = r"[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]"


# A section's key, as in a retrospective's sections (an unknown one: 404).
SectionKey = Annotated[str, Field(min_length=1, max_length=100)]


class SectionSpecOut(Schema):
    key: str
    title: str
    kind: str
    required: bool
    guidance: str


class TemplateOut(Schema):
    key: str
    name: str
    description: str
    builtin: bool
    team: str | None
    version: int
    sections: list[SectionSpecOut]


class SectionOut(Schema):
    key: str
    title: str
    kind: str
    required: bool
    position: int
    body: str
    version: int
    updated_by: str | None
    updated_at: datetime


class RetrospectiveOut(Schema):
    id: int
    incident_id: int
    title: str
    state: str
    owner: str | None
    shadow: str | None
    reverse_shadow: str | None = Field(
        ..., description="Who coaches the owner, having led retrospectives before; see its /assignment."
    )
    due_at: date | None = Field(
        ..., description="When the first draft is due: from the team's process once the incident is resolved."
    )
    template: str
    template_version: int
    imported_from: str | None = Field(
        ...,
        description="The Markdown file it was imported from (its sections may differ from the template's: those "
        "the template does not have are kept as extra sections); null when it was started in the app.",
    )
    created_at: datetime
    updated_at: datetime
    done_at: datetime | None
    url: str
    sections: list[SectionOut]


class RetrospectiveIn(InSchema):
    template: str = Field("postmortem", min_length=1, description="A template key you can use, e.g. postmortem.")
    owner: str | None = Field(
        None, description="The username of someone in your organization (unknown: 422); empty or null: you."
    )
    shadow: str | None = Field(
        None,
        description="The username of someone in your organization other than the owner (unknown, or the owner: "
        "422); empty or null: no shadow.",
    )
    title: str = Field("", max_length=300)
    due_at: Day | None = None


class SectionIn(InSchema):
    body: str = Field(..., description="Markdown, at most 1 MB once encoded in UTF-8 (bigger: 422); empty clears it.")
    base_version: Version = Field(
        ..., description="The version you edited; a stale one gets 409 with the current text."
    )


class TransitionIn(InSchema):
    state: RetrospectiveState = Field(..., description=TRANSITIONS_RULE)
    note: str = Field(
        "",
        max_length=2000,
        description="Why, kept in the state history with who and when; required to reopen a done retrospective.",
    )
    reviewers: list[Annotated[str, Field(min_length=1, max_length=150)]] = Field(
        [],
        max_length=50,
        description="Usernames to invite as reviewers when sending a draft for review (unknown: 422 on "
        "`reviewers`); someone who may not see a private incident is invited to it if you are in its team, else 422.",
    )


class MarkdownImportIn(InSchema):
    markdown: str = Field(
        ...,
        min_length=1,
        pattern=NOT_ONLY_LINE_BREAKS,
        description="An exported Markdown write-up, or any Markdown: its '## ' headings become sections. One with "
        "nothing after its front matter, or that cannot be read, is a 422 naming its line.",
    )
    filename: str = Field("document.md", max_length=200)


class ExportQuery(Schema):
    format: ExportFormat = "md"


def section_out(section) -> dict:
    return {
        "key": section.key,
        "title": section.title,
        "kind": section.kind,
        "required": section.required,
        "position": section.position,
        "body": section.body,
        "version": section.version,
        "updated_by": section.updated_by.username if section.updated_by else None,
        "updated_at": section.updated_at,
    }


def retrospective_out(retrospective: Retrospective) -> dict:
    version = retrospective.template_version
    return {
        "id": retrospective.pk,
        "incident_id": retrospective.incident_id,
        "title": retrospective.title,
        "state": retrospective.state,
        "owner": retrospective.owner.username if retrospective.owner else None,
        "shadow": retrospective.shadow.username if retrospective.shadow else None,
        "reverse_shadow": retrospective.reverse_shadow.username if retrospective.reverse_shadow else None,
        "due_at": retrospective.due_at,
        "template": version.template.key,
        "template_version": version.number,
        "imported_from": retrospective.imported_from or None,
        "created_at": retrospective.created_at,
        "updated_at": retrospective.updated_at,
        "done_at": retrospective.done_at,
        "url": f"/retrospectives/{retrospective.pk}/",
        "sections": [section_out(s) for s in retrospective.sections.all()],
    }


def _reload(request, pk):
    from django.db.models import Prefetch

    from retrospector.writeups.models import Section

    retrospective = retrospective_detail_or_404(user=request.user, pk=pk)
    retrospective._prefetched_objects_cache = {}
    return (
        Retrospective.objects.select_related("owner", "shadow", "reverse_shadow", "template_version__template")
        .prefetch_related(Prefetch("sections", queryset=Section.objects.select_related("updated_by")))
        .get(pk=retrospective.pk)
    )


@router.get("/templates", response=responses(200, list[TemplateOut]), tags=["templates"], summary="List templates")
def list_templates(request):
    out = []
    for template in templates_visible_to(request.user).prefetch_related("versions"):
        version = max(template.versions.all(), key=lambda v: v.number)
        out.append(
            {
                "key": template.key,
                "name": version.name,
                "description": version.description,
                "builtin": template.is_builtin,
                "team": template.team.slug if template.team else None,
                "version": version.number,
                "sections": [
                    {k: s.get(k, "") for k in ("key", "title", "kind", "required", "guidance")}
                    for s in version.sections
                ],
            }
        )
    return out


@router.post(
    "/incidents/{incident_id}/retrospectives",
    response=responses(201, RetrospectiveOut, errors=(400, 413, 403, 404, 422)),
    summary="Start a retrospective",
    description="403 when you may read the incident but are not a member of its team. An unknown template, owner or "
    "shadow, or a shadow who is the owner, is a 422 naming the field.",
)
def start_retrospective(request, incident_id: Id, payload: RetrospectiveIn):
    # Before resolving the payload: a reader gets 403 whatever they sent, not "unknown template".
    incident = incident_editable_or_403(
        user=request.user,
        pk=incident_id,
        detail=True,
        forbidden="Only members of the incident's team can start its retrospective.",
    )
    template = template_by_key(user=request.user, key=payload.template)
    if template is None:
        keys = ", ".join(t.key for t in templates_visible_to(request.user))
        raise ValidationError({"template": f"Unknown template {payload.template!r}; use one of {keys}."})
    retrospective = retrospective_start(
        incident=incident,
        template=template,
        by=request.user,
        owner=person_from_username(request.user, payload.owner, "owner"),
        shadow=person_from_username(request.user, payload.shadow, "shadow"),
        title=payload.title,
        due_at=payload.due_at,
    )
    deadlines_refresh_for_incident(incident)
    return Status(201, retrospective_out(_reload(request, retrospective.pk)))


@router.post(
    "/incidents/{incident_id}/retrospectives/import",
    response=responses(201, RetrospectiveOut, errors=(400, 413, 403, 404, 422)),
    summary="Import a Markdown write-up as a new retrospective",
    description="403 when you may read the incident but are not a member of its team. A document that cannot be "
    "read (empty, bad front matter, a section key twice, a template version that is not a number) is a 422 on "
    "`file` naming the line.",
)
def import_retrospective(request, incident_id: Id, payload: MarkdownImportIn):
    incident = incident_detail_or_404(user=request.user, pk=incident_id)
    retrospective = retrospective_import_markdown(
        incident=incident, text=payload.markdown, by=request.user, source=payload.filename
    )
    deadlines_refresh_for_incident(incident)
    return Status(201, retrospective_out(_reload(request, retrospective.pk)))


@router.get(
    "/incidents/{incident_id}/retrospectives",
    response=responses(200, list[RetrospectiveOut], errors=(404, 422)),
    summary="An incident's retrospectives",
)
def incident_retrospectives(request, incident_id: Id):
    incident = incident_detail_or_404(user=request.user, pk=incident_id)
    from django.db.models import Prefetch

    from retrospector.writeups.models import Section

    retrospectives = incident.retrospectives.select_related(
        "owner", "shadow", "reverse_shadow", "template_version__template"
    ).prefetch_related(Prefetch("sections", queryset=Section.objects.select_related("updated_by")))
    return [retrospective_out(r) for r in retrospectives]


@router.get(
    "/retrospectives/{retrospective_id}",
    response=responses(200, RetrospectiveOut, errors=(404, 422)),
    summary="Read a retrospective with its sections",
)
def read_retrospective(request, retrospective_id: Id):
    return retrospective_out(_reload(request, retrospective_id))


@router.post(
    "/retrospectives/{retrospective_id}/state",
    response=responses(200, RetrospectiveOut, errors=(400, 413, 403, 404, 422)),
    summary="Move to another state",
    description=TRANSITIONS_RULE,
)
def change_state(request, retrospective_id: Id, payload: TransitionIn):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    review_transition(
        retrospective=retrospective,
        to_state=payload.state,
        note=payload.note,
        invite=people_from_usernames(request.user, payload.reviewers, "reviewers"),
        by=request.user,
    )
    return retrospective_out(_reload(request, retrospective_id))


def _section(request, retrospective_id, key):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    section = retrospective.sections.select_related("updated_by").filter(key=key).first()
    if section is None:
        raise Http404(f"No section {key!r} in this retrospective.")
    return retrospective, section


@router.get(
    "/retrospectives/{retrospective_id}/sections/{key}",
    response=responses(200, SectionOut, errors=(404, 422)),
    summary="Read a section",
)
def read_section(request, retrospective_id: Id, key: SectionKey):
    return section_out(_section(request, retrospective_id, key)[1])


@router.put(
    "/retrospectives/{retrospective_id}/sections/{key}",
    response=responses(200, SectionOut, errors=(400, 413, 403, 404, 409, 422)),
    summary="Save a section (409 when base_version is stale or the retrospective is done)",
    description="403 when you may read the retrospective but not change it. 409 on `base_version` when someone saved "
    "it since the version you edited, and on `state` when the retrospective is done (read-only until it is "
    "reopened); either way `current` holds the section as it is.",
)
def save_section(request, retrospective_id: Id, key: SectionKey, payload: SectionIn):
    _, section = _section(request, retrospective_id, key)
    saved = section_save(section=section, body=payload.body, base_version=payload.base_version, by=request.user)
    saved.updated_by = request.user
    return section_out(saved)


@router.get(
    "/retrospectives/{retrospective_id}/export",
    summary="Export as Markdown, HTML or JSON",
    response=responses(200, None, errors=(404, 422)),
)
def export_retrospective(request, retrospective_id: Id, query: Query[ExportQuery]):
    retrospective = _reload(request, retrospective_id)
    response: HttpResponse = export_response(retrospective, query.format)
    return response
