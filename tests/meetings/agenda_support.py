"""Fixtures and helpers of the agenda's tests: a retrospective of payments in review (tests.reviews.thread_support),
threads started and answered through the services, and many threads at once for the query counts."""

import pytest

from tests.reviews.thread_support import SUMMARY


def talk(retrospective, people, *, kind="change", messages=1, quote="", by="bob"):
    """A thread started by `by` with `messages` messages in all (replies alternate between alice and bob)."""
    from retrospector.reviews.threads import comment_add, thread_start

    posted = thread_start(
        retrospective=retrospective,
        section="summary",
        kind=kind,
        body="What did the dashboard show here?",
        quote=quote,
        by=people[by],
    )
    thread = posted.thread
    for n in range(messages - 1):
        comment_add(thread=thread, body=f"Reply {n}.", by=people["alice" if n % 2 == 0 else "bob"])
    thread.refresh_from_db()
    return thread


def many_threads(retrospective, people, count, *, messages=5):
    """`count` threads of `messages` comments each, written in bulk (as bench/reviews.py does)."""
    from django.utils import timezone

    from retrospector.reviews.models import Comment, Thread

    section = retrospective.sections.get(key="summary")
    now = timezone.now()
    Thread.objects.bulk_create(
        Thread(
            retrospective=retrospective,
            section=section,
            kind=Thread.Kind.values[n % len(Thread.Kind.values)],
            quote=SUMMARY[:40] if n % 2 else "",
            anchor_version=section.version,
            created_by=people["bob"],
            comment_count=messages,
            last_comment_at=now,
        )
        for n in range(count)
    )
    threads = list(Thread.objects.filter(retrospective=retrospective).order_by("-pk")[:count])
    Comment.objects.bulk_create(
        Comment(thread=t, author=people["bob"], body=f"Comment {k}.", html=f"<p>Comment {k}.</p>")
        for t in threads
        for k in range(messages)
    )
    return threads


@pytest.fixture(name="agenda")
def agenda_fixture(retro, people):
    """(retrospective, meeting): a payments retrospective in review and its meeting."""
    from retrospector.meetings.agenda import meeting_for

    retrospective = retro()
    return retrospective, meeting_for(retrospective)
