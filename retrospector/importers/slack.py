"""Slack workspace export (a .zip or the unpacked folder), or loose day files, to timeline events. Pure Python: no
Django.

Layout read:
    users.json                       people and bots (id -> name); missing is a problem
    channels.json, groups.json,      conversations (id, name); all optional: without them the
    mpims.json, dms.json             channel folders' names are used as both name and id
    <channel>/<anything>.json        one "day file" per folder and day: a JSON list of messages

Loose files (parse_files, or parse() given one .json file): day files picked one by one, without their folder, so
all of one channel, named by options.channels (exactly one name; without it the import asks for it: a problem on
`channel`). users.json and channels.json may be picked with them: people then get their names, and the channel its
id (so its messages have the same source_ref as from the whole export, and are not imported twice); without
users.json a message's user_profile name, else its user id, is the actor. Other export-level lists
(integration_logs.json...) are skipped. Problems name each file as picked ("2024-03-04.json").

survey() counts the messages of each channel of an export, in and out of options.since/until, for a person to choose
channels from; it checks nothing (parse() does) and reads through the same limits.

Decisions (documented for the lead / users):
- Time and identity come from each message's `ts` ("1585412040.000200", UTC, microseconds), never
  from a day file's name. source_ref is "<channel id>/<ts>" (channel name when the id is unknown).
- Output order: channels in folder-name order, day files in name order, messages in file order.
  Callers sort (registry.sort_for_display); thread replies carry parent_ref whatever the order.
- channel_join / channel_leave / group_join / group_leave are skipped as noise. message_changed and
  message_replied (hidden bookkeeping records; an export already holds each message's latest text
  with an `edited` mark) are skipped too. Other system subtypes (bot_add, channel_topic, pinned_item,
  file_comment...) are kept as ordinary messages.
- Deleted messages (`subtype: message_deleted` or `tombstone`, or a hidden "This message was deleted.")
  are kept as events with deleted=True and empty text and no attachments, so thread replies still
  find their parent.
- Messages with no `user` and no bot marker get actor "Slack", actor_kind "system".
- An unknown user id is not a problem: the id (or the message's own user_profile name) is the actor.
- With options.channels, other channels' day files are not read at all (their problems are not
  reported either). since/until are applied per event through options.wants().
- Checked strictly (a problem each): ts, thread_ts, user, text. Decorations (files, attachments,
  edited, pinned_to, reactions, subtype...) of an unexpected type are ignored.
- Once a problem was found no more events are yielded (the caller discards everything anyway);
  reading goes on to collect up to options.max_problems problems, then ImportFailed is raised.
- Memory: one day file is in memory at a time, plus one set of message ids (ints) for the channel
  being read (to refuse duplicate ids), so it grows with the largest channel, not the export.
- Zip members are read in memory only (nothing is extracted); in a folder only regular files are read
  (symlinks, pipes and devices are ignored).
- Links: a file's permalink (else url_private) and an attachment's title_link are kept only when they are http(s)
  URLs with a host (core.untrusted.http_url); `javascript:`, `data:` and the like are dropped (the name stays).
- A lone surrogate ("\\ud800", half of a character) in any string becomes U+FFFD, as in every importer.

Limits (an export over one is refused with a problem naming the limit; nothing is imported):
- at most MAX_MEMBERS (100,000) files;
- each .json file at most MAX_MEMBER_BYTES (32 MB) unpacked: it is read whole and parsed, so this
  bounds the memory an import needs (a Slack day file is a few KB to a few MB);
- everything at most MAX_TOTAL_BYTES (2 GB) unpacked;
- in a zip, no .json file (and not the zip as a whole) may unpack to more than MAX_RATIO (100) times
  its compressed size (Slack exports unpack to 5 to 20 times); what unpacks to at most
  RATIO_FLOOR_BYTES (1 MB) is never refused for its ratio.
The member count is read from the zip's last record before the zip's directory is loaded; the sizes
and ratios are checked on the declared sizes before anything is unpacked; then the bytes really read
are counted against the per-file and total limits, whatever the headers said (a folder's file may
also grow after it was listed). Each file is read once, in 1 MB chunks: the guess of the workspace's
domain reads the first 256 KB of up to 25 files, and reading them later goes on from there.
"""

from __future__ import annotations

import json
import os
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from retrospector.core.untrusted import http_url, may_hold_surrogate_escapes, utc_in_range, without_lone_surrogates

from .base import (
    EPOCH,
    Attachment,
    ImportFailed,
    ImportOptions,
    ImportProblem,
    ParsedEvent,
    ProblemCollector,
    check_file_size,
    clip_text,
)
from .zip_limits import size_text as _size_text
from .zip_limits import zip_entry_count

# Limits (see "Limits" above); each is checked on the declared sizes before anything is unpacked, and the bytes
# really read are counted against MAX_TOTAL_BYTES and MAX_MEMBER_BYTES too.
MAX_MEMBER_BYTES = 32 * 1024 * 1024  # one .json file unpacked: read whole and parsed, so it bounds the memory used
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024  # everything unpacked
MAX_MEMBERS = 100_000  # files in the zip or folder (a Slack export has one per channel and day)
MAX_RATIO = 100  # unpacked / compressed, for a member or the whole zip; Slack exports are about 5 to 20
RATIO_FLOOR_BYTES = 1024 * 1024  # what unpacks to no more than this is never refused for its ratio
PEEK_BYTES = 256 * 1024  # read of a day file's start to find the workspace's domain
READ_CHUNK_BYTES = 1024 * 1024

CONVERSATION_LISTS = ("channels.json", "groups.json", "mpims.json", "dms.json")
META_FILES = frozenset({"users.json", *CONVERSATION_LISTS})
# Export-level lists that hold no messages: skipped when picked among loose day files.
OTHER_LISTS = frozenset({"integration_logs.json", "org_users.json", "canvases.json", "file_conversations.json"})
SKIPPED_SUBTYPES = frozenset(
    {"channel_join", "channel_leave", "group_join", "group_leave", "message_changed", "message_replied"}
)
DELETED_SUBTYPES = frozenset({"message_deleted", "tombstone"})
DELETED_TEXT = "This message was deleted."
TS_RE = re.compile(r"(\d{1,15})\.(\d{6})")
DAY_FILE_RE = re.compile(r"\d{4}-\d{2}-\d{2}\.json")
TOKEN_RE = re.compile(r"xox[a-z]-[A-Za-z0-9-]*", re.IGNORECASE)
TOKEN_PARAMS = frozenset({"t", "token", "access_token", "auth", "key"})
DOMAIN_RE = re.compile(
    rb"https?:(?:\\?/){2}([a-z0-9][a-z0-9-]{0,62})\.slack\.com(?:\\?/)(?:archives|files|services|team)(?:\\?/)"
)
NOT_TEAM_DOMAINS = frozenset({"app", "api", "files", "hooks", "slack-files", "www", "status", "my"})


# --------------------------------------------------------------------------- reading the container


class _Unreadable(Exception):
    """A member could not be read; the message says why."""


def _too_big(size: int) -> str | None:
    """Why a member of `size` bytes (as declared or found) is refused, or None."""
    if size > MAX_MEMBER_BYTES:
        return f"is {_size_text(size)} unpacked; the limit is {_size_text(MAX_MEMBER_BYTES)} per file."
    return None


def _too_many(count: str) -> str:
    return f"holds {count} files; the limit is {MAX_MEMBERS:,} (export fewer channels or a shorter time range)."


class _Source:
    """A zip file or a folder seen as a list of member names ('general/2020-03-28.json').

    Each member is read once, in chunks: peek() reads its first PEEK_BYTES and keeps the member open, and read()
    goes on from there. Every byte read is counted: past MAX_TOTAL_BYTES the import stops (ImportFailed), and past
    MAX_MEMBER_BYTES the member is refused, whatever sizes the zip's headers or the folder's listing gave."""

    names: list[str]
    sizes: dict[str, int]

    def __init__(self, path: Path, problems: ProblemCollector):
        self.label = str(path)
        self.problems = problems
        self.unpacked = 0  # bytes really read so far
        self._peeked: dict[str, tuple[bytes, BinaryIO | None]] = {}  # what peek() read, and the member if not done

    def _open(self, name: str) -> BinaryIO:
        raise NotImplementedError

    def _unreadable(self, exc: Exception) -> str:
        raise NotImplementedError

    def read(self, name: str) -> bytes:
        """All of member `name`; _Unreadable when it cannot be read or holds more than MAX_MEMBER_BYTES."""
        if name in self._peeked:
            start, member = self._peeked.pop(name)
            if member is None:
                return start
        else:
            start, member = b"", self._start(name)
        with member:
            rest, whole = self._take(member, MAX_MEMBER_BYTES - len(start))
        if not whole:
            limit = _size_text(MAX_MEMBER_BYTES)
            raise _Unreadable(f"holds more than {limit} unpacked; the limit is {limit} per file.")
        return start + rest if start else rest

    def peek(self, name: str) -> bytes:
        """The first PEEK_BYTES or so of member `name`, left for read() to go on from."""
        if name not in self._peeked:
            member = self._start(name)
            try:
                start, whole = self._take(member, PEEK_BYTES)
            except BaseException:
                member.close()
                raise
            if whole:
                member.close()
            self._peeked[name] = (start, None if whole else member)
        return self._peeked[name][0]

    def _start(self, name: str) -> BinaryIO:
        try:
            return self._open(name)
        except Exception as exc:
            raise _Unreadable(self._unreadable(exc)) from exc

    def _take(self, member: BinaryIO, limit: int) -> tuple[bytes, bool]:
        """Up to limit + 1 bytes from `member`, and whether they are all that was left in it."""
        parts: list[bytes] = []
        taken = 0
        while taken <= limit:
            try:
                chunk = member.read(min(READ_CHUNK_BYTES, limit + 1 - taken))
            except Exception as exc:
                raise _Unreadable(self._unreadable(exc)) from exc
            if not chunk:
                return b"".join(parts), True
            taken += len(chunk)
            self._count(len(chunk))
            parts.append(chunk)
        return b"".join(parts), False

    def _count(self, size: int) -> None:
        self.unpacked += size
        if self.unpacked > MAX_TOTAL_BYTES:
            limit = _size_text(MAX_TOTAL_BYTES)
            self.problems.add(
                self.label, f"unpacks to more than {limit} (counted while reading); the limit is {limit}."
            )
            raise ImportFailed(self.problems.problems)

    def close(self) -> None:
        for _, member in self._peeked.values():
            if member is not None:
                member.close()
        self._peeked.clear()


def _zip_entry_count(path: Path) -> int | None:
    """How many members the zip's central directory holds, counted up to MAX_MEMBERS + 1 (zip_limits)."""
    return zip_entry_count(path, up_to=MAX_MEMBERS)


class _ZipSource(_Source):
    """The members' declared sizes are checked before anything is unpacked: each .json member against
    MAX_MEMBER_BYTES, the whole against MAX_TOTAL_BYTES, and how many times larger than its compressed bytes a member
    (or the zip) unpacks against MAX_RATIO, for what unpacks to more than RATIO_FLOOR_BYTES."""

    def __init__(self, path: Path, problems: ProblemCollector):
        super().__init__(path, problems)
        try:
            count = _zip_entry_count(path)
        except OSError as exc:
            raise ImportFailed([ImportProblem(file=str(path), message=f"could not be read ({exc}).")]) from exc
        if count is not None and count > MAX_MEMBERS:
            raise ImportFailed([ImportProblem(file=str(path), message=_too_many(f"more than {MAX_MEMBERS:,}"))])
        try:
            self.zip = zipfile.ZipFile(path)
            infos = self.zip.infolist()
        except Exception as exc:
            raise ImportFailed([ImportProblem(file=str(path), message=f"is not a readable zip file ({exc}).")]) from exc
        if len(infos) > MAX_MEMBERS:  # (not counted above: no end record found, yet zipfile read a directory)
            self.zip.close()
            raise ImportFailed([ImportProblem(file=str(path), message=_too_many(f"more than {MAX_MEMBERS:,}"))])
        self.infos: dict[str, zipfile.ZipInfo] = {}
        self.names, self.sizes = [], {}
        total = 0
        for info in infos:
            raw = info.filename.replace("\\", "/")
            if info.is_dir() or raw.endswith("/"):
                continue
            parts = PurePosixPath(raw).parts
            if raw.startswith("/") or ".." in parts or (parts and re.match(r"[A-Za-z]:", parts[0])):
                problems.add(raw, "has an unsafe path (absolute or with '..'); the export was refused.", field="path")
                continue
            name = "/".join(p for p in parts if p not in ("", "."))
            if name in self.infos:
                problems.add(name, "appears twice in the zip file.", field="path")
                continue
            total += info.file_size
            self.infos[name] = info
            self.names.append(name)
            self.sizes[name] = info.file_size
            if name.endswith(".json"):
                why = _too_big(info.file_size) or _bomb(info.file_size, info.compress_size, "")
                if why:
                    problems.add(name, why)
        archive_size = path.stat().st_size
        if total > MAX_TOTAL_BYTES:
            problems.add(self.label, f"unpacks to {_size_text(total)}; the limit is {_size_text(MAX_TOTAL_BYTES)}.")
        elif why := _bomb(total, archive_size, "a file of "):
            problems.add(self.label, why)
        if problems:  # refused before anything is unpacked
            self.zip.close()
            problems.raise_if_any()

    def _open(self, name: str) -> BinaryIO:
        return self.zip.open(self.infos[name])

    def _unreadable(self, exc: Exception) -> str:
        return f"could not be read from the zip file ({exc}); the zip file is corrupt or truncated."

    def close(self) -> None:
        super().close()
        self.zip.close()


def _bomb(size: int, compressed: int, of: str) -> str | None:
    """Why `size` bytes unpacked from `compressed` bytes look like a zip bomb, or None."""
    if size <= RATIO_FLOOR_BYTES or size <= MAX_RATIO * compressed:
        return None
    return (
        f"unpacks to {_size_text(size)} from {of}{_size_text(compressed)} ({size // max(compressed, 1):,} times its "
        f"size); a Slack export unpacks to 5 to 20 times its zip, and more than {MAX_RATIO} times is refused "
        "as a zip bomb."
    )


class _FolderSource(_Source):
    def __init__(self, path: Path, problems: ProblemCollector):
        super().__init__(path, problems)
        self.root = path
        self.names, self.sizes = [], {}
        total = 0
        for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
            rel_dir = Path(dirpath).relative_to(path)
            depth = len(rel_dir.parts)
            dirnames[:] = sorted(d for d in dirnames if depth < 2 and not d.startswith("."))
            for filename in filenames:
                full = Path(dirpath, filename)
                if not filename.endswith(".json"):
                    continue
                try:
                    status = full.lstat()
                except OSError:
                    continue
                if not stat.S_ISREG(status.st_mode):  # symlinks, named pipes, devices
                    continue
                name = (rel_dir / filename).as_posix()
                if len(self.names) == MAX_MEMBERS:
                    raise ImportFailed(
                        [ImportProblem(file=self.label, message=_too_many(f"more than {MAX_MEMBERS:,}"))]
                    )
                self.names.append(name)
                self.sizes[name] = status.st_size
                total += status.st_size
                if why := _too_big(status.st_size):
                    problems.add(name, why)
        if total > MAX_TOTAL_BYTES:
            problems.add(self.label, f"holds {_size_text(total)} of JSON; the limit is {_size_text(MAX_TOTAL_BYTES)}.")
        problems.raise_if_any()  # refused before anything is read

    def _open(self, name: str) -> BinaryIO:
        return open(self.root / name, "rb")

    def _unreadable(self, exc: Exception) -> str:
        return f"could not be read ({getattr(exc, 'strerror', None) or exc})."


def _open_source(path: Path, problems: ProblemCollector) -> _Source:
    if not path.exists():
        raise ImportFailed([ImportProblem(file=str(path), message="no such file or folder.")])
    if path.is_dir():
        return _FolderSource(path, problems)
    check_file_size(path)
    return _ZipSource(path, problems)


def _is_loose_json(path: Path) -> bool:
    """A single .json file (a day file, or users.json...) rather than an export: read as loose files."""
    return path.suffix.lower() == ".json" and path.is_file() and not zipfile.is_zipfile(path)


class _LooseSource(_Source):
    """Files picked one by one: users.json and the conversation lists by their names, every other .json file a day file
    of `channel` (member "<channel>/<name>"). Each file is checked against MAX_MEMBER_BYTES and all of them against
    MAX_TOTAL_BYTES before anything is read, as in a folder; `shown` gives each member's name as picked."""

    def __init__(self, paths: list[Path], channel: str, problems: ProblemCollector):
        super().__init__(Path(paths[0].name if len(paths) == 1 else "the files picked"), problems)
        self.paths: dict[str, Path] = {}
        self.shown: dict[str, str] = {}
        self.names, self.sizes = [], {}
        if len(paths) > MAX_MEMBERS:
            raise ImportFailed([ImportProblem(file=self.label, message=_too_many(f"{len(paths):,}"))])
        total = 0
        for path in paths:
            name = path.name
            if not name.lower().endswith(".json"):
                problems.add(name, "is not a Slack day file (.json); pick an export's .zip on its own, or .json files.")
                continue
            if name in OTHER_LISTS:
                continue
            member = name if name in META_FILES else f"{channel}/{name}"
            if member in self.paths:
                problems.add(name, "was picked twice; pick each day file once.")
                continue
            try:
                size = path.stat().st_size
            except OSError as exc:
                problems.add(name, f"could not be read ({exc.strerror or exc}).")
                continue
            self.paths[member], self.shown[member] = path, name
            self.names.append(member)
            self.sizes[member] = size
            total += size
            if why := _too_big(size):
                problems.add(name, why)
        if total > MAX_TOTAL_BYTES:
            problems.add(self.label, f"hold {_size_text(total)} of JSON; the limit is {_size_text(MAX_TOTAL_BYTES)}.")
        problems.raise_if_any()

    def _open(self, name: str) -> BinaryIO:
        return open(self.paths[name], "rb")

    def _unreadable(self, exc: Exception) -> str:
        return f"could not be read ({getattr(exc, 'strerror', None) or exc})."


def _find_root(names: list[str]) -> str:
    """'' when users.json/channels.json sit at the top, else the one wrapper folder holding them."""
    if any(n in META_FILES for n in names):
        return ""
    wrappers = sorted(
        {
            n.split("/", 1)[0]
            for n in names
            if n.count("/") == 1 and n.split("/", 1)[1] in META_FILES and not n.startswith("__MACOSX")
        }
    )
    return wrappers[0] + "/" if len(wrappers) == 1 else ""


# --------------------------------------------------------------------------- small pure helpers


def parse_slack_ts(value: object) -> datetime:
    """'1585412040.000200' -> aware UTC datetime with microseconds; ValueError otherwise, OverflowError for a time
    past 9999-12-30 (core.untrusted.utc_in_range: a later one cannot be shown in every zone)."""
    if not isinstance(value, str):
        raise TypeError("not a string")
    match = TS_RE.fullmatch(value)
    if match is None:
        raise ValueError("not a Slack timestamp")
    moment = EPOCH + timedelta(seconds=int(match.group(1)), microseconds=int(match.group(2)))
    try:
        return utc_in_range(moment)
    except ValueError:
        raise OverflowError(value) from None


def _ts_key(ts: str) -> int:
    seconds, _, micros = ts.partition(".")
    return int(seconds) * 1_000_000 + int(micros)


def scrub_url(url: object) -> str:
    """A URL without any access token: a query holding a token (t=, token=, xox...) is dropped entirely."""
    if not isinstance(url, str) or not url:
        return ""
    try:
        parts = urlsplit(url.strip())
        query = parts.query
        if query and (
            TOKEN_RE.search(query)
            or any(k.lower() in TOKEN_PARAMS for k, _ in parse_qsl(query, keep_blank_values=True))
        ):
            query = ""
        fragment = "" if TOKEN_RE.search(parts.fragment) else parts.fragment
        clean = urlunsplit((parts.scheme, parts.netloc, parts.path, query, fragment))
    except ValueError:
        return ""
    return "" if TOKEN_RE.search(clean) else clean


def scrub_tokens(text: str) -> str:
    return TOKEN_RE.sub("[token removed]", text)


@dataclass(frozen=True)
class _Conversation:
    id: str
    name: str
    known_id: bool  # the id came from a channels/groups/mpims/dms list


class _Directory:
    """What users.json and the conversation lists say, plus bot names learnt on the way."""

    def __init__(self):
        self.users: dict[str, str] = {}
        self.bot_users: set[str] = set()
        self.bots: dict[str, str] = {}
        self.channel_names: dict[str, str] = {}  # id -> name
        self.by_folder: dict[str, _Conversation] = {}

    def user_name(self, user_id: str) -> str:
        return self.users.get(user_id, user_id)


MARKUP_RE = re.compile(r"<([^<>\n]{1,2000})>")


def _render_markup(directory: _Directory, text: str) -> str:
    """Slack mrkdwn escapes and <...> references to Markdown-ish plain text."""

    def replace(match: re.Match) -> str:
        inner = match.group(1)
        target, sep, label = inner.partition("|")
        if target.startswith("@"):
            user_id = target[1:]
            return "@" + (directory.users.get(user_id) or label or user_id)
        if target.startswith("#"):
            channel_id = target[1:]
            return "#" + (directory.channel_names.get(channel_id) or label or channel_id)
        if target.startswith("!subteam^"):
            name = label or target[len("!subteam^") :]
            return name if name.startswith("@") else "@" + name
        if target.startswith("!"):
            word = target[1:].split("^", 1)[0]
            if word in ("here", "channel", "everyone"):
                return "@" + word
            return label or word
        if target.startswith(("http://", "https://")):
            url = scrub_url(target) or target.split("?", 1)[0]
            return f"[{label}]({url})" if label and label != target else url
        return label or target

    if "<" in text:
        text = MARKUP_RE.sub(replace, text)
    if "&" in text:
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


# --------------------------------------------------------------------------- the parser


def _load_json(source: _Source, name: str, problems: ProblemCollector) -> tuple[bool, object]:
    try:
        data = source.read(name)
    except _Unreadable as exc:
        problems.add(name, str(exc))
        return False, None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.add(name, f"is not UTF-8 text (byte {exc.start}).", line=line)
        return False, None
    try:
        value = json.loads(text)
        # A lone surrogate ("\ud800", half of a character) becomes U+FFFD, as in every importer.
        return True, without_lone_surrogates(value) if may_hold_surrogate_escapes(text) else value
    except json.JSONDecodeError as exc:
        problems.add(name, f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).", line=exc.lineno)
    except RecursionError:
        problems.add(name, "is not usable JSON: it is nested too deeply.")
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        problems.add(name, f"is not usable JSON: {exc}.")
    return False, None


def _load_list(source: _Source, name: str, problems: ProblemCollector, of_what: str) -> list | None:
    """The JSON list in member `name`; None after a problem (unreadable, not JSON, or
    "must be a list of <of_what>.")."""
    ok, value = _load_json(source, name, problems)
    if not ok:
        return None
    if not isinstance(value, list):
        problems.add(name, f"must be a list of {of_what}.", pointer="")
        return None
    return value


def _read_users(source: _Source, name: str, directory: _Directory, problems: ProblemCollector) -> None:
    for user in _load_list(source, name, problems, "users") or ():
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            continue
        profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
        display = (
            _str(user.get("real_name")).strip()
            or _str(profile.get("real_name")).strip()
            or _str(profile.get("display_name")).strip()
            or _str(user.get("name")).strip()
            or user["id"]
        )
        directory.users[user["id"]] = display
        if user.get("is_bot") is True:
            directory.bot_users.add(user["id"])
            bot_id = profile.get("bot_id")
            if isinstance(bot_id, str):
                directory.bots.setdefault(bot_id, display)


def _read_conversations(source: _Source, name: str, directory: _Directory, problems: ProblemCollector) -> None:
    for conversation in _load_list(source, name, problems, "conversations") or ():
        if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str) or not conversation["id"]:
            continue
        cid = conversation["id"]
        cname = (
            conversation.get("name") if isinstance(conversation.get("name"), str) and conversation.get("name") else cid
        )
        entry = _Conversation(id=cid, name=cname, known_id=True)
        directory.channel_names.setdefault(cid, cname)
        directory.by_folder.setdefault(cname, entry)  # channels/groups/mpims: folder named after the name
        directory.by_folder.setdefault(cid, entry)  # dms: folder named after the id


def _guess_team_domain(source: _Source, names: list[str]) -> str:
    """The workspace's <domain>.slack.com, from links in the first few files (exports do not state it)."""
    for name in names[:25]:
        try:
            data = source.peek(name)
        except _Unreadable:
            continue
        for match in DOMAIN_RE.finditer(data):
            domain = match.group(1).decode("ascii")
            if domain not in NOT_TEAM_DOMAINS:
                return domain
    return ""


def parse(path: Path, options: ImportOptions, *, team_domain: str | None = None) -> Iterator[ParsedEvent]:
    """Yield one event per Slack message; raise ImportFailed with every problem at the end.

    team_domain ("acme" for acme.slack.com) makes permalinks; when None it is guessed from links in
    the export, and without one source_url stays "".
    """
    problems = ProblemCollector(limit=max(1, options.max_problems))
    if team_domain is not None:
        team_domain = team_domain.strip().lower().removesuffix(".slack.com")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", team_domain):
            raise ValueError(
                f"team_domain {team_domain!r} is not a Slack workspace name like 'acme' (for acme.slack.com)"
            )
    if _is_loose_json(Path(path)):
        yield from parse_files([Path(path)], options, team_domain=team_domain)
        return
    source = _open_source(Path(path), problems)
    try:
        yield from _parse_source(source, options, problems, team_domain)
    finally:
        source.close()
    problems.raise_if_any()


def parse_files(paths: list[Path], options: ImportOptions, *, team_domain: str | None = None) -> Iterator[ParsedEvent]:
    """Loose files (see the module's doc): day files of the one channel named in options.channels, with users.json and
    channels.json when picked too. Yields events as parse() does; ImportFailed names each file as picked."""
    problems = ProblemCollector(limit=max(1, options.max_problems))
    paths = [Path(p) for p in paths]
    day_names = [p.name for p in paths if p.name not in META_FILES and p.name not in OTHER_LISTS]
    channels = sorted(options.channels or ())
    if day_names and len(channels) != 1:
        first = day_names[0]
        problems.add(
            first,
            "does not say which channel it is from: give the channel's name (one name) so that its messages are "
            "filed under it."
            if not channels
            else f"day files are all of one channel; give one channel's name, not {len(channels)}.",
            field="channel",
        )
        problems.raise_if_any()
    source = _LooseSource(paths, channels[0] if channels else "", problems)
    try:
        yield from _parse_source(source, options, problems, team_domain, loose=True)
    finally:
        source.close()
    if problems:
        raise ImportFailed([replace(p, file=source.shown.get(p.file, p.file)) for p in problems.problems])


@dataclass(frozen=True)
class ChannelCount:
    """A channel of an export and how many messages it holds within options.since/until (`messages`) and outside."""

    name: str
    messages: int
    outside: int = 0


def survey(path: Path, options: ImportOptions) -> list[ChannelCount]:
    """Every channel of an export (a zip or folder) with its messages counted in and out of options.since/until
    (options.channels is ignored: this is what to choose from), in name order. Checks nothing: a day file that does
    not read counts nothing (parse() reports it). Loose day files give [] (there is one channel, named by the person).
    Raises ImportFailed when the export is refused by the limits, as parse() would."""
    path = Path(path)
    if _is_loose_json(path):
        return []
    ignored = ProblemCollector(limit=MAX_MEMBERS)
    source = _open_source(path, ProblemCollector(limit=max(1, options.max_problems)))
    try:
        root, day_files = _day_files(source)
        directory = _Directory()
        for list_name in CONVERSATION_LISTS:
            if root + list_name in source.sizes:
                _read_conversations(source, root + list_name, directory, ignored)
        counts: dict[str, list[int]] = {}
        for folder, names in sorted(day_files.items()):
            conversation = directory.by_folder.get(folder)
            tally = counts.setdefault(conversation.name if conversation else folder, [0, 0])
            for name in names:
                try:
                    messages = json.loads(source.read(name).decode("utf-8-sig"))
                except (_Unreadable, UnicodeDecodeError, ValueError, RecursionError):
                    continue
                for message in messages if isinstance(messages, list) else ():
                    if not isinstance(message, dict) or message.get("subtype") in SKIPPED_SUBTYPES:
                        continue
                    try:
                        at = parse_slack_ts(message.get("ts"))
                    except (TypeError, ValueError, OverflowError):
                        continue
                    inside = (options.since is None or at >= options.since) and (
                        options.until is None or at <= options.until
                    )
                    tally[0 if inside else 1] += 1
                del messages
    finally:
        source.close()
    return [ChannelCount(name, inside, outside) for name, (inside, outside) in sorted(counts.items())]


def _day_files(source: _Source) -> tuple[str, dict[str, list[str]]]:
    """The export's root ('' or its wrapper folder) and its day files by channel folder, each in name order."""
    root = _find_root(source.names)
    names = sorted(n for n in source.names if n.startswith(root) and not n.startswith("__MACOSX/"))
    day_files: dict[str, list[str]] = {}
    for name in names:
        rest = name[len(root) :]
        if rest.count("/") == 1 and rest.endswith(".json"):
            folder, filename = rest.split("/")
            if folder and filename and not folder.startswith("."):
                day_files.setdefault(folder, []).append(name)
    return root, day_files


def _parse_source(
    source: _Source, options: ImportOptions, problems: ProblemCollector, team_domain: str | None, *, loose=False
) -> Iterator[ParsedEvent]:
    root, day_files = _day_files(source)
    directory = _Directory()

    users_name = root + "users.json"
    if team_domain is None:
        day_names = [n for files in day_files.values() for n in files[:3]]
        candidates = [users_name] + day_names
        team_domain = _guess_team_domain(source, [n for n in candidates if n in source.sizes])

    if users_name in source.sizes:
        _read_users(source, users_name, directory, problems)
    elif not loose:  # loose day files: the actors are the messages' profile names or user ids
        problems.add(
            users_name, "is missing: a Slack export holds users.json beside channels.json (export the whole workspace)."
        )
    for list_name in CONVERSATION_LISTS:
        if root + list_name in source.sizes:
            _read_conversations(source, root + list_name, directory, problems)

    for folder in sorted(day_files):
        conversation = directory.by_folder.get(folder) or _Conversation(id=folder, name=folder, known_id=False)
        if options.channels is not None and conversation.name not in options.channels:
            continue
        seen: set[int] = set()
        for name in day_files[folder]:
            if len(problems.problems) >= problems.limit:
                return
            messages = _load_list(source, name, problems, "messages (a Slack day file)")
            if messages is None:
                continue
            for index, message in enumerate(messages):
                if len(problems.problems) >= problems.limit:
                    return
                event = _message_event(message, index, name, conversation, directory, problems, seen, team_domain)
                if event is not None and not problems and options.wants(event):
                    yield event
            del messages


def _message_event(
    message: object,
    index: int,
    name: str,
    conversation: _Conversation,
    directory: _Directory,
    problems: ProblemCollector,
    seen: set[int],
    team_domain: str,
) -> ParsedEvent | None:
    if not isinstance(message, dict):
        problems.add(name, "must be a message object.", pointer=f"/{index}")
        return None
    ts = message.get("ts")
    if ts is None:
        problems.add(
            name, "is missing: every Slack message has a ts (its id and time).", pointer=f"/{index}/ts", field="ts"
        )
        return None
    try:
        occurred_at = parse_slack_ts(ts)
    except (TypeError, ValueError):
        problems.add(
            name,
            f'{_preview(ts)} is not a Slack timestamp like "1585412040.000200".',
            pointer=f"/{index}/ts",
            field="ts",
        )
        return None
    except OverflowError:
        problems.add(
            name,
            f"{_preview(ts)} is not a possible time (it is beyond 9999-12-30).",
            pointer=f"/{index}/ts",
            field="ts",
        )
        return None
    key = _ts_key(ts)
    if key in seen:
        problems.add(
            name,
            f"{ts} is the id of another message in channel {conversation.name}; message ids must be unique.",
            pointer=f"/{index}/ts",
            field="ts",
        )
        return None
    seen.add(key)

    thread_ts = message.get("thread_ts")
    parent_ref = ""
    if thread_ts is not None:
        try:
            parse_slack_ts(thread_ts)
        except (TypeError, ValueError, OverflowError):
            problems.add(
                name,
                f'{_preview(thread_ts)} is not a Slack timestamp like "1585412040.000200".',
                pointer=f"/{index}/thread_ts",
                field="thread_ts",
            )
            return None
        if thread_ts != ts:
            parent_ref = f"{conversation.id}/{thread_ts}"

    user = message.get("user")
    if user is not None and not isinstance(user, str):
        problems.add(name, "must be a user id (a string).", pointer=f"/{index}/user", field="user")
        return None
    text = message.get("text")
    if text is not None and not isinstance(text, str):
        problems.add(name, "must be a string.", pointer=f"/{index}/text", field="text")
        return None

    subtype = message.get("subtype") if isinstance(message.get("subtype"), str) else ""
    if subtype in SKIPPED_SUBTYPES:
        return None
    comment = message.get("comment")
    if user is None and isinstance(comment, dict) and isinstance(comment.get("user"), str):
        user = comment["user"]  # legacy file_comment messages name the commenter only there
    bot_id = message.get("bot_id") if isinstance(message.get("bot_id"), str) and message.get("bot_id") else ""
    if subtype == "bot_add" and bot_id:
        _learn_bot_name(directory, bot_id, message, text or "")

    # Who.
    username = _str(message.get("username")).strip()
    bot_profile = message.get("bot_profile") if isinstance(message.get("bot_profile"), dict) else {}
    is_bot = (
        subtype == "bot_message"
        or (not user and (bool(bot_id) or bool(username) or bool(bot_profile)))
        or (bool(user) and user in directory.bot_users)
    )
    if is_bot:
        actor_kind = "bot"
        actor = (
            username
            or _str(bot_profile.get("name")).strip()
            or directory.bots.get(bot_id, "")
            or (directory.users.get(user, "") if user else "")
            or bot_id
            or user
            or "bot"
        )
    elif user:
        actor_kind = "person"
        actor = directory.users.get(user) or _profile_name(message) or user
    else:
        actor_kind, actor = "system", "Slack"

    # What.
    deleted = subtype in DELETED_SUBTYPES or (
        text == DELETED_TEXT and (message.get("hidden") is True or subtype == "tombstone")
    )
    attachments: tuple[Attachment, ...] = ()
    if deleted:
        body = ""
    else:
        parts = [text or ""]
        if is_bot or not (text or "").strip():
            parts.extend(_folded_attachments(message.get("attachments")))
        body = _render_markup(directory, "\n".join(p for p in parts if p))
        attachments = _files(message)
        if message.get("hidden") is True and not body and not attachments:
            return None

    permalink = ""
    if team_domain and conversation.known_id:
        permalink = f"https://{team_domain}.slack.com/archives/{conversation.id}/p{ts.replace('.', '')}"
        if parent_ref:
            permalink += f"?thread_ts={thread_ts}&cid={conversation.id}"

    pinned = bool(message.get("pinned_to")) or bool(message.get("pins")) or message.get("is_pinned") is True
    return ParsedEvent(
        occurred_at=occurred_at,
        original_time=ts,
        original_offset_minutes=None,
        actor=clip_text(scrub_tokens(actor))[:200],
        actor_kind=actor_kind,
        text=clip_text(scrub_tokens(body)),
        kind="message",
        source_type="slack",
        source_ref=f"{conversation.id}/{ts}",
        source_url=permalink,
        channel=conversation.name,
        key_candidate=pinned,
        attachments=attachments,
        edited=bool(message.get("edited")) and not deleted,
        deleted=deleted,
        parent_ref=parent_ref,
    )


def _preview(value: object) -> str:
    shown = (
        json.dumps(value, ensure_ascii=False)
        if isinstance(value, (str, int, float, bool)) or value is None
        else type(value).__name__
    )
    return shown if len(shown) <= 40 else shown[:39] + "…"


def _profile_name(message: dict) -> str:
    profile = message.get("user_profile")
    if not isinstance(profile, dict):
        return ""
    return (
        _str(profile.get("real_name")).strip()
        or _str(profile.get("display_name")).strip()
        or _str(profile.get("name")).strip()
    )


_BOT_LINK_RE = re.compile(r"<[^<>|]*/services/([A-Z0-9]+)\|([^<>]+)>")


def _learn_bot_name(directory: _Directory, bot_id: str, message: dict, text: str) -> None:
    """bot_add messages name the integration: 'added an integration to this channel: <…/services/B0…|github>'."""
    if bot_id in directory.bots:
        return
    link = _str(message.get("bot_link"))
    match = _BOT_LINK_RE.search(link or text)
    if match and match.group(1) == bot_id:
        directory.bots[bot_id] = match.group(2).strip()[:100]


def _folded_attachments(value: object) -> list[str]:
    """Bot messages carry their content in legacy `attachments`: keep pretext, title, text and fields."""
    if not isinstance(value, list):
        return []
    parts: list[str] = []
    for attachment in value[:50]:
        if not isinstance(attachment, dict):
            continue
        pretext = _str(attachment.get("pretext")).strip()
        title = _str(attachment.get("title")).strip()
        title_link = http_url(scrub_url(attachment.get("title_link")))
        body = _str(attachment.get("text")).strip()
        if pretext:
            parts.append(pretext)
        if title:
            parts.append(f"[{title}]({title_link})" if title_link else title)
        if body:
            parts.append(body)
        fields = attachment.get("fields")
        if isinstance(fields, list):
            for item in fields[:50]:
                if isinstance(item, dict) and (_str(item.get("title")) or _str(item.get("value"))):
                    parts.append(f"{_str(item.get('title'))}: {_str(item.get('value'))}".strip(": "))
        if not (pretext or title or body):
            fallback = _str(attachment.get("fallback")).strip()
            if fallback:
                parts.append(fallback)
    return parts


def _files(message: dict) -> tuple[Attachment, ...]:
    files = message.get("files")
    items = list(files) if isinstance(files, list) else []
    if isinstance(message.get("file"), dict):
        items.append(message["file"])
    result = []
    for item in items[:100]:
        if not isinstance(item, dict):
            continue
        name = _str(item.get("title")).strip() or _str(item.get("name")).strip() or _str(item.get("id")).strip()
        if not name or item.get("mode") == "tombstone":
            continue
        # Only an http(s) link is kept: a `javascript:` or `data:` permalink must never become a link on the page.
        url = http_url(scrub_url(item.get("permalink"))) or http_url(scrub_url(item.get("url_private")))
        result.append(Attachment(name=scrub_tokens(name)[:300], mimetype=_str(item.get("mimetype"))[:100], url=url))
    return tuple(result)


# --------------------------------------------------------------------------- format detection


def sniff(path: Path) -> bool:
    """Whether `path` looks like a Slack export (a zip or folder with users/channels lists or day files)."""
    try:
        path = Path(path)
        if path.is_dir():
            names = []
            for child in path.iterdir():
                if child.is_file() and child.name in META_FILES:
                    return True
                if child.is_dir():
                    for grandchild in list(child.iterdir())[:50]:
                        names.append(f"{child.name}/{grandchild.name}")
        elif zipfile.is_zipfile(path):
            if (_zip_entry_count(path) or 0) > MAX_MEMBERS:  # loading its directory would cost too much memory
                return False
            with zipfile.ZipFile(path) as archive:
                names = [n.replace("\\", "/") for n in archive.namelist()[:100_000]]
        else:
            return False
    except Exception:
        return False
    for name in names:
        parts = name.split("/")
        if parts[-1] in META_FILES and len(parts) <= 2:
            return True
        if len(parts) in (2, 3) and DAY_FILE_RE.fullmatch(parts[-1]):
            return True
    return False


__all__ = ["ChannelCount", "parse", "parse_files", "parse_slack_ts", "scrub_url", "sniff", "survey"]
