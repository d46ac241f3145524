"""A recommendation's Jira issue: created with an ADF description under basic auth, linked by key or address, its
status moved by a transition (the team's map first, then the status category), its status pulled and mapped, Jira's
own error messages shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from retrospector.actions.models import Recommendation
from retrospector.actions.services import recommendation_update
from retrospector.actions.trackers.sync import tracker_issue_create, tracker_issue_link, trackers_sync
from retrospector.actions.trackers.tasks import tracker_push_task
from retrospector.notifications.models import Notification
from tests.actions.fake_trackers import FakeJira
from tests.actions.tracker_support import _trackers_settings, jira_connection, make_recommendation  # noqa: F401


@pytest.fixture
def jira():
    with FakeJira() as server:
        yield server


@pytest.fixture
def rec(people, make_incident, make_retrospective):
    return make_recommendation(people, make_incident, make_retrospective)


def test_creating_an_issue_sends_an_adf_description_with_basic_auth(people, jira, rec, client_for):
    connection = jira_connection(people, jira)
    response = client_for("bob").post(
        reverse("recommendation_tracker", args=[rec.pk]), {"action": "create", "connection": connection.pk}
    )
    assert response.status_code == 302
    created = next(r for r in jira.requests if r["method"] == "POST")
    assert created["headers"]["Authorization"].startswith("Basic ")
    fields = created["json"]["fields"]
    assert fields["project"] == {"key": "OPS"} and fields["issuetype"] == {"name": "Task"}
    assert fields["summary"] == "Alert on checkout error rate"
    assert FakeJira.is_adf(fields["description"])
    texts = [p["content"][0]["text"] for p in fields["description"]["content"]]
    assert texts[0].startswith("Page the on-call engineer")
    assert texts[1] == "Definition of done: The alert fired in a game day."
    assert texts[2].endswith(f"/recommendations/{rec.pk}/")  # back to the recommendation's page
    rec.refresh_from_db()
    assert (rec.tracker_key, rec.tracker_state) == ("OPS-1", "To Do")
    assert rec.tracker_url == f"{jira.base_url}/browse/OPS-1"
    assert rec.status == "planned"


def test_a_field_jira_refuses_is_shown_with_its_own_words(people, jira, rec):
    connection = jira_connection(people, jira)
    jira.fail_next(400, {"errorMessages": [], "errors": {"issuetype": "The issue type selected is invalid."}})
    with pytest.raises(ValidationError) as caught:
        tracker_issue_create(recommendation=rec, connection=connection, by=people["bob"], link="https://x/")
    assert "Jira answered 400: issuetype: The issue type selected is invalid." in str(caught.value)


def test_linking_by_browse_address_maps_the_status_category(people, jira, rec):
    connection = jira_connection(people, jira)
    jira.add_issue("Existing", status="In Progress")
    rec = tracker_issue_link(
        recommendation=rec, connection=connection, key=f"{jira.base_url}/browse/ops-1", by=people["alice"]
    )
    rec.refresh_from_db()
    assert rec.tracker_key == "OPS-1" and rec.tracker_state == "In Progress" and rec.status == "in-progress"
    assert rec.changes.filter(source="jira", reason="Changed in Jira").exists()


def test_an_unknown_issue_shows_jiras_error_messages(people, jira, rec):
    connection = jira_connection(people, jira)
    with pytest.raises(ValidationError) as caught:
        tracker_issue_link(recommendation=rec, connection=connection, key="OPS-42", by=people["alice"])
    assert "Issue does not exist or you do not have permission to see it." in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        tracker_issue_link(recommendation=rec, connection=connection, key="OTHER-1", by=people["alice"])
    assert "not in this connection's project OPS" in str(caught.value)


def test_done_here_moves_the_issue_by_a_transition_to_a_done_status(people, jira, rec):
    connection = jira_connection(people, jira)
    jira.add_issue("x")
    rec = tracker_issue_link(recommendation=rec, connection=connection, key="OPS-1", by=people["alice"])
    recommendation_update(recommendation=rec, by=people["bob"], changes={"status": "done", "title": "New title"})
    tracker_push_task.call(rec.pk)
    assert jira.issues["OPS-1"]["fields"]["status"]["name"] == "Done"
    assert jira.issues["OPS-1"]["fields"]["summary"] == "New title"
    moved = [r for r in jira.requests if r["path"].endswith("/transitions") and r["method"] == "POST"]
    assert moved[-1]["json"] == {"transition": {"id": "t10002"}}
    rec.refresh_from_db()
    assert not rec.tracker_push_pending and rec.tracker_state == "Done"


def test_the_teams_map_chooses_the_transition_and_reads_their_statuses(people, jira, rec):
    connection = jira_connection(people, jira, state_map={"won't do": "dropped", "in review": "in-progress"})
    jira.add_issue("x", status="In Review")
    rec = tracker_issue_link(recommendation=rec, connection=connection, key="OPS-1", by=people["alice"])
    assert Recommendation.objects.get(pk=rec.pk).status == "in-progress"
    rec = Recommendation.objects.get(pk=rec.pk)
    recommendation_update(recommendation=rec, by=people["bob"], changes={"status": "dropped"}, reason="Superseded")
    tracker_push_task.call(rec.pk)
    assert jira.issues["OPS-1"]["fields"]["status"]["name"] == "Won't Do"
    # Done here, with "Won't Do" mapped to dropped: the transition chosen by category is to "Done", not "Won't Do".
    rec = Recommendation.objects.get(pk=rec.pk)
    recommendation_update(recommendation=rec, by=people["bob"], changes={"status": "done"})
    tracker_push_task.call(rec.pk)
    assert jira.issues["OPS-1"]["fields"]["status"]["name"] == "Done"


def test_the_periodic_job_pulls_a_status_changed_in_jira(people, jira, rec):
    connection = jira_connection(people, jira)
    jira.add_issue("x")
    rec = tracker_issue_link(recommendation=rec, connection=connection, key="OPS-1", by=people["alice"])
    jira.set_status("OPS-1", "Done")
    Recommendation.objects.filter(pk=rec.pk).update(tracker_synced_at=timezone.now() - timedelta(days=1))
    assert trackers_sync()["pulled"] == 1
    rec.refresh_from_db()
    assert rec.status == "done" and rec.closed_at is not None
    connection.refresh_from_db()
    assert connection.last_pulled_at is not None


def test_a_revoked_api_token_is_shown_and_told(people, jira, rec, client_for):
    connection = jira_connection(people, jira)
    jira.add_issue("x")
    rec = tracker_issue_link(recommendation=rec, connection=connection, key="OPS-1", by=people["alice"])
    recommendation_update(recommendation=rec, by=people["alice"], changes={"title": "Renamed"})
    jira.token = "revoked"
    tracker_push_task.call(rec.pk)
    rec.refresh_from_db()
    assert rec.tracker_error == "Jira answered 401: Client must be authenticated to access this resource."
    assert Notification.objects.filter(recipient=people["bob"], kind="tracker_error").exists()
    page = client_for("bob").get(reverse("recommendation_tracker", args=[rec.pk])).content.decode()
    assert "Client must be authenticated" in page


def test_a_new_issue_for_a_recommendation_in_progress_is_moved_to_in_progress(
    people, jira, rec, django_capture_on_commit_callbacks
):
    connection = jira_connection(people, jira)
    rec = recommendation_update(recommendation=rec, by=people["bob"], changes={"status": "in-progress"})
    with django_capture_on_commit_callbacks(execute=True):
        rec = tracker_issue_create(recommendation=rec, connection=connection, by=people["bob"], link="https://x/")
    assert rec.tracker_push_pending
    tracker_push_task.call(rec.pk)
    assert jira.issues["OPS-1"]["fields"]["status"]["name"] in ("In Progress", "In Review")
    rec.refresh_from_db()
    assert not rec.tracker_push_pending and rec.status == "in-progress"
