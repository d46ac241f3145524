"""The first hour's reads (the "speed" part of `make bench`), in process (django.test.Client) as the bench's reader, a
member of one team and not an organization admin, so that every permission filter is exercised:

* the home page with 200, then 2,000 open retrospectives (draft, in review, meeting or approved, on incidents of every
  team, one in ten owned or shadowed by the reader, first drafts due from two months ago to a month ahead, each with the
  postmortem template's sections, some written): p50/p95 and queries at each size. Its cost must not grow with them;
* one incident with its timeline (2,000 events): the incident and the first page of its events in one request
  (`?include=events`), next to the two requests a client needed before (the incident, then /events);
* the incident list API, page 1 and page 200, split into the database's time (executing every statement and fetching
  its rows, timed around the cursor) and the rest, which is Python (building the SQL, the rows, the validation of the
  answer, the JSON); and its size plain and gzipped (what a client that accepts gzip receives).

Alone: `python -m bench.speed` on a throwaway SQLite file, or `python -m bench.speed --postgres URL` on PostgreSQL, in
the database the URL names, which it creates (it must not exist) and drops when done.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import ITERATIONS, WARMUPS, build_data, log, measure, percentile, prepare_environment, summary

OPEN_RETROSPECTIVES = (200, 2_000)  # the home page is measured at each size
TIMELINE_EVENTS = 2_000
TARGETS = {
    "home_page_p95_ms": 25,  # with 10,000 incidents and 2,000 open retrospectives
    "home_page_queries_constant": True,  # the same number of queries with 200 and 2,000 open retrospectives
    "incident_with_events_p95_ms": 20,  # GET /api/v1/incidents/{id}?include=events, one request
}


# --- Data -----------------------------------------------------------------------------------------------------


def add_open_retrospectives(data: dict, count: int, *, first: int = 0) -> None:
    """`count` more open retrospectives (numbered from `first`), in bulk: on incidents of every team (one in five
    private), half of them drafts, a quarter in review, an eighth at the meeting, an eighth approved; one in twenty
    owned by the reader and one in twenty shadowed by them, the rest owned by the other teams' members; first drafts
    due between 60 days ago and 30 days ahead; the postmortem template's sections, a third of them written."""
    from django.db import transaction
    from django.utils import timezone

    from retrospector.accounts.models import User
    from retrospector.incidents.models import Incident
    from retrospector.writeups.models import Retrospective, Section, Template
    from retrospector.writeups.selectors import template_latest_version

    version = template_latest_version(Template.objects.get(key="postmortem", organization=None))
    reader = data["reader"]
    others = list(User.objects.filter(username__startswith="member").order_by("username"))
    incident_ids = list(Incident.objects.order_by("id").values_list("id", flat=True))
    State = Retrospective.State
    states = (State.DRAFT, State.IN_REVIEW, State.DRAFT, State.APPROVED, State.DRAFT, State.MEETING, State.DRAFT)
    states += (State.IN_REVIEW,)
    today = timezone.localdate()
    rng = random.Random(first)
    retrospectives = [
        Retrospective(
            incident_id=incident_ids[(n * 7) % len(incident_ids)],
            template_version=version,
            title=f"Retrospective {n}",
            owner=reader if n % 20 == 0 else others[n % len(others)],
            shadow=reader if n % 20 == 10 else None,
            state=states[n % len(states)],
            due_at=today + timedelta(days=rng.randint(-60, 30)),
        )
        for n in range(first, first + count)
    ]
    with transaction.atomic():
        Retrospective.objects.bulk_create(retrospectives, batch_size=500)
        Section.objects.bulk_create(
            (
                Section(
                    retrospective=retrospective,
                    key=spec["key"],
                    title=spec["title"],
                    kind=spec["kind"],
                    required=spec["required"],
                    position=position,
                    body="Written." if written else "",
                    html="<p>Written.</p>" if written else "",
                    filled=written,
                )
                for retrospective in retrospectives
                for position, spec in enumerate(version.sections)
                for written in (rng.random() < 1 / 3,)
            ),
            batch_size=2000,
        )


def gather_statistics() -> None:
    """What PostgreSQL's autovacuum does soon after a bulk load: without statistics on the rows just written its
    planner guesses, and the list's first page took 13 ms instead of 0.1 ms. (SQLite has none unless asked.)"""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# --- Measuring ------------------------------------------------------------------------------------------------


def measure_together(client, urls: list[str], *, headers: dict) -> dict:
    """p50/p95 of reading `urls` one after the other, as a client that needs all of them does."""
    for _ in range(WARMUPS):
        for url in urls:
            client.get(url, headers=headers)
    samples = []
    for _ in range(ITERATIONS):
        t0 = time.perf_counter()
        for url in urls:
            response = client.get(url, headers=headers)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code}")
        samples.append((time.perf_counter() - t0) * 1000)
    result = summary(samples)
    log(f"GET {' + '.join(urls)}: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms")
    return result


@contextmanager
def database_clock():
    """Adds to clock["wall"] and clock["cpu"] (this thread's CPU) the seconds spent in the database driver: executing
    statements and fetching their rows (SQLite computes rows as they are fetched, so timing execute() alone would miss
    most of a query)."""
    from django.db import connection
    from django.db.backends.utils import CursorWrapper

    clock = {"wall": 0.0, "cpu": 0.0}

    def timed(call):
        def wrapper(*args, **kwargs):
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return call(*args, **kwargs)
            finally:
                clock["wall"] += time.perf_counter() - t0
                clock["cpu"] += time.thread_time() - c0

        return wrapper

    def execute(execute, sql, params, many, context):
        return timed(execute)(sql, params, many, context)

    def fetch(name):
        return lambda self, *args: timed(getattr(self.cursor, name))(*args)

    saved = {name: CursorWrapper.__dict__.get(name) for name in ("fetchone", "fetchmany", "fetchall")}
    for name in saved:
        setattr(CursorWrapper, name, fetch(name))  # otherwise reached through CursorWrapper.__getattr__
    try:
        with connection.execute_wrapper(execute):
            yield clock
    finally:
        for name, method in saved.items():
            if method is None:
                delattr(CursorWrapper, name)
            else:
                setattr(CursorWrapper, name, method)


def python_and_database(client, url: str, *, headers: dict) -> dict:
    """A request's time split into the database's (database_clock) and the rest (Python): p50 and p95 of the elapsed
    times, and p50 of the CPU times (this thread's), which waiting for a core on a busy machine does not inflate."""
    for _ in range(WARMUPS):
        client.get(url, headers=headers)
    samples: dict[str, list[float]] = {name: [] for name in ("total", "database", "total_cpu", "database_cpu")}
    with database_clock() as clock:
        for _ in range(ITERATIONS):
            clock["wall"] = clock["cpu"] = 0.0
            t0, c0 = time.perf_counter(), time.thread_time()
            response = client.get(url, headers=headers)
            samples["total"].append((time.perf_counter() - t0) * 1000)
            samples["total_cpu"].append((time.thread_time() - c0) * 1000)
            samples["database"].append(clock["wall"] * 1000)
            samples["database_cpu"].append(clock["cpu"] * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code}")
    samples["python"] = [t - d for t, d in zip(samples["total"], samples["database"], strict=True)]
    samples["python_cpu"] = [t - d for t, d in zip(samples["total_cpu"], samples["database_cpu"], strict=True)]
    result = {}
    for name in ("total", "database", "python"):
        result[f"{name}_p50_ms"] = round(percentile(samples[name], 50), 2)
        result[f"{name}_p95_ms"] = round(percentile(samples[name], 95), 2)
    for name in ("total", "database", "python"):
        result[f"{name}_cpu_p50_ms"] = round(percentile(samples[f"{name}_cpu"], 50), 2)
    log(
        f"GET {url}: {result['python_p50_ms']} ms Python + {result['database_p50_ms']} ms database (p50; CPU "
        f"{result['python_cpu_p50_ms']} + {result['database_cpu_p50_ms']})"
    )
    return result


def sizes(client, url: str, *, headers: dict) -> dict:
    plain = client.get(url, headers=headers)
    gzipped = client.get(url, headers={**headers, "Accept-Encoding": "gzip"})
    return {
        "plain_bytes": len(plain.content),
        "gzip_bytes": len(gzipped.content),
        "content_encoding": gzipped.get("Content-Encoding"),
    }


# --- The part -------------------------------------------------------------------------------------------------


def run(data: dict) -> dict:
    """The figures on the bench's data (common.build_data), to which this adds the open retrospectives and a timeline;
    Django must be set up on that database."""
    from django.test import Client

    from bench.timeline import build_timeline
    from retrospector.incidents.models import Incident

    began = time.perf_counter()
    page_client = Client()
    page_client.force_login(data["reader"])
    api_client = Client()
    bearer = {"Authorization": f"Bearer {data['token']}"}

    home = {}
    made = 0
    for size in OPEN_RETROSPECTIVES:
        add_open_retrospectives(data, size - made, first=made)
        gather_statistics()
        made = size
        log(f"home page with {size} open retrospectives")
        home[f"open_retrospectives_{size}"] = measure(page_client, "/")

    incident_id = data["incident_id"]
    build_timeline(Incident.objects.get(pk=incident_id), data["reader"], TIMELINE_EVENTS)
    gather_statistics()
    incident_url = f"/api/v1/incidents/{incident_id}"
    with_events = {
        "events_on_the_incident": TIMELINE_EVENTS,
        "one_request": measure(api_client, f"{incident_url}?include=events", headers=bearer),
        "two_requests": measure_together(api_client, [incident_url, f"{incident_url}/events"], headers=bearer),
    }
    one = api_client.get(f"{incident_url}?include=events", headers=bearer).json()
    with_events["events_in_the_answer"] = len(one["events"]["results"]) if "events" in one else 0

    list_api = {
        "page_1": python_and_database(api_client, "/api/v1/incidents", headers=bearer),
        "page_200": python_and_database(api_client, "/api/v1/incidents?page=200", headers=bearer),
        "size_page_1": sizes(api_client, "/api/v1/incidents", headers=bearer),
    }

    largest, smallest = (
        home[f"open_retrospectives_{size}"] for size in (OPEN_RETROSPECTIVES[-1], OPEN_RETROSPECTIVES[0])
    )
    observed = {
        "home_page_p95_ms": largest["p95_ms"],
        "home_page_queries_constant": largest["queries"] == smallest["queries"],
        "incident_with_events_p95_ms": with_events["one_request"]["p95_ms"],
    }
    met = {
        "home_page_p95_ms": observed["home_page_p95_ms"] < TARGETS["home_page_p95_ms"],
        "home_page_queries_constant": observed["home_page_queries_constant"] is True,
        # Without its events the answer would be quick and wrong.
        "incident_with_events_p95_ms": observed["incident_with_events_p95_ms"] < TARGETS["incident_with_events_p95_ms"]
        and with_events["events_in_the_answer"] > 0,
    }
    return {
        "home_page": home,
        "incident_with_events_api": with_events,
        "incident_list_api": list_api,
        "targets": TARGETS,
        "observed": observed,
        "met": met,
        "elapsed_seconds": round(time.perf_counter() - began, 1),
    }


# --- Alone ----------------------------------------------------------------------------------------------------


@contextmanager
def postgres_database(url: str):
    """Create the database `url` names on its server (refusing one that exists) and drop it when done."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"name a database of your own in the URL, e.g. .../bench_speed (not {name!r})")
    admin_url = parts._replace(scheme="postgresql", path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield url
        finally:
            from django.db import connections

            connections.close_all()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database to create, use and drop")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    var_dir = Path(tempfile.mkdtemp(prefix="retrospector-bench-speed-"))
    try:
        with postgres_database(args.postgres) if args.postgres else _nothing() as database_url:
            prepare_environment(var_dir, database_url=database_url)
            import django

            django.setup()
            from django.core.management import call_command
            from django.db import connection

            log(f"migrating a throwaway {connection.vendor} database")
            call_command("migrate", interactive=False, verbosity=0)
            data = build_data()
            report = {"database": connection.vendor, "load_average_1min_at_start": round(os.getloadavg()[0], 2)}
            report.update(run(data))
            print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0


@contextmanager
def _nothing():
    yield None


if __name__ == "__main__":
    sys.exit(main())
