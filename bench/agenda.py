"""The meeting agenda's computation (the "agenda" part of `make bench`), in process, on the bench's retrospective with
60 feedback threads of 300 comments in all (bench/reviews.py's data; made here when it has fewer):

* building the agenda from nothing (60 thread items, bulk-inserted; each run rolled back): p50/p95 and queries;
* bringing an up-to-date agenda up to date again (what every read of the agenda does): p50/p95 and queries;
* the agenda's page and its API read, as the bench's reader: p50/p95 and queries.

Alone: `python -m bench.agenda` on a throwaway SQLite file.
"""

from __future__ import annotations

import sys
import time

from bench.common import ITERATIONS, log, measure, percentile, run_alone, summary

THREADS = 60
COMMENTS = 300
TARGETS = {
    "agenda_sync_p95_ms": 20,  # 60 threads, 300 comments: an agenda already up to date, checked again
    "agenda_build_p95_ms": 20,  # the same threads, the agenda made from nothing (60 items inserted)
    "agenda_sync_queries": 2,  # its items and the retrospective's threads, whatever their number
}


def _ensure_threads(data: dict) -> None:
    from bench.reviews import COMMENTS_PER_THREAD, add_review
    from retrospector.reviews.models import Thread

    have = Thread.objects.filter(retrospective_id=data["retrospective_id"]).count()
    if have < THREADS:
        assert COMMENTS_PER_THREAD * THREADS == COMMENTS
        add_review(data, threads=THREADS - have, accounts=0, first_thread=have, first_account=10_000)


def _timed(function, iterations: int) -> tuple[dict, int]:
    """(timings, queries of one run) of `function`, after a warm-up."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    function()
    with CaptureQueriesContext(connection) as captured:
        function()
    samples, cpu_samples = [], []
    for _ in range(iterations):
        t0, c0 = time.perf_counter(), time.thread_time()
        function()
        samples.append((time.perf_counter() - t0) * 1000)
        cpu_samples.append((time.thread_time() - c0) * 1000)
    result = summary(samples)
    # CPU time: unlike the elapsed time, it leaves out waiting for a core on a busy machine.
    result["cpu_p50_ms"] = round(percentile(cpu_samples, 50), 2)
    result["cpu_p95_ms"] = round(percentile(cpu_samples, 95), 2)
    return result, len(captured.captured_queries)


def run(data: dict, *, iterations: int = ITERATIONS) -> dict:
    """The figures on the bench's data (common.build_data); Django must be set up on that database."""
    from django.db import transaction
    from django.test import Client

    from retrospector.meetings.agenda import agenda_sync, meeting_for
    from retrospector.meetings.models import AgendaItem
    from retrospector.reviews.models import Comment, Thread
    from retrospector.writeups.models import Retrospective

    began = time.perf_counter()
    _ensure_threads(data)
    retrospective = Retrospective.objects.get(pk=data["retrospective_id"])
    meeting = meeting_for(retrospective)
    AgendaItem.objects.filter(meeting=meeting).delete()

    def build() -> None:
        with transaction.atomic():
            assert len(agenda_sync(meeting)) >= THREADS
            transaction.set_rollback(True)
        meeting.version -= 1  # rolled back

    def sync() -> None:
        agenda_sync(meeting)

    log(f"agenda: building it from {THREADS} threads, rolled back, {iterations} times")
    built, build_queries = _timed(build, iterations)
    agenda_sync(meeting)
    log(f"agenda: bringing it up to date, {iterations} times")
    synced, sync_queries = _timed(sync, iterations)
    built["queries"], synced["queries"] = build_queries, sync_queries
    client = Client()
    client.force_login(data["reader"])
    figures = {
        "threads": Thread.objects.filter(retrospective=retrospective).count(),
        "comments": Comment.objects.filter(thread__retrospective=retrospective).count(),
        "items": AgendaItem.objects.filter(meeting=meeting).count(),
        "build": built,
        "sync": synced,
        "page": measure(client, f"/retrospectives/{retrospective.pk}/agenda"),
        "api": measure(client, f"/api/v1/retrospectives/{retrospective.pk}/agenda"),
    }
    log(
        f"agenda: build p95 {built['p95_ms']} ms (CPU {built['cpu_p95_ms']} ms, {build_queries} queries), "
        f"sync p95 {synced['p95_ms']} ms (CPU {synced['cpu_p95_ms']} ms, {sync_queries} queries)"
    )
    observed = {
        "agenda_sync_p95_ms": synced["p95_ms"],
        "agenda_build_p95_ms": built["p95_ms"],
        "agenda_sync_queries": sync_queries,
    }
    met = {
        "agenda_sync_p95_ms": observed["agenda_sync_p95_ms"] < TARGETS["agenda_sync_p95_ms"],
        "agenda_build_p95_ms": observed["agenda_build_p95_ms"] < TARGETS["agenda_build_p95_ms"],
        "agenda_sync_queries": observed["agenda_sync_queries"] <= TARGETS["agenda_sync_queries"],
    }
    return {
        "agenda": figures,
        "targets": TARGETS,
        "observed": observed,
        "met": met,
        "elapsed_seconds": round(time.perf_counter() - began, 1),
    }


def main() -> int:
    return run_alone(run, name="agenda", incident_count=2_000)


if __name__ == "__main__":
    sys.exit(main())
