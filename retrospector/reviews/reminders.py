"""The daily reminder: once a day, each person hears of what waits for them.

What it lists, for each person:
* the steps of open retrospectives they own or shadow that are due today or overdue (a Deadline not done), with how
  late in working days ("due today", "2 working days overdue");
* the accounts they were asked for and have not given (nor had the request withdrawn);
* the mentions of them in open threads that they have not answered.

When: from REMINDER_HOUR in the person's own zone; the notification's key is `reminder:YYYY-MM-DD` of that day, so a
person gets one reminder a day however often the job runs (every ten minutes, core.periodic) and however many workers
run it. An item is listed only on a working day of its team's calendar (ProcessSettings: zone, working days,
holidays; Monday to Friday in UTC for a team without settings): a step overdue on Friday is not reminded over the
weekend nor on a holiday, and on Monday it is "1 working day overdue". Nothing to list, no reminder.

Never about a retrospective the person may no longer see (incidents.selectors.visible_pairs, the rule of
incidents_visible_to). The job reads every candidate in three queries, then handles people in batches with a constant
number of queries per batch: its cost grows with the rows, not with queries per retrospective.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from retrospector.accounts.models import User
from retrospector.core.workdays import MONDAY_TO_FRIDAY, CalendarError, WorkCalendar
from retrospector.incidents.selectors import visible_pairs
from retrospector.notifications.delivery import absolute_url
from retrospector.notifications.models import Kind, Notification
from retrospector.notifications.services import Notice, notify_each
from retrospector.reviews.models import AccountRequest, Deadline, Mention, ProcessSettings, Step
from retrospector.writeups.models import Retrospective

REMINDER_HOUR = 8  # in the person's zone: no reminder before then
BATCH = 500  # people per batch
MAX_ITEMS = 50  # listed in one reminder; the rest are counted
OPEN = Retrospective.OPEN_STATES
DEFAULT_CALENDAR = WorkCalendar()
STEP_LABELS = dict(Step.choices)


@dataclass(frozen=True)
class Item:
    """One thing waiting for a person."""

    order: tuple
    incident_id: int
    team_id: int
    text: str  # finished once "today" is known, for steps (see _step_text)
    url: str
    due_on: date | None = None


def reminder_key(day: date) -> str:
    return f"reminder:{day.isoformat()}"


def team_calendar(settings: ProcessSettings | None) -> WorkCalendar:
    """The team's calendar from its process settings (ISO weekdays, Monday is 1), or Monday to Friday in UTC; a
    setting that cannot be read (an unknown zone, a wrong date) falls back to the default for that part."""
    if settings is None:
        return DEFAULT_CALENDAR
    try:
        zone = zoneinfo.ZoneInfo(settings.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = DEFAULT_CALENDAR.zone
    days = {d - 1 for d in settings.working_days or () if isinstance(d, int) and 1 <= d <= 7}
    holidays = set()
    for text in settings.holidays or ():
        try:
            holidays.add(date.fromisoformat(str(text)))
        except ValueError:
            continue
    try:
        return WorkCalendar(zone=zone, working_days=frozenset(days or MONDAY_TO_FRIDAY), holidays=frozenset(holidays))
    except CalendarError:
        return DEFAULT_CALENDAR


def _person_zone(user: User) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _candidates(horizon: date) -> dict[int, list[Item]]:
    """Everything that may be due for anyone, by person: three queries."""
    waiting: dict[int, list[Item]] = defaultdict(list)
    deadlines = Deadline.objects.filter(
        done_at__isnull=True, due_on__lte=horizon, retrospective__state__in=OPEN
    ).values_list(
        "step",
        "due_on",
        "retrospective_id",
        "retrospective__title",
        "retrospective__owner_id",
        "retrospective__shadow_id",
        "retrospective__incident_id",
        "retrospective__incident__team_id",
    )
    for step, due_on, retro_id, title, owner_id, shadow_id, incident_id, team_id in deadlines.iterator(chunk_size=5000):
        item = Item(
            order=(0, due_on, retro_id),
            incident_id=incident_id,
            team_id=team_id,
            text=f"{STEP_LABELS.get(step, step)} of “{title}”",
            url=f"/retrospectives/{retro_id}/",
            due_on=due_on,
        )
        for person in {owner_id, shadow_id} - {None}:
            waiting[person].append(item)
    requests = AccountRequest.objects.filter(
        answered_at__isnull=True, withdrawn_at__isnull=True, retrospective__state__in=OPEN
    ).values_list(
        "responder_id",
        "retrospective_id",
        "retrospective__title",
        "retrospective__incident_id",
        "retrospective__incident__team_id",
        "requested_at",
    )
    for person, retro_id, title, incident_id, team_id, requested_at in requests.iterator(chunk_size=5000):
        waiting[person].append(
            Item(
                order=(1, requested_at, retro_id),
                incident_id=incident_id,
                team_id=team_id,
                text=f"Your account of the incident is requested for “{title}”",
                url=f"/retrospectives/{retro_id}/",
            )
        )
    mentions = Mention.objects.filter(
        notified=True,
        answered_at__isnull=True,
        comment__thread__resolved_at__isnull=True,
        comment__thread__retrospective__state__in=OPEN,
    ).values_list(
        "user_id",
        "comment__thread_id",
        "comment__created_at",
        "comment__thread__retrospective_id",
        "comment__thread__retrospective__title",
        "comment__thread__retrospective__incident_id",
        "comment__thread__retrospective__incident__team_id",
    )
    for person, thread_id, at, retro_id, title, incident_id, team_id in mentions.iterator(chunk_size=5000):
        waiting[person].append(
            Item(
                order=(2, at, thread_id),
                incident_id=incident_id,
                team_id=team_id,
                text=f"You were mentioned in a thread on “{title}” and have not answered",
                url=f"/retrospectives/{retro_id}/#thread-{thread_id}",
            )
        )
    return waiting


def _step_text(item: Item, calendar: WorkCalendar, today: date) -> str:
    late = calendar.between(item.due_on, today)
    if item.due_on >= today or late == 0:
        return f"{item.text}, due today"
    return f"{item.text}, {late} working day{'' if late == 1 else 's'} overdue"


def reminders_send(*, now: datetime | None = None) -> dict:
    """Send today's reminder to each person who has something waiting and has not had today's yet (a periodic job;
    harmless to run again: a person's reminder key for the day is used once)."""
    now = now or timezone.now()
    # The latest "today" anywhere on Earth (UTC+14): nothing due after it can be due today for anyone.
    horizon = (now + timedelta(hours=14)).astimezone(zoneinfo.ZoneInfo("UTC")).date()
    waiting = _candidates(horizon)
    team_ids = {item.team_id for items in waiting.values() for item in items}
    calendars = {s.team_id: team_calendar(s) for s in ProcessSettings.objects.filter(team_id__in=team_ids)}
    team_today = {
        team_id: calendars.get(team_id, DEFAULT_CALENDAR).local_date(now) for team_id in team_ids
    }  # each team's date now
    people = sorted(waiting)
    counts = {"people_with_items": len(people), "reminded": 0, "already": 0, "before_hour": 0, "nothing_today": 0}
    for start in range(0, len(people), BATCH):
        batch = people[start : start + BATCH]
        users = {
            u.pk: u
            for u in User.objects.filter(pk__in=batch, is_active=True).only(
                "id", "time_zone", "email", "is_active", "username", "full_name", "first_name", "last_name"
            )
        }
        days: dict[int, date] = {}
        for user in users.values():
            local = now.astimezone(_person_zone(user))
            if local.hour < REMINDER_HOUR:
                counts["before_hour"] += 1
                continue
            days[user.pk] = local.date()
        already = set(
            Notification.objects.filter(
                recipient_id__in=list(days), key__in={reminder_key(day) for day in days.values()}
            ).values_list("recipient_id", "key")
        )
        due = {pk: day for pk, day in days.items() if (pk, reminder_key(day)) not in already}
        counts["already"] += len(days) - len(due)
        visible = visible_pairs((pk, item.incident_id) for pk in due for item in waiting[pk])
        notices = []
        for pk, day in due.items():
            lines = []
            for item in sorted(waiting[pk], key=lambda i: i.order):
                if (pk, item.incident_id) not in visible:
                    continue
                calendar = calendars.get(item.team_id, DEFAULT_CALENDAR)
                today = team_today[item.team_id]
                if not calendar.is_working_day(today):
                    continue
                if item.due_on is not None:
                    if item.due_on > today:
                        continue
                    text = _step_text(item, calendar, today)
                else:
                    text = item.text
                lines.append(f"- {text}\n  {absolute_url(item.url)}")
            if not lines:
                counts["nothing_today"] += 1
                continue
            shown = lines[:MAX_ITEMS]
            if len(lines) > MAX_ITEMS:
                shown.append(f"- and {len(lines) - MAX_ITEMS} more.")
            notices.append(
                Notice(
                    recipient=users[pk],
                    key=reminder_key(day),
                    title=f"Reminder: {len(lines)} thing{'' if len(lines) == 1 else 's'} waiting for you",
                    body="\n".join(shown),
                    url="/",
                )
            )
        counts["reminded"] += notify_each(kind=Kind.REMINDER, notices=notices)
    return counts
