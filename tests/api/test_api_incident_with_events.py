"""GET /api/v1/incidents/{id}?include=events: the incident and the first page of its timeline events in one request,
the page exactly as the events endpoint answers it (same shape, same cursor), for those who may see the incident."""

from datetime import UTC, datetime, timedelta

import pytest

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def add_events(incident, by, count: int, *, first: int = 0, **extra):
    from retrospector.timeline.models import TimelineEvent

    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            incident=incident,
            created_by=by,
            occurred_at=T0 + timedelta(seconds=n),
            actor=f"Person {n % 7}",
            kind="message",
            text=f"Event {n}",
            source_type="slack",
            source_ref=f"C1/{n}.000001",
            tags=["milestone:detected"] if n == 3 else [],
            **extra,
        )
        for n in range(first, first + count)
    )


@pytest.fixture
def busy_incident(make_incident, people):
    """An incident with 150 events, and 5 hidden ones among the first."""
    incident = make_incident(title="Busy incident")
    add_events(incident, people["bob"], 150, first=10)
    add_events(incident, people["bob"], 5, hidden=True)
    return incident


def test_it_answers_the_incident_with_the_first_page_of_its_events(busy_incident, client_for):
    client = client_for("charlie")
    url = f"/api/v1/incidents/{busy_incident.pk}"
    answer = client.get(url, {"include": "events"})
    assert answer.status_code == 200
    data = answer.json()
    assert {key: value for key, value in data.items() if key != "events"} == client.get(url).json()
    assert data["events"] == client.get(f"{url}/events").json()
    events = data["events"]["results"]
    assert len(events) == 100 and events[0]["text"] == "Event 10"  # hidden ones left out, as /events does
    assert data["events"]["previous_cursor"] is None


def test_its_next_cursor_reads_on_at_the_events_endpoint(busy_incident, client_for):
    client = client_for("charlie")
    first = client.get(f"/api/v1/incidents/{busy_incident.pk}", {"include": "events"}).json()["events"]
    rest = client.get(f"/api/v1/incidents/{busy_incident.pk}/events", {"after": first["next_cursor"]}).json()
    texts = [event["text"] for event in first["results"] + rest["results"]]
    assert texts == [f"Event {n}" for n in range(10, 160)]
    assert rest["next_cursor"] is None


def test_without_include_the_answer_has_no_events(busy_incident, client_for):
    data = client_for("charlie").get(f"/api/v1/incidents/{busy_incident.pk}").json()
    assert "events" not in data
    assert data["title"] == "Busy incident"


def test_an_incident_without_events_answers_an_empty_page(make_incident, client_for):
    incident = make_incident(title="Quiet incident")
    data = client_for("bob").get(f"/api/v1/incidents/{incident.pk}?include=events").json()
    assert data["events"] == {"results": [], "next_cursor": None, "previous_cursor": None}


@pytest.mark.parametrize("name", ["charlie", "erin"])
def test_someone_who_may_not_see_the_incident_gets_the_same_404_with_or_without_events(
    make_incident, people, client_for, name
):
    private = make_incident(title="Private outage", visibility="private")
    add_events(private, people["bob"], 3)
    client = client_for(name)
    without = client.get(f"/api/v1/incidents/{private.pk}")
    with_events = client.get(f"/api/v1/incidents/{private.pk}", {"include": "events"})
    assert without.status_code == with_events.status_code == 404
    assert with_events.json() == without.json()
    assert b"Event" not in with_events.content and b"Private outage" not in with_events.content


def test_an_invitee_reads_a_private_incident_with_its_events(make_incident, people, client_for):
    private = make_incident(title="Private outage", visibility="private", invitees=[people["charlie"]])
    add_events(private, people["bob"], 3)
    data = client_for("charlie").get(f"/api/v1/incidents/{private.pk}", {"include": "events"}).json()
    assert [event["text"] for event in data["events"]["results"]] == ["Event 0", "Event 1", "Event 2"]


def test_another_organization_gets_a_404(busy_incident, org, client_for):
    from django.test import Client

    from retrospector.accounts.services import organization_create
    from tests.conftest import make_user

    other = make_user(organization_create(name="Globex", slug="globex"), "olga", org_admin=True)
    client = Client()
    client.force_login(other)
    assert client.get(f"/api/v1/incidents/{busy_incident.pk}", {"include": "events"}).status_code == 404


def test_an_unknown_include_is_refused_naming_the_parameter(busy_incident, client_for):
    answer = client_for("bob").get(f"/api/v1/incidents/{busy_incident.pk}", {"include": "retrospectives"})
    assert answer.status_code == 422
    assert answer.json()["field"].startswith("include")


def test_it_reads_a_constant_number_of_queries_however_many_events(
    make_incident, people, client_for, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    incident = make_incident(title="Growing incident")
    add_events(incident, people["bob"], 3)
    client = client_for("bob")
    url = f"/api/v1/incidents/{incident.pk}?include=events"
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    without = CaptureQueriesContext(connection)
    with without:
        client.get(f"/api/v1/incidents/{incident.pk}")
    assert len(few) == len(without) + 1  # the events' page: one query
    add_events(incident, people["bob"], 300, first=3)
    with django_assert_max_num_queries(len(few)):
        assert len(client.get(url).json()["events"]["results"]) == 100
