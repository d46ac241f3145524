"""Scheduling and moving the meeting: the invitation (.ics) parsed with icalendar keeps its UID, counts its SEQUENCE
up, gives its times in UTC and asks each attendee in their role; every attendee is told again when it moves."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from icalendar import Calendar

from retrospector.core.errors import ConflictError
from retrospector.meetings.schedule import meeting_save, starts_at_from
from retrospector.notifications.models import Notification
from tests.meetings.schedule_support import WHEN, agenda_thread, meeting_fixture, retro_fixture, schedule  # noqa: F401


def parsed(content: str):
    calendar = Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def ics_of(client, meeting):
    response = client.get(f"/retrospectives/{meeting.retrospective_id}/meeting.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return parsed(response.content.decode())


def test_the_invitation_is_a_request_with_the_uid_times_in_utc_and_the_attendees_roles(
    meeting, people, client_for, settings
):
    settings.SITE_URL = "https://retro.example.com"
    agenda_thread(meeting, people["bob"], title="Was the fraud rule tested?")
    schedule(meeting, people["alice"], place="https://meet.example.com/retro")
    calendar, event = ics_of(client_for("dana"), meeting)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == meeting.calendar_uid
    assert int(event["SEQUENCE"]) == 0
    assert event["DTSTART"].dt == WHEN and event["DTSTART"].dt.utcoffset() == timedelta(0)
    assert event["DTEND"].dt == WHEN + timedelta(minutes=60)
    assert "DTSTART:20260601T130000Z" in event.to_ical().decode()
    assert str(event["LOCATION"]) == "https://meet.example.com/retro"
    assert "Was the fraud rule tested?" in str(event["DESCRIPTION"])
    assert f"https://retro.example.com/retrospectives/{meeting.retrospective_id}/" in str(event["DESCRIPTION"])
    assert str(event["ORGANIZER"]) == "mailto:alice@example.com"
    roles = {str(a): a.params["ROLE"] for a in event["ATTENDEE"]}
    assert roles == {"mailto:alice@example.com": "REQ-PARTICIPANT", "mailto:bob@example.com": "REQ-PARTICIPANT"}


def test_an_optional_attendee_is_an_opt_participant_and_one_without_an_address_is_left_out(meeting, people, client_for):
    people["alice"].email = ""
    people["alice"].save()
    schedule(meeting, people["bob"])
    _, event = ics_of(client_for("bob"), meeting)
    attendees = event["ATTENDEE"] if isinstance(event["ATTENDEE"], list) else [event["ATTENDEE"]]
    assert {str(a): a.params["ROLE"] for a in attendees} == {"mailto:bob@example.com": "OPT-PARTICIPANT"}


def test_moving_the_meeting_keeps_its_uid_counts_the_sequence_up_and_tells_everyone_again(meeting, people, client_for):
    schedule(meeting, people["alice"])
    _, first = ics_of(client_for("bob"), meeting)
    moved = schedule(meeting, people["alice"], starts_at=WHEN + timedelta(days=1))
    assert (moved.sequence, moved.version) == (1, 3)
    _, second = ics_of(client_for("bob"), meeting)
    assert str(second["UID"]) == str(first["UID"])
    assert int(second["SEQUENCE"]) == 1
    assert second["DTSTART"].dt == WHEN + timedelta(days=1)
    notices = Notification.objects.filter(recipient=people["bob"], kind="meeting").order_by("id")
    assert [n.key for n in notices] == [f"meeting:{meeting.pk}:seq:0", f"meeting:{meeting.pk}:seq:1"]
    [attachment] = notices.last().attachments
    assert attachment["filename"].endswith(".ics")
    assert int(parsed(attachment["content"])[1]["SEQUENCE"]) == 1


def test_a_new_length_or_place_moves_it_too_but_roles_do_not(meeting, people):
    schedule(meeting, people["alice"])
    assert schedule(meeting, people["alice"], length_minutes=90).sequence == 1
    assert schedule(meeting, people["alice"], length_minutes=90, place="Room 5").sequence == 2
    same = schedule(meeting, people["alice"], length_minutes=90, place="Room 5", moderator=people["bob"])
    assert (same.sequence, same.moderator) == (2, people["bob"])
    assert Notification.objects.filter(recipient=people["bob"], kind="meeting").count() == 3


def test_clearing_the_time_cancels_it_with_a_cancel_invitation(meeting, people, client_for):
    schedule(meeting, people["alice"])
    cancelled = schedule(meeting, people["alice"], starts_at=None)
    assert cancelled.sequence == 1
    calendar, event = ics_of(client_for("bob"), meeting)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == meeting.calendar_uid
    notice = Notification.objects.get(recipient=people["bob"], key=f"meeting:{meeting.pk}:seq:1")
    assert notice.title.startswith("Meeting cancelled")
    assert "method=CANCEL" in notice.attachments[0]["content_type"]


def test_a_meeting_never_scheduled_has_no_invitation(meeting, client_for):
    assert client_for("bob").get(f"/retrospectives/{meeting.retrospective_id}/meeting.ics").status_code == 404


def test_a_stale_edit_is_refused_with_the_meeting_as_it_is(meeting, people):
    schedule(meeting, people["alice"])
    with pytest.raises(ConflictError) as refused:
        meeting_save(retrospective=meeting.retrospective, by=people["bob"], base_version=1, length_minutes=30)
    assert refused.value.current.version == 2
    assert refused.value.current.starts_at == WHEN


@pytest.mark.parametrize("minutes", [14, 481])
def test_the_length_is_from_15_to_480_minutes(meeting, people, minutes):
    with pytest.raises(ValidationError) as refused:
        schedule(meeting, people["alice"], length_minutes=minutes)
    assert "length_minutes" in refused.value.error_dict


@pytest.mark.parametrize("place", ["javascript:alert(1)", "ftp://files.example.com/x", "data:text/html,hi"])
def test_a_link_that_is_not_http_or_https_is_refused(meeting, people, place):
    with pytest.raises(ValidationError) as refused:
        schedule(meeting, people["alice"], place=place)
    assert "place" in refused.value.error_dict


def test_a_time_is_read_in_the_schedulers_zone_and_stored_aware(db):
    from datetime import date, time

    moment = starts_at_from(date(2026, 6, 1), time(15, 0), "Europe/Paris")
    assert moment.astimezone(UTC) == datetime(2026, 6, 1, 13, 0, tzinfo=UTC)
    with pytest.raises(ValidationError):  # the clocks skip from 2:00 to 3:00 that night
        starts_at_from(date(2026, 3, 29), time(2, 30), "Europe/Paris")
