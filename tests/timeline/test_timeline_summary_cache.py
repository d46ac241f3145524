"""The timeline's checks and event count are cached until the timeline changes: every kind of change shows at once."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retrospector.importers.base import ParsedEvent
from retrospector.incidents.models import Incident
from retrospector.incidents.services import incident_update
from retrospector.timeline.models import TimelineEvent
from retrospector.timeline.selectors import timeline_summary
from retrospector.timeline.services import (
    event_add,
    event_delete,
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


def fresh(incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


def checks_of(incident) -> list[str]:
    return sorted(f.check for f in timeline_summary(fresh(incident)).findings)


def log_lines(*pairs) -> list[ParsedEvent]:
    """(line, minute) pairs of one CSV log."""
    return [
        ParsedEvent(
            occurred_at=T0 + timedelta(minutes=minute),
            original_time="",
            original_offset_minutes=0,
            actor="api",
            actor_kind="system",
            text=f"line {line}",
            kind="log",
            source_type="csv",
            source_ref=f"app.csv:{line}",
        )
        for line, minute in pairs
    ]


def test_every_change_to_the_timeline_shows_in_its_checks_and_count(incident, people):
    bob = people["bob"]
    assert checks_of(incident) == [] and timeline_summary(fresh(incident)).shown == 0

    note = event_add(
        incident=incident, by=bob, occurred_at=T0, text="Paged the database team", original_offset_minutes=0
    )
    assert checks_of(incident) == ["no-source"]
    assert timeline_summary(fresh(incident)).shown == 1

    note = event_update(event=note, by=bob, source_url="https://chat.example.com/p/1")
    assert checks_of(incident) == []

    record = timeline_import(
        incident=incident, by=bob, source_type="csv", file_name="app.csv", events=log_lines((10, 30), (11, 20))
    )
    assert checks_of(incident) == ["out-of-order"]
    assert timeline_summary(fresh(incident)).shown == 3

    import_undo(record=record, by=bob)
    assert checks_of(incident) == [] and timeline_summary(fresh(incident)).shown == 1

    timeline_import(
        incident=incident, by=bob, source_type="csv", file_name="app2.csv", events=log_lines((20, 30), (21, 20))
    )
    late = TimelineEvent.objects.get(incident=incident, source_ref="app.csv:21")
    events_bulk(incident=incident, by=bob, event_ids=[late.pk], action="hide")
    assert checks_of(incident) == [] and timeline_summary(fresh(incident)).shown == 2
    events_bulk(incident=incident, by=bob, event_ids=[late.pk], action="show")
    assert checks_of(incident) == ["out-of-order"]

    first = TimelineEvent.objects.get(incident=incident, source_ref="app.csv:20")
    events_merge(incident=incident, by=bob, keep_id=first.pk, duplicate_ids=[late.pk])
    assert checks_of(incident) == [] and timeline_summary(fresh(incident)).shown == 2

    # Milestones: set in order from two events, then one event's time is edited so they are no longer in order.
    fix = event_add(
        incident=incident,
        by=bob,
        occurred_at=T0 + timedelta(minutes=40),
        text="Fix deployed",
        source_url="https://deploys.example.com/9",
        original_offset_minutes=0,
    )
    milestone_set_from_event(event=TimelineEvent.objects.get(pk=first.pk), by=bob, moment="mitigated_at")
    milestone_set_from_event(event=TimelineEvent.objects.get(pk=fix.pk), by=bob, moment="resolved_at")
    assert checks_of(incident) == [] and timeline_summary(fresh(incident)).shown == 3
    event_update(event=fix, by=bob, occurred_at=T0 + timedelta(minutes=25))
    assert checks_of(incident) == ["milestone-order"]

    event_delete(event=TimelineEvent.objects.get(pk=fix.pk), by=bob)
    assert checks_of(incident) == [] and timeline_summary(fresh(incident)).shown == 2


def test_a_later_save_of_the_incident_keeps_the_timeline_version(incident, people):
    bob = people["bob"]
    read_before = fresh(incident)
    event_add(incident=incident, by=bob, occurred_at=T0, text="No source yet", original_offset_minutes=0)
    assert checks_of(incident) == ["no-source"]
    read_before.title = "Renamed with an instance read before the event was added"
    read_before.save()
    assert fresh(incident).timeline_version > read_before.timeline_version
    assert checks_of(incident) == ["no-source"]
    incident_update(incident=read_before, by=bob, title="Renamed again")
    assert checks_of(incident) == ["no-source"]


def test_an_unchanged_timeline_is_not_read_again(incident, people, client_for):
    timeline_import(
        incident=incident,
        by=people["bob"],
        source_type="csv",
        file_name="app.csv",
        events=log_lines(*((line, line) for line in range(2, 40))),
    )
    client = client_for("bob")
    url = f"/incidents/{incident.pk}/timeline/"
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    with CaptureQueriesContext(connection) as second:
        assert "line 39" in client.get(url).content.decode()
    assert len(second) < len(first)
    event_add(incident=incident, by=people["bob"], occurred_at=T0, text="Typed by hand", original_offset_minutes=0)
    page = client.get(url).content.decode()
    assert "has no source" in page and "39 events" in page
