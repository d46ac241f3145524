"""The Slack export importer against real exports (tests/fixtures/slack) and mutated copies of them.

Pure: no Django. Run with `pytest tests/importers/test_slack_import.py -p no:django`.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note_outcome
from hypothesis import strategies as st
from webhook_fuzz_support import ODD_VALUES, any_text, check_untrusted_fields, import_problems, with_lone_surrogate

from bench.slack_generator import generate_export
from retrospector.importers import slack
from retrospector.importers.base import ACTOR_KINDS, ImportFailed, ImportOptions, dump_events_json
from retrospector.importers.slack import parse, sniff

pytestmark = pytest.mark.no_database

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "slack"
ARCHIVE = FIXTURES / "slack-export-viewer-testarchive"
ZULIP = FIXTURES / "zulip-fixtures"
ENRIQUE, SAILOR = "C0JGLMMNX", "C0JL6CGQ2"
REAL_MESSAGES = 158  # messages in the archive's day files
REAL_JOINS = 8  # channel_join messages among them, skipped as noise


# --------------------------------------------------------------------------- helpers


def parse_all(path: Path, **options) -> list:
    return list(parse(path, ImportOptions(**options)))


def problems_of(path: Path, **options) -> list:
    problems = import_problems(parse_all, path, **options)
    assert problems, "ImportFailed must carry its problems"
    return problems


def copy_archive(tmp_path: Path, name: str = "export") -> Path:
    target = tmp_path / name
    shutil.copytree(ARCHIVE, target)
    return target


def zip_folder(folder: Path, zip_path: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, prefix + file.relative_to(folder).as_posix())
    return zip_path


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def by_ref(events) -> dict:
    return {event.source_ref: event for event in events}


def zulip_export(tmp_path: Path) -> Path:
    """The zulip fixtures arranged as an export; day-file names deliberately disagree with the ts."""
    export = tmp_path / "zulip-export"
    export.mkdir()
    shutil.copy(ZULIP / "channels.json", export / "channels.json")
    write_json(
        export / "users.json",
        [
            {"id": "U061A5N1G", "name": "jane", "real_name": "Jane Doe"},
            {"id": "U061A1R2R", "name": "john", "profile": {"display_name": "johnny"}},
        ],
    )
    normal = read_json(ZULIP / "exported_messages_fixtures" / "normal_thread.json")
    # The parent of the second thread (ts 1539868294) goes in a file named earlier than its reply's
    # (ts 1449868294 is earlier than its parent's): neither order may matter.
    write_json(export / "random" / "2015-06-12.json", [normal[0], normal[1]])
    write_json(export / "random" / "2001-01-01.json", [normal[3]])
    write_json(export / "random" / "2030-12-31.json", [normal[2]])
    broadcast = read_json(ZULIP / "exported_messages_fixtures" / "thread_with_broadcast_reply.json")
    for message in broadcast:  # same thread shape, other channel, to keep ids unique
        message["channel_name"] = "general"
    write_json(export / "general" / "2015-06-12.json", broadcast)
    shutil.copytree(ZULIP / "test_slack_importer" / "random", export / "feedback")
    return export


# --------------------------------------------------------------------------- the real export


def test_real_export_folder_parses_with_names_times_and_permalinks():
    events = parse_all(ARCHIVE)
    assert len(events) == REAL_MESSAGES - REAL_JOINS
    assert {e.channel for e in events} == {"enrique", "traveling-sailor"}
    assert all(
        e.kind == "message" and e.source_type == "slack" and e.actor_kind in ("person", "bot", "system") for e in events
    )
    assert not any("has joined the channel" in e.text for e in events)
    assert len({e.source_ref for e in events}) == len(events)

    first = by_ref(events)[f"{ENRIQUE}/1452837352.000006"]
    assert first.occurred_at == datetime(2016, 1, 15, 5, 55, 52, 6, tzinfo=UTC)
    assert first.original_time == "1452837352.000006" and first.original_offset_minutes is None
    assert first.actor == "Hamza Faran" and first.actor_kind == "person"
    assert (
        first.text == "@Harry Potter: Created an issue for a setup.py so that it can be installed to a standard place"
    )
    assert first.source_url == f"https://mesos-magellan.slack.com/archives/{ENRIQUE}/p1452837352000006"
    assert first.as_json()["time"] == "2016-01-15T05:55:52.000006Z"
    # A user whose real_name is their handle and whose display_name is empty.
    assert by_ref(events)[f"{ENRIQUE}/1458228721.000002"].actor == "heroeshannibal"


def test_zipped_export_gives_the_same_events_flat_or_in_a_wrapper_folder(tmp_path):
    expected = parse_all(ARCHIVE)
    flat = zip_folder(ARCHIVE, tmp_path / "flat.zip")
    wrapped = zip_folder(ARCHIVE, tmp_path / "wrapped.zip", prefix="Mesos Magellan Slack export Mar 2016/")
    assert parse_all(flat) == expected
    assert parse_all(wrapped) == expected


def test_bot_messages_are_bots_named_after_their_integration_with_attachments_folded_in():
    events = parse_all(ARCHIVE)
    bots = [e for e in events if e.actor_kind == "bot"]
    assert len(bots) == 94
    assert {e.actor for e in bots} == {"github"}  # learnt from the bot_add messages' integration link
    commit = by_ref(events)[f"{ENRIQUE}/1459154014.000018"]
    assert commit.text == (
        "[enrique:master] 1 new commit by hfaran:\n"
        "[b698a38](https://github.com/mesos-magellan/enrique/commit/b698a38dabbd81c51029f163e74bcd76115e9c2f)"
        ": Implement killTask; resolves #20 - hfaran"
    )
    bot_add = by_ref(events)[f"{ENRIQUE}/1452988746.000017"]
    assert bot_add.actor == "Hamza Faran" and bot_add.actor_kind == "person"


def test_bot_without_known_name_uses_username_then_bot_id(tmp_path):
    export = copy_archive(tmp_path)
    write_json(
        export / "enrique" / "2016-04-01.json",
        [
            {
                "type": "message",
                "subtype": "bot_message",
                "bot_id": "BNEW",
                "username": "deploy-bot",
                "text": "Deployed <https://ci.example.com/1|build 1>",
                "ts": "1459500000.000001",
            },
            {
                "type": "message",
                "bot_id": "BOTHER",
                "text": "",
                "attachments": [{"fallback": "only a fallback"}],
                "ts": "1459500000.000002",
            },
            {
                "type": "message",
                "bot_id": "B1",
                "bot_profile": {"name": "PagerDuty"},
                "text": "Triggered",
                "ts": "1459500000.000003",
            },
        ],
    )
    events = by_ref(parse_all(export))
    assert (events[f"{ENRIQUE}/1459500000.000001"].actor, events[f"{ENRIQUE}/1459500000.000001"].actor_kind) == (
        "deploy-bot",
        "bot",
    )
    assert events[f"{ENRIQUE}/1459500000.000001"].text == "Deployed [build 1](https://ci.example.com/1)"
    assert (events[f"{ENRIQUE}/1459500000.000002"].actor, events[f"{ENRIQUE}/1459500000.000002"].text) == (
        "BOTHER",
        "only a fallback",
    )
    assert events[f"{ENRIQUE}/1459500000.000003"].actor == "PagerDuty"


def test_edited_messages_are_flagged():
    events = parse_all(ARCHIVE)
    edited = [e for e in events if e.edited]
    assert [e.source_ref for e in edited] == [f"{SAILOR}/1458972985.000010"]
    assert edited[0].text.startswith('```{"cities": {')


def test_file_attachments_keep_permalinks_and_never_a_token(tmp_path):
    events = parse_all(ARCHIVE)
    with_files = [e for e in events if e.attachments]
    assert len(with_files) == 4
    share = by_ref(events)[f"{SAILOR}/1459105865.000017"]
    assert share.attachments[0].name == "10 cities"
    assert share.attachments[0].mimetype == "text/plain"
    assert share.attachments[0].url == "https://mesos-magellan.slack.com/files/U0BMS113R/F0VQ4C4BT/10_cities.js"
    assert (
        share.text
        == "@Hermione Granger uploaded a file: [10 cities](https://mesos-magellan.slack.com/files/U0BMS113R/F0VQ4C4BT/10_cities.js)"
    )
    comment = by_ref(events)[f"{SAILOR}/1459106048.000018"]
    assert comment.actor == "Hermione Granger"  # a legacy file_comment names its author in `comment`
    assert "xox" not in dump_events_json(iter(events)).lower()


def test_tokens_are_dropped_from_file_urls_links_and_text(tmp_path):
    export = copy_archive(tmp_path)
    token = "xoxe-1-2-3-0123456789abcdef"
    write_json(
        export / "enrique" / "2016-04-01.json",
        [
            {
                "type": "message",
                "user": "U0BMQB6JE",
                "text": f"log <https://files.slack.com/files-pri/T0-F1/a.log?t={token}|a.log> and a pasted {token}",
                "ts": "1459500000.000001",
                "files": [
                    {
                        "id": "F1",
                        "name": "a.log",
                        "mimetype": "text/plain",
                        "url_private": f"https://files.slack.com/files-pri/T0-F1/a.log?t={token}",
                    },
                    {
                        "id": "F2",
                        "title": "graph.png",
                        "mimetype": "image/png",
                        "url_private": f"https://files.slack.com/files-pri/T0-F2/graph.png?token={token}&x=1",
                    },
                    {
                        "id": "F3",
                        "name": "plain",
                        "permalink": "https://mesos-magellan.slack.com/files/U0BMQB6JE/F3/plain?pub_secret=abc",
                    },
                    "not a file",
                    {"id": "F4", "mode": "tombstone"},
                ],
            }
        ],
    )
    event = by_ref(parse_all(export))[f"{ENRIQUE}/1459500000.000001"]
    assert [(a.name, a.mimetype, a.url) for a in event.attachments] == [
        ("a.log", "text/plain", "https://files.slack.com/files-pri/T0-F1/a.log"),
        ("graph.png", "image/png", "https://files.slack.com/files-pri/T0-F2/graph.png"),
        ("plain", "", "https://mesos-magellan.slack.com/files/U0BMQB6JE/F3/plain?pub_secret=abc"),
    ]
    assert event.text == "log [a.log](https://files.slack.com/files-pri/T0-F1/a.log) and a pasted [token removed]"
    assert "xox" not in json.dumps(event.as_json())


def test_pinned_messages_are_key_candidates(tmp_path):
    export = copy_archive(tmp_path)
    day = export / "enrique" / "2016-01-15.json"
    messages = read_json(day)
    messages[0]["pinned_to"] = [ENRIQUE]
    messages[1]["pins"] = [{"channel": ENRIQUE}]
    write_json(day, messages)
    events = parse_all(export)
    pinned = sorted(e.original_time for e in events if e.key_candidate)
    assert pinned == sorted([messages[0]["ts"], messages[1]["ts"]])


def test_markup_is_rendered(tmp_path):
    export = copy_archive(tmp_path)
    write_json(
        export / "enrique" / "2016-04-01.json",
        [
            {
                "type": "message",
                "user": "U0BMQB6JE",
                "text": (
                    "<@U0BMS113R> <!subteam^S123|@oncall> <!subteam^S9> <#C0JL6CGQ2|traveling-sailor> <#C0JGLMMNX> "
                    "<https://x.example/a?b=1|label> <https://plain.example/> <mailto:a@b.example|a@b.example> "
                    "<!here> <!channel> <!date^1392734382^{date}|Feb 18, 2014> <@UNKNOWN> <@UGONE|gone> "
                    "1 &lt; 2 &amp;&amp; 3 &gt; 2"
                ),
                "ts": "1459500000.000001",
            }
        ],
    )
    event = by_ref(parse_all(export))[f"{ENRIQUE}/1459500000.000001"]
    assert event.text == (
        "@Hermione Granger @oncall @S9 #traveling-sailor #enrique [label](https://x.example/a?b=1) "
        "https://plain.example/ a@b.example @here @channel Feb 18, 2014 @UNKNOWN @gone 1 < 2 && 3 > 2"
    )


def test_unknown_users_are_kept_by_id_without_a_problem(tmp_path):
    export = copy_archive(tmp_path)
    write_json(
        export / "enrique" / "2016-04-01.json",
        [
            {"type": "message", "user": "UNOBODY", "text": "hello", "ts": "1459500000.000001"},
            {
                "type": "message",
                "user": "UPROFILE",
                "user_profile": {"real_name": "Pat Profile"},
                "text": "hi",
                "ts": "1459500000.000002",
            },
            {"type": "message", "text": "no author at all", "ts": "1459500000.000003"},
        ],
    )
    events = by_ref(parse_all(export))
    assert (events[f"{ENRIQUE}/1459500000.000001"].actor, events[f"{ENRIQUE}/1459500000.000001"].actor_kind) == (
        "UNOBODY",
        "person",
    )
    assert events[f"{ENRIQUE}/1459500000.000002"].actor == "Pat Profile"
    assert (events[f"{ENRIQUE}/1459500000.000003"].actor, events[f"{ENRIQUE}/1459500000.000003"].actor_kind) == (
        "Slack",
        "system",
    )


def test_channel_and_time_filters():
    everything = parse_all(ARCHIVE)
    enrique = parse_all(ARCHIVE, channels=frozenset({"enrique"}))
    assert enrique and {e.channel for e in enrique} == {"enrique"}
    assert len(enrique) == sum(1 for e in everything if e.channel == "enrique")
    assert parse_all(ARCHIVE, channels=frozenset({"no-such-channel"})) == []

    since, until = datetime(2016, 3, 26, tzinfo=UTC), datetime(2016, 3, 27, 12, tzinfo=UTC)
    window = parse_all(ARCHIVE, since=since, until=until)
    assert window and all(since <= e.occurred_at <= until for e in window)
    assert len(window) == sum(1 for e in everything if since <= e.occurred_at <= until)


# --------------------------------------------------------------------------- threads, deletions, joins


def test_thread_replies_point_at_their_parent_whatever_the_files_and_order(tmp_path):
    export = zulip_export(tmp_path)
    events = parse_all(export)
    refs = by_ref(events)
    random_id, general_id = "C061A0WJG", "C061A0YJG"
    # Names resolved from users.json: real_name, then profile.display_name.
    assert refs[f"{random_id}/1434139102.000002"].actor == "Jane Doe"
    assert refs[f"{random_id}/1539868294.000007"].actor == "johnny"
    # Parents are not replies.
    assert refs[f"{random_id}/1434139102.000002"].parent_ref == ""
    assert refs[f"{random_id}/1539868294.000007"].parent_ref == ""
    # A reply in the same file; a reply earlier than its parent and in a file named years before it.
    assert refs[f"{random_id}/1439868294.000007"].parent_ref == f"{random_id}/1434139102.000002"
    late_reply = refs[f"{random_id}/1449868294.000007"]
    assert late_reply.parent_ref == f"{random_id}/1539868294.000007"
    assert late_reply.occurred_at == datetime(2015, 12, 11, 21, 11, 34, 7, tzinfo=UTC)  # from ts, not "2001-01-01.json"
    # thread_broadcast replies too.
    assert refs[f"{general_id}/1434139103.000002"].parent_ref == f"{general_id}/1434139102.000002"
    assert refs[f"{general_id}/1434139104.000002"].parent_ref == f"{general_id}/1434139102.000002"
    assert refs[f"{general_id}/1434139104.000002"].text == "everyone should see this"
    # The zulip channel-day file: its channel_join is skipped, the message is kept.
    feedback = [e for e in events if e.channel == "feedback"]
    assert [e.text for e in feedback] == ["edfadfa"]
    assert feedback[0].actor == "U6006P1CN"  # not in users.json: kept by id
    # Every parent is there.
    assert all(e.parent_ref in refs for e in events if e.parent_ref)
    # No team domain appears anywhere in these files: no permalinks.
    assert all(e.source_url == "" for e in events)


def test_deleted_messages_are_kept_empty_and_flagged_and_joins_are_skipped(tmp_path):
    export = copy_archive(tmp_path)
    write_json(
        export / "enrique" / "2016-04-01.json",
        [
            {
                "type": "message",
                "subtype": "tombstone",
                "hidden": True,
                "user": "USLACKBOT",
                "text": "This message was deleted.",
                "ts": "1459500000.000001",
                "thread_ts": "1459500000.000001",
                "files": [{"id": "F9", "name": "secret.png"}],
            },
            {
                "type": "message",
                "user": "U0BMQB6JE",
                "text": "reply to a deleted parent",
                "ts": "1459500000.000002",
                "thread_ts": "1459500000.000001",
            },
            {
                "type": "message",
                "subtype": "message_deleted",
                "hidden": True,
                "deleted_ts": "1459400000.000001",
                "ts": "1459500000.000003",
            },
            {
                "type": "message",
                "subtype": "channel_leave",
                "user": "U0BMQB6JE",
                "text": "<@U0BMQB6JE> has left the channel",
                "ts": "1459500000.000004",
            },
            {
                "type": "message",
                "subtype": "message_changed",
                "hidden": True,
                "message": {"text": "new"},
                "ts": "1459500000.000005",
            },
            {
                "type": "message",
                "subtype": "channel_topic",
                "user": "U0BMQB6JE",
                "text": "set the channel topic: SEV1 checkout down",
                "ts": "1459500000.000006",
            },
        ],
    )
    events = by_ref(parse_all(export))
    tombstone = events[f"{ENRIQUE}/1459500000.000001"]
    assert (tombstone.deleted, tombstone.text, tombstone.attachments, tombstone.edited) == (True, "", (), False)
    assert events[f"{ENRIQUE}/1459500000.000002"].parent_ref == tombstone.source_ref
    assert events[f"{ENRIQUE}/1459500000.000003"].deleted is True
    assert f"{ENRIQUE}/1459500000.000004" not in events
    assert f"{ENRIQUE}/1459500000.000005" not in events
    assert events[f"{ENRIQUE}/1459500000.000006"].text == "set the channel topic: SEV1 checkout down"


def test_without_channels_json_folders_name_the_channels(tmp_path):
    export = copy_archive(tmp_path)
    (export / "channels.json").unlink()
    events = parse_all(export)
    assert len(events) == REAL_MESSAGES - REAL_JOINS
    event = by_ref(events)["enrique/1452837352.000006"]
    assert event.channel == "enrique" and event.source_url == ""


def test_private_channels_and_dms_lists_are_read(tmp_path):
    export = copy_archive(tmp_path)
    write_json(export / "groups.json", [{"id": "G0SECRET", "name": "incident-42"}])
    write_json(export / "dms.json", [{"id": "D0DIRECT", "members": ["U0BMQB6JE", "U0BMS113R"]}])
    write_json(
        export / "incident-42" / "2016-04-01.json",
        [{"type": "message", "user": "U0BMQB6JE", "text": "in <#G0SECRET>", "ts": "1459500000.000001"}],
    )
    write_json(
        export / "D0DIRECT" / "2016-04-01.json",
        [{"type": "message", "user": "U0BMS113R", "text": "dm", "ts": "1459500000.000001"}],
    )
    events = by_ref(parse_all(export))
    private = events["G0SECRET/1459500000.000001"]
    assert (private.channel, private.text) == ("incident-42", "in #incident-42")
    assert private.source_url == "https://mesos-magellan.slack.com/archives/G0SECRET/p1459500000000001"
    assert events["D0DIRECT/1459500000.000001"].channel == "D0DIRECT"


def test_team_domain_can_be_given():
    event = next(iter(parse(ARCHIVE, ImportOptions(), team_domain="acme")))
    assert event.source_url.startswith("https://acme.slack.com/archives/")


# --------------------------------------------------------------------------- bad input


def _set_message(export: Path, member: str, index: int, **fields) -> None:
    path = export / member
    messages = read_json(path)
    for key, value in fields.items():
        if value is ...:
            messages[index].pop(key, None)
        else:
            messages[index][key] = value
    write_json(path, messages)


def _one(problems, file: str):
    matching = [p for p in problems if p.file == file]
    assert matching, f"no problem names {file}: {[str(p) for p in problems]}"
    return matching[0]


def test_truncated_or_corrupt_zip_is_not_readable(tmp_path):
    good = zip_folder(ARCHIVE, tmp_path / "good.zip")
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    [problem] = problems_of(truncated)
    assert problem.file == str(truncated) and "not a readable zip file" in problem.message

    not_a_zip = tmp_path / "export.zip"
    not_a_zip.write_text("[]")
    assert "not a readable zip file" in problems_of(not_a_zip)[0].message


def test_corrupt_member_inside_a_zip_is_named(tmp_path):
    good = zip_folder(ARCHIVE, tmp_path / "good.zip")
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as archive:
        info = archive.getinfo("enrique/2016-02-07.json")
    body = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(body + 10, body + 40):  # damage the compressed data
        data[offset] ^= 0xFF
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))
    problem = _one(problems_of(damaged), "enrique/2016-02-07.json")
    assert "could not be read from the zip file" in problem.message


def test_invalid_json_names_the_file_and_line(tmp_path):
    export = copy_archive(tmp_path)
    day = export / "enrique" / "2016-01-14.json"
    day.write_text(day.read_text().replace('"ts": "1452837318.000003"', '"ts": "1452837318.000003",,'))
    problem = _one(problems_of(export), "enrique/2016-01-14.json")
    assert problem.line == 15 and "not valid JSON" in problem.message


def test_day_file_that_is_not_a_list(tmp_path):
    export = copy_archive(tmp_path)
    write_json(export / "enrique" / "2016-01-14.json", {"messages": []})
    problem = _one(problems_of(export), "enrique/2016-01-14.json")
    assert problem.pointer == "" and "list of messages" in problem.message


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        (..., "is missing"),
        ("yesterday", "not a Slack timestamp"),
        (1452837352.000006, "not a Slack timestamp"),
        ("1452837352", "not a Slack timestamp"),
        ("", "not a Slack timestamp"),
        ({"ts": "1452837352.000006"}, "not a Slack timestamp"),
        ("575343000000.000000", "not a possible time"),  # the year 20202
    ],
)
def test_bad_message_ids_are_refused_with_their_pointer(tmp_path, ts, expected):
    export = copy_archive(tmp_path)
    _set_message(export, "enrique/2016-01-15.json", 3, ts=ts)
    problem = _one(problems_of(export), "enrique/2016-01-15.json")
    assert (problem.pointer, problem.field) == ("/3/ts", "ts")
    assert expected in problem.message


def test_other_checked_fields(tmp_path):
    export = copy_archive(tmp_path)
    _set_message(export, "enrique/2016-01-15.json", 0, thread_ts="soon")
    _set_message(export, "enrique/2016-01-15.json", 1, user=42)
    _set_message(export, "enrique/2016-01-15.json", 2, text=["not", "text"])
    messages = read_json(export / "enrique" / "2016-01-16.json")
    write_json(export / "enrique" / "2016-01-16.json", ["a string, not a message", *messages])
    problems = problems_of(export)
    where = {(p.file, p.pointer, p.field) for p in problems}
    assert ("enrique/2016-01-15.json", "/0/thread_ts", "thread_ts") in where
    assert ("enrique/2016-01-15.json", "/1/user", "user") in where
    assert ("enrique/2016-01-15.json", "/2/text", "text") in where
    assert ("enrique/2016-01-16.json", "/0", None) in where


def test_duplicate_message_ids_within_a_channel(tmp_path):
    export = copy_archive(tmp_path)
    first_ts = read_json(export / "enrique" / "2016-01-14.json")[4]["ts"]
    _set_message(export, "enrique/2016-03-28.json", 2, ts=first_ts)
    problem = _one(problems_of(export), "enrique/2016-03-28.json")
    assert (problem.pointer, problem.field) == ("/2/ts", "ts") and "another message" in problem.message

    # The same ts in two channels is fine: source_ref includes the channel.
    other = copy_archive(tmp_path, "other")
    _set_message(other, "traveling-sailor/2016-03-29.json", 0, ts=first_ts)
    assert len(parse_all(other)) == REAL_MESSAGES - REAL_JOINS


def test_missing_users_json_is_a_problem(tmp_path):
    export = copy_archive(tmp_path)
    (export / "users.json").unlink()
    problem = _one(problems_of(export), "users.json")
    assert "missing" in problem.message

    zipped = copy_archive(tmp_path, "zipped")
    (zipped / "users.json").unlink()
    _one(problems_of(zip_folder(zipped, tmp_path / "no-users.zip", prefix="wrapper/")), "wrapper/users.json")


def test_every_problem_is_reported_up_to_the_limit(tmp_path):
    export = copy_archive(tmp_path)
    for index in range(5):
        _set_message(export, "traveling-sailor/2016-02-08.json", index, ts=f"bad-{index}")
    (export / "enrique" / "2016-03-17.json").write_text("[{")
    problems = problems_of(export)
    assert len(problems) == 6
    assert {p.file for p in problems} == {"traveling-sailor/2016-02-08.json", "enrique/2016-03-17.json"}
    assert len(problems_of(export, max_problems=2)) == 2


def test_no_event_is_yielded_after_a_problem(tmp_path):
    export = copy_archive(tmp_path)
    _set_message(export, "enrique/2016-01-14.json", 4, ts="bad")  # the first channel, early
    seen = []
    with pytest.raises(ImportFailed):
        for event in parse(export, ImportOptions()):
            seen.append(event)
    assert seen == []


def test_oversized_members_and_exports_are_refused(tmp_path, monkeypatch):
    zipped = zip_folder(ARCHIVE, tmp_path / "export.zip")
    monkeypatch.setattr(slack, "MAX_MEMBER_BYTES", 15_000)
    problems = problems_of(zipped)
    big = _one(problems, "enrique/2016-03-28.json")  # 17,431 bytes uncompressed
    assert "limit is" in big.message
    assert "traveling-sailor/2016-03-26.json" in {p.file for p in problems}

    monkeypatch.setattr(slack, "MAX_MEMBER_BYTES", 200 * 1024 * 1024)
    monkeypatch.setattr(slack, "MAX_TOTAL_BYTES", 100_000)
    problem = _one(problems_of(zipped), str(zipped))
    assert "unpacks to" in problem.message and "limit" in problem.message
    _one(problems_of(ARCHIVE), str(ARCHIVE))


def test_zip_member_that_lies_about_its_size_is_refused(tmp_path, monkeypatch):
    """A zip bomb whose header claims less than it holds cannot get past the read limit."""
    zipped = tmp_path / "bomb.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(ARCHIVE / "users.json", "users.json")
        archive.writestr(
            "general/2020-03-28.json", "[" + ",".join(['{"ts": "1585412040.000200"}'] * 1) + "]" + " " * 50_000
        )
    monkeypatch.setattr(slack, "MAX_MEMBER_BYTES", 10_000)
    problem = _one(problems_of(zipped), "general/2020-03-28.json")
    assert "limit" in problem.message


def test_unsafe_member_paths_are_refused(tmp_path):
    zipped = zip_folder(ARCHIVE, tmp_path / "export.zip")
    with zipfile.ZipFile(zipped, "a") as archive:
        archive.writestr("../../etc/evil.json", "[]")
        archive.writestr("/abs/evil.json", "[]")
    problems = problems_of(zipped)
    assert {p.file for p in problems} == {"../../etc/evil.json", "/abs/evil.json"}
    assert all("unsafe path" in p.message for p in problems)


def test_missing_path(tmp_path):
    assert "no such file" in problems_of(tmp_path / "nope.zip")[0].message


# --------------------------------------------------------------------------- sniff


def test_sniff_recognises_slack_exports_only(tmp_path):
    assert sniff(ARCHIVE)
    assert sniff(zip_folder(ARCHIVE, tmp_path / "flat.zip"))
    assert sniff(zip_folder(ARCHIVE, tmp_path / "wrapped.zip", prefix="My export/"))
    assert sniff(zulip_export(tmp_path))
    only_days = tmp_path / "only-days"
    shutil.copytree(ARCHIVE / "enrique", only_days / "enrique")
    assert sniff(only_days)

    payload = tmp_path / "pagerduty.json"
    payload.write_text('{"messages": []}')
    notes = tmp_path / "notes"
    (notes / "sub").mkdir(parents=True)
    (notes / "sub" / "readme.md").write_text("hi")
    other_zip = tmp_path / "logs.zip"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("app.log", "x")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04garbage")
    for path in (payload, notes, other_zip, broken, tmp_path / "missing"):
        assert not sniff(path), path


# --------------------------------------------------------------------------- the generator


def test_generated_export_parses_back_completely(tmp_path):
    generated = generate_export(tmp_path / "gen", messages=2_000, channels=7, users=30, seed=3)
    events = parse_all(tmp_path / "gen")
    assert len(events) == generated.messages == 2_000
    assert len({e.source_ref for e in events}) == 2_000
    refs = {e.source_ref for e in events}
    replies = [e for e in events if e.parent_ref]
    assert len(replies) == generated.replies and all(e.parent_ref in refs for e in replies)
    assert sum(e.actor_kind == "bot" for e in events) == generated.bot_messages
    assert sum(bool(e.attachments) for e in events) == generated.files
    assert sum(e.key_candidate for e in events) == generated.pinned
    assert sum(e.edited for e in events) == generated.edited
    assert min(generated.replies, generated.bot_messages, generated.files, generated.pinned, generated.edited) > 0
    assert len({e.channel for e in events}) == 7
    assert all(e.source_url.startswith("https://synthetic-workspace.slack.com/archives/") for e in events)
    assert not any(re.search(r"<[@#!]", e.text) for e in events)  # every reference rendered
    assert "xox" not in dump_events_json(iter(events))
    # Deterministic.
    again = generate_export(tmp_path / "gen2", messages=2_000, channels=7, users=30, seed=3)
    assert again.day_files == generated.day_files and parse_all(tmp_path / "gen2") == events


# --------------------------------------------------------------------------- fuzzing


JSON_FILES = sorted(p.relative_to(ARCHIVE).as_posix() for p in ARCHIVE.rglob("*.json"))
SLACKISH_STRINGS = st.one_of(
    st.from_regex(r"-?[0-9]{0,17}(\.[0-9]{0,8})?", fullmatch=True),
    st.sampled_from(
        [
            "1585412040.000200",
            "<@U0BMQB6JE>",
            "<!subteam^S1|@oncall>",
            "<#C0JGLMMNX>",
            "<https://x.example|x>",
            "xoxe-1-2",
            "This message was deleted.",
            "bot_message",
            "tombstone",
            "message_deleted",
            "channel_join",
            "thread_broadcast",
            "253402300799.000000",  # 9999-12-31T23:59:59Z: past what every zone can show
            "javascript:alert(1)",
        ]
    ),
    st.sampled_from(ODD_VALUES),
    any_text(max_size=20),
    with_lone_surrogate,
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | SLACKISH_STRINGS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "ts",
                    "thread_ts",
                    "user",
                    "text",
                    "subtype",
                    "bot_id",
                    "files",
                    "attachments",
                    "edited",
                    "pinned_to",
                    "id",
                    "name",
                    "title",
                    "permalink",
                    "url_private",
                    "profile",
                    "hidden",
                ]
            )
            | any_text(max_size=5),
            children,
            max_size=4,
        )
    ),
    max_leaves=8,
)
MESSAGE_KEYS = [
    "ts",
    "thread_ts",
    "user",
    "text",
    "subtype",
    "bot_id",
    "username",
    "files",
    "file",
    "attachments",
    "edited",
    "pinned_to",
    "hidden",
    "comment",
    "user_profile",
    "bot_profile",
]


def _slots(value, out):
    """Every (container, key) in a JSON document, to pick one to change."""
    if isinstance(value, dict):
        for key in list(value):
            out.append((value, key))
            _slots(value[key], out)
    elif isinstance(value, list):
        for index in range(len(value)):
            out.append((value, index))
            _slots(value[index], out)
    return out


def _mutate_json(data, document):
    operations = data.draw(
        st.lists(st.sampled_from(["replace", "delete", "retype", "message_field", "root"]), min_size=1, max_size=3)
    )
    for operation in operations:
        if operation == "root":
            document = data.draw(JSON_VALUES)
            continue
        if operation == "message_field" and isinstance(document, list) and document:
            message = document[data.draw(st.integers(0, len(document) - 1))]
            if isinstance(message, dict):
                message[data.draw(st.sampled_from(MESSAGE_KEYS))] = data.draw(JSON_VALUES)
            continue
        slots = _slots(document, [])
        if not slots:
            continue
        container, key = slots[data.draw(st.integers(0, len(slots) - 1))]
        if operation == "delete":
            del container[key]
        elif operation == "retype":
            current = container[key]
            container[key] = data.draw(
                st.sampled_from([str(current), [current], {"v": current}, None, 0, len(str(current))])
            )
        else:
            container[key] = data.draw(JSON_VALUES)
    return document


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_mutated_exports_parse_or_fail_cleanly(data):
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "export"
        shutil.copytree(ARCHIVE, export)
        for name in data.draw(st.lists(st.sampled_from(JSON_FILES), min_size=1, max_size=2, unique=True)):
            member = export / name
            raw = member.read_bytes()
            how = data.draw(st.sampled_from(["json"] * 6 + ["truncate", "flip"]))
            if how == "json":
                member.write_text(  # ensure_ascii=False writes a lone surrogate as such: not UTF-8, refused
                    json.dumps(_mutate_json(data, json.loads(raw)), ensure_ascii=data.draw(st.booleans())),
                    encoding="utf-8",
                    errors="surrogatepass",
                )
            elif how == "truncate":
                member.write_bytes(raw[: data.draw(st.integers(0, len(raw)))])
            else:
                position = data.draw(st.integers(0, len(raw) - 1))
                member.write_bytes(raw[:position] + bytes([data.draw(st.integers(0, 255))]) + raw[position + 1 :])
        target = export
        if data.draw(st.booleans()):
            target = zip_folder(export, Path(tmp) / "export.zip")
            if data.draw(st.integers(0, 3)) == 0:
                raw = target.read_bytes()
                cut = data.draw(st.integers(0, len(raw)))
                damaged = bytearray(raw[:cut])
                if damaged and data.draw(st.booleans()):
                    damaged[data.draw(st.integers(0, len(damaged) - 1))] ^= 0xFF
                target.write_bytes(bytes(damaged))
        try:
            events = list(parse(target, ImportOptions()))
        except ImportFailed as failure:
            assert failure.problems and all(p.file and p.message for p in failure.problems)
            note_outcome("refused")
            return
        note_outcome("parsed")
        for event in events:
            assert event.occurred_at.tzinfo is not None and event.actor_kind in ACTOR_KINDS and event.kind == "message"
            assert "xoxx-REDACTED" not in json.dumps(event.as_json())
            check_untrusted_fields(event)
