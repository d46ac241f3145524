"""Helpers shared by the webhook-payload importers (PagerDuty, Alertmanager, Grafana, Opsgenie,
GitHub). Pure Python: no Django.

Input shapes every one of them accepts:
- one JSON document (a payload object);
- a JSON array of payloads (problems point at "/3/...");
- JSON lines, one payload (or array of payloads) per line (problems carry the line number and a
  pointer inside that line's document).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from retrospector.core.untrusted import http_url as _http_url
from retrospector.core.untrusted import may_hold_surrogate_escapes, utc_in_range, without_lone_surrogates

from .base import (
    ImportOptions,
    ParsedEvent,
    ProblemCollector,
    check_file_size,
    clip_text,
    offset_minutes,
    parse_rfc3339,
    pointer_join,
)
from .sniff import looks_like

ZERO_TIME_PREFIX = "0001-01-01T00:00:00"  # Go's zero time: "not set" in Alertmanager and Grafana


def json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def type_name(value: object) -> str:
    """The Python type's name of a decoded JSON value, 'null' for None (for "... instead of an object")."""
    return type(value).__name__ if value is not None else "null"


def shown(value: object, limit: int = 60) -> str:
    """A short, safe rendering of an untrusted value for a problem message."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = "".join(c if c.isprintable() else "?" for c in text)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


@dataclass
class Doc:
    """One payload: its value, where it sits in the file (pointer prefix, JSON-lines line)."""

    value: Any
    prefix: str
    line: int | None

    @property
    def where(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.prefix:
            parts.append(self.prefix)
        return " ".join(parts) or "the top level"


class Ctx:
    """Reports problems about one payload with its file, line and JSON pointer."""

    def __init__(self, problems: ProblemCollector, file: str, doc: Doc):
        self.problems = problems
        self.file = file
        self.doc = doc

    def problem(self, message: str, *parts: object, field: str | None = None) -> None:
        pointer = pointer_join(self.doc.prefix, *parts)
        self.problems.add(self.file, message, line=self.doc.line, pointer=pointer or None, field=field)

    def where(self, *parts: object) -> str:
        pointer = pointer_join(self.doc.prefix, *parts)
        return (f"line {self.doc.line} " if self.doc.line is not None else "") + (pointer or "/")


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


MAX_DEPTH = 64  # webhook payloads nest about 6 levels; deeper input is refused before anything recurses over it


def _loads(text: str) -> Any:
    """Decoded JSON; a lone surrogate ("\\ud800") in a string becomes U+FFFD, as in every importer."""
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if may_hold_surrogate_escapes(text):
        value = without_lone_surrogates(value)
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ValueError(f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values() if isinstance(child, (dict, list)))
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node if isinstance(child, (dict, list)))
    return value


def _json_error(exc: ValueError) -> tuple[str, int | None]:
    if isinstance(exc, json.JSONDecodeError):
        return f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", exc.lineno
    return f"is not valid JSON: {exc}", None


def read_documents(path: Path, file: str, problems: ProblemCollector) -> list[Doc]:
    """The payloads in a file; problems (unreadable, not UTF-8, invalid JSON) go to `problems`."""
    try:
        check_file_size(path, file)
        raw = path.read_bytes()
    except OSError as exc:
        problems.add(file, f"cannot be read: {exc.strerror or exc}.")
        return []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(
            file, f"is not UTF-8 text (bad byte at offset {exc.start}).", line=raw[: exc.start].count(b"\n") + 1
        )
        return []
    if not text.strip():
        problems.add(file, "is empty; expected JSON webhook payloads.")
        return []
    try:
        values: list[tuple[Any, int | None]] = [(_loads(text), None)]
    except ValueError as whole_error:
        values = _json_lines(text, file, problems, whole_error)
    docs = []
    for value, line in values:
        if isinstance(value, list):
            docs.extend(Doc(item, f"/{i}", line) for i, item in enumerate(value))
        else:
            docs.append(Doc(value, "", line))
    return docs


def _json_lines(
    text: str, file: str, problems: ProblemCollector, whole_error: ValueError
) -> list[tuple[Any, int | None]]:
    lines = text.split("\n")
    numbered = [(n, line.strip()) for n, line in enumerate(lines, start=1) if line.strip()]
    try:
        first = _loads(numbered[0][1])
    except ValueError:
        first = None
    if len(numbered) < 2 or not isinstance(first, (dict, list)):
        message, line = _json_error(whole_error)
        problems.add(file, message + ".", line=line)
        return []
    values = []
    for number, line_text in numbered:
        try:
            values.append((_loads(line_text), number))
        except ValueError as exc:
            message, _ = _json_error(exc)
            problems.add(
                file,
                message.replace(" (line 1, ", " (") + " — this looks like JSON lines, one payload per line.",
                line=number,
            )
    return values


def wrong_payload(ctx: Ctx, payload: Any, what: str, missing: str, source: str) -> None:
    """The problem for a document that is not `what` ("an Opsgenie webhook payload"): an object says what
    it lacks (`missing`), anything else its type; and which other source it looks like."""
    why = missing if isinstance(payload, dict) else f"{type_name(payload)} instead of an object"
    ctx.problem(f"this is not {what} ({why}){looks_like(payload, source)}.")


def text_of(value: Any) -> str:
    """A string field of an untrusted payload: strings as they are, numbers as text, else ''."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return str(value)
    return ""


def obj(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def http_url(*candidates: Any) -> str:
    """The first candidate that is a plain http(s) URL with a host; payload URLs are untrusted (no javascript:)."""
    for value in candidates:
        url = _http_url(value)
        if url:
            return url
    return ""


def stable_hash(value: Any) -> str:
    """A short hash that stays the same across runs (unlike hash())."""
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "replace")).hexdigest()[:16]


@dataclass(frozen=True)
class Moment:
    utc: datetime
    original: str
    offset: int | None


def payload_event(
    moment: Moment, source_type: str, source_ref: str, actor: tuple[str, str], text: str, kind: str, **fields: Any
) -> ParsedEvent:
    """An event at `moment` by `actor` (name, actor_kind), its text clipped; `fields` are the rest
    (source_url, channel...)."""
    name, actor_kind = actor
    return ParsedEvent(
        occurred_at=moment.utc,
        original_time=moment.original,
        original_offset_minutes=moment.offset,
        actor=name,
        actor_kind=actor_kind,
        text=clip_text(text),
        kind=kind,
        source_type=source_type,
        source_ref=source_ref,
        **fields,
    )


def rfc3339_time(
    ctx: Ctx, value: Any, *parts: object, field: str, options: ImportOptions, required: bool = True
) -> Moment | None:
    """An RFC 3339 time (Z, ±hh:mm, ms or ns); naive times take options.tz. None (and a problem) when unusable."""
    if value is None or value == "":
        if required:
            ctx.problem("is missing; expected an RFC 3339 time such as 2024-05-01T10:00:00Z.", *parts, field=field)
        return None
    if not isinstance(value, str):
        ctx.problem(f"must be a time string, not {json_type(value)}.", *parts, field=field)
        return None
    try:
        moment = parse_rfc3339(value)
    except ValueError:
        moment = None
        if options.tz is not None:
            try:
                moment = parse_rfc3339(value.strip() + "+00:00").replace(tzinfo=options.tz)
            except ValueError:
                moment = None
        if moment is None:
            hint = "" if options.tz is not None else " (times without a zone need a time zone option)"
            ctx.problem(
                f"{shown(value)} is not a valid time; expected RFC 3339 such as 2024-05-01T10:00:00Z{hint}.",
                *parts,
                field=field,
            )
            return None
        offset = None
    else:
        offset = offset_minutes(moment)
    try:
        utc = utc_in_range(moment)
    except ValueError as exc:
        ctx.problem(f"{shown(value)} {exc}.", *parts, field=field)
        return None
    return Moment(utc, value, offset)


def is_zero_time(value: Any) -> bool:
    return isinstance(value, str) and value.strip().startswith(ZERO_TIME_PREFIX)


class EventSet:
    """Events by source_ref. A repeated ref with identical content (a webhook delivered twice) is
    dropped; with different content it is a problem (`on_conflict="error"`) or the first one wins
    (`on_conflict="keep_first"`, for alert notifications that repeat with updated annotations)."""

    def __init__(self, on_conflict: str = "error"):
        self.on_conflict = on_conflict
        self.events: dict[str, ParsedEvent] = {}
        self.where: dict[str, str] = {}

    def add(self, event: ParsedEvent, ctx: Ctx, *parts: object, field: str = "id") -> None:
        old = self.events.get(event.source_ref)
        if old is None:
            self.events[event.source_ref] = event
            self.where[event.source_ref] = ctx.where(*parts)
            return
        if old == event or self.on_conflict == "keep_first":
            return
        ctx.problem(
            (
                f"duplicate id {shown(event.source_ref)}: "
                f"{self.where[event.source_ref]} has the same id with different content."
            ),
            *parts,
            field=field,
        )

    def __len__(self) -> int:
        return len(self.events)


def finish(
    events: EventSet | list[ParsedEvent], problems: ProblemCollector, options: ImportOptions
) -> Iterator[ParsedEvent]:
    """Raise ImportFailed with every problem, else the wanted events in time order (stable)."""
    problems.raise_if_any()
    values = list(events.events.values()) if isinstance(events, EventSet) else list(events)
    values.sort(key=lambda e: e.occurred_at)
    return iter([e for e in values if options.wants(e)])


def run(
    path: Path,
    options: ImportOptions,
    name: str | None,
    handle: Callable[[Ctx, EventSet], None],
    on_conflict: str = "error",
) -> Iterator[ParsedEvent]:
    """Read the payloads of `path` and hand each to `handle` (which adds events and problems)."""
    problems = ProblemCollector(options.max_problems)
    events = EventSet(on_conflict)
    for ctx in each_payload(path, name, problems):
        handle(ctx, events)
    return finish(events, problems, options)


def each_payload(path: Path, name: str | None, problems: ProblemCollector) -> Iterator[Ctx]:
    """A Ctx for each payload of `path` (named `name` in problems), until `problems` is full."""
    file = name or str(path)
    for doc in read_documents(path, file, problems):
        if len(problems.problems) >= problems.limit:
            break
        yield Ctx(problems, file, doc)
