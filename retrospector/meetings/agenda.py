"""The meeting's agenda: services (every write) and selectors (every read).

The agenda builds itself: every feedback thread with three messages or more, and every open *disagree* thread, is an
item of kind "thread", added once at the end (agenda_sync). A thread item that no longer qualifies leaves, unless the
meeting wrote something on it (notes, a decision). The people who may edit the retrospective add parts of the built-in
meeting template (roll call, impact, ...) or free items, remove them, reorder the items and give each a time box.

The order is guarded by the meeting's `agenda_version` (its `version` is the schedule's): adding, removing, moving an
item or changing a time box is based on the version the person read, and a stale one is refused (ConflictError), never
applied on an order they did not see.
Each item's own `version` is left to its notes and decision (written during the meeting).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.http import Http404

from retrospector.accounts.models import User
from retrospector.core.builtin_templates import builtin_template_files
from retrospector.core.errors import ConflictError, ReadOnlyError, locked
from retrospector.core.text import single_line
from retrospector.reviews.models import Thread
from retrospector.writeups.models import Retrospective
from retrospector.writeups.selectors import can_edit_retrospective

from .models import AgendaItem, Meeting

State = Retrospective.State
Kind = AgendaItem.Kind

MIN_MESSAGES = 3  # a thread with this many messages (its first comment included) is talked through at the meeting
TIME_BOX_MIN, TIME_BOX_MAX = 1, 240
THREAD_TIME_BOX = 5  # the model's default, for a thread item
PART_TIME_BOX = 5  # a part whose guidance suggests no length ("the last few minutes")
TITLE_QUOTE_CHARS = 80
TITLE_MAX = 300
READ_ONLY = (State.APPROVED, State.DONE)
# The parts of the built-in meeting template (core/builtin_templates/meeting-agenda.yaml) an agenda offers, in order.
PART_KEYS = (
    "roll-call",
    "timeline",
    "what-happened",
    "impact",
    "analysis-notes",
    "seen-before",
    "went-well",
    "meeting-feedback",
)

AGENDA_FORBIDDEN = "Only the people who can edit this retrospective can change its meeting agenda."
AGENDA_CHANGED = (
    "The agenda changed since you read it (an item was added, removed, moved or given another time box): nothing was "
    "changed. Here it is as it is now; do it again if it still makes sense."
)
THREAD_ITEMS_FOLLOW = (
    "A feedback thread's item follows its thread: it joins when the thread reaches three messages or is an open "
    "disagreement, and leaves when it no longer is (unless the meeting wrote notes or a decision on it). It cannot be "
    "removed by hand."
)
ITEM_NOT_FOUND = "No such item on this agenda."


def agenda_closed_message(retrospective: Retrospective) -> str:
    return f"“{retrospective.title}” is {retrospective.get_state_display().lower()}: its meeting agenda is read-only."


# --- The meeting template's parts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingPart:
    key: str
    title: str
    minutes: int  # the time box the template suggests


_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30}
_ABOUT = re.compile(r"about (\w+) minutes?", re.IGNORECASE)


def suggested_minutes(guidance: str) -> int:
    """ "*About twenty minutes, ...*" -> 20; PART_TIME_BOX when the guidance names no length."""
    match = _ABOUT.search(guidance or "")
    if not match:
        return PART_TIME_BOX
    word = match.group(1).lower()
    minutes = int(word) if word.isdigit() else _NUMBERS.get(word, PART_TIME_BOX)
    return min(max(minutes, TIME_BOX_MIN), TIME_BOX_MAX)


@functools.cache
def meeting_parts() -> tuple[MeetingPart, ...]:
    """The parts an agenda may take from the built-in meeting template, with its titles and suggested minutes."""
    definition = yaml.safe_load(builtin_template_files()["meeting-agenda"].read_text(encoding="utf-8"))
    sections = {section["key"]: section for section in definition["sections"]}
    return tuple(
        MeetingPart(key=key, title=sections[key]["title"], minutes=suggested_minutes(sections[key].get("guidance", "")))
        for key in PART_KEYS
    )


def meeting_part(key: str) -> MeetingPart:
    for part in meeting_parts():
        if part.key == key:
            return part
    raise ValidationError({"part": f"No meeting part {key!r}: choose one of {', '.join(PART_KEYS)}."})


# --- Rules ------------------------------------------------------------------------------------------------------


def can_edit_agenda(user: User, retrospective: Retrospective) -> bool:
    return retrospective.state not in READ_ONLY and can_edit_retrospective(user, retrospective)


def _require_edit(user: User, retrospective: Retrospective) -> None:
    if not can_edit_retrospective(user, retrospective):
        raise PermissionDenied(AGENDA_FORBIDDEN)
    if retrospective.state in READ_ONLY:
        raise ReadOnlyError(agenda_closed_message(retrospective))


def clean_time_box(minutes) -> int:
    """One rule for the page, the API and the services: a whole number of minutes from 1 to 240."""
    if isinstance(minutes, bool) or not isinstance(minutes, int | str):
        raise ValidationError({"time_box_minutes": "A time box is a whole number of minutes."})
    if isinstance(minutes, str):
        if not minutes.strip().isdigit():
            raise ValidationError(
                {"time_box_minutes": f"A time box is a whole number of minutes, from {TIME_BOX_MIN} to {TIME_BOX_MAX}."}
            )
        minutes = int(minutes)
    if not TIME_BOX_MIN <= minutes <= TIME_BOX_MAX:
        raise ValidationError(
            {"time_box_minutes": f"A time box is from {TIME_BOX_MIN} to {TIME_BOX_MAX} minutes; {minutes} is not."}
        )
    return minutes


def thread_item_title(*, kind: str, section_title: str, quote: str) -> str:
    """ "Disagree on Summary: “The fraud rule rejected every card …”"."""
    label = Thread.Kind(kind).label if kind in Thread.Kind.values else kind
    title = f"{label} on {section_title}"
    quote = single_line(quote)
    if quote:
        cut = quote if len(quote) <= TITLE_QUOTE_CHARS else quote[: TITLE_QUOTE_CHARS - 1].rstrip() + "…"
        title += f": “{cut}”"
    return title[:TITLE_MAX]


# --- The meeting and its self-building part ---------------------------------------------------------------------


def meeting_for(retrospective: Retrospective) -> Meeting:
    """The retrospective's meeting, made on first use (the owner presents it by default)."""
    meeting = Meeting.objects.filter(retrospective=retrospective).first()
    if meeting is not None:
        return meeting
    try:
        with transaction.atomic():
            return Meeting.objects.create(retrospective=retrospective, presenter_id=retrospective.owner_id)
    except IntegrityError:  # made at the same moment by another request
        return Meeting.objects.get(retrospective=retrospective)


@dataclass(frozen=True)
class ThreadShown:
    """What the agenda shows of an item's thread (plain values: 60 model instances and their sections cost more than
    the rest of the agenda's computation together)."""

    id: int
    kind: str
    quote: str
    comment_count: int
    is_open: bool
    resolution: str
    outdated: bool
    section_title: str

    @property
    def kind_label(self) -> str:
        return Thread.Kind(self.kind).label if self.kind in Thread.Kind.values else self.kind

    @property
    def resolution_label(self) -> str:
        return Thread.Resolution(self.resolution).label if self.resolution in Thread.Resolution.values else ""

    @property
    def qualifies(self) -> bool:
        """Talked through at the meeting: three messages or more, or an open disagreement."""
        return self.comment_count >= MIN_MESSAGES or (self.kind == Thread.Kind.DISAGREE and self.is_open)


def _threads(retrospective_id: int) -> dict[int, ThreadShown]:
    """Every thread of the retrospective, oldest first (one query, plain values)."""
    rows = (
        Thread.objects.filter(retrospective_id=retrospective_id)
        .order_by("created_at", "id")
        .values_list("id", "kind", "quote", "comment_count", "resolved_at", "resolution", "outdated", "section__title")
    )
    return {
        pk: ThreadShown(pk, kind, quote, count, resolved_at is None, resolution, outdated, section_title)
        for pk, kind, quote, count, resolved_at, resolution, outdated, section_title in rows
    }


def _items_for_plan(meeting_id: int) -> list[dict]:
    kept = ExpressionWrapper(
        ~Q(notes="") | ~Q(decision="") | ~Q(decision_text="") | Q(applied_at__isnull=False),
        output_field=BooleanField(),
    )
    return list(
        AgendaItem.objects.filter(meeting_id=meeting_id)
        .annotate(kept=kept)
        .order_by("position", "id")
        .values("id", "kind", "thread_id", "position", "time_box_minutes", "kept")
    )


@dataclass
class AgendaPlan:
    """What agenda_sync would do: the threads to add, the items to remove, and the items that stay, in order."""

    to_add: list[ThreadShown]
    to_remove: set[int]
    staying: list[dict]

    @property
    def changes(self) -> bool:
        return bool(self.to_add or self.to_remove)

    @property
    def count(self) -> int:
        return len(self.staying) + len(self.to_add)

    @property
    def total_minutes(self) -> int:
        return sum(item["time_box_minutes"] for item in self.staying) + THREAD_TIME_BOX * len(self.to_add)


def _plan(threads: dict[int, ThreadShown], items: list[dict]) -> AgendaPlan:
    qualifying = {pk for pk, thread in threads.items() if thread.qualifies}
    present = {item["thread_id"] for item in items if item["thread_id"]}
    to_remove = {
        item["id"]
        for item in items
        if item["kind"] == Kind.THREAD and item["thread_id"] not in qualifying and not item["kept"]
    }
    return AgendaPlan(
        to_add=[thread for pk, thread in threads.items() if pk in qualifying and pk not in present],
        to_remove=to_remove,
        staying=[item for item in items if item["id"] not in to_remove],
    )


def agenda_plan(*, retrospective_id: int, meeting_id: int | None) -> AgendaPlan:
    """Two queries, whatever the number of threads and items (one when there is no meeting yet)."""
    items = _items_for_plan(meeting_id) if meeting_id else []
    return _plan(_threads(retrospective_id), items)


def _as_plan_rows(items: list[AgendaItem]) -> list[dict]:
    return [
        {
            "id": item.pk,
            "kind": item.kind,
            "thread_id": item.thread_id,
            "position": item.position,
            "time_box_minutes": item.time_box_minutes,
            "kept": bool(item.notes or item.decision or item.decision_text or item.applied_at),
        }
        for item in items
    ]


def _renumber(ordered_ids: list[int], positions: dict[int, int]) -> None:
    """Positions 1..n in the order given, in one query for the items whose position changes."""
    moved = [
        AgendaItem(pk=pk, position=position)
        for position, pk in enumerate(ordered_ids, 1)
        if positions.get(pk) != position
    ]
    if moved:
        AgendaItem.objects.bulk_update(moved, ["position"])


def thread_items_insert(*, meeting_id: int, rows: list[tuple[int, str, int]]) -> None:
    """Insert thread items, (thread id, title, position) each, in one query (building 60 takes ~10 ms p95, the
    target 20)."""
    AgendaItem.objects.bulk_create(
        AgendaItem(
            meeting_id=meeting_id,
            kind=Kind.THREAD,
            thread_id=thread_id,
            title=title,
            position=position,
            time_box_minutes=THREAD_TIME_BOX,
        )
        for thread_id, title, position in rows
    )


def _bump(meeting: Meeting) -> None:
    Meeting.objects.filter(pk=meeting.pk).update(agenda_version=F("agenda_version") + 1)
    meeting.agenda_version += 1


def agenda_sync(meeting: Meeting) -> list[AgendaItem]:
    """Bring the thread items up to date with the threads, then return the agenda in order. An agenda already up to
    date costs two queries (its items, the retrospective's threads); a change adds a handful (lock, the items again,
    delete, one renumbering update, one insert, the version, the items to return), never one per thread."""
    threads = _threads(meeting.retrospective_id)
    items = _items_of(meeting)
    plan = _plan(threads, _as_plan_rows(items))
    if not plan.changes:
        return _with_threads(items, threads)
    with transaction.atomic():
        current = locked(Meeting.objects, meeting.pk)
        plan = _plan(threads, _items_for_plan(meeting.pk))  # the items again, under the lock
        if plan.changes:
            if plan.to_remove:
                AgendaItem.objects.filter(pk__in=plan.to_remove).delete()
                _renumber([i["id"] for i in plan.staying], {i["id"]: i["position"] for i in plan.staying})
            thread_items_insert(
                meeting_id=meeting.pk,
                rows=[
                    (
                        thread.id,
                        thread_item_title(kind=thread.kind, section_title=thread.section_title, quote=thread.quote),
                        len(plan.staying) + n,
                    )
                    for n, thread in enumerate(plan.to_add, 1)
                ],
            )
            meeting.agenda_version = current.agenda_version
            _bump(meeting)
    return _with_threads(_items_of(meeting), threads)


# --- Selectors --------------------------------------------------------------------------------------------------


def _items_of(meeting: Meeting) -> list[AgendaItem]:
    return list(AgendaItem.objects.filter(meeting=meeting).order_by("position", "id"))


def _with_threads(items: list[AgendaItem], threads: dict[int, ThreadShown]) -> list[AgendaItem]:
    """Each item with `shown_thread`: its thread's ThreadShown, None for a part (read `thread` for the model)."""
    for item in items:
        item.shown_thread = threads.get(item.thread_id) if item.thread_id else None
    return items


def agenda_of(meeting: Meeting) -> list[AgendaItem]:
    """The items in order, each with `shown_thread` (two queries, whatever their number)."""
    return _with_threads(_items_of(meeting), _threads(meeting.retrospective_id))


@dataclass(frozen=True)
class AgendaTotals:
    count: int
    total_minutes: int
    length_minutes: int

    @property
    def over_by(self) -> int:
        return max(0, self.total_minutes - self.length_minutes)

    @property
    def left(self) -> int:
        return max(0, self.length_minutes - self.total_minutes)

    @property
    def sentence(self) -> str:
        said = f"Total {self.total_minutes} of {self.length_minutes} minutes"
        if self.over_by:
            return f"{said}: over by {self.over_by} minute{'' if self.over_by == 1 else 's'}."
        if self.left:
            return f"{said}: {self.left} minute{'' if self.left == 1 else 's'} to spare."
        return f"{said}: exactly the meeting's length."


def agenda_totals(meeting: Meeting, items: list[AgendaItem]) -> AgendaTotals:
    return AgendaTotals(
        count=len(items),
        total_minutes=sum(item.time_box_minutes for item in items),
        length_minutes=meeting.length_minutes,
    )


def agenda_summary(retrospective: Retrospective) -> AgendaTotals:
    """The agenda's size and length as agenda_sync would leave it, without writing anything (the retrospective's page
    only reads): three queries at most."""
    meeting = Meeting.objects.filter(retrospective=retrospective).only("pk", "length_minutes").first()
    plan = agenda_plan(retrospective_id=retrospective.pk, meeting_id=meeting.pk if meeting else None)
    length = meeting.length_minutes if meeting else Meeting._meta.get_field("length_minutes").default
    return AgendaTotals(count=plan.count, total_minutes=plan.total_minutes, length_minutes=length)


def agenda_item_or_404(meeting: Meeting, item_id: int) -> AgendaItem:
    item = AgendaItem.objects.filter(meeting=meeting, pk=item_id).first()
    if item is None:
        raise Http404(ITEM_NOT_FOUND)
    return item


def parts_available(items: list[AgendaItem]) -> list[MeetingPart]:
    """The template's parts not on the agenda yet."""
    taken = {item.part for item in items if item.kind == Kind.PART and item.part}
    return [part for part in meeting_parts() if part.key not in taken]


# --- Services ---------------------------------------------------------------------------------------------------


def _locked_meeting(meeting: Meeting, base_version: int | None, by: User) -> Meeting:
    """The meeting locked for the rest of the transaction, after the permission and version checks."""
    current = locked(Meeting.objects.select_related("retrospective__incident"), meeting.pk)
    _require_edit(by, current.retrospective)
    if base_version is not None and base_version != current.agenda_version:
        raise ConflictError(AGENDA_CHANGED, current=current)
    return current


def _order(meeting: Meeting) -> list[tuple[int, int]]:
    return list(AgendaItem.objects.filter(meeting=meeting).order_by("position", "id").values_list("pk", "position"))


def _done(meeting: Meeting, current: Meeting) -> None:
    _bump(current)
    meeting.agenda_version = current.agenda_version


@transaction.atomic
def agenda_item_add(
    *,
    meeting: Meeting,
    by: User,
    part: str = "",
    title: str = "",
    time_box_minutes: int | str | None = None,
    base_version: int | None = None,
) -> AgendaItem:
    """A part of the meeting template (its title and suggested minutes unless given), or a free item with a title;
    at the end of the agenda. A part is on an agenda once."""
    current = _locked_meeting(meeting, base_version, by)
    title = " ".join(single_line(title or "").split())  # one line: a pasted line break or tab is a space
    if part:
        chosen = meeting_part(part)
        already = AgendaItem.objects.filter(meeting=current, kind=Kind.PART, part=chosen.key).first()
        if already is not None:
            raise ValidationError({"part": f"“{chosen.title}” is already on the agenda (item {already.position})."})
        title = title or chosen.title
        minutes = chosen.minutes
    else:
        if not title:
            raise ValidationError({"title": "Give the item a title, or choose a part of the meeting template."})
        minutes = PART_TIME_BOX
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": f"A title is at most {TITLE_MAX} characters; this one is {len(title)}."})
    if time_box_minutes not in (None, ""):
        minutes = clean_time_box(time_box_minutes)
    order = _order(current)
    item = AgendaItem.objects.create(
        meeting=current,
        kind=Kind.PART,
        part=part,
        title=title,
        position=len(order) + 1,
        time_box_minutes=minutes,
        updated_by=by,
    )
    _done(meeting, current)
    return item


@transaction.atomic
def agenda_item_remove(*, item: AgendaItem, by: User, base_version: int | None = None) -> None:
    """Remove a part or free item; the items after it move up. Thread items follow their threads (ValidationError)."""
    current = _locked_meeting(item.meeting, base_version, by)
    if locked(AgendaItem.objects, item.pk).kind == Kind.THREAD:
        raise ValidationError({"item": THREAD_ITEMS_FOLLOW})
    AgendaItem.objects.filter(pk=item.pk).delete()
    order = _order(current)
    _renumber([pk for pk, _ in order], dict(order))
    _done(item.meeting, current)


@transaction.atomic
def agenda_item_move(*, item: AgendaItem, to_position: int, base_version: int, by: User) -> AgendaItem:
    """Put the item at `to_position` (1 is first); the others keep their order around it. Based on the agenda's
    version the person read: a stale one is a ConflictError, nothing moves."""
    current = _locked_meeting(item.meeting, base_version, by)
    order = _order(current)
    ids = [pk for pk, _ in order]
    if item.pk not in ids:
        raise Http404("This agenda item was removed meanwhile; nothing was moved.")
    if isinstance(to_position, bool) or not isinstance(to_position, int) or not 1 <= to_position <= len(ids):
        raise ValidationError({"position": f"A position on this agenda is from 1 to {len(ids)}."})
    ids.remove(item.pk)
    ids.insert(to_position - 1, item.pk)
    _renumber(ids, dict(order))
    _done(item.meeting, current)
    item.position = to_position
    return item


def agenda_item_step(*, item: AgendaItem, direction: str, base_version: int, by: User) -> AgendaItem:
    """One place up or down (the page's buttons); the first item up or the last down stays where it is."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": "Move an item up or down."})
    with transaction.atomic():
        current = _locked_meeting(item.meeting, base_version, by)
        ids = [pk for pk, _ in _order(current)]
        if item.pk not in ids:
            raise Http404("This agenda item was removed meanwhile; nothing was moved.")
        index = ids.index(item.pk) + 1
        to = max(1, min(len(ids), index - 1 if direction == "up" else index + 1))
        return agenda_item_move(item=item, to_position=to, base_version=base_version, by=by)


@transaction.atomic
def agenda_time_box_set(*, item: AgendaItem, minutes, base_version: int, by: User) -> AgendaItem:
    """Give an item a time box of 1 to 240 minutes."""
    minutes = clean_time_box(minutes)
    current = _locked_meeting(item.meeting, base_version, by)
    if not AgendaItem.objects.filter(pk=item.pk, meeting=current).update(time_box_minutes=minutes):
        raise Http404("This agenda item was removed meanwhile; nothing was changed.")
    _done(item.meeting, current)
    item.time_box_minutes = minutes
    return item
