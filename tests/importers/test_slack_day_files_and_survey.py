"""Slack day files picked one by one (no export around them), and the survey of an export's channels that a person
chooses from. Pure: no Django."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from zip_bombs import MB, deflated, raw_zip, zeros_deflated

from retrospector.importers import slack
from retrospector.importers.base import ImportFailed, ImportOptions
from retrospector.importers.registry import parse_uploads, survey_uploads

ARCHIVE = Path(__file__).resolve().parent.parent / "fixtures" / "slack" / "slack-export-viewer-testarchive"
ENRIQUE_DAYS = sorted((ARCHIVE / "enrique").glob("*.json"))
ENRIQUE = frozenset({"enrique"})


def problems(call) -> list[tuple[str, str | None, str]]:
    with pytest.raises(ImportFailed) as failed:
        list(call())
    return [(p.file, p.field, p.message) for p in failed.value.problems]


def test_a_channels_day_files_with_the_lists_give_the_same_events_as_the_whole_export():
    whole = list(slack.parse(ARCHIVE, ImportOptions(channels=ENRIQUE)))
    picked = [*ENRIQUE_DAYS, ARCHIVE / "users.json", ARCHIVE / "channels.json", ARCHIVE / "integration_logs.json"]
    loose = list(slack.parse_files(picked, ImportOptions(channels=ENRIQUE)))
    as_json = sorted((e.as_json() for e in loose), key=lambda e: e["source"]["ref"])
    assert as_json == sorted((e.as_json() for e in whole), key=lambda e: e["source"]["ref"])


def test_one_day_file_alone_is_read_with_its_channel_named_and_people_by_id_without_users_json():
    day = ARCHIVE / "traveling-sailor" / "2016-03-27.json"
    events = list(slack.parse(day, ImportOptions(channels=frozenset({"sailing"}))))
    assert events and {e.channel for e in events} == {"sailing"}
    assert all(e.source_ref.startswith("sailing/") for e in events)  # no channels.json: the name is the reference
    assert "U0BMQB6JE" in {e.actor for e in events}
    named = slack.parse_files([day, ARCHIVE / "users.json"], ImportOptions(channels=frozenset({"sailing"})))
    assert "Hermione Granger" in {e.actor for e in named}


def test_day_files_without_a_channel_name_or_with_several_are_asked_for_one():
    day = ARCHIVE / "enrique" / "2016-03-26.json"
    assert problems(lambda: slack.parse(day, ImportOptions())) == [
        (
            "2016-03-26.json",
            "channel",
            "does not say which channel it is from: give the channel's name (one name) so that its messages are "
            "filed under it.",
        )
    ]
    two = problems(lambda: slack.parse_files([day], ImportOptions(channels=frozenset({"a", "b"}))))
    assert two == [("2016-03-26.json", "channel", "day files are all of one channel; give one channel's name, not 2.")]


def test_a_problem_in_a_picked_file_names_it_as_picked(tmp_path):
    good = tmp_path / "2016-03-26.json"
    shutil.copy(ARCHIVE / "enrique" / "2016-03-26.json", good)
    bad = tmp_path / "2016-03-27.json"
    bad.write_text(json.dumps([{"ts": "yesterday", "text": "x"}]))
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    found = problems(lambda: slack.parse_files([good, bad, notes], ImportOptions(channels=ENRIQUE)))
    assert found == [
        ("notes.txt", None, "is not a Slack day file (.json); pick an export's .zip on its own, or .json files.")
    ]  # refused before anything is read
    found = problems(lambda: slack.parse_files([good, bad], ImportOptions(channels=ENRIQUE)))
    assert found == [("2016-03-27.json", "ts", '"yesterday" is not a Slack timestamp like "1585412040.000200".')]


def test_the_same_day_file_picked_twice_is_refused(tmp_path):
    (tmp_path / "a").mkdir()
    copy = tmp_path / "a" / "2016-03-26.json"
    shutil.copy(ARCHIVE / "enrique" / "2016-03-26.json", copy)
    found = problems(
        lambda: slack.parse_files([ARCHIVE / "enrique" / "2016-03-26.json", copy], ImportOptions(channels=ENRIQUE))
    )
    assert found == [("2016-03-26.json", None, "was picked twice; pick each day file once.")]


def test_a_picked_day_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(slack, "MAX_MEMBER_BYTES", 1000)
    day = ARCHIVE / "enrique" / "2016-03-26.json"
    assert day.stat().st_size > 1000
    found = problems(lambda: slack.parse_files([day], ImportOptions(channels=ENRIQUE)))
    assert found == [
        (
            "2016-03-26.json",
            None,
            f"is {slack._size_text(day.stat().st_size)} unpacked; the limit is 1000 bytes per file.",
        )
    ]


def test_uploads_of_several_files_are_for_slack_day_files_only():
    def upload(*paths):
        return [(path.name, path.read_bytes()) for path in paths]

    day = ARCHIVE / "enrique" / "2016-03-26.json"
    events = parse_uploads("slack", upload(day, ARCHIVE / "users.json"), ImportOptions(channels=ENRIQUE))
    assert events and events == sorted(events, key=lambda e: e.occurred_at)
    with pytest.raises(ImportFailed) as failed:
        parse_uploads("pagerduty", upload(day, ARCHIVE / "users.json"), ImportOptions())
    assert failed.value.problems[0].field == "file" and "takes one file at a time" in failed.value.problems[0].message
    with pytest.raises(ImportFailed) as failed:
        parse_uploads("slack", [("export.zip", b"PK"), *upload(day)], ImportOptions(channels=ENRIQUE))
    assert failed.value.problems[0].file == "export.zip"
    assert "uploaded on its own" in failed.value.problems[0].message


def test_the_survey_counts_each_channels_messages_in_and_out_of_the_times_as_parsing_finds_them():
    since, until = datetime(2016, 3, 26, 9, tzinfo=UTC), datetime(2016, 3, 27, 22, tzinfo=UTC)
    counted = slack.survey(ARCHIVE, ImportOptions(since=since, until=until, channels=ENRIQUE))
    everything = list(slack.parse(ARCHIVE, ImportOptions()))
    expected = []
    for name in ("enrique", "traveling-sailor"):
        times = [e.occurred_at for e in everything if e.channel == name]
        inside = sum(1 for t in times if since <= t <= until)
        expected.append(slack.ChannelCount(name, inside, len(times) - inside))
    assert counted == expected
    assert [c.messages for c in counted] == [16, 17]


def test_the_survey_of_a_zip_bomb_is_refused_before_anything_is_unpacked(tmp_path):
    members = [("users.json", *deflated(b"[]")), ("general/2020-03-01.json", zeros_deflated(199), 0, 199 * MB)]
    bomb = raw_zip(tmp_path / "export.zip", members)
    with pytest.raises(ImportFailed) as failed:
        slack.survey(bomb, ImportOptions())
    assert ("general/2020-03-01.json", "is 199 MB unpacked; the limit is 32 MB per file.") in [
        (p.file, p.message) for p in failed.value.problems
    ]


def test_only_one_slack_export_has_channels_to_choose_from():
    day = ARCHIVE / "enrique" / "2016-03-26.json"
    assert survey_uploads("slack", [(day.name, day.read_bytes())], ImportOptions()) is None
    assert survey_uploads("pagerduty", [(day.name, day.read_bytes())], ImportOptions()) is None
