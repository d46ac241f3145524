"""Responders' accounts and discussion questions: /api/v1/retrospectives/{id}/accounts, /account-requests and
/questions, /api/v1/accounts/{id}, /api/v1/questions/{id}. The same services as the pages (reviews.responder_accounts,
reviews.questions): one rule in one place."""

from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import Field, Router, Schema, Status

from retrospector.checks import SEVERITIES
from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.reviews.models import Account, AccountRequest, Question
from retrospector.reviews.questions import (
    QUESTION_MAX_CHARS,
    QUESTIONS_MAX,
    QUESTIONS_MIN,
    events_told_by_several_accounts,
    question_add,
    question_delete,
    question_findings,
    question_move,
    question_update,
    questions_of,
)
from retrospector.reviews.responder_accounts import (
    ACCOUNT_MAX_CHARS,
    MESSAGE_MAX_CHARS,
    account_request_create,
    account_request_withdraw,
    account_requests_of,
    account_update,
    account_write,
    accounts_of,
)
from retrospector.writeups.selectors import (
    can_edit_retrospective,
    retrospective_detail_or_404,
    retrospectives_visible_to,
)

from .choices import choices_literal
from .contract import ErrorOut, InSchema, Omittable, responses
from .lookups import people_from_usernames
from .types import Id, Integer, Version

router = Router(tags=["accounts and questions"])

Severity = choices_literal(SEVERITIES)
Username = Annotated[str, Field(min_length=1, max_length=150)]
READ_ONLY_RULE = (
    "Once the review has ended (the retrospective is approved or done) they are read-only: 409 on `state` (where the "
    "409 declares `current`, it holds the record as it is)."
)


# --- Schemas ----------------------------------------------------------------------------------------------------------


class AccountRequestOut(Schema):
    id: int
    responder: str = Field(..., description="The username of the person asked.")
    requested_by: str | None
    requested_at: datetime
    message: str
    answered_at: datetime | None = Field(..., description="When they wrote their account; null while not yet.")
    withdrawn_at: datetime | None = Field(..., description="When the request was taken back; null while it stands.")


class AccountOut(Schema):
    id: int
    retrospective_id: int
    author: str | None = Field(..., description="Its author's username; null for a person since removed.")
    body: str = Field(..., description="Markdown, as written.")
    html: str = Field(..., description="The body rendered and sanitized.")
    events: list[int] = Field(..., description="Ids of the incident's timeline events it is about, in time order.")
    version: int
    created_at: datetime
    updated_at: datetime


class AccountsOut(Schema):
    requests: list[AccountRequestOut] = Field(..., description="Everyone asked (withdrawn requests too), oldest first.")
    accounts: list[AccountOut]


class AccountIn(InSchema):
    body: str = Field(
        ...,
        min_length=1,
        max_length=ACCOUNT_MAX_CHARS,
        description="Your own account, in Markdown: from when you became aware to when you stopped, what you saw, "
        "thought and did. Blank: 422.",
    )
    events: list[Id] = Field(
        [], max_length=5000, description="Ids of the incident's timeline events it is about (others: 422)."
    )


class AccountPatch(InSchema):
    body: str = Omittable(min_length=1, max_length=ACCOUNT_MAX_CHARS, description="Left out: unchanged.")
    events: list[Id] = Omittable(max_length=5000, description="The whole new list of event ids; left out: unchanged.")
    base_version: Version


class AskIn(InSchema):
    usernames: list[Username] = Field(
        ...,
        min_length=1,
        max_length=100,
        description="People of your organization who can see the incident (someone who may not see a private "
        "incident: 422, invite them to the incident first).",
    )
    message: str = Field("", max_length=MESSAGE_MAX_CHARS, description="Sent with the request.")


class AskedOut(Schema):
    created: list[AccountRequestOut] = Field(..., description="New requests, and withdrawn ones asked again.")
    already: list[AccountRequestOut] = Field(..., description="Requests that were standing: unchanged.")
    notified: list[str] = Field(..., description="Usernames the notification reached.")


class FindingOut(Schema):
    rule: str
    severity: Severity
    message: str
    suggestion: str | None


class QuestionOut(Schema):
    id: int
    position: int = Field(..., description="1 is asked first.")
    text: str
    events: list[int]
    accounts: list[int]
    accounts_differ: bool = Field(..., description="Two accounts describe the same event differently.")
    version: int
    created_by: str | None
    created_at: datetime
    updated_at: datetime
    findings: list[FindingOut] = Field(..., description="The write-up checks' warnings on the question: never a block.")


class QuestionsOut(Schema):
    minimum: int
    maximum: int
    questions: list[QuestionOut]
    events_told_by_several_accounts: list[int] = Field(
        ..., description="Events that two or more accounts link: their authors may tell them differently."
    )


class QuestionIn(InSchema):
    text: str = Field(..., min_length=1, max_length=QUESTION_MAX_CHARS, description="Kept on one line.")
    events: list[Id] = Field([], max_length=5000, description="Ids of the incident's timeline events.")
    accounts: list[Id] = Field([], max_length=500, description="Ids of accounts of this retrospective.")
    accounts_differ: bool = False


class QuestionPatch(InSchema):
    text: str = Omittable(min_length=1, max_length=QUESTION_MAX_CHARS)
    events: list[Id] = Omittable(max_length=5000)
    accounts: list[Id] = Omittable(max_length=500)
    accounts_differ: bool = Omittable()
    position: Integer = Omittable(ge=1, le=QUESTIONS_MAX, description="Move it there (1 is first); others follow.")
    base_version: Version


# --- Answers ----------------------------------------------------------------------------------------------------------


def request_out(request: AccountRequest) -> dict:
    return {
        "id": request.pk,
        "responder": request.responder.username,
        "requested_by": request.requested_by.username if request.requested_by else None,
        "requested_at": request.requested_at,
        "message": request.message,
        "answered_at": request.answered_at,
        "withdrawn_at": request.withdrawn_at,
    }


def account_out(account: Account) -> dict:
    return {
        "id": account.pk,
        "retrospective_id": account.retrospective_id,
        "author": account.author.username if account.author else None,
        "body": account.body,
        "html": account.html,
        "events": [event.pk for event in account.events.all()],
        "version": account.version,
        "created_at": account.created_at,
        "updated_at": account.updated_at,
    }


def question_out(question: Question, findings) -> dict:
    return {
        "id": question.pk,
        "position": question.position,
        "text": question.text,
        "events": [event.pk for event in question.events.all()],
        "accounts": [account.pk for account in question.accounts.all()],
        "accounts_differ": question.accounts_differ,
        "version": question.version,
        "created_by": question.created_by.username if question.created_by else None,
        "created_at": question.created_at,
        "updated_at": question.updated_at,
        "findings": [
            {"rule": f.rule, "severity": f.severity, "message": f.message, "suggestion": f.suggestion} for f in findings
        ],
    }


def _one_question(question: Question) -> dict:
    question = Question.objects.select_related("created_by", "retrospective__incident").get(pk=question.pk)
    return question_out(question, question_findings(question.retrospective, [question.text])[0])


def _conflict(exc: ConflictError | ReadOnlyError, out, fallback: dict[str, Any]):
    """409 in the ConflictOut shape, `current` holding the record as it is now (both versions are then in hand)."""
    field = "base_version" if isinstance(exc, ConflictError) else "state"
    current = out(exc.current) if exc.current is not None else fallback
    return Status(409, {"detail": str(exc), "field": field, "current": current})


# A 409 that only refuses a change once the review has ended: the error body alone (no `current`), as api.on_read_only
# answers a ReadOnlyError raised without the record.
READ_ONLY_409 = {409: ErrorOut}


# --- Accounts ---------------------------------------------------------------------------------------------------------


@router.get(
    "/retrospectives/{retrospective_id}/accounts",
    response=responses(200, AccountsOut, errors=(404, 422)),
    summary="Who was asked for an account, who answered and when, and the accounts",
)
def list_accounts(request, retrospective_id: Id):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    return {
        "requests": [request_out(r) for r in account_requests_of(retrospective)],
        "accounts": [account_out(a) for a in accounts_of(retrospective)],
    }


@router.post(
    "/retrospectives/{retrospective_id}/accounts",
    response=responses(201, AccountOut, errors=(400, 413, 403, 404, 409, 422)),
    summary="Write your own account",
    description="For the people asked for their account and the incident's responders (403 for others). One account "
    "per person: a second is a 409 on `base_version` whose `current` is the first (change it with PATCH "
    "/api/v1/accounts/{id}); the same body sent again (a double submit) answers the first. Writing it answers your "
    "request. " + READ_ONLY_RULE,
)
def write_account(request, retrospective_id: Id, payload: AccountIn):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    try:
        account = account_write(
            retrospective=retrospective, body=payload.body, event_ids=payload.events, by=request.user
        )
    except (ConflictError, ReadOnlyError) as exc:
        return _conflict(exc, account_out, {"state": retrospective.state})
    return Status(201, account_out(account))


def _account(request, account_id: int) -> Account:
    account = (
        Account.objects.filter(pk=account_id, retrospective__in=retrospectives_visible_to(request.user))
        .select_related("author", "retrospective__incident")
        .first()
    )
    if account is None:
        raise Http404("No such account, or you may not see it.")
    return account


@router.get("/accounts/{account_id}", response=responses(200, AccountOut, errors=(404, 422)), summary="Read an account")
def read_account(request, account_id: Id):
    return account_out(_account(request, account_id))


@router.patch(
    "/accounts/{account_id}",
    response=responses(200, AccountOut, errors=(400, 413, 403, 404, 409, 422)),
    summary="Change your account (409 on a stale base_version)",
    description="Only its author changes an account (403 for others who may read it). 409 on `base_version` when it "
    "was saved since the version you edited: `current` holds it as it is. " + READ_ONLY_RULE,
)
def change_account(request, account_id: Id, payload: AccountPatch):
    account = _account(request, account_id)
    changes = payload.dict(exclude_unset=True)
    try:
        account = account_update(
            account=account,
            base_version=payload.base_version,
            body=changes.get("body"),
            event_ids=changes.get("events"),
            by=request.user,
        )
    except (ConflictError, ReadOnlyError) as exc:
        return _conflict(exc, account_out, {})
    return account_out(account)


# --- Requests ---------------------------------------------------------------------------------------------------------


@router.post(
    "/retrospectives/{retrospective_id}/account-requests",
    response=responses(200, AskedOut, errors=(400, 413, 403, 404, 409, 422), overrides=READ_ONLY_409),
    summary="Ask people for their account",
    description="For those who may edit the retrospective (403 for readers). Each person asked is notified with a "
    "link to write theirs; asking someone already asked changes nothing. An unknown username, someone who may not "
    "see a private incident or is no longer active: 422 on `usernames`, and nobody is asked. " + READ_ONLY_RULE,
)
def ask_for_accounts(request, retrospective_id: Id, payload: AskIn):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    # A reader gets 403 whatever they sent, not "unknown person".
    if not can_edit_retrospective(request.user, retrospective):
        raise PermissionDenied("Only people who can edit this retrospective ask for accounts.")
    people = people_from_usernames(request.user, payload.usernames, "usernames")
    try:
        asked = account_request_create(
            retrospective=retrospective, responders=people, by=request.user, message=payload.message
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "responders" in exc.error_dict:
            raise ValidationError({"usernames": exc.error_dict["responders"]}) from None
        raise
    return {
        "created": [request_out(r) for r in asked.created],
        "already": [request_out(r) for r in asked.already],
        "notified": [person.username for person in asked.notified],
    }


@router.delete(
    "/retrospectives/{retrospective_id}/account-requests/{request_id}",
    response=responses(200, AccountRequestOut, errors=(403, 404, 409, 422), overrides=READ_ONLY_409),
    summary="Withdraw a request",
    description="For those who may edit the retrospective (403 for readers). The request stays listed, withdrawn; "
    "withdrawing it again changes nothing. One already answered cannot be withdrawn (422). " + READ_ONLY_RULE,
)
def withdraw_request(request, retrospective_id: Id, request_id: Id):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    asked = retrospective.account_requests.select_related("responder", "requested_by").filter(pk=request_id).first()
    if asked is None:
        raise Http404("No such request on this retrospective.")
    return request_out(account_request_withdraw(request=asked, by=request.user))


# --- Questions --------------------------------------------------------------------------------------------------------


@router.get(
    "/retrospectives/{retrospective_id}/questions",
    response=responses(200, QuestionsOut, errors=(404, 422)),
    summary="The discussion questions, in order, with the checks' warnings",
)
def list_questions(request, retrospective_id: Id):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    questions = list(questions_of(retrospective).select_related("created_by"))
    findings = question_findings(retrospective, [q.text for q in questions])
    return {
        "minimum": QUESTIONS_MIN,
        "maximum": QUESTIONS_MAX,
        "questions": [question_out(q, f) for q, f in zip(questions, findings, strict=True)],
        "events_told_by_several_accounts": sorted(events_told_by_several_accounts(retrospective)),
    }


@router.post(
    "/retrospectives/{retrospective_id}/questions",
    response=responses(201, QuestionOut, errors=(400, 413, 403, 404, 409, 422), overrides=READ_ONLY_409),
    summary="Add a discussion question",
    description=f"For those who may edit the retrospective (403 for readers). A discussion holds {QUESTIONS_MIN} to "
    f"{QUESTIONS_MAX} questions: an eleventh is a 422 on `text`. Events of another incident or accounts of another "
    "retrospective: 422. The checks' warnings come back in `findings`; they never stop a save. " + READ_ONLY_RULE,
)
def add_question(request, retrospective_id: Id, payload: QuestionIn):
    retrospective = retrospective_detail_or_404(user=request.user, pk=retrospective_id)
    question = question_add(
        retrospective=retrospective,
        text=payload.text,
        event_ids=payload.events,
        account_ids=payload.accounts,
        accounts_differ=payload.accounts_differ,
        by=request.user,
    )
    return Status(201, _one_question(question))


def _question(request, question_id: int) -> Question:
    question = Question.objects.filter(
        pk=question_id, retrospective__in=retrospectives_visible_to(request.user)
    ).first()
    if question is None:
        raise Http404("No such question, or you may not see it.")
    return question


def _question_current(question: Question) -> dict:
    return _one_question(question)


@router.patch(
    "/questions/{question_id}",
    response=responses(200, QuestionOut, errors=(400, 413, 403, 404, 409, 422)),
    summary="Change or move a discussion question (409 on a stale base_version)",
    description="For those who may edit the retrospective (403 for readers). 409 on `base_version` when it was "
    "changed since the version you edited: `current` holds it as it is. `position` moves it (no new version). "
    + READ_ONLY_RULE,
)
def change_question(request, question_id: Id, payload: QuestionPatch):
    question = _question(request, question_id)
    changes = payload.dict(exclude_unset=True)
    try:
        question = question_update(
            question=question,
            base_version=payload.base_version,
            text=changes.get("text"),
            event_ids=changes.get("events"),
            account_ids=changes.get("accounts"),
            accounts_differ=changes.get("accounts_differ"),
            by=request.user,
        )
        if "position" in changes:
            question = question_move(question=question, to_position=changes["position"], by=request.user)
    except (ConflictError, ReadOnlyError) as exc:
        return _conflict(exc, _question_current, {})
    return _one_question(question)


@router.delete(
    "/questions/{question_id}",
    response=responses(204, None, errors=(403, 404, 409, 422), overrides=READ_ONLY_409),
    summary="Delete a discussion question",
    description="For those who may edit the retrospective (403 for readers); the others move up. " + READ_ONLY_RULE,
)
def delete_question(request, question_id: Id):
    question = _question(request, question_id)
    question_delete(question=question, by=request.user)
    return Status(204, None)
