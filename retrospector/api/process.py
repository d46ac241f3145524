"""The review's process over the API: a team's process settings, and who owns a retrospective with its deadlines."""

from datetime import date, datetime
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Field, Router, Schema, Status

from retrospector.accounts.models import Role
from retrospector.accounts.selectors import has_team_role, team_by_slug
from retrospector.reviews.models import Approvers, Step
from retrospector.reviews.org_process import process_version_create, process_versions
from retrospector.reviews.process import (
    OFFSET_FIELDS,
    assignment_candidates,
    deadlines_in_order,
    next_due_step,
    process_settings_for,
    process_settings_save,
    retrospective_assign,
)
from retrospector.reviews.survey import SURVEY_STATES, may_answer, survey_answer, survey_response_of
from retrospector.writeups.selectors import retrospective_detail_or_404

from .choices import choices_literal
from .contract import ErrorOut, InSchema, responses
from .lookups import person_from_username
from .types import BusinessDays, Day, Id, IsoWeekday, Rating

router = Router(tags=["review process"])

StepName = choices_literal(Step)
Slug = Annotated[str, Field(min_length=1, max_length=100)]


class ProcessSchema(Schema):
    severities_requiring: list[str] = Field(
        ..., description="Severity keys of your organization whose incidents need a retrospective; empty: every one."
    )
    time_zone: str = Field(..., max_length=64, description="An IANA zone, e.g. Europe/Paris (unknown: 422).")
    working_days: list[IsoWeekday] = Field(..., min_length=1, description="ISO weekdays: 1 is Monday, 7 is Sunday.")
    holidays: list[Day] = Field(..., description="Days off, as YYYY-MM-DD.")
    research_days: BusinessDays
    first_draft_days: BusinessDays
    feedback_end_days: BusinessDays
    feedback_addressed_days: BusinessDays
    meeting_days: BusinessDays = Field(
        ...,
        description="Each offset is in business days after the incident's resolution, and none is smaller than the "
        "one before it (research, first draft, end of feedback, feedback addressed, meeting): 422 naming the field.",
    )


class ProcessIn(InSchema, ProcessSchema):
    pass


class ProcessOut(ProcessSchema):
    team: str
    can_change: bool


class DeadlineOut(Schema):
    step: StepName
    due_on: date
    done_at: datetime | None


class NextDueOut(Schema):
    step: StepName
    due_on: date
    overdue_days: int = Field(..., description="Working days late in the team's calendar; 0 when not late.")


class CandidateOut(Schema):
    username: str
    owned: int
    shadowed: int
    taught: int
    last: datetime | None
    responded: bool = Field(..., description="Responded to the incident: marked, never left out.")


class AssignmentOut(Schema):
    owner: str | None
    shadow: str | None
    reverse_shadow: str | None
    deadlines: list[DeadlineOut]
    next_due: NextDueOut | None
    candidates: list[CandidateOut]


class AssignmentIn(InSchema):
    owner: str = Field(..., min_length=1, description="A username of your organization (unknown: 422).")
    shadow: str | None = Field(None, description="Optional; someone other than the owner.")
    reverse_shadow: str | None = Field(None, description="Optional; someone other than the owner and the shadow.")


def _team(request, slug):
    team = team_by_slug(user=request.user, slug=slug)
    if team is None:
        raise Http404("No such team.")
    if not (request.user.is_org_admin or has_team_role(request.user, team.pk, Role.VIEWER)):
        raise PermissionDenied("Only the team's members can read its review process.")
    return team


def _process_out(request, team) -> dict:
    from retrospector.accounts.selectors import can_manage_team

    settings = process_settings_for(team)
    return {
        "team": team.slug,
        "can_change": can_manage_team(request.user, team),
        "severities_requiring": list(settings.severities_requiring),
        "time_zone": settings.time_zone,
        "working_days": list(settings.working_days or [1, 2, 3, 4, 5]),
        "holidays": [date.fromisoformat(d) for d in settings.holidays],
        **{name: getattr(settings, name) for name in OFFSET_FIELDS.values()},
    }


@router.get(
    "/teams/{slug}/process",
    response=responses(200, ProcessOut, errors=(403, 404, 422)),
    summary="A team's review process",
    description="403 when you are not in the team (nor an organization admin).",
)
def read_process(request, slug: Slug):
    return _process_out(request, _team(request, slug))


@router.put(
    "/teams/{slug}/process",
    response=responses(200, ProcessOut, errors=(400, 403, 404, 413, 422)),
    summary="Change a team's review process",
    description="Team admins and organization admins only (403 otherwise). The open retrospectives' deadlines move "
    "with it.",
)
def save_process(request, slug: Slug, payload: ProcessIn):
    team = _team(request, slug)
    process_settings_save(
        team=team,
        severities_requiring=payload.severities_requiring,
        time_zone=payload.time_zone,
        working_days=payload.working_days,
        holidays=payload.holidays,
        offsets={step: getattr(payload, name) for step, name in OFFSET_FIELDS.items()},
        by=request.user,
    )
    return _process_out(request, team)


def _assignment_out(request, retrospective) -> dict:
    deadlines = deadlines_in_order(retrospective)
    due = next_due_step(retrospective, deadlines=deadlines)
    return {
        "owner": retrospective.owner.username if retrospective.owner else None,
        "shadow": retrospective.shadow.username if retrospective.shadow else None,
        "reverse_shadow": retrospective.reverse_shadow.username if retrospective.reverse_shadow else None,
        "deadlines": [{"step": d.step, "due_on": d.due_on, "done_at": d.done_at} for d in deadlines],
        "next_due": {"step": due.step, "due_on": due.due_on, "overdue_days": due.overdue_days} if due else None,
        "candidates": [
            {
                "username": c.user.username,
                "owned": c.owned,
                "shadowed": c.shadowed,
                "taught": c.taught,
                "last": c.last,
                "responded": c.responded,
            }
            for c in assignment_candidates(retrospective=retrospective, viewer=request.user)
        ],
    }


@router.get(
    "/retrospectives/{retrospective_id}/assignment",
    response=responses(200, AssignmentOut, errors=(404, 422)),
    summary="Who writes a retrospective, its deadlines and the people who could",
)
def read_assignment(request, retrospective_id: Id):
    return _assignment_out(request, retrospective_detail_or_404(user=request.user, pk=retrospective_id))


@router.put(
    "/retrospectives/{retrospective_id}/assignment",
    response=responses(200, AssignmentOut, errors=(400, 403, 404, 409, 413, 422), overrides={409: ErrorOut}),
    summary="Pick the owner, shadow and reverse shadow",
    description="403 when you may read the incident but not edit it; 409 when the retrospective is done (read-only); "
    "422 naming the field for an unknown person or the same person in two roles.",
)
def save_assignment(request, retrospective_id: Id, payload: AssignmentIn):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    from retrospector.incidents.selectors import can_edit_incident
    from retrospector.reviews.process import ASSIGN_FORBIDDEN

    if not can_edit_incident(request.user, retrospective.incident):
        raise PermissionDenied(ASSIGN_FORBIDDEN)
    retrospective_assign(
        retrospective=retrospective,
        owner=person_from_username(request.user, payload.owner, "owner"),
        shadow=person_from_username(request.user, payload.shadow, "shadow"),
        reverse_shadow=person_from_username(request.user, payload.reverse_shadow, "reverse_shadow"),
        by=request.user,
    )
    return _assignment_out(request, retrospective_detail_or_404(user=request.user, pk=retrospective_id))


# --- The organization's standard process ------------------------------------------------------------------------------

ApproversName = choices_literal(Approvers)


class OrgProcessSchema(Schema):
    severities_requiring: list[str] = Field(
        ..., description="Severity keys whose incidents need a retrospective; empty: every one (unknown: 422)."
    )
    research_days: BusinessDays
    first_draft_days: BusinessDays
    feedback_end_days: BusinessDays
    feedback_addressed_days: BusinessDays
    meeting_days: BusinessDays = Field(..., description="As a team's: each offset at least the one before it.")
    required_template: str = Field(
        "", max_length=100, description="The key of the template every retrospective uses; empty: any (unknown: 422)."
    )
    approvers: ApproversName = Field(Approvers.TEAM_ADMIN_OR_MODERATOR, description="Who gives the final approval.")
    teams_may_lead_own: bool = Field(True, description="Teams that set their own process use it instead.")


class OrgProcessIn(InSchema, OrgProcessSchema):
    reason: str = Field(..., min_length=1, max_length=2000, description="Why it changes; told to everyone concerned.")


class ProcessVersionOut(OrgProcessSchema):
    number: int
    reason: str
    changes: list[str] = Field(..., description="What changed from the version before, one sentence a field.")
    created_by: str | None
    created_at: datetime
    retrospectives: int = Field(..., description="How many retrospectives started under this version.")


class OrgProcessOut(Schema):
    current: ProcessVersionOut | None = Field(..., description="The version in force; null before the first.")
    versions: list[ProcessVersionOut] = Field(..., description="Every version, newest first.")
    can_change: bool


def _version_out(version) -> dict:
    return {
        "number": version.number,
        "severities_requiring": list(version.severities_requiring),
        **{name: getattr(version, name) for name in OFFSET_FIELDS.values()},
        "required_template": version.required_template,
        "approvers": version.approvers,
        "teams_may_lead_own": version.teams_may_lead_own,
        "reason": version.reason,
        "changes": list(version.changes),
        "created_by": version.created_by.username if version.created_by else None,
        "created_at": version.created_at,
        "retrospectives": version.retrospective_count,
    }


def _org_process_out(request) -> dict:
    organization = request.user.organization
    if organization is None:
        raise PermissionDenied("You belong to no organization.")
    versions = [_version_out(v) for v in process_versions(organization)]
    return {"current": versions[0] if versions else None, "versions": versions, "can_change": request.user.is_org_admin}


@router.get(
    "/process",
    response=responses(200, OrgProcessOut, errors=(403, 422)),
    summary="The organization's standard review process and its versions",
)
def read_org_process(request):
    return _org_process_out(request)


@router.post(
    "/process",
    response=responses(201, OrgProcessOut, errors=(400, 403, 413, 422)),
    summary="Make a new version of the organization's process",
    description="Organization admins only (403 otherwise). A reason is required; a version that changes nothing is a "
    "422 on `reason`. The open retrospectives it governs get their deadlines moved, and the organization's and teams' "
    "admins are notified of what changed and why.",
)
def new_org_process(request, payload: OrgProcessIn):
    organization = request.user.organization
    if organization is None:
        raise PermissionDenied("You belong to no organization.")
    process_version_create(
        organization=organization,
        by=request.user,
        reason=payload.reason,
        severities_requiring=payload.severities_requiring,
        offsets={step: getattr(payload, name) for step, name in OFFSET_FIELDS.items()},
        required_template=payload.required_template,
        approvers=payload.approvers,
        teams_may_lead_own=payload.teams_may_lead_own,
    )
    return Status(201, _org_process_out(request))


# --- How did the retrospective go ------------------------------------------------------------------------------------


class SurveyIn(InSchema):
    useful: Rating = Field(..., description="Was it useful? 1 (not at all) to 5 (very).")
    fair: Rating = Field(..., description="Was it fair and blameless? 1 (not at all) to 5 (entirely).")
    change: str = Field("", max_length=2000, description="What you would change in how it was run.")


class SurveyOut(Schema):
    open: bool = Field(..., description="Whether the survey is open (the retrospective is approved).")
    may_answer: bool = Field(..., description="Whether you took part, and so answer it.")
    answer: SurveyIn | None = Field(..., description="Your answer; null before you give one.")


def _survey_out(request, retrospective) -> dict:
    mine = survey_response_of(retrospective, request.user)
    return {
        "open": retrospective.state in SURVEY_STATES,
        "may_answer": may_answer(request.user, retrospective),
        "answer": {"useful": mine.useful, "fair": mine.fair, "change": mine.change} if mine else None,
    }


@router.get(
    "/retrospectives/{retrospective_id}/survey",
    response=responses(200, SurveyOut, errors=(404, 422)),
    summary="Your answer to how the retrospective went",
    description="Answers are never shown with names: the process pages show them per team, in medians.",
)
def read_survey(request, retrospective_id: Id):
    return _survey_out(request, retrospective_detail_or_404(user=request.user, pk=retrospective_id))


@router.put(
    "/retrospectives/{retrospective_id}/survey",
    response=responses(200, SurveyOut, errors=(400, 403, 404, 413, 422)),
    summary="Answer (or change your answer to) how the retrospective went",
    description="Participants only (403 otherwise), once the retrospective is approved (422 on `useful` before).",
)
def answer_survey(request, retrospective_id: Id, payload: SurveyIn):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    survey_answer(
        retrospective=retrospective, by=request.user, useful=payload.useful, fair=payload.fair, change=payload.change
    )
    return _survey_out(request, retrospective)
