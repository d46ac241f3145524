"""Final approval is mechanical: a retrospective in its meeting is approved (and published: done) only when nothing is
missing, by someone other than its owner who may approve, on the state they saw. Reopening is an explicit, recorded
action with a reason.

The generic state changes (writeups.services.retrospective_transition, used by every page and API that moves a
retrospective) call `guard`, listed in MeetingsConfig.retrospective_transition_guards: it keeps the move out of the
meeting to approved or done for `approve`, which passes an ApprovalClearance after its checks."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum

from retrospector.accounts.models import Role, User
from retrospector.accounts.selectors import has_team_role
from retrospector.core.errors import locked
from retrospector.incidents.selectors import incidents_visible_to
from retrospector.notifications.models import Kind
from retrospector.notifications.services import notify
from retrospector.reviews.models import Approvers, ProcessRecord, Thread
from retrospector.reviews.process import (
    STEPS_DONE_IN,
    deadlines_mark_done,
    participants_of,
    process_current,
    review_transition,
)
from retrospector.writeups.checking import retrospective_checks
from retrospector.writeups.models import Retrospective, StateChange
from retrospector.writeups.selectors import can_edit_retrospective
from retrospector.writeups.services import REOPEN_REASON_REQUIRED, retrospective_transition

from .models import AgendaItem, Meeting

State = Retrospective.State

APPROVED_NOTE = "Approved"
OWNER_MAY_NOT_APPROVE = (
    "You own this write-up, so you can't approve it: a team admin, an organization admin or the meeting's moderator "
    "approves it."
)
NOT_AN_APPROVER = "Only a team admin, an organization admin or the meeting's moderator (other than the owner) approves."
USE_THE_APPROVAL = (
    "A retrospective in its meeting is approved with its final approval, which checks that nothing is missing "
    "(decisions applied, threads resolved, required sections filled, no checker errors): use “Final approval”."
)
REOPEN_ONLY_DONE = "Only a done (or approved) retrospective is reopened; this one is still open."
_TOKEN_SALT = "retrospector.meetings.approval"


@dataclass(frozen=True)
class Missing:
    """One thing standing between a retrospective and its approval, with where to fix it."""

    code: str  # state | decision | thread | section | checker
    message: str
    link: str


@dataclass(frozen=True)
class ApprovalClearance:
    """Passed by `approve` to writeups' transition, after its checks, so that the guard lets the move through."""

    retrospective_id: int


class ApprovalBlocked(Exception):
    """Approving was refused because something is missing (422 with the list)."""

    def __init__(self, missing: list[Missing]):
        super().__init__("Not ready for approval: " + "; ".join(m.message for m in missing))
        self.missing = missing


class ApprovalStale(Exception):
    """What the approver saw is no longer the retrospective's state (409 with what changed)."""

    def __init__(self, changes: list[str]):
        super().__init__("It changed since you looked: " + "; ".join(changes) + ". Look again before approving.")
        self.changes = changes


@dataclass
class Approval:
    """What the approval page and API show: what is missing, who may approve, and the token of this state."""

    retrospective: Retrospective
    missing: list[Missing]
    snapshot: dict
    approvers: list[User] = field(default_factory=list)

    @property
    def token(self) -> str:
        return signing.dumps(self.snapshot, salt=_TOKEN_SALT, compress=True)

    @property
    def ready(self) -> bool:
        return not self.missing


def _page(retrospective: Retrospective) -> str:
    return f"/retrospectives/{retrospective.pk}/"


def _meeting_of(retrospective: Retrospective) -> Meeting | None:
    try:
        return retrospective.meeting
    except Meeting.DoesNotExist:
        return None


def _approval_figures(retrospective: Retrospective, sections=None) -> tuple[list[Missing], dict]:
    """The missing list and the snapshot the token carries, in a constant number of queries."""
    sections = sections if sections is not None else list(retrospective.sections.all())
    page = _page(retrospective)
    missing: list[Missing] = []
    if retrospective.state != State.MEETING:
        missing.append(
            Missing(
                "state",
                f"It is {retrospective.get_state_display().lower()}: only a retrospective in its meeting is approved.",
                page,
            )
        )
    items = list(
        AgendaItem.objects.filter(meeting__retrospective=retrospective)
        .exclude(decision="")
        .values("pk", "title", "decision", "applied_at")
        .order_by("position", "pk")
    )
    for item in items:
        if item.get("applied_at") is None:
            label = AgendaItem.Decision(item["decision"]).label.lower()
            missing.append(
                Missing(
                    "decision",
                    f"Decision not applied yet ({label}): {item['title']}",
                    f"/retrospectives/{retrospective.pk}/agenda#item-{item['pk']}",
                )
            )
    threads = Thread.objects.filter(retrospective=retrospective)
    open_threads = list(
        threads.filter(resolved_at__isnull=True).values("pk", "kind", "section__title").order_by("created_at", "pk")
    )
    for thread in open_threads:
        missing.append(
            Missing(
                "thread",
                f"Open feedback thread ({thread['kind']}) on “{thread['section__title']}”: resolve it",
                f"/threads/{thread['pk']}/",
            )
        )
    totals = threads.aggregate(count=Count("pk"), comments=Sum("comment_count"))
    for section in sections:
        if section.required and section.is_empty:
            missing.append(
                Missing("section", f"Required section “{section.title}” is empty", f"{page}#section-{section.key}")
            )
    checks = retrospective_checks(retrospective, sections)
    for finding in checks.errors_besides_empty_sections:
        message = f"Checker error in “{checks.where(finding)}”: {finding.message}"
        missing.append(Missing("checker", message, f"{page}#{finding.anchor}"))
    snapshot = {
        "id": retrospective.pk,
        "state": retrospective.state,
        "sections": sorted([s.key, s.version] for s in sections),
        "threads": totals["count"] or 0,
        "open_threads": len(open_threads),
        "comments": totals["comments"] or 0,
        "decisions": len(items),
        "applied": sum(1 for i in items if i.get("applied_at") is not None),
        "missing": len(missing),
    }
    return missing, snapshot


def approval_missing(retrospective: Retrospective, sections=None) -> list[Missing]:
    """Everything that stands between `retrospective` and its approval, each with a message and a link; empty when
    it may be approved. A constant number of queries, however many threads, decisions and sections."""
    return _approval_figures(retrospective, sections)[0]


def approver_rule(retrospective: Retrospective) -> str:
    """Who approves, by the process version the retrospective started under (or the organization's current one, or
    the default: a team admin or the meeting's moderator). One or two queries."""
    record = ProcessRecord.objects.filter(retrospective=retrospective).select_related("version").first()
    version = record.version if record is not None else process_current(retrospective.incident.organization_id)
    return version.approvers if version is not None else Approvers.TEAM_ADMIN_OR_MODERATOR


def approvers_of(retrospective: Retrospective) -> list[User]:
    """Who may approve, by the process's rule (approver_rule): the organization's admins, and unless the rule says
    organization admins only, the incident's team admins, and when it allows, the meeting's moderator; never the
    owner."""
    incident = retrospective.incident
    rule = approver_rule(retrospective)
    meeting = _meeting_of(retrospective)
    who = Q(is_org_admin=True, organization_id=incident.organization_id)
    if rule != Approvers.ORG_ADMIN:
        who |= Q(memberships__team_id=incident.team_id, memberships__role=Role.ADMIN)
    if rule == Approvers.TEAM_ADMIN_OR_MODERATOR and meeting is not None and meeting.moderator_id:
        who |= Q(pk=meeting.moderator_id)
    return list(
        User.objects.filter(who, is_active=True).exclude(pk=retrospective.owner_id or 0).distinct().order_by("username")
    )


def approval_refusal(user: User, retrospective: Retrospective) -> str | None:
    """Why `user` may not approve `retrospective` (None: they may)."""
    if not user.is_authenticated:
        return NOT_AN_APPROVER
    if user.pk == retrospective.owner_id:
        return OWNER_MAY_NOT_APPROVE
    incident = retrospective.incident
    if not incidents_visible_to(user).filter(pk=incident.pk).exists():
        return NOT_AN_APPROVER
    if user.is_org_admin and user.organization_id == incident.organization_id:
        return None
    rule = approver_rule(retrospective)
    if rule == Approvers.ORG_ADMIN:
        return "The organization's process asks an organization admin to approve its retrospectives."
    if has_team_role(user, incident.team_id, Role.ADMIN):
        return None
    meeting = _meeting_of(retrospective)
    if rule == Approvers.TEAM_ADMIN_OR_MODERATOR and meeting is not None and meeting.moderator_id == user.pk:
        if not can_edit_retrospective(user, retrospective):
            return "You moderate the meeting but may not change this retrospective: ask a team admin to approve it."
        return None
    return NOT_AN_APPROVER


def approval_for(retrospective: Retrospective, sections=None) -> Approval:
    missing, snapshot = _approval_figures(retrospective, sections)
    return Approval(retrospective, missing, snapshot, approvers_of(retrospective))


# What each figure of the snapshot is called when it changed.
_CHANGE_WORDS = {
    "state": "its state changed",
    "sections": "a section was edited",
    "threads": "feedback threads were started",
    "open_threads": "a feedback thread was reopened or started",
    "comments": "comments were added",
    "decisions": "decisions were recorded",
    "applied": "decisions were applied or taken back",
    "missing": "what is missing changed",
}


def approval_changes(token: str, snapshot: dict) -> list[str]:
    """What changed between the snapshot in `token` (what the approver saw) and `snapshot` (now)."""
    try:
        seen = signing.loads(token or "", salt=_TOKEN_SALT)
    except signing.BadSignature:
        return ["the approval token is not one this server gave: load the approval again"]
    if not isinstance(seen, dict) or seen.get("id") != snapshot["id"]:
        return ["the approval token is for another retrospective"]
    changes = []
    for key, words in _CHANGE_WORDS.items():
        before, now = seen.get(key), snapshot[key]
        if before != now:
            if key == "state":
                changes.append(f"its state changed from {before} to {now}")
            elif key == "sections":
                changes.append(words)
            else:
                changes.append(f"{words} ({before} → {now})")
    return changes


@transaction.atomic
def approve(*, retrospective: Retrospective, by: User, token: str) -> Retrospective:
    """Approve and publish: meeting → done, in one recorded state change noted "Approved". Refused (PermissionDenied)
    for the owner and for anyone not allowed; ApprovalBlocked while anything is missing; ApprovalStale when the
    retrospective changed since `token` was read."""
    current = locked(
        Retrospective.objects.select_related("incident", "incident__team", "incident__organization"), retrospective.pk
    )
    refusal = approval_refusal(by, current)
    if refusal:
        raise PermissionDenied(refusal)
    missing, snapshot = _approval_figures(current)
    if missing:
        raise ApprovalBlocked(missing)
    changes = approval_changes(token, snapshot)
    if changes:
        raise ApprovalStale(changes)
    done = retrospective_transition(
        retrospective=current,
        to_state=State.DONE,
        by=by,
        note=APPROVED_NOTE,
        clearance=ApprovalClearance(current.pk),
    )
    deadlines_mark_done(retrospective=done, steps=STEPS_DONE_IN[done.state])
    announce_approved(done, by=by)
    return done


def guard(*, retrospective: Retrospective, to_state: str, clearance=None) -> str | None:
    """writeups' transition guard: out of the meeting, approving or publishing goes through `approve` only."""
    if retrospective.state != State.MEETING or to_state not in (State.APPROVED, State.DONE):
        return None
    cleared = isinstance(clearance, ApprovalClearance) and clearance.retrospective_id == retrospective.pk
    if to_state == State.DONE and cleared:
        return None
    return USE_THE_APPROVAL


def _meeting_people(retrospective: Retrospective) -> list[int]:
    """The ids of the meeting's roles and attendees (none before it has a meeting)."""
    meeting = _meeting_of(retrospective)
    if meeting is None:
        return []
    return [
        meeting.presenter_id,
        meeting.moderator_id,
        meeting.note_taker_id,
        *meeting.attendees.values_list("user_id", flat=True),
    ]


def announce_approved(retrospective: Retrospective, *, by: User) -> None:
    """Tell the team and the participants that it was approved. This is where an outgoing event (webhook, outbox)
    is to be recorded once the project has one: there is none yet."""
    number = StateChange.objects.filter(retrospective=retrospective).count()
    team = User.objects.filter(is_active=True, memberships__team_id=retrospective.incident.team_id)
    recipients = {u.pk: u for u in [*team, *participants_of(retrospective, also=_meeting_people(retrospective))]}
    notify(
        recipients=recipients.values(),
        kind=Kind.APPROVED,
        key=f"retrospective:{retrospective.pk}:approved:{number}",
        title=f"“{retrospective.title}” was approved and is done",
        url=_page(retrospective),
        retrospective=retrospective,
        actor=by,
        body=f"{by.display_name} approved it: it is published on the done list and read-only until reopened.",
    )


@transaction.atomic
def reopen(*, retrospective: Retrospective, by: User, reason: str) -> Retrospective:
    """Reopen a done (or approved) retrospective: back to review, recorded with the reason, participants told."""
    current = locked(Retrospective.objects.select_related("incident"), retrospective.pk)
    if not can_edit_retrospective(by, current):
        raise PermissionDenied("You can read this retrospective but not reopen it.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REOPEN_REASON_REQUIRED})
    if current.state not in (State.DONE, State.APPROVED):
        raise ValidationError({"state": REOPEN_ONLY_DONE})
    return review_transition(retrospective=current, to_state=State.IN_REVIEW, note=reason, by=by)
