"""Every way of pointing Retrospector at SQLite gets the same connection options: WAL, a busy timeout and immediate
transactions (without them concurrent saves fail with "database is locked"). The settings are read by a fresh process
with each configuration's environment, the way the server reads them."""

import json
import subprocess
import sys
from pathlib import Path

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


def test_a_database_url_for_sqlite_gets_the_same_options_as_the_default_file(tmp_path):
    by_path, by_url = tmp_path / "by-path.sqlite3", tmp_path / "by-url.sqlite3"
    configurations = {
        "SQLITE_PATH": {"SQLITE_PATH": str(by_path)},
        "DATABASE_URL": {"DATABASE_URL": f"sqlite:///{by_url}"},
    }
    result = subprocess.run(
        [sys.executable, "-c", SHOW, json.dumps(configurations)],
        cwd=REPO,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(REPO),
            "DJANGO_SETTINGS_MODULE": "retrospector.settings",
            "RETROSPECTOR_TESTING": "1",
            "RETROSPECTOR_VAR_DIR": str(tmp_path / "var"),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    read = shown["read"]

    assert (read["SQLITE_PATH"]["NAME"], read["DATABASE_URL"]["NAME"]) == (str(by_path), str(by_url))
    assert read["DATABASE_URL"].get("OPTIONS") == read["SQLITE_PATH"].get("OPTIONS")
    assert read["DATABASE_URL"].get("OPTIONS", {}).get("transaction_mode") == "IMMEDIATE"
    # And the DATABASE_URL connection really runs with them.
    assert shown["connected"]["name"] == str(by_url)
    assert shown["connected"]["journal"] == "wal"
    assert shown["connected"]["busy_ms"] >= 5000
