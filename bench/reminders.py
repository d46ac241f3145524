"""The daily reminder job over 10,000 open retrospectives (the "reminders" part of `make bench`); `python -m
bench.reminders` (from the repository root) runs this part alone on its own throwaway database.

Data, in bulk, in an organization of its own: 1,000 people over four teams (a third in Europe/Paris, a third in
America/New_York, the rest in UTC), 10,000 incidents (one in five private) each with one open retrospective owned by
one person and shadowed by another; five deadlines per retrospective from 20 days ago to 20 days ahead (a third of
those past done); two account requests per retrospective (half answered); one thread in every other retrospective with
a comment mentioning two people (one of whom answered). Two teams have process settings (a zone, holidays).

Measured: reminders_send at 12:00 UTC on a Wednesday (every zone past 08:00): the first run, which writes every
person's reminder, and a second run at the same moment, which finds them all sent; each with its SQL query count.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.common import log, prepare_environment

RETROSPECTIVES = 10_000
PEOPLE = 1_000
TEAMS = ("r-payments", "r-platform", "r-search", "r-mobile")
ZONES = ("Europe/Paris", "America/New_York", "UTC")
NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)  # a Wednesday
TARGETS = {"reminders_10000_retrospectives_seconds": 10}


def build() -> dict:
    from django.db import transaction

    from retrospector.accounts.models import Membership, Role, User
    from retrospector.accounts.services import organization_create, team_create
    from retrospector.incidents.models import Incident, SeverityLevel
    from retrospector.incidents.services import severity_levels_ensure_defaults
    from retrospector.reviews.models import (
        STEP_ORDER,
        AccountRequest,
        Comment,
        Deadline,
        Mention,
        ProcessSettings,
        Thread,
    )
    from retrospector.writeups.models import Retrospective, Section, Template
    from retrospector.writeups.selectors import template_latest_version

    rng = random.Random(14)
    began = time.perf_counter()
    org = organization_create(name="Reminder Corp", slug="reminder-corp")
    severity_levels_ensure_defaults(organization=org)
    severity = SeverityLevel.objects.filter(organization=org).first()
    teams = [team_create(organization=org, name=slug, slug=slug) for slug in TEAMS]
    ProcessSettings.objects.create(
        team=teams[0], time_zone="Europe/Paris", working_days=[1, 2, 3, 4, 5], holidays=["2026-06-08"]
    )
    ProcessSettings.objects.create(team=teams[1], time_zone="America/New_York", holidays=["2026-06-05"])
    version = template_latest_version(Template.objects.get(key="postmortem", organization=None))
    today = NOW.date()
    with transaction.atomic():
        people = User.objects.bulk_create(
            User(
                username=f"r-person{n}",
                organization=org,
                full_name=f"Person {n}",
                email=f"r-person{n}@example.com",
                time_zone=ZONES[n % len(ZONES)],
                password="!",
            )
            for n in range(PEOPLE)
        )
        Membership.objects.bulk_create(
            Membership(team=teams[n % len(teams)], user=person, role=Role.MEMBER) for n, person in enumerate(people)
        )
        incidents = Incident.objects.bulk_create(
            (
                Incident(
                    organization=org,
                    team=teams[n % len(teams)],
                    title=f"Reminder incident {n}",
                    severity=severity,
                    status="resolved",
                    visibility="private" if n % 5 == 0 else "organization",
                    started_at=NOW - timedelta(days=30, hours=n % 500),
                    resolved_at=NOW - timedelta(days=29, hours=n % 500),
                    version=1,
                )
                for n in range(RETROSPECTIVES)
            ),
            batch_size=1000,
        )
        states = ("draft", "draft", "in_review", "meeting")
        retrospectives = Retrospective.objects.bulk_create(
            (
                Retrospective(
                    incident=incident,
                    template_version=version,
                    title=f"Retrospective of incident {n}",
                    owner=people[(n * 7) % PEOPLE],
                    shadow=people[(n * 13 + 1) % PEOPLE],
                    state=states[n % len(states)],
                )
                for n, incident in enumerate(incidents)
            ),
            batch_size=1000,
        )
        deadlines = []
        for retrospective in retrospectives:
            start = rng.randint(-20, 12)
            for position, step in enumerate(STEP_ORDER):
                due_on = today + timedelta(days=start + 2 * position)
                done = due_on < today and rng.random() < 1 / 3
                deadlines.append(
                    Deadline(
                        retrospective=retrospective,
                        step=step,
                        due_on=due_on,
                        done_at=NOW - timedelta(days=1) if done else None,
                    )
                )
        Deadline.objects.bulk_create(deadlines, batch_size=2000)
        AccountRequest.objects.bulk_create(
            (
                AccountRequest(
                    retrospective=retrospective,
                    responder=people[(n * 17 + k) % PEOPLE],
                    answered_at=NOW - timedelta(hours=3) if k else None,
                )
                for n, retrospective in enumerate(retrospectives)
                for k in (0, 1)
            ),
            batch_size=2000,
        )
        with_threads = retrospectives[::2]
        sections = Section.objects.bulk_create(
            (
                Section(retrospective=retrospective, key="summary", title="Summary", kind="text", position=0)
                for retrospective in with_threads
            ),
            batch_size=2000,
        )
        threads = Thread.objects.bulk_create(
            (
                Thread(
                    retrospective=section.retrospective,
                    section=section,
                    kind="question",
                    created_by=people[n % min(50, PEOPLE)],
                )
                for n, section in enumerate(sections)
            ),
            batch_size=2000,
        )
        comments = Comment.objects.bulk_create(
            (Comment(thread=thread, author=thread.created_by, body="@someone what did you see?") for thread in threads),
            batch_size=2000,
        )
        Mention.objects.bulk_create(
            (
                Mention(
                    comment=comment,
                    user=people[(n * 29 + 3 + k) % PEOPLE],
                    notified=True,
                    answered_at=NOW - timedelta(hours=1) if k else None,
                )
                for n, comment in enumerate(comments)
                for k in (0, 1)
            ),
            batch_size=2000,
        )
    figures = {
        "people": PEOPLE,
        "open_retrospectives": len(retrospectives),
        "deadlines": len(deadlines),
        "open_deadlines_due_or_overdue": Deadline.objects.filter(
            retrospective__incident__organization=org, done_at__isnull=True, due_on__lte=today
        ).count(),
        "account_requests": 2 * len(retrospectives),
        "mentions": 2 * len(comments),
    }
    log(f"reminders: data built in {time.perf_counter() - began:.1f} s: {figures}")
    return figures


def timed_run() -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from retrospector.reviews.reminders import reminders_send

    with CaptureQueriesContext(connection) as captured:
        began = time.perf_counter()
        counts = reminders_send(now=NOW)
        seconds = time.perf_counter() - began
    return {"seconds": round(seconds, 2), "queries": len(captured.captured_queries), **counts}


def run() -> dict:
    """Django must be set up on a migrated database (the bench's throwaway one)."""
    figures = build()
    first = timed_run()
    log(f"reminders: first run {first['seconds']} s, {first['queries']} queries, {first['reminded']} reminded")
    again = timed_run()
    log(f"reminders: second run {again['seconds']} s, {again['queries']} queries")
    seconds = first["seconds"]
    return {
        "data": figures,
        "moment": NOW.isoformat(),
        "first_run": first,
        "second_run": again,
        "targets": TARGETS,
        "observed": {"reminders_10000_retrospectives_seconds": seconds},
        "met": {"reminders_10000_retrospectives_seconds": seconds < TARGETS["reminders_10000_retrospectives_seconds"]},
    }


def main() -> int:
    var_dir = Path(tempfile.mkdtemp(prefix="retrospector-bench-"))
    prepare_environment(var_dir)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        print(json.dumps(run(), indent=2))
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    assert date(2026, 6, 10).weekday() == 2  # NOW is a Wednesday
    sys.exit(main())
