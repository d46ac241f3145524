"""The meeting's notes through the API: PUT .../agenda/{item}/decision (200, 409 with the current item, 403, 404, 409
read-only), POST .../agenda/{item}/applied, .../meeting/roll-call and .../meeting/ready."""

import json

import pytest

from retrospector.meetings.models import Attendee
from retrospector.meetings.notes import item_notes_save
from retrospector.notifications.models import Notification
from tests.meetings.notes_support import (
    at_meeting_fixture,  # noqa: F401  (the `at_meeting` fixture)
    save_summary,
    summary_of,
)

pytestmark = pytest.mark.django_db


def put(client, url, data):
    return client.put(url, json.dumps(data), content_type="application/json")


def post(client, url, data=None):
    return client.post(url, json.dumps(data) if data is not None else "", content_type="application/json")


def decision_url(retrospective, item):
    return f"/api/v1/retrospectives/{retrospective.pk}/agenda/{item.pk}/decision"


def test_the_note_taker_writes_an_items_notes_and_decision(at_meeting, client_for):
    retrospective, _, (item, _) = at_meeting()
    response = put(
        client_for("bob"),
        decision_url(retrospective, item),
        {"notes": "Alert late", "decision": "clarify", "decision_text": "Add the delay", "base_version": 1},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["notes"], body["decision"], body["decision_text"], body["version"], body["updated_by"]) == (
        "Alert late",
        "clarify",
        "Add the delay",
        2,
        "bob",
    )
    assert body["applied_revision"] is None


def test_two_items_at_once_never_conflict_and_the_same_item_twice_is_409_with_both(at_meeting, client_for):
    retrospective, _, (first, second) = at_meeting()
    bob, alice = client_for("bob"), client_for("alice")
    assert put(bob, decision_url(retrospective, first), {"notes": "Bob's", "base_version": 1}).status_code == 200
    assert put(alice, decision_url(retrospective, second), {"notes": "Alice's", "base_version": 1}).status_code == 200
    mine = {"notes": "Alice on the first", "base_version": 1}
    conflict = put(alice, decision_url(retrospective, first), mine)
    assert conflict.status_code == 409
    body = conflict.json()
    assert body["field"] == "base_version" and body["current"]["notes"] == "Bob's" and body["current"]["version"] == 2
    first.refresh_from_db()
    assert first.notes == "Bob's"  # nothing lost; the client holds both versions
    merged = put(alice, decision_url(retrospective, first), {"notes": "Bob's\nAlice on the first", "base_version": 2})
    assert merged.status_code == 200 and merged.json()["version"] == 3


def test_readers_get_403_and_another_teams_member_404_on_a_private_incident(at_meeting, client_for):
    retrospective, _, (item, _) = at_meeting(visibility="private")
    data = {"notes": "x", "base_version": 1}
    forbidden = put(client_for("dana"), decision_url(retrospective, item), data)
    assert forbidden.status_code == 403 and "note-taker" in forbidden.json()["detail"]
    assert put(client_for("charlie"), decision_url(retrospective, item), data).status_code == 404
    other, _, (foreign, _) = at_meeting(title="Other")
    assert (
        put(
            client_for("bob"), f"/api/v1/retrospectives/{retrospective.pk}/agenda/{foreign.pk}/decision", data
        ).status_code
        == 404
    )


def test_a_decision_after_the_meeting_is_409_read_only_with_the_item(at_meeting, client_for):
    retrospective, _, (item, _) = at_meeting(state="approved")
    response = put(client_for("bob"), decision_url(retrospective, item), {"notes": "late", "base_version": 1})
    assert response.status_code == 409
    assert response.json()["field"] == "state" and response.json()["current"]["id"] == item.pk


def test_a_decision_without_text_is_422(at_meeting, client_for):
    retrospective, _, (item, _) = at_meeting()
    response = put(client_for("bob"), decision_url(retrospective, item), {"decision": "change", "base_version": 1})
    assert response.status_code == 422 and response.json()["field"] == "decision_text"


def test_applied_by_a_revision_of_this_retrospective_only(at_meeting, people, client_for):
    retrospective, _, (item, _) = at_meeting()
    other, _, _ = at_meeting(title="Other")
    item_notes_save(item=item, notes="", decision="change", decision_text="Name it", base_version=1, by=people["bob"])
    url = f"/api/v1/retrospectives/{retrospective.pk}/agenda/{item.pk}/applied"
    alice = client_for("alice")
    foreign = post(alice, url, {"revision": summary_of(other).revisions.first().pk})
    assert foreign.status_code == 422 and foreign.json()["field"] == "revision"
    section = save_summary(retrospective, "Named the bank.", people["alice"])
    applied = post(alice, url, {"revision": section.revisions.get(version=section.version).pk})
    assert applied.status_code == 200
    assert applied.json()["applied_revision"]["section"] == "summary" and applied.json()["applied_by"] == "alice"
    assert post(client_for("dana"), url, {"revision": None}).status_code == 403
    undone = post(alice, url, {"revision": None})
    assert undone.status_code == 200 and undone.json()["applied_revision"] is None


def test_the_roll_call_through_the_api(at_meeting, people, client_for):
    retrospective, meeting, _ = at_meeting(visibility="private")
    url = f"/api/v1/retrospectives/{retrospective.pk}/meeting/roll-call"
    bob = client_for("bob")
    done = post(
        bob, url, {"attended": [{"username": "alice", "attended": True}, {"username": "dana", "attended": True}]}
    )
    assert done.status_code == 200, done.content
    assert {a["username"]: a["attended"] for a in done.json()} == {"alice": True, "bob": None, "dana": True}
    outsider = post(bob, url, {"attended": [{"username": "charlie", "attended": True}]})
    assert outsider.status_code == 422 and outsider.json()["field"] == "attended"
    assert not Attendee.objects.filter(meeting=meeting, user=people["charlie"]).exists()
    assert post(client_for("dana"), url, {"attended": []}).status_code == 403


def test_ready_is_422_while_a_decision_is_unapplied_then_notifies_once(at_meeting, people, client_for):
    retrospective, _, (item, _) = at_meeting()
    item_notes_save(
        item=item, notes="", decision="disagree", decision_text="Oscar disagrees", base_version=1, by=people["bob"]
    )
    url = f"/api/v1/retrospectives/{retrospective.pk}/meeting/ready"
    alice = client_for("alice")
    refused = post(alice, url)
    assert refused.status_code == 422 and refused.json()["field"] == "decisions"
    applied_url = f"/api/v1/retrospectives/{retrospective.pk}/agenda/{item.pk}/applied"
    post(alice, applied_url, {"revision": summary_of(retrospective).revisions.first().pk})
    first = post(alice, url)
    assert first.status_code == 200 and first.json()["notified"] == ["bob", "dana", "oscar"]
    again = post(alice, url)
    assert again.json()["already"] is True and again.json()["notified"] == []
    assert Notification.objects.filter(kind="ready_for_approval").count() == 3
    assert post(client_for("bob"), url).status_code == 403
