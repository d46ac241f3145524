"""Shared fixtures: one organization, two teams, people with different roles (alice, bob, charlie, dana); a real
server with the demo loaded (demo_server)."""

import copy
import os
from datetime import UTC, datetime, timedelta

import pytest

from tests.real_server import fresh_database_url, production_env, run_setup, serving


def pytest_configure(config):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return
    try:
        import psycopg

        psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=3).close()
    except Exception as exc:
        if os.environ.get("RETROSPECTOR_REQUIRE_DB") or os.environ.get("CI") == "true":
            raise pytest.UsageError(f"PostgreSQL at {url} is unreachable: {exc}") from exc
        pytest.exit(f"PostgreSQL unreachable ({exc}); PostgreSQL run skipped.", returncode=0)


DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


def pytest_collection_modifyitems(config, items):
    """Tests marked no_database (pure Python: parsers, the write-up checker, Markdown) or layout (a page's layout at a
    screen size) are the same on either database: the PostgreSQL run skips them, so `make test` runs them once.
    pytest-django refuses any database access in a no_database test; asking for a database fixture is refused here."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    for item in items:
        if on_postgres and item.get_closest_marker("layout") is not None:
            # What a browser test of layout checks (a page at a phone's or a laptop's width) is CSS, not data.
            item.add_marker(pytest.mark.skip(reason="layout at a screen size: run once, on the SQLite run"))
        if item.get_closest_marker("no_database") is None:
            continue
        if item.get_closest_marker("django_db") or DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            raise pytest.UsageError(f"{item.nodeid} is marked no_database but uses the database")
        if on_postgres:
            item.add_marker(pytest.mark.skip(reason="no database: run once, on the SQLite run"))


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: database rows are rolled back between tests (and SQLite reuses ids), so a
    value cached by one test must not be served to the next."""
    from django.core.cache import cache

    cache.clear()
    yield


def run_worker_command(*args: str) -> None:
    """`retrospector worker --batch`: run what is queued, then return. db_worker sets signal handlers and its loggers'
    levels for the whole process: they are put back for the tests after this."""
    import logging
    import signal

    from django.core.management import call_command

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    loggers = {name: logging.getLogger(name).level for name in ("django_tasks", "django_tasks_db")}
    try:
        call_command("worker", "--batch", *args)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        for name, level in loggers.items():
            logging.getLogger(name).setLevel(level)


@pytest.fixture
def committing():
    """`with committing():` marks a commit inside the test's transaction: on leaving the block, the on-commit
    callbacks waiting (those of the block, and of what the test saved before it) run and are forgotten, as a commit
    runs them. Unlike django_capture_on_commit_callbacks(execute=True), which leaves them waiting, it lets what runs
    once per transaction (the insights' version bump) run again for the next block, as for the next request."""
    from contextlib import contextmanager

    from django.db import connection

    @contextmanager
    def block():
        yield
        while connection.run_on_commit:
            waiting = list(connection.run_on_commit)
            connection.run_on_commit.clear()
            for _, callback, _ in waiting:
                callback()

    return block


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup, django_db_blocker):
    """The demo, loaded once for a module's tests (`retrospector demo` takes seconds): inside a transaction opened
    here and rolled back when the module is done. Each test runs in its own transaction nested in it (the `db`
    fixture), so what one test changes is undone before the next, and nothing is left for the next module. Not for
    transactional tests (transaction=True), which commit and flush."""
    import io

    from django.core.management import call_command
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        with django_db_blocker.unblock():
            call_command("demo", stdout=io.StringIO(), stderr=io.StringIO())
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def builtin_templates_put_back(django_db_blocker):
    """For modules with transactional tests (transaction=True): their flush empties every table, including the
    built-in templates a data migration made; put them back when the module is done, for whatever runs next.
    (Not serialized_rollback: once another transactional test's flush has recreated the content types, restoring
    the serialized ones collides with them, depending on the order the tests ran in.)"""
    yield
    from retrospector.writeups.services import builtin_templates_sync

    with django_db_blocker.unblock():
        builtin_templates_sync()


@pytest.fixture
def org(db):
    from retrospector.accounts.services import organization_create
    from retrospector.incidents.services import severity_levels_ensure_defaults

    organization = organization_create(name="Acme", slug="acme")
    severity_levels_ensure_defaults(organization=organization)
    return organization


def make_user(org, username, *, org_admin=False, time_zone="UTC"):
    from retrospector.accounts.models import User

    user = User(
        username=username,
        organization=org,
        is_org_admin=org_admin,
        time_zone=time_zone,
        full_name=username.capitalize(),
        email=f"{username}@example.com",
    )
    user.set_password("pw")
    user.save()
    return user


@pytest.fixture
def people(org):
    """alice: admin of payments; bob: member of payments; charlie: member of platform; dana: viewer of payments;
    erin: in no team; oscar: organization admin."""
    from retrospector.accounts.models import Membership
    from retrospector.accounts.services import team_create

    payments = team_create(organization=org, name="Payments", slug="payments")
    platform = team_create(organization=org, name="Platform", slug="platform")
    users = {name: make_user(org, name) for name in ("alice", "bob", "charlie", "dana", "erin")}
    users["oscar"] = make_user(org, "oscar", org_admin=True)
    Membership.objects.create(team=payments, user=users["alice"], role="admin")
    Membership.objects.create(team=payments, user=users["bob"], role="member")
    Membership.objects.create(team=payments, user=users["dana"], role="viewer")
    Membership.objects.create(team=platform, user=users["charlie"], role="member")
    users["payments"] = payments
    users["platform"] = platform
    return users


START = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)


@pytest.fixture
def make_incident(people):
    from retrospector.incidents.models import SeverityLevel
    from retrospector.incidents.services import incident_create

    def make(*, team="payments", title="Checkout errors", visibility="organization", by="alice", **extra):
        team_obj = people[team]
        severity = SeverityLevel.objects.get(organization=team_obj.organization, key=extra.pop("severity", "SEV2"))
        author = people[by] if team == "payments" or by != "alice" else people["charlie"]
        defaults = dict(started_at=START, detected_at=START + timedelta(minutes=5))
        defaults.update(extra)
        return incident_create(
            by=author, team=team_obj, title=title, severity=severity, visibility=visibility, **defaults
        )

    return make


@pytest.fixture
def make_retrospective(people):
    from retrospector.writeups.models import Template
    from retrospector.writeups.services import retrospective_start

    def make(incident, *, template="postmortem", by=None):
        author = by or (people["alice"] if incident.team.slug == "payments" else people["charlie"])
        return retrospective_start(
            incident=incident, template=Template.objects.get(key=template, organization=None), by=author
        )

    return make


@pytest.fixture
def client_for(client, people):
    from django.test import Client

    def make(name):
        c = Client()
        c.force_login(people[name])
        return c

    return make


# A real server with the demo organization, for the tests that use the API from outside, as a script would
# (tests/api/test_api_contract.py, tests/api/test_api_generated_client.py).
DEMO_WITH_A_TOKEN = """
import json
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("demo", verbosity=0)
from retrospector.accounts.models import User
from retrospector.accounts.services import token_create
_, raw = token_create(user=User.objects.get(username="alice"), name="contract")
print(json.dumps({"token": raw}))
"""


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory):
    """`retrospector serve` on a database of its own (SQLite, or a new PostgreSQL database on a PostgreSQL run) with
    the demo loaded, and a token of alice, the demo's organization admin. Wrong tokens are not throttled: Schemathesis
    sends some on purpose (it checks that they are refused), far more than a person would."""
    root = tmp_path_factory.mktemp("demo-server")
    var_dir = root / "var"
    var_dir.mkdir()
    with fresh_database_url(root) as database_url:
        env = production_env(var_dir, database_url, LOGIN_THROTTLE_FREE_TRIES_PER_ADDRESS="1000000")
        data = run_setup(env, DEMO_WITH_A_TOKEN)
        with serving(env, root / "server.log") as server:
            yield {"base": server.base, "token": data["token"], "server": server, "root": root}


@pytest.fixture(scope="session")
def openapi_document(django_db_setup, django_db_blocker):
    """The API document, read once per run: building it takes a second or more, and the tests that read it only
    read."""
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def openapi(openapi_document):
    """The document as /api/openapi.json serves it; a copy, so that a test may change it freely."""
    return copy.deepcopy(openapi_document)


@pytest.fixture
def inbox(settings):
    """A real SMTP server on 127.0.0.1 (tests/smtp_inbox.py) and the settings pointing at it."""
    from aiosmtpd.controller import Controller

    from tests.smtp_inbox import Inbox, free_port

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = "https://retro.example.com"
    settings.DEFAULT_FROM_EMAIL = "Retrospector <retro@example.com>"
    yield handler
    controller.stop()
