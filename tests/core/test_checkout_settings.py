"""A development checkout's settings: `make run` writes var/retrospector.env (`retrospector devenv`) and every command
run in the checkout reads it, the environment winning; a missing or wrong setting is one line, never a traceback."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from retrospector.core.envfile import EnvFileError, devenv_write, env_file_apply, env_file_read

REPO = Path(__file__).resolve().parents[2]
PD_TRIGGERED = REPO / "tests" / "fixtures" / "pagerduty" / "zulip-webhook-fixtures" / "triggered_v3.json"


def retrospector(*args, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """The `retrospector` command as a user runs it in `cwd`: none of the test run's settings, only `env`."""
    return subprocess.run(
        [sys.executable, "-m", "retrospector", *[str(a) for a in args]],
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def readme_import(incident_id: int) -> list:
    return ["timeline", "import", incident_id, "--source", "pagerduty", PD_TRIGGERED, "--dry-run", "--format", "json"]


def test_commands_run_in_a_checkout_use_the_settings_make_run_wrote(make_incident, tmp_path):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("a checkout's database is SQLite in its var folder; the test copies the test run's into one")
    incident = make_incident()
    checkout = tmp_path / "checkout"
    (checkout / "var").mkdir(parents=True)
    with sqlite3.connect(checkout / "var" / "retrospector.sqlite3") as copy:  # this test's data, incident included
        copy.executescript("\n".join(connection.connection.iterdump()))

    refused = retrospector(*readme_import(incident.pk), cwd=checkout)
    assert refused.returncode == 1 and refused.stdout == ""
    assert one_line(refused.stderr).startswith("retrospector: SECRET_KEY must be set when DEBUG is off")
    assert "`make run`" in refused.stderr and "var/retrospector.env" in refused.stderr

    made = retrospector("devenv", cwd=checkout)
    assert made.returncode == 0, made.stderr
    assert "var/retrospector.env" in made.stdout and "DEBUG=1" in made.stdout
    assert env_file_read(checkout / "var" / "retrospector.env")["DEBUG"] == "1"

    imported = retrospector(*readme_import(incident.pk), cwd=checkout)
    assert imported.returncode == 0, imported.stderr
    events = json.loads(imported.stdout)
    assert events and {event["source"]["type"] for event in events} == {"pagerduty"}

    missing = retrospector(*readme_import(incident.pk + 1000), cwd=checkout)
    assert missing.returncode == 1 and missing.stdout == ""
    assert one_line(missing.stderr) == f"CommandError: No incident #{incident.pk + 1000}."


@pytest.mark.parametrize(
    "command",
    [
        readme_import(13),
        ["serve"],
        ["worker"],
        ["migrate"],
    ],
    ids=["timeline import", "serve", "worker", "migrate"],
)
def test_without_a_secret_key_every_command_refuses_in_one_line_and_starts_nothing(tmp_path, command):
    """Production as it is before it is configured: no settings file, DEBUG off, no SECRET_KEY."""
    result = retrospector(*command, cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    line = one_line(result.stderr)
    assert line.startswith("retrospector: SECRET_KEY must be set when DEBUG is off: set it in the environment")
    assert list(tmp_path.iterdir()) == []  # not even a var folder


@pytest.mark.parametrize(
    "env, file_text, expected",
    [
        (
            {"DEBUG": "1", "TIMELINE_IMPORT_INLINE_BYTES": "lots"},
            None,
            "TIMELINE_IMPORT_INLINE_BYTES must be a whole number, not 'lots'.",
        ),
        (
            {"DEBUG": "1", "EMAIL_URL": "smtp+tls://retro:hunter22@mail.example.com:twenty-five"},
            None,
            "EMAIL_URL: smtp+tls: the port must be a number from 1 to 65535.",
        ),
        ({"DEBUG": "1", "DATABASE_URL": "postgress://retro:hunter22@db/retro"}, None, "DATABASE_URL: Scheme"),
        ({}, "DEBUG=1\nSECRET_KEY=k\nDATABASE_URL postgres://db/retro\n", "var/retrospector.env:3: expected"),
    ],
    ids=["a number", "a mail URL", "a database URL", "a line of the settings file"],
)
def test_a_wrong_setting_is_one_line_naming_it(tmp_path, env, file_text, expected):
    if file_text is not None:
        (tmp_path / "var").mkdir()
        (tmp_path / "var" / "retrospector.env").write_text(file_text)
    result = retrospector("migrate", cwd=tmp_path, **env)
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith(f"retrospector: {expected}"), line
    assert "hunter22" not in line  # a password in a URL is never printed


def test_make_run_writes_the_checkout_settings_once_and_keeps_its_key(tmp_path):
    environ = {"RETROSPECTOR_VAR_DIR": str(tmp_path / "var")}
    path, first = devenv_write(environ)
    assert path == tmp_path / "var" / "retrospector.env"
    assert first["DEBUG"] == "1" and len(first["SECRET_KEY"]) >= 50
    assert "DATABASE_URL" not in first and "SQLITE_PATH" not in first  # SQLite in the var folder
    assert path.stat().st_mode & 0o777 == 0o600  # it holds the key
    _, again = devenv_write(environ)
    assert again == first == env_file_read(path)
    assert list(path.parent.iterdir()) == [path]  # nothing half-written left behind


def test_an_older_checkout_keeps_the_key_its_sessions_were_signed_with(tmp_path):
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "secret_key").write_text("the-key-of-an-older-make-run\n")
    _, values = devenv_write({"RETROSPECTOR_VAR_DIR": str(tmp_path / "var")})
    assert values["SECRET_KEY"] == "the-key-of-an-older-make-run"


def test_make_run_records_the_database_it_was_given_and_keeps_lines_you_added(tmp_path):
    environ = {"RETROSPECTOR_VAR_DIR": str(tmp_path / "var")}
    path, values = devenv_write(environ | {"DATABASE_URL": "postgres://retro@db/retro"})
    with path.open("a") as stream:
        stream.write("ALLOWED_HOSTS=retro.local\n")
    _, again = devenv_write(environ)  # a later `make run` without it: the checkout keeps its database
    assert again["DATABASE_URL"] == "postgres://retro@db/retro"
    assert again["ALLOWED_HOSTS"] == "retro.local" and again["SECRET_KEY"] == values["SECRET_KEY"]
    _, moved = devenv_write(environ | {"SQLITE_PATH": "/srv/retro.sqlite3"})  # another one given: only that one
    assert moved["SQLITE_PATH"] == "/srv/retro.sqlite3" and "DATABASE_URL" not in moved
    assert moved["ALLOWED_HOSTS"] == "retro.local"


def test_the_environment_wins_over_the_settings_file(tmp_path):
    path = tmp_path / "retrospector.env"
    path.write_text("# a comment\n\nDEBUG=1\nexport SECRET_KEY='from the file'\nLOG_LEVEL = \"INFO\"\n")
    environ = {"DEBUG": "0"}
    applied = env_file_apply(path, environ)
    assert environ == {"DEBUG": "0", "SECRET_KEY": "from the file", "LOG_LEVEL": "INFO"}
    assert applied == {"SECRET_KEY": "from the file", "LOG_LEVEL": "INFO"}
    assert env_file_apply(tmp_path / "absent.env", environ) == {}


def test_a_line_of_the_settings_file_that_is_not_name_value_is_named_with_its_number(tmp_path):
    path = tmp_path / "retrospector.env"
    path.write_text("DEBUG=1\n\nSECRET_KEY: abc\n")
    with pytest.raises(EnvFileError, match=r"retrospector\.env:3: expected NAME=value, not 'SECRET_KEY: abc'"):
        env_file_read(path)
