"""Understanding a postmortem: time shapes, zones, labelled values, sections, action items, tickets, mapping."""

from __future__ import annotations

from datetime import timedelta

import pytest

from retrospector.importers.history.markdown import read_markdown_text
from retrospector.importers.history.understand import ticket_refs, understand
from tests.importers.history.support import TEMPLATES

pytestmark = pytest.mark.no_database


def _understand(text, path="incident.md", **kwargs):
    return understand(read_markdown_text(text, path=path, checksum="c"), templates=TEMPLATES, **kwargs)


def _times(record):
    return [e.at.isoformat() if e.at else None for e in record.events]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("2021-03-04 14:03 CET", "2021-03-04T14:03:00+01:00"),
        ("2021-12-10   15:40", "2021-12-10T15:40:00+00:00"),
        ("2021-03-04T14:03:27Z", "2021-03-04T14:03:27+00:00"),
        ("2021-03-04 14:03 +02:00", "2021-03-04T14:03:00+02:00"),
        ("2021/03/04 2:03pm", "2021-03-04T14:03:00+00:00"),
        ("Thursday, 4 March 2021 14:03", "2021-03-04T14:03:00+00:00"),
        ("March 4, 2021 14:03 UTC", "2021-03-04T14:03:00+00:00"),
        ("2021-03-04", "2021-03-04T00:00:00+00:00"),
    ],
)
def test_timeline_rows_in_many_shapes(row, expected):
    record = _understand(f"# T\n\n## Timeline\n\nAll times in UTC.\n\n- {row}: something happened\n")
    assert _times(record) == [expected]
    assert record.events[0].text == "something happened"
    assert record.events[0].original == f"{row}: something happened"
    assert record.events[0].line == 7


def test_times_of_day_under_day_headings():
    text = "# T\n\n## Timeline\n\n### 2021-03-04\n\n- 23:50 CET – first\n\n### 2021-03-05\n\n- 00:10 CET – second\n"
    record = _understand(text)
    assert _times(record) == ["2021-03-04T23:50:00+01:00", "2021-03-05T00:10:00+01:00"]
    assert [e.text for e in record.events] == ["first", "second"]


def test_relative_times_count_from_the_start():
    text = "# T\n\nStart: 2021-03-04 14:00\n\n## Timeline\n\n- T+0m alert fires\n- T+5m paged\n- T+2h resolved\n"
    record = _understand(text, default_tz="UTC")
    assert _times(record) == ["2021-03-04T14:00:00+00:00", "2021-03-04T14:05:00+00:00", "2021-03-04T16:00:00+00:00"]
    assert {e.precision for e in record.events} == {"relative"}


def test_relative_times_without_a_start_are_problems():
    record = _understand("# T\n\n## Timeline\n\n- T+5m paged\n")
    assert _times(record) == [None]
    assert "no start time" in record.problems[0].message and record.problems[0].line == 5


def test_a_time_with_no_date_known_is_kept_as_text_and_reported():
    record = _understand("# T\n\n## Timeline\n\n- 14:03 paged\n- 14:10 fixed\n")
    assert _times(record) == [None, None]
    assert [p.line for p in record.problems] == [5, 6, None]
    assert "no date" in record.problems[0].message and record.problems[0].action == "the row was kept as text"


def test_the_zone_comes_from_front_matter_prose_table_header_or_the_default():
    table = "| Time | Event |\n|---|---|\n| 2021-07-01 10:00 | x |\n"
    fm = _understand(f"---\ntimezone: Europe/Copenhagen\n---\n## Timeline\n\n{table}")
    prose = _understand(f"## Timeline\n\nAll times in CET.\n\n{table}")
    header = _understand("## Timeline\n\n| Time (PST) | Event |\n|---|---|\n| 2021-07-01 10:00 | x |\n")
    default = _understand(f"## Timeline\n\n{table}", default_tz="Asia/Tokyo")
    none = _understand(f"## Timeline\n\n{table}")
    assert _times(fm) == ["2021-07-01T10:00:00+02:00"]
    assert _times(prose) == ["2021-07-01T10:00:00+02:00"]
    assert _times(header) == ["2021-07-01T10:00:00-07:00"]
    assert _times(default) == ["2021-07-01T10:00:00+09:00"]
    assert _times(none) == ["2021-07-01T10:00:00+00:00"]
    assert none.timezone is None and any("no time zone" in p.message for p in none.problems)
    assert fm.events[0].line == 8


def test_a_table_without_a_time_column_is_kept_as_text_and_reported():
    text = "# T\n\n## Timeline\n\n| Who | What |\n|---|---|\n| ann | paged |\n"
    record = _understand(text)
    assert record.events == ()
    assert record.problems[0].line == 5 and "kept as text" in record.problems[0].action
    assert "| ann | paged |" in record.sections[0].text


def test_labelled_lines_and_key_value_tables_keep_their_original_text():
    text = (
        "# Disk full\n\nDate: 2021-03-04 14:03\nDuration: 1h 30m\n**Severity:** SEV2\n\n"
        "| Field | Value |\n|---|---|\n| Services | api, worker and db |\n| Resolved | 2021-03-04 16:00 |\n"
    )
    record = _understand(text, default_tz="CET")
    assert record.started_at.value.isoformat() == "2021-03-04T14:03:00+01:00"
    assert record.started_at.original == "Date: 2021-03-04 14:03" and record.started_at.line == 3
    assert record.ended_at.value.isoformat() == "2021-03-04T16:00:00+01:00" and record.ended_at.source == "table"
    assert record.duration.value == timedelta(hours=1, minutes=30) and record.duration.original == "Duration: 1h 30m"
    assert record.severity.value == "SEV2" and record.severity.line == 5
    assert record.services.value == ("api", "worker", "db")


def test_front_matter_gives_title_id_dates_and_severity():
    text = "---\ntitle: Disk full\nid: INC-42\ndate: 2021-03-04T14:03:00Z\nseverity: 2\nservices: [api, db]\n---\n"
    record = _understand(text + "Body\n")
    assert (record.title.value, record.title.source) == ("Disk full", "front matter")
    assert record.incident_id.value == "INC-42"
    assert record.started_at.value.isoformat() == "2021-03-04T14:03:00+00:00"
    assert record.severity.value == 2 and record.services.value == ("api", "db")
    assert record.preamble == "Body"


@pytest.mark.parametrize(
    ("name", "incident_id", "title"),
    [
        ("PM2021-005 - All services returning 503.md", "PM2021-005", "All services returning 503"),
        ("PM2022-002 -  Logs not shipped.md", "PM2022-002", "Logs not shipped"),
        ("007-disk-full.md", "007", "Disk full"),
        ("notes.md", None, "Notes"),
    ],
)
def test_the_file_name_gives_the_id_and_the_title_when_nothing_else_does(name, incident_id, title):
    record = _understand("Some text.\n", path=f"history/{name}")
    assert (record.incident_id.value if record.incident_id else None) == incident_id
    assert record.title.value == title and record.title.source == "file name"


def test_sections_match_by_synonym_and_fuzzily_and_extra_ones_are_kept_verbatim():
    text = (
        "# T\n\nIntro line.\n\n## Root cause(s)\n\nA\n\n## What went wrong\n\nB\n\n## Lesons learned\n\nC\n\n"
        "## Our favourite snacks\n\n- crisps\n"
    )
    record = _understand(text)
    assert record.template_key == "postmortem"
    got = [(s.title, s.key, s.match) for s in record.sections]
    assert got[:2] == [
        ("Root cause(s)", "contributing-factors", "synonym"),
        ("What went wrong", "contributing-factors", "synonym"),
    ]
    assert got[2][1:] == ("learned", "fuzzy") and 0.85 <= record.sections[2].score < 1
    assert got[3] == ("Our favourite snacks", None, "")
    assert record.sections[3].text == "- crisps"
    assert record.preamble == "Intro line."


def test_action_items_from_checkboxes_tables_and_lists_with_ticket_refs():
    text = (
        "# T\n\n## Notes\n\n- [x] wrote the notes\n\n## Action items\n\n- Fix the alert (OPS-12)\n"
        "- See https://github.com/acme/api/pull/7\n\n"
        "| Action | Owner | Status | Ticket |\n|---|---|---|---|\n| Add a runbook | ann | Done | INFRA-3 |\n"
        "| Rotate keys | bob | open | |\n"
    )
    record = _understand(text)
    items = [(a.text, a.done, a.owner, a.status, [r.key for r in a.refs], a.line) for a in record.action_items]
    assert items == [
        ("wrote the notes", True, "", "", [], 5),
        ("Fix the alert (OPS-12)", None, "", "", ["OPS-12"], 9),
        ("See https://github.com/acme/api/pull/7", None, "", "", ["acme/api#7"], 10),
        ("Add a runbook", True, "ann", "Done", ["INFRA-3"], 14),
        ("Rotate keys", False, "bob", "open", [], 15),
    ]


def test_ticket_refs_skip_things_that_only_look_like_keys():
    refs = ticket_refs("UTF-8, SHA-256, CVE-2021-44228, PM2021-005 and `ABC-1` are not tickets; ABC-123 is")
    assert [r.key for r in refs] == ["ABC-123"]
    refs = ticket_refs("see [#12]", {"#12": "https://github.com/o/r/issues/12"})
    assert [(r.kind, r.key, r.url) for r in refs] == [("github", "o/r#12", "https://github.com/o/r/issues/12")]


def test_a_mapping_overrides_template_sections_and_fields():
    text = "# Old title\n\n## Summary\n\nS\n\n## Stats\n\nX\n\n## Timeline\n\n- 2021-03-04 10:00 a\n"
    mapping = {
        "template": "incident-review",
        "sections": {"stats": "business-impact", "Summary": None},
        "fields": {"title": "New title", "severity": "SEV1", "services": "api, db", "timezone": "CET"},
    }
    record = _understand(text, mapping=mapping)
    assert record.template_key == "incident-review"
    assert [(s.title, s.key, s.match) for s in record.sections] == [
        ("Summary", None, "mapping"),
        ("Stats", "business-impact", "mapping"),
        ("Timeline", "timeline", "exact"),
    ]
    assert (record.title.value, record.title.source) == ("New title", "mapping")
    assert record.severity.value == "SEV1" and record.services.value == ("api", "db")
    assert _times(record) == ["2021-03-04T10:00:00+01:00"]


def test_a_mapping_with_unknown_keys_or_targets_is_reported_not_ignored_silently():
    mapping = {"tempalte": "x", "template": "nope", "sections": {"Stats": "no-such-key"}, "fields": {"colour": 1}}
    record = _understand("# T\n\n## Stats\n\nX\n", mapping=mapping)
    messages = " ".join(p.message for p in record.problems)
    assert "tempalte" in messages and "nope" in messages and "colour" in messages and "no-such-key" in messages
    assert record.sections[0].title == "Stats"


def test_checkboxes_before_the_first_section_are_action_items_too():
    record = _understand("- [ ] call the vendor\n- not a task\n\n## Summary\n\n- [X] wrote it\n")
    assert [(a.text, a.done, a.line) for a in record.action_items] == [
        ("call the vendor", False, 1),
        ("wrote it", True, 6),
    ]


def test_a_section_of_actions_already_taken_is_not_a_list_of_action_items():
    record = _understand("# T\n\n## Summary\n\nx\n\n## Actions taken\n\n- blocked the user\n")
    assert record.sections[1].key == "resolution"
    assert record.action_items == ()


def test_a_date_alone_followed_by_text_that_merely_contains_question_marks_or_xx_is_not_a_placeholder():
    record = _understand(
        "# T\n\n## Timeline\n\nAll times in UTC.\n\n- 2021-03-04: 5xx errors?? spiked\n- 2021-03-05 HH:mm: fixed\n"
    )
    assert [e.precision for e in record.events] == ["day", "day"]
    assert [e.text for e in record.events] == ["5xx errors?? spiked", "fixed"]
    assert [p.line for p in record.problems] == [8]
