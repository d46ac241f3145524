"""Types shared by every importer. Pure Python: no Django import."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from retrospector.core.untrusted import http_url

EVENT_KINDS = ("message", "page", "alert_firing", "alert_resolved", "deploy", "log", "note", "milestone")
ACTOR_KINDS = ("person", "system", "bot")
SOURCE_TYPES = ("slack", "pagerduty", "alertmanager", "grafana", "opsgenie", "github", "csv", "jsonl", "manual")
MAX_TEXT = 20_000  # characters kept of one event's text
MAX_FILE_BYTES = 1024 * 1024 * 1024  # inputs larger than this are refused before parsing
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Attachment:
    name: str
    mimetype: str = ""
    url: str = ""  # a permalink with any access token removed; only an http(s) URL is kept (else "")

    def __post_init__(self):
        if self.url:
            object.__setattr__(self, "url", http_url(self.url))


@dataclass(slots=True)
class ParsedEvent:
    # Not frozen: a frozen dataclass sets every field through object.__setattr__, which made building one cost
    # 3.8 µs instead of 0.9 µs; a million-message import builds a million of them. Parsers hand them over and never
    # change them.

    occurred_at: datetime  # timezone-aware, in UTC
    original_time: str  # the time exactly as the source wrote it ("1585412040.000200", "2024-05-01T10:00:00+02:00")
    original_offset_minutes: int | None  # the offset the source gave, east of UTC; None when it gave none (or epoch)
    actor: str  # display name: "Priya Raman", "Alertmanager", "deploy-bot"
    actor_kind: str  # one of ACTOR_KINDS
    text: str  # Markdown-ish plain text, at most MAX_TEXT characters
    kind: str  # one of EVENT_KINDS
    source_type: str  # one of SOURCE_TYPES
    source_ref: str  # unique per incident and source: Slack "C123/1585412040.000200", PD log entry id, "app.log:1234"
    source_url: str = ""  # a permalink when the source has one: an http(s) URL (core.untrusted.http_url) or ""
    channel: str = ""  # Slack channel, PagerDuty service, alert group...: what --channel filters on
    key_candidate: bool = False  # e.g. a pinned Slack message
    tags: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    edited: bool = False  # the text is the latest edit
    deleted: bool = False
    parent_ref: str = ""  # a thread reply's parent source_ref

    def as_json(self) -> dict:
        return {
            "time": self.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z"),
            "original_time": self.original_time,
            "actor": self.actor,
            "actor_kind": self.actor_kind,
            "text": self.text,
            "kind": self.kind,
            "source": {"type": self.source_type, "ref": self.source_ref, "url": self.source_url},
            "channel": self.channel,
            "key_candidate": self.key_candidate,
            "edited": self.edited,
            "deleted": self.deleted,
            "parent_ref": self.parent_ref,
            "attachments": [a.__dict__ for a in self.attachments],
            "tags": list(self.tags),
        }


@dataclass(frozen=True)
class ImportProblem:
    file: str  # the path as given, or the member name inside a zip
    message: str  # one sentence a person can act on
    line: int | None = None  # 1-based, for line-oriented inputs
    pointer: str | None = None  # RFC 6901 JSON pointer, for JSON inputs ("/3/ts")
    field: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.pointer is not None:
            where += f"#{self.pointer}"
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


class ImportFailed(Exception):
    """Raised with every problem found; nothing from the input may be saved."""

    def __init__(self, problems: Iterable[ImportProblem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems[:5]) + (" …" if len(self.problems) > 5 else ""))


@dataclass
class ImportOptions:
    tz: ZoneInfo | None = None  # the zone of naive times; naive times without it are refused
    since: datetime | None = None  # aware; events before are skipped
    until: datetime | None = None  # aware; events after are skipped
    channels: frozenset[str] | None = None  # only these channels/services, when given
    max_problems: int = 100  # stop collecting after this many

    def wants(self, event: ParsedEvent) -> bool:
        if self.since is not None and event.occurred_at < self.since:
            return False
        if self.until is not None and event.occurred_at > self.until:
            return False
        return not (self.channels is not None and event.channel not in self.channels)


class ProblemCollector:
    """Collects problems while a parser goes on, so a user sees all of them at once."""

    def __init__(self, limit: int = 100):
        self.limit = limit
        self.problems: list[ImportProblem] = []

    def add(self, file: str, message: str, **where) -> None:
        if len(self.problems) < self.limit:
            self.problems.append(ImportProblem(file=file, message=message, **where))

    def raise_if_any(self) -> None:
        if self.problems:
            raise ImportFailed(self.problems)

    def __bool__(self) -> bool:
        return bool(self.problems)


def clip_text(text: str) -> str:
    text = text.replace("\x00", "")
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def check_file_size(path: Path, name: str | None = None) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ImportFailed(
            [
                ImportProblem(
                    file=name or str(path),
                    message=f"is {size / 1024**3:.1f} GB; the limit is {MAX_FILE_BYTES // 1024**3} GB.",
                )
            ]
        )


def offset_minutes(moment: datetime) -> int | None:
    offset = moment.utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


def pointer_join(prefix: str, *parts: object) -> str:
    """A JSON pointer (RFC 6901): `prefix` ("/3" or "") and the escaped `parts` ("a/b" -> "/a~1b")."""
    return prefix + "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 / ISO 8601 time with a zone ('Z' or ±hh:mm), nanoseconds allowed; raises ValueError otherwise."""
    if not isinstance(text, str) or len(text) > 64:
        raise ValueError("not a time")
    value = text.strip()
    if value.endswith("z"):  # RFC 3339 allows "z"; 3.11's fromisoformat takes "Z" only (and cuts nanoseconds itself)
        value = value[:-1] + "Z"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("has no time zone")
    return moment


def dump_events_json(events: Iterator[ParsedEvent]) -> str:
    return json.dumps([e.as_json() for e in events], ensure_ascii=False, indent=2)
