"""A lone surrogate ("\\ud800": half of a character, which a JSON escape can write) is not text: PostgreSQL refuses it
and a response holding it cannot be encoded, so it gave 500s. Every JSON body the API takes refuses it with a 422
naming the field, before anything is saved; the write-up's Markdown import, templates and check settings (whose YAML
escapes can write one) refuse it naming where. Run on both databases."""

import json

import pytest

from retrospector.core.template_definitions import DefinitionError, parse_definition_text
from retrospector.incidents.models import Incident
from retrospector.timeline.models import TimelineEvent
from retrospector.writeups.exchange import MarkdownImportError, parse_markdown
from retrospector.writeups.models import Retrospective

HALF = "\ud800"


@pytest.fixture
def incident(make_incident):
    return make_incident(title="Card payments time out")


def send(client, method, url, data):
    """`data` as JSON with every lone surrogate written as an escape (json.dumps does), as a script would send it."""
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


def refused(response, field):
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["field"] == field, body
    assert "lone surrogate" in body["detail"] and body["errors"][0]["field"] == field
    return body


def test_an_incident_with_half_a_character_in_its_title_is_refused_naming_it(people, client_for, incident):
    client = client_for("bob")
    new = {"title": f"Checkout {HALF}down", "team": "payments", "severity": "SEV2", "started_at": "2026-05-04T14:00Z"}
    refused(send(client, "post", "/api/v1/incidents", new), "title")
    refused(send(client, "patch", f"/api/v1/incidents/{incident.pk}", {"summary": f"a{HALF}"}), "summary")
    assert list(Incident.objects.values_list("title", "summary")) == [("Card payments time out", "")]
    assert client.get("/api/v1/incidents").status_code == 200


def test_an_event_with_half_a_character_anywhere_is_refused_naming_the_field(incident, client_for):
    client = client_for("bob")
    url = f"/api/v1/incidents/{incident.pk}/events"
    event = {"time": "2026-05-04T14:00:00Z", "text": "Failover started"}
    refused(send(client, "post", url, event | {"text": f"Failover {HALF}"}), "text")
    refused(send(client, "post", url, event | {"tags": ["db", f"x{HALF}"]}), "tags.1")
    refused(send(client, "post", url, event | {f"k{HALF}": 1}), "k\ufffd")
    created = send(client, "post", url, event).json()
    refused(send(client, "patch", f"{url}/{created['id']}", {"actor": HALF}), "actor")
    assert list(TimelineEvent.objects.values_list("text", "actor")) == [("Failover started", "")]
    assert client.get(url).status_code == 200


def test_a_section_saved_or_a_write_up_imported_with_half_a_character_is_refused(
    incident, make_retrospective, client_for
):
    retro = make_retrospective(incident)
    client = client_for("alice")
    section = retro.sections.get(key="summary")
    url = f"/api/v1/retrospectives/{retro.pk}/sections/summary"
    refused(send(client, "put", url, {"body": f"We saw {HALF}", "base_version": section.version}), "body")
    section.refresh_from_db()
    assert section.body == ""
    markdown = f"---\ntitle: Outage\n---\n\n## Summary\n\nIt broke {HALF}.\n"
    imported = f"/api/v1/incidents/{incident.pk}/retrospectives/import"
    refused(send(client, "post", imported, {"markdown": markdown}), "markdown")
    refused(send(client, "post", "/api/v1/checks", {"markdown": f"# Review\n\n{HALF}"}), "markdown")
    assert Retrospective.objects.count() == 1


def test_a_markdown_write_up_whose_front_matter_escapes_half_a_character_is_refused_naming_the_line(
    incident, client_for
):
    text = '---\nformat: retrospector/1\ntitle: "Outage \\ud800"\n---\n\n## Summary\n\nIt broke.\n'
    with pytest.raises(MarkdownImportError) as failed:
        parse_markdown(text, source="outage.md")
    assert failed.value.line == 3 and "title" in str(failed.value) and "outage.md" in str(failed.value)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("outage.md", text.encode(), content_type="text/markdown")
    page = client_for("alice").post(f"/incidents/{incident.pk}/retrospectives/import", {"file": upload})
    assert page.status_code == 200 and "lone surrogate" in page.content.decode()
    assert not Retrospective.objects.exists()


def test_a_template_or_check_settings_whose_yaml_escapes_half_a_character_are_refused(people):
    from django.core.exceptions import ValidationError

    from retrospector.accounts.services import checks_config_parse

    definition = 'key: mine\nname: "Mine \\ud800"\nsections:\n  - key: summary\n    title: Summary\n'
    with pytest.raises(DefinitionError) as failed:
        parse_definition_text(definition)
    assert failed.value.field == "name" and "lone surrogate" in failed.value.message
    with pytest.raises(ValidationError) as invalid:
        checks_config_parse('rules:\n  blame: "\\udfff"\n')
    assert "lone surrogate" in invalid.value.message_dict["checks_config"][0]
