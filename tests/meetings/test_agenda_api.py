"""/api/v1/retrospectives/{id}/agenda: its shape, adding parts and free items, moving and timing items with a stale
version refused (409 with the current agenda), removing part items but not thread items, and who may do what."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retrospector.meetings.agenda import agenda_item_add, agenda_sync, meeting_for
from retrospector.meetings.models import AgendaItem, Attendee, Meeting
from tests.meetings.agenda_support import agenda_fixture, many_threads, talk  # noqa: F401  (the `agenda` fixture)
from tests.reviews.thread_support import retro_fixture  # noqa: F401  (the `retro` fixture)

pytestmark = pytest.mark.django_db


def api(retrospective, item=None) -> str:
    path = f"/api/v1/retrospectives/{retrospective.pk}/agenda"
    return f"{path}/{item}" if item else path


def test_reading_the_agenda(agenda, people, client_for):
    retrospective, meeting = agenda
    thread = talk(retrospective, people, kind="disagree", quote="fraud rule")
    Attendee.objects.create(meeting=meeting, user=people["bob"], mandatory=True)
    Meeting.objects.filter(pk=meeting.pk).update(moderator=people["bob"])
    body = client_for("dana").get(api(retrospective)).json()
    (item,) = body["items"]
    assert item == {
        "id": item["id"],
        "kind": "thread",
        "thread": {
            "id": thread.pk,
            "kind": "disagree",
            "messages": 1,
            "open": True,
            "quote": "fraud rule",
            "section": "Summary",
        },
        "part": "",
        "title": "Disagree on Summary: “fraud rule”",
        "position": 1,
        "time_box_minutes": 5,
        "notes": "",
        "decision": None,
        "decision_text": "",
        "applied": False,
        "applied_revision_id": None,
    }
    assert (body["total_minutes"], body["length_minutes"], body["over_by_minutes"]) == (5, 60, 0)
    assert body["attendees"] == [{"username": "bob", "mandatory": True, "attended": None}]
    assert body["roles"] == {"presenter": "alice", "moderator": "bob", "note_taker": None}
    assert body["version"] == Meeting.objects.get(pk=meeting.pk).agenda_version


def test_adding_a_part_and_a_free_item(agenda, client_for):
    retrospective, _ = agenda
    bob = client_for("bob")
    response = bob.post(api(retrospective), {"part": "roll-call"}, content_type="application/json")
    assert response.status_code == 201
    assert [(i["part"], i["title"], i["time_box_minutes"]) for i in response.json()["items"]] == [
        ("roll-call", "Roll call", 2)
    ]
    response = bob.post(
        api(retrospective), {"title": "Vendor call", "time_box_minutes": 70}, content_type="application/json"
    )
    body = response.json()
    assert response.status_code == 201 and body["over_by_minutes"] == 12
    again = bob.post(api(retrospective), {"part": "roll-call"}, content_type="application/json")
    assert again.status_code == 422 and again.json()["field"] == "part"
    nothing = bob.post(api(retrospective), {}, content_type="application/json")
    assert nothing.status_code == 422
    too_long = bob.post(api(retrospective), {"title": "x", "time_box_minutes": 241}, content_type="application/json")
    assert too_long.status_code == 422 and too_long.json()["field"] == "time_box_minutes"


def test_moving_and_timing_an_item_and_a_stale_version_gets_409_with_the_current_agenda(agenda, people, client_for):
    retrospective, meeting = agenda
    for key in ("roll-call", "impact", "went-well"):
        agenda_item_add(meeting=meeting, part=key, by=people["alice"])
    roll, impact, well = AgendaItem.objects.filter(meeting=meeting)
    alice = client_for("alice")
    read = alice.get(api(retrospective)).json()["version"]
    response = alice.patch(
        api(retrospective, well.pk),
        {"position": 1, "time_box_minutes": 8, "base_version": read},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert [(i["part"], i["position"], i["time_box_minutes"]) for i in body["items"]] == [
        ("went-well", 1, 8),
        ("roll-call", 2, 2),
        ("impact", 3, 10),
    ]
    assert body["version"] > read
    stale = client_for("bob").patch(
        api(retrospective, roll.pk), {"position": 3, "base_version": read}, content_type="application/json"
    )
    assert stale.status_code == 409
    refused = stale.json()
    assert refused["field"] == "base_version" and "The agenda changed" in refused["detail"]
    assert refused["current"]["version"] == body["version"]
    assert [i["part"] for i in refused["current"]["items"]] == ["went-well", "roll-call", "impact"]
    beyond = alice.patch(
        api(retrospective, roll.pk), {"position": 4, "base_version": body["version"]}, content_type="application/json"
    )
    assert beyond.status_code == 422 and beyond.json()["field"] == "position"


def test_part_items_can_be_removed_thread_items_cannot(agenda, people, client_for):
    retrospective, meeting = agenda
    talk(retrospective, people, kind="disagree")
    (thread_item,) = agenda_sync(meeting)
    part = agenda_item_add(meeting=meeting, part="impact", by=people["alice"])
    alice = client_for("alice")
    refused = alice.delete(api(retrospective, thread_item.pk))
    assert refused.status_code == 422 and "follows its thread" in refused.json()["detail"]
    assert alice.delete(api(retrospective, part.pk)).status_code == 204
    assert [i["id"] for i in alice.get(api(retrospective)).json()["items"]] == [thread_item.pk]
    assert alice.delete(api(retrospective, part.pk)).status_code == 404


def test_readers_get_403_on_writes_and_outsiders_404(retro, people, client_for):
    retrospective = retro(visibility="private")
    meeting = meeting_for(retrospective)
    item = agenda_item_add(meeting=meeting, part="impact", by=people["alice"])
    version = Meeting.objects.get(pk=meeting.pk).agenda_version
    dana = client_for("dana")
    assert dana.get(api(retrospective)).status_code == 200
    assert dana.post(api(retrospective), {"part": "roll-call"}, content_type="application/json").status_code == 403
    patch = {"time_box_minutes": 9, "base_version": version}
    assert dana.patch(api(retrospective, item.pk), patch, content_type="application/json").status_code == 403
    assert dana.delete(api(retrospective, item.pk)).status_code == 403
    for outsider in ("charlie", "erin"):
        client = client_for(outsider)
        assert client.get(api(retrospective)).status_code == 404
        assert (
            client.post(api(retrospective), {"part": "roll-call"}, content_type="application/json").status_code == 404
        )
        assert client.patch(api(retrospective, item.pk), patch, content_type="application/json").status_code == 404
        assert client.delete(api(retrospective, item.pk)).status_code == 404
    assert AgendaItem.objects.get(pk=item.pk).time_box_minutes == 10


def test_an_approved_retrospectives_agenda_is_read_only(agenda, people, client_for):
    from tests.reviews.thread_support import set_state

    retrospective, meeting = agenda
    item = agenda_item_add(meeting=meeting, part="impact", by=people["alice"])
    set_state(retrospective, "approved")
    alice = client_for("alice")
    response = alice.post(api(retrospective), {"part": "roll-call"}, content_type="application/json")
    assert response.status_code == 409 and response.json()["field"] == "state"
    assert alice.delete(api(retrospective, item.pk)).status_code == 409


def test_reading_costs_the_same_queries_with_6_and_60_threads(agenda, people, client_for):
    retrospective, meeting = agenda
    client = client_for("bob")
    many_threads(retrospective, people, 6)
    client.get(api(retrospective))
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(api(retrospective)).json()["items"]) == 6
    many_threads(retrospective, people, 54)
    client.get(api(retrospective))
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(api(retrospective)).json()["items"]) == 60
    assert len(many) == len(few)


def test_a_refused_move_leaves_the_time_box_as_it_was(agenda, people, client_for):
    retrospective, meeting = agenda
    item = agenda_item_add(meeting=meeting, part="impact", by=people["alice"])
    read = Meeting.objects.get(pk=meeting.pk).agenda_version
    response = client_for("alice").patch(
        api(retrospective, item.pk),
        {"time_box_minutes": 30, "position": 2, "base_version": read},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["field"] == "position"
    assert AgendaItem.objects.get(pk=item.pk).time_box_minutes == 10
    assert Meeting.objects.get(pk=meeting.pk).agenda_version == read
