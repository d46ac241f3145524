"""A Slack export cannot make the importer unpack more than its limits say, or hold more than one file's worth of it
in memory: hostile zips (bombs, zips that lie about their sizes, zips of countless members) are refused early, and
fast, with a message naming the limit. Pure: no Django.

The zips are built in a few milliseconds (zip_bombs.py).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from webhook_fuzz_support import import_problems
from zip_bombs import MB, deflated, raw_zip, zeros_deflated

from retrospector.importers import slack
from retrospector.importers.base import ImportOptions
from retrospector.importers.slack import parse

pytestmark = pytest.mark.no_database

ARCHIVE = Path(__file__).resolve().parent.parent / "fixtures" / "slack" / "slack-export-viewer-testarchive"
USERS = b'[{"id": "U1", "name": "priya"}]'


def refusal(path: Path, **options) -> tuple[list, float, int]:
    """The problems of importing `path`, the seconds it took and the peak memory (bytes) it allocated."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        problems = import_problems(lambda p: list(parse(p, ImportOptions(**options))), path)
        return problems, time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_zip_declaring_gigabytes_is_refused_before_anything_is_unpacked(tmp_path):
    """The probe's zip: 12 members of 199 MB each (2.3 GB) in a few hundred KB."""
    bomb = zeros_deflated(199)
    members = [("users.json", *deflated(USERS))]
    members += [(f"general/2020-03-{day:02d}.json", bomb, 0, 199 * MB) for day in range(1, 13)]
    problems, seconds, peak = refusal(raw_zip(tmp_path / "bomb.zip", members))
    messages = {p.file: p.message for p in problems}
    assert messages[str(tmp_path / "bomb.zip")].startswith("unpacks to 2.3 GB; the limit is 2 GB")
    assert seconds < 1 and peak < 4 * MB


def test_a_member_that_unpacks_far_beyond_its_size_is_refused_before_it_is_unpacked(tmp_path):
    """20 MB of zeros in 20 KB: under every size limit, but a thousand times smaller than it unpacks."""
    members = [("users.json", *deflated(USERS)), ("general/2020-03-28.json", zeros_deflated(20), 0, 20 * MB)]
    problems, seconds, peak = refusal(raw_zip(tmp_path / "bomb.zip", members))
    problem = {p.file: p for p in problems}["general/2020-03-28.json"]
    assert "unpacks to 20 MB from" in problem.message and "more than 100 times is refused" in problem.message
    assert seconds < 1 and peak < 4 * MB


def test_many_small_members_that_unpack_far_beyond_the_zip_are_refused_together(tmp_path):
    """Each member stays under the size below which no member is refused for its ratio; together they cannot."""
    small_bomb = zeros_deflated(1)
    members = [("users.json", *deflated(USERS))]
    members += [(f"c{index}/2020-03-28.json", small_bomb, 0, MB) for index in range(60)]
    problems, seconds, peak = refusal(raw_zip(tmp_path / "bombs.zip", members))
    (problem,) = problems
    assert problem.file == str(tmp_path / "bombs.zip")
    assert problem.message.startswith("unpacks to 60 MB from a file of ") and "more than 100 times" in problem.message
    assert seconds < 1 and peak < 4 * MB


def test_small_members_are_never_refused_for_their_ratio(tmp_path):
    """A tiny day file padded with whitespace compresses hundreds of times; it is small, so it is read."""
    day = b'[{"type": "message", "user": "U1", "text": "hello", "ts": "1585412040.000200"}' + b" " * 300_000 + b"]"
    members = [("users.json", *deflated(USERS)), ("general/2020-03-28.json", *deflated(day))]
    (event,) = parse(raw_zip(tmp_path / "padded.zip", members), ImportOptions())
    assert (event.actor, event.text) == ("priya", "hello")


def test_a_member_that_declares_less_than_it_holds_is_never_unpacked_past_its_declaration(tmp_path):
    """The headers say 1,000 bytes; the data inflates to 50 MB: reading stops at 1,000 bytes, the CRC then fails."""
    members = [
        ("users.json", *deflated(USERS)),
        ("general/2020-03-28.json", zeros_deflated(50), zlib.crc32(bytes(50 * MB)), 1_000),
    ]
    problems, seconds, peak = refusal(raw_zip(tmp_path / "liar.zip", members))
    problem = {p.file: p for p in problems}["general/2020-03-28.json"]
    assert "corrupt" in problem.message
    assert seconds < 1 and peak < 4 * MB


def test_the_bytes_really_read_are_capped_whatever_the_sizes_said(tmp_path, monkeypatch):
    """Sizes are checked when the export is opened; a file that grows afterwards still meets the cap while it is
    read, counted byte by byte across the export."""
    export = tmp_path / "export"
    shutil.copytree(ARCHIVE, export)
    monkeypatch.setattr(slack, "MAX_TOTAL_BYTES", 200 * 1024)  # the export holds 143,688 bytes
    events = parse(export, ImportOptions())
    next(events)  # the export is open, its sizes checked, the first channel being read
    with (export / "traveling-sailor" / "2016-03-28.json").open("ab") as grown:
        grown.write(b" " * 100_000)
    problems = import_problems(lambda: list(events))
    assert [(p.file, p.message) for p in problems] == [
        (str(export), "unpacks to more than 200 KB (counted while reading); the limit is 200 KB.")
    ]


@pytest.mark.parametrize("peek", [slack.PEEK_BYTES, 1_000])
def test_each_member_is_unpacked_once(tmp_path, monkeypatch, peek):
    """Guessing the workspace's domain peeks at the first files; reading them goes on from where the peek stopped."""
    monkeypatch.setattr(slack, "PEEK_BYTES", peek)
    zipped = tmp_path / "export.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(ARCHIVE.rglob("*.json")):
            archive.write(file, file.relative_to(ARCHIVE).as_posix())
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def counting_open(self, name, *args, **kwargs):
        opened.append(name if isinstance(name, str) else name.filename)
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", counting_open)
    events = list(parse(zipped, ImportOptions()))
    assert events and events[0].source_url.startswith("https://mesos-magellan.slack.com/archives/")
    assert [e.as_json() for e in events] == [e.as_json() for e in parse(ARCHIVE, ImportOptions())]
    assert sorted(opened) == sorted(set(opened))
    assert "users.json" in opened and "enrique/2016-01-14.json" in opened


@pytest.mark.parametrize("declared_count", [None, 1])
def test_a_zip_of_too_many_members_is_refused_before_its_directory_is_read(tmp_path, monkeypatch, declared_count):
    """However many members its end record declares: they are counted as zipfile would read them."""
    monkeypatch.setattr(slack, "MAX_MEMBERS", 50)
    members = [("users.json", *deflated(USERS))] + [(f"c{i}/2020-03-28.json", *deflated(b"[]")) for i in range(60)]
    zipped = raw_zip(tmp_path / "crowd.zip", members, declared_count=declared_count)
    assert len(zipfile.ZipFile(zipped).infolist()) == 61
    seen = []
    monkeypatch.setattr(zipfile.ZipFile, "__init__", lambda *args, **kwargs: seen.append(args))
    problems, _, _ = refusal(zipped)
    assert [(p.file, p.message) for p in problems] == [
        (str(zipped), "holds more than 50 files; the limit is 50 (export fewer channels or a shorter time range).")
    ]
    assert not seen


def test_a_folder_of_too_many_files_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(slack, "MAX_MEMBERS", 10)
    export = tmp_path / "export"
    shutil.copytree(ARCHIVE, export)
    problems, _, _ = refusal(export)
    assert [(p.file, p.message) for p in problems] == [
        (str(export), "holds more than 10 files; the limit is 10 (export fewer channels or a shorter time range).")
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_folder_export_skips_what_is_not_a_regular_file(tmp_path):
    """A named pipe called like a day file would block the reader forever."""
    export = tmp_path / "export"
    shutil.copytree(ARCHIVE, export)
    os.mkfifo(export / "enrique" / "2016-01-01.json")
    result: list = []
    reader = threading.Thread(target=lambda: result.append(len(list(parse(export, ImportOptions())))), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert result and result[0] > 100
