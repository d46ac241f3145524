"""`retrospector export-all`: every organization's incidents, timelines, write-ups and revisions in one JSON document,
with no secret in it, read with a number of queries that does not grow with the number of incidents."""

import io
import json
import stat
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retrospector.api.timeline import EventOut
from retrospector.timeline.services import event_add
from retrospector.writeups.export import export_json
from retrospector.writeups.services import section_save
from tests.conftest import START


def export_all(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export-all", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def written(people, make_incident, make_retrospective):
    """Incidents with a timeline and a retrospective whose sections were saved a few times each; returns a function
    that adds `n` more of them."""
    made = []

    def add(n: int, *, visibility="organization") -> list:
        """Adds n incidents; returns them."""
        added = []
        for _ in range(n):
            incident = make_incident(title=f"Checkout errors {len(made)}", visibility=visibility)
            for minute in range(3):
                event_add(
                    incident=incident, by=people["alice"], occurred_at=START + timedelta(minutes=minute), text="Paged"
                )
            retrospective = make_retrospective(incident)
            for section in retrospective.sections.all()[:2]:
                section_save(
                    section=section, body="The queue backed up.", base_version=section.version, by=people["bob"]
                )
            made.append(incident)
            added.append(incident)
        return added

    return add


def test_it_exports_every_incident_timeline_write_up_and_revision(written, people):
    (public,) = written(1)
    (private,) = written(1, visibility="private")
    out, _ = export_all("--format", "json")

    document = json.loads(out)
    assert document["$schema"].endswith("/export-all/1") and document["schema_version"] == 1
    (organization,) = document["organizations"]
    assert {p["username"] for p in organization["people"]} == {"alice", "bob", "charlie", "dana", "erin", "oscar"}
    assert [t["slug"] for t in organization["teams"]] == ["payments", "platform"]
    # An operator command: no permission filtering, the private incident is in it.
    incidents = {i["id"]: i for i in organization["incidents"]}
    assert set(incidents) == {public.pk, private.pk} and incidents[private.pk]["visibility"] == "private"

    incident = incidents[public.pk]
    (retrospective,) = incident["retrospectives"]
    single = export_json(public.retrospectives.get())
    # The shapes of the single-retrospective export and of the API's events, with a little more.
    assert set(single["incident"]) <= set(incident)
    assert set(single["retrospective"]) <= set(retrospective)
    assert set(EventOut.model_fields) <= set(incident["timeline"]["events"][0])
    assert [e["text"] for e in incident["timeline"]["events"]] == ["Paged"] * 3
    assert [s["key"] for s in retrospective["sections"]] == [s["key"] for s in single["retrospective"]["sections"]]
    assert [s["body"] for s in retrospective["sections"]] == [s["body"] for s in single["retrospective"]["sections"]]
    first = retrospective["sections"][0]
    assert [(r["version"], r["created_by"], r["note"]) for r in first["revisions"]] == [
        (1, "alice", "Started"),
        (2, "bob", ""),
    ]
    assert first["version"] == 2 and first["revisions"][-1]["body"] == first["body"] == "The queue backed up."


def test_it_holds_no_password_hash_token_session_or_uploaded_file(written, people, client):
    from django.contrib.sessions.models import Session

    from retrospector.accounts.services import token_create
    from retrospector.timeline.models import PendingImport

    (incident,) = written(1)
    token, raw = token_create(user=people["alice"], name="script")
    client.force_login(people["bob"])
    session = Session.objects.get()
    PendingImport.objects.create(
        incident=incident,
        created_by=people["alice"],
        source_type="jsonl",
        file_name="events.jsonl",
        content=b'{"text": "uploaded-bytes-not-for-export"}',
    )
    out, _ = export_all()

    people["alice"].refresh_from_db()
    secrets = {
        "a password hash": people["alice"].password,
        "the hash's salt": people["bob"].password.split("$")[1],
        "a token digest": token.digest,
        "a token": raw,
        "a token prefix": token.prefix,
        "a session key": session.session_key,
        "session data": session.session_data,
        "an uploaded file": "uploaded-bytes-not-for-export",
    }
    assert all(value for value in secrets.values())
    assert [name for name, value in secrets.items() if value in out] == []
    assert "events.jsonl" not in out  # pending uploads are not exported at all


def test_its_queries_do_not_grow_with_the_number_of_incidents(written):
    written(2)
    with CaptureQueriesContext(connection) as few:
        small = export_all()[0]
    written(6)
    with CaptureQueriesContext(connection) as more:
        large = export_all()[0]
    assert (
        len(json.loads(large)["organizations"][0]["incidents"])
        == 8
        > len(json.loads(small)["organizations"][0]["incidents"])
    )
    assert len(more) == len(few), [q["sql"][:80] for q in more]


def test_it_writes_a_private_file_when_given_one(written, tmp_path):
    written(1)
    target = tmp_path / "everything.json"
    out, err = export_all("--output", str(target))
    assert out == "" and "1 incidents" in err and str(target) in err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert len(json.loads(target.read_text())["organizations"][0]["incidents"]) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["everything.json"]  # no temporary file left


def every_key(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in every_key(item)}
    if isinstance(value, list):
        return {key for item in value for key in every_key(item)}
    return set()


def test_every_field_it_writes_is_documented(written, people):
    from pathlib import Path

    from retrospector.writeups.services import retrospective_transition

    (incident,) = written(1)
    retrospective_transition(retrospective=incident.retrospectives.get(), to_state="in_review", by=people["alice"])
    document = json.loads(export_all()[0])
    organization = document["organizations"][0]
    # Free-form values hold keys that are not fields: the checks settings, template definitions, attachments.
    organization["checks_config"] = {}
    for template in organization["templates"]:
        template["versions"] = [{**version, "sections": []} for version in template["versions"]]
    for event in organization["incidents"][0]["timeline"]["events"]:
        event["attachments"] = []
    documented = (Path(__file__).resolve().parents[2] / "docs" / "backup.md").read_text()
    assert {"members", "revisions", "from", "events", "links"} <= every_key(document)
    assert sorted(key for key in every_key(document) if f"`{key}`" not in documented) == []


def test_the_commands_are_part_of_the_retrospector_command(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "retrospector", "help", "export-all"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"RETROSPECTOR_TESTING": "1", "PATH": "/usr/bin:/bin", "RETROSPECTOR_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert "no permission filtering" in " ".join(result.stdout.split())
    from django.core.management import get_commands, load_command_class

    assert {"backup", "restore", "export-all"} <= set(get_commands())
    assert "password hashes" in load_command_class("retrospector.backup", "backup").help
    assert "EMPTY database" in load_command_class("retrospector.backup", "restore").help
