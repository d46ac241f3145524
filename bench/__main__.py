"""Performance figures as one JSON document on stdout: `make bench` (or `python -m bench` from the repository root).

Builds a throwaway SQLite database in a temporary directory (10,000 incidents over four teams, some of them
private; one retrospective with 20 sections and 500 revisions), then measures:

* the incident list page and API, page 1 and page 200, in process (django.test.Client) as a non-admin member
  of one team, so the permission filter is exercised: p50/p95 and SQL queries per request;
* the retrospective page and the API read of one incident, the same way;
* the incident list API under 8 concurrent clients against a real server (`retrospector serve`, gunicorn,
  DEBUG off) for about ten seconds: requests per second, errors, p50/p95;
* then the timeline (bench/timeline.py, the "timeline" key): a 1,000,000-message Slack export imported against a floor
  of orjson + one SQLite executemany, and the timeline page and events API with 20,000 events;
* then the write-up checker (bench/checks.py, the "checks" key): a 5,000-line write-up, and a real `retrospector lint`
  process over 1,000 files.

Progress goes to stderr. The whole run takes about four minutes (RETROSPECTOR_BENCH_SLACK_MESSAGES=100000 for a
quick one).
"""

from __future__ import annotations

import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import log, measure, percentile, prepare_environment

INCIDENTS = 10_000
TEAMS = ("payments", "platform", "search", "mobile")
SERVICES = 24
PRIVATE_EVERY = 5  # one incident in five is private
SECTIONS = 20
REVISIONS = 500
CONCURRENT_CLIENTS = 8
CONCURRENT_SECONDS = 10.0

TARGETS = {
    "incident_list_p95_ms": 50,
    "retrospective_page_p95_ms": 50,
    "concurrent_api_requests_per_second": 100,
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


# --- Data -------------------------------------------------------------------------------------------------

SECTION_BODY = """Checkout requests failed for **{minutes} minutes** after the deploy of `payments-api` {n}.

* The connection pool was exhausted because of a retry storm.
* Alerts fired, but the runbook link was stale.
* Rolling back restored service; see [the dashboard](https://grafana.example.com/d/abc).

| When | What |
|:-----|:-----|
| 14:02 | Deploy starts |
| 14:09 | Error rate above 5 % |
| 14:31 | Rollback complete |

> We will add a canary stage before the next release.
"""


def build_data() -> dict:
    from django.db import transaction

    from retrospector.accounts.models import Membership, Role, User
    from retrospector.accounts.services import organization_create, team_create, token_create
    from retrospector.core.markdown import render_markdown
    from retrospector.core.template_definitions import validate_definition
    from retrospector.incidents.models import Incident, Service, SeverityLevel
    from retrospector.incidents.services import severity_levels_ensure_defaults
    from retrospector.writeups.models import Revision, Section
    from retrospector.writeups.services import retrospective_start, template_create

    rng = random.Random(42)
    started = time.perf_counter()
    org = organization_create(name="Bench Corp", slug="bench")
    severity_levels_ensure_defaults(organization=org)
    severities = list(SeverityLevel.objects.filter(organization=org))
    teams = [team_create(organization=org, name=slug.capitalize(), slug=slug) for slug in TEAMS]

    def person(username: str) -> User:
        user = User(
            username=username, organization=org, full_name=username.capitalize(), email=f"{username}@example.com"
        )
        user.set_unusable_password()
        user.save()
        return user

    reader = person("reader")  # the measured user: member of the first team only, not an org admin
    Membership.objects.create(team=teams[0], user=reader, role=Role.MEMBER)
    for i, team in enumerate(teams[1:], start=1):
        Membership.objects.create(team=team, user=person(f"member{i}"), role=Role.MEMBER)
    services = Service.objects.bulk_create(Service(organization=org, name=f"service-{i:02d}") for i in range(SERVICES))

    base = datetime(2020, 1, 1, tzinfo=UTC)
    with transaction.atomic():
        incidents = Incident.objects.bulk_create(
            (
                Incident(
                    organization=org,
                    team=teams[i % len(teams)],
                    title=f"Incident {i}: elevated error rate on service-{i % SERVICES:02d}",
                    summary="Customers saw errors while checking out.",
                    severity=severities[i % len(severities)],
                    status=("open", "mitigated", "resolved", "closed")[i % 4],
                    visibility="private" if i % PRIVATE_EVERY == 0 else "organization",
                    started_at=base + timedelta(hours=i * 3 + rng.randint(0, 2)),
                    detected_at=base + timedelta(hours=i * 3 + 3),
                    resolved_at=base + timedelta(hours=i * 3 + 5),
                    version=1,
                )
                for i in range(INCIDENTS)
            ),
            batch_size=1000,
        )
        through = Incident.services.through
        through.objects.bulk_create(
            (
                through(incident_id=incident.pk, service_id=service.pk)
                for incident in incidents
                for service in rng.sample(services, rng.randint(1, 3))
            ),
            batch_size=2000,
        )
        # A few private incidents of other teams to which the reader was invited (the Exists() branch).
        invited = [inc for inc in incidents if inc.visibility == "private" and inc.team_id != teams[0].pk][:50]
        Incident.invitees.through.objects.bulk_create(
            Incident.invitees.through(incident_id=inc.pk, user_id=reader.pk) for inc in invited
        )
    log(f"{INCIDENTS} incidents created in {time.perf_counter() - started:.1f} s")

    # One retrospective with 20 sections and 500 revisions in all, on one of the reader's team incidents.
    definition = validate_definition(
        {
            "key": "bench-twenty",
            "name": "Twenty sections",
            "description": "A long template for the benchmark.",
            "sections": [
                {
                    "key": f"part-{n:02d}",
                    "title": f"Part {n}",
                    "kind": "text",
                    "required": n < 3,
                    "guidance": "Say what happened, *not* who did it.",
                }
                for n in range(SECTIONS)
            ],
        }
    )
    template = template_create(team=teams[0], definition=definition, by=reader)
    incident = next(inc for inc in incidents if inc.team_id == teams[0].pk and inc.visibility == "organization")
    retrospective = retrospective_start(incident=incident, template=template, by=reader, shadow=None)
    with transaction.atomic():
        sections = list(Section.objects.filter(retrospective=retrospective).order_by("position"))
        per_section = REVISIONS // len(sections)  # 25, the first of which retrospective_start wrote
        revisions = []
        for section in sections:
            for version in range(2, per_section + 1):
                revisions.append(
                    Revision(
                        section=section,
                        version=version,
                        created_by=reader,
                        note="",
                        body=SECTION_BODY.format(minutes=version, n=section.position),
                    )
                )
            section.body = SECTION_BODY.format(minutes=per_section, n=section.position)
            section.html = render_markdown(section.body)
            section.version = per_section
        Revision.objects.bulk_create(revisions, batch_size=1000)
        Section.objects.bulk_update(sections, ["body", "html", "version"])
    _, token = token_create(user=reader, name="bench")
    log(f"data ready in {time.perf_counter() - started:.1f} s")

    from retrospector.incidents.selectors import incidents_visible_to

    return {
        "reader": reader,
        "token": token,
        "incident_id": incident.pk,
        "retrospective_id": retrospective.pk,
        "figures": {
            "incidents": Incident.objects.count(),
            "teams": len(teams),
            "private_incidents": Incident.objects.filter(visibility="private").count(),
            "visible_to_reader": incidents_visible_to(reader).count(),
            "reader": "member of one team, not an organization admin",
            "retrospective_sections": Section.objects.filter(retrospective=retrospective).count(),
            "retrospective_revisions": Revision.objects.filter(section__retrospective=retrospective).count(),
        },
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command() -> list[str]:
    script = Path(sys.executable).parent / "retrospector"
    if script.exists():
        return [str(script)]
    found = shutil.which("retrospector")
    return [found] if found else [sys.executable, "-m", "retrospector"]


def stop(process: subprocess.Popen) -> None:
    """Stop the server we started: its own process group (gunicorn's master and workers)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, PermissionError):
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def group_cpu_seconds(pgid: int) -> float | None:
    """CPU time used so far by every live process of a process group (Linux /proc; None elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state ppid pgrp session ... utime (11th) stime (12th).
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def concurrent(data: dict, var_dir: Path) -> dict:
    import httpx
    from django.db import connections

    connections.close_all()  # the server processes open the same SQLite file
    port = free_port()
    # A production-like server: no test mode, DEBUG off, gunicorn's defaults unless WEB_CONCURRENCY/WEB_THREADS are set.
    env = {k: v for k, v in os.environ.items() if k != "RETROSPECTOR_TESTING"}
    env.update(
        RETROSPECTOR_VAR_DIR=str(var_dir),
        SECRET_KEY="bench-" + os.urandom(24).hex(),
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
    )
    server_log = open(var_dir / "server.log", "w+")  # noqa: SIM115 - closed in finally
    command = [*server_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    log(f"starting {' '.join(command)}")
    process = subprocess.Popen(command, env=env, stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                server_log.seek(0)
                raise RuntimeError(f"the server exited with {process.returncode}:\n{server_log.read()[-3000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer /healthz within 60 s")
            time.sleep(0.2)
        log("server ready")
        server_log.seek(0)
        banner = server_log.read()
        match = re.search(r"\((\d+) workers\)", banner)
        workers = int(match.group(1)) if match else None

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
        server_cpu_before = group_cpu_seconds(process.pid)
        client_cpu_before = time.process_time()
        stop_at[0] = time.perf_counter() + CONCURRENT_SECONDS
        began = time.perf_counter()
        start_barrier.wait()
        for thread in threads:
            thread.join(timeout=CONCURRENT_SECONDS + 60)
        duration = time.perf_counter() - began
        client_cpu = time.process_time() - client_cpu_before
        server_cpu_after = group_cpu_seconds(process.pid)
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
            "server": {"workers": workers, "threads": int(os.environ.get("WEB_THREADS", 2)), "debug": False},
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
    finally:
        stop(process)
        server_log.close()


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
        report["concurrent_api"] = concurrent(data, var_dir)
        from bench import timeline as timeline_bench

        report["timeline"] = timeline_bench.run()  # on the same database, after the figures above
        from bench import checks as checks_bench

        log("write-up checks: a 5,000-line write-up, and `retrospector lint` over 1,000 files")
        report["checks"] = checks_bench.run_bench()
        lists = report["incident_list"]
        list_p95 = max(lists[kind][page]["p95_ms"] for kind in ("page", "api") for page in ("page_1", "page_200"))
        report["targets"] = TARGETS
        report["observed"] = {
            "incident_list_p95_ms": list_p95,  # the worst of page and API, page 1 and page 200
            "retrospective_page_p95_ms": report["retrospective_page"]["p95_ms"],
            "concurrent_api_requests_per_second": report["concurrent_api"]["requests_per_second"],
            "concurrent_api_errors": report["concurrent_api"]["errors"],
        }
        observed = report["observed"]
        report["met"] = {
            "incident_list_p95_ms": observed["incident_list_p95_ms"] < TARGETS["incident_list_p95_ms"],
            "retrospective_page_p95_ms": observed["retrospective_page_p95_ms"] < TARGETS["retrospective_page_p95_ms"],
            "concurrent_api_requests_per_second": observed["concurrent_api_requests_per_second"]
            >= TARGETS["concurrent_api_requests_per_second"],
            "concurrent_api_errors": observed["concurrent_api_errors"] == TARGETS["concurrent_api_errors"],
        }
        timeline, checks = report["timeline"], report["checks"]
        report["targets"] = {**TARGETS, **timeline["targets"], **checks["targets"]}
        report["observed"].update(timeline["observed"], **checks["observed"])
        report["met"].update(timeline["met"], **checks["met"])
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
