"""Fixtures of the meeting schedule's tests: a retrospective of payments with its meeting, and agenda rows made
directly (the agenda's own rules are tested elsewhere)."""

from datetime import UTC, datetime

import pytest

from tests.reviews.thread_support import retro_fixture, set_state  # noqa: F401

WHEN = datetime(2026, 6, 1, 13, 0, tzinfo=UTC)


def agenda_thread(meeting, *writers, title="Was the fraud rule tested?", position=1):
    """A thread on the summary with one comment by each writer, put on the meeting's agenda."""
    from retrospector.meetings.models import AgendaItem
    from retrospector.reviews.models import Comment, Thread

    retrospective = meeting.retrospective
    section = retrospective.sections.get(key="summary")
    thread = Thread.objects.create(retrospective=retrospective, section=section, kind="disagree", created_by=writers[0])
    for writer in writers:
        Comment.objects.create(thread=thread, author=writer, body=f"{writer.username} says so")
    return AgendaItem.objects.create(meeting=meeting, kind="thread", thread=thread, title=title, position=position)


def off_agenda_thread(meeting, *writers):
    """A thread with comments that is not on the agenda."""
    from retrospector.reviews.models import Comment, Thread

    retrospective = meeting.retrospective
    section = retrospective.sections.get(key="summary")
    thread = Thread.objects.create(retrospective=retrospective, section=section, kind="question", created_by=writers[0])
    for writer in writers:
        Comment.objects.create(thread=thread, author=writer, body="a question")
    return thread


@pytest.fixture(name="meeting")
def meeting_fixture(retro):
    """The meeting of an organization-wide retrospective of payments, in review, owned by alice."""
    from retrospector.meetings.schedule import meeting_of

    return meeting_of(retro(state="meeting"))


def schedule(meeting, by, *, starts_at=WHEN, length_minutes=60, place="Room 4", **roles):
    from retrospector.meetings.schedule import meeting_save

    meeting.refresh_from_db()
    return meeting_save(
        retrospective=meeting.retrospective,
        by=by,
        base_version=meeting.version,
        starts_at=starts_at,
        length_minutes=length_minutes,
        place=place,
        **roles,
    )
