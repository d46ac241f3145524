"""House styles met in the held-out set (tests/fixtures/postmortems/heldout, written without the code): each rule
added after scoring it once, with a small document of our own."""

from __future__ import annotations

import pytest

from retrospector.importers.history.markdown import read_markdown_text
from retrospector.importers.history.understand import understand
from tests.importers.history.support import TEMPLATES

pytestmark = pytest.mark.no_database


def read(text: str, path: str = "x.md"):
    return understand(read_markdown_text(text, path=path, checksum="c"), templates=TEMPLATES)


def test_a_front_matter_title_repeated_as_the_first_heading_is_not_a_section_holding_everything():
    text = "---\ntitle: Cards declined\n---\n\n# Cards declined\n\n## Summary\n\nx\n\n## Timeline\n\n- 14:03 y\n"
    record = read(text)
    assert [s.title for s in record.sections] == ["Summary", "Timeline"]
    assert record.title.value == "Cards declined"


def test_dotted_dates_are_day_first_and_slashed_ones_only_when_unambiguous():
    assert read("# A\n\nDate: 04.03.2021\n").started_at.value.date().isoformat() == "2021-03-04"
    assert read("# A\n\nDate: 13/03/2021\n").started_at.value.date().isoformat() == "2021-03-13"
    assert read("# A\n\nDate: 03/13/2021\n").started_at.value.date().isoformat() == "2021-03-13"
    ambiguous = read("# A\n\nDate: 04/03/2021\n")
    assert ambiguous.started_at is None
    assert any("could not be read as a date" in p.message for p in ambiguous.problems)


def test_a_time_alone_takes_the_day_given_apart():
    record = read("# A\n\nDate: January 12, 2023\nImpact start: 3:26pm PST\nImpact end: 4:41pm PST\n")
    assert record.started_at.value.isoformat() == "2023-01-12T15:26:00-08:00"
    assert record.ended_at.value.isoformat() == "2023-01-12T16:41:00-08:00"


@pytest.mark.parametrize("label", ["Services affected", "Applications impacted", "Impacted systems", "Components"])
def test_services_are_read_however_their_label_is_worded(label):
    assert read(f"# A\n\n{label}: api, web\n").services.value == ("api", "web")


@pytest.mark.parametrize(
    "name,expected",
    [
        ("RCA-2022-014-tracking-page-down.md", "RCA-2022-014"),
        ("RCA_2023_003", "RCA-2023-003"),
        ("2022-11-08-x.md", None),
    ],
)
def test_ids_in_file_names_and_dates_that_are_not_ids(name, expected):
    record = read("# Tracking page down\n\nSomething.\n", path=name)
    assert (record.incident_id.value if record.incident_id else None) == expected
    assert record.title.value == "Tracking page down"


@pytest.mark.parametrize(
    "sentence,zone",
    [
        ("All times EET.", "EET"),
        ("All times are local (CET).", "CET"),
        ("Times are ship time (CET).", "CET"),
        ("_All times are PST._", "PST"),
        ("All times Pacific.", "America/Los_Angeles"),
        ("All times Eastern (EDT).", "America/New_York"),
    ],
)
def test_a_sentence_naming_the_zone_of_the_times(sentence, zone):
    record = read(f"# A\n\nDate: 2023-03-02\n\n## Timeline\n\n{sentence}\n\n- 10:05 Errors start\n")
    assert record.timezone == zone
    assert record.events[0].at.utcoffset() is not None and record.events[0].at.utcoffset().total_seconds() != 0


def test_a_list_items_own_status_at_its_end_says_whether_it_is_done():
    record = read(
        "# A\n\n## Action items\n\n1. Fix the manifest (PATCH-301) — done\n2. Retry less (LAUNCH-144)\n"
        "3. Alert on rejections — Arjun — NOTIF-121 — Open\n4. Register templates — NOTIF-120 — Closed\n"
    )
    assert [(a.done, a.status) for a in record.action_items] == [
        (True, "done"),
        (None, ""),
        (False, "Open"),
        (True, "Closed"),
    ]


def test_front_matter_with_a_date_that_does_not_exist_is_left_out_and_the_body_read():
    record = read("---\ndate: 2021-02-30\n---\n\n# Cards declined\n\n## Summary\n\nx\n")
    assert record.title.value == "Cards declined"
    assert any("front matter could not be read" in p.message for p in record.problems)


def test_relative_times_count_from_a_start_stated_in_the_opening_prose():
    text = "# DB failover\n\nT0 = 2022-08-17 09:12 UTC (primary killed)\n\n## Timeline\n\n- T+1m replica promoted\n"
    record = read(text)
    assert record.started_at.value.isoformat() == "2022-08-17T09:12:00+00:00"
    assert record.events[0].at.isoformat() == "2022-08-17T09:13:00+00:00"


def test_a_date_the_file_name_begins_with_dates_a_write_up_that_states_none_and_leaves_the_title():
    record = read("Paging was down for an hour.\n\n## Summary\n\nx\n", path="posts/2022-11-08-push-notifications.md")
    assert record.started_at.value.isoformat() == "2022-11-08T00:00:00+00:00"
    assert (record.started_at.source, record.title.value) == ("file name", "Push notifications")
    assert read("x\n", path="20230102_dns outage.md").started_at.value.date().isoformat() == "2023-01-02"
    stated = read("# DNS\n\nDate: 2021-05-04 10:00 UTC\n", path="2022-11-08-dns.md")
    assert stated.started_at.value.date().isoformat() == "2021-05-04"  # what the document says wins
    assert read("x\n", path="2021-02-30-nope.md").started_at is None  # no such day
    assert read("x\n", path="PM2021-005 - All services returning 503.md").started_at is None


def test_an_ambiguous_slashed_date_is_read_the_way_the_document_or_the_mapping_says():
    alone = "# A\n\nDate: 04/03/2021\n"
    assert read(alone).started_at is None  # April or March: not guessed
    told = "# A\n\nDate: 04/03/2021\nResolved: 13/03/2021\n"
    assert read(told).started_at.value.date().isoformat() == "2021-03-04"  # 13/03 says day first
    american = "# A\n\nDate: 04/03/2021\nResolved: 04/13/2021\n"
    assert read(american).started_at.value.date().isoformat() == "2021-04-03"
    mixed = "# A\n\nDate: 04/03/2021\nSeen: 13/03/2021 and 04/13/2021\n"
    assert read(mixed).started_at is None  # the document disagrees with itself

    def mapped(text, dates):
        doc = read_markdown_text(text, path="x.md", checksum="c")
        return understand(doc, templates=TEMPLATES, mapping={"dates": dates})

    assert mapped(alone, "day-first").started_at.value.date().isoformat() == "2021-03-04"
    assert mapped(alone, "month-first").started_at.value.date().isoformat() == "2021-04-03"
    assert mapped(told, "month-first").started_at.value.date().isoformat() == "2021-04-03"  # the mapping wins
    wrong = mapped(alone, "sideways")
    assert wrong.started_at is None and any("sideways" in p.message for p in wrong.problems)
    timeline = "# A\n\n## Timeline\n\n- 04/03/2021 14:03 UTC paged\n- 04/03/2021 14:20 UTC rolled back\n"
    events = mapped(timeline, "day-first").events
    assert [e.at.isoformat() for e in events] == ["2021-03-04T14:03:00+00:00", "2021-03-04T14:20:00+00:00"]


def test_milestones_come_from_labels_that_name_them_and_from_delays_after_the_start():
    text = (
        "# A\n\nStart: 2021-03-04 14:00 UTC\nDetected: 14:05\nMitigated at: 2021-03-04 14:40 UTC\n"
        "Time to acknowledge: 9 min\n\n## Detection\n\nThe alert fired at 14:05.\n"
    )
    record = read(text)
    assert {k: v.value.isoformat() for k, v in record.milestones.items()} == {
        "detected_at": "2021-03-04T14:05:00+00:00",
        "acknowledged_at": "2021-03-04T14:09:00+00:00",
        "mitigated_at": "2021-03-04T14:40:00+00:00",
    }
    assert [s.title for s in record.sections] == ["Detection"]  # a section's heading, not a time
    prose = read("# A\n\nStart: 2021-03-04 14:00 UTC\nDetected: by a customer's report, not an alert\n")
    assert prose.milestones == {}
