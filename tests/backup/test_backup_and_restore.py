"""`retrospector backup` takes a consistent snapshot while others keep writing; `retrospector restore` brings it back
into an empty database, and the restored database exports exactly what the source held at the snapshot.

Runs on the suite's database engine. On SQLite the source and the restored databases are files (WAL, as in production):
the default connection is pointed at them in turn. On PostgreSQL the source is the test database and the restore goes
into a new database created and dropped here. Backing up and migrating need transactional tests (see conftest's
builtin_templates_put_back).
"""

import io
import json
import re
import shutil
import stat
import threading
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader

from retrospector.accounts.models import User
from retrospector.timeline.models import TimelineEvent
from retrospector.writeups.export import export_json_text, export_markdown
from retrospector.writeups.models import Retrospective, Revision, Section

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("builtin_templates_put_back")]

POSTGRES = connection.vendor == "postgresql"
EXPORTED_AT = re.compile(r'^(\s*"exported_at": )".*?"', re.MULTILINE)


@pytest.fixture(autouse=True)
def _postgresql_client_tools():
    if POSTGRES:
        missing = [tool for tool in ("pg_dump", "pg_restore") if not shutil.which(tool)]
        if missing:
            pytest.skip(f"{' and '.join(missing)} not installed: PostgreSQL backups need the PostgreSQL client tools")


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@contextmanager
def default_database(name: str):
    """Point the default connection (in every thread: they share its settings) at another database, then back."""
    conn = connections["default"]
    saved_name, saved_in_memory = conn.settings_dict["NAME"], None
    if conn.vendor == "sqlite" and conn.is_in_memory_db():
        saved_in_memory, conn.connection = conn.connection, None  # close() would keep it: set it aside instead
    else:
        conn.close()
    conn.settings_dict["NAME"] = name
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict["NAME"] = saved_name
        if saved_in_memory is not None:
            conn.connection = saved_in_memory


def _postgres_admin():
    import psycopg

    db = connection.settings_dict
    params = {"dbname": "postgres", "user": db["USER"], "host": db["HOST"], "port": db["PORT"]}
    if db.get("PASSWORD"):
        params["password"] = db["PASSWORD"]
    return psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True)


@contextmanager
def new_empty_database(tmp_path):
    """A database with nothing in it (not even tables), the default one while inside."""
    if not POSTGRES:
        with default_database(str(tmp_path / "restored.sqlite3")):
            yield
        return
    name = f"{connection.settings_dict['NAME']}_restore"
    with _postgres_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with default_database(name):
            yield
    finally:
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def migrated_sqlite_file(tmp_path):
    """SQLite only: a database file migrated as the test database is (a copy of it: migrating takes seconds)."""
    import sqlite3

    if POSTGRES:
        return None
    path = tmp_path / "source.sqlite3"
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    connection.connection.backup(copy)
    copy.close()
    return path


@contextmanager
def source_database(migrated_sqlite_file):
    """The database backed up: the test database on PostgreSQL, a migrated file on SQLite (the default one inside)."""
    from retrospector.writeups.services import builtin_templates_sync

    with default_database(str(migrated_sqlite_file)) if migrated_sqlite_file else nullcontext():
        builtin_templates_sync()  # an earlier transactional test's flush took them
        yield


@pytest.fixture
def demo_source(migrated_sqlite_file):
    """The source with the demo organization: a dozen incidents, their timelines and write-ups."""
    with source_database(migrated_sqlite_file):
        run("demo")
        yield


@pytest.fixture
def small_source(migrated_sqlite_file):
    """The source with one incident and its retrospective (two sections written): quicker to fill than the demo."""
    from retrospector.accounts.services import organization_create, team_create
    from retrospector.incidents.models import SeverityLevel
    from retrospector.incidents.services import incident_create, severity_levels_ensure_defaults
    from retrospector.writeups.models import Template
    from retrospector.writeups.services import retrospective_start
    from tests.conftest import START, make_user

    with source_database(migrated_sqlite_file):
        organization = organization_create(name="Acme", slug="acme")
        severity_levels_ensure_defaults(organization=organization)
        alice = make_user(organization, "alice", org_admin=True)
        incident = incident_create(
            by=alice,
            team=team_create(organization=organization, name="Payments", slug="payments"),
            title="Checkout errors",
            severity=SeverityLevel.objects.get(organization=organization, key="SEV2"),
            started_at=START,
        )
        retrospective_start(
            incident=incident,
            template=Template.objects.get(key="postmortem", organization=None),
            by=alice,
            bodies={"summary": "The queue backed up.", "impact": "Checkout failed for 12 minutes."},
        )
        yield


def normalized(text: str) -> str:
    """An export with its export time fixed: everything else must match byte for byte."""
    return EXPORTED_AT.sub(r'\1"(exported)"', text)


def exports_of_each_retrospective() -> dict[int, tuple[str, str]]:
    found = Retrospective.objects.select_related("incident__team", "incident__severity", "template_version__template")
    return {r.pk: (export_markdown(r), normalized(export_json_text(r))) for r in found}


def export_all_text() -> str:
    out = io.StringIO()
    call_command("export-all", "--format", "json", stdout=out)
    return normalized(out.getvalue())


def rows(model) -> dict[int, dict]:
    return {row["id"]: row for row in model.objects.values()}


def row_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


class Writer(threading.Thread):
    """Saves a section and adds a timeline event, turn about, until stopped. After each write it records what the
    exports show: nobody else writes meanwhile, so that is exactly the database's state after that write, the state
    a backup taken between this write and the next must restore."""

    def __init__(self, section: Section, by: User):
        super().__init__(daemon=True)
        self.section_id, self.incident_id, self.by = section.pk, section.retrospective.incident_id, by
        self.retrospective_id = section.retrospective_id
        self.committed = 0  # writes done (committed), read by the test's thread
        self.states: list[dict] = []  # states[n]: after n writes
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def state(self) -> dict:
        retrospective = Retrospective.objects.get(pk=self.retrospective_id)
        return {
            "key": (
                Section.objects.get(pk=self.section_id).version,
                TimelineEvent.objects.filter(incident_id=self.incident_id).count(),
            ),
            "retrospective": (export_markdown(retrospective), normalized(export_json_text(retrospective))),
            "export_all": export_all_text(),
        }

    def run(self):
        from retrospector.incidents.models import Incident
        from retrospector.timeline.services import event_add
        from retrospector.writeups.services import section_save

        try:
            self.states.append(self.state())
            n = 0
            while not self.stop.is_set():
                n += 1
                if n % 2:
                    section = Section.objects.get(pk=self.section_id)
                    section_save(
                        section=section, body=f"{section.body}\n\nWrite {n}.", base_version=section.version, by=self.by
                    )
                else:
                    event_add(
                        incident=Incident.objects.get(pk=self.incident_id),
                        by=self.by,
                        occurred_at=datetime(2026, 5, 4, 14, 0, tzinfo=UTC) + timedelta(minutes=n),
                        text=f"Write {n}.",
                    )
                self.committed = n
                self.states.append(self.state())
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            connection.close()

    def wait_for(self, writes: int, *, timeout: float = 30) -> None:
        for _ in range(int(timeout * 100)):
            if self.committed >= writes or self.error or not self.is_alive():
                break
            self.stop.wait(0.01)
        assert self.error is None, self.error
        assert self.committed >= writes, "the writer stalled"


def test_a_backup_taken_while_people_write_restores_exactly_the_state_it_captured(demo_source, tmp_path, settings):
    # One that people are still writing: a done retrospective is read-only.
    retrospective = Retrospective.objects.select_related("incident").exclude(state="done").order_by("id").first()
    writer = Writer(retrospective.sections.order_by("position").first(), User.objects.get(username="alice"))
    settings.VAR_DIR = tmp_path / "var"
    writer.start()
    try:
        writer.wait_for(1)
        committed_before = writer.committed
        out = run("backup")  # no PATH: var/backups/retrospector-<time>/
        committed_after = writer.committed
        writer.wait_for(committed_after + 2)  # and writing carries on after it
    finally:
        writer.stop.set()
        writer.join()
    assert writer.error is None, writer.error
    (backup,) = (tmp_path / "var" / "backups").iterdir()
    assert re.fullmatch(r"retrospector-\d{8}T\d{6}Z", backup.name) and str(backup) in out
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    assert sorted(p.name for p in backup.iterdir()) == sorted(
        ["manifest.json", f"database.{'pgdump' if POSTGRES else 'sqlite3'}"]
    )
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in backup.iterdir())
    manifest = json.loads((backup / "manifest.json").read_text())
    latest_writeups = max(name for app, name in MigrationLoader(connection).graph.leaf_nodes() if app == "writeups")
    assert manifest["engine"] == connection.vendor and manifest["schema"]["writeups"] == latest_writeups
    assert "password hashes" in manifest["contains_secrets"]

    source_exports = exports_of_each_retrospective()
    source_revisions, source_events = rows(Revision), rows(TimelineEvent)

    with new_empty_database(tmp_path):
        assert "Restored" in run("restore", str(backup))
        restored_counts = row_counts()
        restored_key = (
            Section.objects.get(pk=writer.section_id).version,
            TimelineEvent.objects.filter(incident_id=writer.incident_id).count(),
        )
        restored_exports = exports_of_each_retrospective()
        restored_export_all = export_all_text()
        restored_revisions, restored_events = rows(Revision), rows(TimelineEvent)

    # The snapshot is the state after some number of writes: one a backup running from then to then could see.
    keys = [state["key"] for state in writer.states]
    assert restored_key in keys, f"the restored database is no state the writer left: {restored_key} not in {keys}"
    captured = keys.index(restored_key)
    assert committed_before <= captured <= committed_after + 1
    assert captured < len(keys) - 1  # the writes after the snapshot are not in it
    state = writer.states[captured]
    assert restored_export_all == state["export_all"]
    assert restored_exports.keys() == source_exports.keys()
    for pk, exported in restored_exports.items():
        assert exported == (state["retrospective"] if pk == writer.retrospective_id else source_exports[pk]), pk
    # Every restored revision and event is in the source, identical; the source's others came after the snapshot.
    for restored, current in ((restored_revisions, source_revisions), (restored_events, source_events)):
        assert all(current.get(pk) == row for pk, row in restored.items())
    written_after = range(captured + 1, len(keys))
    assert len(source_revisions) - len(restored_revisions) == sum(1 for n in written_after if n % 2)
    assert len(source_events) - len(restored_events) == sum(1 for n in written_after if not n % 2)
    assert restored_counts == manifest["tables"]


def altered_copy(backup, to, change) -> str:
    shutil.copytree(backup, to)
    manifest = json.loads((to / "manifest.json").read_text())
    change(manifest, to)
    (to / "manifest.json").write_text(json.dumps(manifest))
    return str(to)


def test_restore_refuses_a_newer_schema_another_engine_a_damaged_file_and_a_database_with_data(small_source, tmp_path):
    backup = tmp_path / "backup"
    run("backup", str(backup))
    with pytest.raises(CommandError, match="already exists"):
        run("backup", str(backup))
    with pytest.raises(CommandError) as refused:
        run("restore", str(backup))  # into the source, which has data
    assert re.fullmatch(
        r"The database is not empty \(the table \w+ has rows\): restore only into an empty database\.",
        str(refused.value),
    )

    future = altered_copy(
        backup, tmp_path / "future", lambda m, _: m["migrations"]["writeups"].append("0099_from_a_later_version")
    )
    other_engine = altered_copy(
        backup, tmp_path / "other", lambda m, _: m.update(engine="sqlite" if POSTGRES else "postgresql")
    )
    damaged = altered_copy(
        backup, tmp_path / "damaged", lambda m, to: (to / m["database_file"]).open("ab").write(b"\0")
    )
    with new_empty_database(tmp_path):
        refusals = {}
        for name, path in (("future", future), ("other", other_engine), ("damaged", damaged)):
            with pytest.raises(CommandError) as refused:
                run("restore", path)
            refusals[name] = str(refused.value)
        assert "newer than this version" in refusals["future"]
        assert "writeups.0099_from_a_later_version" in refusals["future"]
        assert "a restore stays on one engine" in refusals["other"] and "export-all" in refusals["other"]
        assert "does not match the checksum" in refusals["damaged"]
        assert all("\n" not in message for message in refusals.values())
        assert connection.introspection.table_names() == []  # nothing was touched

        run("restore", str(backup))
        assert Retrospective.objects.get().sections.filter(filled=True).count() == 2
        with pytest.raises(CommandError, match="not empty"):
            run("restore", str(backup))


def test_a_backup_of_an_older_schema_is_restored_then_migrated_forward(small_source, tmp_path):
    from django.db.migrations.executor import MigrationExecutor

    filled = sorted(Section.objects.filter(filled=True).values_list("pk", flat=True))
    assert filled
    latest = ("writeups", "0004_section_filled")
    executor = MigrationExecutor(connection)
    executor.migrate([("writeups", "0003_section_html")])  # as a version from before the 'filled' flag left it
    try:
        run("backup", str(tmp_path / "backup"))
    finally:
        MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
    captured = json.loads((tmp_path / "backup" / "manifest.json").read_text())["migrations"]
    assert "0004_section_filled" not in captured["writeups"]
    newer = sum(1 for app, name in executor.loader.graph.nodes if name not in captured.get(app, []))

    with new_empty_database(tmp_path):
        out = run("restore", str(tmp_path / "backup"))
        assert f"then applied {newer} newer migration{'s' if newer > 1 else ''}." in out
        assert latest in MigrationExecutor(connection).loader.applied_migrations
        assert sorted(Section.objects.filter(filled=True).values_list("pk", flat=True)) == filled


@pytest.mark.skipif(not POSTGRES, reason="pg_dump is PostgreSQL's")
def test_a_postgresql_backup_says_when_pg_dump_is_missing_or_older_than_the_server(tmp_path, monkeypatch):
    from retrospector.backup import snapshot

    monkeypatch.setattr(snapshot, "_tool_version", lambda executable: (9, "9.6.24"))
    with pytest.raises(CommandError, match=r"pg_dump 9\.6\.24 is older than the PostgreSQL \d+ server"):
        run("backup", str(tmp_path / "old"))
    monkeypatch.setattr(snapshot.shutil, "which", lambda name: None)
    with pytest.raises(CommandError, match="pg_dump is not installed"):
        run("backup", str(tmp_path / "none"))
    assert not any(tmp_path.iterdir())  # no half-made backup left behind
