"""The write-up checks in the editor, on the API and with team and organization settings."""

import pytest

from retrospector.writeups.services import section_save


@pytest.fixture
def retro(make_incident, make_retrospective):
    return make_retrospective(make_incident())


def write(retro, key, body, by):
    section = retro.sections.get(key=key)
    return section_save(section=section, body=body, base_version=section.version, by=by)


def test_the_retrospective_page_counts_findings_per_section(retro, people, client_for):
    write(retro, "contributing-factors", "- The outage was caused by human error.", people["alice"])
    page = client_for("dana").get(f"/retrospectives/{retro.pk}/").content.decode()
    assert "human error" in page and "blame" in page
    assert '<span class="badge finding-count"' in page


def test_the_editor_checks_the_draft_as_the_author_types(retro, client_for):
    response = client_for("bob").post(
        f"/preview?retrospective={retro.pk}&section=contributing-factors",
        {"body": "Bob should have checked the replica lag."},
    )
    html = response.content.decode()
    assert "<p><mark " in html and ">Bob should have checked</mark>" in html and " the replica lag.</p>" in html
    assert 'id="findings-contributing-factors" aria-live="polite" hx-swap-oob="true"' in html
    assert "counterfactual" in html


def test_the_preview_does_not_check_a_retrospective_the_user_cannot_see(make_incident, make_retrospective, client_for):
    private = make_retrospective(make_incident(visibility="private"))
    html = (
        client_for("charlie")
        .post(f"/preview?retrospective={private.pk}&section=summary", {"body": "human error"})
        .content.decode()
    )
    assert "findings-" not in html


def test_the_api_checks_markdown_with_a_template(client_for):
    text = "# Outage\n\n## Summary\n\nThe root cause was human error.\n"
    data = (
        client_for("bob")
        .post("/api/v1/checks", {"markdown": text, "template": "postmortem"}, content_type="application/json")
        .json()
    )
    rules = {f["rule"] for f in data["findings"]}
    assert {"blame", "root-cause", "section-empty"} <= rules
    assert data["counts"]["error"] >= 2
    bad = client_for("bob").post(
        "/api/v1/checks", {"markdown": "x", "config": {"disable": ["no-such-rule"]}}, content_type="application/json"
    )
    # The rule ids are an enum of the document: the 422 names the entry.
    assert bad.status_code == 422 and bad.json()["field"] == "config.disable.0"


def test_the_api_returns_a_retrospectives_findings(retro, people, client_for):
    write(retro, "summary", "Checkout failed because the operator was careless.", people["alice"])
    data = client_for("dana").get(f"/api/v1/retrospectives/{retro.pk}/checks").json()
    assert any(f["rule"] == "blame" and f["section_key"] == "summary" for f in data["findings"])
    assert client_for("charlie").get("/api/v1/retrospectives/999999/checks").status_code == 404


def test_a_team_can_turn_a_rule_off_and_an_organization_add_words(retro, people, client_for):
    write(
        retro, "contributing-factors", "- The outage was caused by human error.\n- Jenkins was sloppy.", people["alice"]
    )
    admin = client_for("alice")
    admin.post("/teams/payments/", {"action": "checks", "checks_config": "disable: [blame]"})
    data = admin.get(f"/api/v1/retrospectives/{retro.pk}/checks").json()
    assert not any(f["rule"] == "blame" for f in data["findings"])
    broken = admin.post("/teams/payments/", {"action": "checks", "checks_config": "disable: [nope]"}, follow=True)
    assert "unknown rule" in broken.content.decode()
    assert client_for("bob").post("/teams/payments/", {"action": "checks", "checks_config": ""}).status_code == 403
    assert client_for("alice").get("/settings/checks").status_code == 403
    assert (
        client_for("oscar").post("/settings/checks", {"checks_config": "severity: {counterfactual: error}"}).status_code
        == 302
    )


def test_everyone_can_read_the_rules(client_for):
    page = client_for("erin").get("/checks/").content.decode()
    assert "<code>blame</code>" in page and "Organization settings" not in page
