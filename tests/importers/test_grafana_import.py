"""Grafana alerting webhook importer: real payloads (tests/fixtures/grafana), bad input, fuzzing. No Django."""

from datetime import UTC, datetime

import pytest
from webhook_fuzz_support import (
    check_event,
    check_sniff,
    cut_json_problem,
    events_of,
    fuzz_test,
    load,
    problems_of,
    sample,
    write_json,
    write_lines,
    wrong_format_problem,
)

from retrospector.importers import alertmanager, grafana

pytestmark = pytest.mark.no_database

SRC = "grafana"


def test_grafana_9_firing_alert():
    (event,) = events_of(grafana, sample(SRC, "zulip-webhook-fixtures/alert-9.json"))
    check_event(event, SRC)
    assert event.kind == "alert_firing"
    assert event.occurred_at == datetime(2022, 6, 17, 0, 41, 0, 782137, tzinfo=UTC)
    assert (event.original_time, event.original_offset_minutes) == ("2022-06-17T00:41:00.782137894Z", 0)
    assert (event.actor, event.actor_kind, event.channel) == ("Grafana", "system", "Webhook test")
    assert event.source_ref == "d8a21484c9c25a60:2022-06-17T00:41:00.782137894Z:firing"
    assert (
        event.source_url == "https://grafana.example.com/alerting/grafana/zTjxv_C7k/view"
    )  # panel/dashboard URLs are empty
    assert event.text.splitlines() == [
        "Firing: Test alert — This is a summary field, failure on some_host",
        "This is a description",
        "Value: [ var='B0' metric='Value' labels={__name__=some_metric, instance=some-value, job=jobname} value=24 ]",
        "Labels: test=true",
        "Runbook: https://runbook.example.com/",
    ]


def test_grafana_9_resolved_alert_gives_both_events_and_the_firing_ref_matches():
    firing = events_of(grafana, sample(SRC, "zulip-webhook-fixtures/alert-9.json"))
    events = events_of(grafana, sample(SRC, "zulip-webhook-fixtures/alert-9-resolved.json"))
    assert [e.kind for e in events] == ["alert_firing", "alert_resolved"]
    assert events[0].source_ref == firing[0].source_ref
    assert events[1].occurred_at == datetime(2022, 6, 17, 0, 51, 24, 67337, tzinfo=UTC)
    assert events[1].original_time == "2022-06-17T00:51:24.067337833Z"
    assert events[1].text.startswith("Resolved: Test alert")


def test_grafana_8_status_wins_over_a_disagreeing_state():
    events = events_of(
        grafana, sample(SRC, "zulip-webhook-fixtures/alert_v8.json")
    )  # state "alerting", status "resolved"
    assert [e.kind for e in events] == ["alert_firing", "alert_resolved"]
    assert events[1].occurred_at == datetime(2022, 8, 31, 10, 30, 0, 522884, tzinfo=UTC)
    assert events[0].channel == ""  # empty receiver, no job/service label
    assert "Value: [ metric='foo' labels={instance=bar} value=10 ]" in events[0].text


def test_panel_url_is_preferred_and_untrusted_urls_are_dropped(tmp_path):
    payload = load(SRC, "zulip-webhook-fixtures/alert-9.json")
    payload["alerts"][0]["panelURL"] = "https://grafana.example.com/d/abc?viewPanel=2"
    (event,) = events_of(grafana, write_json(tmp_path, payload))
    assert event.source_url == "https://grafana.example.com/d/abc?viewPanel=2"
    payload["alerts"][0].update(panelURL="javascript:alert(1)", generatorURL="data:text/html,x")
    (event,) = events_of(grafana, write_json(tmp_path, payload))
    assert event.source_url == ""


def test_legacy_payloads_are_refused_because_they_carry_no_time():
    (problem,) = problems_of(grafana, sample(SRC, "zulip-webhook-fixtures/alert.json"))
    assert "legacy Grafana alerts" in problem.message and "carry no time" in problem.message
    assert problem.field == "ruleName"


def test_json_lines_merge_repeated_notifications_and_refs_are_stable(tmp_path):
    lines = [
        load(SRC, "zulip-webhook-fixtures/alert-9.json"),
        load(SRC, "zulip-webhook-fixtures/alert-9-resolved.json"),
    ]
    path = write_lines(tmp_path, lines)
    events = events_of(grafana, path)
    assert [e.kind for e in events] == ["alert_firing", "alert_resolved"]
    assert events[0].text.endswith("https://runbook.example.com/")  # the first notification wins
    assert [e.source_ref for e in events] == [e.source_ref for e in events_of(grafana, path)]


def test_filters():
    path = sample(SRC, "zulip-webhook-fixtures/alert-9-resolved.json")
    assert len(events_of(grafana, path, channels=frozenset({"Webhook test"}))) == 2
    assert events_of(grafana, path, channels=frozenset({"ops"})) == []
    assert [e.kind for e in events_of(grafana, path, since=datetime(2022, 6, 17, 0, 45, tzinfo=UTC))] == [
        "alert_resolved"
    ]


def test_sniff_tells_grafana_from_alertmanager():
    check_sniff(grafana, SRC, alertmanager)


# --- bad input -------------------------------------------------------------------------------


def test_invalid_json(tmp_path):
    problem = cut_json_problem(grafana, tmp_path, SRC, "zulip-webhook-fixtures/alert-9.json", 500)
    assert problem.line > 1


def test_wrong_format():
    says = "this is not a Grafana alerting webhook payload (no 'alerts' list)"
    wrong_format_problem(grafana, "github", "octokit-webhooks/deployment/payload.json", says, "GitHub")


def test_missing_and_impossible_times(tmp_path):
    payload = load(SRC, "zulip-webhook-fixtures/alert-9-resolved.json")
    payload["alerts"].append(dict(payload["alerts"][0], fingerprint="other", startsAt="20202-06-17T00:41:00Z"))
    payload["alerts"][0]["endsAt"] = "2022-06-31T00:51:24Z"
    problems = problems_of(grafana, write_json(tmp_path, payload))
    assert [(p.pointer, p.field) for p in problems] == [
        ("/alerts/0/endsAt", "endsAt"),
        ("/alerts/1/startsAt", "startsAt"),
    ]


def test_labels_must_be_an_object(tmp_path):
    payload = load(SRC, "zulip-webhook-fixtures/alert-9.json")
    payload["alerts"][0]["labels"] = ["alertname", "Test alert"]
    (problem,) = problems_of(grafana, write_json(tmp_path, payload))
    assert (problem.pointer, problem.field) == ("/alerts/0/labels", "labels")


test_fuzzed_real_payloads_only_ever_raise_import_failed = fuzz_test(grafana, SRC)
