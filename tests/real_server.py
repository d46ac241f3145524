"""A real `retrospector serve` for the tests that talk to one over HTTP, as an administrator runs it: gunicorn and
whitenoise in production mode (DEBUG off, no test mode), in its own process group, on a database of its own.

    env = production_env(var_dir, database_url)
    data = run_setup(env, SCRIPT)            # migrations, data: the script prints one JSON line last
    with serving(env, root / "server.log") as server:
        httpx.get(f"{server.base}/healthz")

fresh_database_url() gives that database: a SQLite file, or, when the test run itself is on PostgreSQL (DATABASE_URL),
a new PostgreSQL database dropped afterwards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import pytest

from bench.common import free_port  # the bench's real-server runs pick their port the same way

REPO = Path(__file__).resolve().parents[1]


def production_env(var_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    """What an administrator sets, and nothing from the test run (its RETROSPECTOR_TESTING, its DATABASE_URL)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO),
        "DJANGO_SETTINGS_MODULE": "retrospector.settings",
        "RETROSPECTOR_VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "real-server-test-" + os.urandom(16).hex(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "0",
        "LOG_LEVEL": "ERROR",
        **extra,
    }


def postgres_url() -> str | None:
    """The PostgreSQL server the test run uses, if it runs on PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else None


@contextmanager
def fresh_database_url(root: Path) -> Iterator[str]:
    """A database no one else uses: a SQLite file in root, or a new database on the run's PostgreSQL server (dropped
    when done; the test run's own test database is in use by the tests, inside their transactions)."""
    url = postgres_url()
    if not url:
        yield f"sqlite:///{root / 'retrospector.sqlite3'}"
        return
    import psycopg

    name = f"retrospector_server_{uuid.uuid4().hex[:12]}"
    admin = url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_setup(env: dict[str, str], script: str, *, timeout: float = 180) -> dict:
    """Run a Python script in `retrospector shell` with the server's environment; it prints a JSON object last."""
    setup = subprocess.run(
        [sys.executable, "-m", "retrospector", "shell", "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert setup.returncode == 0, setup.stderr
    return json.loads(setup.stdout.strip().splitlines()[-1])


@dataclass
class RunningServer:
    base: str
    process: subprocess.Popen
    log: IO[str]

    def log_text(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()


@contextmanager
def serving(
    env: dict[str, str], log_path: Path, *, workers: int = 2, threads: int = 8, timeout: float = 60
) -> Iterator[RunningServer]:
    """`retrospector serve` on a free port, ready (it answered /healthz); stopped, with its workers, when done."""
    port = free_port()
    log = log_path.open("w+")
    command = [sys.executable, "-m", "retrospector", "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", str(workers), "--threads", str(threads)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = RunningServer(base=f"http://127.0.0.1:{port}", process=process, log=log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{server.log_text()[-3000:]}")
            try:
                if httpx.get(f"{server.base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"the server did not answer /healthz within {timeout:.0f} s"
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # our own test server's process group: no need to wait for it
            process.wait(timeout=10)
        log.close()
