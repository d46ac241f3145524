"""Working days: a team's calendar for deadlines counted in business days (no Django here).

A team works on some days of the week (Monday to Friday by default), in its own time zone, and not on its
holiday dates. A deadline "3 business days after resolution" is the third working day after the day the incident
was resolved, in the team's zone; it is due until the end of that day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONDAY_TO_FRIDAY = frozenset(range(5))
MAX_BUSINESS_DAYS = 366  # a deadline further away than a year of working days is a typing mistake


class CalendarError(ValueError):
    """A calendar that cannot work: no working day, an unknown weekday name."""


def parse_weekdays(text: str) -> frozenset[int]:
    """'mon-fri', 'mon,tue,thu', 'sun-thu' -> weekday numbers (Monday is 0). Names are the first three letters."""
    days: set[int] = set()
    for part in (p.strip().lower() for p in text.replace(" ", ",").split(",")):
        if not part:
            continue
        ends = part.split("-")
        if len(ends) > 2 or any(end[:3] not in WEEKDAYS for end in ends):
            raise CalendarError(f"{part!r} is not a weekday or a range of weekdays such as mon-fri")
        first, last = WEEKDAYS.index(ends[0][:3]), WEEKDAYS.index(ends[-1][:3])
        day = first
        while True:  # a range may wrap around the week: sun-thu
            days.add(day)
            if day == last:
                break
            day = (day + 1) % 7
    if not days:
        raise CalendarError("name at least one working day, such as mon-fri")
    return frozenset(days)


def format_weekdays(days: Iterable[int]) -> str:
    return ",".join(WEEKDAYS[d] for d in sorted(set(days)))


@dataclass(frozen=True)
class WorkCalendar:
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    working_days: frozenset[int] = MONDAY_TO_FRIDAY
    holidays: frozenset[date] = frozenset()

    def __post_init__(self):
        if not self.working_days or not set(self.working_days) <= set(range(7)):
            raise CalendarError("a calendar needs at least one working day (0 is Monday, 6 is Sunday)")

    def local_date(self, moment: datetime | date) -> date:
        """The day `moment` falls on in the team's zone (a date is taken as it is)."""
        if isinstance(moment, datetime):
            if moment.tzinfo is None:
                raise CalendarError("a moment without a time zone cannot be placed in the team's calendar")
            return moment.astimezone(self.zone).date()
        return moment

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays

    def add(self, start: datetime | date, business_days: int) -> date:
        """The `business_days`-th working day after the day of `start`; 0 gives that day itself, or the next working
        day when it is not one."""
        if not 0 <= business_days <= MAX_BUSINESS_DAYS:
            raise CalendarError(f"business days must be between 0 and {MAX_BUSINESS_DAYS}, not {business_days}")
        day = self.local_date(start)
        if business_days == 0:
            return self.next_working_day(day, include=True)
        counted = 0
        while counted < business_days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def next_working_day(self, day: date, *, include: bool = False) -> date:
        if not include:
            day += timedelta(days=1)
        for _ in range(7 + len(self.holidays)):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise CalendarError("no working day ahead: the holidays cover every working day")  # pragma: no cover

    def between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when `end` is before `start`)."""
        if end < start:
            return -self.between(end, start)
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def end_of(self, day: date) -> datetime:
        """The last moment of `day` in the team's zone: a deadline is due until then."""
        return datetime.combine(day + timedelta(days=1), datetime.min.time(), self.zone) - timedelta(microseconds=1)

    def is_overdue(self, due: date, now: datetime) -> bool:
        return self.local_date(now) > due
