"""The retrospectives API: start, read, sections with optimistic locking, export and re-import, states, templates."""

import json

import pytest

BUILTIN_TEMPLATES = {"learning-review", "meeting-agenda", "postmortem", "systems-analysis", "incident-review"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def put_json(client, url, data):
    return client.put(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def api(people):
    """A token-authenticated client for alice."""
    from django.test import Client

    from retrospector.accounts.services import token_create

    _, raw = token_create(user=people["alice"], name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def incident(make_incident):
    return make_incident(title="Card payments time out")


@pytest.fixture
def retro(incident, make_retrospective):
    return make_retrospective(incident)


def template_keys(key):
    from retrospector.writeups.models import Template

    template = Template.objects.get(key=key, organization=None)
    return [s["key"] for s in template.versions.order_by("-number").first().sections]


def section_url(retro, key="summary"):
    return f"/api/v1/retrospectives/{retro.pk}/sections/{key}"


def fill_required(retro, by):
    from retrospector.writeups.services import section_save

    for section in retro.sections.filter(required=True):
        section_save(section=section, body=f"Written: {section.title}.", base_version=section.version, by=by)


# --- Templates and OpenAPI ---------------------------------------------------------------------


def test_it_lists_the_builtin_templates(people, api):
    response = api.get("/api/v1/templates")
    assert response.status_code == 200
    templates = {t["key"]: t for t in response.json()}
    assert set(templates) == BUILTIN_TEMPLATES
    for key, template in templates.items():
        assert template["builtin"] is True
        assert template["team"] is None
        assert template["version"] >= 1
        assert [s["key"] for s in template["sections"]] == template_keys(key)
        assert template["sections"][0]["key"] == "summary"
        assert all(set(s) == {"key", "title", "kind", "required", "guidance"} for s in template["sections"])


def test_the_templates_list_needs_authentication(people):
    from django.test import Client

    assert Client().get("/api/v1/templates").status_code == 401


def test_openapi_lists_the_paths(people):
    from django.test import Client

    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/incidents",
        "/api/v1/incidents/{incident_id}",
        "/api/v1/incidents/{incident_id}/retrospectives",
        "/api/v1/incidents/{incident_id}/retrospectives/import",
        "/api/v1/retrospectives/{retrospective_id}",
        "/api/v1/retrospectives/{retrospective_id}/state",
        "/api/v1/retrospectives/{retrospective_id}/sections/{key}",
        "/api/v1/retrospectives/{retrospective_id}/export",
        "/api/v1/templates",
    } <= paths
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/incidents"])
    assert {"get", "put"} <= set(schema["paths"]["/api/v1/retrospectives/{retrospective_id}/sections/{key}"])
    assert "patch" in schema["paths"]["/api/v1/incidents/{incident_id}"]
    assert any(s.get("scheme") == "bearer" for s in schema["components"]["securitySchemes"].values())


# --- Start and read ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(BUILTIN_TEMPLATES))
def test_it_starts_from_a_template_key(people, api, incident, key):
    response = post_json(api, f"/api/v1/incidents/{incident.pk}/retrospectives", {"template": key})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["template"] == key
    assert data["state"] == "draft"
    assert data["owner"] == "alice"
    assert data["incident_id"] == incident.pk
    assert data["title"] == "Retrospective: Card payments time out"
    assert data["url"] == f"/retrospectives/{data['id']}/"
    keys = [s["key"] for s in data["sections"]]
    assert keys == template_keys(key)
    assert keys[0] == "summary"
    assert [s["position"] for s in data["sections"]] == list(range(len(keys)))
    assert all(s["version"] == 1 for s in data["sections"])


def test_it_starts_with_owner_shadow_title_and_due_date(people, api, incident):
    response = post_json(
        api,
        f"/api/v1/incidents/{incident.pk}/retrospectives",
        {
            "template": "postmortem",
            "owner": "bob",
            "shadow": "charlie",
            "title": "Why cards failed",
            "due_at": "2026-05-11",
        },
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["owner"], data["shadow"], data["title"], data["due_at"]) == (
        "bob",
        "charlie",
        "Why cards failed",
        "2026-05-11",
    )


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"template": "no-such-template"}, "template"),
        ({"template": "postmortem", "owner": "ghost"}, "owner"),
        ({"template": "postmortem", "shadow": "ghost"}, "shadow"),
        ({"template": "postmortem", "shadow": "alice"}, "shadow"),
        ({"template": "postmortem", "due_at": "next week"}, "due_at"),
    ],
)
def test_it_refuses_to_start_with_unknown_values(people, api, incident, payload, field):
    from retrospector.writeups.models import Retrospective

    response = post_json(api, f"/api/v1/incidents/{incident.pk}/retrospectives", payload)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not Retrospective.objects.exists()


def test_an_unknown_template_names_the_known_ones(people, api, incident):
    response = post_json(api, f"/api/v1/incidents/{incident.pk}/retrospectives", {"template": "nope"})
    assert "postmortem" in response.json()["detail"]


def test_it_reads_a_retrospective_with_its_sections(people, api, retro):
    response = api.get(f"/api/v1/retrospectives/{retro.pk}")
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == retro.pk
    assert data["template"] == "postmortem" and data["template_version"] >= 1
    assert [s["key"] for s in data["sections"]] == template_keys("postmortem")
    summary = data["sections"][0]
    assert (summary["key"], summary["title"], summary["required"], summary["updated_by"]) == (
        "summary",
        "Summary",
        True,
        "alice",
    )


def test_it_lists_an_incidents_retrospectives(people, api, incident, make_retrospective):
    first = make_retrospective(incident)
    second = make_retrospective(incident, template="learning-review")
    response = api.get(f"/api/v1/incidents/{incident.pk}/retrospectives")
    assert response.status_code == 200
    assert {r["id"] for r in response.json()} == {first.pk, second.pk}


def test_reading_an_unknown_retrospective_is_404(people, api):
    response = api.get("/api/v1/retrospectives/424242")
    assert response.status_code == 404
    assert response.json()["detail"]


# --- Sections ------------------------------------------------------------------------------------


def test_it_reads_a_section(people, api, retro):
    response = api.get(section_url(retro))
    assert response.status_code == 200
    assert (response.json()["key"], response.json()["version"]) == ("summary", 1)


def test_an_unknown_section_is_404(people, api, retro):
    assert api.get(section_url(retro, "no-such-section")).status_code == 404
    assert put_json(api, section_url(retro, "no-such-section"), {"body": "x", "base_version": 1}).status_code == 404


def test_it_saves_a_section_with_the_current_base_version(people, api, retro):
    response = put_json(api, section_url(retro), {"body": "Cards failed for 52 minutes.", "base_version": 1})
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["body"], data["version"], data["updated_by"]) == ("Cards failed for 52 minutes.", 2, "alice")
    response = put_json(api, section_url(retro), {"body": "Cards failed for 53 minutes.", "base_version": 2})
    assert response.json()["version"] == 3
    assert api.get(section_url(retro)).json()["body"] == "Cards failed for 53 minutes."
    section = retro.sections.get(key="summary")
    assert list(section.revisions.values_list("version", flat=True)) == [3, 2, 1]


def test_a_stale_base_version_gets_409_with_the_current_text(people, api, retro, client_for):
    bob = client_for("bob")
    assert put_json(bob, section_url(retro), {"body": "Bob's summary.", "base_version": 1}).status_code == 200
    response = put_json(api, section_url(retro), {"body": "Alice's summary.", "base_version": 1})
    assert response.status_code == 409
    body = response.json()
    assert body["field"] == "base_version"
    assert body["current"]["version"] == 2
    assert body["current"]["body"] == "Bob's summary."
    assert body["current"]["updated_by"] == "bob"
    assert body["current"]["key"] == "summary"
    assert "version 1" in body["detail"] and "version 2" in body["detail"]
    section = retro.sections.get(key="summary")
    assert (section.body, section.version) == ("Bob's summary.", 2)
    assert section.revisions.count() == 2


def test_a_resubmit_with_the_version_from_the_conflict_succeeds(people, api, retro, client_for):
    put_json(client_for("bob"), section_url(retro), {"body": "Bob's summary.", "base_version": 1})
    conflict = put_json(api, section_url(retro), {"body": "Alice's summary.", "base_version": 1}).json()
    response = put_json(
        api, section_url(retro), {"body": "Alice's summary.", "base_version": conflict["current"]["version"]}
    )
    assert response.status_code == 200
    assert response.json()["version"] == 3


def test_saving_the_same_text_does_not_make_a_version(people, api, retro):
    put_json(api, section_url(retro), {"body": "Same.", "base_version": 1})
    response = put_json(api, section_url(retro), {"body": "Same.", "base_version": 2})
    assert response.status_code == 200
    assert response.json()["version"] == 2


def test_a_section_over_one_megabyte_is_refused(people, api, retro):
    response = put_json(api, section_url(retro), {"body": "a" * 1_000_001, "base_version": 1})
    assert response.status_code == 422
    assert response.json()["field"] == "body"
    section = retro.sections.get(key="summary")
    assert (section.body, section.version) == ("", 1)


def test_a_section_of_exactly_one_megabyte_is_accepted(people, api, retro):
    response = put_json(api, section_url(retro), {"body": "a" * 1_000_000, "base_version": 1})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"body": "x"}, "base_version"),
        ({"base_version": 1}, "body"),
        ({"body": "x", "base_version": 0}, "base_version"),
    ],
)
def test_a_section_save_needs_body_and_base_version(people, api, retro, payload, field):
    response = put_json(api, section_url(retro), payload)
    assert response.status_code == 422
    assert response.json()["field"] == field


# --- Export and re-import ------------------------------------------------------------------------


@pytest.fixture
def written(people, retro):
    from retrospector.writeups.services import section_save

    bodies = {
        "summary": "For 52 minutes **card payments** failed.\n\n- EU only\n- SEV2",
        "contributing-factors": "| factor | note |\n|---|---|\n| proxy limit | lowered |",
    }
    for section in retro.sections.filter(key__in=bodies):
        section_save(section=section, body=bodies[section.key], base_version=section.version, by=people["alice"])
    return retro


@pytest.mark.parametrize(
    "fmt, content_type", [("md", "text/markdown"), ("html", "text/html"), ("json", "application/json")]
)
def test_it_exports(people, api, written, fmt, content_type):
    response = api.get(f"/api/v1/retrospectives/{written.pk}/export?format={fmt}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Disposition"].rstrip('"').endswith(f".{fmt}")


def test_the_default_export_is_markdown(people, api, written):
    response = api.get(f"/api/v1/retrospectives/{written.pk}/export")
    assert response["Content-Type"].startswith("text/markdown")
    text = response.content.decode()
    assert text.startswith("---\nformat: retrospector/1\n")
    assert "## Summary\n<!-- retrospector:section key=summary -->" in text


def test_an_unknown_export_format_is_refused(people, api, written):
    response = api.get(f"/api/v1/retrospectives/{written.pk}/export?format=pdf")
    assert response.status_code == 422
    assert response.json()["field"] == "format"


def test_the_json_export_has_a_schema_version_and_the_sections(people, api, written):
    data = json.loads(api.get(f"/api/v1/retrospectives/{written.pk}/export?format=json").content)
    assert data["schema_version"] == 1
    assert data["retrospective"]["id"] == written.pk
    assert data["retrospective"]["template"]["key"] == "postmortem"
    sections = data["retrospective"]["sections"]
    assert [s["key"] for s in sections] == template_keys("postmortem")
    summary = sections[0]
    assert summary["body"].startswith("For 52 minutes **card payments** failed.")
    assert summary["version"] == 2
    assert data["incident"]["id"] == written.incident_id
    assert data["incident"]["team"] == "payments"


def test_the_html_export_is_standalone_and_sanitized(people, api, written):
    from retrospector.writeups.services import section_save

    section = written.sections.get(key="summary")
    section_save(
        section=section, body="<script>alert(1)</script> hello", base_version=section.version, by=people["alice"]
    )
    response = api.get(f"/api/v1/retrospectives/{written.pk}/export?format=html")
    html = response.content.decode()
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html
    assert "<strong>card payments</strong>" not in html  # summary was replaced
    assert "hello" in html


def test_markdown_export_reimports_to_the_same_text(people, api, written):
    first = api.get(f"/api/v1/retrospectives/{written.pk}/export?format=md").content.decode()
    response = post_json(
        api,
        f"/api/v1/incidents/{written.incident_id}/retrospectives/import",
        {"markdown": first, "filename": "exported.md"},
    )
    assert response.status_code == 201, response.content
    imported = response.json()
    assert imported["id"] != written.pk
    assert imported["template"] == "postmortem"
    assert [s["key"] for s in imported["sections"]] == template_keys("postmortem")
    second = api.get(f"/api/v1/retrospectives/{imported['id']}/export?format=md").content.decode()
    assert second == first


def test_an_unreadable_import_is_refused_naming_the_file(people, api, incident):
    from retrospector.writeups.models import Retrospective

    response = post_json(
        api,
        f"/api/v1/incidents/{incident.pk}/retrospectives/import",
        {"markdown": "---\ntitle: [unclosed\n---\n## A\n", "filename": "broken.md"},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "file"
    assert "broken.md" in response.json()["detail"]
    assert not Retrospective.objects.exists()


def test_plain_markdown_imports_one_section_per_heading(people, api, incident):
    response = post_json(
        api,
        f"/api/v1/incidents/{incident.pk}/retrospectives/import",
        {"markdown": "# Outage\n\n## What happened\n\nThe proxy.\n\n## Next steps\n\n- fix it\n"},
    )
    assert response.status_code == 201
    data = response.json()
    assert data["title"] == "Outage"
    assert [(s["key"], s["body"]) for s in data["sections"]] == [
        ("what-happened", "The proxy."),
        ("next-steps", "- fix it"),
    ]


# --- States --------------------------------------------------------------------------------------


def state_url(retro):
    return f"/api/v1/retrospectives/{retro.pk}/state"


def test_it_moves_through_the_states(people, api, retro, client_for):
    fill_required(retro, people["alice"])
    for state in ("in_review", "meeting"):
        response = post_json(api, state_url(retro), {"state": state, "note": f"to {state}"})
        assert response.status_code == 200, response.content
        assert response.json()["state"] == state
    # alice owns it: someone else approves, through the final approval (which publishes it: done)
    oscar = client_for("oscar")
    token = oscar.get(f"/api/v1/retrospectives/{retro.pk}/approval").json()["token"]
    response = post_json(oscar, f"/api/v1/retrospectives/{retro.pk}/approve", {"token": token})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "done" and response.json()["done_at"] is not None
    changes = json.loads(api.get(f"/api/v1/retrospectives/{retro.pk}/export?format=json").content)["retrospective"][
        "state_changes"
    ]
    assert [(c["from"], c["to"], c["by"]) for c in changes] == [
        ("draft", "in_review", "alice"),
        ("in_review", "meeting", "alice"),
        ("meeting", "done", "oscar"),
    ]


@pytest.mark.parametrize("state", ["approved", "done", "draft"])
def test_an_invalid_transition_is_refused(people, api, retro, state):
    fill_required(retro, people["alice"])
    response = post_json(api, state_url(retro), {"state": state})
    assert response.status_code == 422
    assert response.json()["field"] == "state"
    retro.refresh_from_db()
    assert retro.state == "draft"


def test_an_unknown_state_is_refused(people, api, retro):
    response = post_json(api, state_url(retro), {"state": "published"})
    assert response.status_code == 422
    assert response.json()["field"] == "state"


def test_approving_with_empty_required_sections_names_them(people, api, retro):
    from retrospector.writeups.services import section_save

    assert post_json(api, state_url(retro), {"state": "in_review"}).status_code == 200
    required = list(retro.sections.filter(required=True).order_by("position"))
    assert len(required) >= 2
    # Fill all but the first two; one of those is only whitespace, which counts as empty.
    for section in required[2:]:
        section_save(section=section, body="Done.", base_version=section.version, by=people["alice"])
    section_save(section=required[1], body="  \n\t ", base_version=required[1].version, by=people["alice"])
    assert post_json(api, state_url(retro), {"state": "meeting"}).status_code == 200
    response = post_json(api, state_url(retro), {"state": "approved"})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "state"
    assert required[0].title in body["detail"] and required[1].title in body["detail"]
    for section in required[2:]:
        assert section.title not in body["detail"]
    retro.refresh_from_db()
    assert retro.state == "meeting"


def test_a_viewer_cannot_change_the_state(people, retro, client_for):
    response = post_json(client_for("dana"), state_url(retro), {"state": "in_review"})
    assert response.status_code == 403
    retro.refresh_from_db()
    assert retro.state == "draft"
