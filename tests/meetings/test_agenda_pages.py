"""The agenda's page: items in order with their threads and passages, forms for editors only, a stale move refused,
time boxes checked, printable, an empty state; its part of the retrospective's page; outsiders get 404."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retrospector.meetings.agenda import agenda_item_add, agenda_sync, meeting_for
from retrospector.meetings.models import AgendaItem, Meeting
from tests.meetings.agenda_support import agenda_fixture, many_threads, talk  # noqa: F401  (the `agenda` fixture)
from tests.reviews.thread_support import retro_fixture  # noqa: F401  (the `retro` fixture)

pytestmark = pytest.mark.django_db


def url(retrospective) -> str:
    return f"/retrospectives/{retrospective.pk}/agenda"


def version(meeting) -> int:
    return Meeting.objects.get(pk=meeting.pk).agenda_version


def test_the_page_lists_the_items_with_their_threads_and_passages(agenda, people, client_for):
    retrospective, meeting = agenda
    thread = talk(retrospective, people, messages=3, quote="fraud rule")
    agenda_sync(meeting)
    agenda_item_add(meeting=meeting, part="roll-call", by=people["alice"])
    html = client_for("bob").get(url(retrospective)).content.decode()
    assert f'href="/threads/{thread.pk}/"' in html
    assert "3 messages" in html and "fraud rule</blockquote>" in html and ">open<" in html
    assert html.index("Change on Summary") < html.index("Roll call")
    assert "2 items." in html and "Total 7 of 60 minutes: 53 minutes to spare." in html
    assert 'name="action" value="step"' in html and 'value="add-part"' in html


def test_an_empty_agenda_explains_how_items_arrive(agenda, client_for):
    retrospective, _ = agenda
    html = client_for("dana").get(url(retrospective)).content.decode()
    assert "Nothing on the agenda yet." in html and "3 messages or more" in html


def test_readers_see_it_read_only_and_may_not_post(agenda, people, client_for):
    retrospective, meeting = agenda
    agenda_item_add(meeting=meeting, part="impact", by=people["alice"])
    dana = client_for("dana")  # viewer of payments
    html = dana.get(url(retrospective)).content.decode()
    assert "Impact" in html and "<form" not in html.split('id="agenda"')[1].split("</ol>")[0]
    assert 'value="add-part"' not in html
    response = dana.post(url(retrospective), {"action": "add-part", "part": "roll-call"})
    assert response.status_code == 403
    assert AgendaItem.objects.filter(meeting=meeting).count() == 1


@pytest.mark.parametrize("outsider", ["charlie", "erin"])
def test_a_private_incidents_agenda_is_404_to_outsiders(retro, people, client_for, outsider):
    retrospective = retro(visibility="private")
    talk(retrospective, people, kind="disagree")
    client = client_for(outsider)
    assert client.get(url(retrospective)).status_code == 404
    assert client.post(url(retrospective), {"action": "add-part", "part": "impact"}).status_code == 404
    assert "disagree" not in client.get(f"/api/v1/retrospectives/{retrospective.pk}/agenda").content.decode().lower()


def test_an_editor_adds_moves_and_times_items(agenda, people, client_for):
    retrospective, meeting = agenda
    bob = client_for("bob")
    response = bob.post(url(retrospective), {"action": "add-part", "part": "analysis-notes"})
    assert response.status_code == 302
    bob.post(url(retrospective), {"action": "add-item", "title": "Vendor call", "time_box_minutes": "15"})
    first, second = AgendaItem.objects.filter(meeting=meeting)
    response = bob.post(
        url(retrospective),
        {"action": "step", "item": second.pk, "direction": "up", "base_version": version(meeting)},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#item-{second.pk}")
    bob.post(
        url(retrospective),
        {"action": "time-box", "item": first.pk, "time_box_minutes": "30", "base_version": version(meeting)},
    )
    items = agenda_sync(meeting)
    assert [(i.title, i.position, i.time_box_minutes) for i in items] == [
        ("Vendor call", 1, 15),
        ("Analysis notes", 2, 30),
    ]
    html = bob.get(url(retrospective)).content.decode()
    assert "Total 45 of 60 minutes" in html


def test_a_stale_move_is_refused_with_409_and_the_current_agenda(agenda, people, client_for):
    retrospective, meeting = agenda
    for key in ("roll-call", "impact"):
        agenda_item_add(meeting=meeting, part=key, by=people["alice"])
    roll, impact = AgendaItem.objects.filter(meeting=meeting)
    read = version(meeting)
    client_for("alice").post(
        url(retrospective), {"action": "move", "item": impact.pk, "position": 1, "base_version": read}
    )
    response = client_for("bob").post(
        url(retrospective), {"action": "step", "item": roll.pk, "direction": "down", "base_version": read}
    )
    assert response.status_code == 409
    assert "The agenda changed since you read it" in response.content.decode()
    assert [i.part for i in agenda_sync(meeting)] == ["impact", "roll-call"]


def test_a_time_box_out_of_range_is_refused_with_a_clear_message(agenda, people, client_for):
    retrospective, meeting = agenda
    item = agenda_item_add(meeting=meeting, part="impact", by=people["alice"])
    response = client_for("alice").post(
        url(retrospective),
        {"action": "time-box", "item": item.pk, "time_box_minutes": "300", "base_version": version(meeting)},
    )
    assert response.status_code == 422
    assert "A time box is from 1 to 240 minutes; 300 is not." in response.content.decode()
    assert AgendaItem.objects.get(pk=item.pk).time_box_minutes == 10


def test_an_agenda_over_the_meeting_length_says_by_how_much(agenda, people, client_for):
    retrospective, meeting = agenda
    agenda_item_add(meeting=meeting, title="Everything", time_box_minutes=75, by=people["alice"])
    html = client_for("alice").get(url(retrospective)).content.decode()
    assert "over by 15 minutes" in html


def test_the_print_view_has_no_forms(agenda, people, client_for):
    retrospective, meeting = agenda
    agenda_item_add(meeting=meeting, part="impact", by=people["alice"])
    html = client_for("alice").get(url(retrospective) + "?print=1").content.decode()
    assert "Impact" in html and 'name="action"' not in html
    assert "?print=1" in client_for("alice").get(url(retrospective)).content.decode()


def test_the_retrospective_page_says_how_long_the_agenda_is(agenda, people, client_for):
    retrospective, meeting = agenda
    talk(retrospective, people, kind="disagree")
    agenda_item_add(meeting=meeting, part="analysis-notes", by=people["alice"])
    html = client_for("dana").get(f"/retrospectives/{retrospective.pk}/").content.decode()
    assert "Meeting agenda: 2 items, total 25 of 60 minutes" in html
    assert f'href="/retrospectives/{retrospective.pk}/agenda"' in html


def test_the_retrospective_page_writes_no_meeting(retro, client_for):
    retrospective = retro()
    client_for("alice").get(f"/retrospectives/{retrospective.pk}/")
    assert not Meeting.objects.filter(retrospective=retrospective).exists()


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_page_reads_in_a_constant_number_of_queries(retro, people, client_for):
    retrospective = retro()
    meeting = meeting_for(retrospective)
    client = client_for("dana")
    many_threads(retrospective, people, 6)
    agenda_sync(meeting)
    few = _queries(client, url(retrospective))
    many_threads(retrospective, people, 54)
    agenda_sync(meeting)
    many = _queries(client, url(retrospective))
    assert many == few
    page = f"/retrospectives/{retrospective.pk}/"
    assert AgendaItem.objects.filter(meeting=meeting).count() == 60
    client.get(page)
    many_page = _queries(client, page)
    assert "Meeting agenda: 60 items, total 300 of 60 minutes" in client.get(page).content.decode()
    assert many_page < 60


def test_a_posted_item_that_is_not_an_id_is_404_not_an_error(agenda, people, client_for):
    retrospective, meeting = agenda
    for item in ("99999999999999999999999", "x", "-1"):
        response = client_for("alice").post(
            url(retrospective), {"action": "remove", "item": item, "base_version": version(meeting)}
        )
        assert response.status_code == 404
