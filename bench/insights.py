"""Insights (the "insights" part of `make bench`), in process (django.test.Client) as the bench's reader, a member of
one team who is not an organization admin, so the permission rule (private incidents of other teams) is in every
aggregate:

* INCIDENTS incidents started within the last 12 months (the insights' default range), one in five private, with
  their milestones (detected, acknowledged, mitigated, resolved) and one or two services each; one in three with a
  retrospective, its first "in review" state change, a contributing factor (drawn from a few dozen texts), a review
  deadline, a survey answer and a recommendation; in bulk;
* each insight's page (/insights/<name>/) and API (/api/v1/insights/<name>), computed afresh (the cache emptied
  before every request: what a reader waits who opens a view nobody computed since the data changed, a filtered one
  or the default one before the worker got to it), and the overview (/insights/, all of them) the same way;
* then as served after a change: the data version moved on (as a commit does), the worker's refresh of the reader's
  default view timed (insights.cached.insights_refresh: how long a change takes to reach the cache), then every page,
  API and the overview as the reader gets them, from the shared cache in the database: p50/p95 and queries per
  request.

It runs after the other parts in `make bench`: the incidents it adds would change their figures.
Alone: `python -m bench.insights` on a throwaway SQLite file, with RETROSPECTOR_BENCH_INSIGHTS_INCIDENTS incidents
(default 100,000); with RETROSPECTOR_BENCH_INSIGHTS_DATABASE_URL on that PostgreSQL database instead (it must be
empty: it is migrated and filled, and left as it is).
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from bench import common
from bench.common import PRIVATE_EVERY, log, measure, run_alone, summary

INCIDENTS = int(os.environ.get("RETROSPECTOR_BENCH_INSIGHTS_INCIDENTS", "100000"))
RETROSPECTIVE_EVERY = 3
COLD_ITERATIONS = 10
SERVED_ITERATIONS = 60
TARGETS = {
    "insights_page_p95_ms": 200,  # computed afresh
    "insights_api_p95_ms": 200,
    "insights_page_served_p95_ms": 200,  # as served after a change, once the worker refreshed the default view
    "insights_api_served_p95_ms": 200,
}
FACTORS = [
    f"{what} {where}"
    for what in ("Retries without backoff on", "Stale runbook for", "No alert on saturation of", "Manual failover of")
    for where in ("the database", "the cache", "the queue", "payments-api", "DNS", "the load balancer", "search")
]


def add_incidents(data: dict, count: int) -> dict:
    """`count` incidents within the last 12 months with their milestones, services and, for one in
    RETROSPECTIVE_EVERY, a retrospective and what comes of it; in bulk. Returns the figures."""
    from django.db import transaction

    from retrospector.accounts.models import Team
    from retrospector.actions.models import Finding, Recommendation, RecommendationLink
    from retrospector.incidents.models import Incident, Service, SeverityLevel
    from retrospector.reviews.models import Deadline, SurveyResponse
    from retrospector.writeups.models import Retrospective, StateChange, TemplateVersion

    rng = random.Random(23)
    reader = data["reader"]
    org_id = reader.organization_id
    teams = list(Team.objects.filter(organization_id=org_id).order_by("pk"))
    severities = list(SeverityLevel.objects.filter(organization_id=org_id))
    services = list(Service.objects.filter(organization_id=org_id).values_list("pk", flat=True))
    version = TemplateVersion.objects.filter(template__key="postmortem").order_by("-number").first()
    now = datetime.now(UTC).replace(microsecond=0)
    began = time.perf_counter()
    with transaction.atomic():
        rows = []
        for i in range(count):
            start = now - timedelta(minutes=rng.randint(60 * 24, 60 * 24 * 330))
            detect = start + timedelta(minutes=rng.randint(1, 60))
            ack = detect + timedelta(minutes=rng.randint(1, 30))
            mitigate = ack + timedelta(minutes=rng.randint(5, 240))
            rows.append(
                Incident(
                    organization_id=org_id,
                    team=teams[i % len(teams)],
                    title=f"Insights bench incident {i}",
                    severity=severities[i % len(severities)],
                    status="closed",
                    visibility="private" if i % PRIVATE_EVERY == 0 else "organization",
                    started_at=start,
                    detected_at=detect,
                    acknowledged_at=ack,
                    mitigated_at=mitigate,
                    resolved_at=mitigate + timedelta(minutes=rng.randint(5, 600)),
                    version=1,
                )
            )
        incidents = Incident.objects.bulk_create(rows, batch_size=2000)
        through = Incident.services.through
        through.objects.bulk_create(
            (
                through(incident_id=incident.pk, service_id=service)
                for incident in incidents
                for service in rng.sample(services, rng.randint(1, 2))
            ),
            batch_size=5000,
        )
        written = incidents[::RETROSPECTIVE_EVERY]
        retrospectives = Retrospective.objects.bulk_create(
            (
                Retrospective(
                    incident_id=incident.pk,
                    template_version=version,
                    title=f"Write-up of {incident.title}",
                    owner=reader,
                    state="done" if n % 2 else "in_review",
                    done_at=incident.resolved_at + timedelta(days=rng.randint(2, 30)) if n % 2 else None,
                )
                for n, incident in enumerate(written)
            ),
            batch_size=2000,
        )
        changes = StateChange.objects.bulk_create(
            (StateChange(retrospective=r, from_state="draft", to_state="in_review") for r in retrospectives),
            batch_size=5000,
        )
        # `at` is set on insert (auto_now_add): moved to a day or a few after the incident's resolution.
        for change, incident in zip(changes, written, strict=True):
            change.at = incident.resolved_at + timedelta(hours=rng.randint(4, 200))
        StateChange.objects.bulk_update(changes, ["at"], batch_size=2000)
        Finding.objects.bulk_create(
            (
                Finding(retrospective=r, section_key="analysis", kind="contributing-factor", text=rng.choice(FACTORS))
                for r in retrospectives
            ),
            batch_size=5000,
        )
        today = now.date()
        Deadline.objects.bulk_create(
            (
                Deadline(retrospective=r, step="first_draft", due_on=today - timedelta(days=rng.randint(-20, 60)))
                for r in retrospectives
                if r.state != "done"
            ),
            batch_size=5000,
        )
        SurveyResponse.objects.bulk_create(
            (
                SurveyResponse(retrospective=r, user=reader, useful=rng.randint(2, 5), fair=rng.randint(3, 5))
                for r in retrospectives
                if r.state == "done"
            ),
            batch_size=5000,
        )
        statuses = ["planned"] * 4 + ["in-progress"] * 2 + ["done"] * 3 + ["dropped"]
        recommendations = Recommendation.objects.bulk_create(
            (
                Recommendation(
                    organization_id=org_id,
                    team=teams[n % len(teams)],
                    title=f"Insights bench recommendation {n}",
                    priority=("P1", "P2", "P3", "P4")[n % 4],
                    status=(status := statuses[rng.randrange(len(statuses))]),
                    commitment_date=today + timedelta(days=rng.randint(-100, 100)),
                    closed_at=now - timedelta(days=rng.randint(0, 300)) if status in ("done", "dropped") else None,
                )
                for n in range(len(retrospectives))
            ),
            batch_size=2000,
        )
        RecommendationLink.objects.bulk_create(
            (
                RecommendationLink(recommendation=rec, retrospective=r)
                for rec, r in zip(recommendations, retrospectives, strict=True)
            ),
            batch_size=5000,
        )
    log(f"insights: {count} incidents, {len(retrospectives)} retrospectives in {time.perf_counter() - began:.1f} s")
    return {"incidents_added": count, "retrospectives_added": len(retrospectives)}


def _clear_caches() -> None:
    from django.core.cache import caches

    caches["default"].clear()
    caches["insights"].clear()


def measure_cold(client, url: str, iterations: int) -> dict:
    """Like common.measure, with the caches emptied before each request: the aggregates computed every time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _clear_caches()
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
    _clear_caches()
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    queries = len(captured.captured_queries)
    samples = []
    for _ in range(iterations):
        _clear_caches()
        t0 = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
    return {**summary(samples), "queries": queries}


def run(data: dict) -> dict:
    """The figures on the bench's data (common.build_data); Django must be set up on that database."""
    began = time.perf_counter()
    figures = add_incidents(data, INCIDENTS)
    return {**measure_all(data, figures), "elapsed_seconds": round(time.perf_counter() - began, 1)}


def measure_all(data: dict, figures: dict) -> dict:
    """Every insight's page and API, uncached, and the overview, as the bench's reader."""
    from django.db import connection
    from django.test import Client

    from retrospector.incidents.selectors import incidents_visible_to
    from retrospector.insights.metrics import INSIGHTS, InsightFilters, default_range, incidents_for

    # Statistics for the planner after the bulk load, on both databases (PostgreSQL's autovacuum would gather them
    # a little later; without them it guesses row counts and plans the joins and sorts badly).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    reader = data["reader"]
    in_range = incidents_for(reader, InsightFilters(*default_range()))
    figures.update(
        database=connection.vendor,
        visible_to_reader=incidents_visible_to(reader).count(),
        visible_in_default_range=in_range.count(),
    )
    client = Client()
    client.force_login(reader)
    iterations = max(2, min(COLD_ITERATIONS, common.ITERATIONS))
    pages, api = {}, {}
    for name in INSIGHTS:
        pages[name] = measure_cold(client, f"/insights/{name}/", iterations)
        api[name] = measure_cold(client, f"/api/v1/insights/{name}", iterations)
        log(f"insights {name}: page p95 {pages[name]['p95_ms']} ms, API p95 {api[name]['p95_ms']} ms")
    overview_cold = measure_cold(client, "/insights/", max(2, iterations // 3))
    served = measure_served(client, max(2, min(SERVED_ITERATIONS, common.ITERATIONS)))
    overview_cached = measure(client, "/insights/")
    observed = {
        "insights_page_p95_ms": max(m["p95_ms"] for m in pages.values()),
        "insights_api_p95_ms": max(m["p95_ms"] for m in api.values()),
        "insights_page_served_p95_ms": max(m["p95_ms"] for m in served["page"].values()),
        "insights_api_served_p95_ms": max(m["p95_ms"] for m in served["api"].values()),
    }
    return {
        "figures": figures,
        "page_uncached": pages,
        "api_uncached": api,
        "overview_uncached": overview_cold,
        "refresh_after_change": served["refresh"],
        "page_served": served["page"],
        "api_served": served["api"],
        "overview_served": served["overview"],
        "overview_cached": overview_cached,
        "targets": TARGETS,
        "observed": observed,
        "met": {key: observed[key] < TARGETS[key] for key in TARGETS},
    }


def measure_served(client, iterations: int) -> dict:
    """What the reader gets after a change: the version moved on (as by a commit), the worker's refresh timed, then
    each page and API and the overview from the cache (the refresh ran once; nothing is computed in the requests)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from retrospector.insights.cached import data_version_bump, insights_refresh
    from retrospector.insights.metrics import INSIGHTS

    _clear_caches()
    client.get("/insights/")  # the reader opened the default view once: the worker keeps it ready from now on
    data_version_bump()
    t0 = time.perf_counter()
    done = insights_refresh()
    refresh = {"seconds": round(time.perf_counter() - t0, 2), **done}
    log(f"insights: the worker's refresh after a change took {refresh['seconds']} s ({done})")

    def timed(url: str) -> dict:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        queries = len(captured.captured_queries)  # now: the next request's start clears the connection's query log
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        samples, cpu = [], []
        for _ in range(iterations):
            t, c = time.perf_counter(), time.thread_time()
            client.get(url)
            samples.append((time.perf_counter() - t) * 1000)
            cpu.append((time.thread_time() - c) * 1000)
        # CPU time of the request beside the elapsed time: it leaves out waiting for a core on a busy machine.
        return {**summary(samples), "cpu_p95_ms": round(common.percentile(cpu, 95), 2), "queries": queries}

    page = {name: timed(f"/insights/{name}/") for name in INSIGHTS}
    api = {name: timed(f"/api/v1/insights/{name}") for name in INSIGHTS}
    overview = timed("/insights/")
    log(
        f"insights served: page p95 max {max(m['p95_ms'] for m in page.values())} ms, "
        f"API p95 max {max(m['p95_ms'] for m in api.values())} ms, overview p95 {overview['p95_ms']} ms"
    )
    return {"refresh": refresh, "page": page, "api": api, "overview": overview}


def main() -> int:
    url = os.environ.get("RETROSPECTOR_BENCH_INSIGHTS_DATABASE_URL")
    if not url:
        return run_alone(run, name="insights", incident_count=1000)
    import json
    import shutil
    import tempfile
    from pathlib import Path

    var_dir = Path(tempfile.mkdtemp(prefix="retrospector-bench-insights-"))
    try:
        common.prepare_environment(var_dir, database_url=url)
        import django

        django.setup()
        from django.core.management import call_command

        log("migrating the PostgreSQL database")
        call_command("migrate", interactive=False, verbosity=0)
        print(json.dumps(run(common.build_data(incident_count=1000)), indent=2))
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
