""" "Ignore here" through the API: an editor ignores a finding by its section, rule and passage (as the findings give
them), with a reason; it stops counting; taking it back makes it count again and keeps who and when. Readers get 403,
outsiders of a private incident 404, and a blank reason or an unknown section is a 422 naming the field."""

import pytest

from retrospector.writeups.models import FindingIgnore
from retrospector.writeups.services import section_save

KEY = "contributing-factors"
BODY = "The deploy went out at 14:00.\n\nThe outage was caused by human error.\n"


def write(retro, body, by):
    section = retro.sections.get(key=KEY)
    return section_save(section=section, body=body, base_version=section.version, by=by)


@pytest.fixture
def retro(make_incident, make_retrospective, people):
    retrospective = make_retrospective(make_incident())
    write(retrospective, BODY, people["alice"])
    return retrospective


def checks(client, retro):
    data = client.get(f"/api/v1/retrospectives/{retro.pk}/checks").json()
    blame = [f for f in data["findings"] if f["rule"] == "blame" and f["section_key"] == KEY]
    return data, blame


def test_an_editor_ignores_a_finding_through_the_api_and_takes_it_back(retro, client_for):
    bob = client_for("bob")
    data, (finding,) = checks(bob, retro)
    errors = data["counts"]["error"]
    assert "human error" in finding["passage"] and finding["ignored"] is False

    answer = bob.post(
        f"/api/v1/retrospectives/{retro.pk}/checks/ignores",
        {"section": KEY, "rule": "blame", "passage": finding["passage"], "reason": "Quoting the customer."},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    ignore = answer.json()
    assert (ignore["by"], ignore["reason"], ignore["taken_back_at"]) == ("bob", "Quoting the customer.", None)

    data, (finding,) = checks(bob, retro)
    assert finding["ignored"] is True and finding["ignore"]["id"] == ignore["id"]
    assert data["counts"]["error"] == errors - 1 and data["ignored"] == 1

    answer = bob.delete(f"/api/v1/retrospectives/{retro.pk}/checks/ignores/{ignore['id']}")
    assert answer.status_code == 200 and answer.json()["taken_back_by"] == "bob"
    data, (finding,) = checks(bob, retro)
    assert finding["ignored"] is False and data["counts"]["error"] == errors
    assert FindingIgnore.objects.get(pk=ignore["id"]).unignored_at is not None  # the row stays: the history


def test_a_blank_reason_or_an_unknown_section_is_refused_naming_the_field(retro, client_for):
    bob = client_for("bob")
    url = f"/api/v1/retrospectives/{retro.pk}/checks/ignores"
    blank = bob.post(
        url, {"section": KEY, "rule": "blame", "passage": "x", "reason": "  "}, content_type="application/json"
    )
    assert blank.status_code == 422 and "reason" in blank.content.decode()
    unknown = bob.post(
        url, {"section": "nope", "rule": "blame", "passage": "x", "reason": "Fine."}, content_type="application/json"
    )
    assert unknown.status_code == 422 and "section" in unknown.content.decode()
    assert not FindingIgnore.objects.exists()


def test_readers_get_403_and_outsiders_of_a_private_incident_404(make_incident, make_retrospective, people, client_for):
    private = make_retrospective(make_incident(visibility="private", title="Private one"))
    write(private, BODY, people["alice"])
    payload = {"section": KEY, "rule": "blame", "passage": "human error", "reason": "Mine."}
    for name, status in (("charlie", 404), ("erin", 404), ("dana", 403)):  # other team, no team; a viewer
        answer = client_for(name).post(
            f"/api/v1/retrospectives/{private.pk}/checks/ignores", payload, content_type="application/json"
        )
        assert answer.status_code == status, name
    assert not FindingIgnore.objects.exists()
    stored = client_for("alice").post(
        f"/api/v1/retrospectives/{private.pk}/checks/ignores", payload, content_type="application/json"
    )
    assert stored.status_code == 201
    for name, status in (("charlie", 404), ("dana", 403)):
        answer = client_for(name).delete(f"/api/v1/retrospectives/{private.pk}/checks/ignores/{stored.json()['id']}")
        assert answer.status_code == status, name
    assert FindingIgnore.objects.get().unignored_at is None
