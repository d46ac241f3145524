"""One settings area for organization admins (organization, people, severities, write-up checks), reached by one
"Settings" link; the write-up checks have a form for the common settings and the YAML for the rest, kept consistent.
The catalog of rules stays public."""

import re

import pytest
import yaml

from retrospector.accounts.models import Organization

SETTINGS_PAGES = ["/organization/", "/people/", "/settings/severities", "/settings/checks"]


def main_nav(html: str) -> str:
    return html.split('<nav aria-label="Main"', 1)[1].split("</nav>", 1)[0]


def selected(html: str, rule: str) -> str:
    select = html.split(f'name="level-{rule}"', 1)[1].split("</select>", 1)[0]
    return re.search(r'<option value="([a-z]+)"[^>]*selected', select).group(1)


def stored(org) -> dict:
    return Organization.objects.get(pk=org.pk).checks_config


@pytest.mark.parametrize("url", SETTINGS_PAGES)
def test_every_settings_page_is_for_organization_admins_only(client_for, url):
    assert client_for("alice").get(url).status_code == 403  # a team admin, not an organization admin
    assert client_for("bob").get(url).status_code == 403
    page = client_for("oscar").get(url)
    assert page.status_code == 200
    nav = page.content.decode().split('<nav class="settings-nav" aria-label="Settings">', 1)[1].split("</nav>")[0]
    assert re.findall(r">([^<>]+)</a>", nav) == ["Organization", "People", "Severities", "Write-up checks"]
    assert 'aria-current="page"' in nav


def test_the_main_navigation_has_one_settings_link_for_admins_and_the_rules_for_everyone(client_for):
    admin = main_nav(client_for("oscar").get("/incidents/").content.decode())
    member = main_nav(client_for("bob").get("/incidents/").content.decode())
    assert ">Settings</a>" in admin and ">Settings</a>" not in member
    for nav in (admin, member):
        assert 'href="/checks/"' in nav and ">Write-up checks</a>" in nav
        assert ">Severities</a>" not in nav and ">People</a>" not in nav and "/settings/checks" not in nav
    on_a_settings_page = main_nav(client_for("oscar").get("/settings/severities").content.decode())
    assert re.search(r'href="/organization/" aria-current="page">Settings</a>', on_a_settings_page)


def test_the_rules_are_public_and_say_what_the_organization_changed(org, client_for):
    org.checks_config = {"disable": ["timeline-source"], "severity": {"blame": "warning"}}
    org.save(update_fields=["checks_config"])
    page = client_for("bob").get("/checks/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="rule-blame"' in html and "warning in your organization" in html and "off in your organization" in html
    assert "/settings/checks" not in html  # no way in for a member
    assert "Change them for your organization" in client_for("oscar").get("/checks/").content.decode()


def test_the_form_shows_the_defaults_when_nothing_is_set(client_for):
    html = client_for("oscar").get("/settings/checks").content.decode()
    assert selected(html, "blame") == "error"
    assert selected(html, "recommendation-untraced") == "off"  # off by default
    assert "Error (default)" in html and 'name="words-people"' in html


def test_the_form_saves_levels_and_word_lists_and_keeps_the_other_settings(org, client_for):
    org.checks_config = {"words": {"blame": ["cowboy deploy"], "people": ["Jo"]}}
    org.save(update_fields=["checks_config"])
    client = client_for("oscar")
    data = {"action": "form", "words-people": "Priyanka\n\n  Sam  ", "words-roles": "on-call lead", "words-allow": ""}
    page = client.get("/settings/checks").content.decode()
    assert "Jo" in page.split('name="words-people"', 1)[1].split("</textarea>")[0]
    for rule in re.findall(r'name="level-([a-z-]+)"', page):
        data[f"level-{rule}"] = selected(page, rule)
    data.update({"level-blame": "warning", "level-timeline-source": "off", "level-recommendation-untraced": "info"})

    response = client.post("/settings/checks", data)

    assert response.status_code == 302
    assert stored(org) == {
        "disable": ["timeline-source"],
        "enable": ["recommendation-untraced"],
        "severity": {"blame": "warning"},
        "words": {"blame": ["cowboy deploy"], "people": ["Priyanka", "Sam"], "roles": ["on-call lead"]},
    }
    again = client.get("/settings/checks").content.decode()
    assert selected(again, "blame") == "warning" and selected(again, "timeline-source") == "off"
    shown_yaml = again.split('name="checks_config"', 1)[1].split(">", 1)[1].split("</textarea>")[0]
    assert yaml.safe_load(shown_yaml.replace("&#x27;", "'").replace("&quot;", '"')) == stored(org)


def test_saving_yaml_changes_what_the_form_shows(org, client_for):
    client = client_for("oscar")
    text = "severity:\n  root-cause: info\ndisable: [question-why]\nwords:\n  systems: [Sam]\n"
    response = client.post("/settings/checks", {"action": "yaml", "checks_config": text})
    assert response.status_code == 302
    html = client.get("/settings/checks").content.decode()
    assert selected(html, "root-cause") == "info" and selected(html, "question-why") == "off"
    assert stored(org)["words"] == {"systems": ["Sam"]}


def test_bad_yaml_is_refused_with_the_reason_and_nothing_is_saved(org, client_for):
    response = client_for("oscar").post(
        "/settings/checks", {"action": "yaml", "checks_config": "severity:\n  blame: loud\n"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "severity.blame" in html and "blame: loud" in html  # the reason, and the text kept to fix
    assert stored(org) == {}


def test_an_unknown_level_in_the_form_is_refused(org, client_for):
    response = client_for("oscar").post("/settings/checks", {"action": "form", "level-blame": "loud"})
    assert response.status_code == 422 and stored(org) == {}


def test_a_member_cannot_save_settings(org, client_for):
    response = client_for("bob").post("/settings/checks", {"action": "yaml", "checks_config": "disable: [blame]"})
    assert response.status_code == 403 and stored(org) == {}
