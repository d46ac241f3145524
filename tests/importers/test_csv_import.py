"""CSV timelines and logs (retrospector.importers.csv_log). Pure: no Django, no database.

Real log lines come from tests/fixtures/logs (lnav's samples, see SOURCES.md there) and are turned into CSV
here; timeline.csv was written for these tests.
"""

import csv
import io
import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webhook_fuzz_support import (
    any_text,
    check_untrusted_fields,
    cut_off,
    import_problems,
    only_import_failed,
    with_lines_inserted,
    with_lone_surrogate,
)

from retrospector.importers import base
from retrospector.importers.base import ImportFailed, ImportOptions
from retrospector.importers.csv_log import CsvMapping, parse

pytestmark = pytest.mark.no_database

LOGS = Path(__file__).resolve().parent.parent / "fixtures" / "logs"
TIMELINE = LOGS / "timeline.csv"
TIMELINE_MAPPING = CsvMapping.from_spec("time=when,text=what,actor=who,kind=kind,source=link,channel=team")
SIMPLE = CsvMapping.from_spec("time=time,text=text")


def events(path, mapping=TIMELINE_MAPPING, **options):
    return list(parse(path, ImportOptions(**options), mapping=mapping))


def problems(path, mapping=TIMELINE_MAPPING, **options):
    return import_problems(parse, path, ImportOptions(**options), mapping=mapping)


def write_csv(path: Path, rows, *, delimiter=",", newline="\n", encoding="utf-8") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def lines_of(name: str) -> list[str]:
    return (LOGS / name).read_text(encoding="utf-8").splitlines()


# --------------------------------------------------------------------------- mapping


def test_mapping_from_spec_reads_keys_optional_columns_and_delimiter_names():
    mapping = CsvMapping.from_spec(
        " time = ts , text=message,actor=user?,source=url?,delimiter=tab,time_format=%Y-%m-%d %H:%M:%S,%f"
    )
    assert (mapping.time, mapping.text, mapping.actor, mapping.source) == ("ts", "message", "user", "url")
    assert mapping.optional == {"actor", "source"}
    assert mapping.delimiter == "\t"
    assert mapping.time_format == "%Y-%m-%d %H:%M:%S,%f"  # the comma inside a value does not split
    assert CsvMapping.from_spec("time=a,text=b,delimiter=;").delimiter == ";"


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("text=message", "needs time"),
        ("time=ts", "needs text"),
        ("time=ts,text=m,colour=blue", "unknown mapping key 'colour'"),
        ("time=ts,text=m,time=x", "given twice"),
        ("time=ts,text=m,actor=", "has no value"),
        ("time=ts?,text=m", "cannot be optional"),
        ("time=ts,text=m,delimiter=ab", "one character"),
        ("time=ts,text=m,actor_kind=robot", "actor_kind"),
        ("time=ts,text=m,time_format=%b %d %H:%M:%S", "no year"),
    ],
)
def test_mapping_from_spec_refuses_what_cannot_work(spec, words):
    with pytest.raises(ValueError, match=words):
        CsvMapping.from_spec(spec)


# --------------------------------------------------------------------------- the hand-written timeline


def test_timeline_fixture_with_a_zone_for_naive_times():
    got = events(TIMELINE, tz=ZoneInfo("Europe/Berlin"))
    assert [e.as_json()["time"] for e in got] == [
        "2024-03-09T18:28:00Z",  # +0330
        "2024-03-09T18:31:10Z",
        "2024-03-09T17:35:00.250000Z",  # naive, Berlin is UTC+1 in March
        "2024-03-09T18:37:00Z",  # epoch milliseconds
        "2024-03-09T23:50:00Z",  # -05:00
    ]
    assert [e.original_offset_minutes for e in got] == [210, 0, None, None, -300]
    assert [e.original_time for e in got][0] == "2024-03-09T21:58:00+0330"
    assert [e.kind for e in got] == ["alert_firing", "deploy", "log", "log", "milestone"]
    assert [(e.actor, e.actor_kind) for e in got] == [
        ("Shirin Karimi", "person"),
        ("Marco Bellini", "person"),
        ("timeline.csv", "system"),
        ("deploy-bot", "person"),
        ("Shirin Karimi", "person"),
    ]
    assert (
        got[1].text
        == "Rolled back checkout-api to the previous release.\nThe new connection pool size was the suspect."
    )
    assert got[4].text == 'Customer support confirms orders are going through again, "finally".'
    assert {e.source_type for e in got} == {"csv"}
    assert got[0].source_ref == "timeline.csv#https://status.example.org/alerts/4411"
    assert got[0].source_url == "https://status.example.org/alerts/4411"
    assert got[2].source_ref.startswith("timeline.csv:5:") and len(got[2].source_ref) == len("timeline.csv:5:") + 8
    assert got[4].source_ref.startswith("timeline.csv:7:")  # the quoted newline makes row 5 start on line 7
    assert [e.channel for e in got] == ["payments", "payments", "payments", "release", "support"]
    assert all(e.occurred_at.tzinfo is not None and e.occurred_at.utcoffset().total_seconds() == 0 for e in got)


def test_naive_time_without_tz_is_refused_naming_file_line_and_column():
    found = problems(TIMELINE)
    assert len(found) == 1
    problem = found[0]
    assert (Path(problem.file).name, problem.line, problem.field) == ("timeline.csv", 5, "when")
    assert "time has no zone; pass --tz" in problem.message
    assert str(problem).startswith(f"{TIMELINE}:5: when: time has no zone; pass --tz")


def test_many_naive_times_are_shown_three_times_then_counted(tmp_path):
    rows = [["time", "text"]] + [[f"2024-05-01 10:{m:02d}", f"step {m}"] for m in range(20)]
    found = problems(write_csv(tmp_path / "n.csv", rows), SIMPLE)
    assert [p.line for p in found[:3]] == [2, 3, 4]
    assert found[3].line is None and found[3].message.startswith("17 more like this: time has no zone")


def test_refs_are_idempotent_and_unique_even_for_duplicate_sources(tmp_path):
    first = [e.source_ref for e in events(TIMELINE, tz=UTC)]
    assert first == [e.source_ref for e in events(TIMELINE, tz=UTC)]
    rows = [
        ["time", "text", "link"],
        ["2024-05-01T10:00:00Z", "a", "https://x.example/1"],
        ["2024-05-01T10:00:00Z", "a", "https://x.example/1"],
        ["2024-05-01T10:00:00Z", "a", ""],
        ["2024-05-01T10:00:00Z", "a", ""],
    ]
    got = events(write_csv(tmp_path / "d.csv", rows), CsvMapping.from_spec("time=time,text=text,source=link"))
    refs = [e.source_ref for e in got]
    assert refs[0] == "d.csv#https://x.example/1"
    assert refs[1].startswith("d.csv:3:") and refs[2].startswith("d.csv:4:") and refs[3].startswith("d.csv:5:")
    assert len(set(refs)) == 4
    assert got[1].source_url == "https://x.example/1"


# --------------------------------------------------------------------------- header and columns


def test_a_missing_column_is_one_problem_listing_the_header():
    found = problems(TIMELINE, CsvMapping.from_spec("time=timestamp,text=what"))
    assert len(found) == 1
    assert found[0].line == 1 and found[0].field == "timestamp"
    assert "'timestamp' is not in the header" in found[0].message
    assert "'when', 'who', 'what', 'kind', 'link', 'team'" in found[0].message


def test_optional_columns_may_be_absent_and_names_match_case_insensitively(tmp_path):
    path = write_csv(tmp_path / "t.csv", [["Time", "Text"], ["2024-05-01T10:00:00Z", "hello"]])
    got = events(path, CsvMapping.from_spec("time=time,text=text,actor=actor?,source=source?"))
    assert [(e.text, e.actor, e.actor_kind) for e in got] == [("hello", "t.csv", "system")]


def test_a_duplicated_mapped_column_is_a_problem(tmp_path):
    path = write_csv(tmp_path / "t.csv", [["time", "text", "text"], ["2024-05-01T10:00:00Z", "a", "b"]])
    found = problems(path, SIMPLE)
    assert "appears 2 times" in found[0].message and found[0].field == "text"


def test_empty_file_and_header_only_are_problems(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"\n\n")
    assert "needs a header row" in problems(tmp_path / "empty.csv", SIMPLE)[0].message
    (tmp_path / "head.csv").write_bytes(b"time,text\n,\n")
    assert "no rows" in problems(tmp_path / "head.csv", SIMPLE)[0].message


# --------------------------------------------------------------------------- bytes on disk


def test_bom_crlf_blank_lines_and_excel_sep_line(tmp_path):
    body = (
        '\ufeff\r\nsep=;\r\ntime;text\r\n2024-05-01T10:00:00Z;"two\r\nlines"\r\n\r\n;\r\n'
        "2024-05-01T10:01:00Z;after\r\n2024-13-01T10:00:00Z;bad\r\n"
    )
    path = tmp_path / "excel.csv"
    path.write_bytes(body.encode("utf-8"))
    found = problems(path, SIMPLE)
    assert [(p.line, p.field) for p in found] == [(9, "time")]  # physical line, after the quoted newline and blank rows
    assert "impossible date" in found[0].message
    path.write_bytes(body.replace("2024-13-01", "2024-12-01").encode("utf-8"))
    got = events(path, SIMPLE)
    assert [e.text for e in got] == ["two\nlines", "after", "bad"]
    assert [e.source_ref.split(":")[1] for e in got] == ["4", "8", "9"]


@pytest.mark.parametrize(("delimiter", "name"), [("\t", "tab"), (";", "semicolon"), ("|", "pipe")])
def test_delimiter_is_sniffed_from_the_header(tmp_path, delimiter, name):
    rows = [["time", "text", "who"], ["2024-05-01T10:00:00Z", "a, b; c | d", "ops"]]
    path = write_csv(tmp_path / f"{name}.csv", rows, delimiter=delimiter)
    assert [e.text for e in events(path, SIMPLE)] == ["a, b; c | d"]
    assert [e.text for e in events(path, CsvMapping.from_spec(f"time=time,text=text,delimiter={name}"))] == [
        "a, b; c | d"
    ]


def test_utf16_with_bom_as_excel_unicode_text(tmp_path):
    path = write_csv(
        tmp_path / "u.txt",
        [["time", "text"], ["2024-05-01T10:00:00Z", "Grüße"]],
        delimiter="\t",
        newline="\r\n",
        encoding="utf-16",
    )
    assert [e.text for e in events(path, SIMPLE)] == ["Grüße"]


def test_encoding_errors_name_their_lines(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "time,text\n2024-05-01T10:00:00Z,ok\n2024-05-01T10:01:00Z,caf\xe9\n2024-05-01T10:02:00Z,ok\n".encode("latin-1")
    )
    found = problems(path, SIMPLE)
    assert [(p.line, p.field) for p in found] == [(3, None)]
    assert "not valid UTF-8" in found[0].message and "0xe9" in found[0].message


def test_a_record_over_one_megabyte_is_refused_and_reading_stops(tmp_path):
    path = tmp_path / "huge.csv"
    with open(path, "w", encoding="utf-8") as out:
        out.write('time,text\n2024-05-01T10:00:00Z,fine\n2024-05-01T10:01:00Z,"never closed\n')
        for _ in range(30_000):
            out.write("x" * 60 + "\n")
        out.write("2024-05-01T10:02:00Z,late\n")
    found = problems(path, SIMPLE)
    assert len(found) == 1 and found[0].line == 3 and "longer than 1 MB" in found[0].message


def test_a_long_field_under_the_limit_is_accepted_and_clipped(tmp_path):
    path = write_csv(tmp_path / "long.csv", [["time", "text"], ["2024-05-01T10:00:00Z", "y" * 500_000]])
    (event,) = events(path, SIMPLE)
    assert len(event.text) == base.MAX_TEXT and event.text.endswith("…")


def test_rows_too_short_and_bad_kinds_are_problems(tmp_path):
    rows = [["time", "kind", "text"], ["2024-05-01T10:00:00Z", "log"], ["2024-05-01T10:00:00Z", "incident", "x"]]
    found = problems(write_csv(tmp_path / "s.csv", rows), CsvMapping.from_spec("time=time,text=text,kind=kind"))
    assert [(p.line, p.field) for p in found] == [(2, None), (3, "kind")]
    assert "column 'text' is field 3" in found[0].message
    assert "not a kind" in found[1].message


def test_file_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "MAX_FILE_BYTES", 100)
    found = problems(TIMELINE, tz=UTC)
    assert "the limit is" in found[0].message


# --------------------------------------------------------------------------- times, from real log lines


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("20202-01-16T10:00:00Z", "not a time we can read"),
        ("2020-02-30 10:00:00", "impossible date"),
        ("2020-01-16T25:00:00Z", "impossible date"),
        ("2020-01-16T10:00:00+25:00", "impossible UTC offset"),
        ("2020-01-16", "not a time we can read"),
        ("yesterday", "not a time we can read"),
        ("", "is empty"),
        ("123456789012345678901", "too large"),
    ],
)
def test_unreadable_times_name_line_and_column(tmp_path, value, words):
    path = write_csv(tmp_path / "bad.csv", [["time", "text"], ["2024-05-01T10:00:00Z", "fine"], [value, "broken"]])
    (problem,) = problems(path, SIMPLE, tz=UTC)
    assert (problem.line, problem.field) == (3, "time")
    assert words in problem.message


def test_epoch_milliseconds_from_lnav_and_nanoseconds(tmp_path):
    rows = [["time", "text"]] + [line.split(" ", 1) for line in lines_of("logfile_epoch.0")]
    rows.append(["1428634687789000000", "nanoseconds"])
    rows.append(["1428634687", "seconds"])
    rows.append(["1428634687.5", "seconds with a fraction"])
    got = events(write_csv(tmp_path / "epoch.csv", rows), SIMPLE)
    assert [e.as_json()["time"] for e in got] == [
        "2015-04-10T02:58:07.123000Z",
        "2015-04-10T02:58:07.456000Z",
        "2015-04-10T02:58:07.789000Z",
        "2015-04-10T02:58:07Z",
        "2015-04-10T02:58:07.500000Z",
    ]
    assert [e.text for e in got[:2]] == ["Hello, World!", "Goodbye, World!"]
    assert {e.original_offset_minutes for e in got} == {None}


def test_java_comma_milliseconds_need_tz_and_use_it(tmp_path):
    rows = [["time", "text"]] + [[line[:23], line[24:]] for line in lines_of("logfile_java.0")]
    path = write_csv(tmp_path / "java.csv", rows)
    assert rows[1][0] == "2025-01-24T07:00:30,139"
    found = problems(path, SIMPLE)
    assert found[0].line == 2 and "pass --tz" in found[0].message
    got = events(path, SIMPLE, tz=ZoneInfo("America/New_York"))
    assert len(got) == 20
    assert got[0].occurred_at == datetime(2025, 1, 24, 12, 0, 30, 139000, tzinfo=UTC)
    assert got[0].original_time == "2025-01-24T07:00:30,139" and got[0].original_offset_minutes is None


def test_zones_from_syslog_lines_keep_their_offsets(tmp_path):
    rows = [["time", "host", "text"]] + [line.split(" ", 2) for line in lines_of("logfile_with_zones.0")]
    got = events(write_csv(tmp_path / "zones.csv", rows), CsvMapping.from_spec("time=time,text=text,actor=host"))
    assert [e.original_offset_minutes for e in got] == [0, 180, 0]
    assert [e.as_json()["time"] for e in got] == [
        "2022-08-27T14:22:01.613000Z",
        "2022-08-27T14:22:01.694554Z",
        "2022-08-27T14:22:01.888000Z",
    ]
    assert got[1].actor == "space01.global-acme.entp" and got[1].actor_kind == "person"


def test_nanosecond_fractions_are_cut_to_microseconds(tmp_path):
    rows = [["time", "text"]] + [[line[:29], line[30:]] for line in lines_of("logfile_generic_nanos.0")]
    got = events(write_csv(tmp_path / "nanos.csv", rows), SIMPLE, tz=UTC)
    assert [e.occurred_at.microsecond for e in got] == [123456, 987654]
    assert got[0].original_time == "2025-01-01 00:00:00.123456789"


def test_time_format_for_syslog_lines_across_a_dst_change(tmp_path):
    # lnav's DST sample has no year; the CSV variant prepends one so the strptime format can place it.
    rows = [["time", "text"]] + [[f"2019 {line[:15]}", line[16:]] for line in lines_of("logfile_dst.0")]
    mapping = CsvMapping.from_spec("time=time,text=text,time_format=%Y %b %d %H:%M:%S")
    got = events(write_csv(tmp_path / "dst.csv", rows), mapping, tz=ZoneInfo("America/Los_Angeles"))
    assert len(got) == 10
    assert got[0].as_json()["time"] == "2019-11-03T08:01:03Z"  # 01:01 PDT (the first of the two 01:01s)
    assert got[-1].as_json()["time"] == "2019-11-03T10:25:02Z"  # 02:25 PST
    bad = write_csv(tmp_path / "bad.csv", [["time", "text"], ["Nov  3 01:01:03", "x"]])
    assert "does not match the time format" in problems(bad, mapping, tz=UTC)[0].message


# --------------------------------------------------------------------------- options


def test_time_window_filter():
    since, until = datetime(2024, 3, 9, 18, 30, tzinfo=UTC), datetime(2024, 3, 9, 18, 40, tzinfo=UTC)
    got = events(TIMELINE, tz=UTC, since=since, until=until)
    assert [e.as_json()["time"] for e in got] == [
        "2024-03-09T18:31:10Z",
        "2024-03-09T18:35:00.250000Z",
        "2024-03-09T18:37:00Z",
    ]


def test_channel_filter_uses_the_channel_column_and_is_ignored_without_one():
    assert [e.channel for e in events(TIMELINE, tz=UTC, channels=frozenset({"payments"}))] == ["payments"] * 3
    without = CsvMapping.from_spec("time=when,text=what")
    assert len(events(TIMELINE, without, tz=UTC, channels=frozenset({"payments"}))) == 5


def test_max_problems_stops_reading(tmp_path):
    rows = [["time", "text"]] + [["nope", str(i)] for i in range(500)]
    assert len(problems(write_csv(tmp_path / "many.csv", rows), SIMPLE, max_problems=7)) == 7


def test_name_overrides_file_names_in_problems_and_refs(tmp_path):
    shutil.copy(TIMELINE, tmp_path / "upload-123.tmp")
    got = list(
        parse(
            tmp_path / "upload-123.tmp", ImportOptions(tz=UTC), mapping=TIMELINE_MAPPING, name="incident/timeline.csv"
        )
    )
    assert got[2].source_ref.startswith("timeline.csv:5:")
    with pytest.raises(ImportFailed) as caught:
        list(
            parse(tmp_path / "upload-123.tmp", ImportOptions(), mapping=TIMELINE_MAPPING, name="incident/timeline.csv")
        )
    assert caught.value.problems[0].file == "incident/timeline.csv"


# --------------------------------------------------------------------------- fuzzing real content


def _seeds() -> list[bytes]:
    java = io.StringIO(newline="")
    csv.writer(java, lineterminator="\r\n").writerows(
        [["time", "text"]] + [[line[:23], line[24:]] for line in lines_of("logfile_java.0")]
    )
    zones = io.StringIO(newline="")
    csv.writer(zones).writerows(
        [["time", "host", "text"]] + [line.split(" ", 2) for line in lines_of("logfile_with_zones.0")]
    )
    return [TIMELINE.read_bytes(), java.getvalue().encode(), zones.getvalue().encode()]


SEEDS = _seeds()
FUZZ_MAPPINGS = [TIMELINE_MAPPING, SIMPLE, CsvMapping.from_spec("time=time,text=text,actor=host?")]
garbage = st.one_of(
    st.binary(max_size=80),
    st.text(alphabet=st.sampled_from(list(',;"\t\r\n\x00\ufeff\ud800é€ 0123456789-:TZ+.ab')), max_size=80).map(
        lambda s: s.encode("utf-8", "surrogatepass")
    ),
)


def _check_fuzzed(event):
    assert event.occurred_at.tzinfo is not None
    assert len(event.source_ref) <= 500 and len(event.actor) <= 200 and len(event.text) <= base.MAX_TEXT
    check_untrusted_fields(event)


def _only_import_failed(data: bytes, mapping, tmp_path, tz):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    only_import_failed(parse(path, ImportOptions(tz=tz), mapping=mapping), _check_fuzzed)


FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@FUZZ
@given(
    seed=st.integers(0, len(SEEDS) - 1),
    cut=st.integers(0, 10_000),
    mapping=st.sampled_from(FUZZ_MAPPINGS),
    tz=st.sampled_from([None, UTC]),
)
def test_fuzz_truncated_bytes(tmp_path, seed, cut, mapping, tz):
    _only_import_failed(cut_off(SEEDS[seed], cut), mapping, tmp_path, tz)


@FUZZ
@given(
    seed=st.integers(0, len(SEEDS) - 1),
    at=st.integers(0, 100),
    junk=st.lists(garbage, min_size=1, max_size=4),
    mapping=st.sampled_from(FUZZ_MAPPINGS),
)
def test_fuzz_random_garbage_lines(tmp_path, seed, at, junk, mapping):
    _only_import_failed(with_lines_inserted(SEEDS[seed], at, junk), mapping, tmp_path, UTC)


@FUZZ
@given(
    seed=st.integers(0, len(SEEDS) - 1),
    row=st.integers(1, 30),
    column=st.integers(0, 6),
    value=any_text(max_size=40)
    | with_lone_surrogate
    | st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-23:59", "javascript:alert(1)", "http:///x"]),
    tz=st.sampled_from([None, UTC]),
)
def test_fuzz_random_field_values(tmp_path, seed, row, column, value, tz):
    rows = list(csv.reader(io.StringIO(SEEDS[seed].decode("utf-8-sig"), newline="")))
    target = rows[row % len(rows)]
    target[column % len(target)] = value
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    for mapping in FUZZ_MAPPINGS:
        _only_import_failed(buffer.getvalue().encode("utf-8", "surrogatepass"), mapping, tmp_path, tz)
