"""JSON-lines logs (retrospector.importers.jsonl). Pure: no Django, no database.

The samples are lnav's real test logs in tests/fixtures/logs (see SOURCES.md there); variants are copies
changed in a temporary folder.
"""

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webhook_fuzz_support import (
    ODD_VALUES,
    any_text,
    check_untrusted_fields,
    cut_off,
    import_problems,
    only_import_failed,
    with_lines_inserted,
    with_lone_surrogate,
)

from retrospector.importers import base
from retrospector.importers.base import ImportOptions
from retrospector.importers.jsonl import JsonlMapping, level_tag, parse

pytestmark = pytest.mark.no_database

LOGS = Path(__file__).resolve().parent.parent / "fixtures" / "logs"


def events(path, mapping=None, **options):
    return list(parse(path, ImportOptions(**options), mapping=mapping))


def problems(path, mapping=None, **options):
    return import_problems(parse, path, ImportOptions(**options), mapping=mapping)


def write_lines(path: Path, objects) -> Path:
    path.write_text("".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objects), encoding="utf-8")
    return path


def sample_lines(name: str) -> list[str]:
    return (LOGS / name).read_text(encoding="utf-8").splitlines()


def json_sample_with_good_line_6(tmp_path) -> Path:
    """lnav's logfile_json.json with its `"ts": "xxx"` row given a readable time (line numbers unchanged)."""
    lines = sample_lines("logfile_json.json")
    assert '"ts": "xxx"' in lines[5]
    lines[5] = lines[5].replace('"xxx"', '"2013-09-06T22:00:59.5Z"')
    return write_lines(tmp_path / "logfile_json.json", lines)


# --------------------------------------------------------------------------- mapping


def test_mapping_from_spec():
    mapping = JsonlMapping.from_spec(
        "time=@timestamp, text=message,level=log.level,actor=user,channel=service.name,time_format=%d/%m/%Y %H:%M:%S,%f"
    )
    assert (mapping.time, mapping.text, mapping.level, mapping.actor, mapping.channel) == (
        "@timestamp",
        "message",
        "log.level",
        "user",
        "service.name",
    )
    assert mapping.time_format == "%d/%m/%Y %H:%M:%S,%f"
    assert JsonlMapping.from_spec("") == JsonlMapping()
    for spec, words in [
        ("tim=ts", "unknown mapping key"),
        ("time=ts,time=t", "twice"),
        ("time=ts,time_format=%H:%M", "no year"),
        ("actor_kind=alien", "actor_kind"),
        ("ts", "not key=value"),
    ]:
        with pytest.raises(ValueError, match=words):
            JsonlMapping.from_spec(spec)


# --------------------------------------------------------------------------- the real samples


def test_lnav_json_sample_bad_ts_is_a_problem_naming_line_and_field():
    (problem,) = problems(LOGS / "logfile_json.json")
    assert (Path(problem.file).name, problem.line, problem.field) == ("logfile_json.json", 6, "ts")
    assert "'xxx'" in problem.message and "not a time" in problem.message
    assert str(problem).startswith(f"{LOGS / 'logfile_json.json'}:6: ts: 'xxx'")
    (again,) = problems(LOGS / "logfile_json.json", JsonlMapping(time="ts", text="msg"))
    assert (again.line, again.field) == (6, "ts")


def test_lnav_json_sample_auto_detected(tmp_path):
    got = events(json_sample_with_good_line_6(tmp_path))
    assert len(got) == 14
    assert [e.source_ref for e in got] == [f"logfile_json.json:{n}" for n in range(1, 15)]
    assert got[0].as_json()["time"] == "2013-09-06T20:00:48.124817Z" and got[0].original_offset_minutes == 0
    assert got[8].original_time == "2013-09-06 22:01:00Z" and got[8].as_json()["time"] == "2013-09-06T22:01:00Z"
    assert got[1].text == "Starting up service"  # ANSI colour codes removed
    assert got[3].text == got[4].text == "Details..."  # backspace overstrike and trailing newline removed
    assert [e.tags for e in got[10:]] == [("warning",), ("error",), ("error",), ("error",)]
    assert got[0].tags == () and got[9].tags == ()
    assert (got[0].actor, got[0].actor_kind) == ("com.example.foo.bar.bazzer", "system")  # "logger"
    assert (got[2].actor, got[2].actor_kind) == ("logfile_json.json", "system")
    assert {(e.kind, e.source_type) for e in got} == {("log", "jsonl")}


def test_lnav_json_sample_with_a_mapping(tmp_path):
    got = events(
        json_sample_with_good_line_6(tmp_path), JsonlMapping.from_spec("time=ts,text=msg,actor=user,level=lvl")
    )
    assert (got[2].actor, got[2].actor_kind) == ("steve@example.com", "person")
    assert (got[0].actor, got[0].actor_kind) == ("logfile_json.json", "system")  # no user on that line
    last = write_lines(tmp_path / "last.json", sample_lines("logfile_json.json")[-1:])
    (event,) = events(last, JsonlMapping.from_spec("time=ts,text=obj,actor=logger,actor_kind=bot"))
    assert event.text == '{"field1":"hi","field2":2}'  # a named text field that is not a string: compact JSON
    assert (event.actor, event.actor_kind) == ("last.json", "system")  # no logger on that line
    (event,) = events(LOGS / "logfile_pino.0", JsonlMapping.from_spec("actor=hostname,actor_kind=bot"))
    assert (event.actor, event.actor_kind) == ("7d82d3f28bad", "bot")


def test_lnav_json_sample_missing_mapped_fields_are_problems(tmp_path):
    found = problems(json_sample_with_good_line_6(tmp_path), JsonlMapping.from_spec("time=ts,text=message"))
    assert [(p.line, p.field) for p in found[:3]] == [(1, "message"), (2, "message"), (3, "message")]
    assert found[3].message == "11 more like this: no field 'message'"


def test_malformed_json_sample_lists_the_broken_line():
    found = problems(LOGS / "logfile_invalid_json.json")
    assert [p.line for p in found] == [3]
    assert "is not valid JSON" in found[0].message and "column" in found[0].message


def test_malformed_json_lists_every_broken_line(tmp_path):
    lines = sample_lines("logfile_invalid_json.json") + [
        "{not json}",
        "",
        "   ",
        '{"ts": "2013-09-06T22:01:00Z", "msg": "ok"}',
        "[1, 2]",
        '"just a string"',
    ]
    found = problems(write_lines(tmp_path / "broken.json", lines))
    assert [p.line for p in found] == [3, 6, 10, 11]
    assert "not an object" in found[2].message and "not an object" in found[3].message


def test_invalid_json_sample_fields_are_found_under_at_fields():
    """Lines 1, 2, 4 and 5 keep their text under "@fields": only line 3 (malformed) is a problem."""
    found = problems(LOGS / "logfile_invalid_json.json")
    assert all("text field" not in p.message for p in found)


def test_ecs_sample_flat_and_nested_paths():
    got = events(LOGS / "logfile_ecs_log.json")
    assert len(got) == 5
    assert got[0].as_json()["time"] == "2025-01-13T09:58:13.631000Z"
    assert [e.tags for e in got] == [(), (), ("warning",), ("error",), ("error",)]
    assert got[0].actor == "app"  # log.logger, nested
    mapped = events(
        LOGS / "logfile_ecs_log.json",
        JsonlMapping.from_spec("time=@timestamp,text=log.original,actor=log.origin.function,level=log.level"),
    )
    assert (mapped[3].text, mapped[3].actor, mapped[3].tags) == ("this is a error message num=15", "main", ("error",))


def test_journald_sample_realtime_microseconds_and_priority():
    got = events(LOGS / "logfile_journald.json")
    assert [e.as_json()["time"] for e in got] == ["2018-08-21T14:04:21.221373Z"] * 2
    assert got[0].original_time == "1534860261221373" and got[0].original_offset_minutes is None
    assert [e.text for e in got] == ["GPS Reference longitude: 7.358143333", "GPS Reference latitude: 46.908706667"]
    assert got[0].actor == "python"  # SYSLOG_IDENTIFIER
    assert [e.tags for e in got] == [("error",), ()]  # PRIORITY 1 (alert), 6 (info)


def test_cloudflare_sample_needs_a_mapping():
    found = problems(LOGS / "logfile_cloudflare.json")
    assert [p.line for p in found] == [1, 1]
    assert "no time field" in found[0].message and "time=FIELD" in found[0].message
    assert "no text field" in found[1].message and "ClientRequestURI" in found[1].message
    (event,) = events(
        LOGS / "logfile_cloudflare.json",
        JsonlMapping.from_spec("time=EdgeStartTimestamp,text=ClientRequestURI,actor=ClientIP,level=EdgeResponseStatus"),
    )
    assert (event.as_json()["time"], event.text, event.actor, event.tags) == (
        "2022-10-30T00:00:02Z",
        "/",
        "87.226.160.250",
        (),
    )


def test_bunyan_and_pino_samples():
    bunyan = events(LOGS / "logfile_bunyan.0")
    assert len(bunyan) == 10 and {e.actor for e in bunyan} == {"renovate"}
    assert bunyan[0].text == "Found gitlabci-include package files" and bunyan[0].tags == ()
    (pino,) = events(LOGS / "logfile_pino.0")
    assert pino.as_json()["time"] == "2025-04-24T22:08:37.537000Z"  # epoch milliseconds
    assert pino.original_time == "1745532517537" and pino.original_offset_minutes is None
    assert pino.actor == "payment"  # "service.name" written as one key


def test_opentelemetry_collector_sample():
    got = events(LOGS / "logfile_otel_collector.jsonl")
    assert len(got) == 11
    assert (
        got[0].source_ref == "logfile_otel_collector.jsonl:1:0"
        and got[2].source_ref == "logfile_otel_collector.jsonl:1:2"
    )
    assert got[0].as_json()["time"] == "2023-11-14T22:13:20Z"  # timeUnixNano
    assert (got[3].actor, got[3].text, got[3].tags) == (
        "order-service",
        "Failed to update order status: database connection timeout",
        ("error",),
    )
    assert got[1].tags == ("warning",)
    only = events(
        LOGS / "logfile_otel_collector.jsonl",
        JsonlMapping(channel="service.name"),
        channels=frozenset({"order-service"}),
    )
    assert [e.text for e in only] == [
        "Failed to update order status: database connection timeout",
        "Retrying database connection",
    ]


def test_opentelemetry_problem_points_into_the_line(tmp_path):
    line = json.loads(sample_lines("logfile_otel_collector.jsonl")[1])
    line["resourceLogs"][0]["scopeLogs"][0]["logRecords"][1]["timeUnixNano"] = "soon"
    (problem,) = problems(write_lines(tmp_path / "otel.jsonl", [line]))
    assert (problem.line, problem.field) == (1, "timeUnixNano")
    assert problem.pointer == "/resourceLogs/0/scopeLogs/0/logRecords/1/timeUnixNano"


# --------------------------------------------------------------------------- one JSON array


def test_a_json_array_of_objects(tmp_path):
    objects = [json.loads(line) for line in sample_lines("logfile_ecs_log.json")]
    path = tmp_path / "ecs-array.json"
    path.write_text(json.dumps(objects, indent=2), encoding="utf-8")
    got = events(path)
    starts = [n for n, line in enumerate(path.read_text().splitlines(), 1) if line == "  {"]
    assert [e.source_ref for e in got] == [f"ecs-array.json:{line}:{i}" for i, line in enumerate(starts)]
    assert [e.tags for e in got] == [(), (), ("warning",), ("error",), ("error",)]

    objects[3]["@timestamp"] = "2025-01-13 09:58:13"
    path.write_text(json.dumps(objects, indent=2), encoding="utf-8")
    (problem,) = problems(path)
    assert problem.pointer == "/3/@timestamp" and problem.field == "@timestamp"
    assert problem.line == starts[3]
    assert "time has no zone" in problem.message
    assert len(events(path, tz=UTC)) == 5


def test_array_element_line_numbers(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('[\n {"ts": 1700000000, "msg": "a"},\n\n {"ts": "xxx", "msg": "b"}\n]\n', encoding="utf-8")
    (problem,) = problems(path)
    assert (problem.line, problem.pointer) == (4, "/1/ts")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[{"ts": 1700000000, "msg": "a"}, {"ts": 1700000001, "msg": "b"', "not valid JSON"),
        ('[{"ts": 1700000000, "msg": "a"} {"ts": 1}]', "expected , or ]"),
        ('[{"ts": 1700000000, "msg": "a"},', "ends before"),
        ('[{"ts": 1700000000, "msg": "a"}] trailing', "more after"),
        ('[{"ts": 1700000000, "msg": "a"}, 42]', "not an object"),
        ("[]", "no log records"),
    ],
)
def test_broken_arrays(tmp_path, text, words):
    path = tmp_path / "broken.json"
    path.write_text(text, encoding="utf-8")
    assert words in problems(path)[0].message


def test_a_big_array_is_read_in_chunks(tmp_path):
    objects = [{"ts": 1700000000000 + i, "msg": f"event {i} " + "x" * (i % 300)} for i in range(3000)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps(objects), encoding="utf-8")  # one line, ~500 kB: several chunks
    got = events(path)
    assert len(got) == 3000 and got[-1].text == objects[-1]["msg"] and got[-1].source_ref == "big.json:1:2999"


# --------------------------------------------------------------------------- times


def test_offsets_are_kept_and_naive_times_need_tz(tmp_path):
    path = write_lines(
        tmp_path / "zones.jsonl",
        [
            {"time": "2024-05-01T10:00:00.123456789+0330", "msg": "tehran"},
            {"time": "2024-05-01T10:00:00-05:00", "msg": "new york"},
            {"time": "2024-05-01 10:00:00,250", "msg": "naive"},
        ],
    )
    found = problems(path)
    assert [(p.line, p.field) for p in found] == [(3, "time")]
    assert "time has no zone; pass --tz" in found[0].message
    got = events(path, tz=ZoneInfo("Europe/Paris"))
    assert [e.as_json()["time"] for e in got] == [
        "2024-05-01T06:30:00.123456Z",
        "2024-05-01T15:00:00Z",
        "2024-05-01T08:00:00.250000Z",
    ]
    assert [e.original_offset_minutes for e in got] == [210, -300, None]
    assert got[0].original_time == "2024-05-01T10:00:00.123456789+0330"


def test_epoch_numbers_and_numeric_strings_by_magnitude(tmp_path):
    path = write_lines(
        tmp_path / "epoch.jsonl",
        [
            {"ts": 1700000000, "msg": "s"},
            {"ts": 1700000000.25, "msg": "s float"},
            {"ts": 1700000000123, "msg": "ms"},
            {"ts": "1700000000123456", "msg": "us string"},
            {"ts": 1700000000123456789, "msg": "ns"},
            {"ts": "1700000000.5", "msg": "s string"},
        ],
    )
    got = events(path)
    assert [e.as_json()["time"] for e in got] == [
        "2023-11-14T22:13:20Z",
        "2023-11-14T22:13:20.250000Z",
        "2023-11-14T22:13:20.123000Z",
        "2023-11-14T22:13:20.123456Z",
        "2023-11-14T22:13:20.123456Z",
        "2023-11-14T22:13:20.500000Z",
    ]
    assert [e.original_time for e in got][:3] == ["1700000000", "1700000000.25", "1700000000123"]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("20202-01-16T10:00:00Z", "not a time we can read"),
        ("2020-02-30T10:00:00Z", "impossible date"),
        ("xxx", "not a time we can read"),
        (-5, "negative"),
        (True, "not a time"),
        ({"sec": 1}, "not a time"),
        (1e300, "too large"),
        ("9" * 30, "too large"),
    ],
)
def test_unreadable_times_name_line_and_field(tmp_path, value, words):
    path = write_lines(
        tmp_path / "bad.jsonl", [{"ts": "2024-05-01T10:00:00Z", "msg": "fine"}, {"ts": value, "msg": "broken"}]
    )
    (problem,) = problems(path, tz=UTC)
    assert (problem.line, problem.field) == (2, "ts")
    assert words in problem.message


def test_time_format(tmp_path):
    path = write_lines(tmp_path / "apache.jsonl", [{"when": "20/Jul/2009:22:59:26 +0200", "request": "GET /"}])
    (event,) = events(path, JsonlMapping.from_spec("time=when,text=request,time_format=%d/%b/%Y:%H:%M:%S %z"))
    assert event.as_json()["time"] == "2009-07-20T20:59:26Z" and event.original_offset_minutes == 120


# --------------------------------------------------------------------------- bytes and limits


def test_bom_blank_lines_and_crlf(tmp_path):
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(
        b'\xef\xbb\xbf{"ts": "2024-05-01T10:00:00Z", "msg": "one"}\r\n\r\n'
        b'{"ts": "2024-05-01T10:00:01Z", "msg": "two"}\r\n'
    )
    assert [(e.text, e.source_ref) for e in events(path)] == [("one", "crlf.jsonl:1"), ("two", "crlf.jsonl:3")]


def test_invalid_utf8_and_deep_nesting_are_problems(tmp_path):
    path = tmp_path / "odd.jsonl"
    path.write_bytes(
        b'{"ts": "2024-05-01T10:00:00Z", "msg": "caf\xe9"}\n'
        + b"[" * 200_000
        + b"\n"
        + b'{"ts": 1700000000, "msg": "ok"}\n'
    )
    found = problems(path)
    assert [p.line for p in found] == [1, 2]
    assert "UTF-8" in found[0].message


def test_a_line_over_one_megabyte_is_skipped_as_a_problem(tmp_path):
    path = tmp_path / "long.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        out.write(json.dumps({"ts": 1700000000, "msg": "before"}) + "\n")
        out.write(json.dumps({"ts": 1700000001, "msg": "y" * 1_200_000}) + "\n")
        out.write(json.dumps({"ts": 1700000002, "msg": "z" * 900_000}) + "\n")
        out.write('{"ts": "bad", "msg": "after"}\n')
    found = problems(path)
    assert [p.line for p in found] == [2, 4]
    assert "longer than 1 MB" in found[0].message


def test_empty_file_is_a_problem(tmp_path):
    (tmp_path / "empty.jsonl").write_bytes(b"\n  \n")
    assert "no log records" in problems(tmp_path / "empty.jsonl")[0].message


def test_file_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(base, "MAX_FILE_BYTES", 10)
    assert "the limit is" in problems(LOGS / "logfile_bunyan.0")[0].message


def test_max_problems_stops_reading(tmp_path):
    path = write_lines(tmp_path / "many.jsonl", ["nope"] * 1000)
    assert len(problems(path, max_problems=5)) == 5


# --------------------------------------------------------------------------- options and odds


def test_time_window_filter():
    since, until = (
        datetime(2023, 3, 24, 14, 26, 16, 300000, tzinfo=UTC),
        datetime(2023, 3, 24, 14, 26, 17, 900000, tzinfo=UTC),
    )
    got = events(LOGS / "logfile_bunyan.0", since=since, until=until)
    assert [e.source_ref for e in got] == [f"logfile_bunyan.0:{n}" for n in (5, 6, 7, 8)]


def test_channel_filter_is_ignored_without_a_channel_field():
    assert len(events(LOGS / "logfile_bunyan.0", channels=frozenset({"nothing"}))) == 10
    assert events(LOGS / "logfile_bunyan.0", JsonlMapping(channel="name"), channels=frozenset({"nothing"})) == []


def test_kind_and_source_fields(tmp_path):
    path = write_lines(
        tmp_path / "k.jsonl",
        [
            {"ts": 1700000000, "msg": "shipped", "type": "Deploy", "url": "https://ci.example.org/r/1"},
            {"ts": 1700000001, "msg": "plain", "url": "not a url"},
        ],
    )
    got = events(path, JsonlMapping.from_spec("kind=type,source=url"))
    assert [(e.kind, e.source_url) for e in got] == [("deploy", "https://ci.example.org/r/1"), ("log", "")]
    write_lines(path, [{"ts": 1700000000, "msg": "x", "type": "outage"}])
    (problem,) = problems(path, JsonlMapping.from_spec("kind=type"))
    assert (problem.line, problem.field) == (1, "type") and "not a kind" in problem.message


def test_level_tags():
    assert [level_tag("level", v) for v in ("ERROR", "Warn", "info", "fatal", 50, 40, 30, 301, True)] == [
        "error",
        "warning",
        None,
        "error",
        "error",
        "warning",
        None,
        None,
        None,
    ]
    assert [level_tag("PRIORITY", v) for v in ("0", "3", "4", "6")] == ["error", "error", "warning", None]


def test_name_overrides_file_names(tmp_path):
    shutil.copy(LOGS / "logfile_bunyan.0", tmp_path / "tmp123")
    got = list(parse(tmp_path / "tmp123", ImportOptions(), name="uploads/renovate.log"))
    assert got[0].source_ref == "renovate.log:1"


# --------------------------------------------------------------------------- fuzzing the real samples


SAMPLES = [
    "logfile_json.json",
    "logfile_invalid_json.json",
    "logfile_ecs_log.json",
    "logfile_journald.json",
    "logfile_bunyan.0",
    "logfile_pino.0",
    "logfile_otel_collector.jsonl",
    "logfile_cloudflare.json",
]
SEEDS = [(LOGS / name).read_bytes() for name in SAMPLES]
SEEDS.append(
    json.dumps([json.loads(line) for line in sample_lines("logfile_ecs_log.json")], indent=2).encode()
)  # one JSON array
MAPPINGS = [
    None,
    JsonlMapping.from_spec("time=ts,text=msg,level=lvl,actor=user"),
    JsonlMapping.from_spec("time=@timestamp,text=message,level=log.level,channel=log.logger,kind=kind"),
]
FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | any_text(max_size=30)
    | with_lone_surrogate
    | st.sampled_from(
        ["2024-05-01T10:00:00Z", "2024-05-01 10:00", "20202-01-16", "1700000000123", "-1", "9" * 25, "ERROR", "warn"]
    )
    | st.sampled_from(ODD_VALUES),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(any_text(max_size=8), children, max_size=3),
    max_leaves=6,
)


def _check_fuzzed(event):
    assert event.occurred_at.utcoffset().total_seconds() == 0
    assert len(event.text) <= base.MAX_TEXT and len(event.actor) <= 200 and len(event.original_time) <= 100
    check_untrusted_fields(event)


def _only_import_failed(data: bytes, tmp_path, mapping, tz):
    path = tmp_path / "fuzz.json"
    path.write_bytes(data)
    only_import_failed(parse(path, ImportOptions(tz=tz), mapping=mapping), _check_fuzzed)


@FUZZ
@given(
    seed=st.integers(0, len(SEEDS) - 1),
    cut=st.integers(0, 5000),
    mapping=st.sampled_from(MAPPINGS),
    tz=st.sampled_from([None, UTC]),
)
def test_fuzz_truncated_bytes(tmp_path, seed, cut, mapping, tz):
    _only_import_failed(cut_off(SEEDS[seed], cut), tmp_path, mapping, tz)


@FUZZ
@given(
    seed=st.integers(0, len(SEEDS) - 1),
    at=st.integers(0, 50),
    junk=st.lists(
        st.binary(max_size=60) | any_text(max_size=60).map(lambda s: s.encode("utf-8", "surrogatepass")),
        min_size=1,
        max_size=4,
    ),
    mapping=st.sampled_from(MAPPINGS),
)
def test_fuzz_random_garbage_lines(tmp_path, seed, at, junk, mapping):
    _only_import_failed(with_lines_inserted(SEEDS[seed], at, junk), tmp_path, mapping, UTC)


@FUZZ
@given(
    seed=st.integers(0, len(SEEDS) - 1),
    row=st.integers(0, 30),
    pick=st.integers(0, 50),
    value=json_values,
    as_array=st.booleans(),
    mapping=st.sampled_from(MAPPINGS),
    tz=st.sampled_from([None, UTC]),
)
def test_fuzz_random_field_values(tmp_path, seed, row, pick, value, as_array, mapping, tz):
    text = SEEDS[seed].decode("utf-8")
    objects = json.loads(text) if text.startswith("[") else []
    for line in text.splitlines() if not objects else []:
        try:
            objects.append(json.loads(line))
        except ValueError:
            continue
    target = objects[row % len(objects)]
    keys = list(target)
    target[keys[pick % len(keys)]] = value
    if as_array:
        data = json.dumps(objects, indent=1).encode()
    else:
        data = "".join(json.dumps(o) + "\n" for o in objects).encode()
    _only_import_failed(data, tmp_path, mapping, tz)
