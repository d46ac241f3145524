"""The review's reads (the "reviews" part of `make bench`), in process (django.test.Client) as the bench's reader:

* the retrospective page of the bench's retrospective (20 sections, 500 revisions) while it is in review, on an
  incident with 2,000 timeline events, first with 6 feedback threads of 5 comments each and 2 responders' accounts,
  then with 60 threads and 300 comments, 20 accounts and 8 discussion questions: p50/p95 and queries at each size. The
  number of queries must not grow with the comments.

Alone: `python -m bench.reviews` on a throwaway SQLite file.
"""

from __future__ import annotations

import sys
import time

from bench.common import measure, run_alone

SMALL = {"threads": 6, "accounts": 2}
LARGE = {"threads": 60, "accounts": 20}
COMMENTS_PER_THREAD = 5
QUESTIONS = 8
TIMELINE_EVENTS = 2_000
TARGETS = {
    "retrospective_page_in_review_p95_ms": 50,  # 300 comments in 60 threads, 20 accounts, 2,000 events
    "retrospective_page_queries_constant": True,  # the same with 30 comments and with 300
}

ACCOUNT_BODY = (
    "I was paged at {minute:02d} past the hour and joined the incident channel. The dashboards showed the error rate "
    "climbing on the checkout service, and I thought it was the deploy from the morning. I rolled it back; the errors "
    "kept coming, so I looked at the database connections next.\n\n- Saw: pool exhausted\n- Did: raised the limit"
)
COMMENT_BODY = "Could we say what the dashboard showed at this point? @reader knows the numbers (comment {n})."


def add_review(data: dict, *, threads: int, accounts: int, first_thread: int = 0, first_account: int = 0) -> None:
    """Threads with their comments and accounts with their requests on the bench's retrospective, in bulk; threads are
    anchored to a passage of their section at the section's current version, as if started on the page."""
    from django.db import transaction
    from django.utils import timezone

    from retrospector.accounts.models import Membership, Role, User
    from retrospector.core.markdown import render_markdown
    from retrospector.reviews.models import Account, AccountRequest, Comment, Question, Thread
    from retrospector.timeline.models import TimelineEvent
    from retrospector.writeups.models import Retrospective, Section

    retrospective = Retrospective.objects.get(pk=data["retrospective_id"])
    reader = data["reader"]
    sections = list(Section.objects.filter(retrospective=retrospective).order_by("position"))
    event_ids = list(
        TimelineEvent.objects.filter(incident_id=retrospective.incident_id).order_by("pk").values_list("pk", flat=True)
    )
    now = timezone.now()
    with transaction.atomic():
        people = []
        for n in range(first_account, first_account + accounts):
            user = User(username=f"responder{n}", organization_id=reader.organization_id, full_name=f"Responder {n}")
            user.set_unusable_password()
            people.append(user)
        User.objects.bulk_create(people)
        people = list(User.objects.filter(username__in=[p.username for p in people]).order_by("pk"))
        Membership.objects.bulk_create(Membership(team_id=data["team_id"], user=p, role=Role.MEMBER) for p in people)
        AccountRequest.objects.bulk_create(
            AccountRequest(retrospective=retrospective, responder=p, requested_by=reader, answered_at=now)
            for p in people
        )
        body_html = render_markdown(ACCOUNT_BODY.format(minute=7))
        made = Account.objects.bulk_create(
            Account(retrospective=retrospective, author=p, body=ACCOUNT_BODY.format(minute=n % 60), html=body_html)
            for n, p in enumerate(people)
        )
        made = list(Account.objects.filter(retrospective=retrospective, author__in=people))
        links = Account.events.through
        links.objects.bulk_create(
            links(account_id=account.pk, timelineevent_id=event_ids[(i * 37 + k * 11) % len(event_ids)])
            for i, account in enumerate(made)
            for k in range(5)
        )
        new_threads = []
        for n in range(first_thread, first_thread + threads):
            section = sections[n % len(sections)]
            quote = section.body[:40] if n % 3 else ""
            new_threads.append(
                Thread(
                    retrospective=retrospective,
                    section=section,
                    kind=Thread.Kind.values[n % len(Thread.Kind.values)],
                    quote=quote,
                    quote_suffix=section.body[40:80] if quote else "",
                    anchor_start=0 if quote else None,
                    anchor_end=len(quote) if quote else None,
                    anchor_version=section.version,
                    created_by=reader,
                    comment_count=COMMENTS_PER_THREAD,
                    last_comment_at=now,
                    resolution=Thread.Resolution.CHANGED if n % 4 == 3 else "",
                    resolved_by=reader if n % 4 == 3 else None,
                    resolved_at=now if n % 4 == 3 else None,
                )
            )
        Thread.objects.bulk_create(new_threads)
        created = list(Thread.objects.filter(retrospective=retrospective).order_by("-pk")[:threads])
        comment_html = render_markdown(COMMENT_BODY.format(n=0))
        Comment.objects.bulk_create(
            Comment(thread=thread, author=reader, body=COMMENT_BODY.format(n=k), html=comment_html)
            for thread in created
            for k in range(COMMENTS_PER_THREAD)
        )
        have = Question.objects.filter(retrospective=retrospective).count()
        Question.objects.bulk_create(
            Question(
                retrospective=retrospective,
                position=have + n,
                text=f"What did the dashboards tell each responder about the database around step {n}?",
                created_by=reader,
            )
            for n in range(max(0, QUESTIONS - have))
        )
        Retrospective.objects.filter(pk=retrospective.pk).update(state=Retrospective.State.IN_REVIEW)


def run(data: dict) -> dict:
    """The figures on the bench's data (common.build_data) once speed.run has given its incident 2,000 events (made
    here when it has fewer); Django must be set up on that database."""
    from django.test import Client

    from bench.timeline import build_timeline
    from retrospector.incidents.models import Incident
    from retrospector.reviews.models import Account, Comment, Thread
    from retrospector.timeline.models import TimelineEvent

    began = time.perf_counter()
    incident = Incident.objects.get(pk=data["incident_id"])
    missing = TIMELINE_EVENTS - TimelineEvent.objects.filter(incident=incident).count()
    if missing > 0:
        build_timeline(incident, data["reader"], missing)
    client = Client()
    client.force_login(data["reader"])
    url = f"/retrospectives/{data['retrospective_id']}/"
    page = {}
    add_review(data, **SMALL)
    page["small"] = measure(client, url)
    add_review(
        data,
        threads=LARGE["threads"] - SMALL["threads"],
        accounts=LARGE["accounts"] - SMALL["accounts"],
        first_thread=SMALL["threads"],
        first_account=SMALL["accounts"],
    )
    page["large"] = measure(client, url)
    page["large"]["threads"] = Thread.objects.filter(retrospective_id=data["retrospective_id"]).count()
    page["large"]["comments"] = Comment.objects.filter(thread__retrospective_id=data["retrospective_id"]).count()
    page["large"]["accounts"] = Account.objects.filter(retrospective_id=data["retrospective_id"]).count()
    page["large"]["timeline_events"] = TimelineEvent.objects.filter(incident=incident).count()
    page["small"]["threads"], page["small"]["comments"] = SMALL["threads"], SMALL["threads"] * COMMENTS_PER_THREAD
    observed = {
        "retrospective_page_in_review_p95_ms": page["large"]["p95_ms"],
        "retrospective_page_queries_constant": page["large"]["queries"] == page["small"]["queries"],
    }
    met = {
        "retrospective_page_in_review_p95_ms": observed["retrospective_page_in_review_p95_ms"]
        < TARGETS["retrospective_page_in_review_p95_ms"],
        "retrospective_page_queries_constant": observed["retrospective_page_queries_constant"] is True,
    }
    return {
        "retrospective_page_in_review": page,
        "targets": TARGETS,
        "observed": observed,
        "met": met,
        "elapsed_seconds": round(time.perf_counter() - began, 1),
    }


def main() -> int:
    return run_alone(run, name="reviews", incident_count=2_000)


if __name__ == "__main__":
    sys.exit(main())
