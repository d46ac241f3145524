"""/api/v1/retrospectives/{id}/meeting: read the meeting; schedule, move or cancel it and choose its roles, with the
same rules as the page (stale version 409 with the current meeting, outsiders refused naming the role)."""

import json
from datetime import timedelta

import pytest

from retrospector.meetings.schedule import meeting_of
from retrospector.notifications.models import Notification
from tests.meetings.schedule_support import WHEN, agenda_thread, meeting_fixture, retro_fixture  # noqa: F401


def url(meeting):
    return f"/api/v1/retrospectives/{meeting.retrospective_id}/meeting"


def put(client, meeting, **fields):
    body = {
        "starts_at": "2026-06-01T15:00:00+02:00",
        "length_minutes": 60,
        "place": "https://meet.example.com/retro",
        "presenter": None,
        "moderator": None,
        "note_taker": None,
        "base_version": 1,
        **fields,
    }
    return client.put(url(meeting), json.dumps(body), content_type="application/json")


def test_reading_a_meeting_not_yet_scheduled(meeting, people, client_for, settings):
    settings.SITE_URL = "https://retro.example.com"
    agenda_thread(meeting, people["charlie"])
    data = client_for("dana").get(url(meeting)).json()
    assert data["starts_at"] is None and data["cancelled"] is False
    assert (data["presenter"], data["moderator"], data["version"], data["sequence"]) == ("alice", None, 1, 0)
    assert data["attendees"] == [
        {"username": "alice", "mandatory": True, "attended": None},
        {"username": "charlie", "mandatory": True, "attended": None},
        {"username": "bob", "mandatory": False, "attended": None},
    ]
    assert data["ics_url"] == f"https://retro.example.com/retrospectives/{meeting.retrospective_id}/meeting.ics"


def test_scheduling_stores_utc_sets_the_roles_and_notifies(meeting, people, client_for):
    response = put(client_for("alice"), meeting, moderator="bob", note_taker="dana")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["starts_at"].startswith("2026-06-01T13:00:00") and data["starts_at"].endswith(("Z", "+00:00"))
    assert (data["moderator"], data["note_taker"], data["version"], data["sequence"]) == ("bob", "dana", 2, 0)
    assert Notification.objects.filter(recipient=people["bob"], key=f"meeting:{meeting.pk}:seq:0").exists()

    moved = put(client_for("alice"), meeting, starts_at="2026-06-02T13:00:00Z", moderator="bob", base_version=2)
    assert moved.json()["sequence"] == 1
    assert Notification.objects.filter(recipient=people["bob"], key=f"meeting:{meeting.pk}:seq:1").exists()


def test_a_stale_version_is_a_409_with_the_meeting_as_it_is(meeting, client_for):
    put(client_for("alice"), meeting)
    response = put(client_for("bob"), meeting, length_minutes=30)
    assert response.status_code == 409
    body = response.json()
    assert body["field"] == "base_version"
    assert (body["current"]["version"], body["current"]["length_minutes"]) == (2, 60)


def test_an_outsider_in_a_role_is_a_422_naming_it(retro, client_for):
    private = meeting_of(retro(visibility="private", state="meeting"))
    response = put(client_for("alice"), private, note_taker="charlie")
    assert response.status_code == 422
    assert response.json()["field"] == "note_taker"
    assert put(client_for("alice"), private, moderator="nobody-such").json()["field"] == "moderator"


@pytest.mark.parametrize(
    ("field", "value"), [("length_minutes", 10), ("length_minutes", 500), ("place", "javascript:x")]
)
def test_bad_values_are_422_naming_the_field(meeting, client_for, field, value):
    response = put(client_for("alice"), meeting, **{field: value})
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_null_starts_at_cancels(meeting, client_for):
    put(client_for("alice"), meeting)
    data = put(client_for("alice"), meeting, starts_at=None, base_version=2).json()
    assert (data["starts_at"], data["cancelled"], data["sequence"]) == (None, True, 1)


def test_readers_get_403_and_outsiders_404(retro, client_for):
    open_meeting = meeting_of(retro(state="meeting"))
    private = meeting_of(retro(visibility="private", state="meeting"))
    assert put(client_for("dana"), open_meeting).status_code == 403
    assert put(client_for("charlie"), open_meeting).status_code == 403
    assert client_for("charlie").get(url(open_meeting)).status_code == 200
    assert client_for("charlie").get(url(private)).status_code == 404
    assert put(client_for("charlie"), private).status_code == 404


def test_an_approved_retrospectives_meeting_is_read_only(retro, client_for):
    approved = meeting_of(retro(state="approved"))
    response = put(client_for("alice"), approved)
    assert response.status_code == 409 and response.json()["field"] == "state"


def test_times_are_answered_in_utc_whatever_the_readers_zone(meeting, people, client_for):
    people["bob"].time_zone = "Asia/Tokyo"
    people["bob"].save()
    put(client_for("alice"), meeting, starts_at=(WHEN + timedelta(hours=1)).isoformat())
    data = client_for("bob").get(url(meeting)).json()
    assert data["starts_at"].startswith("2026-06-01T14:00:00")


@pytest.mark.parametrize("starts_at", ["9999-12-31T23:30:00Z", "0001-01-01T00:30:00+00:00"])
def test_a_time_out_of_any_meetings_range_is_a_422_not_an_overflow(meeting, client_for, starts_at):
    response = put(client_for("alice"), meeting, starts_at=starts_at, length_minutes=480)
    assert response.status_code == 422
    assert response.json()["field"] == "starts_at"


def test_a_date_out_of_range_on_the_page_is_refused_on_the_form(meeting, client_for):
    response = client_for("alice").post(
        f"/retrospectives/{meeting.retrospective_id}/meeting",
        {"date": "0001-01-01", "time": "00:10", "length_minutes": "60", "place": "", "base_version": "1"},
    )
    assert response.status_code == 422
    assert "A meeting happens between" in response.content.decode()
