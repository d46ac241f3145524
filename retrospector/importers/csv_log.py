"""CSV (or TSV, ;-separated...) timelines and logs to timeline events, with a column mapping. Pure Python.

`parse(path, options, mapping=CsvMapping(time="ts", text="message"))`; the CLI passes
`CsvMapping.from_spec("time=ts,text=message,actor=user")`.

Decisions (documented for the lead / users):
- A header row is required; columns are found by exact name, else by a unique case-insensitive match.
  A mapped column the header lacks is one problem naming it and listing the header, raised before
  any row is read. A column written with a trailing "?" in the spec ("actor=actor?") is optional:
  used when the header has it, ignored otherwise.
- Delimiter: the mapping's, else an Excel "sep=;" first line, else the most frequent of , TAB ; |
  in the header line (comma when none).
- Encoding: UTF-8 (a BOM is skipped) or UTF-16 with a BOM (Excel "Unicode text"). A line that is
  not valid UTF-8 is a problem naming the line. CRLF, LF and quoted newlines are fine; the line of
  a record is the physical line where it starts.
- A record over 1 MB (MAX_RECORD_BYTES, usually an unclosed quote) is a problem and reading stops
  there: everything after it would be misread.
- Empty rows (no cells or only blank cells) are skipped.
- Times: the mapping's strptime `time_format` when given (it must include a year), else RFC 3339 /
  ISO 8601 ("2024-05-01T10:00:00+02:00", "+0200", "Z", nanoseconds), "YYYY-MM-DD HH:MM[:SS[.fff]]",
  "YYYY-MM-DD HH:MM:SS,fff", or epoch seconds / ms / µs / ns chosen by magnitude. A time without a
  zone takes options.tz; without options.tz it is the problem "time has no zone; pass --tz" (shown
  for the first rows, then counted). original_offset_minutes is the offset the cell gave (None for
  naive and epoch times).
- kind: the kind column (one of EVENT_KINDS, case-insensitive; empty means "log"), else "log".
  actor: the actor column (actor_kind "person" unless the mapping says otherwise); without an actor
  column, or in an empty cell, the file name with actor_kind "system".
- source_ref, chosen to be idempotent (re-importing the same file gives the same refs):
    * with a source column and a non-empty cell seen for the first time in this file:
      "<file name>#<cell>" (a URL cell also becomes source_url);
    * otherwise "<file name>:<line>:<first 8 hex of sha1 of the row's cells joined by U+001F>".
  The line keeps refs unique even for identical rows; the hash makes a ref stop matching when the
  row at that line changed. Memory: only the source column's values are remembered (as 64-bit
  digests, ~70 bytes a row), and only when a source column is mapped.
- channel: the channel column when mapped; options.channels filters on it. Without a channel column
  options.channels is ignored (nothing to filter on). since/until go through options.wants().
- Once a problem is found no more events are yielded (the caller discards everything anyway);
  reading goes on to collect up to options.max_problems problems, then ImportFailed is raised.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass

from .base import EVENT_KINDS, ImportFailed, ImportOptions, ImportProblem, ParsedEvent
from .log_common import (
    MAX_ACTOR,
    MAX_CHANNEL,
    MAX_ORIGINAL_TIME,
    MAX_RECORD_BYTES,
    MAX_REF,
    NO_ZONE,
    LogInput,
    NoZone,
    TimeError,
    check_mapping,
    clean_log_text,
    iter_lines,
    parse_log_time,
    source_url_of,
    split_spec,
)

ROLES = ("time", "text", "actor", "source", "kind", "channel")
SPEC_KEYS = (*ROLES, "delimiter", "time_format", "actor_kind")
DELIMITER_NAMES = {"comma": ",", "tab": "\t", "\\t": "\t", "semicolon": ";", "pipe": "|", "space": " "}
SNIFFED = (",", "\t", ";", "|")

# csv's per-field limit (process-wide) only needs to let a 1 MB record through; the record limit
# below is what bounds memory.
if csv.field_size_limit() < MAX_RECORD_BYTES:
    csv.field_size_limit(MAX_RECORD_BYTES)


@dataclass(frozen=True)
class CsvMapping:
    time: str
    text: str
    actor: str | None = None
    source: str | None = None  # a URL or any reference; see source_ref above
    kind: str | None = None
    channel: str | None = None
    delimiter: str | None = None  # None: sniffed
    time_format: str | None = None  # strptime format; None: RFC 3339 / ISO / epoch
    actor_kind: str | None = None  # default: "person" with an actor column
    optional: frozenset[str] = frozenset()  # roles whose column may be missing from the header

    def __post_init__(self):
        for role in ("time", "text"):
            if not getattr(self, role):
                raise ValueError(f"the mapping needs a {role} column, e.g. time=timestamp,text=message.")
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ValueError(
                f"delimiter must be one character (or comma, tab, semicolon, pipe); got {self.delimiter!r}."
            )
        if self.delimiter in ('"', "\r", "\n"):
            raise ValueError(f"delimiter {self.delimiter!r} cannot be used.")
        check_mapping(self.actor_kind, self.time_format)

    @classmethod
    def from_spec(cls, spec: str) -> CsvMapping:
        """'time=ts,text=message,actor=user?,delimiter=tab,time_format=%d/%m/%Y %H:%M' (ValueError when wrong)."""
        values = split_spec(spec, SPEC_KEYS)
        optional = set()
        for role in ROLES:
            if role in values and values[role].endswith("?") and len(values[role]) > 1:
                values[role] = values[role][:-1].rstrip()
                if role in ("time", "text"):
                    raise ValueError(f"the {role} column cannot be optional.")
                optional.add(role)
        if "delimiter" in values:
            values["delimiter"] = DELIMITER_NAMES.get(values["delimiter"].lower(), values["delimiter"])
        missing = [r for r in ("time", "text") if r not in values]
        if missing:
            raise ValueError(f"the mapping needs {' and '.join(missing)}, e.g. time=timestamp,text=message.")
        return cls(**values, optional=frozenset(optional))

    def columns(self) -> dict[str, str]:
        return {role: getattr(self, role) for role in ROLES if getattr(self, role)}


class _Oversize(Exception):
    pass


class _Lines:
    """Feeds csv.reader one physical line at a time, counting the bytes of the current record and
    remembering the lines that were not valid text. `skipped` lines came before the first one fed."""

    def __init__(self, source: Iterator[tuple[int, str | None, str | None]], skipped: int):
        self.source = source
        self.skipped = skipped
        self.record_chars = 0
        self.bad: list[tuple[int, str]] = []

    def next_record(self, reader) -> int:
        """Get ready for the reader's next record; the physical line it starts on."""
        self.record_chars = 0
        self.bad.clear()
        return self.skipped + reader.line_num + 1

    def __iter__(self):
        return self

    def __next__(self) -> str:
        number, text, error = next(self.source)
        if text is None:
            raise _Oversize(number)
        if error:
            self.bad.append((number, error))
        self.record_chars += len(text)
        if self.record_chars > MAX_RECORD_BYTES:
            raise _Oversize(number)
        return text


def _utf8_lines(stream) -> Iterator[tuple[int, str | None, str | None]]:
    for number, raw in iter_lines(stream):
        if raw is None:
            yield number, None, None
            continue
        try:
            yield number, raw.decode("utf-8"), None
        except UnicodeDecodeError as exc:
            byte = raw[exc.start]
            yield (
                number,
                raw.decode("utf-8", "replace"),
                f"is not valid UTF-8 (byte 0x{byte:02x} at byte {exc.start + 1}); save the file as UTF-8.",
            )


def _utf16_lines(stream) -> Iterator[tuple[int, str | None, str | None]]:
    text = io.TextIOWrapper(stream, encoding="utf-16", newline="")
    number = 0
    while True:
        try:
            line = text.readline(MAX_RECORD_BYTES + 1)
        except UnicodeDecodeError:
            yield number + 1, "", "is not valid UTF-16; save the file as UTF-8."
            return
        if not line:
            return
        number += 1
        if len(line) > MAX_RECORD_BYTES and not line.endswith("\n"):
            yield number, None, None
            return
        yield number, line, None


def _sniff(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in SNIFFED}
    best = max(SNIFFED, key=lambda d: counts[d])  # ties: the earlier in SNIFFED
    return best if counts[best] else ","


def _row_digest(row: list[str]) -> str:
    return hashlib.sha1("\x1f".join(row).encode("utf-8", "surrogatepass")).hexdigest()[:8]


def parse(path, options: ImportOptions, *, mapping: CsvMapping, name: str | None = None) -> Iterator[ParsedEvent]:
    """Events from a CSV file, in file order. `name` is how problems and refs name the file (default: the path
    for problems, its base name for refs)."""
    log = LogInput.start(path, options, name, channel_mapped=bool(mapping.channel))
    with open(log.path, "rb") as stream:
        head = stream.peek(4)[:4] if hasattr(stream, "peek") else b""
        if head.startswith(codecs.BOM_UTF8):
            stream.read(3)
            source = _utf8_lines(stream)
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            source = _utf16_lines(stream)
        else:
            source = _utf8_lines(stream)
        yield from _parse_rows(source, options, mapping, log.problems, log.display, log.ref_name, log.wants)
    log.problems.finish()


def _parse_rows(source, options, mapping, problems, display, ref_name, wants) -> Iterator[ParsedEvent]:
    # Find the header line (and an Excel "sep=" line) to choose the delimiter.
    lookahead = []
    delimiter = mapping.delimiter
    for item in source:
        number, text, error = item
        if text is not None and not text.strip():
            continue  # blank lines before the header
        if (
            text is not None
            and error is None
            and text.strip().lower().startswith("sep=")
            and len(text.strip()) == 5
            and not lookahead
        ):
            delimiter = delimiter or text.strip()[4]
            continue
        lookahead.append(item)
        break
    if not lookahead:
        raise ImportFailed(
            [ImportProblem(file=display, message="is empty; a CSV file needs a header row naming its columns.")]
        )
    if delimiter is None:
        delimiter = _sniff(lookahead[0][1] or "")

    def chained():
        yield from lookahead
        yield from source

    lines = _Lines(chained(), skipped=lookahead[0][0] - 1)  # physical lines before the header are not fed to the reader
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)

    header, header_line = _read_header(reader, lines, display)
    index = _resolve_columns(header, header_line, mapping, display)

    time_at, text_at = index["time"], index["text"]
    actor_at, source_at = index.get("actor"), index.get("source")
    kind_at, channel_at = index.get("kind"), index.get("channel")
    needed = max(time_at, text_at)
    time_col = header[time_at]
    actor_kind = mapping.actor_kind or "person"
    tz, time_format = options.tz, mapping.time_format
    seen_sources: set[int] = set()
    data_rows = 0

    while not problems.full:
        start = lines.next_record(reader)
        try:
            row = next(reader)
        except StopIteration:
            break
        except _Oversize as exc:
            problems.add(
                f"the record starting here is longer than {MAX_RECORD_BYTES // 1024 // 1024} MB (line {exc.args[0]}); "
                "an unclosed quote? Nothing after it was read.",
                line=start,
            )
            break
        except csv.Error as exc:
            problems.add(f"is not valid CSV ({exc}).", line=start)
            continue
        if lines.bad:
            for number, message in lines.bad:
                problems.add(message, line=number)
            continue
        if not row or not any(cell.strip() for cell in row):
            continue
        data_rows += 1
        if len(row) <= needed:
            problems.add(
                (
                    f"has {len(row)} field(s); the header has {len(header)}, "
                    f"and column {header[needed]!r} is field {needed + 1}."
                ),
                line=start,
            )
            continue
        cell = row[time_at]
        try:
            occurred, offset = parse_log_time(cell, tz, time_format=time_format)
        except NoZone:
            problems.repeat(NO_ZONE, f"{NO_ZONE} (got {cell.strip()!r}).", line=start, field=time_col)
            continue
        except TimeError as exc:
            problems.add(f"{cell.strip()[:60]!r} {exc}.", line=start, field=time_col)
            continue
        kind = "log"
        if kind_at is not None and kind_at < len(row) and row[kind_at].strip():
            kind = row[kind_at].strip().lower()
            if kind not in EVENT_KINDS:
                problems.add(
                    f"{row[kind_at].strip()[:40]!r} is not a kind; use one of {', '.join(EVENT_KINDS)}.",
                    line=start,
                    field=header[kind_at],
                )
                continue
        if problems:
            continue  # keep checking rows, but yield nothing more
        actor = row[actor_at].strip() if actor_at is not None and actor_at < len(row) else ""
        source_value = row[source_at].strip() if source_at is not None and source_at < len(row) else ""
        ref = ""
        if source_value:
            digest = int.from_bytes(
                hashlib.blake2b(source_value.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big"
            )
            if digest not in seen_sources:
                seen_sources.add(digest)
                candidate = f"{ref_name}#{source_value}"
                if len(candidate) <= MAX_REF:
                    ref = candidate
        if not ref:
            ref = f"{ref_name}:{start}:{_row_digest(row)}"
        event = ParsedEvent(
            occurred_at=occurred,
            original_time=cell.strip()[:MAX_ORIGINAL_TIME],
            original_offset_minutes=offset,
            actor=actor[:MAX_ACTOR] if actor else ref_name[:MAX_ACTOR],
            actor_kind=actor_kind if actor else "system",
            text=clean_log_text(row[text_at]),
            kind=kind,
            source_type="csv",
            source_ref=ref,
            source_url=source_url_of(source_value),
            channel=row[channel_at].strip()[:MAX_CHANNEL] if channel_at is not None and channel_at < len(row) else "",
        )
        if wants(event):
            yield event
    if data_rows == 0 and not problems:
        problems.add(f"has a header ({', '.join(header[:10])}) but no rows.")


def _read_header(reader, lines: _Lines, display: str) -> tuple[list[str], int]:
    while True:
        start = lines.next_record(reader)
        try:
            row = next(reader)
        except StopIteration:
            raise ImportFailed(
                [ImportProblem(file=display, message="is empty; a CSV file needs a header row naming its columns.")]
            ) from None
        except _Oversize:
            raise ImportFailed(
                [ImportProblem(file=display, line=start, message="the header is longer than 1 MB; is this a CSV file?")]
            ) from None
        except csv.Error as exc:
            raise ImportFailed(
                [ImportProblem(file=display, line=start, message=f"the header is not valid CSV ({exc}).")]
            ) from None
        if lines.bad:
            raise ImportFailed([ImportProblem(file=display, line=n, message=m) for n, m in lines.bad])
        if row and any(cell.strip() for cell in row):
            return [cell.strip().lstrip("\ufeff") for cell in row], start


def _resolve_columns(header: list[str], line: int, mapping: CsvMapping, display: str) -> dict[str, int]:
    exact: dict[str, list[int]] = {}
    folded: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        exact.setdefault(name, []).append(i)
        folded.setdefault(name.casefold(), []).append(i)
    shown = ", ".join(repr(h) for h in header[:30]) + (" …" if len(header) > 30 else "")
    index: dict[str, int] = {}
    problems = []
    for role, column in mapping.columns().items():
        found = exact.get(column) or folded.get(column.casefold()) or []
        if len(found) == 1:
            index[role] = found[0]
        elif len(found) > 1:
            problems.append(
                ImportProblem(
                    file=display,
                    line=line,
                    field=column,
                    message=f"column {column!r} appears {len(found)} times in the header; rename one.",
                )
            )
        elif role not in mapping.optional:
            problems.append(
                ImportProblem(
                    file=display,
                    line=line,
                    field=column,
                    message=f"the {role} column {column!r} is not in the header, which has: {shown}.",
                )
            )
    if problems:
        raise ImportFailed(problems)
    return index
