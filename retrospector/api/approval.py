"""The final approval over the API: what is missing, approving with the token read, reopening; and the done list."""

from datetime import datetime

from ninja import Field, Query, Router, Schema, Status
from pydantic import BaseModel

from retrospector.core.paging import rows_between
from retrospector.meetings.approval import (
    ApprovalBlocked,
    ApprovalStale,
    approval_for,
    approval_refusal,
    approve,
    reopen,
)
from retrospector.writeups.selectors import DoneFilters, done_writeups, retrospective_detail_or_404, with_approvers

from .contract import DictOut, ErrorOut, InSchema, responses
from .types import Day, Id, PageNumber, PageSize
from .writeups import RetrospectiveOut, _reload, retrospective_out

router = Router(tags=["approval"])

GATE_RULE = (
    "Approving needs the retrospective in its meeting, every decision applied, every feedback thread resolved, every "
    "required section filled and no checker error (warnings are fine): otherwise 422 with `missing`, the exact list. "
    "Someone other than the owner approves: a team admin of the incident's team, an organization admin or the "
    "meeting's moderator (403 otherwise, the owner included). Send the `token` read from GET .../approval: when the "
    "retrospective changed since (a thread reopened, a section edited, a decision taken back), 409 with `changes`. "
    "Approving moves it to done in one step (noted “Approved”): read-only, on the done list, and the team and "
    "participants are told."
)


class MissingItem(Schema):
    code: str = Field(..., description="state, decision, thread, section or checker")
    message: str
    link: str = Field(..., description="Where to fix it (a page of the app).")


class MissingOut(ErrorOut):
    """422: the request is invalid, or (with `missing`) the retrospective is not ready for approval."""

    missing: list[MissingItem] | None = Field(None, description="What is still missing, when that is the reason.")


class StaleOut(ErrorOut):
    """409: the retrospective changed since the token was read."""

    changes: list[str] = Field(..., description="What changed since the token was read.")


class ApprovalOut(Schema):
    retrospective_id: int
    state: str
    ready: bool = Field(..., description="Nothing is missing.")
    missing: list[MissingItem]
    approvers: list[str] = Field(..., description="Usernames of who may approve (never the owner).")
    may_approve: bool = Field(..., description="Whether you may approve it (once nothing is missing).")
    refusal: str | None = Field(..., description="Why you may not approve it, if you may not.")
    token: str = Field(..., description="Send it back to /approve: it stands for the state you read.")


class ApproveIn(InSchema):
    token: str = Field(..., min_length=1, max_length=2000, description="The token read from GET .../approval.")


class ReopenIn(InSchema):
    reason: str = Field(..., max_length=2000, description="Why it is reopened (required, kept in the history).")


class DoneQuery(Schema):
    q: str = Field("", max_length=200, description="Words in the title.")
    team: str = Field("", description="A team's short name (slug).")
    severity: str = Field("", description="A severity key.")
    service: str = Field("", description="A service's name.")
    done_from: Day | None = Field(None, description="Done on or after this day (UTC).")
    done_to: Day | None = Field(None, description="Done on or before this day (UTC).")
    page: PageNumber = Field(1, description="A page past the last answers the last.")
    page_size: PageSize = 25


class DoneRow(DictOut):
    id: int
    title: str
    incident_id: int
    team: str
    severity: str
    done_at: datetime | None
    approved_by: str | None
    url: str


class DonePage(BaseModel):
    count: int
    page: int
    page_size: int
    pages: int
    results: list[DoneRow]


def _missing_out(missing) -> list[dict]:
    return [{"code": m.code, "message": m.message, "link": m.link} for m in missing]


@router.get(
    "/retrospectives/{retrospective_id}/approval",
    response=responses(200, ApprovalOut, errors=(404, 422)),
    summary="What is missing before the final approval, who may approve, and the token to approve with",
    description=GATE_RULE,
)
def read_approval(request, retrospective_id: Id):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    approval = approval_for(retrospective, list(retrospective.sections.all()))
    refusal = approval_refusal(request.user, retrospective)
    return {
        "retrospective_id": retrospective.pk,
        "state": retrospective.state,
        "ready": approval.ready,
        "missing": _missing_out(approval.missing),
        "approvers": [p.username for p in approval.approvers],
        "may_approve": refusal is None,
        "refusal": refusal,
        "token": approval.token,
    }


@router.post(
    "/retrospectives/{retrospective_id}/approve",
    response=responses(
        200,
        RetrospectiveOut,
        errors=(400, 403, 404, 409, 413, 422),
        overrides={
            409: StaleOut,
            422: MissingOut,
        },
    ),
    summary="Approve a retrospective (final approval): it is done",
    description=GATE_RULE,
)
def approve_retrospective(request, retrospective_id: Id, payload: ApproveIn):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    try:
        approve(retrospective=retrospective, by=request.user, token=payload.token)
    except ApprovalBlocked as exc:
        return Status(
            422,
            {
                "detail": str(exc),
                "field": None,
                "errors": [{"field": None, "message": m.message} for m in exc.missing],
                "missing": _missing_out(exc.missing),
            },
        )
    except ApprovalStale as exc:
        return Status(409, {"detail": str(exc), "field": "token", "changes": exc.changes})
    return retrospective_out(_reload(request, retrospective_id))


@router.post(
    "/retrospectives/{retrospective_id}/reopen",
    response=responses(200, RetrospectiveOut, errors=(400, 403, 404, 413, 422)),
    summary="Reopen a done retrospective: back to review, with the reason recorded",
    description="Only a done (or approved) retrospective is reopened (422 on `state` otherwise); `reason` is "
    "required (422 on `reason`). 403 when you may read it but not change it. The people taking part are told.",
)
def reopen_retrospective(request, retrospective_id: Id, payload: ReopenIn):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    reopen(retrospective=retrospective, by=request.user, reason=payload.reason)
    return retrospective_out(_reload(request, retrospective_id))


@router.get(
    "/writeups/done",
    response=responses(200, DonePage, errors=(422,)),
    summary="The done list: write-ups approved and published, most recently done first",
    description="Only write-ups of incidents you may see are listed or counted.",
)
def list_done(request, query: Query[DoneQuery]):
    filters = DoneFilters(
        team=query.team,
        severity=query.severity,
        service=query.service.strip(),
        done_from=query.done_from,
        done_to=query.done_to,
        q=query.q,
    )
    done = done_writeups(user=request.user, filters=filters)
    count = done.count()
    pages = max(1, -(-count // query.page_size))
    page = min(query.page, pages)
    start = (page - 1) * query.page_size
    rows = with_approvers(rows_between(done, start, start + query.page_size))
    return {
        "count": count,
        "page": page,
        "page_size": query.page_size,
        "pages": pages,
        "results": [
            {
                "id": r.pk,
                "title": r.title,
                "incident_id": r.incident_id,
                "team": r.incident.team.slug,
                "severity": r.incident.severity.key,
                "done_at": r.done_at,
                "approved_by": r.approved_by.username if r.approved_by else None,
                "url": f"/retrospectives/{r.pk}/",
            }
            for r in rows
        ],
    }
