"""The done list: write-ups approved and published, filterable (team, severity, service, done dates, title), paged,
with who approved them; a private incident's write-up is never listed nor counted for outsiders, on the page and in
the API; a page costs the same queries however many rows it shows."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retrospector.meetings.approval import approve
from retrospector.writeups.models import Retrospective
from tests.meetings.approval_support import _fast_password_hashing, ready_fixture, set_state, token_of  # noqa: F401


def done_on(retrospective, day):
    Retrospective.objects.filter(pk=retrospective.pk).update(done_at=datetime(2026, 5, day, 12, tzinfo=UTC))


@pytest.fixture
def shelf(ready, people):
    """Four done write-ups: payments (SEV1, service "cards", private), payments (SEV2), platform (SEV2), and one
    still in its meeting."""
    from retrospector.incidents.models import Service

    made = {}
    for name, team, visibility, severity, day in (
        ("Private card outage", "payments", "private", "SEV1", 3),
        ("Checkout errors", "payments", "organization", "SEV2", 10),
        ("Platform DNS failure", "platform", "organization", "SEV2", 20),
    ):
        retrospective = ready(team=team, visibility=visibility, title=name)
        Retrospective.objects.filter(pk=retrospective.pk).update(title=name)
        retrospective.incident.severity = retrospective.incident.severity.__class__.objects.get(
            organization=retrospective.incident.organization, key=severity
        )
        retrospective.incident.save(update_fields=["severity"])
        approve(retrospective=retrospective, by=people["oscar"], token=token_of(retrospective))
        done_on(retrospective, day)
        made[name] = retrospective
    cards = Service.objects.create(organization=people["payments"].organization, name="cards")
    made["Private card outage"].incident.services.add(cards)
    made["open"] = ready(title="Still in its meeting")
    return made


def titles(client, query=""):
    page = client.get(f"/writeups/?{query}")
    assert page.status_code == 200
    body = page.content.decode()
    return {t for t in ("Private card outage", "Checkout errors", "Platform DNS failure", "Still in its") if t in body}


def api_titles(client, query=""):
    answer = client.get(f"/api/v1/writeups/done?{query}")
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["count"] == len(data["results"]) or data["pages"] > 1
    return {r["title"] for r in data["results"]}, data["count"]


ALL = {"Private card outage", "Checkout errors", "Platform DNS failure"}


@pytest.mark.parametrize(
    "name, visible",
    [
        ("bob", ALL),
        ("oscar", ALL),
        ("charlie", ALL - {"Private card outage"}),
        ("erin", ALL - {"Private card outage"}),
    ],
)
def test_everyone_allowed_reads_the_done_list_and_a_private_write_up_stays_with_its_team(
    shelf, client_for, name, visible
):
    client = client_for(name)
    assert titles(client) == visible
    assert api_titles(client) == (visible, len(visible))


@pytest.mark.parametrize(
    "query, expected",
    [
        ("team=platform", {"Platform DNS failure"}),
        ("team=payments", {"Private card outage", "Checkout errors"}),
        ("severity=SEV1", {"Private card outage"}),
        ("service=cards", {"Private card outage"}),
        ("done_from=2026-05-05", {"Checkout errors", "Platform DNS failure"}),
        ("done_to=2026-05-10", {"Private card outage", "Checkout errors"}),
        ("done_from=2026-05-04&done_to=2026-05-19", {"Checkout errors"}),
        ("q=dns", {"Platform DNS failure"}),
    ],
)
def test_the_filters_narrow_the_list_on_the_page_and_in_the_api(shelf, client_for, query, expected):
    assert titles(client_for("bob"), query) == expected
    assert api_titles(client_for("bob"), query)[0] == expected


def test_an_outsider_filtering_for_the_private_write_up_finds_nothing(shelf, client_for):
    assert titles(client_for("charlie"), "service=cards") == set()
    assert api_titles(client_for("charlie"), "severity=SEV1") == (set(), 0)


def test_it_shows_the_done_date_and_who_approved(shelf, client_for):
    page = client_for("bob").get("/writeups/").content.decode()
    assert "2026-05-20" in page and "Oscar" in page
    rows = client_for("bob").get("/api/v1/writeups/done").json()["results"]
    assert [r["approved_by"] for r in rows] == ["oscar", "oscar", "oscar"]
    assert rows[0]["title"] == "Platform DNS failure" and rows[0]["done_at"].startswith("2026-05-20")


def test_the_api_pages_the_list(shelf, client_for):
    data = client_for("bob").get("/api/v1/writeups/done?page_size=2&page=2").json()
    assert (data["count"], data["pages"], data["page"]) == (3, 2, 2)
    assert [r["title"] for r in data["results"]] == ["Private card outage"]


def test_a_page_of_the_done_list_costs_the_same_queries_however_many_rows(shelf, ready, people, client_for):
    client = client_for("bob")

    def count():
        client.get("/writeups/")
        with CaptureQueriesContext(connection) as page:
            client.get("/writeups/")
        with CaptureQueriesContext(connection) as api:
            client.get("/api/v1/writeups/done")
        return len(page), len(api)

    before = count()
    for n in range(4):
        retrospective = ready(title=f"More {n}")
        set_state(retrospective, "done", done_at=datetime(2026, 5, 1, tzinfo=UTC))
    assert count() == before
