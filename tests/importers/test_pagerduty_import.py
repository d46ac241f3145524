"""PagerDuty importer: real webhooks (tests/fixtures/pagerduty), REST log entries, bad input, fuzzing. No Django."""

import copy
from datetime import UTC, datetime

import pytest
from webhook_fuzz_support import (
    check_event,
    check_sniff,
    cut_json_problem,
    events_of,
    fuzz_test,
    load,
    one_event,
    problems_of,
    sample_paths,
    samples_of,
    write_json,
    write_lines,
    wrong_format_problem,
)

from retrospector.importers import alertmanager, github, opsgenie, pagerduty

pytestmark = pytest.mark.no_database

SRC = "pagerduty"


def one(relative):
    return one_event(pagerduty, SRC, relative)


def test_v3_triggered_acknowledged_resolved():
    triggered = one("zulip-webhook-fixtures/triggered_v3.json")
    assert triggered.kind == "page"
    assert triggered.text == "Triggered: #9 Test Incident 3"
    assert triggered.occurred_at == datetime(2021, 6, 4, 13, 35, 29, 781000, tzinfo=UTC)
    assert (triggered.original_time, triggered.original_offset_minutes) == ("2021-06-04T13:35:29.781Z", 0)
    assert (triggered.actor, triggered.actor_kind) == ("PIG 208", "person")
    assert triggered.source_ref == "01BZYIL05THJDFF2Y08X9SVMTU"
    assert triggered.channel == "pig208"
    assert triggered.source_url == "https://pig208.pagerduty.com/incidents/PFQZPSY"

    acknowledged = one("zulip-webhook-fixtures/acknowledged_v3.json")
    assert (acknowledged.kind, acknowledged.text) == ("page", "Acknowledged by PIG 208: #10 Test Incident")
    resolved = one("zulip-webhook-fixtures/resolved_v3.json")
    assert (resolved.kind, resolved.text) == ("page", "Resolved by PIG 208: #6 Test Incident")
    assert resolved.source_ref == "01BZYH1JJY09P9LEIST8HG2PMN"


def test_v3_escalated_and_priority_updated():
    escalated = one("zulip-webhook-fixtures/escalate_v3.json")
    assert escalated.text == "Escalated to Harsh Santwani: #5 Critical: Checkout API High Latency"
    assert escalated.channel == "Default Service"
    priority = one("go-pagerduty/webhookv3_test.defaultBody.json")
    assert (priority.kind, priority.text) == ("page", "Priority set to P1: #2 A little bump in the road")
    assert (priority.actor, priority.channel) == ("Tenex Engineer", "API Service")
    assert priority.original_time == "2021-04-26T17:36:27.458Z"


def test_v3_annotation_is_a_note_with_its_content():
    note = one("zulip-webhook-fixtures/annotated_v3.json")
    assert note.kind == "note"
    assert note.text == "Running KILL on long-running queries from the reporting-service."
    assert (note.actor, note.actor_kind) == ("Harsh Santwani", "person")
    assert note.source_url == "https://harsh0303.pagerduty.com/incidents/Q3B15VLMF3ASBD"
    assert note.channel == ""  # a note names no service...


def test_a_note_takes_the_service_of_its_incident_from_the_same_file(tmp_path):
    lines = [
        load(SRC, "zulip-webhook-fixtures/escalate_v3.json"),
        load(SRC, "zulip-webhook-fixtures/annotated_v3.json"),
    ]
    events = events_of(pagerduty, write_lines(tmp_path, lines))
    assert [(e.kind, e.channel) for e in events] == [("page", "Default Service"), ("note", "Default Service")]
    assert len(events_of(pagerduty, write_lines(tmp_path, lines), channels=frozenset({"Default Service"}))) == 2


def test_v2_webhook_log_entries_with_z_and_plus_zero_offsets():
    trigger = one("zulip-webhook-fixtures/trigger_v2.json")
    assert trigger.text == "Triggered through the website — [#33] My new incident"
    assert (trigger.original_time, trigger.original_offset_minutes) == ("2017-09-26T15:14:36Z", 0)
    assert trigger.source_ref == "R2XGXEI3W0FHMSDXHDIBQGBQ5E"
    assert trigger.channel == "Production XDB Cluster"
    assert trigger.source_url.endswith("/log_entries/R2XGXEI3W0FHMSDXHDIBQGBQ5E")
    resolve = one("zulip-webhook-fixtures/resolve_v2.json")
    assert (resolve.kind, resolve.text) == ("page", "Resolved by Laura Haley — [#33] My new incident")
    assert (resolve.original_time, resolve.original_offset_minutes) == ("2017-09-26T15:18:09+00:00", 0)
    assert resolve.occurred_at == datetime(2017, 9, 26, 15, 18, 9, tzinfo=UTC)
    assert resolve.source_url == "https://webdemo.pagerduty.com/incidents/PRORDTY"  # the entry's html_url is null


def rest_response():
    """A REST `log_entries` response built from the real v2 entries: newest first, shared timestamps."""
    trigger = load(SRC, "zulip-webhook-fixtures/trigger_v2.json")["messages"][0]["log_entries"][0]
    resolve = load(SRC, "zulip-webhook-fixtures/resolve_v2.json")["messages"][0]["log_entries"][0]
    notify = dict(
        copy.deepcopy(trigger),
        id="RNOTIFY1",
        type="notify_log_entry",
        summary="Notified Laura Haley by email",
        html_url=None,
    )
    notify["agent"] = {"id": "PN49J75", "type": "service_reference", "summary": "Production XDB Cluster"}
    ack = dict(
        copy.deepcopy(resolve),
        id="RACK1",
        type="acknowledge_log_entry",
        summary="Acknowledged by Laura Haley",
        created_at="2017-09-26T15:16:05+00:00",
    )
    note = {
        "id": "RNOTE1",
        "type": "annotate_log_entry",
        "summary": "Note added",
        "created_at": "2017-09-26T15:16:05.250Z",
        "agent": resolve["agent"],
        "channel": {"type": "note", "content": "Failing over the XDB primary"},
        "incident": resolve["incident"],
    }
    return {"log_entries": [resolve, note, ack, notify, trigger], "limit": 25, "offset": 0, "more": False}


def test_rest_log_entries_newest_first_come_out_oldest_first_keeping_same_second_order(tmp_path):
    events = events_of(pagerduty, write_json(tmp_path, rest_response()))
    assert [e.source_ref for e in events] == [
        "R2XGXEI3W0FHMSDXHDIBQGBQ5E",
        "RNOTIFY1",
        "RACK1",
        "RNOTE1",
        "RNAJ8DLJGWHBXXYX1CC5G50C9O",
    ]
    notify, ack, note = events[1], events[2], events[3]
    assert (notify.actor, notify.actor_kind) == ("Production XDB Cluster", "system")
    assert notify.text == "Notified Laura Haley by email — [#33] My new incident"
    assert (ack.kind, ack.text) == ("page", "Acknowledged by Laura Haley — [#33] My new incident")
    assert (note.kind, note.text, note.channel) == ("note", "Failing over the XDB primary", "Production XDB Cluster")
    assert note.occurred_at == datetime(2017, 9, 26, 15, 16, 5, 250000, tzinfo=UTC)
    for event in events:
        check_event(event, SRC)
    # A bare array of the same entries works as well.
    bare = events_of(pagerduty, write_json(tmp_path, rest_response()["log_entries"], "bare.json"))
    assert [e.source_ref for e in bare] == [e.source_ref for e in events]


def test_refs_are_identical_when_parsing_twice(tmp_path):
    path = write_json(tmp_path, rest_response())
    assert [e.source_ref for e in events_of(pagerduty, path)] == [e.source_ref for e in events_of(pagerduty, path)]
    for path in sample_paths(SRC):
        assert [e.as_json() for e in events_of(pagerduty, path)] == [e.as_json() for e in events_of(pagerduty, path)]


def test_filters(tmp_path):
    path = write_json(tmp_path, rest_response())
    assert len(events_of(pagerduty, path, channels=frozenset({"Production XDB Cluster"}))) == 5
    assert events_of(pagerduty, path, channels=frozenset({"pig208"})) == []
    since, until = datetime(2017, 9, 26, 15, 15, tzinfo=UTC), datetime(2017, 9, 26, 15, 17, tzinfo=UTC)
    assert [e.source_ref for e in events_of(pagerduty, path, since=since, until=until)] == ["RACK1", "RNOTE1"]


def test_a_redelivered_webhook_is_dropped_but_a_conflicting_duplicate_id_is_a_problem(tmp_path):
    event = load(SRC, "zulip-webhook-fixtures/triggered_v3.json")
    assert len(events_of(pagerduty, write_lines(tmp_path, [event, event]))) == 1
    changed = copy.deepcopy(event)
    changed["event"]["data"]["title"] = "Something else"
    (problem,) = problems_of(pagerduty, write_lines(tmp_path, [event, changed]))
    assert problem.line == 2 and problem.pointer == "/event" and problem.field == "id"
    assert "duplicate id '01BZYIL05THJDFF2Y08X9SVMTU'" in problem.message and "line 1" in problem.message


def test_sniff():
    check_sniff(pagerduty, SRC, alertmanager, opsgenie, github)
    assert pagerduty.sniff(rest_response()) and pagerduty.sniff(rest_response()["log_entries"])
    assert not pagerduty.sniff({"event": "x"}) and not pagerduty.sniff(3)


# --- bad input -------------------------------------------------------------------------------


def test_invalid_json_names_the_line(tmp_path):
    problem = cut_json_problem(pagerduty, tmp_path, SRC, "zulip-webhook-fixtures/acknowledged_v3.json", 400)
    assert problem.line > 1


def test_wrong_format_for_the_source():
    problem = wrong_format_problem(
        pagerduty,
        "alertmanager",
        "zulip-webhook-fixtures/alert.json",
        "not a PagerDuty log-entry list or webhook payload",
        "Alertmanager",
    )
    assert problem.pointer is None


def test_missing_invalid_and_impossible_times(tmp_path):
    response = rest_response()
    del response["log_entries"][0]["created_at"]
    response["log_entries"][1]["created_at"] = "20202-01-16T15:16:05Z"
    response["log_entries"][2]["created_at"] = 1506438965
    problems = problems_of(pagerduty, write_json(tmp_path, response))
    assert [(p.pointer, p.field) for p in problems] == [
        ("/log_entries/0/created_at", "created_at"),
        ("/log_entries/1/created_at", "created_at"),
        ("/log_entries/2/created_at", "created_at"),
    ]
    assert "missing" in problems[0].message
    assert "'20202-01-16T15:16:05Z' is not a valid time" in problems[1].message
    assert "not a number" in problems[2].message
    v3 = load(SRC, "zulip-webhook-fixtures/resolved_v3.json")
    v3["event"]["occurred_at"] = "2021-06-04 13:16:53"
    (problem,) = problems_of(pagerduty, write_json(tmp_path, v3))
    assert (problem.pointer, problem.field) == ("/event/occurred_at", "occurred_at")


def test_missing_ids_and_types_are_problems(tmp_path):
    response = rest_response()
    del response["log_entries"][0]["id"]
    response["log_entries"][1]["type"] = None
    v3 = load(SRC, "zulip-webhook-fixtures/resolved_v3.json")
    del v3["event"]["id"]
    problems = problems_of(pagerduty, write_json(tmp_path, [response, v3]))
    assert [(p.pointer, p.field) for p in problems] == [
        ("/0/log_entries/0/id", "id"),
        ("/0/log_entries/1/type", "type"),
        ("/1/event/id", "id"),
    ]


def test_agentless_entries_are_by_pagerduty(tmp_path):
    event = load(SRC, "zulip-webhook-fixtures/triggered_v3.json")
    event["event"]["agent"] = None
    (parsed,) = events_of(pagerduty, write_json(tmp_path, event))
    assert (parsed.actor, parsed.actor_kind) == ("PagerDuty", "system")


test_fuzzed_real_payloads_only_ever_raise_import_failed = fuzz_test(pagerduty, SRC, samples_of(SRC) + [rest_response()])
