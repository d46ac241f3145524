"""Deadlines in business days: a team's working days, zone and holidays."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retrospector.core.workdays import CalendarError, WorkCalendar, format_weekdays, parse_weekdays

pytestmark = pytest.mark.no_database

PARIS = ZoneInfo("Europe/Paris")


def test_three_business_days_after_a_friday_resolution_is_the_next_wednesday():
    calendar = WorkCalendar(zone=PARIS)
    friday_evening = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    assert calendar.add(friday_evening, 3) == date(2026, 12, 9)


def test_the_day_is_the_teams_not_utcs():
    calendar = WorkCalendar(zone=ZoneInfo("Asia/Tokyo"))
    # 23:30 UTC on Thursday is already Friday morning in Tokyo: one business day later is Monday.
    assert calendar.add(datetime(2026, 12, 3, 23, 30, tzinfo=UTC), 1) == date(2026, 12, 7)


def test_holidays_are_skipped_like_weekends():
    calendar = WorkCalendar(zone=PARIS, holidays=frozenset({date(2026, 12, 24), date(2026, 12, 25)}))
    assert calendar.add(date(2026, 12, 23), 2) == date(2026, 12, 29)


def test_a_team_working_sunday_to_thursday():
    calendar = WorkCalendar(working_days=parse_weekdays("sun-thu"))
    assert calendar.add(date(2026, 12, 3), 1) == date(2026, 12, 6)  # Thursday -> Sunday


def test_zero_days_is_the_day_itself_or_the_next_working_day():
    calendar = WorkCalendar()
    assert calendar.add(date(2026, 12, 2), 0) == date(2026, 12, 2)
    assert calendar.add(date(2026, 12, 5), 0) == date(2026, 12, 7)


def test_a_step_due_friday_is_overdue_only_from_saturday_in_the_teams_zone():
    calendar = WorkCalendar(zone=PARIS)
    due = date(2026, 12, 4)
    assert not calendar.is_overdue(due, datetime(2026, 12, 4, 22, 59, tzinfo=UTC))  # 23:59 in Paris
    assert calendar.is_overdue(due, datetime(2026, 12, 4, 23, 0, tzinfo=UTC))  # midnight in Paris
    assert calendar.end_of(due) == datetime(2026, 12, 4, 23, 59, 59, 999999, tzinfo=PARIS)


@pytest.mark.parametrize(
    "text, days",
    [("mon-fri", {0, 1, 2, 3, 4}), ("Mon, Wed,fri", {0, 2, 4}), ("sat-mon", {5, 6, 0}), ("sunday", {6})],
)
def test_working_days_are_read_from_names_and_ranges(text, days):
    assert parse_weekdays(text) == days


@pytest.mark.parametrize("text", ["", "mon-", "funday", "mon-tue-wed"])
def test_a_bad_list_of_working_days_is_refused_with_what_was_wrong(text):
    with pytest.raises(CalendarError):
        parse_weekdays(text)


def test_weekdays_written_back_read_the_same():
    assert parse_weekdays(format_weekdays({4, 0, 2})) == {0, 2, 4}


def test_a_naive_moment_or_an_absurd_count_is_refused():
    calendar = WorkCalendar()
    with pytest.raises(CalendarError):
        calendar.add(datetime(2026, 12, 1, 9, 0), 1)
    with pytest.raises(CalendarError):
        calendar.add(date(2026, 12, 1), 10_000)
    with pytest.raises(CalendarError):
        WorkCalendar(working_days=frozenset())


calendars = st.builds(
    WorkCalendar,
    working_days=st.frozensets(st.integers(0, 6), min_size=1),
    holidays=st.frozensets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=30),
)


@given(calendars, st.dates(date(2026, 1, 1), date(2027, 6, 30)), st.integers(1, 40))
def test_a_deadline_is_a_working_day_exactly_that_many_working_days_later(calendar, start, days):
    due = calendar.add(start, days)
    assert calendar.is_working_day(due)
    assert calendar.between(start, due) == days
    assert calendar.between(start, due - timedelta(days=1)) == days - 1
    assert calendar.add(start, days + 1) > due
