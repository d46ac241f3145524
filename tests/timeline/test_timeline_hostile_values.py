"""Hostile values on the timeline, through every way in and out: a link that is not http(s) never becomes a link (an
import, rows stored before the rule, an event added by hand), and a time at the calendar's ends is refused as a
problem on the field (the API, the page, an import's options), never a 500."""

import importlib
import json
import shutil
from datetime import UTC, datetime

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError

from retrospector.importers.base import ParsedEvent
from retrospector.timeline.imports import import_request_parse
from retrospector.timeline.models import TimelineEvent
from retrospector.timeline.services import timeline_import

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)
HOSTILE = ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", " JavaScript:alert(1)"]
FAR_TIMES = ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59Z"]


@pytest.fixture
def incident(make_incident):
    return make_incident()


def _slack_zip(tmp_path, link):
    export = tmp_path / "export"
    (export / "general").mkdir(parents=True)
    (export / "users.json").write_text(json.dumps([{"id": "U1", "name": "priya", "real_name": "Priya Raman"}]))
    (export / "channels.json").write_text(json.dumps([{"id": "C1", "name": "general"}]))
    message = {
        "ts": "1777903200.000100",
        "user": "U1",
        "text": "the graph",
        "files": [{"id": "F1", "title": "graph.png", "permalink": link, "url_private": link}],
    }
    (export / "general" / "2026-05-04.json").write_text(json.dumps([message]))
    return shutil.make_archive(str(tmp_path / "export"), "zip", export)


def _no_hostile_link(html: str) -> None:
    lowered = html.lower().replace(" ", "")
    assert 'href="javascript:' not in lowered and 'href="data:' not in lowered


@pytest.mark.parametrize("link", HOSTILE)
def test_a_slack_file_with_a_hostile_link_is_never_a_link_on_the_page_or_in_the_api(
    incident, client_for, tmp_path, link
):
    client = client_for("bob")
    with open(_slack_zip(tmp_path, link), "rb") as upload:
        response = client.post(f"/api/v1/incidents/{incident.pk}/timeline/imports", {"source": "slack", "file": upload})
    assert response.status_code == 201, response.content
    event = TimelineEvent.objects.get(incident=incident)
    assert event.attachments == [{"name": "graph.png", "mimetype": "", "url": ""}]
    page = client.get(f"/incidents/{incident.pk}/timeline/").content.decode()
    assert "graph.png" in page
    _no_hostile_link(page)
    (out,) = client.get(f"/api/v1/incidents/{incident.pk}/events").json()["results"]
    assert out["attachments"] == [{"name": "graph.png", "mimetype": "", "url": ""}]


def _stored_hostile(incident, people, link):
    """An imported event whose row holds `link` as its source_url and attachment url: what an import stored before
    links were checked."""
    parsed = ParsedEvent(
        occurred_at=T0,
        original_time="x",
        original_offset_minutes=None,
        actor="Priya",
        actor_kind="person",
        text="the graph",
        kind="message",
        source_type="slack",
        source_ref="C1/1",
    )
    timeline_import(incident=incident, by=people["bob"], source_type="slack", file_name="x.zip", events=[parsed])
    event = TimelineEvent.objects.get(incident=incident)
    TimelineEvent.objects.filter(pk=event.pk).update(
        source_url=link,
        attachments=[
            {"name": "graph.png", "mimetype": "image/png", "url": link},
            {"name": "notes.txt", "mimetype": "", "url": "https://files.example.com/notes.txt"},
        ],
    )
    return event


@pytest.mark.parametrize("link", HOSTILE)
def test_a_stored_hostile_link_is_shown_as_text_and_never_returned(incident, people, client_for, link):
    _stored_hostile(incident, people, link)
    client = client_for("bob")
    page = client.get(f"/incidents/{incident.pk}/timeline/").content.decode()
    _no_hostile_link(page)
    assert "📎 graph.png</span>" in page  # the name, as text
    assert '<a href="https://files.example.com/notes.txt" rel="nofollow noopener">notes.txt</a>' in page
    (out,) = client.get(f"/api/v1/incidents/{incident.pk}/events").json()["results"]
    assert out["source_url"] == ""
    assert [a["url"] for a in out["attachments"]] == ["", "https://files.example.com/notes.txt"]


def test_the_migration_empties_hostile_links_already_stored_and_keeps_the_rest(incident, people):
    cleaning = importlib.import_module("retrospector.timeline.migrations.0003_links_are_http_only")
    event = _stored_hostile(incident, people, "javascript:alert(1)")
    kept = TimelineEvent.objects.create(
        incident=incident,
        occurred_at=T0,
        text="deploy",
        source_url="https://ci.example.com/42",
        source_ref="ci/42",
        attachments=[{"name": "log", "url": "https://ci.example.com/42/log"}, "odd"],
    )
    data_link = TimelineEvent.objects.create(
        incident=incident, occurred_at=T0, text="x", source_url="data:text/html,x", source_ref="d/1"
    )
    cleaning.links_made_http_only(django_apps, None)
    event.refresh_from_db()
    kept_before = (kept.source_url, kept.attachments)
    kept.refresh_from_db()
    data_link.refresh_from_db()
    assert event.source_url == "" and data_link.source_url == ""
    assert event.attachments == [
        {"name": "graph.png", "mimetype": "image/png", "url": ""},
        {"name": "notes.txt", "mimetype": "", "url": "https://files.example.com/notes.txt"},
    ]
    assert (kept.source_url, kept.attachments) == kept_before
    cleaning.links_made_http_only(django_apps, None)  # running again changes nothing
    assert TimelineEvent.objects.get(pk=event.pk).attachments == event.attachments


@pytest.mark.parametrize("link", ["javascript:alert(1)", "data:text/html,x", "ftp://files.example.com/x"])
def test_an_event_added_by_hand_takes_only_an_http_link(incident, client_for, link):
    client = client_for("bob")
    response = client.post(
        f"/api/v1/incidents/{incident.pk}/events",
        {"time": "2026-05-04T14:00:00Z", "text": "x", "source_url": link},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["field"] == "source_url", response.content
    page = client.post(
        f"/incidents/{incident.pk}/timeline/events",
        {"when": "2026-05-04T14:00:00", "zone": "UTC", "text": "x", "actor_kind": "person", "kind": "note"}
        | {"source_url": link},
    )
    assert page.status_code == 422 and page.context["form"].errors["source_url"], page.context["form"].errors
    assert not TimelineEvent.objects.filter(incident=incident).exists()


# --------------------------------------------------------------------------- times at the calendar's ends


@pytest.mark.parametrize("time", FAR_TIMES)
def test_the_events_api_refuses_a_time_at_the_calendars_ends_naming_the_field(incident, people, client_for, time):
    client = client_for("bob")
    created = client.post(
        f"/api/v1/incidents/{incident.pk}/events", {"time": time, "text": "x"}, content_type="application/json"
    )
    assert created.status_code == 422 and created.json()["field"] == "time", created.content
    assert "calendar" in created.json()["detail"]
    ok = client.post(
        f"/api/v1/incidents/{incident.pk}/events",
        {"time": "2026-05-04T14:00:00Z", "text": "x"},
        content_type="application/json",
    ).json()
    changed = client.patch(
        f"/api/v1/incidents/{incident.pk}/events/{ok['id']}", {"time": time}, content_type="application/json"
    )
    assert changed.status_code == 422 and changed.json()["field"] == "time"
    listed = client.get(f"/api/v1/incidents/{incident.pk}/events", {"since": time})
    assert listed.status_code == 422 and listed.json()["field"] == "since"
    assert TimelineEvent.objects.get(incident=incident).occurred_at == T0


@pytest.mark.parametrize(
    "when, zone",
    [
        ("9999-12-31T23:59:59", "America/Los_Angeles"),
        ("0001-01-01T00:00:00", "Pacific/Kiritimati"),
        ("9999-12-31T12:00:00", "UTC"),
    ],
)
def test_the_page_refuses_a_time_at_the_calendars_ends_on_the_time_field(incident, client_for, when, zone):
    response = client_for("bob").post(
        f"/incidents/{incident.pk}/timeline/events",
        {"when": when, "zone": zone, "text": "x", "actor_kind": "person", "kind": "note"},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["when"][0].startswith("This time is too close to the ends of the calendar")
    assert not TimelineEvent.objects.filter(incident=incident).exists()


def test_the_incidents_api_refuses_a_moment_at_the_calendars_ends(people, client_for):
    response = client_for("bob").post(
        "/api/v1/incidents",
        {"title": "Far out", "team": "payments", "severity": "SEV2", "started_at": "9999-12-31T23:59:59-23:59"},
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["field"] == "started_at", response.content


@pytest.mark.parametrize("option", ["since", "until"])
def test_an_imports_time_option_at_the_calendars_ends_is_refused_naming_it(option):
    with pytest.raises(ValidationError) as refused:
        import_request_parse(source="jsonl", **{option: "9999-12-31T23:59:59-23:59"})
    assert option in refused.value.message_dict and "calendar" in refused.value.message_dict[option][0]


def test_an_incident_link_stored_with_another_scheme_is_shown_as_text_not_a_link(make_incident, client_for):
    """Inputs refuse such links; the page is the last line of defence for a row stored some other way."""
    from retrospector.incidents.models import IncidentLink

    incident = make_incident()
    IncidentLink.objects.create(incident=incident, kind="other", url="javascript:alert(1)", label="Runbook")
    IncidentLink.objects.create(incident=incident, kind="other", url="https://status.example.com/1", label="")
    page = client_for("dana").get(f"/incidents/{incident.pk}/").content.decode()
    assert 'href="javascript:' not in page and "Runbook" in page
    assert '<a href="https://status.example.com/1" rel="nofollow noopener">https://status.example.com/1</a>' in page
