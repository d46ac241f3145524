"""The write-up checks know the organization's people: its users and the people acting in the incident's timeline
count as people, so "Okonkwo caused the outage" is blame when Chidi Okonkwo works here. Only this organization's
people, in a bounded number of queries however many there are."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retrospector.writeups.checking import people_for
from retrospector.writeups.services import section_save


@pytest.fixture
def retro(make_incident, make_retrospective):
    return make_retrospective(make_incident())


def write(retro, key, body, by):
    section = retro.sections.get(key=key)
    return section_save(section=section, body=body, base_version=section.version, by=by)


def rules_in(client, retro, key):
    data = client.get(f"/api/v1/retrospectives/{retro.pk}/checks").json()
    return {f["rule"] for f in data["findings"] if f["section_key"] == key}


def add_actor(incident, name, by, *, kind="person", minutes=10):
    from retrospector.timeline.services import event_add

    return event_add(
        incident=incident,
        by=by,
        occurred_at=incident.started_at + timedelta(minutes=minutes),
        text="Looked at the dashboards.",
        actor=name,
        actor_kind=kind,
        original_offset_minutes=0,
    )


def test_it_reports_blame_on_a_user_of_the_organization(org, retro, people, client_for):
    from conftest import make_user

    # A surname used as a nickname: no list of given names holds it, only the organization knows it is a person.
    okonkwo = make_user(org, "chidi.o")
    okonkwo.full_name = "Chidi Okonkwo"
    okonkwo.save()
    write(retro, "contributing-factors", "Okonkwo caused the outage.", people["alice"])
    assert "blame" in rules_in(client_for("dana"), retro, "contributing-factors")
    page = client_for("dana").get(f"/retrospectives/{retro.pk}/").content.decode()
    assert ">Okonkwo caused</mark>" in page


def test_first_and_last_names_and_usernames_count_too(org, retro, people, client_for):
    from conftest import make_user

    user = make_user(org, "kofi")
    user.first_name, user.last_name, user.full_name = "Ama", "Mensah", ""
    user.save()
    for text in ("Mensah caused the outage.", "Ama caused the outage.", "Kofi caused the outage."):
        write(retro, "contributing-factors", text, people["alice"])
        assert "blame" in rules_in(client_for("bob"), retro, "contributing-factors"), text


def test_a_person_of_another_organization_is_not_one_of_ours(retro, people, client_for):
    from conftest import make_user

    from retrospector.accounts.services import organization_create

    make_user(organization_create(name="Globex", slug="globex"), "okonkwo")
    write(retro, "contributing-factors", "Okonkwo caused the outage.", people["alice"])
    assert "blame" not in rules_in(client_for("bob"), retro, "contributing-factors")


def test_it_reports_hindsight_on_an_actor_of_the_incidents_timeline(retro, people, client_for):
    add_actor(retro.incident, "Hermione", people["alice"])
    write(retro, "contributing-factors", "Hermione should have pinned the version.", people["alice"])
    assert "counterfactual" in rules_in(client_for("bob"), retro, "contributing-factors")


def test_an_actor_of_another_incident_or_a_bot_is_not_a_person_here(
    retro, people, make_incident, client_for, django_assert_num_queries
):
    add_actor(make_incident(title="Another one"), "Hermione", people["alice"])
    add_actor(retro.incident, "Zebrabot", people["alice"], kind="bot")
    assert "Hermione" not in people_for(retro.incident)
    assert "Zebrabot" not in people_for(retro.incident)


def test_a_new_actor_counts_as_soon_as_the_timeline_changes(retro, people, client_for):
    write(retro, "contributing-factors", "Hermione should have pinned the version.", people["alice"])
    client = client_for("bob")
    assert "counterfactual" not in rules_in(client, retro, "contributing-factors")  # cached for this timeline version
    add_actor(retro.incident, "Hermione", people["alice"])
    assert "counterfactual" in rules_in(client, retro, "contributing-factors")


def test_the_editor_preview_knows_the_people(retro, people, client_for):
    add_actor(retro.incident, "Hermione", people["alice"])
    html = (
        client_for("bob")
        .post(
            f"/preview?retrospective={retro.pk}&section=contributing-factors",
            {"body": "Hermione should have pinned the version."},
        )
        .content.decode()
    )
    assert "counterfactual" in html and ">Hermione should have pinned</mark>" in html


def test_the_api_check_of_markdown_knows_the_callers_organization(org, people, client_for):
    from conftest import make_user

    make_user(org, "okonkwo")
    data = (
        client_for("bob")
        .post(
            "/api/v1/checks",
            {"markdown": "## Contributing factors\n\nOkonkwo caused the outage.\n"},
            content_type="application/json",
        )
        .json()
    )
    assert "blame" in {f["rule"] for f in data["findings"]}


def _crowd(org, incident, size):
    """`size` more users of the organization and `size` more people in the incident's timeline."""
    from retrospector.accounts.models import User
    from retrospector.timeline.models import TimelineEvent

    User.objects.bulk_create(
        User(username=f"person{n}", first_name=f"First{n}", last_name=f"Last{n}", organization=org) for n in range(size)
    )
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            incident=incident,
            occurred_at=incident.started_at + timedelta(seconds=n),
            actor=f"Actor{n}",
            text="x",
            source_type="manual",
        )
        for n in range(size)
    )


def test_the_people_cost_two_queries_however_many_there_are_then_one(org, retro, django_assert_num_queries):
    from django.core.cache import cache

    incident = retro.incident
    with django_assert_num_queries(2):  # the organization's users; the timeline's actors
        few = people_for(incident)
    _crowd(org, incident, 300)
    cache.clear()
    with django_assert_num_queries(2):
        many = people_for(incident)
    assert len(many) > len(few) + 300 * 3
    with django_assert_num_queries(1):  # the timeline's actors are cached until it changes
        people_for(incident)


def test_the_page_and_the_preview_cost_the_same_queries_with_many_people(org, retro, people, client_for):
    from django.core.cache import cache

    write(retro, "contributing-factors", "Actor3 should have pinned the version.", people["alice"])
    client = client_for("bob")
    url, preview = f"/retrospectives/{retro.pk}/", f"/preview?retrospective={retro.pk}&section=summary&in_page=1"

    def queries():
        cache.clear()
        counts = []
        for call in (lambda: client.get(url), lambda: client.post(preview, {"body": "Actor7 caused it."})):
            with CaptureQueriesContext(connection) as captured:
                assert call().status_code == 200
            counts.append(len(captured))
        return counts

    before = queries()
    _crowd(org, retro.incident, 300)
    assert queries() == before
