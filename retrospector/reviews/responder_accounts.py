"""Responders' accounts: the owner asks the people who handled an incident for their own account of it (from when they
became aware to when they stopped: what they saw, thought and did), and each writes theirs.

Selectors (reads, visibility built in) first, then the services (every write). A request notifies the person asked
(kind "account_requested"); writing the account answers the request. Accounts are attributed, linked to the
incident's timeline events, visible to whoever may read the retrospective, and editable by their author only, until
the review ends (approved or done)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from retrospector.accounts.models import User
from retrospector.accounts.selectors import PERSON_FIELDS
from retrospector.core.errors import ConflictError, ReadOnlyError, locked
from retrospector.core.markdown import render_markdown
from retrospector.incidents.selectors import incidents_visible_to
from retrospector.notifications.models import Kind
from retrospector.notifications.services import notify
from retrospector.timeline.models import TimelineEvent
from retrospector.writeups.models import Retrospective
from retrospector.writeups.selectors import can_edit_retrospective, retrospectives_visible_to

from .models import Account, AccountRequest, Step
from .process import deadlines_mark_done

State = Retrospective.State

# Once approved, the write-up says what the review concluded: the accounts it was built on stay as they were.
REVIEW_ENDED = (State.APPROVED, State.DONE)
ACCOUNT_MAX_CHARS = 50_000
MESSAGE_MAX_CHARS = 2_000
ACCOUNT_GUIDANCE = (
    "Your own account, in your words: from when you became aware of the incident to when you stopped working on it. "
    "What you saw, what you thought was going on, and what you did, in the order it happened. What made sense at the "
    "time matters more than what turned out to be true."
)
ASK_FORBIDDEN = "Only people who can edit this retrospective ask for accounts."
WRITE_FORBIDDEN = (
    "Only the incident's responders and the people asked for their account write one for this retrospective."
)
EDIT_FORBIDDEN = "Only its author changes an account."


def review_ended_message(retrospective: Retrospective) -> str:
    return (
        f"The review of “{retrospective.title}” has ended ({retrospective.get_state_display().lower()}), so its "
        "accounts are read-only."
    )


def _refuse_if_ended(retrospective: Retrospective, *, current=None) -> None:
    if retrospective.state in REVIEW_ENDED:
        raise ReadOnlyError(review_ended_message(retrospective), current=current)


# --- Selectors -------------------------------------------------------------------------------------------------------


def account_requests_of(retrospective: Retrospective) -> QuerySet[AccountRequest]:
    """Everyone asked for an account of a retrospective (withdrawn requests too), oldest first, with who asked. The
    caller has checked that the reader may see the retrospective."""
    return retrospective.account_requests.select_related("responder", "requested_by").order_by("requested_at", "id")


def accounts_of(retrospective: Retrospective) -> QuerySet[Account]:
    """A retrospective's accounts with their authors and linked events (in time order): three queries, however many.
    The caller has checked that the reader may see the retrospective."""
    events = TimelineEvent.objects.order_by("occurred_at", "id").only(
        "id", "incident_id", "occurred_at", "actor", "text", "kind", "key_event"
    )
    return (
        retrospective.accounts.select_related("author")
        .prefetch_related(Prefetch("events", queryset=events))
        .order_by("created_at", "id")
    )


def accounts_for_page(retrospective: Retrospective) -> list[Account]:
    """accounts_of for the retrospective's page, where 20 accounts with 100 linked events are read on every view: each
    account with `event_list` (plain rows: id, occurred_at, actor, text, in time order) and its author's name only.
    Two queries, however many. The caller has checked that the reader may see the retrospective."""
    accounts = list(
        retrospective.accounts.select_related("author")
        .only(
            "id",
            "retrospective_id",
            "author_id",
            "html",
            "version",
            "created_at",
            "updated_at",
            *(f"author__{name}" for name in PERSON_FIELDS),
        )
        .order_by("created_at", "id")
    )
    by_account: dict[int, list[LinkedEvent]] = {account.pk: [] for account in accounts}
    if accounts:
        links = (
            Account.events.through.objects.filter(account_id__in=list(by_account))
            .order_by("timelineevent__occurred_at", "timelineevent_id")
            .values_list(
                "account_id",
                "timelineevent_id",
                "timelineevent__occurred_at",
                "timelineevent__actor",
                "timelineevent__text",
            )
        )
        for account_id, *event in links:
            by_account[account_id].append(LinkedEvent(*event))
    for account in accounts:
        account.event_list = by_account[account.pk]
    return accounts


@dataclass
class LinkedEvent:
    """A timeline event as an account's list on the page prints it."""

    pk: int
    occurred_at: object
    actor: str
    text: str


def account_of(*, retrospective: Retrospective, user: User) -> Account | None:
    if not user.is_authenticated:
        return None
    return retrospective.accounts.filter(author=user).first()


def is_responder(user: User, retrospective: Retrospective) -> bool:
    return retrospective.incident.responders.filter(pk=user.pk).exists()


def was_asked(user: User, retrospective: Retrospective) -> bool:
    return retrospective.account_requests.filter(responder=user, withdrawn_at__isnull=True).exists()


def may_write_account(user: User, retrospective: Retrospective) -> bool:
    """Whether `user` may write their own account of a retrospective they can see: they were asked (and the request
    stands), or they responded to the incident."""
    if not user.is_authenticated:
        return False
    return was_asked(user, retrospective) or is_responder(user, retrospective)


def account_requests_waiting_for(user: User, *, limit: int = 10) -> list[AccountRequest]:
    """The accounts `user` was asked for and has not written yet, on retrospectives they may see whose review goes on,
    oldest request first: the home page's "Accounts requested from you". One query."""
    if not user.is_authenticated:
        return []
    return list(
        AccountRequest.objects.filter(
            responder=user,
            answered_at__isnull=True,
            withdrawn_at__isnull=True,
            retrospective__in=retrospectives_visible_to(user).exclude(state__in=REVIEW_ENDED),
        )
        .select_related("retrospective", "retrospective__incident", "requested_by")
        .order_by("requested_at", "id")[:limit]
    )


def account_requests_unanswered(retrospective: Retrospective) -> QuerySet[AccountRequest]:
    """The standing requests of a retrospective whose account is not written yet (what sending for review lists as
    missing), oldest first, with the people asked."""
    return retrospective.account_requests.filter(answered_at__isnull=True, withdrawn_at__isnull=True).select_related(
        "responder"
    )


def account_requests_open() -> QuerySet[AccountRequest]:
    """Every standing, unanswered request on a retrospective whose review goes on, for the daily reminder. Not
    filtered by visibility: a reminder goes through notify(), which leaves out whoever may not see the incident."""
    return AccountRequest.objects.filter(
        answered_at__isnull=True, withdrawn_at__isnull=True, responder__is_active=True
    ).exclude(retrospective__state__in=REVIEW_ENDED)


def request_candidates(retrospective: Retrospective) -> list[User]:
    """Whom the owner is offered first: the incident's responders who are still active, by name."""
    return sorted(
        (person for person in retrospective.incident.responders.all() if person.is_active),
        key=lambda person: person.display_name.casefold(),
    )


# --- Services --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asked:
    """What asking did: new (or renewed) requests, those that were already standing, and whom the notification
    reached."""

    created: list[AccountRequest]
    already: list[AccountRequest]
    notified: list[User]


def _write_url(retrospective: Retrospective) -> str:
    return reverse("account_write", args=[retrospective.pk])


def _check_people(retrospective: Retrospective, people: list[User]) -> None:
    incident = retrospective.incident
    if not people:
        raise ValidationError({"responders": "Choose at least one person to ask for their account."})
    for person in people:
        if person.organization_id != incident.organization_id:
            raise ValidationError({"responders": f"{person.username} is not in this organization."})
        if not person.is_active:
            raise ValidationError({"responders": f"{person.username} is no longer active here."})
    visible = {
        person.pk
        for person in people
        if person.is_org_admin or incidents_visible_to(person).filter(pk=incident.pk).exists()
    }
    hidden = [person.username for person in people if person.pk not in visible]
    if hidden:
        # Asking does not invite: inviting opens a private incident to someone, which its team decides on purpose.
        who = ", ".join(hidden)
        raise ValidationError(
            {
                "responders": f"{who} may not see this private incident, so they cannot read the retrospective nor "
                "write an account. Someone of the incident's team can invite them to the incident first (Edit "
                "incident › Invited people); then ask again."
            }
        )


@transaction.atomic
def account_request_create(
    *, retrospective: Retrospective, responders: list[User], by: User, message: str = ""
) -> Asked:
    """Ask each person for their account. Asking someone already asked changes nothing (the standing request keeps
    its message and date); asking again after a withdrawal renews the request and notifies them again. Someone who
    already wrote an account gets a request marked answered and no notification."""
    current = locked(Retrospective.objects.select_related("incident"), retrospective.pk)
    if not can_edit_retrospective(by, current):
        raise PermissionDenied(ASK_FORBIDDEN)
    _refuse_if_ended(current)
    message = (message or "").replace("\r\n", "\n").strip()
    if len(message) > MESSAGE_MAX_CHARS:
        raise ValidationError(
            {"message": f"Keep the message under {MESSAGE_MAX_CHARS:,} characters (this one has {len(message):,})."}
        )
    people = list({person.pk: person for person in responders}.values())
    _check_people(current, people)
    existing = {r.responder_id: r for r in current.account_requests.filter(responder__in=people)}
    written = dict(current.accounts.filter(author__in=people).values_list("author_id", "created_at"))
    now = timezone.now()
    created, already, to_notify = [], [], []
    for person in people:
        standing = existing.get(person.pk)
        if standing is not None and standing.withdrawn_at is None:
            already.append(standing)
            continue
        answered_at = written.get(person.pk)
        if standing is not None:  # withdrawn before: asked again
            standing.withdrawn_at = None
            standing.requested_by = by
            standing.requested_at = now
            standing.message = message
            standing.answered_at = answered_at
            standing.save(update_fields=["withdrawn_at", "requested_by", "requested_at", "message", "answered_at"])
            request = standing
        else:
            try:
                with transaction.atomic():
                    request = AccountRequest.objects.create(
                        retrospective=current,
                        responder=person,
                        requested_by=by,
                        message=message,
                        answered_at=answered_at,
                    )
            except IntegrityError:  # asked at the same moment from another request
                already.append(AccountRequest.objects.get(retrospective=current, responder=person))
                continue
        created.append(request)
        if answered_at is None:
            to_notify.append((person, request))
    notified: list[User] = []
    for person, request in to_notify:
        body = f"{by.display_name} asks for your account of “{current.incident.title}”."
        if request.message:
            body += f"\n\n{request.message}"
        result = notify(
            recipients=[person],
            kind=Kind.ACCOUNT_REQUESTED,
            key=f"account-request:{request.pk}:{request.requested_at:%Y%m%d%H%M%S%f}",
            title=f"Your account of “{current.incident.title}” is requested",
            url=_write_url(current),
            retrospective=current,
            actor=by,
            body=body + "\n\nFrom when you became aware to when you stopped: what you saw, thought and did.",
        )
        notified.extend(result.sent_to)
    if created:  # asking responders is research: that step of the review is done
        deadlines_mark_done(retrospective=current, steps=[Step.RESEARCH])
    return Asked(created=created, already=already, notified=notified)


@transaction.atomic
def account_request_withdraw(*, request: AccountRequest, by: User) -> AccountRequest:
    """Take a request back (it stays listed as withdrawn). A request already answered cannot be withdrawn: the account
    is written and stays."""
    current = locked(AccountRequest.objects.select_related("retrospective__incident"), request.pk)
    if not can_edit_retrospective(by, current.retrospective):
        raise PermissionDenied(ASK_FORBIDDEN)
    _refuse_if_ended(current.retrospective)
    if current.answered_at is not None:
        raise ValidationError(
            {"request": f"{current.responder.username} already wrote their account: the request cannot be withdrawn."}
        )
    if current.withdrawn_at is None:
        current.withdrawn_at = timezone.now()
        current.save(update_fields=["withdrawn_at"])
    return current


def _clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").strip("\n")
    if not body.strip():
        raise ValidationError({"body": "Write your account first: what you saw, thought and did."})
    if len(body) > ACCOUNT_MAX_CHARS:
        raise ValidationError(
            {"body": f"An account holds at most {ACCOUNT_MAX_CHARS:,} characters (this one has {len(body):,})."}
        )
    return body


def incident_event_ids(retrospective: Retrospective, event_ids, *, field: str = "events") -> list[int]:
    """The ids, each once, when every one is an event of the retrospective's incident; a 422-style error naming those
    that are not (events of another incident are refused like unknown ones)."""
    wanted = list(dict.fromkeys(int(pk) for pk in event_ids))
    if not wanted:
        return []
    found = set(
        TimelineEvent.objects.filter(incident_id=retrospective.incident_id, pk__in=wanted).values_list("pk", flat=True)
    )
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise ValidationError({field: f"Not events of this incident's timeline: {', '.join(missing)}."})
    return wanted


@transaction.atomic
def account_write(*, retrospective: Retrospective, body: str, by: User, event_ids=()) -> Account:
    """Write `by`'s own account; it answers their request. One account per person: a second one is a conflict that
    carries the first (edit it instead); the same text sent again (a double submit) returns the first."""
    current = locked(Retrospective.objects.select_related("incident"), retrospective.pk)
    if not may_write_account(by, current):
        raise PermissionDenied(WRITE_FORBIDDEN)
    existing = current.accounts.filter(author=by).first()
    _refuse_if_ended(current, current=existing)
    body = _clean_body(body)
    if existing is not None:
        if existing.body == body:  # the same form sent twice: one account
            return existing
        raise ConflictError(
            "You already wrote your account of this incident: change that one (it is shown here) rather than a second.",
            current=existing,
        )
    events = incident_event_ids(current, event_ids)
    account = Account.objects.create(retrospective=current, author=by, body=body, html=render_markdown(body))
    account.events.set(events)
    AccountRequest.objects.filter(retrospective=current, responder=by, answered_at__isnull=True).update(
        answered_at=account.created_at
    )
    return account


@transaction.atomic
def account_update(
    *, account: Account, base_version: int, by: User, body: str | None = None, event_ids=None
) -> Account:
    """Change an account (its text, its linked events, or both) if nobody saved it since `base_version`; `None`
    leaves a part as it is."""
    current = locked(Account.objects.select_related("retrospective__incident"), account.pk)
    if current.author_id != by.pk:
        raise PermissionDenied(EDIT_FORBIDDEN)
    _refuse_if_ended(current.retrospective, current=current)
    if current.version != base_version:
        raise ConflictError(
            f"Your account was saved elsewhere after you started editing (you edited version {base_version}; it is "
            f"now version {current.version}).",
            current=current,
        )
    changed = []
    if body is not None:
        body = _clean_body(body)
        if body != current.body:
            current.body, current.html = body, render_markdown(body)
            changed += ["body", "html"]
    if event_ids is not None:
        events = incident_event_ids(current.retrospective, event_ids)
        if set(events) != set(current.events.values_list("pk", flat=True)):
            current.events.set(events)
            changed.append("events")
    if changed:
        current.version += 1
        current.save(update_fields=[f for f in changed if f != "events"] + ["version", "updated_at"])
    return current
