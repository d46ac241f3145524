"""Opsgenie webhook importer: real payloads (tests/fixtures/opsgenie), epoch units, bad input, fuzzing. No Django."""

import copy
from datetime import UTC, datetime

import pytest
from webhook_fuzz_support import (
    check_sniff,
    cut_json_problem,
    events_of,
    fuzz_test,
    load,
    one_event,
    problems_of,
    sample,
    write_json,
    write_lines,
    wrong_format_problem,
)

from retrospector.importers import opsgenie, pagerduty
from retrospector.importers.opsgenie import epoch_guess

pytestmark = pytest.mark.no_database

SRC = "opsgenie"
ALERT = "052652ac-5d1c-464a-812a-7dd18bbfba8c"


def one(relative):
    return one_event(opsgenie, SRC, relative)


def test_create_is_alert_firing_at_created_at_milliseconds():
    event = one("zulip-webhook-fixtures/create.json")
    assert event.kind == "alert_firing"
    assert event.occurred_at == datetime(2017, 8, 14, 11, 25, 56, 288000, tzinfo=UTC)
    assert (event.original_time, event.original_offset_minutes) == ("1502709956288", None)
    assert (event.actor, event.actor_kind) == ("test@example.com", "person")
    assert event.channel == "Webhook"
    assert event.text == "Alert created: #2 another alert\nPriority: P3"
    assert event.tags == ("vip",)
    assert event.source_ref == "ec03dad6-62c8-4c94-b38b-d88f398e900f:Create:1502709956288"


def test_acknowledge_note_and_close_use_updated_at_nanoseconds():
    ack = one("zulip-webhook-fixtures/acknowledge.json")
    assert (ack.kind, ack.text) == ("page", "Acknowledged by fili@ifountain.com: #23 test alert")
    assert ack.occurred_at == datetime(2015, 1, 5, 10, 3, 44, 764002, tzinfo=UTC)
    assert ack.original_time == "1420452224764002246"
    assert ack.source_ref == f"{ALERT}:Acknowledge:1420452224764002246"
    assert ack.channel == "Integration1" and ack.tags == ("tag1", "tag2")
    note = one("zulip-webhook-fixtures/addnote.json")
    assert note.kind == "note" and note.text.startswith("note to test alert")
    assert note.occurred_at == datetime(2015, 1, 5, 10, 4, 35, 2000, tzinfo=UTC)
    close = one("zulip-webhook-fixtures/close.json")
    assert (close.kind, close.text) == ("alert_resolved", "Closed by fili@ifountain.com: #23 test alert")
    assert close.tags == ()


def test_the_real_escalate_payload_has_no_time_and_is_refused():
    (problem,) = problems_of(opsgenie, sample(SRC, "zulip-webhook-fixtures/escalate.json"))
    assert "'Escalate' payload carries no time" in problem.message
    assert (problem.pointer, problem.field) == ("/alert", "updatedAt")


def test_escalate_with_a_time_is_a_page_by_opsgenie(tmp_path):
    payload = load(SRC, "zulip-webhook-fixtures/escalate.json")
    payload["alert"]["updatedAt"] = 1420452300000000000
    (event,) = events_of(opsgenie, write_json(tmp_path, payload))
    assert (event.kind, event.actor, event.actor_kind) == ("page", "Opsgenie", "system")
    assert event.text == "Escalated to test@ifountain.com (test_esc): 7ba97e3a-d328-4b5e-8f9a-39e945a3869a"
    assert event.channel == "Webhook_Test"


def test_a_whole_alert_lifecycle_as_json_lines_comes_out_in_time_order(tmp_path):
    names = ["close", "addnote", "acknowledge", "create"]
    path = write_lines(tmp_path, [load(SRC, f"zulip-webhook-fixtures/{n}.json") for n in names])
    events = events_of(opsgenie, path)
    assert [e.kind for e in events] == [
        "page",
        "note",
        "alert_resolved",
        "alert_firing",
    ]  # 2015 alert, then the 2017 one
    assert [e.source_ref for e in events] == [e.source_ref for e in events_of(opsgenie, path)]
    assert [e.kind for e in events_of(opsgenie, path, channels=frozenset({"Integration1"}))] == [
        "page",
        "note",
        "alert_resolved",
    ]
    assert len(events_of(opsgenie, path, until=datetime(2016, 1, 1, tzinfo=UTC))) == 3


def test_other_actions_and_system_users(tmp_path):
    payload = load(SRC, "zulip-webhook-fixtures/acknowledge.json")
    payload["action"] = "AddTags"
    payload["alert"]["username"] = "System"
    (event,) = events_of(opsgenie, write_json(tmp_path, payload))
    assert (event.kind, event.text, event.actor_kind) == ("note", "Add tags by System: #23 test alert", "system")
    payload["action"] = "Assign"
    payload["alert"].update(username="fili@ifountain.com", owner="priya@example.com")
    (event,) = events_of(opsgenie, write_json(tmp_path, payload))
    assert (event.kind, event.text) == ("page", "Assigned to priya@example.com by fili@ifountain.com: #23 test alert")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1420452191, datetime(2015, 1, 5, 10, 3, 11, tzinfo=UTC)),
        (1420452191.5, datetime(2015, 1, 5, 10, 3, 11, 500000, tzinfo=UTC)),
        (1420452191104, datetime(2015, 1, 5, 10, 3, 11, 104000, tzinfo=UTC)),
        (1420452191104123, datetime(2015, 1, 5, 10, 3, 11, 104123, tzinfo=UTC)),
        (1420452224764002246, datetime(2015, 1, 5, 10, 3, 44, 764002, tzinfo=UTC)),
        ("1420452191104", datetime(2015, 1, 5, 10, 3, 11, 104000, tzinfo=UTC)),
    ],
)
def test_epoch_units_are_told_by_magnitude(value, expected):
    assert epoch_guess(value) == expected


@pytest.mark.parametrize("value", [0, -5, 12, 10**30, 1e308, float("nan"), True, "soon", "", [1], None, 7258118400000])
def test_implausible_epochs_are_refused(value):
    with pytest.raises(ValueError):
        epoch_guess(value)


def test_sniff():
    check_sniff(opsgenie, SRC, pagerduty)


# --- bad input -------------------------------------------------------------------------------


def test_invalid_json(tmp_path):
    cut_json_problem(opsgenie, tmp_path, SRC, "zulip-webhook-fixtures/create.json", 200)


def test_wrong_format():
    says = "this is not an Opsgenie webhook payload (no 'action' and 'alert' object)"
    wrong_format_problem(opsgenie, "pagerduty", "zulip-webhook-fixtures/triggered_v3.json", says, "PagerDuty")


def test_invalid_and_impossible_times(tmp_path):
    bad = [load(SRC, f"zulip-webhook-fixtures/{n}.json") for n in ("create", "acknowledge", "close")]
    bad[0]["alert"]["createdAt"] = "2017-08-14"
    bad[1]["alert"]["updatedAt"] = 20202011604000
    del bad[2]["alert"]["updatedAt"]
    problems = problems_of(opsgenie, write_json(tmp_path, bad))
    assert [(p.pointer, p.field) for p in problems] == [
        ("/0/alert/createdAt", "createdAt"),
        ("/1/alert/updatedAt", "updatedAt"),
        ("/2/alert", "updatedAt"),
    ]
    assert "not an epoch number" in problems[0].message
    assert "not a plausible time" in problems[1].message
    assert "carries no time" in problems[2].message


def test_missing_alert_id_and_action(tmp_path):
    payload = load(SRC, "zulip-webhook-fixtures/close.json")
    del payload["alert"]["alertId"]
    other = load(SRC, "zulip-webhook-fixtures/close.json")
    other["action"] = 5
    problems = problems_of(opsgenie, write_lines(tmp_path, [payload, other]))
    assert [(p.line, p.pointer, p.field) for p in problems] == [
        (1, "/alert/alertId", "alertId"),
        (2, "/action", "action"),
    ]


def test_duplicates(tmp_path):
    payload = load(SRC, "zulip-webhook-fixtures/close.json")
    assert len(events_of(opsgenie, write_lines(tmp_path, [payload, payload]))) == 1
    changed = copy.deepcopy(payload)
    changed["alert"]["message"] = "another text"
    (problem,) = problems_of(opsgenie, write_lines(tmp_path, [payload, changed]))
    assert problem.line == 2 and "duplicate id" in problem.message


test_fuzzed_real_payloads_only_ever_raise_import_failed = fuzz_test(opsgenie, SRC)
