"""Discussion questions: 5 to 10 open questions the owner prepares for the review's discussion, each optionally tied to
timeline events and to responders' accounts, and flagged where two accounts describe the same event differently.

The write-up checker's rules run on each question (yes/no questions, "why" put to people, hindsight that leads the
answer): they warn, they never block a save. Selectors first, then the services."""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Prefetch, QuerySet

from retrospector.accounts.models import User
from retrospector.checks import Finding
from retrospector.checks import Section as CheckSection
from retrospector.core.errors import ConflictError, ReadOnlyError, locked
from retrospector.core.text import single_line
from retrospector.timeline.models import TimelineEvent
from retrospector.writeups.checking import checks_run_cached, people_for
from retrospector.writeups.models import Retrospective
from retrospector.writeups.selectors import can_edit_retrospective

from .models import Account, Question
from .responder_accounts import REVIEW_ENDED, incident_event_ids

QUESTIONS_MIN = 5
QUESTIONS_MAX = 10
QUESTION_MAX_CHARS = 500
QUESTIONS_FORBIDDEN = "Only people who can edit this retrospective prepare its discussion questions."
# The section the checker reads the questions in: its "questions" role turns on the question rules.
_CHECK_SECTION = ("questions", "Discussion questions")


def questions_ended_message(retrospective: Retrospective) -> str:
    return (
        f"The review of “{retrospective.title}” has ended ({retrospective.get_state_display().lower()}), so its "
        "discussion questions are read-only."
    )


def _refuse_if_ended(retrospective: Retrospective, *, current=None) -> None:
    if retrospective.state in REVIEW_ENDED:
        raise ReadOnlyError(questions_ended_message(retrospective), current=current)


# --- Selectors -------------------------------------------------------------------------------------------------------


def questions_of(retrospective: Retrospective) -> QuerySet[Question]:
    """A retrospective's questions in order, with their events (in time order) and accounts (with authors): three
    queries, however many. The caller has checked that the reader may see the retrospective."""
    events = TimelineEvent.objects.order_by("occurred_at", "id").only(
        "id", "incident_id", "occurred_at", "actor", "text"
    )
    accounts = Account.objects.select_related("author").only("id", "retrospective_id", "author__username")
    return retrospective.questions.prefetch_related(
        Prefetch("events", queryset=events), Prefetch("accounts", queryset=accounts.order_by("created_at", "id"))
    ).order_by("position", "id")


def accounts_telling_the_same_events(retrospective: Retrospective) -> dict[int, dict]:
    """The events that two or more of the retrospective's accounts link, where their authors may describe the same
    moment differently: {event id: {"pk", "text", "occurred_at", "accounts": [{"pk", "author"}, ...]}}, in time
    order. One query, whether there are such events or not (the page's count of queries stays the same)."""
    through = Account.events.through.objects.filter(account__retrospective=retrospective)
    shared = through.values("timelineevent_id").annotate(n=Count("account_id")).filter(n__gte=2)
    rows = (
        through.filter(timelineevent_id__in=shared.values("timelineevent_id"))
        .order_by("timelineevent__occurred_at", "timelineevent_id", "account__created_at", "account_id")
        .values_list(
            "timelineevent_id",
            "timelineevent__text",
            "timelineevent__occurred_at",
            "account_id",
            "account__author__username",
            "account__author__full_name",
        )
    )
    told: dict[int, dict] = {}
    for event_pk, text, occurred_at, account_pk, username, full_name in rows:
        event = told.setdefault(event_pk, {"pk": event_pk, "text": text, "occurred_at": occurred_at, "accounts": []})
        event["accounts"].append({"pk": account_pk, "author": full_name or username or "a former member"})
    return told


def events_told_by_several_accounts(retrospective: Retrospective) -> dict[int, int]:
    """{event id: number of accounts linking it} for the events that two or more accounts link. One query."""
    return {pk: len(event["accounts"]) for pk, event in accounts_telling_the_same_events(retrospective).items()}


def _one_line(text: str) -> str:
    return " ".join(single_line(text).split())


def question_findings(retrospective: Retrospective, texts: list[str]) -> list[list[Finding]]:
    """The checker's findings for each question text, in order (one run for all of them): each question is an item of
    a discussion-questions section, with the organization's and team's settings and the people the write-up checks
    know."""
    if not texts:
        return []
    lines = [_one_line(text) for text in texts]
    body = "\n".join(f"- {line}" for line in lines)
    incident = retrospective.incident
    checked = [CheckSection(*_CHECK_SECTION, body, kind="list")]
    found: dict[int, list[Finding]] = defaultdict(list)
    for finding in checks_run_cached(checked, incident=incident, people=people_for(incident)):
        if finding.section_key == _CHECK_SECTION[0] and 1 <= finding.line <= len(lines):
            found[finding.line - 1].append(finding)
    return [found[index] for index in range(len(lines))]


def question_count_message(count: int) -> str:
    if count < QUESTIONS_MIN:
        return f"{count} of {QUESTIONS_MIN} to {QUESTIONS_MAX} questions: prepare {QUESTIONS_MIN - count} more."
    if count < QUESTIONS_MAX:
        return f"{count} questions, of {QUESTIONS_MIN} to {QUESTIONS_MAX}."
    return f"{count} questions: the most a discussion holds. Delete or merge one to add another."


# --- Services --------------------------------------------------------------------------------------------------------


def _clean_text(text: str) -> str:
    text = _one_line(text or "")
    if not text:
        raise ValidationError({"text": "Write the question."})
    if len(text) > QUESTION_MAX_CHARS:
        raise ValidationError(
            {"text": f"Keep a question under {QUESTION_MAX_CHARS} characters (this one has {len(text):,})."}
        )
    return text


def _account_ids(retrospective: Retrospective, account_ids) -> list[int]:
    wanted = list(dict.fromkeys(int(pk) for pk in account_ids))
    if not wanted:
        return []
    found = set(retrospective.accounts.filter(pk__in=wanted).values_list("pk", flat=True))
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        raise ValidationError({"accounts": f"Not accounts of this retrospective: {', '.join(missing)}."})
    return wanted


def _editable(retrospective: Retrospective, by: User) -> Retrospective:
    current = locked(Retrospective.objects.select_related("incident"), retrospective.pk)
    if not can_edit_retrospective(by, current):
        raise PermissionDenied(QUESTIONS_FORBIDDEN)
    return current


@transaction.atomic
def question_add(
    *,
    retrospective: Retrospective,
    text: str,
    by: User,
    event_ids=(),
    account_ids=(),
    accounts_differ: bool = False,
) -> Question:
    """Add a question at the end. A discussion holds at most QUESTIONS_MAX: one more is refused."""
    current = _editable(retrospective, by)
    _refuse_if_ended(current)
    text = _clean_text(text)
    count = current.questions.count()
    if count >= QUESTIONS_MAX:
        raise ValidationError(
            {
                "text": f"This retrospective already has {count} discussion questions, the most a discussion holds "
                f"({QUESTIONS_MIN} to {QUESTIONS_MAX}). Delete or merge one first."
            }
        )
    events = incident_event_ids(current, event_ids)
    accounts = _account_ids(current, account_ids)
    last = current.questions.aggregate(last=Max("position"))["last"]
    question = Question.objects.create(
        retrospective=current,
        position=(last or 0) + 1,
        text=text,
        accounts_differ=bool(accounts_differ),
        created_by=by,
    )
    question.events.set(events)
    question.accounts.set(accounts)
    return question


@transaction.atomic
def question_update(
    *,
    question: Question,
    base_version: int,
    by: User,
    text: str | None = None,
    event_ids=None,
    account_ids=None,
    accounts_differ: bool | None = None,
) -> Question:
    """Change a question if nobody saved it since `base_version`; `None` leaves a part as it is."""
    current = locked(Question.objects, question.pk)
    retrospective = _editable(current.retrospective, by)
    _refuse_if_ended(retrospective, current=current)
    if current.version != base_version:
        raise ConflictError(
            f"This question was changed by someone else after you started editing (you edited version {base_version}; "
            f"it is now version {current.version}).",
            current=current,
        )
    changed: list[str] = []
    if text is not None:
        text = _clean_text(text)
        if text != current.text:
            current.text = text
            changed.append("text")
    if accounts_differ is not None and bool(accounts_differ) != current.accounts_differ:
        current.accounts_differ = bool(accounts_differ)
        changed.append("accounts_differ")
    links_changed = False
    if event_ids is not None:
        events = incident_event_ids(retrospective, event_ids)
        if set(events) != set(current.events.values_list("pk", flat=True)):
            current.events.set(events)
            links_changed = True
    if account_ids is not None:
        accounts = _account_ids(retrospective, account_ids)
        if set(accounts) != set(current.accounts.values_list("pk", flat=True)):
            current.accounts.set(accounts)
            links_changed = True
    if changed or links_changed:
        current.version += 1
        current.save(update_fields=[*changed, "version", "updated_at"])
    return current


@transaction.atomic
def question_move(*, question: Question, to_position: int, by: User) -> Question:
    """Put a question at `to_position` (1 is first; beyond the last: last) and number the others around it 1, 2, ...
    Order is not content: moving changes no question's version."""
    current = locked(Question.objects, question.pk)
    retrospective = _editable(current.retrospective, by)
    _refuse_if_ended(retrospective)
    ordered = [q for q in retrospective.questions.order_by("position", "id") if q.pk != current.pk]
    index = min(max(int(to_position), 1), len(ordered) + 1) - 1
    ordered.insert(index, current)
    for position, item in enumerate(ordered, start=1):
        if item.position != position:
            Question.objects.filter(pk=item.pk).update(position=position)
            item.position = position
    return current


def question_step(*, question: Question, direction: str, by: User) -> Question:
    """Move a question one place up or down (the page's buttons)."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": "Move a question up or down."})
    place = list(question.retrospective.questions.order_by("position", "id").values_list("pk", flat=True))
    index = place.index(question.pk) + 1
    return question_move(question=question, to_position=index - 1 if direction == "up" else index + 1, by=by)


@transaction.atomic
def question_delete(*, question: Question, by: User) -> None:
    current = locked(Question.objects, question.pk)
    retrospective = _editable(current.retrospective, by)
    _refuse_if_ended(retrospective)
    current.delete()
    for position, pk in enumerate(retrospective.questions.order_by("position", "id").values_list("pk", flat=True), 1):
        Question.objects.filter(pk=pk).exclude(position=position).update(position=position)


def suggested_differences(questions: list[Question], told: dict[int, dict]) -> list[dict]:
    """The events of accounts_telling_the_same_events that no question flagged "accounts differ" covers yet."""
    covered = {event.pk for question in questions if question.accounts_differ for event in question.events.all()}
    return [event for pk, event in told.items() if pk not in covered]
