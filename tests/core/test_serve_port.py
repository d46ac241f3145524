"""`retrospector serve` and `make run` check the address before they print where they serve: a busy port is one line
naming it and how to pick another, and `make run` leaves no worker behind when its server stops."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def busy_port(*, listening: bool = True):
    """A port on 127.0.0.1 held by this test, as another server would hold it."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        if listening:
            holder.listen()
        yield holder.getsockname()[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_on_a_busy_port_says_which_and_how_to_pick_another_instead_of_serving(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO),
        "RETROSPECTOR_VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": "a-key-for-this-test-only-0123456789-abcdefghijklmnop",
        "DEBUG": "0",
    }
    with busy_port() as port:
        result = subprocess.run(
            [sys.executable, "-m", "retrospector", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1 and "serving on" not in result.stdout
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"CommandError: Port {port} on 127.0.0.1 is already in use"), line
    other = int(re.search(r"`make run PORT=(\d+)`", line)[1])
    assert other != port and f"`retrospector serve --port {other}`" in line


@pytest.mark.parametrize("listening", [True, False], ids=["listening", "only bound"])
def test_check_port_refuses_a_port_another_program_holds(listening):
    with busy_port(listening=listening) as port, pytest.raises(CommandError, match=f"Port {port} on 127.0.0.1 is"):
        call_command("serve", "--check-port", "--port", str(port))


def test_check_port_on_a_free_port_says_nothing_and_serves_nothing(capsys):
    call_command("serve", "--check-port", "--host", "127.0.0.1", "--port", str(free_port()))
    assert capsys.readouterr().out == ""


def test_an_address_this_machine_does_not_have_is_named():
    with pytest.raises(CommandError, match=r"Cannot listen on 192\.0\.2\.1: not an address of this machine"):
        call_command("serve", "--check-port", "--host", "192.0.2.1", "--port", str(free_port()))


@pytest.mark.parametrize("port", ["0", "65536", "eighty"])
def test_a_port_that_is_not_a_port_number_is_refused(port):
    with pytest.raises(CommandError, match=f"a port number from 1 to 65535 .* not '{port}'"):
        call_command("serve", "--check-port", "--port", port)


# `make run` with a stand-in for the virtualenv's `retrospector`: the real command for `devenv` and the port check,
# a worker that would sleep for a minute, a server that fails as soon as the worker is up; every call logged.
STAND_IN = """#!/bin/sh
echo "$*" >> "$CALLS"
case "$1" in
  devenv) exec "$PYTHON" -m retrospector "$@" ;;
  serve)
    case "$*" in *--check-port*) exec "$PYTHON" -m retrospector "$@" ;; esac
    for _ in $(seq 200); do [ -s "$WORKER_PID" ] && break; sleep 0.05; done
    exit 1 ;;
  worker) echo $$ > "$WORKER_PID"; exec sleep 60 ;;
  *) exit 0 ;;
esac
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits to be collected


@pytest.fixture
def make_run(tmp_path):
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    command = tmp_path / "venv" / "bin" / "retrospector"
    command.parent.mkdir(parents=True)
    command.write_text(STAND_IN)
    command.chmod(0o755)
    calls, worker_pid = tmp_path / "calls.log", tmp_path / "worker.pid"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(REPO),
        "PYTHON": sys.executable,
        "RETROSPECTOR_VAR_DIR": str(tmp_path / "var"),
        "CALLS": str(calls),
        "WORKER_PID": str(worker_pid),
    }

    def run(port: int) -> tuple[subprocess.CompletedProcess, list[str]]:
        # -o: the stand-in counts as installed, so make never builds a virtualenv here.
        result = subprocess.run(
            ["make", "-s", "-C", str(REPO), "-o", str(command), "run", f"VENV={tmp_path / 'venv'}", f"PORT={port}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return result, calls.read_text().splitlines()

    run.worker_pid = worker_pid
    yield run
    if worker_pid.exists() and alive(pid := int(worker_pid.read_text())):
        os.kill(pid, 9)  # only if the test failed: the stand-in worker this test started


def test_make_run_on_a_busy_port_says_how_to_pick_another_and_starts_nothing(make_run, tmp_path):
    with busy_port() as port:
        result, calls = make_run(port)
    assert result.returncode != 0
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr and "`make run PORT=" in result.stderr
    assert "Traceback" not in result.stderr and "Retrospector: http" not in result.stdout
    assert calls == ["devenv", f"serve --host 127.0.0.1 --port {port} --check-port"]  # no migrate, worker or server
    assert (tmp_path / "var" / "retrospector.env").is_file()


def test_make_run_stops_its_worker_when_the_server_fails(make_run):
    result, calls = make_run(free_port())
    assert result.returncode != 0
    assert [call.split()[0] for call in calls[:4]] == ["devenv", "serve", "migrate", "demo"]
    assert sorted(calls[4:]) == ["serve --host 127.0.0.1 --port " + calls[1].split()[4], "worker"]
    pid = int(make_run.worker_pid.read_text())
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid), "the worker outlived the server"
