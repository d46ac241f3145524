"""Alertmanager webhook importer: real payloads (tests/fixtures/alertmanager), bad input, fuzzing. No Django."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

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
    sample_paths,
    write_json,
    write_lines,
    wrong_format_problem,
)

from retrospector.importers import alertmanager, grafana, opsgenie
from retrospector.importers.base import MAX_TEXT

pytestmark = pytest.mark.no_database

SRC = "alertmanager"


def test_zulip_alert_gives_one_firing_event_per_alert_in_utc_with_original_text():
    events = events_of(alertmanager, sample(SRC, "zulip-webhook-fixtures/alert.json"))
    assert [e.kind for e in events] == ["alert_firing", "alert_firing"]
    first = events[0]
    assert first.occurred_at == datetime(2020, 2, 6, 0, 17, 58, 432911, tzinfo=UTC)
    assert first.original_time == "2020-02-06T00:17:58.432911368Z"
    assert first.original_offset_minutes == 0
    assert (first.actor, first.actor_kind, first.channel) == ("Alertmanager", "system", "ops-zulip")
    assert first.source_ref == "a1bc48475b20e73d:2020-02-06T00:17:58.432911368Z:firing"
    assert first.source_url.startswith("http://cobalt:9090/graph?")
    assert first.text.splitlines() == [
        "Firing: High CPU Temperature — High CPU core temperature",
        "CPU core temperature is 34.75C",
        "Labels: host=andromeda, severity=critical",
    ]
    assert {e.source_ref.split(":")[0] for e in events} == {"a1bc48475b20e73d", "c2ea85182f28cbd9"}
    for event in events:
        check_event(event, SRC)


def test_firing_alert_with_future_ends_at_is_still_only_firing_and_keeps_its_offset():
    (event,) = events_of(alertmanager, sample(SRC, "alertmanager-bot/firing.json"))
    assert event.kind == "alert_firing"
    assert event.occurred_at == datetime(2018, 11, 4, 21, 43, 58, 283995, tzinfo=UTC)
    assert event.original_time == "2018-11-04T22:43:58.283995108+01:00"
    assert event.original_offset_minutes == 60
    assert event.channel == "telegram"
    assert event.text.startswith("Firing: Fire — Something is on fire")


def test_resolved_alert_gives_firing_and_resolved_and_refs_match_the_firing_payload():
    firing = events_of(alertmanager, sample(SRC, "alertmanager-bot/firing.json"))
    events = events_of(alertmanager, sample(SRC, "alertmanager-bot/resolved.json"))
    assert [e.kind for e in events] == ["alert_firing", "alert_resolved"]
    resolved = events[1]
    assert resolved.occurred_at == datetime(2018, 11, 4, 21, 48, 13, 283995, tzinfo=UTC)
    assert resolved.original_time == "2018-11-04T22:48:13.283995108+01:00"
    assert resolved.original_offset_minutes == 60
    assert resolved.text.startswith("Resolved: Fire")
    # No fingerprint in these payloads: a stable hash of the labels stands in (same in every run).
    assert events[0].source_ref == firing[0].source_ref == "7014c92e6425df8f:2018-11-04T22:43:58.283995108+01:00:firing"
    assert resolved.source_ref == "7014c92e6425df8f:2018-11-04T22:43:58.283995108+01:00:resolved"


def test_alert_without_its_own_status_takes_the_group_status_and_negative_offsets_work():
    (event,) = events_of(alertmanager, sample(SRC, "prometheus-msteams/prom_post_request.json"))
    assert event.kind == "alert_firing"
    assert event.original_offset_minutes == -300
    assert event.occurred_at == datetime(2018, 3, 7, 11, 33, 21, 873077, tzinfo=UTC)
    assert event.channel == "teams_proxy"
    assert event.source_url == ""
    assert "10.80.40.11 reported high memory usage" in event.text
    assert "job=docker_nodes" in event.text


def test_group_status_resolved_applies_to_alerts_without_status(tmp_path):
    payload = load(SRC, "prometheus-msteams/prom_post_request.json")
    payload["status"] = "resolved"
    payload["alerts"][0]["endsAt"] = "2018-03-07T06:40:00-05:00"
    events = events_of(alertmanager, write_json(tmp_path, payload))
    assert [e.kind for e in events] == ["alert_firing", "alert_resolved"]
    assert events[1].occurred_at == datetime(2018, 3, 7, 11, 40, tzinfo=UTC)


def test_per_alert_status_wins_over_the_group_status(tmp_path):
    payload = load(SRC, "alertmanager-bot/resolved.json")
    payload["alerts"][0]["status"] = "firing"  # the group says resolved; the alert is the truth
    events = events_of(alertmanager, write_json(tmp_path, payload))
    assert [e.kind for e in events] == ["alert_firing"]


def test_resolved_alert_with_unset_ends_at_gives_only_its_firing_event():
    events = events_of(alertmanager, sample(SRC, "zulip-webhook-fixtures/single_alert.json"))
    assert [e.kind for e in events] == ["alert_firing"]


def test_json_lines_and_arrays_of_payloads_merge_repeated_notifications(tmp_path):
    firing, resolved = load(SRC, "alertmanager-bot/firing.json"), load(SRC, "alertmanager-bot/resolved.json")
    for path in (
        write_lines(tmp_path, [firing, firing, resolved]),
        write_json(tmp_path, [firing, resolved], "array.json"),
    ):
        events = events_of(alertmanager, path)
        assert [e.kind for e in events] == ["alert_firing", "alert_resolved"]


def test_parsing_twice_gives_identical_refs():
    for path in sample_paths(SRC):
        first = [e.source_ref for e in events_of(alertmanager, path)]
        second = [e.source_ref for e in events_of(alertmanager, path)]
        assert first == second and len(set(first)) == len(first)


def test_filters_channel_since_and_until():
    path = sample(SRC, "alertmanager-bot/resolved.json")
    assert len(events_of(alertmanager, path, channels=frozenset({"telegram"}))) == 2
    assert events_of(alertmanager, path, channels=frozenset({"ops-zulip"})) == []
    since = datetime(2018, 11, 4, 21, 45, tzinfo=UTC)
    assert [e.kind for e in events_of(alertmanager, path, since=since)] == ["alert_resolved"]
    assert [e.kind for e in events_of(alertmanager, path, until=since)] == ["alert_firing"]


def test_channel_falls_back_to_the_job_label(tmp_path):
    payload = load(SRC, "prometheus-msteams/prom_post_request.json")
    del payload["receiver"]
    (event,) = events_of(alertmanager, write_json(tmp_path, payload))
    assert event.channel == "docker_nodes"


def test_sniff_tells_alertmanager_from_the_other_sources():
    check_sniff(alertmanager, SRC, grafana, opsgenie)
    assert not alertmanager.sniff(None) and not alertmanager.sniff([]) and not alertmanager.sniff("alerts")


# --- bad input -------------------------------------------------------------------------------


def test_invalid_json_is_reported_with_its_line(tmp_path):
    cut_json_problem(alertmanager, tmp_path, SRC, "zulip-webhook-fixtures/alert.json", 300)


def test_a_bad_line_in_json_lines_is_reported_with_its_number(tmp_path):
    path = tmp_path / "lines.jsonl"
    good = sample(SRC, "alertmanager-bot/firing.json").read_text()
    path.write_text(good + "\n{not json\n" + good + "\n")
    (problem,) = problems_of(alertmanager, path)
    assert problem.line == 2 and "JSON lines" in problem.message


def test_another_sources_payload_is_the_wrong_format_and_says_what_it_looks_like():
    says = "this is not an Alertmanager webhook payload (no 'alerts' list)"
    wrong_format_problem(alertmanager, "opsgenie", "zulip-webhook-fixtures/create.json", says, "Opsgenie")


def test_missing_and_impossible_times_point_at_the_field(tmp_path):
    payload = load(SRC, "zulip-webhook-fixtures/alert.json")
    del payload["alerts"][0]["startsAt"]
    payload["alerts"][1]["startsAt"] = "20202-01-16T00:17:58Z"
    problems = problems_of(alertmanager, write_json(tmp_path, payload))
    assert [(p.pointer, p.field) for p in problems] == [
        ("/alerts/0/startsAt", "startsAt"),
        ("/alerts/1/startsAt", "startsAt"),
    ]
    assert "missing" in problems[0].message
    assert "20202-01-16T00:17:58Z" in problems[1].message and "not a valid time" in problems[1].message


def test_problems_in_an_array_carry_the_payload_index_and_in_json_lines_the_line(tmp_path):
    good, bad = load(SRC, "alertmanager-bot/firing.json"), load(SRC, "alertmanager-bot/firing.json")
    bad["alerts"][0]["endsAt"] = "yesterday"
    (problem,) = problems_of(alertmanager, write_json(tmp_path, [good, bad]))
    assert problem.pointer == "/1/alerts/0/endsAt" and problem.line is None
    (problem,) = problems_of(alertmanager, write_lines(tmp_path, [good, bad]))
    assert problem.pointer == "/alerts/0/endsAt" and problem.line == 2


def test_unset_start_bad_status_and_end_before_start_are_problems(tmp_path):
    payload = load(SRC, "zulip-webhook-fixtures/alert.json")
    payload["alerts"][0]["startsAt"] = "0001-01-01T00:00:00Z"
    payload["alerts"][1]["status"] = "exploded"
    problems = problems_of(alertmanager, write_json(tmp_path, payload))
    assert [(p.pointer, p.field) for p in problems] == [
        ("/alerts/0/startsAt", "startsAt"),
        ("/alerts/1/status", "status"),
    ]
    resolved = load(SRC, "alertmanager-bot/resolved.json")
    resolved["alerts"][0]["endsAt"] = "2018-11-04T20:00:00Z"
    (problem,) = problems_of(alertmanager, write_json(tmp_path, resolved))
    assert problem.field == "endsAt" and "before startsAt" in problem.message


def test_the_same_alert_twice_in_one_payload_is_a_problem(tmp_path):
    payload = load(SRC, "zulip-webhook-fixtures/alert.json")
    payload["alerts"][1]["fingerprint"] = payload["alerts"][0]["fingerprint"]
    (problem,) = problems_of(alertmanager, write_json(tmp_path, payload))
    assert problem.pointer == "/alerts/1" and "twice" in problem.message


def test_every_problem_is_collected_up_to_max_problems(tmp_path):
    payload = load(SRC, "zulip-webhook-fixtures/alert.json")
    payload["alerts"] = [dict(payload["alerts"][0], startsAt=f"bad {i}") for i in range(30)]
    assert len(problems_of(alertmanager, write_json(tmp_path, payload))) == 30
    assert len(problems_of(alertmanager, write_json(tmp_path, payload), max_problems=5)) == 5


def test_empty_and_non_utf8_files_are_refused(tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text("  \n")
    assert "empty" in problems_of(alertmanager, empty)[0].message
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"alerts": [], "receiver": "caf\xe9"}')
    assert "UTF-8" in problems_of(alertmanager, latin)[0].message


def test_absurdly_deep_json_and_unreadable_paths_are_problems_not_crashes(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text(
        sample(SRC, "alertmanager-bot/firing.json").read_text().replace('"critical"', "[" * 5000 + "]" * 5000, 1)
    )
    assert "nested" in problems_of(alertmanager, deep)[0].message
    assert "cannot be read" in problems_of(alertmanager, tmp_path)[0].message
    assert "cannot be read" in problems_of(alertmanager, tmp_path / "missing.json")[0].message


def test_naive_times_need_a_time_zone(tmp_path):
    payload = load(SRC, "alertmanager-bot/firing.json")
    payload["alerts"][0]["startsAt"] = "2018-11-04T22:43:58"
    path = write_json(tmp_path, payload)
    assert "time zone" in problems_of(alertmanager, path)[0].message
    (event,) = events_of(alertmanager, path, tz=ZoneInfo("Europe/Berlin"))
    assert event.occurred_at == datetime(2018, 11, 4, 21, 43, 58, tzinfo=UTC)
    assert event.original_offset_minutes is None


def test_untrusted_text_is_clipped_and_urls_must_be_http(tmp_path):
    payload = load(SRC, "alertmanager-bot/firing.json")
    payload["alerts"][0]["annotations"]["description"] = "x\x00" * 50_000
    payload["alerts"][0]["generatorURL"] = "javascript:alert(1)"
    (event,) = events_of(alertmanager, write_json(tmp_path, payload))
    assert len(event.text) == MAX_TEXT and "\x00" not in event.text
    assert event.source_url == ""


test_fuzzed_real_payloads_only_ever_raise_import_failed = fuzz_test(alertmanager, SRC)
