"""The meeting's invitation as iCalendar (RFC 5545): one VEVENT whose UID never changes and whose SEQUENCE grows each
time the meeting moves, so that calendars update the event they have instead of adding another."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress

from retrospector.accounts.models import User

from .models import Attendee, Meeting

PRODID = "-//Retrospector//Retrospective meeting//EN"


def _address(user: User, **params) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email}")
    address.params["CN"] = user.display_name
    for name, value in params.items():
        address.params[name] = value
    return address


def _organizer(meeting: Meeting) -> vCalAddress:
    """The owner, who leads the meeting; the app's own address when the owner has none."""
    owner = meeting.retrospective.owner
    if owner is not None and owner.email:
        return _address(owner)
    name, email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    address = vCalAddress(f"mailto:{email or 'retrospector@localhost'}")
    address.params["CN"] = name or "Retrospector"
    return address


def meeting_ics(
    meeting: Meeting, *, attendees: Iterable[Attendee], items: Iterable[str], now: datetime | None = None
) -> str:
    """The invitation (METHOD:REQUEST) of a scheduled meeting, or its cancellation (METHOD:CANCEL, STATUS:CANCELLED)
    once its time was cleared. Attendees without an e-mail address are left out (a calendar cannot reach them)."""
    retrospective = meeting.retrospective
    url = f"{settings.SITE_URL}/retrospectives/{retrospective.pk}/"
    cancelled = meeting.starts_at is None
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", meeting.calendar_uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", (now or timezone.now()).astimezone(UTC))
    if meeting.starts_at is not None:
        event.add("dtstart", meeting.starts_at.astimezone(UTC))
        event.add("dtend", (meeting.starts_at + timedelta(minutes=meeting.length_minutes)).astimezone(UTC))
    event.add("summary", f"Retrospective meeting: {retrospective.title}")
    if meeting.place:
        event.add("location", meeting.place)
    agenda = [f"- {title}" for title in items]
    description = ["Agenda:", *agenda] if agenda else ["The agenda is on the retrospective's page."]
    event.add("description", "\n".join([*description, "", f"The retrospective: {url}"]))
    event.add("url", url)
    event.add("organizer", _organizer(meeting))
    for attendee in attendees:
        if not attendee.user.email:
            continue
        role = "REQ-PARTICIPANT" if attendee.mandatory else "OPT-PARTICIPANT"
        event.add("attendee", _address(attendee.user, ROLE=role, PARTSTAT="NEEDS-ACTION", CUTYPE="INDIVIDUAL"))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical().decode()
