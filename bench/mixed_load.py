"""Mixed load against a real `retrospector serve`, on SQLite and on PostgreSQL (the "mixed_load" part of `make bench`);
alone: `python -m bench.mixed_load [--seconds S] [--readers N] [--writers N] [--databases sqlite,postgresql]`.

For each database, in a child process of its own (Django's settings name one database per process): a throwaway
database (an SQLite file in a temporary directory; on PostgreSQL a database the bench creates on the server at
RETROSPECTOR_BENCH_POSTGRES_URL and drops afterwards, or the note "skipped" when no server answers) with the bench's
data (common.build_data: 10,000 incidents, a 20-section retrospective) and 2,000 timeline events on that
retrospective's incident; then the server as deployed (`retrospector serve`: gunicorn's default workers and threads,
DEBUG off) and, for RETROSPECTOR_BENCH_MIXED_SECONDS (60 unless set), at the same time:

* readers (8), each with a session of its own (like a browser after logging in), reading in turn the incident list
  page (half the time page 1, else any page), the retrospective page, the timeline page, and with a Bearer token the
  incidents API list and the events API list;
* writers (4), each with an API token of its own, who save sections of that retrospective (all on the same four
  sections, so that they collide): read the section, PUT it with the version read as base_version, and on 409 read it
  again and retry, as a real client would; one operation in four is instead the import of a small timeline file
  (20 lines, JSON lines or CSV in turn) through the import API.

Reported per database: requests per second, p50/p95 per kind (list, page, api-list, section-save, import, and the
writers' section reads), the 5xx answers (target 0: by status and endpoint, with the first answers' text and the
errors in the server's log), 409 conflicts (expected: they are how clients learn of each other's saves), and lost
writes (target 0): every section save answered 2xx must be in the section's revision history with the very body sent,
and every import answered 201 must have all its events stored; both checked in the database once the server stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from random import Random
from typing import NamedTuple
from urllib.parse import urlsplit

from bench.common import ROOT, Server, build_data, log, percentile, prepare_environment

SECONDS = float(os.environ.get("RETROSPECTOR_BENCH_MIXED_SECONDS", "60"))
POSTGRES_URL = os.environ.get("RETROSPECTOR_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASES = ("sqlite", "postgresql")
KINDS = ("list", "page", "api-list", "section-save", "import", "section-read")
HOT_SECTIONS = 4  # the sections the writers share
IMPORT_SHARE = 0.25  # of a writer's operations
IMPORT_LINES = 20
SAVE_ATTEMPTS = 20  # a save given up after this many 409s in a row counts as "gave up", not as an error
TARGETS = {"mixed_load_5xx": 0, "mixed_load_lost_writes": 0}


@dataclass
class Options:
    seconds: float = SECONDS
    readers: int = 8
    writers: int = 4
    incidents: int = 10_000
    events: int = 2_000
    workers: int | None = None  # None: what `retrospector serve` chooses (WEB_CONCURRENCY, else 2 x cores + 1, max 8)


# --- Data ----------------------------------------------------------------------------------------------------


@dataclass
class Fixture:
    """What the clients know: ids for the URLs, session cookies and tokens (nothing about the database)."""

    reader_sessions: list[str]  # one session cookie per reader client
    session_cookie: str
    reader_token: str
    writer_tokens: list[str]
    incident_id: int
    incident_started: datetime
    retrospective_id: int
    hot_keys: list[str]
    list_pages: int


def build_fixture(options: Options) -> Fixture:
    """The bench's data, a timeline on the retrospective's incident, a session for each reader client (as after logging
    in; the server shares this process's SECRET_KEY, which the session's hash depends on) and the writers, members of
    the reader's team with a token each."""
    from django.conf import settings
    from django.test import Client

    from bench.timeline import build_timeline
    from retrospector.accounts.models import Membership, Role, User
    from retrospector.accounts.services import token_create
    from retrospector.incidents.models import Incident
    from retrospector.writeups.models import Section

    data = build_data(incident_count=options.incidents)
    reader = data["reader"]
    incident = Incident.objects.get(pk=data["incident_id"])
    build_timeline(incident, reader, options.events)
    sessions = []
    for _ in range(options.readers):
        browser = Client()
        browser.force_login(reader)
        sessions.append(browser.cookies[settings.SESSION_COOKIE_NAME].value)
    writer_tokens = []
    for n in range(1, options.writers + 1):
        writer = User(
            username=f"writer{n}",
            organization_id=reader.organization_id,
            full_name=f"Writer {n}",
            email=f"writer{n}@example.com",
        )
        writer.set_unusable_password()
        writer.save()
        Membership.objects.create(team_id=data["team_id"], user=writer, role=Role.MEMBER)
        writer_tokens.append(token_create(user=writer, name="mixed load")[1])
    hot_keys = list(
        Section.objects.filter(retrospective_id=data["retrospective_id"])
        .order_by("position")
        .values_list("key", flat=True)[:HOT_SECTIONS]
    )
    return Fixture(
        reader_sessions=sessions,
        session_cookie=settings.SESSION_COOKIE_NAME,
        reader_token=data["token"],
        writer_tokens=writer_tokens,
        incident_id=incident.pk,
        incident_started=incident.started_at,
        retrospective_id=data["retrospective_id"],
        hot_keys=hot_keys,
        list_pages=max(1, data["figures"]["visible_to_reader"] // 25),
    )


# --- The load ------------------------------------------------------------------------------------------------


class Sample(NamedTuple):
    kind: str
    endpoint: str
    status: int  # 0: no answer (the exception's name is in Load.transport_errors)
    ms: float


class SavedSection(NamedTuple):
    key: str
    version: int
    body: str


class Imported(NamedTuple):
    import_id: int
    added: int


@dataclass
class Load:
    """The clients, one thread each, and what they recorded."""

    base_url: str
    fixture: Fixture
    options: Options
    samples: list[Sample] = field(default_factory=list)
    saved: list[SavedSection] = field(default_factory=list)
    imported: list[Imported] = field(default_factory=list)
    server_errors: list[dict] = field(default_factory=list)  # the first 5xx answers, with their text
    transport_errors: Counter = field(default_factory=Counter)
    problems: Counter = field(default_factory=Counter)  # answers that were not what the client expected
    failures: list[str] = field(default_factory=list)  # clients that stopped on an exception
    gave_up: int = 0
    stop_at: float = 0.0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.barrier = threading.Barrier(self.options.readers + self.options.writers + 1)

    # One request, timed and recorded.

    def request(self, client, kind: str, endpoint: str, method: str, url: str, **kwargs):
        import httpx

        t0 = time.perf_counter()
        try:
            response = client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            with self.lock:
                self.samples.append(Sample(kind, endpoint, 0, (time.perf_counter() - t0) * 1000))
                self.transport_errors[f"{endpoint}: {type(exc).__name__}"] += 1
            return None
        sample = Sample(kind, endpoint, response.status_code, (time.perf_counter() - t0) * 1000)
        with self.lock:
            self.samples.append(sample)
            if response.status_code >= 500 and len(self.server_errors) < 20:
                self.server_errors.append(
                    {"status": response.status_code, "method": method, "url": url, "text": response.text[:500]}
                )
        return response

    def expect(self, response, status: int, what: str) -> bool:
        if response is None:
            return False
        if response.status_code != status:
            if response.status_code < 500:  # 5xx are counted apart
                with self.lock:
                    self.problems[f"{what}: HTTP {response.status_code} {response.text[:120]}"] += 1
            return False
        return True

    def client(self, *, token: str | None = None, session: str | None = None):
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        cookies = {self.fixture.session_cookie: session} if session else {}
        return httpx.Client(base_url=self.base_url, headers=headers, cookies=cookies, timeout=90)

    # Readers.

    def reads(self, rng: Random) -> list[tuple[str, str, str, dict]]:
        """(kind, endpoint, url, headers) of each read, in the order a reader makes them."""
        f = self.fixture
        page = 1 if rng.random() < 0.5 else rng.randint(1, f.list_pages)
        bearer = {"Authorization": f"Bearer {f.reader_token}"}
        return [
            ("list", "incident list page", f"/incidents/?page={page}", {}),
            ("page", "retrospective page", f"/retrospectives/{f.retrospective_id}/", {}),
            ("page", "timeline page", f"/incidents/{f.incident_id}/timeline/", {}),
            ("api-list", "incidents API", f"/api/v1/incidents?page={page}", bearer),
            ("api-list", "events API", f"/api/v1/incidents/{f.incident_id}/events", bearer),
        ]

    def reader(self, index: int) -> None:
        rng = Random(index)
        with self.client(session=self.fixture.reader_sessions[index]) as client:
            for _kind, _endpoint, url, headers in self.reads(rng):  # warm up: not recorded
                client.get(url, headers=headers)
            self.barrier.wait()
            while True:
                for kind, endpoint, url, headers in self.reads(rng):
                    if time.perf_counter() >= self.stop_at:
                        return
                    response = self.request(client, kind, endpoint, "GET", url, headers=headers)
                    self.expect(response, 200, endpoint)

    # Writers.

    def read_section(self, client, key: str) -> int | None:
        url = f"/api/v1/retrospectives/{self.fixture.retrospective_id}/sections/{key}"
        response = self.request(client, "section-read", "section read", "GET", url)
        return response.json()["version"] if self.expect(response, 200, "section read") else None

    def save_section(self, client, rng: Random, writer: int, n: int) -> None:
        key = rng.choice(self.fixture.hot_keys)
        body = (
            f"Saved by writer {writer} ({n}, {secrets.token_hex(4)}).\n\n"
            f"* The pool ran dry after **{rng.randint(2, 90)} minutes**.\n* Rolling back restored service.\n"
        )
        url = f"/api/v1/retrospectives/{self.fixture.retrospective_id}/sections/{key}"
        for _ in range(SAVE_ATTEMPTS):
            version = self.read_section(client, key)  # first read, then re-read after each 409
            if version is None:
                return
            response = self.request(
                client, "section-save", "section save", "PUT", url, json={"body": body, "base_version": version}
            )
            if response is not None and response.status_code == 409:
                continue
            if self.expect(response, 200, "section save"):
                answer = response.json()
                if answer["version"] != version + 1 or answer["body"] != body:
                    with self.lock:
                        self.problems["section save: the answer is not the version and body saved"] += 1
                with self.lock:
                    self.saved.append(SavedSection(key, answer["version"], body))
            return
        with self.lock:
            self.gave_up += 1

    def timeline_file(self, writer: int, n: int) -> tuple[str, str, str, str]:
        """(source, file name, content, mapping): JSON lines and CSV in turn, 20 lines with times and names of their
        own, so that every event is new to the timeline."""
        start = self.fixture.incident_started + timedelta(minutes=writer * 7, seconds=n)
        times = [(start + timedelta(seconds=3 * i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ") for i in range(IMPORT_LINES)]
        name = f"writer{writer}-{n:05d}"
        if n % 2:
            lines = ["ts,message,service"]
            lines += [f'{t},"upstream timeout, line {i} of {name}",checkout' for i, t in enumerate(times)]
            return "csv", f"{name}.csv", "\n".join(lines) + "\n", "time=ts,text=message,actor=service"
        lines = [
            json.dumps({"ts": t, "msg": f"upstream timeout, line {i} of {name}", "service": "checkout"})
            for i, t in enumerate(times)
        ]
        return "jsonl", f"{name}.jsonl", "\n".join(lines) + "\n", ""

    def import_file(self, client, writer: int, n: int) -> None:
        source, name, content, mapping = self.timeline_file(writer, n)
        form = {"source": source, **({"mapping": mapping} if mapping else {})}
        response = self.request(
            client,
            "import",
            f"timeline import ({source})",
            "POST",
            f"/api/v1/incidents/{self.fixture.incident_id}/timeline/imports",
            data=form,
            files={"file": (name, content.encode(), "text/plain")},
        )
        if self.expect(response, 201, f"timeline import ({source})"):
            answer = response.json()
            if answer["added"] != IMPORT_LINES:
                with self.lock:
                    self.problems[f"timeline import: {answer['added']} events added of {IMPORT_LINES}"] += 1
            with self.lock:
                self.imported.append(Imported(answer["import_id"], answer["added"]))

    def writer(self, index: int) -> None:
        rng = Random(1000 + index)
        writer = index + 1
        with self.client(token=self.fixture.writer_tokens[index]) as client:
            client.get(f"/api/v1/retrospectives/{self.fixture.retrospective_id}")  # warm up: not recorded
            self.barrier.wait()
            n = 0
            while time.perf_counter() < self.stop_at:
                n += 1
                if rng.random() < IMPORT_SHARE:
                    self.import_file(client, writer, n)
                else:
                    self.save_section(client, rng, writer, n)

    def client_thread(self, body, index: int) -> None:
        try:
            body(index)
        except Exception as exc:
            with self.lock:
                self.failures.append(f"{body.__name__} {index}: {type(exc).__name__}: {exc}"[:500])
            self.barrier.abort()  # when it failed before the start, nobody waits for it

    def run(self) -> float:
        """Run every client for options.seconds after all have warmed up; the seconds it took, from the
        start to the last client's last answer."""
        threads = [
            threading.Thread(target=self.client_thread, args=(body, i), daemon=True)
            for body, count in ((self.reader, self.options.readers), (self.writer, self.options.writers))
            for i in range(count)
        ]
        self.stop_at = float("inf")
        for thread in threads:
            thread.start()
        try:
            self.barrier.wait(timeout=300)  # every client has warmed up
        except threading.BrokenBarrierError:
            self.stop_at = 0.0
            raise RuntimeError(f"a client failed before the start: {self.failures}") from None
        began = time.perf_counter()
        self.stop_at = began + self.options.seconds
        for thread in threads:
            thread.join(timeout=self.options.seconds + 300)
        return time.perf_counter() - began


# --- Checks after the run ------------------------------------------------------------------------------------


def lost_writes(fixture: Fixture, load: Load) -> dict:
    """Every save answered 2xx against the revision history, every import answered 201 against the events stored."""
    from django.db.models import Count

    from retrospector.timeline.models import TimelineEvent
    from retrospector.writeups.models import Revision, Section

    history = {
        (key, version): body
        for key, version, body in Revision.objects.filter(
            section__retrospective_id=fixture.retrospective_id, section__key__in=fixture.hot_keys
        ).values_list("section__key", "version", "body")
    }
    lost = [save for save in load.saved if history.get((save.key, save.version)) != save.body]
    stale = []  # a section whose text is not its latest revision's
    for section in Section.objects.filter(retrospective_id=fixture.retrospective_id, key__in=fixture.hot_keys):
        latest = max(version for key, version in history if key == section.key)
        if section.version != latest or section.body != history[(section.key, latest)]:
            stale.append(section.key)
    stored = dict(
        TimelineEvent.objects.filter(import_record_id__in=[i.import_id for i in load.imported])
        .values("import_record_id")
        .annotate(n=Count("id"))
        .values_list("import_record_id", "n")
    )
    short = [i for i in load.imported if stored.get(i.import_id, 0) != i.added]
    return {
        "lost_writes": len(lost),
        "lost_writes_first": [{"section": s.key, "version": s.version} for s in lost[:10]],
        "sections_not_at_their_latest_revision": stale,
        "imports_missing_events": len(short),
        "imports_missing_events_first": [i.import_id for i in short[:10]],
    }


LOGGED_FAILURE = re.compile(r"^(Internal Server Error|Service Unavailable)|\[(ERROR|CRITICAL)\]")


def logged_errors(text: str) -> list[dict]:
    """What the server logged about failures: Django's "Internal Server Error: /path" lines, the last line of each
    traceback (the exception), and gunicorn's own errors (a worker timing out...), counted."""
    found: Counter = Counter()
    in_traceback = False
    for line in text.splitlines():
        if line.startswith("Traceback"):
            in_traceback = True
        elif in_traceback and line.strip() and not line.startswith((" ", "\t")):
            found[line[:300]] += 1  # the exception, after the stack
            in_traceback = False
        elif LOGGED_FAILURE.search(line):
            found[re.sub(r"^\[[^]]*\] \[\d+\] ", "", line)[:300]] += 1
    return [{"line": line, "count": count} for line, count in found.most_common(15)]


# --- Figures -------------------------------------------------------------------------------------------------


def timing(values: list[float]) -> dict:
    if not values:
        return {"answered": 0}
    return {
        "answered": len(values),
        "p50_ms": round(percentile(values, 50), 1),
        "p95_ms": round(percentile(values, 95), 1),
        "max_ms": round(max(values), 1),
    }


def figures(load: Load, seconds: float) -> dict:
    samples = load.samples
    ok = [s for s in samples if 200 <= s.status < 400]
    errors_5xx = [s for s in samples if s.status >= 500]
    return {
        "seconds": round(seconds, 1),
        "requests": len(samples),
        "requests_per_second": round(len(samples) / seconds, 1),
        # p50/p95 of the answers that succeeded (409s, 5xx and transport errors are counted apart)
        "kinds": {kind: timing([s.ms for s in ok if s.kind == kind]) for kind in KINDS},
        "endpoints": {
            endpoint: timing([s.ms for s in ok if s.endpoint == endpoint])
            for endpoint in sorted({s.endpoint for s in samples})
        },
        "status_5xx": len(errors_5xx),
        "status_5xx_by_endpoint": dict(Counter(f"{s.endpoint}: HTTP {s.status}" for s in errors_5xx)),
        "status_5xx_first_answers": load.server_errors[:5],
        "conflicts_409": sum(1 for s in samples if s.status == 409),
        "sections_saved": len(load.saved),
        "saves_given_up_after_409s": load.gave_up,
        "imports": len(load.imported),
        "events_imported": sum(i.added for i in load.imported),
        "transport_errors": dict(load.transport_errors),
        "unexpected_answers": dict(load.problems.most_common(10)),
        "client_failures": load.failures,
    }


# --- One database, in a child process ------------------------------------------------------------------------


def run_here(options: Options) -> dict:
    """The whole run on the database the environment names (DATABASE_URL, else a throwaway SQLite file)."""
    database_url = os.environ.get("DATABASE_URL")
    var_dir = Path(tempfile.mkdtemp(prefix="retrospector-bench-mixed-"))
    prepare_environment(var_dir, database_url=database_url)
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection, connections

        vendor = connection.vendor
        # The server collects its static files and boots its workers meanwhile; it reads the database only when asked.
        # It shares this process's SECRET_KEY: the readers' sessions are made here.
        with Server(var_dir, workers=options.workers, secret_key=settings.SECRET_KEY) as server:
            log(f"mixed load on {vendor}: migrating, then the data")
            call_command("migrate", interactive=False, verbosity=0)
            fixture = build_fixture(options)
            connections.close_all()
            server.wait_ready()
            load = Load(server.base_url, fixture, options)
            log(f"mixed load on {vendor}: {options.readers} readers, {options.writers} writers, {options.seconds} s")
            server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
            seconds = load.run()
            client_cpu = time.process_time() - client_cpu
            server_cpu = server.cpu_seconds() - server_cpu if server_cpu is not None else None
            workers, threads = server.workers, server.threads
        requests = max(1, len(load.samples))
        report = {
            "database": vendor,
            "server": {"workers": workers, "threads": threads, "debug": False},
            "clients": {"readers": options.readers, "writers": options.writers},
            **figures(load, seconds),
            **lost_writes(fixture, load),
            "server_log_errors": logged_errors(server.log_text()),
            # The machine may be shared: CPU per request does not depend on what else it is doing, requests/s does.
            "server_cpu_ms_per_request": round(server_cpu * 1000 / requests, 1) if server_cpu is not None else None,
            "client_cpu_ms_per_request": round(client_cpu * 1000 / requests, 1),
            "load_average_1min_after": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        }
        log(
            f"mixed load on {vendor}: {report['requests_per_second']} req/s, {report['status_5xx']} 5xx, "
            f"{report['conflicts_409']} 409, {report['lost_writes']} lost writes"
        )
        return report
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        shutil.rmtree(var_dir, ignore_errors=True)


def run_child(options: Options, database_url: str | None) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SQLITE_PATH", "RETROSPECTOR_VAR_DIR", "DJANGO_SETTINGS_MODULE")
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    command = [sys.executable, "-m", "bench.mixed_load", "--child", json.dumps(asdict(options))]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        out, _ = process.communicate()
    finally:
        if process.poll() is None:  # we were interrupted: the child stops its server on SIGTERM
            process.terminate()
            process.wait(timeout=30)
    if process.returncode != 0:
        raise RuntimeError(f"the mixed load child exited with {process.returncode} (its output is above)")
    return json.loads(out)


def on_postgresql(options: Options, server_url: str) -> dict:
    """Create a database on the server, run there, drop it; a note instead when no server answers."""
    import psycopg

    parts = urlsplit(server_url)
    where = f"{parts.hostname}:{parts.port or 5432}"
    conninfo = server_url.replace("postgres://", "postgresql://", 1)
    try:
        admin = psycopg.connect(conninfo, autocommit=True, connect_timeout=3)
    except Exception as exc:
        log(f"mixed load on PostgreSQL skipped: nothing answers at {where}")
        return {"skipped": f"PostgreSQL unreachable at {where}: {str(exc).strip()[:300]}"}
    name = f"retrospector_bench_{secrets.token_hex(4)}"
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        return run_child(options, parts._replace(path=f"/{name}").geturl())
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def run(
    options: Options | None = None, databases: tuple[str, ...] = DATABASES, *, postgres_url: str = POSTGRES_URL
) -> dict:
    """The mixed load on each database, each in a child process (this process's Django settings, if any, play no
    part); on PostgreSQL in a database created on the server at postgres_url, and dropped afterwards."""
    options = options or Options()
    report: dict = {"options": asdict(options)}
    for database in databases:
        if database == "sqlite":
            report["sqlite"] = run_child(options, None)
        elif database == "postgresql":
            report["postgresql"] = on_postgresql(options, postgres_url)
        else:
            raise ValueError(f"unknown database {database!r}: use sqlite or postgresql")
    ran = [report[db] for db in databases if "skipped" not in report[db]]
    observed = {
        "mixed_load_5xx": sum(r["status_5xx"] for r in ran),
        "mixed_load_lost_writes": sum(r["lost_writes"] + r["imports_missing_events"] for r in ran),
    }
    report.update(
        targets=TARGETS,
        observed=observed,
        met={name: observed[name] <= TARGETS[name] for name in TARGETS},
    )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mixed_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=None, help="server workers (default: as `serve` chooses)")
    parser.add_argument("--databases", default=",".join(DATABASES), help="comma-separated: sqlite,postgresql")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        # Turn a plain `kill` into an exception, so that the finally blocks stop the server and remove the files.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
        print(json.dumps(run_here(Options(**json.loads(args.child)))))
        return 0
    options = Options(
        seconds=args.seconds,
        readers=args.readers,
        writers=args.writers,
        incidents=args.incidents,
        workers=args.workers,
    )
    databases = tuple(db.strip() for db in args.databases.split(",") if db.strip())
    print(json.dumps(run(options, databases), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
