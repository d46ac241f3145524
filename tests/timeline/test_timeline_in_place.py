"""The timeline page edits in place with htmx (add, edit, cancel, bulk, milestones, filters, pages) and keeps working
as plain forms and links without it."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from retrospector.importers.base import ParsedEvent
from retrospector.timeline.models import TimelineEvent
from retrospector.timeline.services import event_add, event_update, timeline_import
from retrospector.timeline.views import PAGE_SIZE

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)


@pytest.fixture
def incident(make_incident):
    return make_incident()


def htmx(incident, query: str = "") -> dict:
    """The headers htmx sends from the timeline page (with `query` in the browser's address bar)."""
    return {"HX-Request": "true", "HX-Current-URL": f"http://testserver/incidents/{incident.pk}/timeline/{query}"}


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


def alert(incident, people, text, minutes):
    timeline_import(
        incident=incident,
        by=people["bob"],
        source_type="alertmanager",
        file_name="a.json",
        events=[
            ParsedEvent(
                occurred_at=T0 + timedelta(minutes=minutes),
                original_time="",
                original_offset_minutes=0,
                actor="Alertmanager",
                actor_kind="system",
                text=text,
                kind="alert_firing",
                source_type="alertmanager",
                source_ref=f"alert-{minutes}",
            )
        ],
    )


def add_form_data(**overrides) -> dict:
    data = {
        "when": "2026-05-04T14:20:00",
        "zone": "UTC",
        "actor": "Bob",
        "actor_kind": "person",
        "kind": "note",
        "text": "Failover to the replica",
        "source_url": "https://chat.example.com/p/9",
    }
    data.update(overrides)
    return data


def test_adding_an_event_answers_the_refreshed_timeline_with_its_filters_and_a_fresh_form(incident, people, client_for):
    alert(incident, people, "Error rate above 5%", 5)
    response = client_for("bob").post(
        f"/incidents/{incident.pk}/timeline/events", add_form_data(), headers=htmx(incident, "?kind=note")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.startswith('<div id="timeline-region"') or 'id="timeline-region"' in page.split("\n", 2)[0]
    assert "Failover to the replica" in page and "Event added at 2026-05-04 14:20:00 (UTC)" in page
    assert "Error rate above 5%" not in page  # the page being looked at shows notes only: still so
    assert 'id="add-event-form"' in page and 'hx-swap-oob="true"' in page and 'data-focus="#id_when"' in page
    assert "<html" not in page  # a part of the page, not the page
    assert TimelineEvent.objects.filter(incident=incident, text="Failover to the replica").count() == 1


def test_an_invalid_event_goes_back_to_the_add_form_with_its_errors(incident, people, client_for):
    response = client_for("bob").post(
        f"/incidents/{incident.pk}/timeline/events", add_form_data(text="", when="not a time"), headers=htmx(incident)
    )
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#add-event-form" and response["HX-Reswap"] == "outerHTML"
    page = response.content.decode()
    assert 'id="add-event-form"' in page and "Enter a valid date/time." in page and "This field is required." in page
    assert "Failover" not in page or 'value="Failover' not in page
    assert not TimelineEvent.objects.filter(incident=incident).exists()


def test_edit_opens_in_the_row_and_saving_refreshes_the_timeline_at_that_row(incident, people, client_for):
    event = note(incident, people, "Paged the database team", minutes=3)
    client = client_for("bob")
    row = client.get(
        f"/incidents/{incident.pk}/timeline/events/{event.pk}/edit", headers=htmx(incident)
    ).content.decode()
    assert row.lstrip().startswith(f'<tr id="event-{event.pk}" class="editing">')
    assert "Paged the database team" in row and f'hx-get="/incidents/{incident.pk}/timeline/events/{event.pk}"' in row
    assert f'id="id_e{event.pk}_text"' in row  # its own ids: the add form on the same page has id_text

    response = client.post(
        f"/incidents/{incident.pk}/timeline/events/{event.pk}/edit",
        {
            **add_form_data(when="2026-05-04T14:03:00", text="Paged the storage team"),
            "base_version": event.version,
        },
        headers=htmx(incident),
    )
    page = response.content.decode()
    assert response.status_code == 200 and 'id="timeline-region"' in page
    assert "Paged the storage team" in page and "Event saved." in page and f'data-focus="#event-{event.pk}"' in page
    event.refresh_from_db()
    assert event.text == "Paged the storage team"


def test_a_stale_edit_in_the_row_shows_their_version_and_keeps_mine(incident, people, client_for):
    event = note(incident, people, "Restarted the API", minutes=3)
    event_update(event=event, by=people["alice"], base_version=event.version, text="Restarted the API pods")
    response = client_for("bob").post(
        f"/incidents/{incident.pk}/timeline/events/{event.pk}/edit",
        {
            **add_form_data(when="2026-05-04T14:03:00", text="Restarted the API gateway"),
            "base_version": event.version,
        },
        headers=htmx(incident),
    )
    page = response.content.decode()
    assert response.status_code == 409
    assert response["HX-Retarget"] == f"#event-{event.pk}"
    assert "Their version" in page and "Restarted the API pods" in page and "Restarted the API gateway" in page
    event.refresh_from_db()
    assert event.text == "Restarted the API pods"
    assert re.search(r'name="base_version" value="2"', page)  # saving again now overwrites knowingly


def test_cancel_gives_the_row_back_as_it_was(incident, people, client_for):
    event = note(incident, people, "Rolled back v42", minutes=3)
    client = client_for("bob")
    row = client.get(f"/incidents/{incident.pk}/timeline/events/{event.pk}", headers=htmx(incident)).content.decode()
    assert row.lstrip().startswith(f'<tr id="event-{event.pk}"') and "Rolled back v42" in row and "editing" not in row
    without_js = client.get(f"/incidents/{incident.pk}/timeline/events/{event.pk}")
    assert without_js.status_code == 302 and re.search(
        rf"/timeline/\?after=[^#]+#event-{event.pk}$", without_js["Location"]
    )
    assert "Rolled back v42" in client.get(without_js["Location"]).content.decode()


def test_bulk_actions_and_milestones_refresh_the_timeline_in_place(incident, people, client_for):
    first = note(incident, people, "Duplicate A", minutes=10)
    second = note(incident, people, "Duplicate B", minutes=11)
    client = client_for("bob")
    page = client.post(
        f"/incidents/{incident.pk}/timeline/bulk", {"action": "hide", "events": [second.pk]}, headers=htmx(incident)
    ).content.decode()
    assert "Hidden as noise: 1 event." in page and "Duplicate A" in page and "Duplicate B" not in page
    page = client.post(
        f"/incidents/{incident.pk}/timeline/bulk", {"action": "hide"}, headers=htmx(incident)
    ).content.decode()
    assert "Select events and an action." in page

    page = client.post(
        f"/incidents/{incident.pk}/timeline/events/{first.pk}/milestone",
        {"moment": "mitigated_at"},
        headers=htmx(incident),
    ).content.decode()
    assert "set from this event" in page and f'data-focus="#event-{first.pk}"' in page
    incident.refresh_from_db()
    assert incident.mitigated_at == first.occurred_at


def test_filters_and_pages_fetched_by_htmx_are_only_the_timeline_part(incident, people, client_for):
    timeline_import(
        incident=incident,
        by=people["bob"],
        source_type="csv",
        file_name="app.csv",
        events=[
            ParsedEvent(
                occurred_at=T0 + timedelta(seconds=i),
                original_time="",
                original_offset_minutes=0,
                actor="api",
                actor_kind="system",
                text=f"line {i}",
                kind="log",
                source_type="csv",
                source_ref=f"app.csv:{i + 2}",
            )
            for i in range(PAGE_SIZE + 5)
        ],
    )
    note(incident, people, "A note among the logs", minutes=1)
    client = client_for("bob")
    url = f"/incidents/{incident.pk}/timeline/"
    filtered = client.get(url + "?kind=log&key=", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in filtered and "A note among the logs" not in filtered and "line 0" in filtered
    later = re.search(r'href="\?([^"]*after=[^"]+)"', filtered).group(1).replace("&amp;", "&")
    assert "kind=log" in later  # the next page keeps the filter
    second = client.get(url + "?" + later).content.decode()
    assert "<html" in second and f"line {PAGE_SIZE + 4}" in second and "line 0<" not in second
    assert "⇤ First events" in second and "← Earlier events" in second and "A note among the logs" not in second


def test_go_to_event_opens_the_page_that_starts_at_that_event(incident, people, client_for):
    timeline_import(
        incident=incident,
        by=people["bob"],
        source_type="csv",
        file_name="app.csv",
        events=[
            ParsedEvent(
                occurred_at=T0 + timedelta(seconds=i),
                original_time="",
                original_offset_minutes=0,
                actor="api",
                actor_kind="system",
                text=f"line {i}",
                kind="log",
                source_type="csv",
                source_ref=f"app.csv:{i + 2}",
            )
            for i in range(PAGE_SIZE * 2)
        ],
    )
    late = event_add(
        incident=incident,
        by=people["bob"],
        occurred_at=T0 + timedelta(hours=2),
        text="Typed late, no source",
        original_offset_minutes=0,
    )
    client = client_for("bob")
    page = client.get(f"/incidents/{incident.pk}/timeline/").content.decode()
    assert f'id="event-{late.pk}"' not in page  # beyond the first page...
    link = f'href="/incidents/{incident.pk}/timeline/events/{late.pk}">Go to event</a>'
    assert link in page  # ...but its finding links to it
    landing = client.get(f"/incidents/{incident.pk}/timeline/events/{late.pk}", follow=True)
    body = landing.content.decode()
    assert f'id="event-{late.pk}"' in body and "← Earlier events" in body
    assert landing.redirect_chain[-1][0].endswith(f"#event-{late.pk}")


def test_readers_and_other_teams_cannot_edit_in_place(make_incident, people, client_for):
    private = make_incident(visibility="private")
    event = note(private, people, "Secret step", minutes=1)
    edit = f"/incidents/{private.pk}/timeline/events/{event.pk}/edit"
    assert client_for("charlie").get(edit, headers=htmx(private)).status_code == 404
    assert (
        client_for("charlie")
        .get(f"/incidents/{private.pk}/timeline/events/{event.pk}", headers=htmx(private))
        .status_code
        == 404
    )
    public = make_incident()
    mine = note(public, people, "Public step", minutes=1)
    assert (
        client_for("dana")
        .get(f"/incidents/{public.pk}/timeline/events/{mine.pk}/edit", headers=htmx(public))
        .status_code
        == 403
    )
    response = client_for("dana").post(
        f"/incidents/{public.pk}/timeline/bulk", {"action": "delete", "events": [mine.pk]}, headers=htmx(public)
    )
    assert response.status_code == 403 and TimelineEvent.objects.filter(pk=mine.pk).exists()
    row = (
        client_for("dana")
        .get(f"/incidents/{public.pk}/timeline/events/{mine.pk}", headers=htmx(public))
        .content.decode()
    )
    assert "Public step" in row and "Edit" not in row


def test_deleting_one_event_asks_for_a_ticked_confirmation(incident, people, client_for):
    event = note(incident, people, "Typed in the wrong incident", minutes=3)
    client = client_for("bob")
    edit_row = client.get(
        f"/incidents/{incident.pk}/timeline/events/{event.pk}/edit", headers=htmx(incident)
    ).content.decode()
    assert "Delete for good" in edit_row and "hide it as noise instead" in edit_row
    url = f"/incidents/{incident.pk}/timeline/events/{event.pk}/delete"
    page = client.post(url, {}, headers=htmx(incident)).content.decode()
    assert "Tick “Delete for good”" in page and TimelineEvent.objects.filter(pk=event.pk).exists()
    assert client_for("dana").post(url, {"confirm": "1"}, headers=htmx(incident)).status_code == 403
    page = client.post(url, {"confirm": "1"}, headers=htmx(incident)).content.decode()
    assert "Deleted the event “Typed in the wrong incident”." in page and "Typed in the wrong incident</" not in page
    assert not TimelineEvent.objects.filter(pk=event.pk).exists()
    without_js = client.post(url, {"confirm": "1"})
    assert without_js.status_code == 404  # already gone


def test_the_page_filters_by_text_source_and_time_in_the_display_zone(incident, people, client_for):
    alert(incident, people, "Error rate above 5%", 5)
    note(incident, people, "Paged the database team", minutes=20)
    note(incident, people, "Rolled back v42", minutes=40)
    people["bob"].time_zone = "Europe/Paris"  # the timeline shows Paris time: 16:00 there is 14:00 UTC
    people["bob"].save()
    client = client_for("bob")
    url = f"/incidents/{incident.pk}/timeline/"

    def shown(query):
        page = client.get(url + query).content.decode()
        return [t for t in ("Error rate above 5%", "Paged the database team", "Rolled back v42") if t in page], page

    assert shown("?q=ROLLED")[0] == ["Rolled back v42"]
    assert shown("?source=alertmanager")[0] == ["Error rate above 5%"]
    texts, page = shown("?from=2026-05-04T16:10&until=2026-05-04T16:30")
    assert texts == ["Paged the database team"] and "1 event match the filters" in page and "Clear filters" in page
    texts, page = shown("?from=yesterday")
    assert len(texts) == 3 and "From: not a time; that limit was left out." in page
    assert "No events match these filters." in shown("?q=nothing-like-this")[1]


def test_the_events_api_pages_backwards_and_searches_text(incident, people, client_for):
    for minute in range(7):
        note(incident, people, f"step {minute}", minutes=minute)
    client = client_for("bob")
    url = f"/api/v1/incidents/{incident.pk}/events"
    first = client.get(url + "?limit=3").json()
    assert first["previous_cursor"] is None
    second = client.get(url + f"?limit=3&after={first['next_cursor']}").json()
    back = client.get(url + f"?limit=3&before={second['previous_cursor']}").json()
    assert [e["text"] for e in back["results"]] == ["step 0", "step 1", "step 2"] and back["previous_cursor"] is None
    assert [e["text"] for e in client.get(url + "?text=STEP 5").json()["results"]] == ["step 5"]
    # Both cursors read the events between them (none between the end of one page and the start of the next).
    both = client.get(url + f"?after={first['next_cursor']}&before={second['previous_cursor']}")
    assert both.status_code == 200 and both.json()["results"] == []


def test_the_display_settings_mark_quiet_periods_at_the_chosen_length(incident, people, client_for):
    note(incident, people, "Paged", minutes=0)
    note(incident, people, "Ten quiet minutes later", minutes=10)
    note(incident, people, "An hour later", minutes=70)
    client = client_for("bob")
    url = f"/incidents/{incident.pk}/timeline/"
    page = client.get(url).content.decode()
    assert page.count('class="gap"') == 1 and "1 h 00 min with no events" in page  # 30 minutes by default

    saved = client.post(url + "settings", {"timeline_time_zone": "Asia/Tokyo", "timeline_gap_minutes": "5"})
    assert saved.status_code == 302
    page = client.get(url).content.decode()
    assert page.count('class="gap"') == 2 and "10 min with no events" in page
    assert "<strong>Asia/Tokyo</strong> (the incident's zone)" in page and 'value="5"' in page

    refused = client.post(url + "settings", {"timeline_time_zone": "", "timeline_gap_minutes": "0"}, follow=True)
    assert "Not saved: Mark quiet periods longer than:" in refused.content.decode()
    incident.refresh_from_db()
    assert incident.timeline_gap_minutes == 5


def test_the_display_settings_through_the_api(incident, people, client_for):
    url = f"/api/v1/incidents/{incident.pk}/timeline/display"
    assert client_for("dana").get(url).json() == {"time_zone": "", "seconds": False, "gap_minutes": 30}
    body = {"time_zone": "Europe/Paris", "seconds": True, "gap_minutes": 15}
    assert client_for("dana").put(url, body, content_type="application/json").status_code == 403
    assert client_for("bob").put(url, body, content_type="application/json").json() == body
    wrong = client_for("bob").put(url, {**body, "time_zone": "Mars/Olympus"}, content_type="application/json")
    assert wrong.status_code == 422 and wrong.json()["field"] == "time_zone"
    too_long = client_for("bob").put(url, {**body, "gap_minutes": 20_000}, content_type="application/json")
    assert too_long.status_code == 422 and too_long.json()["field"] == "gap_minutes"
