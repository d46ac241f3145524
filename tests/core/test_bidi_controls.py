"""A title or a name reads as what it holds: right-to-left overrides and the other bidirectional-text controls are
dropped from one-line fields (titles, names, labels) whatever writes them (page form, API, import, the ORM), while
multi-line Markdown bodies keep them (right-to-left writing needs them; each paragraph contains them)."""

import json
from datetime import UTC, datetime

import pytest

from retrospector.accounts.models import ApiToken, Team, User
from retrospector.core.template_definitions import parse_definition_text
from retrospector.core.text import BIDI_CONTROLS, single_line
from retrospector.importers.base import ParsedEvent
from retrospector.incidents.models import Incident, SeverityLevel
from retrospector.timeline.models import TimelineEvent
from retrospector.timeline.services import timeline_import

RLO, PDF, RLI, PDI, RLM = "\u202e", "\u202c", "\u2067", "\u2069", "\u200f"
SPOOFED = f"Rollback of {RLO}gnitset{PDF}"  # reads "Rollback of testing"


def post_json(client, url, data, method="post"):
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


def without_controls(text: str) -> bool:
    return not any(c in text for c in BIDI_CONTROLS)


def test_single_line_drops_every_bidi_control_and_keeps_everything_else():
    assert single_line(f" {RLI}Ops{PDI} \u202a\u202b\u202d\u2066\u2068\u200e{RLM}\u061c team ") == "Ops  team"
    assert single_line("Café عربي 😀\u200d") == "Café عربي 😀\u200d"  # letters, RTL script, zero-width joiner stay
    assert single_line(None) == ""


def test_an_incident_title_from_the_page_form_is_stored_and_shown_without_them(people, client_for):
    client = client_for("bob")
    response = client.post(
        "/incidents/new",
        {
            "title": SPOOFED,
            "team": people["payments"].pk,
            "severity": SeverityLevel.objects.get(key="SEV3").pk,
            "status": "open",
            "visibility": "organization",
            "started_at": "2026-05-04T19:30",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get()
    assert incident.title == "Rollback of gnitset"
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Rollback of gnitset" in page and without_controls(page)


def test_an_incident_title_from_the_api_is_stored_and_answered_without_them(people, client_for):
    client = client_for("bob")
    created = post_json(
        client,
        "/api/v1/incidents",
        {"title": SPOOFED, "team": "payments", "severity": "SEV2", "started_at": "2026-05-04T14:00:00Z"},
    )
    assert created.status_code == 201, created.content
    assert created.json()["title"] == "Rollback of gnitset"
    url = f"/api/v1/incidents/{created.json()['id']}"
    changed = post_json(client, url, {"title": f"{RLI}Checkout{PDI} errors {RLM}"}, method="patch")
    assert changed.status_code == 200 and changed.json()["title"] == "Checkout errors"
    assert Incident.objects.get().title == "Checkout errors"
    only_controls = post_json(client, url, {"title": RLO + PDF}, method="patch")
    assert only_controls.status_code == 422 and only_controls.json()["field"] == "title"


def test_names_from_the_pages_lose_them(people, client_for):
    bob = client_for("bob")
    assert bob.post("/me/", {"full_name": f"Bob {RLO}nosaj", "time_zone": "UTC"}).status_code == 302
    assert User.objects.get(username="bob").full_name == "Bob nosaj"
    assert bob.post("/me/tokens/", {"name": f"ci {RLO}bol.exe"}).status_code in (200, 302)
    assert ApiToken.objects.get(user=people["bob"]).name == "ci bol.exe"
    oscar = client_for("oscar")
    response = oscar.post("/teams/", {"name": f"{RLO}sbO", "slug": "ops", "description": f"{RLM}Keeps{RLM} these"})
    assert response.status_code == 302
    assert Team.objects.get(slug="ops").name == "sbO"
    assert Team.objects.get(slug="ops").description == f"{RLM}Keeps{RLM} these"  # not a one-line field


def test_event_actors_from_the_api_and_from_imports_lose_them_and_bodies_keep_them(make_incident, people, client_for):
    incident = make_incident(summary=f"Arabic summary: {RLM}نص{RLM}")
    added = post_json(
        client_for("bob"),
        f"/api/v1/incidents/{incident.pk}/events",
        {"time": "2026-05-04T14:00:00Z", "text": f"a {RLO}body", "actor": f"{RLO}toor", "kind": "note"},
    )
    assert added.status_code == 201, added.content
    assert (added.json()["actor"], added.json()["text"]) == ("toor", f"a {RLO}body")
    when = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)
    parsed = ParsedEvent(
        occurred_at=when,
        original_time=f"{RLO}1585412040.000200",
        original_offset_minutes=None,
        actor=f"{RLO}kcab-yolped",
        actor_kind="bot",
        text=f"deployed {RLI}v42{PDI}",
        kind="deploy",
        source_type="slack",
        source_ref="C1/1585412040.000200",
        channel=f"{RLO}spo",
    )
    timeline_import(
        incident=incident, by=people["bob"], source_type="slack", file_name=f"x{RLO}piz.exe", events=[parsed]
    )
    imported = TimelineEvent.objects.get(source_type="slack")
    assert (imported.actor, imported.channel, imported.original_time) == ("kcab-yolped", "spo", "1585412040.000200")
    assert imported.text == f"deployed {RLI}v42{PDI}" and imported.import_record.file_name == "xpiz.exe"
    assert Incident.objects.get(pk=incident.pk).summary == f"Arabic summary: {RLM}نص{RLM}"


def test_template_names_and_section_titles_lose_them():
    definition = parse_definition_text(
        f"key: ops\nname: '{RLO}spO'\nsections:\n"
        f"  - key: impact\n    title: '{RLI}Impact{PDI}'\n    guidance: '{RLM}x'\n"
    )
    assert (definition.name, definition.sections[0].title) == ("spO", "Impact")
    assert definition.sections[0].guidance == f"{RLM}x"


@pytest.mark.parametrize("write", ["save", "update", "bulk_create"])
def test_every_orm_write_drops_them(make_incident, write):
    incident = make_incident()
    if write == "save":
        incident.title = SPOOFED
        incident.save(update_fields=["title"])
        assert incident.title == "Rollback of gnitset"  # the instance holds what was stored
    elif write == "update":
        Incident.objects.filter(pk=incident.pk).update(title=SPOOFED)
    else:
        Team.objects.bulk_create([Team(organization=incident.organization, name=SPOOFED, slug="spoof")])
        assert Team.objects.get(slug="spoof").name == "Rollback of gnitset"
        return
    assert Incident.objects.get(pk=incident.pk).title == "Rollback of gnitset"
    assert Incident.objects.filter(title=SPOOFED).get() == incident  # lookups compare what is stored


def test_a_person_shown_by_their_inherited_names_is_shown_without_them(people):
    erin = people["erin"]
    erin.full_name, erin.first_name, erin.last_name = "", f"{RLO}nirE", "Smith"
    assert erin.display_name == "nirE Smith"  # what the pages show for a person


def test_titles_stored_before_the_fix_lose_their_controls_when_the_database_is_migrated(make_incident, people):
    """The data migration (writeups 0005) cleans rows written when nothing stripped the controls; a row whose cleaned
    key would collide with another's is left alone rather than failing the upgrade."""
    from importlib import import_module

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    migration = import_module("retrospector.writeups.migrations.0005_strip_bidi_controls_from_stored_titles")
    incident = make_incident()
    organization = people["alice"].organization
    with connection.cursor() as cursor:  # the old code's writes: straight to the columns
        cursor.execute("UPDATE incidents_incident SET title = %s WHERE id = %s", [SPOOFED, incident.pk])
        cursor.execute("UPDATE accounts_user SET full_name = %s WHERE id = %s", [f"Bob{RLM}", people["bob"].pk])
        cursor.execute(
            "UPDATE incidents_severitylevel SET key = %s WHERE organization_id = %s AND key = 'SEV3'",
            [f"SEV{RLM}2", organization.pk],
        )
    state = MigrationExecutor(connection).loader.project_state(
        ("writeups", "0005_strip_bidi_controls_from_stored_titles")
    )
    migration.strip_stored_controls(state.apps, None)

    with connection.cursor() as cursor:
        cursor.execute("SELECT title FROM incidents_incident WHERE id = %s", [incident.pk])
        assert cursor.fetchone()[0] == "Rollback of gnitset"
        cursor.execute("SELECT full_name FROM accounts_user WHERE id = %s", [people["bob"].pk])
        assert cursor.fetchone()[0] == "Bob"
        cursor.execute(
            "SELECT key FROM incidents_severitylevel WHERE organization_id = %s ORDER BY key", [organization.pk]
        )
        keys = [row[0] for row in cursor.fetchall()]
    assert f"SEV{RLM}2" in keys and keys.count("SEV2") == 1  # SEV2 exists: that row is left as it was
