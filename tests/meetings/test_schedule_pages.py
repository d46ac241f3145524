"""The meeting's page: each reader sees the time in their own zone, with the zone named; editors schedule, move and
cancel it and choose the roles; readers who may not write get a 403, outsiders a 404; the page's queries do not grow
with the number of attendees."""

from datetime import timedelta

import pytest
from django.db import connection

from retrospector.accounts.models import Membership
from retrospector.meetings.models import Meeting
from retrospector.meetings.schedule import meeting_of
from tests.conftest import make_user
from tests.meetings.schedule_support import WHEN, agenda_thread, meeting_fixture, retro_fixture, schedule  # noqa: F401


def page(client, meeting):
    return client.get(f"/retrospectives/{meeting.retrospective_id}/meeting")


def set_zone(user, zone):
    user.time_zone = zone
    user.save(update_fields=["time_zone"])


def test_two_readers_in_two_zones_each_see_the_time_in_their_own(meeting, people, client_for):
    set_zone(people["bob"], "Europe/Paris")
    set_zone(people["dana"], "America/New_York")
    schedule(meeting, people["alice"])  # 13:00 UTC
    paris = page(client_for("bob"), meeting).content.decode()
    new_york = page(client_for("dana"), meeting).content.decode()
    assert "Monday 1 June 2026, 15:00" in paris and "Europe/Paris" in paris
    assert "Monday 1 June 2026, 09:00" in new_york and "America/New_York" in new_york


def test_an_editor_schedules_in_their_own_zone_and_it_is_stored_in_utc(meeting, people, client_for):
    set_zone(people["alice"], "Europe/Paris")
    response = client_for("alice").post(
        f"/retrospectives/{meeting.retrospective_id}/meeting",
        {"date": "2026-06-01", "time": "15:00", "length_minutes": "45", "place": "Room 4", "base_version": "1"},
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.length_minutes, meeting.place, meeting.version) == (WHEN, 45, "Room 4", 2)


def test_a_stale_edit_on_the_page_is_refused_showing_the_current_values(meeting, people, client_for):
    schedule(meeting, people["bob"])
    response = client_for("alice").post(
        f"/retrospectives/{meeting.retrospective_id}/meeting",
        {"date": "2026-06-02", "time": "10:00", "length_minutes": "30", "place": "Room 9", "base_version": "1"},
    )
    assert response.status_code == 409
    text = response.content.decode()
    assert "Monday 1 June 2026, 13:00" in text and "Room 4" in text  # theirs
    assert 'value="Room 9"' in text and 'name="base_version" value="2"' in text  # mine, based on theirs now
    meeting.refresh_from_db()
    assert meeting.place == "Room 4"


def test_cancelling_on_the_page_clears_the_time(meeting, people, client_for):
    schedule(meeting, people["alice"])
    response = client_for("alice").post(
        f"/retrospectives/{meeting.retrospective_id}/meeting",
        {"cancel": "1", "length_minutes": "60", "place": "Room 4", "base_version": "2"},
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.starts_at, meeting.sequence) == (None, 1)
    assert "The meeting is cancelled" in page(client_for("bob"), meeting).content.decode()


def test_the_roles_form_offers_only_people_who_may_see_and_refuses_others(retro, people, client_for):
    meeting = meeting_of(retro(visibility="private", state="meeting"))
    client = client_for("alice")
    text = page(client, meeting).content.decode()
    assert 'value="bob"' in text and 'value="charlie"' not in text
    url = f"/retrospectives/{meeting.retrospective_id}/meeting/roles"
    refused = client.post(url, {"presenter": "", "moderator": "charlie", "note_taker": "", "base_version": "1"})
    assert refused.status_code == 422
    assert Meeting.objects.get(pk=meeting.pk).moderator is None
    saved = client.post(url, {"presenter": "", "moderator": "bob", "note_taker": "dana", "base_version": "1"})
    assert saved.status_code == 302
    text = page(client, meeting).content.decode()
    assert "<dt>Moderator</dt><dd>Bob" in text and "<dt>Note-taker</dt><dd>Dana" in text
    assert "<dt>Presenter</dt><dd>Alice" in text and "(the owner)" in text


def test_the_page_says_who_is_mandatory_and_why(meeting, people, client_for):
    agenda_thread(meeting, people["charlie"])
    text = page(client_for("bob"), meeting).content.decode()
    mandatory = text[text.index('id="mandatory"') : text.index("<h3>Optional")]
    assert 'Alice <span class="muted small">— owns the write-up' in mandatory
    assert 'Charlie <span class="muted small">— wrote in an agenda thread' in mandatory
    assert "Bob" in text[text.index('id="optional"') :]


def test_a_link_is_shown_as_a_link_and_anything_else_as_text(meeting, people, client_for):
    schedule(meeting, people["alice"], place="https://meet.example.com/retro")
    assert '<a href="https://meet.example.com/retro"' in page(client_for("bob"), meeting).content.decode()
    schedule(meeting, people["alice"], place="Room: 4B")
    text = page(client_for("bob"), meeting).content.decode()
    assert "Room: 4B" in text and 'href="Room' not in text


def test_a_reader_sees_the_meeting_without_the_forms_and_may_not_post(meeting, people, client_for):
    client = client_for("dana")  # a viewer of payments
    assert 'name="base_version"' not in page(client, meeting).content.decode()
    url = f"/retrospectives/{meeting.retrospective_id}/meeting"
    assert client.post(url, {"date": "2026-06-02", "time": "10:00", "length_minutes": "30"}).status_code == 403
    assert client.post(f"{url}/roles", {"moderator": "bob", "base_version": "1"}).status_code == 403


def test_another_teams_member_reads_an_open_meeting_but_not_a_private_one(retro, people, client_for):
    open_meeting = meeting_of(retro(state="meeting"))
    private = meeting_of(retro(visibility="private", state="meeting"))
    schedule(open_meeting, people["alice"])
    schedule(private, people["alice"])
    charlie = client_for("charlie")
    assert page(charlie, open_meeting).status_code == 200
    assert charlie.post(f"/retrospectives/{open_meeting.retrospective_id}/meeting", {}).status_code == 403
    assert page(charlie, private).status_code == 404
    assert charlie.get(f"/retrospectives/{private.retrospective_id}/meeting.ics").status_code == 404
    assert charlie.post(f"/retrospectives/{private.retrospective_id}/meeting/roles", {}).status_code == 404


def test_the_retrospectives_page_shows_the_meeting_in_the_readers_zone_with_a_link(meeting, people, client_for):
    set_zone(people["bob"], "Asia/Tokyo")
    schedule(meeting, people["alice"], place="https://meet.example.com/r")
    text = client_for("bob").get(f"/retrospectives/{meeting.retrospective_id}/").content.decode()
    side = text[text.index('id="meeting-when"') :][:600]
    assert "Meeting: " in side and "Mon 1 Jun 2026, 22:00" in side and "Asia/Tokyo" in side
    assert 'href="https://meet.example.com/r"' in side
    assert f'href="/retrospectives/{meeting.retrospective_id}/meeting"' in side


def queries_of(client, meeting) -> int:
    """How many queries one request of the page makes (connection.queries is reset by each request: counted here)."""
    sqls = []

    def count(execute, sql, params, many, context):
        sqls.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        assert page(client, meeting).status_code == 200
    return len(sqls)


def test_the_pages_queries_do_not_grow_with_the_attendees(meeting, people, client_for):
    schedule(meeting, people["alice"], moderator=people["bob"], note_taker=people["dana"])
    agenda_thread(meeting, people["bob"], people["charlie"])
    client = client_for("alice")
    page(client, meeting)
    few = queries_of(client, meeting)
    assert few <= 25
    for i in range(25):
        user = make_user(people["payments"].organization, f"member{i}")
        Membership.objects.create(team=people["payments"], user=user, role="member")
    agenda_thread(meeting, *[people[f] for f in ("alice", "bob")], title="Another", position=2)
    page(client, meeting)  # asks the newcomers
    assert queries_of(client, meeting) == few
    assert page(client, meeting).content.decode().count("Member") >= 25


@pytest.mark.parametrize("who", ["bob", "dana", "charlie", "oscar"])
def test_anyone_who_may_see_the_retrospective_downloads_the_invitation(meeting, people, client_for, who):
    schedule(meeting, people["alice"], starts_at=WHEN + timedelta(days=2))
    assert client_for(who).get(f"/retrospectives/{meeting.retrospective_id}/meeting.ics").status_code == 200


def test_who_wrote_in_a_long_thread_must_come_without_anyone_opening_the_agenda_first(retro, people, client_for):
    from retrospector.meetings.models import Attendee
    from retrospector.reviews.threads import comment_add, thread_start

    retrospective = retro(state="in_review")
    thread = thread_start(
        retrospective=retrospective, section="summary", kind="clarify", body="Which bank?", by=people["dana"]
    ).thread
    comment_add(thread=thread, body="Northbank.", by=people["bob"])
    comment_add(thread=thread, body="Are we sure?", by=people["dana"])
    from retrospector.writeups.models import Retrospective

    Retrospective.objects.filter(pk=retrospective.pk).update(state="meeting")
    assert client_for("alice").get(f"/retrospectives/{retrospective.pk}/meeting").status_code == 200
    mandatory = Attendee.objects.filter(meeting__retrospective=retrospective, mandatory=True)
    assert sorted(a.user.username for a in mandatory) == ["alice", "bob", "dana"]
