"""Deep pages are read with a deferred join (keys first, then rows); they must match a plain OFFSET exactly."""

from datetime import UTC, datetime, timedelta

import pytest

from retrospector.core import paging


@pytest.fixture
def many_incidents(people):
    """60 incidents in both teams, some private, several sharing a start time (the order's tie-break is the id)."""
    from retrospector.incidents.models import Incident, Service, SeverityLevel

    org = people["payments"].organization
    severity = SeverityLevel.objects.get(organization=org, key="SEV2")
    api, db = Service.objects.bulk_create([Service(organization=org, name="api"), Service(organization=org, name="db")])
    base = datetime(2026, 1, 1, tzinfo=UTC)
    incidents = Incident.objects.bulk_create(
        Incident(
            organization=org,
            team=people["payments" if i % 2 else "platform"],
            title=f"Incident {i}",
            severity=severity,
            visibility="private" if i % 3 == 0 else "organization",
            started_at=base + timedelta(hours=i // 4),
        )
        for i in range(60)
    )
    through = Incident.services.through
    through.objects.bulk_create(
        [through(incident_id=inc.pk, service_id=db.pk) for inc in incidents]
        + [through(incident_id=inc.pk, service_id=api.pk) for inc in incidents[::2]]
    )
    return incidents


@pytest.mark.parametrize("username", ["bob", "charlie", "oscar"])
def test_deep_pages_match_a_plain_offset(many_incidents, people, monkeypatch, username):
    from retrospector.incidents.selectors import incident_list

    monkeypatch.setattr(paging, "DEFERRED_JOIN_FROM", 1)
    incidents = incident_list(user=people[username])
    expected = list(incidents.values_list("pk", flat=True))
    for start in range(0, len(expected) + 7, 7):
        rows = paging.rows_between(incidents, start, start + 7)
        assert [row.pk for row in rows] == expected[start : start + 7]
        assert all([s.name for s in row.service_list] in (["api", "db"], ["db"]) for row in rows)


def test_the_list_page_and_api_agree_on_a_deep_page(many_incidents, client_for, monkeypatch):
    monkeypatch.setattr(paging, "DEFERRED_JOIN_FROM", 1)
    client = client_for("bob")
    api = client.get("/api/v1/incidents", {"page": 3, "page_size": 10}).json()
    page = client.get("/incidents/", {"page": 2}).content.decode()  # 25 a page: rows 26-50
    assert api["page"] == 3 and len(api["results"]) == 10  # rows 21-30
    links = [f'/incidents/{row["id"]}/"' for row in api["results"]]
    assert [link in page for link in links] == [False] * 5 + [True] * 5


@pytest.mark.parametrize("username", ["bob", "charlie", "oscar"])
def test_deep_pages_of_dicts_match_a_plain_offset(many_incidents, people, monkeypatch, username):
    from retrospector.incidents.selectors import incident_list

    monkeypatch.setattr(paging, "DEFERRED_JOIN_FROM", 1)
    incidents = incident_list(user=people[username])
    expected = list(incidents.values("id", "title", "team__slug"))
    for start in range(0, len(expected) + 7, 7):
        assert (
            paging.rows_between(incidents, start, start + 7, fields=("id", "title", "team__slug"))
            == (expected[start : start + 7])
        )
