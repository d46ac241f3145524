"""What the bench parts share: the environment of the throwaway database, the bench's data, percentiles, timing one
page in process, and a real `retrospector serve` to load."""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ITERATIONS = 200
WARMUPS = 5
INCIDENTS = 10_000
TEAMS = ("payments", "platform", "search", "mobile")
SERVICES = 24
PRIVATE_EVERY = 5  # one incident in five is private
SECTIONS = 20
REVISIONS = 500


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (like numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(samples_ms: list[float]) -> dict:
    return {
        "p50_ms": round(percentile(samples_ms, 50), 2),
        "p95_ms": round(percentile(samples_ms, 95), 2),
        "max_ms": round(max(samples_ms), 2),
        "iterations": len(samples_ms),
    }


# --- Environment ----------------------------------------------------------------------------------------


def prepare_environment(var_dir: Path, *, database_url: str | None = None) -> None:
    """Must run before Django is imported: settings read these at import. The database is a throwaway SQLite file in
    var_dir, or the (throwaway) PostgreSQL database at database_url."""
    os.environ["RETROSPECTOR_VAR_DIR"] = str(var_dir)
    (var_dir / "static").mkdir(exist_ok=True)  # whitenoise warns about a missing STATIC_ROOT otherwise
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.pop("SQLITE_PATH", None)
    os.environ.setdefault("RETROSPECTOR_TESTING", "1")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retrospector.settings")


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


def build_data(*, incident_count: int = INCIDENTS) -> dict:
    """The bench's organization: `incident_count` incidents over four teams (one in five private), a reader who is a
    member of the first team only, and one retrospective of SECTIONS sections and REVISIONS revisions on one of that
    team's incidents. Django must be set up on an empty, migrated database."""
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
                for i in range(incident_count)
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
    log(f"{incident_count} incidents created in {time.perf_counter() - started:.1f} s")

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
        "team_id": teams[0].pk,
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


def measure(client, url: str, *, headers: dict | None = None) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = headers or {}
    for _ in range(WARMUPS):
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
    with CaptureQueriesContext(connection) as captured:
        client.get(url, headers=headers)
    # Count now: every request_started signal clears the connection's query log.
    query_count = len(captured.captured_queries)
    samples, cpu_samples = [], []
    for _ in range(ITERATIONS):
        t0, c0 = time.perf_counter(), time.thread_time()
        response = client.get(url, headers=headers)
        samples.append((time.perf_counter() - t0) * 1000)
        cpu_samples.append((time.thread_time() - c0) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
    result = summary(samples)
    # CPU time of the request: unlike the elapsed time, it leaves out waiting for a core on a busy machine.
    result["cpu_p50_ms"] = round(percentile(cpu_samples, 50), 2)
    result["cpu_p95_ms"] = round(percentile(cpu_samples, 95), 2)
    result["queries"] = query_count
    result["bytes"] = len(response.content)
    log(f"GET {url}: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, {result['queries']} queries")
    return result


# --- A real server -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command() -> list[str]:
    """This checkout's `retrospector` command, run from the repository root like the bench itself: an installed script
    may import another checkout's code (an editable install shared by several working trees)."""
    return [sys.executable, "-m", "retrospector"]


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


class Server:
    """A production-like `retrospector serve` (gunicorn; no test mode, DEBUG off; gunicorn's defaults unless `workers`
    or WEB_CONCURRENCY/WEB_THREADS say otherwise) in its own process group, on the database the environment names
    (prepare_environment), its output in var_dir/server.log.

    Starting does not wait: the server collects its static files and boots its workers while the caller fills the
    database; wait_ready() then waits for /healthz. Use it as a context manager so that it is always stopped.
    secret_key: the caller's, when it makes sessions for its clients (a session is only valid under the key it was
    made with); a random one otherwise."""

    def __init__(self, var_dir: Path, *, workers: int | None = None, secret_key: str | None = None) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = var_dir / "server.log"
        self.threads = int(os.environ.get("WEB_THREADS", 2))
        server_env = {k: v for k, v in os.environ.items() if k != "RETROSPECTOR_TESTING"}
        server_env.update(
            RETROSPECTOR_VAR_DIR=str(var_dir),
            SECRET_KEY=secret_key or "bench-" + os.urandom(24).hex(),
            DEBUG="0",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            LOG_LEVEL="WARNING",
        )
        if workers:
            server_env["WEB_CONCURRENCY"] = str(workers)
        command = [*server_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        log(f"starting {' '.join(command)}")
        with open(self.log_path, "w") as output:
            self.process = subprocess.Popen(
                command, env=server_env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
            )

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    @property
    def workers(self) -> int | None:
        match = re.search(r"\((\d+) workers\)", self.log_text())
        return int(match.group(1)) if match else None

    def wait_ready(self, timeout: float = 60) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    log("server ready")
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer /healthz within {timeout:.0f} s")
            time.sleep(0.2)

    def cpu_seconds(self) -> float | None:
        return group_cpu_seconds(self.process.pid)

    def stop(self) -> None:
        """Stop the server we started: its own process group (gunicorn's master and workers)."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except (ProcessLookupError, PermissionError):
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


def run_alone(run, *, name: str, incident_count: int | None = None, with_data: bool = True) -> int:
    """`python -m bench.<name>`: one part on a throwaway SQLite database, migrated, with the bench's data
    (build_data, `incident_count` incidents unless the default) when `with_data`; its figures printed as JSON."""
    import json
    import shutil
    import signal
    import sys
    import tempfile

    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    var_dir = Path(tempfile.mkdtemp(prefix=f"retrospector-bench-{name}-"))
    try:
        prepare_environment(var_dir)
        import django

        django.setup()
        from django.core.management import call_command

        log("migrating a throwaway SQLite database")
        call_command("migrate", interactive=False, verbosity=0)
        if not with_data:
            print(json.dumps(run(), indent=2))
            return 0
        data = build_data(incident_count=incident_count) if incident_count else build_data()
        print(json.dumps(run(data), indent=2))
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0
