"""Helpers shared by the log importers (csv_log, jsonl). Pure Python: no Django.

- `parse_log_time`: the time formats logs use, to an aware UTC datetime plus the offset the source gave.
- `iter_lines`: physical lines of a binary file with a bound on each line's length (memory stays flat).
- `clean_log_text`: ANSI colours, overstrike and control characters out, then `clip_text`.
- `Problems`: a `ProblemCollector` that shows the same kind of problem a few times, then counts it.
- `split_spec`: "time=ts,text=message,actor=user" to a dict, for the mappings' `from_spec`.
- `LogInput.start`: what both parsers' parse() begins with (names, size check, problems, filter).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import BinaryIO

from retrospector.core.untrusted import MAX_URL, OUT_OF_RANGE, http_url, utc_in_range

from .base import (
    ACTOR_KINDS,
    EPOCH,
    ImportFailed,
    ImportOptions,
    ParsedEvent,
    ProblemCollector,
    check_file_size,
    clip_text,
    offset_minutes,
)

MAX_RECORD_BYTES = 1024 * 1024  # one line (JSON) or one record (CSV); longer ones are refused as a problem
MAX_ACTOR = 200
MAX_CHANNEL = 200
MAX_ORIGINAL_TIME = 100
MAX_REF = 500
_MINUTE = timedelta(minutes=1)

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,12}))?)?"
    r"\s*(?:(Z|z|UTC|GMT)|([+-])(\d{2})(?::?(\d{2}))?)?"
)
_NUMBER = re.compile(r"\s*(\d{1,40})(?:\.(\d{1,40}))?\s*")
_UNIT_NS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
EXAMPLES = "RFC 3339 (2024-05-01T10:00:00Z), 'YYYY-MM-DD HH:MM[:SS[.fff]]', or epoch seconds / ms / µs / ns"


class TimeError(ValueError):
    """A time that cannot be used; str() is a sentence for the user."""


class NoZone(TimeError):
    pass


NO_ZONE = "time has no zone; pass --tz"


def epoch_unit(whole: int) -> str:
    """Seconds, milliseconds, microseconds or nanoseconds, by magnitude (seconds up to the year 5138)."""
    if whole < 10**11:
        return "s"
    if whole < 10**14:
        return "ms"
    if whole < 10**17:
        return "us"
    if whole < 10**20:
        return "ns"
    raise TimeError("is too large for an epoch time")


def epoch_time(whole: str, fraction: str | None = None, unit: str | None = None) -> datetime:
    number = int(whole)
    scale = _UNIT_NS[unit or epoch_unit(number)]
    nanos = number * scale
    if fraction:
        fraction = fraction[:9]
        nanos += int(fraction) * scale // 10 ** len(fraction)
    try:
        return EPOCH + timedelta(microseconds=nanos // 1000)
    except OverflowError:
        raise TimeError("is out of range for an epoch time") from None


def parse_log_time(
    value, tz: tzinfo | None, *, time_format: str | None = None, unit: str | None = None
) -> tuple[datetime, int | None]:
    """(moment in UTC, offset in minutes the source gave or None). `value` is a string or a JSON number.

    Raises NoZone for a naive time without `tz`, TimeError (a ValueError) with a sentence otherwise, also for a time
    too close to the calendar's ends to convert to UTC or to any zone (core.untrusted.utc_in_range).
    """
    moment, offset = _parse_log_time(value, tz, time_format, unit)  # aware, in the zone the source gave
    try:
        return utc_in_range(moment), offset
    except ValueError:
        raise TimeError(OUT_OF_RANGE) from None


def _parse_log_time(value, tz: tzinfo | None, time_format: str | None, unit: str | None) -> tuple[datetime, int | None]:
    """(aware moment, offset or None); parse_log_time converts it to UTC."""
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        raise TimeError(f"is not a time ({EXAMPLES})")
    if isinstance(value, int):
        if value < 0:
            raise TimeError("is a negative epoch time")
        return epoch_time(str(value), None, unit), None
    if isinstance(value, float):
        if not math.isfinite(value) or value < 0:
            raise TimeError("is not a usable epoch time")
        whole, _, fraction = format(value, ".9f").partition(".")
        if len(whole) > 20:
            raise TimeError("is too large for an epoch time")
        return epoch_time(whole, fraction, unit), None
    if not isinstance(value, str):
        raise TimeError(f"is not a time ({EXAMPLES})")
    if len(value) > MAX_ORIGINAL_TIME:
        raise TimeError("is too long to be a time")
    if time_format:
        try:
            moment = datetime.strptime(value.strip(), time_format)
        except ValueError:
            raise TimeError(f"does not match the time format {time_format!r}") from None
        offset = None
        if moment.tzinfo is not None:
            offset = offset_minutes(moment)
        elif tz is None:
            raise NoZone(NO_ZONE)
        else:
            moment = moment.replace(tzinfo=tz)
        return moment, offset
    stripped = value.strip()
    match = _ISO.fullmatch(stripped)
    if match is None:
        number = _NUMBER.fullmatch(value)
        if number is not None:
            return epoch_time(number[1], number[2], unit), None
        if not stripped:
            raise TimeError("is empty")
        raise TimeError(f"is not a time we can read ({EXAMPLES})")
    try:  # fast path; the shape was checked above
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        pass  # "z", "UTC", an impossible date...: the slow path below says which
    else:
        offset = moment.utcoffset()
        if offset is not None:
            return moment, offset // _MINUTE
        if tz is None:
            raise NoZone(NO_ZONE)
        return moment.replace(tzinfo=tz), None
    year, month, day, hour, minute, second, fraction, utc, sign, off_h, off_m = match.groups()
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro)
    except ValueError as exc:
        raise TimeError(f"is an impossible date or time ({exc})") from None
    if utc:
        return moment.replace(tzinfo=UTC), 0
    if sign:
        hours, minutes = int(off_h), int(off_m or 0)
        if hours > 23 or minutes > 59:
            raise TimeError("has an impossible UTC offset")
        total = hours * 60 + minutes
        total = -total if sign == "-" else total
        return moment.replace(tzinfo=timezone(timedelta(minutes=total))), total
    if tz is None:
        raise NoZone(NO_ZONE)
    return moment.replace(tzinfo=tz), None


def check_time_format(time_format: str | None) -> None:
    """ValueError when a strptime format cannot place an event in time (no year) or is not a format."""
    if not time_format:
        return
    if not re.search(r"%[YyGc]", time_format):
        raise ValueError(f"time_format {time_format!r} has no year (%Y); times without a year cannot be placed.")
    sample = datetime(2001, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)
    try:
        datetime.strptime(sample.strftime(time_format), time_format)
    except ValueError as exc:
        raise ValueError(f"time_format {time_format!r} is not a usable strptime format ({exc}).") from None


def check_mapping(actor_kind: str | None, time_format: str | None) -> None:
    """What both mappings check (ValueError with a sentence): actor_kind is one of ACTOR_KINDS, time_format usable."""
    if actor_kind is not None and actor_kind not in ACTOR_KINDS:
        raise ValueError(f"actor_kind must be one of {', '.join(ACTOR_KINDS)}; got {actor_kind!r}.")
    check_time_format(time_format)


def iter_lines(stream: BinaryIO, limit: int = MAX_RECORD_BYTES) -> Iterator[tuple[int, bytes | None]]:
    """(1-based line number, the line with its end) for each physical line; None for a line longer than
    `limit` bytes, whose rest is skipped without keeping it in memory."""
    number = 0
    readline = stream.readline
    while True:
        raw = readline(limit + 1)
        if not raw:
            return
        number += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = readline(1 << 20)
            yield number, None
            continue
        yield number, raw


_NEEDS_CLEANING = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_OVERSTRIKE = re.compile(r"[^\x08]\x08")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_log_text(text: str) -> str:
    """Terminal decoration out (ANSI colours, backspace overstrike, control characters), CRLF to LF,
    trailing white space off, then clipped to MAX_TEXT."""
    if _NEEDS_CLEANING.search(text):
        text = _ANSI.sub("", text)
        if "\x08" in text:
            text = _OVERSTRIKE.sub("", text)
        text = text.replace("\r\n", "\n")
        text = _CONTROL.sub("", text).replace("\r", "\n")
    return clip_text(text.rstrip())


def source_url_of(value) -> str:
    """A named source field's or column's value as source_url: an http(s) URL with a host (core.untrusted), else ""."""
    return http_url(value, max_length=MAX_URL)


class Problems:
    """A ProblemCollector for one file. `repeat` shows the same problem `show` times, then counts the rest
    and adds one summary at `finish`. `full` is true once the limit is reached (parsers stop reading)."""

    def __init__(self, file: str, limit: int, show: int = 3):
        self.file = file
        self.collector = ProblemCollector(limit)
        self.show = show
        self._repeats: dict[str, int] = {}

    def add(self, message: str, **where) -> None:
        self.collector.add(self.file, message, **where)

    def repeat(self, key: str, message: str, **where) -> None:
        seen = self._repeats.get(key, 0) + 1
        self._repeats[key] = seen
        if seen <= self.show:
            self.add(message, **where)

    @property
    def full(self) -> bool:
        return len(self.collector.problems) >= self.collector.limit

    def __bool__(self) -> bool:
        return bool(self.collector.problems)

    def finish(self) -> None:
        """Raise ImportFailed when any problem was found."""
        for key, seen in self._repeats.items():
            if seen > self.show:
                self.collector.add(self.file, f"{seen - self.show} more like this: {key}")
        if self.collector.problems:
            raise ImportFailed(self.collector.problems)


@dataclass(frozen=True)
class LogInput:
    """The file a log parser reads, how it is named, its problems and which events are wanted."""

    path: Path
    display: str  # how problems name the file: `name`, else the path
    ref_name: str  # how refs name it: the base name of `name`, else of the path
    problems: Problems
    wants: Callable[[ParsedEvent], bool]  # options.wants; options.channels only counts when a channel is mapped

    @classmethod
    def start(cls, path, options: ImportOptions, name: str | None, *, channel_mapped: bool) -> LogInput:
        """Refuses a file over the size limit (ImportFailed) before anything is read."""
        path = Path(path)
        display = name or str(path)
        check_file_size(path, display)
        wants = options.wants if channel_mapped else dataclasses.replace(options, channels=None).wants
        return cls(
            path, display, Path(name).name if name else path.name, Problems(display, options.max_problems), wants
        )


def split_spec(spec: str, keys: tuple[str, ...]) -> dict[str, str]:
    """'time=ts,text=message' to {'time': 'ts', 'text': 'message'}. A comma only separates when a name and
    '=' follow, so values may hold commas ('time_format=%H:%M:%S,%f'). ValueError with a sentence."""
    spec = (spec or "").strip()
    if not spec:
        return {}
    pattern = r",\s*(?=[A-Za-z_][A-Za-z0-9_]*\s*=)"
    result: dict[str, str] = {}
    for part in re.split(pattern, spec):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep:
            raise ValueError(f"mapping part {part.strip()!r} is not key=value (keys: {', '.join(keys)}).")
        if key not in keys:
            raise ValueError(f"unknown mapping key {key!r}; use {', '.join(keys)}.")
        if key in result:
            raise ValueError(f"mapping key {key!r} is given twice.")
        value = value.strip()
        if not value:
            raise ValueError(f"mapping key {key!r} has no value.")
        result[key] = value
    return result
