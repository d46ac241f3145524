"""Every way of pointing Retrospector at SQLite gets the same connection options: WAL, a busy timeout and immediate
transactions (without them concurrent saves fail with "database is locked"); PostgreSQL gets a lock timeout as long as
SQLite's busy timeout. The settings are read by a fresh process with each configuration's environment, the way the
server reads them."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Reads the settings once per configuration (argv[1]: name -> environment), then connects with the last one.
SHOW = """
import json, os, runpy, sys
configurations = json.loads(sys.argv[1])
read = {}
for name, env in configurations.items():
    for variable in ("DATABASE_URL", "SQLITE_PATH"):
        os.environ.pop(variable, None)
    os.environ.update(env)
    read[name] = runpy.run_module("retrospector.settings")["DATABASES"]["default"]
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    (journal,) = cursor.fetchone()
    cursor.execute("PRAGMA busy_timeout")
    (busy_ms,) = cursor.fetchone()
print(json.dumps({"read": read, "connected": {"name": str(connection.settings_dict["NAME"]), "journal": journal,
                                              "busy_ms": busy_ms}}, default=str))
"""


def in_a_fresh_process(code: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Runs `code` in a new Python reading retrospector.settings with only `env` (plus what finds the code) set."""
    base = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "DJANGO_SETTINGS_MODULE": "retrospector.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=REPO, env=base | env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result


def test_every_sqlite_configuration_gets_the_same_options_and_postgresql_a_lock_timeout(tmp_path):
    by_path, by_url = tmp_path / "by-path.sqlite3", tmp_path / "by-url.sqlite3"
    configurations = {
        "PostgreSQL": {"DATABASE_URL": "postgres://retro@127.0.0.1:5432/retro"},  # read, never connected to
        "SQLITE_PATH": {"SQLITE_PATH": str(by_path)},
        "DATABASE_URL": {"DATABASE_URL": f"sqlite:///{by_url}"},  # last: the one connected to
    }
    env = {"RETROSPECTOR_TESTING": "1", "RETROSPECTOR_VAR_DIR": str(tmp_path / "var")}
    result = in_a_fresh_process(SHOW, json.dumps(configurations), env=env)
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    read = shown["read"]

    assert (read["SQLITE_PATH"]["NAME"], read["DATABASE_URL"]["NAME"]) == (str(by_path), str(by_url))
    assert read["DATABASE_URL"].get("OPTIONS") == read["SQLITE_PATH"].get("OPTIONS")
    assert read["DATABASE_URL"].get("OPTIONS", {}).get("transaction_mode") == "IMMEDIATE"
    # Every configuration keeps its connections between requests (a new SQLite connection re-reads the schema).
    assert {read[name].get("CONN_MAX_AGE") for name in configurations} == {60}
    assert all(read[name].get("CONN_HEALTH_CHECKS") for name in configurations)
    # And the DATABASE_URL connection really runs with them.
    assert shown["connected"]["name"] == str(by_url)
    assert shown["connected"]["journal"] == "wal"
    assert shown["connected"]["busy_ms"] >= 5000
    # PostgreSQL waits for a lock as long as SQLite does, then gives up (a 503), instead of until the server's timeout.
    assert f"-c lock_timeout={shown['connected']['busy_ms']}" in read["PostgreSQL"].get("OPTIONS", {}).get(
        "options", ""
    )


def test_postgresql_connections_give_up_on_a_lock_after_the_lock_timeout(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (the PostgreSQL run)")
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        (lock_timeout,) = cursor.fetchone()
    assert lock_timeout == "20s"


def test_pages_render_in_production_mode_when_static_files_are_served_from_the_package(tmp_path):
    """WHITENOISE_USE_FINDERS=1 with DEBUG off: nothing is collected, so no page may ask for the collected manifest
    (every page answered 500 'Missing staticfiles manifest entry')."""
    code = (
        "import django; django.setup()\n"
        "from django.core.management import call_command; call_command('migrate', verbosity=0)\n"
        "from django.test import Client\n"
        "response = Client().get('/login/')\n"
        "print(response.status_code, 'favicon' in response.content.decode())\n"
    )
    result = in_a_fresh_process(
        code,
        env={
            "SECRET_KEY": "a-key-for-this-test-only-0123456789-abcdefghijklmnop",
            "ALLOWED_HOSTS": "testserver",
            "WHITENOISE_USE_FINDERS": "1",
            "RETROSPECTOR_VAR_DIR": str(tmp_path / "var"),
        },
    )
    assert result.stdout.split() == ["200", "True"]
