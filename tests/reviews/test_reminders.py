"""The daily reminder, with a frozen clock (`now=`): once per person per day from 08:00 in their zone, only on a working
day of the team's calendar, listing due and overdue steps in working days, unanswered account requests and mentions,
never about a retrospective the person may no longer see; a constant number of queries however many retrospectives."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from retrospector.notifications.models import Kind, Notification, Preference
from retrospector.reviews.models import AccountRequest, Comment, Deadline, Mention, ProcessSettings, Thread
from retrospector.reviews.reminders import reminders_send, team_calendar
from retrospector.writeups.models import Retrospective

FRIDAY = date(2026, 6, 5)
PARIS = ZoneInfo("Europe/Paris")


def at(day: date, hour: int, minute: int = 0, zone=UTC) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


def reminders_of(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=Kind.REMINDER).order_by("created_at", "id"))


@pytest.fixture
def retrospective(people, make_incident, make_retrospective):
    retrospective = make_retrospective(make_incident(title="Checkout errors"))
    Retrospective.objects.filter(pk=retrospective.pk).update(
        title="Checkout errors", owner=people["bob"], shadow=people["dana"]
    )
    retrospective.refresh_from_db()
    return retrospective


@pytest.fixture
def friday_draft(retrospective):
    """The first draft, due on Friday and not written."""
    return Deadline.objects.create(retrospective=retrospective, step="first_draft", due_on=FRIDAY)


def test_a_step_due_on_friday_is_due_today_on_friday_after_eight(people, friday_draft):
    reminders_send(now=at(FRIDAY, 7, 59))
    assert reminders_of(people["bob"]) == []
    reminders_send(now=at(FRIDAY, 8, 0))
    [reminder] = reminders_of(people["bob"])
    assert reminder.key == "reminder:2026-06-05"
    assert reminder.title == "Reminder: 1 thing waiting for you"
    assert "First draft of “Checkout errors”, due today" in reminder.body
    assert f"/retrospectives/{friday_draft.retrospective_id}/" in reminder.body
    assert [r.key for r in reminders_of(people["dana"])] == ["reminder:2026-06-05"]  # the shadow too


def test_a_step_overdue_on_friday_waits_through_the_weekend_and_a_holiday(people, friday_draft):
    ProcessSettings.objects.create(
        team=people["payments"], time_zone="Europe/Paris", working_days=[1, 2, 3, 4, 5], holidays=["2026-06-08"]
    )
    saturday, sunday, monday, tuesday = (FRIDAY + timedelta(days=n) for n in (1, 2, 3, 4))
    for day in (saturday, sunday, monday):  # Monday is the team's holiday
        for hour in (8, 12, 20):
            reminders_send(now=at(day, hour, zone=PARIS))
    assert reminders_of(people["bob"]) == []
    reminders_send(now=at(tuesday, 11, zone=PARIS))  # 09:00 in bob's zone, UTC
    [reminder] = reminders_of(people["bob"])
    assert reminder.key == "reminder:2026-06-09"
    assert "First draft of “Checkout errors”, 1 working day overdue" in reminder.body


def test_without_a_holiday_monday_says_one_working_day_and_wednesday_three(people, friday_draft):
    monday, wednesday = FRIDAY + timedelta(days=3), FRIDAY + timedelta(days=5)
    reminders_send(now=at(monday, 10))
    reminders_send(now=at(wednesday, 10))
    bodies = [r.body for r in reminders_of(people["bob"])]
    assert "1 working day overdue" in bodies[0] and "3 working days overdue" in bodies[1]


def test_once_a_day_however_often_the_job_runs(people, friday_draft):
    for minutes in range(0, 600, 10):
        reminders_send(now=at(FRIDAY, 8) + timedelta(minutes=minutes))
    assert len(reminders_of(people["bob"])) == 1
    reminders_send(now=at(FRIDAY + timedelta(days=3), 8))
    assert len(reminders_of(people["bob"])) == 2


def test_eight_in_the_morning_is_the_persons_own(people, friday_draft):
    bob = people["bob"]
    bob.time_zone = "America/New_York"
    bob.save(update_fields=["time_zone"])
    reminders_send(now=at(FRIDAY, 11, 59))  # 07:59 in New York
    assert reminders_of(bob) == [] and len(reminders_of(people["dana"])) == 1
    reminders_send(now=at(FRIDAY, 12, 0))
    assert [r.key for r in reminders_of(bob)] == ["reminder:2026-06-05"]


def test_a_done_step_a_future_step_and_a_done_retrospective_are_not_reminded(people, retrospective, friday_draft):
    friday_draft.done_at = at(FRIDAY, 7)
    friday_draft.save()
    Deadline.objects.create(retrospective=retrospective, step="meeting", due_on=FRIDAY + timedelta(days=1))
    reminders_send(now=at(FRIDAY, 9))
    assert reminders_of(people["bob"]) == []
    Deadline.objects.filter(step="meeting").update(due_on=FRIDAY - timedelta(days=1))
    Retrospective.objects.filter(pk=retrospective.pk).update(state=Retrospective.State.DONE)
    reminders_send(now=at(FRIDAY, 9))
    assert reminders_of(people["bob"]) == []


def test_it_lists_requested_accounts_and_unanswered_mentions_and_leaves_out_answered_ones(people, retrospective):
    erin, bob = people["erin"], people["bob"]
    AccountRequest.objects.create(retrospective=retrospective, responder=erin, requested_by=bob)
    AccountRequest.objects.create(retrospective=retrospective, responder=people["charlie"], answered_at=at(FRIDAY, 1))
    AccountRequest.objects.create(retrospective=retrospective, responder=people["alice"], withdrawn_at=at(FRIDAY, 1))
    section = retrospective.sections.order_by("position").first()
    thread = Thread.objects.create(retrospective=retrospective, section=section, kind="question", created_by=bob)
    comment = Comment.objects.create(thread=thread, author=bob, body="@erin @charlie what did you see?")
    Mention.objects.create(comment=comment, user=erin, notified=True)
    Mention.objects.create(comment=comment, user=people["charlie"], notified=True, answered_at=at(FRIDAY, 2))
    resolved = Thread.objects.create(
        retrospective=retrospective, section=section, kind="change", created_by=bob, resolved_at=at(FRIDAY, 3)
    )
    old = Comment.objects.create(thread=resolved, author=bob, body="@alice?")
    Mention.objects.create(comment=old, user=people["alice"], notified=True)
    reminders_send(now=at(FRIDAY, 9))
    [reminder] = reminders_of(erin)
    assert reminder.title == "Reminder: 2 things waiting for you"
    assert "Your account of the incident is requested for “Checkout errors”" in reminder.body
    assert f"#thread-{thread.pk}" in reminder.body
    assert reminders_of(people["charlie"]) == [] and reminders_of(people["alice"]) == []


def test_nothing_about_a_retrospective_the_person_can_no_longer_see(people, make_incident, make_retrospective):
    from retrospector.incidents.services import incident_update

    incident = make_incident(title="Fraud rule leaked card numbers", visibility="private")
    retrospective = make_retrospective(incident)
    incident_update(incident=incident, by=people["alice"], invitees=[people["erin"]])
    AccountRequest.objects.create(retrospective=retrospective, responder=people["erin"])
    Retrospective.objects.filter(pk=retrospective.pk).update(shadow=people["charlie"])
    Deadline.objects.create(retrospective=retrospective, step="research", due_on=FRIDAY)
    incident_update(incident=incident, by=people["alice"], invitees=[])
    reminders_send(now=at(FRIDAY, 9))
    assert reminders_of(people["erin"]) == [] and reminders_of(people["charlie"]) == []
    assert not Notification.objects.filter(body__contains="Fraud").exclude(recipient=people["alice"]).exists()


def test_a_person_who_turned_reminders_off_by_email_sees_it_in_the_app_only(people, friday_draft):
    Preference.objects.create(user=people["bob"], kind=Kind.REMINDER, in_app=True, by_email=False)
    reminders_send(now=at(FRIDAY, 9))
    [reminder] = reminders_of(people["bob"])
    assert reminder.shown_in_app and reminder.email == Notification.Email.SKIPPED
    assert reminders_of(people["dana"])[0].email == Notification.Email.PENDING


def test_the_reminder_is_a_periodic_job_of_reviews():
    from django.apps import apps

    jobs = dict(apps.get_app_config("reviews").periodic_jobs)
    assert jobs["reviews: the daily reminder"] == "retrospector.reviews.reminders.reminders_send"


def test_a_team_calendar_reads_iso_weekdays_and_falls_back_on_what_it_cannot_read(people):
    settings = ProcessSettings(team=people["payments"], time_zone="Asia/Jerusalem", working_days=[7, 1, 2, 3, 4])
    calendar = team_calendar(settings)
    assert calendar.working_days == frozenset({6, 0, 1, 2, 3})  # Sunday to Thursday
    broken = team_calendar(ProcessSettings(time_zone="Mars/Olympus", working_days=[9], holidays=["soon"]))
    assert (str(broken.zone), broken.working_days, broken.holidays) == ("UTC", frozenset(range(5)), frozenset())


def test_the_job_costs_the_same_queries_for_three_or_thirty_retrospectives(
    people, make_incident, make_retrospective, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    incident = make_incident(visibility="private")
    retrospective = make_retrospective(incident)
    owners = [people[name] for name in ("alice", "bob", "dana", "charlie", "erin", "oscar")]

    def add(count, day):
        for n in range(count):
            copy = Retrospective.objects.get(pk=retrospective.pk)
            copy.pk = None
            copy.owner, copy.shadow = owners[n % len(owners)], owners[(n + 1) % len(owners)]
            copy.save()
            Deadline.objects.create(retrospective=copy, step="first_draft", due_on=day - timedelta(days=n % 4))
            AccountRequest.objects.create(retrospective=copy, responder=owners[(n + 2) % len(owners)])

    add(3, FRIDAY)
    with CaptureQueriesContext(connection) as few:
        reminders_send(now=at(FRIDAY, 9))
    add(30, FRIDAY + timedelta(days=3))
    with CaptureQueriesContext(connection) as many:
        reminders_send(now=at(FRIDAY + timedelta(days=3), 9))
    assert len(many.captured_queries) == len(few.captured_queries) <= 16
    reminded = Notification.objects.filter(kind=Kind.REMINDER, key="reminder:2026-06-08")
    assert reminded.count() == 4  # not charlie nor erin, who may not see the private incident
