"""The real server, as an administrator runs it: `retrospector serve` (gunicorn, whitenoise) in production mode (DEBUG
off, no test mode), its first start with an empty var folder, its database given as DATABASE_URL=sqlite:... .

One server for the module: starting it (migrations included) takes a few seconds."""

import re
import sqlite3
import threading
import time

import httpx
import pytest

from tests.real_server import REPO, production_env, run_setup, serving

WRITERS = 16

SETUP = """
import json
from django.core.management import call_command
call_command("migrate", verbosity=0)
from retrospector.accounts.models import Membership, User
from retrospector.accounts.services import organization_create, team_create, token_create
from retrospector.incidents.models import SeverityLevel
from retrospector.incidents.services import incident_create, severity_levels_ensure_defaults
from retrospector.writeups.models import Template
from retrospector.writeups.services import retrospective_start
from django.utils import timezone
org = organization_create(name="Acme", slug="acme")
severity_levels_ensure_defaults(organization=org)
team = team_create(organization=org, name="Payments", slug="payments")
alice = User.objects.create_user(username="alice", organization=org)
Membership.objects.create(team=team, user=alice, role="admin")
incident = incident_create(
    by=alice, team=team, title="Checkout errors", severity=SeverityLevel.objects.get(organization=org, key="SEV2"),
    visibility="organization", started_at=timezone.now(),
)
postmortem = Template.objects.get(key="postmortem", organization=None)
retrospective = retrospective_start(incident=incident, template=postmortem, by=alice)
first = retrospective.sections.order_by("position").first()
_, raw = token_create(user=alice, name="load")
section = {"key": first.key, "id": first.pk, "version": first.version}
print(json.dumps({"token": raw, "retrospective": retrospective.pk, "section": section}))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("real-server")
    var_dir = root / "var"
    var_dir.mkdir()
    database = root / "retrospector.sqlite3"  # outside the var folder: that stays empty until the server starts
    env = production_env(var_dir, f"sqlite:///{database}")
    data = run_setup(env, SETUP, timeout=120)
    assert not any(var_dir.iterdir()), "the var folder is still empty when the server starts"
    with serving(env, root / "server.log") as running:
        yield {"base": running.base, "database": database, "log": running.log, **data}


def test_the_first_start_with_an_empty_var_folder_serves_the_stylesheet(server):
    login = httpx.get(f"{server['base']}/login/", timeout=10)
    assert login.status_code == 200
    (href,) = re.findall(r'<link rel="stylesheet" href="([^"]+)"', login.text)
    assert href.startswith("/static/app/retrospector.") and href.endswith(".css")  # the manifest's hashed name

    stylesheet = httpx.get(f"{server['base']}{href}", timeout=10)

    assert stylesheet.status_code == 200, f"{href}: HTTP {stylesheet.status_code}"
    assert stylesheet.headers["content-type"].startswith("text/css")
    assert stylesheet.text == (REPO / "retrospector/static/app/retrospector.css").read_text()


def test_concurrent_saves_of_one_section_on_a_database_url_sqlite_file_all_land(server):
    """Writers save one section at the same moment, each once. A save that met a newer version (409) or a busy
    database (503 with Retry-After) is sent again from the latest version, so each round the remaining writers race
    again: no other answer, and every save is one revision, none lost."""
    section = server["section"]
    url = f"{server['base']}/api/v1/retrospectives/{server['retrospective']}/sections/{section['key']}"
    headers = {"Authorization": f"Bearer {server['token']}"}
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(WRITERS)

    def write(writer: int) -> None:
        with httpx.Client(headers=headers, timeout=30) as client:
            version = section["version"]
            barrier.wait(timeout=30)
            for _ in range(4 * WRITERS):  # bounded: each round one writer gets through
                response = client.put(url, json={"body": f"Writer {writer} was here.", "base_version": version})
                with lock:
                    statuses.append(response.status_code)
                if response.status_code == 409:
                    version = response.json()["current"]["version"]
                elif response.status_code == 503:
                    assert response.headers["Retry-After"].isdigit()
                    time.sleep(0.05)
                else:
                    return

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    unexpected = sorted(status for status in statuses if status not in (200, 409, 503))
    assert unexpected == [], f"statuses other than 200, 409 and 503: {unexpected} (of {len(statuses)})"
    # With a busy timeout and immediate transactions the writers queue for the lock: none is even asked to retry.
    assert statuses.count(503) == 0, f"{statuses.count(503)} of {len(statuses)} saves were told the database was busy"
    assert statuses.count(200) == WRITERS
    with sqlite3.connect(server["database"]) as db:
        saved = db.execute(
            "SELECT body FROM writeups_revision WHERE section_id = ? AND version > ?",
            [section["id"], section["version"]],
        )
        bodies = sorted(body for (body,) in saved)
        (version,) = db.execute("SELECT version FROM writeups_section WHERE id = ?", [section["id"]]).fetchone()
    assert bodies == sorted(f"Writer {i} was here." for i in range(WRITERS))
    assert version == section["version"] + WRITERS
