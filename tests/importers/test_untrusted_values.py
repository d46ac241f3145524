"""What every importer does with hostile values: a link that is not http(s) is never kept, a time at the calendar's ends
is a problem naming the file and line (never an OverflowError), and a lone surrogate ("\\ud800", half of a character,
which JSON escapes can write) becomes U+FFFD, the same in every importer. No Django."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from webhook_fuzz_support import (
    WEBHOOK_SOURCES,
    check_untrusted_fields,
    import_problems,
    sample_paths,
    samples_of,
    write_json,
)

from retrospector.core.untrusted import http_url, lone_surrogate_path, utc_in_range, without_lone_surrogates
from retrospector.importers import alertmanager, csv_log, github, grafana, jsonl, opsgenie, pagerduty, slack
from retrospector.importers.base import Attachment, ImportOptions
from retrospector.importers.csv_log import CsvMapping

pytestmark = pytest.mark.no_database

MODULES = {
    "alertmanager": alertmanager,
    "github": github,
    "grafana": grafana,
    "opsgenie": opsgenie,
    "pagerduty": pagerduty,
    "jsonl": jsonl,
    "csv": csv_log,
    "slack": slack,
}
HOSTILE_LINKS = [
    "javascript:alert(1)",
    " JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "http:///no-host",
    "https:example.com",
]


# --------------------------------------------------------------------------- links


@pytest.mark.parametrize(
    "value, kept",
    [
        ("https://acme.slack.com/archives/C1/p1", "https://acme.slack.com/archives/C1/p1"),
        ("  HTTP://Example.com/a?b=c#d ", "HTTP://Example.com/a?b=c#d"),
        *[(link, "") for link in HOSTILE_LINKS],
        ("java\x0cscript:alert(1)", ""),
        ("https://exa mple.com", ""),
        ("https://example.com/\u200b", ""),
        ("https://example.com/\ud800", ""),
        ("https://[::1/", ""),
        ("https://example.com/" + "a" * 2000, ""),  # too long for the column: dropped, not cut
        (None, ""),
        (42, ""),
    ],
)
def test_only_http_links_with_a_host_are_links(value, kept):
    assert http_url(value) == kept


def test_an_attachment_keeps_only_an_http_link():
    assert Attachment(name="x.png", url="javascript:alert(1)").url == ""
    assert Attachment(name="x.png", url="https://files.example.com/x.png").url == "https://files.example.com/x.png"


def _slack_export(tmp_path: Path, messages: list[dict]) -> Path:
    export = tmp_path / "export"
    (export / "general").mkdir(parents=True)
    (export / "users.json").write_text(json.dumps([{"id": "U1", "name": "priya", "real_name": "Priya Raman"}]))
    (export / "channels.json").write_text(json.dumps([{"id": "C1", "name": "general"}]))
    (export / "general" / "2024-05-01.json").write_text(json.dumps(messages))
    return export


@pytest.mark.parametrize("link", HOSTILE_LINKS)
def test_a_slack_file_or_attachment_with_a_hostile_link_keeps_its_name_and_loses_the_link(tmp_path, link):
    export = _slack_export(
        tmp_path,
        [
            {
                "ts": "1714557600.000100",
                "user": "U1",
                "text": "the graph",
                "files": [
                    {"id": "F1", "title": "graph.png", "permalink": link, "url_private": link},
                    {"id": "F2", "title": "logs.txt", "permalink": link, "url_private": "https://files.slack.com/F2"},
                ],
            },
            {
                "ts": "1714557601.000100",
                "bot_id": "B1",
                "username": "deploy-bot",
                "text": "",
                "attachments": [{"title": "Deploy 42", "title_link": link}],
            },
        ],
    )
    events = list(slack.parse(export, ImportOptions(), team_domain="acme"))
    files, bot = events
    assert [(a.name, a.url) for a in files.attachments] == [
        ("graph.png", ""),
        ("logs.txt", "https://files.slack.com/F2"),
    ]
    assert bot.text == "Deploy 42"  # the title, not a Markdown link to the hostile target
    for event in events:
        check_untrusted_fields(event)


def _with_links_replaced(value, link):
    """`value` (decoded JSON) with every http(s) URL in it replaced by `link`."""
    if isinstance(value, dict):
        return {key: _with_links_replaced(child, link) for key, child in value.items()}
    if isinstance(value, list):
        return [_with_links_replaced(child, link) for child in value]
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return link
    return value


@pytest.mark.parametrize("link", HOSTILE_LINKS)
@pytest.mark.parametrize("source", WEBHOOK_SOURCES)
def test_no_webhook_importer_keeps_a_hostile_link(tmp_path, source, link):
    module, seen = MODULES[source], 0
    for index, payload in enumerate(samples_of(source)):
        path = write_json(tmp_path, _with_links_replaced(payload, link), f"{index}.json")
        try:
            events = list(module.parse(path, ImportOptions()))
        except Exception as exc:  # a sample that is refused on its own (a legacy Grafana alert...) is not the point
            assert type(exc).__name__ == "ImportFailed"
            continue
        for event in events:
            assert event.source_url == "", (path, event.source_url)
            assert link.strip() not in event.text, event.text
            check_untrusted_fields(event)
            seen += 1
    assert seen, f"no {source} sample gave an event"


@pytest.mark.parametrize("link", HOSTILE_LINKS)
def test_no_log_importer_keeps_a_hostile_source_link(tmp_path, link):
    lines = tmp_path / "app.jsonl"
    lines.write_text(json.dumps({"ts": "2024-05-01T10:00:00Z", "msg": "restarted", "url": link}) + "\n")
    (event,) = jsonl.parse(lines, ImportOptions(), mapping=jsonl.JsonlMapping(source="url"))
    assert event.source_url == ""
    table = tmp_path / "timeline.csv"
    table.write_text(f'time,text,link\n2024-05-01T10:00:00Z,restarted,"{link}"\n')
    (event,) = csv_log.parse(table, ImportOptions(), mapping=CsvMapping(time="time", text="text", source="link"))
    assert event.source_url == ""


# --------------------------------------------------------------------------- times at the calendar's ends


def _lines(tmp_path: Path, *times: str) -> Path:
    path = tmp_path / "app.jsonl"
    path.write_text("".join(json.dumps({"time": t, "msg": "x"}) + "\n" for t in times))
    return path


def _csv(tmp_path: Path, *times: str) -> Path:
    path = tmp_path / "timeline.csv"
    path.write_text("time,text\n" + "".join(f"{t},x\n" for t in times))
    return path


def _alerts(tmp_path: Path, *times: str) -> Path:
    payload = {
        "version": "4",
        "status": "firing",
        "receiver": "ops",
        "alerts": [
            {"status": "firing", "labels": {"alertname": f"A{i}"}, "startsAt": t, "fingerprint": f"f{i}"}
            for i, t in enumerate(times)
        ],
    }
    path = tmp_path / "alerts.jsonl"
    path.write_text(json.dumps({"version": "4", "status": "firing", "alerts": []}) + "\n" + json.dumps(payload) + "\n")
    return path


def _slack(tmp_path: Path, *times: str) -> Path:
    return _slack_export(tmp_path, [{"ts": t, "user": "U1", "text": "x"} for t in times])


OK = "2024-05-01T10:00:00Z"
PARSERS = {"csv": lambda path, options: csv_log.parse(path, options, mapping=CsvMapping(time="time", text="text"))}
FAR = [  # (how the file is written, a usable time, times too close to the calendar's ends, the line of the first)
    ("jsonl", _lines, OK, ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59Z"], 2),
    ("csv", _csv, OK, ["0001-01-01T00:00:00+14:00", "9999-12-31 23:59:59-2359", "0001-01-01T00:00:00Z"], 3),
    ("alertmanager", _alerts, OK, ["9999-12-31T23:59:59Z", "0001-01-01T05:00:00+02:00"], 2),
    ("slack", _slack, "1714557600.000100", ["253402300799.000000", "253402214400.000000"], None),
]


@pytest.mark.parametrize("source, write, usable, far, line", FAR, ids=[f[0] for f in FAR])
def test_a_time_at_the_calendars_ends_is_a_problem_naming_the_file_and_line(tmp_path, source, write, usable, far, line):
    path = write(tmp_path, usable, *far)
    problems = import_problems(PARSERS.get(source, MODULES[source].parse), path, ImportOptions())
    assert len(problems) == len(far), problems
    first = problems[0]
    if source == "slack":
        assert first.file == "general/2024-05-01.json" and first.pointer == "/1/ts"
    else:
        assert first.file == str(path) and first.line == line
    assert all(("calendar" in p.message or "9999-12-30" in p.message) for p in problems), problems


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_a_naive_time_at_the_calendars_ends_is_a_problem_in_any_zone(tmp_path, zone):
    path = _lines(tmp_path, "9999-12-31 23:59:59", "0001-01-01 00:00:00")
    problems = import_problems(jsonl.parse, path, ImportOptions(tz=ZoneInfo(zone)))
    assert [(p.line, p.field) for p in problems] == [(1, "time"), (2, "time")]


def test_every_zone_can_show_a_time_that_is_accepted():
    assert utc_in_range(jsonl.parse_log_time("9999-12-30T23:59:59Z", None)[0])
    with pytest.raises(ValueError, match="calendar"):
        utc_in_range(jsonl.parse_log_time("9999-12-30T23:59:59Z", None)[0].replace(day=31))


# --------------------------------------------------------------------------- lone surrogates


def test_lone_surrogates_are_found_and_replaced_anywhere_in_a_value():
    value = json.loads('{"a": [1, "ok \\ud83d\\ude00", {"b": "x\\ud800y"}], "\\udc00": "k"}')
    assert lone_surrogate_path(value) == ("a", 2, "b")
    assert lone_surrogate_path({"fine": ["\U0001f600", 1, None]}) is None
    replaced = {"a": [1, "ok \U0001f600", {"b": "x\ufffdy"}], "\ufffd": "k"}
    assert without_lone_surrogates(copy.deepcopy(value)) == replaced


def test_a_lone_surrogate_in_json_lines_becomes_a_replacement_character(tmp_path):
    path = tmp_path / "app.jsonl"
    path.write_text(
        '{"ts": "2024-05-01T10:00:00Z", "msg": "disk \\ud800full", "service": "api\\udfff"}\n'
        '{"ts": "2024-05-01T10:00:01Z", "msg": "fine \\ud83d\\ude00", "service": "api"}\n'
    )
    first, second = jsonl.parse(path, ImportOptions())
    assert (first.text, first.actor) == ("disk \ufffdfull", "api\ufffd")
    assert second.text == "fine \U0001f600"
    array = tmp_path / "app.json"
    array.write_text('[{"ts": "2024-05-01T10:00:00Z", "msg": "a\\udc00b"}]')
    (event,) = jsonl.parse(array, ImportOptions())
    assert event.text == "a\ufffdb"


def test_a_lone_surrogate_in_a_slack_export_becomes_a_replacement_character(tmp_path):
    export = _slack_export(tmp_path, [{"ts": "1714557600.000100", "user": "U1", "text": "half \ud800 a character"}])
    (event,) = slack.parse(export, ImportOptions())
    assert event.text == "half \ufffd a character"


@pytest.mark.parametrize("source", WEBHOOK_SOURCES)
def test_a_lone_surrogate_in_a_webhook_payload_becomes_a_replacement_character(tmp_path, source):
    module, changed = MODULES[source], 0
    for path in sample_paths(source):
        text = path.read_text(encoding="utf-8")
        hostile = tmp_path / path.name
        # Every string value gets a lone surrogate after its first character (JSON escapes, as a sender writes them).
        hostile.write_text(json.dumps(_every_string_split(json.loads(text))), encoding="utf-8")
        try:
            events = list(module.parse(hostile, ImportOptions()))
        except Exception as exc:
            assert type(exc).__name__ == "ImportFailed"  # e.g. an id or a time is no longer one: a problem
            continue
        for event in events:
            check_untrusted_fields(event)
            changed += "\ufffd" in event.text
    assert changed, f"no {source} event showed a replaced character"


_KEEP = {"status", "action", "event", "type", "state", "version", "id", "incident_key", "alertId", "fingerprint"}


def _every_string_split(value, key=None):
    if isinstance(value, dict):
        return {k: _every_string_split(child, k) for k, child in value.items()}
    if isinstance(value, list):
        return [_every_string_split(child, key) for child in value]
    if isinstance(value, str) and len(value) > 1 and key not in _KEEP and not value[:4].isdigit():
        return value[0] + "\ud800" + value[1:]
    return value
