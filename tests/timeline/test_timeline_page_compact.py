"""The timeline page keeps to what matters: one menu of actions a row, long texts folded, the filters open when in
use, and one shared list of zone names instead of two menus of 550 options (checked on the server)."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from retrospector.core.zones import COMMON_ZONES, ZONE_NAMES, zone_datalist, zone_name
from retrospector.importers.base import ParsedEvent
from retrospector.timeline.forms import EventForm, TimelineSettingsForm
from retrospector.timeline.models import TimelineEvent
from retrospector.timeline.services import event_add, timeline_import

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)
TRACEBACK = "Traceback (most recent call last):\n" + "\n".join(f'  File "app.py", line {i}, in f' for i in range(40))


@pytest.fixture
def incident(make_incident):
    return make_incident()


def note(incident, people, text, minutes=0, **extra):
    return event_add(
        incident=incident,
        by=people["bob"],
        occurred_at=T0 + timedelta(minutes=minutes),
        text=text,
        source_url="https://chat.example.com/p/1",
        original_offset_minutes=0,
        **extra,
    )


def row_of(page: str, event) -> str:
    start = page.index(f'<tr id="event-{event.pk}"')
    return page[start : page.index("</tr>", start)]


def htmx(incident) -> dict:
    return {"HX-Request": "true", "HX-Current-URL": f"http://testserver/incidents/{incident.pk}/timeline/"}


def test_each_row_has_one_menu_with_edit_key_hide_and_every_milestone(incident, people, client_for):
    event = note(incident, people, "Paged the database team", minutes=3)
    page = client_for("bob").get(f"/incidents/{incident.pk}/timeline/").content.decode()
    row = row_of(page, event)
    assert row.count('<details class="row-menu">') == 1 and "<select" not in row
    assert 'aria-label="Actions for the event at 14:03"' in row
    menu = row[row.index('<details class="row-menu">') :]
    assert f'href="/incidents/{incident.pk}/timeline/events/{event.pk}/edit"' in menu
    assert re.search(r'name="action" value="key"[^>]*>Mark as key event<', menu)
    assert re.search(r'name="action" value="hide"[^>]*>Hide as noise<', menu)
    for moment, label in (("started_at", "Started"), ("detected_at", "Detected"), ("resolved_at", "Resolved")):
        assert re.search(rf'name="moment" value="{moment}"[^>]*>{label}<', menu)
    assert menu.count('name="csrfmiddlewaretoken"') == 2  # its two forms work without a script
    reader = client_for("dana").get(f"/incidents/{incident.pk}/timeline/").content.decode()
    assert "Paged the database team" in reader and "row-menu" not in reader


def test_a_rows_menu_marks_one_event_as_key_and_comes_back_to_it(incident, people, client_for):
    event = note(incident, people, "Rolled back v42", minutes=3)
    other = note(incident, people, "Paged", minutes=1)
    client = client_for("bob")
    url = f"/incidents/{incident.pk}/timeline/bulk"
    page = client.post(url, {"action": "key", "events": [event.pk]}, headers=htmx(incident)).content.decode()
    assert "Marked as key events: 1 event." in page and f'data-focus="#event-{event.pk}"' in page
    assert 'class="key"' in row_of(page, event) and "Unmark key event" in row_of(page, event)
    without_js = client.post(url, {"action": "unkey", "events": [event.pk]})
    assert without_js.status_code == 302 and without_js["Location"].endswith(f"#event-{event.pk}")
    event.refresh_from_db()
    other.refresh_from_db()
    assert not event.key_event and not other.key_event
    hidden = client.post(url, {"action": "hide", "events": [event.pk]}, headers=htmx(incident)).content.decode()
    assert "Hidden as noise: 1 event. “Include hidden noise” in the filters shows them again." in hidden
    assert f'id="event-{event.pk}"' not in hidden and "data-focus" not in hidden  # gone: focus on the message
    assert client_for("dana").post(url, {"action": "show", "events": [event.pk]}).status_code == 403


def test_a_long_text_is_folded_to_a_few_lines_and_a_short_one_is_not(incident, people, client_for):
    timeline_import(
        incident=incident,
        by=people["bob"],
        source_type="slack",
        file_name="export.zip",
        events=[
            ParsedEvent(
                occurred_at=T0,
                original_time="",
                original_offset_minutes=0,
                actor="Priya",
                actor_kind="person",
                text=TRACEBACK,
                kind="message",
                source_type="slack",
                source_ref="C1/1",
            )
        ],
    )
    long = TimelineEvent.objects.get(incident=incident, source_ref="C1/1")
    typed = note(incident, people, "One line.\n\n" + "A paragraph of a hundred words. " * 40, minutes=1)
    short = note(incident, people, "Paged\nthe database\nteam", minutes=2)
    page = client_for("bob").get(f"/incidents/{incident.pk}/timeline/").content.decode()
    assert 'class="event-text clamped"' in row_of(page, long) and "Show all" in row_of(page, long)
    assert "line 39, in f" in row_of(page, long)  # all of it is there, for find-in-page and screen readers
    assert 'class="prose clamped"' in row_of(page, typed) and "Show all" in row_of(page, typed)
    assert "clamped" not in row_of(page, short) and "Show all" not in row_of(page, short)


@pytest.mark.parametrize(
    "query,opened",
    [("", False), ("?kind=log", True), ("?q=paged", True), ("?hidden=1", True), ("?original=1", True)],
)
def test_the_filters_open_by_themselves_only_when_in_use(incident, people, client_for, query, opened):
    note(incident, people, "Paged", minutes=1)
    page = client_for("bob").get(f"/incidents/{incident.pk}/timeline/{query}").content.decode()
    assert ('<details class="filter-box" open>' in page) is opened
    assert ('<details class="filter-box">' in page) is not opened
    assert 'aria-label="Filter events"' in page  # the form is there either way: a phone opens it with the button


def test_the_folds_below_the_events_open_when_they_are_what_comes_next(incident, people, client_for):
    client = client_for("bob")
    url = f"/incidents/{incident.pk}/timeline/"
    empty = client.get(url).content.decode()
    assert '<details class="card fold" id="add-event" open>' in empty  # nothing yet: adding is next
    note(incident, people, "Paged", minutes=1)
    page = client.get(url).content.decode()
    assert '<details class="card fold" id="add-event">' in page and 'href="#add-event-form"' in page
    assert "zone of each viewer, no seconds, quiet periods over 30 min" in page  # what Display holds, folded


def test_the_zone_fields_share_one_list_of_zone_names_with_the_likely_ones_first(
    incident, people, client_for, django_assert_max_num_queries
):
    people["bob"].time_zone = "Asia/Kathmandu"
    people["bob"].save()
    note(incident, people, "Paged", minutes=1)
    with django_assert_max_num_queries(30):
        page = client_for("bob").get(f"/incidents/{incident.pk}/timeline/").content.decode()
    assert page.count("<datalist") == 1 and page.count('list="zone-names"') == 2
    assert re.search(r'<input type="text" name="zone" value="Asia/Kathmandu"[^>]*list="zone-names"', page)
    assert re.search(r'<input type="text" name="timeline_time_zone"[^>]*list="zone-names"', page)
    names = re.findall(r'<option value="([^"]+)">', page[page.index("<datalist") : page.index("</datalist>")])
    assert names[:2] == ["Asia/Kathmandu", "UTC"] and names[2 : len(COMMON_ZONES) + 1] == list(COMMON_ZONES[1:])
    assert sorted(names) == sorted(ZONE_NAMES)  # every name, once
    assert page.count("<option") < len(ZONE_NAMES) + 30  # the page's other menus are short


def test_an_unknown_zone_is_refused_on_its_field_and_nothing_is_saved(incident, people, client_for):
    client = client_for("bob")
    data = {"when": "2026-05-04T14:20:00", "zone": "Mars/Olympus", "actor_kind": "person", "kind": "note"}
    data["text"] = "Failover"
    response = client.post(f"/incidents/{incident.pk}/timeline/events", data, headers=htmx(incident))
    assert response.status_code == 422
    page = response.content.decode()
    field = page[page.index('<label for="id_zone">') :]
    field = field[: field.index("</div>")]
    assert "Written in zone" in field and "“Mars/Olympus” is not a time zone name." in field
    assert "Failover</textarea>" in page and 'value="2026-05-04T14:20:00"' in page  # what was typed is kept
    without_js = client.post(f"/incidents/{incident.pk}/timeline/events", data)
    assert without_js.status_code == 422 and "is not a time zone name" in without_js.content.decode()
    assert without_js.content.decode().count("<datalist") == 1  # the page of the form suggests zones too
    assert not TimelineEvent.objects.filter(incident=incident).exists()

    refused = client.post(
        f"/incidents/{incident.pk}/timeline/settings",
        {"timeline_time_zone": "Atlantis", "timeline_gap_minutes": "5"},
        follow=True,
    )
    assert "Not saved: Display zone: “Atlantis” is not a time zone name." in refused.content.decode()
    incident.refresh_from_db()
    assert incident.timeline_time_zone == "" and incident.timeline_gap_minutes == 30


def test_a_zone_typed_loosely_is_saved_by_its_exact_name(incident, people, client_for):
    client = client_for("bob")
    data = {"when": "2026-05-04T16:20:00", "zone": " europe/paris ", "text": "Failover"}
    data.update(actor_kind="person", kind="note")
    assert client.post(f"/incidents/{incident.pk}/timeline/events", data).status_code == 302
    event = TimelineEvent.objects.get(incident=incident)
    assert event.occurred_at == datetime(2026, 5, 4, 14, 20, tzinfo=UTC) and "Europe/Paris" in event.original_time
    saved = client.post(
        f"/incidents/{incident.pk}/timeline/settings", {"timeline_time_zone": "tokyo", "timeline_gap_minutes": "30"}
    )
    assert saved.status_code == 302
    incident.refresh_from_db()
    assert incident.timeline_time_zone == "Asia/Tokyo"
    client.post(f"/incidents/{incident.pk}/timeline/settings", {"timeline_time_zone": "", "timeline_gap_minutes": "30"})
    incident.refresh_from_db()
    assert incident.timeline_time_zone == ""  # empty: each viewer's own zone


@pytest.mark.parametrize(
    "typed,name",
    [
        ("Europe/Paris", "Europe/Paris"),
        ("utc", "UTC"),
        ("America/New York", "America/New_York"),
        ("  new   york ", "America/New_York"),
        ("Kathmandu", "Asia/Kathmandu"),
        ("America/Argentina/buenos_aires", "America/Argentina/Buenos_Aires"),
        ("Mars/Olympus", None),
        ("Paris/Europe", None),
        ("", None),
        ("<script>", None),
    ],
)
def test_a_typed_zone_means_one_iana_name_or_none(typed, name):
    assert zone_name(typed) == name


def test_the_zone_forms_clean_names_and_name_the_field_in_their_errors():
    form = EventForm({"when": "2026-05-04T14:00", "zone": "Nowhere/Else", "text": "x", "actor_kind": "person"})
    assert not form.is_valid() and form.errors["zone"] == [
        "“Nowhere/Else” is not a time zone name. Type a place and pick its zone from the list, such as "
        "Europe/Paris, America/New_York or UTC."
    ]
    assert form.fields["zone"].label == "Written in zone"
    display = TimelineSettingsForm({"timeline_time_zone": "berlin", "timeline_gap_minutes": "30"})
    assert display.is_valid() and display.cleaned_data["timeline_time_zone"] == "Europe/Berlin"
    assert 'placeholder="Each viewer&#x27;s own zone"' in str(display["timeline_time_zone"])


def test_the_zone_list_offers_only_zones_and_is_written_once_per_first_zones():
    assert zone_datalist(("UTC",)) is zone_datalist(("UTC",))
    assert zone_datalist(("<b>", "", "Mars/Olympus")) == zone_datalist(())  # not zones: not offered
    assert str(zone_datalist(("Asia/Kathmandu",))).startswith(
        '<datalist id="zone-names"><option value="Asia/Kathmandu"><option value="UTC"><option value="Europe/London">'
    )
