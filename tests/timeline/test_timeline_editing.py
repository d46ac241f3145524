"""Timeline events by hand, in bulk, merged, as milestones; checks; imports that are idempotent and undoable."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from retrospector.core.errors import ConflictError
from retrospector.importers.base import ImportFailed, ImportProblem, ParsedEvent
from retrospector.timeline.models import TimelineEvent
from retrospector.timeline.selectors import (
    decode_cursor,
    timeline_checks,
    timeline_events,
    timeline_rows,
    timeline_window,
)
from retrospector.timeline.services import (
    event_add,
    event_update,
    events_bulk,
    events_merge,
    import_undo,
    milestone_set_from_event,
    timeline_import,
)

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)


@pytest.fixture
def incident(make_incident):
    return make_incident()


def parsed(n: int, *, source_ref=None, minutes=None, **extra) -> ParsedEvent:
    when = T0 + timedelta(minutes=n if minutes is None else minutes)
    fields = dict(
        occurred_at=when,
        original_time=when.isoformat(),
        original_offset_minutes=0,
        actor="deploy-bot",
        actor_kind="bot",
        text=f"event {n}",
        kind="deploy",
        source_type="csv",
        source_ref=source_ref or f"deploys.csv:{n + 2}",
    )
    fields.update(extra)
    return ParsedEvent(**fields)


def test_an_event_keeps_its_original_time_and_zone(incident, people):
    paris = datetime(2026, 5, 4, 16, 5, tzinfo=ZoneInfo("Europe/Paris"))
    event = event_add(
        incident=incident,
        by=people["bob"],
        occurred_at=paris,
        text="Rolled back **v42**",
        actor="Bob",
        source_url="https://chat.example.com/p/1",
        original_time="16:05 CEST",
        original_offset_minutes=120,
    )
    event.refresh_from_db()
    assert event.occurred_at == datetime(2026, 5, 4, 14, 5, tzinfo=UTC)
    assert (event.original_time, event.original_offset_minutes) == ("16:05 CEST", 120)
    assert "<strong>v42</strong>" in event.html


def test_hostile_event_text_is_sanitized(incident, people):
    event = event_add(
        incident=incident,
        by=people["bob"],
        occurred_at=T0,
        text="<img src=x onerror=alert(1)> [x](javascript:alert(1))",
    )
    assert "onerror" not in event.html and 'href="javascript' not in event.html


def test_readers_cannot_change_the_timeline(incident, people):
    for name in ("dana", "charlie"):
        with pytest.raises(PermissionDenied):
            event_add(incident=incident, by=people[name], occurred_at=T0, text="x")


def test_a_stale_event_edit_is_refused(incident, people):
    event = event_add(incident=incident, by=people["bob"], occurred_at=T0, text="first")
    event_update(event=event, by=people["alice"], base_version=1, text="alice's")
    with pytest.raises(ConflictError):
        event_update(event=event, by=people["bob"], base_version=1, text="bob's")
    event.refresh_from_db()
    assert event.text == "alice's"


def test_bulk_hide_key_and_delete(incident, people):
    events = [
        event_add(incident=incident, by=people["bob"], occurred_at=T0 + timedelta(minutes=i), text=f"e{i}")
        for i in range(4)
    ]
    ids = [e.pk for e in events]
    assert events_bulk(incident=incident, by=people["bob"], event_ids=ids[:2], action="hide") == 2
    assert [e.text for e in timeline_events(incident=incident)] == ["e2", "e3"]
    events_bulk(incident=incident, by=people["bob"], event_ids=ids[2:3], action="key")
    assert [e.text for e in timeline_events(incident=incident, key_only=True)] == ["e2"]
    events_bulk(incident=incident, by=people["bob"], event_ids=ids[3:], action="delete")
    assert TimelineEvent.objects.filter(incident=incident).count() == 3
    with pytest.raises(ValidationError):
        events_bulk(incident=incident, by=people["bob"], event_ids=ids, action="explode")


def test_merging_duplicates_hides_them_and_keeps_key_status(incident, people):
    keep = event_add(incident=incident, by=people["bob"], occurred_at=T0, text="page fired")
    dup = event_add(
        incident=incident, by=people["bob"], occurred_at=T0, text="page fired (from PagerDuty)", key_event=True
    )
    events_merge(incident=incident, by=people["bob"], keep_id=keep.pk, duplicate_ids=[dup.pk])
    dup.refresh_from_db()
    keep.refresh_from_db()
    assert dup.hidden and dup.merged_into == keep and keep.key_event


def test_a_milestone_set_from_an_event_feeds_the_incidents_durations(incident, people):
    event = event_add(
        incident=incident, by=people["bob"], occurred_at=T0 + timedelta(minutes=12), text="Paged the DB on-call"
    )
    updated = milestone_set_from_event(event=event, by=people["bob"], moment="acknowledged_at")
    assert updated.time_to_acknowledge == timedelta(minutes=12)
    event.refresh_from_db()
    assert "milestone:acknowledged" in event.tags and event.key_event
    early = event_add(incident=incident, by=people["bob"], occurred_at=T0 - timedelta(minutes=1), text="too early")
    with pytest.raises(ValidationError):
        milestone_set_from_event(event=early, by=people["bob"], moment="mitigated_at")


def test_importing_the_same_events_twice_adds_nothing(incident, people):
    first = timeline_import(
        incident=incident,
        by=people["bob"],
        source_type="csv",
        file_name="deploys.csv",
        events=[parsed(i) for i in range(5)],
    )
    second = timeline_import(
        incident=incident,
        by=people["bob"],
        source_type="csv",
        file_name="deploys.csv",
        events=[parsed(i) for i in range(7)],
    )
    assert (first.event_count, second.event_count, second.skipped_count) == (5, 2, 5)
    assert TimelineEvent.objects.filter(incident=incident).count() == 7


def test_an_import_that_fails_midway_saves_nothing(incident, people):
    def events():
        yield parsed(0)
        yield parsed(1)
        raise ImportFailed([ImportProblem(file="deploys.csv", line=4, field="time", message="not a time: 'soon'")])

    with pytest.raises(ImportFailed):
        timeline_import(
            incident=incident, by=people["bob"], source_type="csv", file_name="deploys.csv", events=events()
        )
    assert not TimelineEvent.objects.filter(incident=incident).exists()
    assert not incident.imports.exists()


def test_an_import_is_undone_as_a_whole(incident, people):
    event_add(incident=incident, by=people["bob"], occurred_at=T0, text="by hand")
    record = timeline_import(
        incident=incident, by=people["bob"], source_type="csv", file_name="d.csv", events=[parsed(i) for i in range(3)]
    )
    assert import_undo(record=record, by=people["alice"]) == 3
    assert list(TimelineEvent.objects.filter(incident=incident).values_list("text", flat=True)) == ["by hand"]
    with pytest.raises(ValidationError):
        import_undo(record=record, by=people["alice"])


def test_rows_show_the_date_when_the_timeline_crosses_a_day_and_mark_gaps(incident, people):
    times = [
        T0.replace(hour=22),
        T0.replace(hour=23, minute=50),
        T0.replace(hour=23, minute=55) + timedelta(minutes=10),
    ]
    for i, when in enumerate(times):
        event_add(incident=incident, by=people["bob"], occurred_at=when, text=f"e{i}")
    rows = timeline_rows(list(timeline_events(incident=incident)), ZoneInfo("UTC"))
    assert [r.new_day for r in rows] == [True, False, True]
    assert rows[1].gap_before == timedelta(minutes=110) and rows[2].gap_before is None
    tokyo = timeline_rows(list(timeline_events(incident=incident)), ZoneInfo("Asia/Tokyo"))
    assert [r.new_day for r in tokyo] == [True, False, False]  # 07:00 to 09:05 the next morning in Tokyo


def test_cursor_pages_walk_the_whole_timeline_in_order(incident, people):
    timeline_import(
        incident=incident,
        by=people["bob"],
        source_type="csv",
        file_name="d.csv",
        events=[parsed(i, minutes=i // 3) for i in range(25)],
    )  # repeated times
    seen, cursor = [], ""
    while True:
        rows, cursor, _ = timeline_window(timeline_events(incident=incident), after=cursor, limit=10)
        seen += [r.pk for r in rows]
        if not cursor:
            break
    ordered = list(timeline_events(incident=incident).values_list("pk", flat=True))
    assert seen == ordered and len(seen) == 25
    assert decode_cursor("garbage!") is None


@pytest.mark.parametrize("limit", [1, 4, 10, 25, 30])
def test_pages_walked_backwards_are_the_same_pages(incident, people, limit):
    timeline_import(
        incident=incident,
        by=people["bob"],
        source_type="csv",
        file_name="d.csv",
        events=[parsed(i, minutes=i // 3) for i in range(25)],
    )  # repeated times
    events = timeline_events(incident=incident)
    forward, cursor, previous = [], "", None
    while True:
        rows, cursor, previous = timeline_window(events, after=cursor, limit=limit)
        forward.append([r.pk for r in rows])
        if not cursor:
            break
    backward = [forward[-1]]
    while previous:
        rows, _, previous = timeline_window(events, before=previous, limit=limit)
        backward.insert(0, [r.pk for r in rows])
    assert [pk for page in backward for pk in page] == list(events.values_list("pk", flat=True))
    assert backward[1:] == forward[1:] and set(backward[0]) <= set(forward[0])  # the first page may come out shorter


def test_checks_find_missing_sources_zones_and_out_of_order_lines(incident, people):
    event_add(incident=incident, by=people["bob"], occurred_at=T0, text="No source here")
    event_add(
        incident=incident,
        by=people["bob"],
        occurred_at=T0,
        text="Paris",
        source_url="https://x.example.com",
        original_offset_minutes=120,
    )
    event_add(
        incident=incident,
        by=people["bob"],
        occurred_at=T0,
        text="New York",
        source_url="https://y.example.com",
        original_offset_minutes=-240,
    )
    timeline_import(
        incident=incident,
        by=people["bob"],
        source_type="csv",
        file_name="d.csv",
        events=[parsed(1, source_ref="app.csv:10", minutes=30), parsed(2, source_ref="app.csv:11", minutes=20)],
    )
    found = {(f.check, f.message.split(":")[0]) for f in timeline_checks(incident)}
    checks = {check for check, _ in found}
    assert {"no-source", "time-zone", "out-of-order"} <= checks
    assert any("several UTC offsets" in f.message for f in timeline_checks(incident))


def test_the_timeline_page_shows_events_checks_and_actions(incident, people, client_for):
    event_add(
        incident=incident,
        by=people["bob"],
        occurred_at=T0,
        text="Error rate above 5%",
        source_url="https://grafana.example.com/d/1",
    )
    page = client_for("bob").get(f"/incidents/{incident.pk}/timeline/").content.decode()
    assert "Error rate above 5%" in page and "Add an event" in page and "Monday 4 May 2026" in page
    reader = client_for("dana").get(f"/incidents/{incident.pk}/timeline/").content.decode()
    assert "Error rate above 5%" in reader and "Add an event" not in reader


def test_the_timeline_page_query_count_does_not_grow_with_events(
    incident, people, client_for, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("bob")
    timeline_import(
        incident=incident, by=people["bob"], source_type="csv", file_name="a.csv", events=[parsed(i) for i in range(5)]
    )
    with CaptureQueriesContext(connection) as few:
        client.get(f"/incidents/{incident.pk}/timeline/")
    timeline_import(
        incident=incident,
        by=people["bob"],
        source_type="csv",
        file_name="b.csv",
        events=[parsed(i, source_ref=f"b.csv:{i}") for i in range(150)],
    )
    with CaptureQueriesContext(connection) as many:
        client.get(f"/incidents/{incident.pk}/timeline/")
    assert len(many) == len(few)


def test_adding_an_event_through_the_page_reads_the_chosen_zone(incident, people, client_for):
    response = client_for("bob").post(
        f"/incidents/{incident.pk}/timeline/events",
        {
            "when": "2026-05-04T16:07:30",
            "zone": "Europe/Paris",
            "text": "Failover started",
            "actor": "Bob",
            "actor_kind": "person",
            "kind": "note",
            "source_url": "https://chat.example.com/p/2",
        },
    )
    assert response.status_code == 302
    event = TimelineEvent.objects.get(incident=incident)
    assert event.occurred_at == datetime(2026, 5, 4, 14, 7, 30, tzinfo=UTC)
    assert event.original_offset_minutes == 120 and "Europe/Paris" in event.original_time


def test_the_events_api_pages_by_cursor_and_filters(incident, people, client_for):
    timeline_import(
        incident=incident, by=people["bob"], source_type="csv", file_name="d.csv", events=[parsed(i) for i in range(12)]
    )
    client = client_for("dana")
    first = client.get(f"/api/v1/incidents/{incident.pk}/events?limit=5").json()
    assert len(first["results"]) == 5 and first["next_cursor"]
    second = client.get(f"/api/v1/incidents/{incident.pk}/events?limit=5&after={first['next_cursor']}").json()
    assert second["results"][0]["text"] == "event 5"
    window = client.get(
        f"/api/v1/incidents/{incident.pk}/events", {"since": "2026-05-04T14:03:00Z", "until": "2026-05-04T14:04:00Z"}
    ).json()
    assert [e["text"] for e in window["results"]] == ["event 3", "event 4"]
    assert client.get(f"/api/v1/incidents/{incident.pk}/events?kind=note").json()["results"] == []
    bad = client.get(f"/api/v1/incidents/{incident.pk}/events?after=nope")
    assert bad.status_code == 422 and bad.json()["field"] == "after"
    assert (
        client_for("dana")
        .post(
            f"/api/v1/incidents/{incident.pk}/events",
            {"time": "2026-05-04T14:00:00Z", "text": "x"},
            content_type="application/json",
        )
        .status_code
        == 403
    )
    naive = client_for("bob").post(
        f"/api/v1/incidents/{incident.pk}/events",
        {"time": "2026-05-04T14:00:00", "text": "x"},
        content_type="application/json",
    )
    assert naive.status_code == 422 and naive.json()["field"] == "time"


def test_a_private_incidents_timeline_does_not_leak(make_incident, people, client_for):
    private = make_incident(visibility="private")
    event_add(incident=private, by=people["bob"], occurred_at=T0, text="secret")
    client = client_for("charlie")
    assert client.get(f"/incidents/{private.pk}/timeline/").status_code == 404
    assert client.get(f"/api/v1/incidents/{private.pk}/events").status_code == 404
    assert client.get(f"/api/v1/incidents/{private.pk}/timeline/checks").status_code == 404


def test_a_retrospective_timeline_section_embeds_the_key_events(incident, people, make_retrospective, client_for):
    retro = make_retrospective(incident)
    event_add(
        incident=incident,
        by=people["bob"],
        occurred_at=T0,
        text="Alert | 5xx above 2%",
        actor="Grafana",
        source_url="https://grafana.example.com/a/1",
        key_event=True,
    )
    event_add(incident=incident, by=people["bob"], occurred_at=T0 + timedelta(minutes=1), text="noise", key_event=False)
    section = retro.sections.get(key="timeline")
    response = client_for("bob").post(
        f"/retrospectives/{retro.pk}/sections/timeline/fill-timeline", {"base_version": section.version}
    )
    assert response.status_code == 302
    section.refresh_from_db()
    assert (
        "| 2026-05-04 14:00:00 | Grafana: Alert \\| 5xx above 2% | [manual](https://grafana.example.com/a/1) |"
        in section.body
    )
    assert "noise" not in section.body
    assert "<table>" in section.html


def test_the_page_can_show_each_events_original_time(incident, people, client_for):
    paris = datetime(2026, 5, 4, 16, 5, tzinfo=ZoneInfo("Europe/Paris"))
    event_add(
        incident=incident,
        by=people["bob"],
        occurred_at=paris,
        text="Failover",
        original_time="16:05 CEST",
        original_offset_minutes=120,
        source_url="https://chat.example.com/p/9",
    )
    client = client_for("bob")
    assert (
        '<div class="muted small original-time">16:05 CEST</div>'
        not in client.get(f"/incidents/{incident.pk}/timeline/").content.decode()
    )
    page = client.get(f"/incidents/{incident.pk}/timeline/?original=1").content.decode()
    assert '<div class="muted small original-time">16:05 CEST</div>' in page
    assert ">14:05<" in page  # shown in bob's zone, UTC


def test_the_events_api_hides_marks_and_merges_in_bulk(incident, people, client_for):
    client = client_for("bob")
    a, b, c = (
        event_add(
            incident=incident,
            by=people["bob"],
            occurred_at=T0 + timedelta(minutes=m),
            text=f"event {m}",
            source_url="https://chat.example.com/p/1",
            original_offset_minutes=0,
        )
        for m in (1, 2, 3)
    )
    url = f"/api/v1/incidents/{incident.pk}/events"
    hidden = client.post(f"{url}/bulk", {"action": "hide", "event_ids": [c.pk]}, content_type="application/json")
    assert hidden.status_code == 200 and TimelineEvent.objects.get(pk=c.pk).hidden
    merged = client.post(f"{url}/merge", {"keep": a.pk, "duplicates": [b.pk]}, content_type="application/json")
    assert merged.status_code == 200 and merged.json()["id"] == a.pk
    assert TimelineEvent.objects.get(pk=b.pk).merged_into_id == a.pk
    assert [e["id"] for e in client.get(url).json()["results"]] == [a.pk]
    schema = client.get("/api/openapi.json").json()["paths"]
    assert (
        "/api/v1/incidents/{incident_id}/events/{event_id}" in schema
        and "/api/v1/incidents/{incident_id}/events/bulk" in schema
    )
