"""Fixtures of the meeting notes' tests: a retrospective of payments (owner alice) at its meeting, bob taking notes,
oscar moderating, and agenda items made directly (the agenda's own rules are tested elsewhere)."""

import pytest

from tests.reviews.thread_support import save_summary, set_state, summary_of  # noqa: F401


def add_items(meeting, count, *, start=1):
    from retrospector.meetings.models import AgendaItem

    return [
        AgendaItem.objects.create(meeting=meeting, kind="part", title=f"Part {n}", position=n)
        for n in range(start, start + count)
    ]


@pytest.fixture(name="at_meeting")
def at_meeting_fixture(people, make_incident, make_retrospective):
    """make(visibility="organization", state="meeting", items=2): (retrospective, meeting, items)."""
    from retrospector.meetings.models import Attendee, Meeting

    def make(*, visibility="organization", state="meeting", items=2, title="Checkout outage"):
        incident = make_incident(visibility=visibility, title=title)
        retrospective = make_retrospective(incident)
        save_summary(retrospective, "Checkout failed for 40 minutes after a config push.", people["alice"])
        set_state(retrospective, state)
        meeting = Meeting.objects.create(
            retrospective=retrospective, note_taker=people["bob"], moderator=people["oscar"]
        )
        Attendee.objects.create(meeting=meeting, user=people["alice"], mandatory=True)
        Attendee.objects.create(meeting=meeting, user=people["bob"], mandatory=False)
        return retrospective, meeting, add_items(meeting, items)

    return make


def enter_meeting(retrospective, by):
    """Record a move to the meeting, as the review's transitions would (a new round of the meeting)."""
    from retrospector.writeups.models import StateChange

    StateChange.objects.create(retrospective=retrospective, from_state="in_review", to_state="meeting", by=by)
    set_state(retrospective, "meeting")
