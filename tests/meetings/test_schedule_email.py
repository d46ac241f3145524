"""The invitation travels with the notification's e-mail, through a real SMTP server (aiosmtpd on 127.0.0.1), and
parses as the meeting's event."""

from datetime import timedelta

from icalendar import Calendar

from retrospector.notifications.tasks import deliver_pending
from tests.meetings.schedule_support import WHEN, meeting_fixture, retro_fixture, schedule  # noqa: F401


def invitation_in(message):
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_filename() == "invitation.ics"
    return Calendar.from_ical(part.get_payload(decode=True).decode())


def test_the_mailed_invitation_parses_with_the_meetings_uid_sequence_and_start(inbox, people, meeting):
    schedule(meeting, people["alice"])
    schedule(meeting, people["alice"], starts_at=WHEN + timedelta(hours=2))
    deliver_pending.call()
    to_bob = [m for m in inbox.messages if m.envelope_to == ["bob@example.com"]]
    assert [m["Subject"].split(":")[0] for m in to_bob] == ["Meeting scheduled", "Meeting moved"]
    events = [next(iter(invitation_in(m).walk("VEVENT"))) for m in to_bob]
    assert {str(e["UID"]) for e in events} == {meeting.calendar_uid}
    assert [int(e["SEQUENCE"]) for e in events] == [0, 1]
    assert [e["DTSTART"].dt for e in events] == [WHEN, WHEN + timedelta(hours=2)]
    body = next(p for p in to_bob[0].walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "/meeting" in body
