"""Performance figures as one JSON document on stdout: `make bench` (or `python -m bench` from the repository root).

Builds a throwaway SQLite database in a temporary directory (10,000 incidents over four teams, some of them
private; one retrospective with 20 sections and 500 revisions), then measures:

* the incident list page and API, page 1 and page 200, in process (django.test.Client) as a non-admin member
  of one team, so the permission filter is exercised: p50/p95 and SQL queries per request;
* the retrospective page and the API read of one incident, the same way;
* then the first hour's reads (bench/speed.py, the "speed" key): the home page with 200 and 2,000 open
  retrospectives, an incident with the first page of its 2,000 events in one request (`?include=events`) against the
  two it took before, and the list API's time split into Python and database, with its size plain and gzipped;
* then the review (bench/reviews.py, the "reviews" key): the retrospective page in review with 60 feedback threads
  of 300 comments, 20 responders' accounts and 2,000 timeline events, and its query count against 6 threads;
* then the meeting agenda of those 60 threads (bench/agenda.py, the "agenda" key): built from nothing and brought up
  to date again, p50/p95 and queries, and its page and API read;
* then the done list (bench/done_list.py, the "done_list" key): 20,000 done write-ups, the page and the API, page 1,
  a deep page and filtered, as the same reader;
* the incident list API under 8 concurrent clients against a real server (`retrospector serve`, gunicorn,
  DEBUG off) for about ten seconds: requests per second, errors, p50/p95 (the clients accept gzip, as httpx does);
* then the timeline (bench/timeline.py, the "timeline" key): a 1,000,000-message Slack export imported against a floor
  of orjson + one SQLite executemany, and the timeline page and events API with 20,000 events;
* then the write-up checker (bench/checks.py, the "checks" key): a 5,000-line write-up, and a real `retrospector lint`
  process over 1,000 files;
* then the daily reminder job over 10,000 open retrospectives (bench/reminders.py, the "reminders" key): its first run,
  which writes 1,000 people's reminders, and a second one that finds them sent; seconds and SQL queries;
* then webhook deliveries (bench/webhook_deliveries.py, the "webhook_deliveries" key): 1,000 signed JSON deliveries to
  a subscriber on 127.0.0.1, drained by one `retrospector worker --batch` process: seconds and deliveries per second;
* then a mixed load against a real server on SQLite and on PostgreSQL (bench/mixed_load.py, the "mixed_load" key):
  8 readers on lists and pages and 4 writers saving sections (409 on conflicts, then retrying) and importing small
  timeline files, for 60 s on each database: requests/s, p95 per kind, 5xx, 409s and lost writes;
* then search (bench/search.py, the "search" key), on SQLite and on PostgreSQL, each in a child process on a
  database of its own: 100,000 write-ups of 3 sections and their timelines of 5 events (fewer with
  RETROSPECTOR_BENCH_SEARCH_WRITEUPS), the index rebuilt (seconds), the search API and page for a rare word, a common
  word, two words and a phrase beside the bare FTS5 / tsvector query, and the lag from a saved section's commit to its
  being found;
* then "have we seen this before?" (bench/similar.py, the "similar" key): 20,000 write-ups of the same shape added
  to the bench's own database and indexed, the incident page with its panel and GET /api/v1/incidents/{id}/similar
  for an incident whose words are all common (services only) and one with rare words, as the same reader;
* then the recommendations list (bench/recommendation_list.py, the "recommendation_list" key): 50,000 recommendations
  called for by retrospectives of 20,000 incidents, the page and the API, page 1, filtered by team and overdue, and a
  deep page, as the same reader;
* then insights (bench/insights.py, the "insights" key): 100,000 incidents of the last 12 months (a third with a
  write-up and what comes of it), every insight's page and API computed afresh, and the overview, as the same reader;
  then as served after a change, once the worker's refresh (timed) put the reader's default view in the shared cache;
* then the history import (bench/history_import.py, the "history" key), in a child process on a database of its own:
  10,000 generated Markdown write-ups of 2 to 20 KB (RETROSPECTOR_BENCH_HISTORY_FILES for fewer) imported by a real
  `retrospector history import` process, a dry run and the same import again (unchanged): wall seconds, peak memory,
  files per second and the per-file cost split into reading, checking, saving and indexing.

Progress goes to stderr. The whole run takes about seven minutes, and the search part at the issue's size about ten
more per database (RETROSPECTOR_BENCH_SLACK_MESSAGES=100000, RETROSPECTOR_BENCH_MIXED_SECONDS=10 and
RETROSPECTOR_BENCH_SEARCH_WRITEUPS=20000 for a quicker one).
"""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import Server, build_data, log, measure, percentile, prepare_environment

CONCURRENT_CLIENTS = 8
CONCURRENT_SECONDS = 10.0

TARGETS = {
    "incident_list_p95_ms": 50,
    "list_api_p95_ms": 10,  # the API alone, one client: the worse of page 1 and page 200
    "retrospective_page_p95_ms": 50,
    "concurrent_api_requests_per_second": 200,  # 8 clients on the bench's machine (2 cores in CI)
    "concurrent_api_errors": 0,
}


def machine() -> dict:
    import django

    return {
        "cores": os.cpu_count(),
        "load_average_1min_at_start": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "sqlite": sqlite3.sqlite_version,
    }


# --- In-process measurements -------------------------------------------------------------------------------


def in_process(data: dict) -> dict:
    from django.test import Client

    page_client = Client()
    page_client.force_login(data["reader"])
    api_client = Client()
    bearer = {"Authorization": f"Bearer {data['token']}"}
    return {
        "incident_list": {
            "page": {
                "page_1": measure(page_client, "/incidents/"),
                "page_200": measure(page_client, "/incidents/?page=200"),
            },
            "api": {
                "page_1": measure(api_client, "/api/v1/incidents", headers=bearer),
                "page_200": measure(api_client, "/api/v1/incidents?page=200", headers=bearer),
            },
        },
        "retrospective_page": measure(page_client, f"/retrospectives/{data['retrospective_id']}/"),
        "incident_read_api": measure(api_client, f"/api/v1/incidents/{data['incident_id']}", headers=bearer),
    }


# --- Real server under concurrency -------------------------------------------------------------------------


def concurrent(data: dict, var_dir: Path) -> dict:
    import httpx
    from django.db import connections

    connections.close_all()  # the server processes open the same SQLite file
    with Server(var_dir) as server:
        server.wait_ready()
        base = server.base_url
        headers = {"Authorization": f"Bearer {data['token']}"}

        # Warm the workers (lazy imports, first connections) with the same concurrency before timing.
        def warm(_):
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                for _ in range(10):
                    client.get("/api/v1/incidents")

        with ThreadPoolExecutor(CONCURRENT_CLIENTS) as pool:
            list(pool.map(warm, range(CONCURRENT_CLIENTS)))

        pages = max(1, data["figures"]["visible_to_reader"] // 25)
        latencies: list[list[float]] = [[] for _ in range(CONCURRENT_CLIENTS)]
        errors: list[list[str]] = [[] for _ in range(CONCURRENT_CLIENTS)]
        start_barrier = threading.Barrier(CONCURRENT_CLIENTS + 1)
        stop_at = [0.0]

        def client_loop(index: int) -> None:
            rng = random.Random(index)
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                start_barrier.wait()
                while time.perf_counter() < stop_at[0]:
                    # Half the requests ask for the first page, half for any page (deep OFFSETs included).
                    page = 1 if rng.random() < 0.5 else rng.randint(1, pages)
                    t0 = time.perf_counter()
                    try:
                        response = client.get("/api/v1/incidents", params={"page": page})
                        elapsed = (time.perf_counter() - t0) * 1000
                        if response.status_code != 200:
                            errors[index].append(f"HTTP {response.status_code}")
                        else:
                            latencies[index].append(elapsed)
                    except httpx.HTTPError as exc:
                        errors[index].append(type(exc).__name__)

        threads = [threading.Thread(target=client_loop, args=(i,), daemon=True) for i in range(CONCURRENT_CLIENTS)]
        for thread in threads:
            thread.start()
        server_cpu_before = server.cpu_seconds()
        client_cpu_before = time.process_time()
        stop_at[0] = time.perf_counter() + CONCURRENT_SECONDS
        began = time.perf_counter()
        start_barrier.wait()
        for thread in threads:
            thread.join(timeout=CONCURRENT_SECONDS + 60)
        duration = time.perf_counter() - began
        client_cpu = time.process_time() - client_cpu_before
        server_cpu_after = server.cpu_seconds()
        server_cpu = (server_cpu_after - server_cpu_before) if server_cpu_before is not None else None
        load_average = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        all_latencies = [x for chunk in latencies for x in chunk]
        all_errors = [x for chunk in errors for x in chunk]
        result = {
            "clients": CONCURRENT_CLIENTS,
            "seconds": round(duration, 2),
            "requests": len(all_latencies) + len(all_errors),
            "requests_per_second": round((len(all_latencies) + len(all_errors)) / duration, 1),
            "errors": len(all_errors),
            "error_kinds": sorted(set(all_errors)),
            "p50_ms": round(percentile(all_latencies, 50), 2) if all_latencies else None,
            "p95_ms": round(percentile(all_latencies, 95), 2) if all_latencies else None,
            "server": {"workers": server.workers, "threads": server.threads, "debug": False},
            # CPU per request does not depend on what else the machine is doing; requests/s does.
            "server_cpu_ms_per_request": round(server_cpu * 1000 / max(1, len(all_latencies)), 2)
            if server_cpu is not None
            else None,
            "client_cpu_ms_per_request": round(client_cpu * 1000 / max(1, len(all_latencies)), 2),
            # What the measured CPU cost allows when server and client have every core to themselves.
            "cpu_bound_ceiling_requests_per_second": round(
                (os.cpu_count() or 1) * len(all_latencies) / (server_cpu + client_cpu), 1
            )
            if server_cpu
            else None,
            "load_average_1min_after": round(load_average, 2) if load_average is not None else None,
            "mix": "half page 1, half a random page of the reader's visible incidents; Bearer token",
        }
        log(f"{result['requests_per_second']} req/s, {result['errors']} errors, p95 {result['p95_ms']} ms")
        return result


# --- Main ---------------------------------------------------------------------------------------------------


def main() -> int:
    began = time.perf_counter()
    # Turn a plain `kill` into an exception, so that the finally blocks stop the server and remove the files.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    var_dir = Path(tempfile.mkdtemp(prefix="retrospector-bench-"))
    prepare_environment(var_dir)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        log(f"migrating a throwaway SQLite database in {var_dir}")
        call_command("migrate", interactive=False, verbosity=0)
        data = build_data()
        report: dict = {"machine": machine(), "data": data["figures"]}
        report.update(in_process(data))
        from bench import speed

        report["speed"] = speed.run(data)  # adds open retrospectives and a timeline to the data
        from bench import reviews

        report["reviews"] = reviews.run(data)  # feedback threads, comments and accounts on the bench's retrospective
        from bench import agenda as agenda_bench

        report["agenda"] = agenda_bench.run(data)  # the meeting agenda of those 60 threads

        from bench import done_list

        report["done_list"] = done_list.run(data)  # 20,000 done write-ups over the bench's incidents
        report["concurrent_api"] = concurrent(data, var_dir)
        from bench import timeline as timeline_bench

        report["timeline"] = timeline_bench.run()  # on the same database, after the figures above
        from bench import checks as checks_bench

        log("write-up checks: a 5,000-line write-up, and `retrospector lint` over 1,000 files")
        report["checks"] = checks_bench.run_bench()
        from bench import reminders as reminders_bench

        report["reminders"] = reminders_bench.run()  # an organization of its own, on the same database
        from bench import webhook_deliveries

        report["webhook_deliveries"] = webhook_deliveries.run()  # one `retrospector worker` drains 1,000 deliveries
        from bench import mixed_load

        report["mixed_load"] = mixed_load.run()  # each database in a child process, on a database of its own
        from bench import search as search_bench

        # Write-ups with their timelines, the index rebuilt, the reader searching; each database on one of its own.
        report["search"] = search_bench.run_databases()
        from bench import similar as similar_bench

        report["similar"] = similar_bench.run(data)  # "have we seen this before?" over write-ups of its own
        from bench import recommendation_list

        # Last: the incidents and retrospectives it adds would change the figures above.
        report["recommendation_list"] = recommendation_list.run(data)
        from bench import insights as insights_bench

        report["insights"] = insights_bench.run(data)  # after the others: it adds 100,000 incidents
        from bench import history_import

        report["history"] = history_import.run()  # in a child process, on a database of its own
        lists = report["incident_list"]
        list_p95 = max(lists[kind][page]["p95_ms"] for kind in ("page", "api") for page in ("page_1", "page_200"))
        report["targets"] = TARGETS
        report["observed"] = {
            "incident_list_p95_ms": list_p95,  # the worst of page and API, page 1 and page 200
            "list_api_p95_ms": max(lists["api"][page]["p95_ms"] for page in ("page_1", "page_200")),
            "retrospective_page_p95_ms": report["retrospective_page"]["p95_ms"],
            "concurrent_api_requests_per_second": report["concurrent_api"]["requests_per_second"],
            "concurrent_api_errors": report["concurrent_api"]["errors"],
        }
        observed = report["observed"]
        report["met"] = {
            "incident_list_p95_ms": observed["incident_list_p95_ms"] < TARGETS["incident_list_p95_ms"],
            "list_api_p95_ms": observed["list_api_p95_ms"] < TARGETS["list_api_p95_ms"],
            "retrospective_page_p95_ms": observed["retrospective_page_p95_ms"] < TARGETS["retrospective_page_p95_ms"],
            "concurrent_api_requests_per_second": observed["concurrent_api_requests_per_second"]
            >= TARGETS["concurrent_api_requests_per_second"],
            "concurrent_api_errors": observed["concurrent_api_errors"] == TARGETS["concurrent_api_errors"],
        }
        parts = [report["speed"], report["reviews"], report["agenda"], report["timeline"], report["checks"]]
        parts += [report["reminders"], report["done_list"], report["webhook_deliveries"]]
        parts.append(report["mixed_load"])
        parts.append(report["search"])
        parts.append(report["similar"])
        parts.append(report["recommendation_list"])
        parts.append(report["insights"])
        parts.append(report["history"])
        report["targets"] = {**TARGETS, **{k: v for part in parts for k, v in part["targets"].items()}}
        for part in parts:
            report["observed"].update(part["observed"])
            report["met"].update(part["met"])
        report["all_met"] = all(report["met"].values())
        report["elapsed_seconds"] = round(time.perf_counter() - began, 1)
        print(json.dumps(report, indent=2))
        return 0
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
