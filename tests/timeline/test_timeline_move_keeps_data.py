"""The timeline's models moved from the incidents app to the timeline app (timeline 0001 takes over the tables under
their old names, incidents 0007 drops them from the incidents app's state): a database filled by the code before the
move keeps every row, field for field, with its links and the permissions keyed on the moved content types; and so it
does when migrated back and forward again.

The database is migrated back to the state before the move and filled through the historical models, as the old code
would have filled it, then migrated forward and read with the current models. Migrating needs a transactional test
(its flush empties every table, so the built-in templates are put back after the module: builtin_templates_put_back);
whatever happens, the database is left fully migrated for the tests that run next.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps as django_apps
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import ProjectState

from retrospector.accounts.models import User
from retrospector.incidents.models import Incident
from retrospector.timeline.models import ImportRecord, PendingImport, TimelineEvent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("builtin_templates_put_back")]

BEFORE_THE_MOVE = [("incidents", "0006_incident_timeline_gap_minutes"), ("timeline", None)]
THE_MOVE = {("incidents", "0007_timeline_models_move_to_timeline_app"), ("timeline", "0001_initial")}
MOVED = {"importrecord": ImportRecord, "timelineevent": TimelineEvent, "pendingimport": PendingImport}
VERBOSE = {"importrecord": "import record", "timelineevent": "timeline event", "pendingimport": "pending import"}
# Rows the move must not touch either: the moved tables point at them, and the permissions point at the content types.
AROUND = {
    ("accounts", "organization"),
    ("accounts", "team"),
    ("accounts", "user"),
    ("accounts", "membership"),
    ("incidents", "severitylevel"),
    ("incidents", "incident"),
}
T0 = datetime(2025, 11, 3, 9, 30, 15, 123456, tzinfo=UTC)
CONTENT = b"PK\x03\x04\x00\xff binary \x00 with NUL and high bytes \xfe\x80"


def migrate(targets=None) -> MigrationExecutor:
    """Migrate to targets (every app's latest if none); returns an executor that knows what is applied now."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return MigrationExecutor(connection)


def apps_before_the_move():
    """The historical models of the database's state, checked to be the one before the move: every migration
    applied except the two of the move (and any made after them on top of them)."""
    executor = MigrationExecutor(connection)
    graph, applied = executor.loader.graph, set(executor.loader.applied_migrations)
    assert set(graph.nodes) - applied == {node for move in THE_MOVE for node in graph.backwards_plan(move)}
    return executor.loader.project_state(sorted(applied)).apps


def plain(row: dict) -> dict:
    """Binary columns as bytes (PostgreSQL gives memoryviews), so rows compare by value."""
    return {key: bytes(value) if isinstance(value, memoryview) else value for key, value in row.items()}


def every_row(model) -> list[dict]:
    return [plain(row) for row in model.objects.order_by("id").values()]


def snapshot(apps, moved_label: str) -> dict:
    """Every row, every column (by attname), of the moved tables (their models under moved_label) and of the tables
    around them, read through apps: the historical models of a state, or the current ones (django.apps.apps)."""
    moved = {name: every_row(apps.get_model(moved_label, name)) for name in MOVED}
    around = {key: every_row(apps.get_model(*key)) for key in sorted(AROUND)}
    return {"moved": moved, "around": around}


# Columns added to the moved tables by later migrations, with the value the rows from before the move get.
ADDED_SINCE_THE_MOVE = {"pendingimport": {"survey": {}}}


def as_before_the_move(taken: dict) -> dict:
    """A snapshot of the current tables with the columns added since the move left out, once each row is found to hold
    the value such a column gives the rows from before."""
    moved = {}
    for name, rows in taken["moved"].items():
        added = ADDED_SINCE_THE_MOVE.get(name, {})
        for row in rows:
            assert {column: row[column] for column in added} == added, row
        moved[name] = [{k: v for k, v in row.items() if k not in added} for row in rows]
    return {**taken, "moved": moved}


def permissions(apps) -> dict:
    """The permission rows of the moved models, and who holds them (by ids: their content types change label)."""
    get = apps.get_model
    Permission_, User_, Group_ = get("auth", "Permission"), get("accounts", "User"), get("auth", "Group")
    rows = Permission_.objects.filter(content_type__model__in=list(MOVED)).order_by("id")
    return {
        "permissions": list(rows.values("id", "codename", "name", "content_type_id")),
        "users": sorted(User_.user_permissions.through.objects.values_list("user_id", "permission_id")),
        "groups": sorted(Group_.permissions.through.objects.values_list("group_id", "permission_id")),
    }


def moved_content_types(apps) -> dict[str, tuple[int, str]]:
    rows = apps.get_model("contenttypes", "ContentType").objects.filter(model__in=list(MOVED)).order_by("model")
    return {row.model: (row.pk, row.app_label) for row in rows}


def fill_before_the_move(apps) -> dict:
    """What the code before the move would have written, through the historical models of that state: people, two
    incidents, imports (one undone), events (attachments, a merge, imported ones), uploads on their way in (one in the
    background, done, linked to its import), and the content types and permissions under the incidents label."""
    get = apps.get_model
    Organization, Team, User_ = get("accounts", "Organization"), get("accounts", "Team"), get("accounts", "User")
    Membership, Severity = get("accounts", "Membership"), get("incidents", "SeverityLevel")
    Incident_, ImportRecord_ = get("incidents", "Incident"), get("incidents", "ImportRecord")
    TimelineEvent_, PendingImport_ = get("incidents", "TimelineEvent"), get("incidents", "PendingImport")
    ContentType_, Permission_, Group_ = (
        get("contenttypes", "ContentType"),
        get("auth", "Permission"),
        get("auth", "Group"),
    )

    org = Organization.objects.create(name="Acme", slug="acme", checks_config={"words": ["simply"]})
    team = Team.objects.create(organization=org, name="Payments", slug="payments")
    alice = User_.objects.create(
        username="alice", organization=org, full_name="Alice", password="!", time_zone="Europe/Berlin"
    )
    bob = User_.objects.create(username="bob", organization=org, full_name="Bob", password="!")
    Membership.objects.create(team=team, user=alice, role="admin")
    Membership.objects.create(team=team, user=bob, role="member")
    sev = Severity.objects.create(organization=org, key="SEV2", name="Major", rank=2)
    checkout = Incident_.objects.create(
        organization=org,
        team=team,
        severity=sev,
        title="Checkout errors",
        started_at=T0,
        created_by=alice,
        timeline_version=7,
        timeline_time_zone="Europe/Berlin",
    )
    login = Incident_.objects.create(
        organization=org,
        team=team,
        severity=sev,
        title="Login slow",
        started_at=T0 + timedelta(days=3),
        visibility="private",
        created_by=bob,
    )

    slack = ImportRecord_.objects.create(
        incident=checkout, source_type="slack", file_name="export.zip", event_count=2, skipped_count=1, created_by=alice
    )
    undone = ImportRecord_.objects.create(
        incident=checkout,
        source_type="pagerduty",
        file_name="incidents.json",
        event_count=3,
        created_by=bob,
        undone_at=T0 + timedelta(hours=2),
        undone_by=alice,
    )
    alerts = ImportRecord_.objects.create(
        incident=login, source_type="alertmanager", file_name="firing.json", event_count=1, created_by=None
    )

    def event(incident, minutes, **fields):
        return TimelineEvent_.objects.create(incident=incident, occurred_at=T0 + timedelta(minutes=minutes), **fields)

    note = event(
        checkout,
        0,
        text="Errors start *climbing*",
        html="<p>Errors start <em>climbing</em></p>",
        created_by=alice,
        key_event=True,
        edited=True,
        version=3,
    )
    first = event(
        checkout,
        4,
        text="checkout 500s in eu-west",
        actor="Bob",
        kind="message",
        source_type="slack",
        source_ref="https://acme.slack.com/archives/C1/p1700000000000100",
        channel="#inc-checkout",
        source_url="https://acme.slack.com/archives/C1/p1700000000000100",
        original_time="2025-11-03 10:34:15 +0100",
        original_offset_minutes=60,
        source_position=0,
        import_record=slack,
        key_candidate=True,
        attachments=[
            {"name": "graph.png", "url": "https://files.example/graph.png", "size": 48213},
            {"name": "log.txt", "mimetype": "text/plain", "lines": [1, 2, None], "ünïcode": "✓"},
        ],
        tags=["db", "eu-west"],
    )
    reply = event(
        checkout,
        5,
        text="rolling back",
        actor="Alice",
        kind="message",
        source_type="slack",
        source_ref="https://acme.slack.com/archives/C1/p1700000000000200",
        parent_ref=first.source_ref,
        source_position=1,
        import_record=slack,
        original_offset_minutes=-330,
    )
    duplicate = event(checkout, 5, text="rolling back (pasted by hand)", created_by=bob, hidden=True, merged_into=reply)
    event(
        checkout,
        9,
        text="deploy 4.2.1 reverted",
        kind="deploy",
        actor="ci",
        actor_kind="bot",
        source_type="github",
        source_ref="deploy-991",
        attachments={"sha": "abc123"},
    )
    firing = event(
        login,
        1,
        text="HighLatency firing",
        kind="alert_firing",
        actor="alertmanager",
        actor_kind="system",
        source_type="alertmanager",
        source_ref="HighLatency/1762162275",
        import_record=alerts,
        source_position=0,
    )

    PendingImport_.objects.create(
        incident=checkout,
        created_by=alice,
        source_type="slack",
        file_name="later.zip",
        content=CONTENT,
        file_size=len(CONTENT),
        event_count=2,
        new_count=1,
        options={"channel": "#inc-checkout", "time_zone": "Europe/Berlin"},
        preview=[{"occurred_at": "2025-11-03T09:40:00Z", "actor": "Bob", "text": "still down"}],
    )
    PendingImport_.objects.create(
        incident=login,
        created_by=bob,
        source_type="alertmanager",
        file_name="firing.json",
        content=b"",
        file_size=90_000_000,
        options={},
        background=True,
        status="done",
        task_id="0b8c7b0e-3f1c-4c55-9a43-6e8d2a1f0c11",
        confirmed_at=T0,
        queued_at=T0,
        started_at=T0 + timedelta(seconds=3),
        finished_at=T0 + timedelta(seconds=41),
        read_count=1,
        event_count=1,
        new_count=1,
        import_record=alerts,
    )
    PendingImport_.objects.create(
        incident=checkout,
        created_by=bob,
        source_type="pagerduty",
        file_name="broken.json",
        content=b"{not json",
        file_size=9,
        background=True,
        status="failed",
        problems=[
            {
                "file": "broken.json",
                "line": 1,
                "pointer": "",
                "field": None,
                "message": "not JSON: Expecting property name",
            }
        ],
    )

    # The old code's content types for the three models, under the incidents label, and their default permissions.
    ContentType_.objects.filter(app_label__in=["incidents", "timeline"], model__in=list(MOVED)).delete()
    granted = {}
    for model, verbose in VERBOSE.items():
        content_type = ContentType_.objects.create(app_label="incidents", model=model)
        for action in ("add", "change", "delete", "view"):
            granted[f"{action}_{model}"] = Permission_.objects.create(
                content_type=content_type, codename=f"{action}_{model}", name=f"Can {action} {verbose}"
            )
    alice.user_permissions.add(granted["view_timelineevent"], granted["change_timelineevent"])
    auditors = Group_.objects.create(name="Auditors")
    auditors.permissions.add(granted["view_importrecord"], granted["view_pendingimport"])
    bob.groups.add(auditors)

    return {
        "checkout": checkout.pk,
        "login": login.pk,
        "slack": slack.pk,
        "undone": undone.pk,
        "alerts": alerts.pk,
        "note": note.pk,
        "first": first.pk,
        "reply": reply.pk,
        "duplicate": duplicate.pk,
        "firing": firing.pk,
        "alice": alice.pk,
        "bob": bob.pk,
    }


def check_links_and_permissions(ids: dict, rows: dict, content_types: dict[str, tuple[int, str]]) -> None:
    """With the current models: foreign keys resolve both ways (rows: the snapshot the reverse ones are checked
    against), the content types (same rows) say timeline, and the permissions keyed on them work."""
    assert TimelineEvent.objects.get(pk=ids["first"]).import_record.pk == ids["slack"]
    assert TimelineEvent.objects.get(pk=ids["duplicate"]).merged_into.pk == ids["reply"]
    assert list(TimelineEvent.objects.get(pk=ids["reply"]).duplicates.values_list("pk", flat=True)) == [
        ids["duplicate"]
    ]
    assert sorted(ImportRecord.objects.get(pk=ids["slack"]).events.values_list("pk", flat=True)) == [
        ids["first"],
        ids["reply"],
    ]
    for incident in Incident.objects.all():
        for related, model in (
            ("events", "timelineevent"),
            ("imports", "importrecord"),
            ("pending_imports", "pendingimport"),
        ):
            expected = [row["id"] for row in rows["moved"][model] if row["incident_id"] == incident.pk]
            assert sorted(getattr(incident, related).values_list("pk", flat=True)) == expected
    checkout, login = Incident.objects.get(pk=ids["checkout"]), Incident.objects.get(pk=ids["login"])
    firing = TimelineEvent.objects.get(pk=ids["firing"])
    assert firing.incident == login and firing.import_record.pk == ids["alerts"] and firing in login.events.all()
    assert ImportRecord.objects.get(pk=ids["undone"]).undone_by.pk == ids["alice"]
    background = login.pending_imports.get()
    assert background.import_record.pk == ids["alerts"] and background.import_record.incident == login
    assert bytes(checkout.pending_imports.get(file_name="later.zip").content) == CONTENT

    ContentType.objects.clear_cache()
    assert moved_content_types(django_apps) == {model: (pk, "timeline") for model, (pk, _) in content_types.items()}
    for model, cls in MOVED.items():
        assert ContentType.objects.get_for_model(cls).pk == content_types[model][0]
        assert ContentType.objects.get_for_id(content_types[model][0]).model_class() is cls
    alice, bob = User.objects.get(pk=ids["alice"]), User.objects.get(pk=ids["bob"])
    assert alice.has_perm("timeline.view_timelineevent") and alice.has_perm("timeline.change_timelineevent")
    assert not alice.has_perm("timeline.delete_timelineevent") and not alice.has_perm("incidents.view_timelineevent")
    assert bob.has_perm("timeline.view_importrecord") and bob.has_perm(
        "timeline.view_pendingimport"
    )  # through his group
    assert not bob.has_perm("timeline.view_timelineevent")


def check_new_rows_can_be_written(ids: dict, before: dict) -> None:
    checkout = Incident.objects.get(pk=ids["checkout"])
    record = ImportRecord.objects.create(incident=checkout, source_type="slack", file_name="more.zip", event_count=1)
    taken = TimelineEvent.objects.get(pk=ids["first"])
    with pytest.raises(IntegrityError), transaction.atomic():
        TimelineEvent.objects.create(
            incident=checkout, occurred_at=T0, source_type="slack", source_ref=taken.source_ref
        )
    new = TimelineEvent.objects.create(
        incident=checkout,
        occurred_at=T0,
        source_type="slack",
        source_ref="p1700000000000300",
        import_record=record,
        merged_into=taken,
    )
    TimelineEvent.objects.create(
        incident=checkout, occurred_at=T0, text="two manual notes may share the empty source_ref"
    )
    login = Incident.objects.get(pk=ids["login"])  # the same source in another incident is another event
    TimelineEvent.objects.create(incident=login, occurred_at=T0, source_type="slack", source_ref=taken.source_ref)
    pending = PendingImport.objects.create(
        incident=checkout,
        created_by=checkout.created_by,
        source_type="slack",
        file_name="more.zip",
        content=b"\x00\x01",
        import_record=record,
    )
    # New ids come after the old rows' (PostgreSQL's sequences moved with their tables).
    for model, row_id in ((ImportRecord, record.pk), (TimelineEvent, new.pk), (PendingImport, pending.pk)):
        assert row_id > max(row["id"] for row in before["moved"][model._meta.model_name])
    assert list(record.events.all()) == [new] and new in taken.duplicates.all()


def queue_an_import_before_the_move():
    """A background import the code before the move queued: its task's module was then
    retrospector.incidents.tasks."""
    from django_tasks_db.models import DBTaskResult

    from retrospector.timeline.tasks import import_job_run

    queued = DBTaskResult.objects.get(id=import_job_run.enqueue(job_id=1).id)
    DBTaskResult.objects.filter(pk=queued.pk).update(task_path="retrospector.incidents.tasks.import_job_run")
    return queued


def test_a_database_filled_before_the_move_keeps_every_row_and_its_queued_imports_both_ways():
    """One round trip for the rows and the queued background import (each trip back and forth takes tens of
    seconds: the migration states of the whole project are rendered again)."""
    from retrospector.timeline.tasks import import_job_run

    try:
        migrate(BEFORE_THE_MOVE)
        old_apps = apps_before_the_move()
        # Going back gave the content types back to the incidents app (the test database was made by the current code).
        assert {label for _, label in moved_content_types(old_apps).values()} == {"incidents"}

        ids = fill_before_the_move(old_apps)
        queued = queue_an_import_before_the_move()
        before = snapshot(old_apps, "incidents")
        content_types = moved_content_types(old_apps)
        granted = permissions(old_apps)
        assert [len(rows) for rows in before["moved"].values()] == [3, 6, 3]
        assert {label for _, label in content_types.values()} == {"incidents"} and len(granted["permissions"]) == 12

        executor = migrate()
        assert not executor.migration_plan(executor.loader.graph.leaf_nodes())  # fully migrated
        # ...into the state the current models describe (what `makemigrations --check` compares): nothing left to move.
        assert not MigrationAutodetector(executor.loader.project_state(), ProjectState.from_apps(django_apps)).changes(
            graph=executor.loader.graph
        )
        assert as_before_the_move(snapshot(django_apps, "timeline")) == before
        assert permissions(django_apps) == granted
        check_links_and_permissions(ids, before, content_types)
        check_new_rows_can_be_written(ids, before)
        # The import queued before the move still runs after it: a worker finds its task.
        queued.refresh_from_db()
        assert queued.task_path == "retrospector.timeline.tasks.import_job_run"
        assert queued.task.func is import_job_run.func

        # Back to before the move and forward again: nothing is lost either way.
        now = as_before_the_move(snapshot(django_apps, "timeline"))
        migrate(BEFORE_THE_MOVE)
        old_apps = apps_before_the_move()
        assert snapshot(old_apps, "incidents") == now
        assert moved_content_types(old_apps) == content_types
        assert permissions(old_apps) == granted
        queued.refresh_from_db()
        assert queued.task_path == "retrospector.incidents.tasks.import_job_run"
        migrate()
        assert as_before_the_move(snapshot(django_apps, "timeline")) == now
        assert permissions(django_apps) == granted
        check_links_and_permissions(ids, now, content_types)
    finally:
        migrate()  # whatever failed, the tests after this one need the current schema and state
        ContentType.objects.clear_cache()
