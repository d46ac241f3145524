"""Merging, hiding, marking or deleting events by id never reaches another incident's events: ids that are not
events of this incident answer 404 naming them (whether that other incident is visible to the caller or not), and
nothing changes, not even the timeline's version. Through the API, the page form and the service."""

from datetime import UTC, datetime, timedelta

import pytest
from django.http import Http404

from retrospector.incidents.models import Incident
from retrospector.timeline.models import TimelineEvent
from retrospector.timeline.services import event_add, events_bulk, events_merge

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)


@pytest.fixture
def timelines(make_incident, people):
    """bob's incident with two events; charlie's team's incidents, one the whole organization sees, one private."""
    ours = make_incident(title="Checkout errors")
    visible = make_incident(team="platform", by="charlie", title="Queue backlog")
    private = make_incident(team="platform", by="charlie", title="Secret", visibility="private")

    def add(incident, by, minutes):
        return event_add(incident=incident, by=people[by], occurred_at=T0 + timedelta(minutes=minutes), text="x")

    return {
        "ours": ours,
        "a": add(ours, "bob", 1),
        "b": add(ours, "bob", 2),
        "visible": add(visible, "charlie", 3),
        "private": add(private, "charlie", 4),
    }


def snapshot() -> tuple:
    events = TimelineEvent.objects.order_by("pk").values_list("pk", "hidden", "key_event", "merged_into_id", "version")
    versions = Incident.objects.order_by("pk").values_list("pk", "timeline_version")
    return list(events), list(versions)


@pytest.mark.parametrize("other", ["visible", "private"])
def test_the_api_refuses_to_merge_another_incidents_events_and_changes_nothing(timelines, client_for, other):
    url = f"/api/v1/incidents/{timelines['ours'].pk}/events"
    foreign = timelines[other].pk
    before = snapshot()
    client = client_for("bob")
    for payload in (
        {"keep": timelines["a"].pk, "duplicates": [timelines["b"].pk, foreign]},
        {"keep": foreign, "duplicates": [timelines["a"].pk]},
    ):
        response = client.post(f"{url}/merge", payload, content_type="application/json")
        assert response.status_code == 404
        assert response.json()["detail"] == f"No such event on this incident: {foreign}."
    assert snapshot() == before


@pytest.mark.parametrize("other", ["visible", "private"])
@pytest.mark.parametrize("action", ["hide", "key", "delete"])
def test_the_api_refuses_bulk_changes_to_another_incidents_events(timelines, client_for, other, action):
    url = f"/api/v1/incidents/{timelines['ours'].pk}/events/bulk"
    foreign = timelines[other].pk
    before = snapshot()
    response = client_for("bob").post(
        url, {"action": action, "event_ids": [timelines["a"].pk, foreign, 999_999]}, content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json()["detail"] == f"No such event on this incident: {foreign}, 999999."
    assert snapshot() == before


@pytest.mark.parametrize("action", ["merge", "hide", "delete"])
def test_the_page_form_refuses_another_incidents_events(timelines, client_for, action):
    before = snapshot()
    response = client_for("bob").post(
        f"/incidents/{timelines['ours'].pk}/timeline/bulk",
        {"action": action, "events": [timelines["a"].pk, timelines["b"].pk, timelines["private"].pk]},
    )
    assert response.status_code == 404
    assert snapshot() == before


def test_the_services_name_every_id_that_is_not_this_incidents(timelines, people):
    ours, bob = timelines["ours"], people["bob"]
    foreign = [timelines["visible"].pk, timelines["private"].pk]
    before = snapshot()
    with pytest.raises(Http404, match=f"^No such event on this incident: {foreign[0]}, {foreign[1]}.$"):
        events_merge(incident=ours, by=bob, duplicate_ids=[timelines["a"].pk, *foreign])
    with pytest.raises(Http404, match=f"^No such event on this incident: {foreign[0]}.$"):
        events_bulk(incident=ours, by=bob, event_ids=[foreign[0], foreign[0]], action="unkey")
    assert snapshot() == before
    assert events_bulk(incident=ours, by=bob, event_ids=[timelines["a"].pk, timelines["a"].pk], action="key") == 1
