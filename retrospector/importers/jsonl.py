"""JSON-lines logs (and a file holding one JSON array of log objects) to timeline events. Pure Python.

`parse(path, options)` finds the fields itself; `parse(path, options, mapping=JsonlMapping(time="ts",
text="msg"))` or `JsonlMapping.from_spec("time=@timestamp,text=message,level=log.level")` names them.

Decisions (documented for the lead / users):
- Layout: when the first non-blank character is "[", the file is one JSON array of objects, read
  incrementally (problems carry a JSON pointer, "/12/ts", and the line where the element starts);
  otherwise every non-blank line is one JSON object (JSON Lines). A malformed line is a problem
  naming the line, and reading goes on with the next one. In an array, reading stops at the first
  malformed element (there is no way to find the next one reliably).
- OpenTelemetry collector lines ({"resourceLogs": [...]}, the file exporter's format) are expanded:
  each log record becomes one object with its own fields (timeUnixNano, severityText, body as
  text, attributes) plus its resource's attributes (service.name...) and "scope"; a record whose
  timeUnixNano is missing or 0 uses observedTimeUnixNano.
- Field names are paths: "@timestamp" or "log.level" is first looked up as a key as written, then
  as nested keys split at dots ("log.origin.file.name"), so ECS's flat and nested styles both work.
- Fields not named in the mapping are found among common names (the first present wins; the one found
  is then tried first on the next records, so a file of one shape costs one lookup per field):
    time  : time, timestamp, @timestamp, ts, t, date, datetime, __REALTIME_TIMESTAMP (journald,
            microseconds), timeUnixNano, observedTimeUnixNano (nanoseconds)
    text  : message, msg, MESSAGE, log, body, text, @message, short_message, @fields.message,
            @fields.msg (must be a string)
    actor : service.name, service, app, SYSLOG_IDENTIFIER, name, logger, log.logger, hostname, _HOSTNAME
    level : level, lvl, log.level, severity, severityText, levelname, loglevel, PRIORITY,
            @fields.level, @fields.lvl
  source, kind and channel are used only when named.
- Times: RFC 3339 / ISO 8601 (nanoseconds, "+0330", a space instead of "T"), "YYYY-MM-DD HH:MM:SS,fff",
  epoch numbers or numeric strings in s / ms / µs / ns by magnitude (journald's and OTel's fields use
  their documented unit), or the mapping's strptime `time_format`. Naive times take options.tz; without
  it each is the problem "time has no zone; pass --tz" (shown for the first lines, then counted).
  A time within a day of the calendar's ends (0001-01-01, 9999-12-31) is a problem naming the line.
  original_offset_minutes is the offset the source gave (None for naive and epoch times).
- A time that cannot be read ("ts": "xxx"), a named time or text field that is missing, or no time /
  text field found at all, is a problem naming the line (and pointer) and the field. Other named
  fields (actor, level, source, kind, channel) may be absent from a record.
- Level becomes a tag: "error" (error, err, fatal, critical, crit, alert, emerg, panic, severe; bunyan
  and pino >= 50; syslog PRIORITY <= 3) or "warning" (warn, warning; bunyan/pino 40-49; PRIORITY 4).
  Other levels add no tag. kind is "log" unless a kind field is named (its value must be one of
  EVENT_KINDS).
- actor: the named actor field with actor_kind "person" (or the mapping's actor_kind); else an
  auto-detected service/program name, or the file name, with actor_kind "system".
- source_ref: "<file name>:<line>" (JSON Lines), "<file name>:<line>:<n>" for the n-th record (from 0) of an
  OpenTelemetry line, "<file name>:<line>:<index>" for an array element starting on that line (and
  "<file name>:<line>:<index>/<n>" for OpenTelemetry records in an array). All keep the "file:line"
  prefix the timeline's out-of-order check reads. A named source field that is an http(s) URL with a host becomes
  source_url; other values (javascript:, data:, ...) are ignored.
- A lone surrogate ("\ud800", half of a character, which JSON escapes can write) becomes U+FFFD, as in every
  importer.
- Text: ANSI colours, backspace overstrike and control characters removed, trailing white space off,
  clipped to MAX_TEXT. A named text field that is not a string is shown as compact JSON.
- Memory: one line (at most 1 MB; a longer line is a problem and is skipped without being kept) or
  one array element at a time. Once a problem is found no more events are yielded (the caller
  discards everything anyway); reading goes on to collect up to options.max_problems problems, then
  ImportFailed is raised.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass

from retrospector.core.untrusted import may_hold_surrogate_escapes, without_lone_surrogates

from .base import EVENT_KINDS, ImportOptions, ParsedEvent, pointer_join
from .log_common import (
    MAX_ACTOR,
    MAX_CHANNEL,
    MAX_ORIGINAL_TIME,
    MAX_RECORD_BYTES,
    NO_ZONE,
    LogInput,
    NoZone,
    Problems,
    TimeError,
    check_mapping,
    clean_log_text,
    iter_lines,
    parse_log_time,
    source_url_of,
    split_spec,
)

FIELDS = ("time", "text", "actor", "source", "kind", "level", "channel")
SPEC_KEYS = (*FIELDS, "time_format", "actor_kind")
TIME_NAMES = (
    "time",
    "timestamp",
    "@timestamp",
    "ts",
    "t",
    "date",
    "datetime",
    "__REALTIME_TIMESTAMP",
    "timeUnixNano",
    "observedTimeUnixNano",
)
TEXT_NAMES = (
    "message",
    "msg",
    "MESSAGE",
    "log",
    "body",
    "text",
    "@message",
    "short_message",
    "@fields.message",
    "@fields.msg",
)
ACTOR_NAMES = (
    "service.name",
    "service",
    "app",
    "SYSLOG_IDENTIFIER",
    "name",
    "logger",
    "log.logger",
    "hostname",
    "_HOSTNAME",
)
LEVEL_NAMES = (
    "level",
    "lvl",
    "log.level",
    "severity",
    "severityText",
    "levelname",
    "loglevel",
    "PRIORITY",
    "@fields.level",
    "@fields.lvl",
)
TIME_UNITS = {"__REALTIME_TIMESTAMP": "us", "timeUnixNano": "ns", "observedTimeUnixNano": "ns"}
SYSLOG_LEVEL_FIELDS = frozenset({"PRIORITY", "priority", "syslog.severity"})
ERROR_LEVELS = frozenset(
    {"error", "err", "fatal", "critical", "crit", "alert", "emerg", "emergency", "panic", "severe"}
)
WARNING_LEVELS = frozenset({"warn", "warning"})
CHUNK = 64 * 1024
_MISSING = object()


@dataclass(frozen=True)
class JsonlMapping:
    time: str | None = None  # None: found among TIME_NAMES
    text: str | None = None  # None: found among TEXT_NAMES
    actor: str | None = None  # None: found among ACTOR_NAMES (actor_kind "system")
    source: str | None = None
    kind: str | None = None
    level: str | None = None  # None: found among LEVEL_NAMES
    channel: str | None = None
    time_format: str | None = None  # strptime format; None: RFC 3339 / ISO / epoch
    actor_kind: str | None = None  # default: "person" for a named actor field

    def __post_init__(self):
        for name in FIELDS:
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ValueError(f"the {name} field name is empty.")
        check_mapping(self.actor_kind, self.time_format)

    @classmethod
    def from_spec(cls, spec: str) -> JsonlMapping:
        """'time=@timestamp,text=message,level=log.level,actor=user' (ValueError when wrong); fields not
        named are found automatically."""
        return cls(**split_spec(spec, SPEC_KEYS))


def _lookup(obj: dict, path: str):
    """(value, keys) for a field path (a key as written, else nested keys split at dots), or (_MISSING, ())."""
    value = obj.get(path, _MISSING)
    if value is not _MISSING:
        return value, (path,)
    dot = path.find(".")
    while dot > 0:
        inner = obj.get(path[:dot])
        if isinstance(inner, dict):
            value, keys = _lookup(inner, path[dot + 1 :])
            if value is not _MISSING:
                return value, (path[:dot], *keys)
        dot = path.find(".", dot + 1)
    return _MISSING, ()


def _find(obj: dict, names: tuple[str, ...], want_string: bool, fallback: bool = False):
    """The first of `names` present with a usable value; with `fallback`, else the first present at all
    (so that a time of the wrong type is reported as such, not as missing)."""
    present = (_MISSING, ())
    for name in names:
        value, keys = _lookup(obj, name)
        if value is _MISSING or value is None or value == "":
            continue
        if want_string and not isinstance(value, str) or not want_string and isinstance(value, (dict, list, bool)):
            pass
        else:
            return value, keys
        if present[0] is _MISSING:
            present = (value, keys)
    return present if fallback else (_MISSING, ())


def _reason(exc: json.JSONDecodeError) -> str:
    return exc.msg.removesuffix(" at").removesuffix(":")


def level_tag(field: str, value) -> str | None:
    """'error', 'warning' or None for a level field's value."""
    if isinstance(value, bool) or value is None:
        return None
    number = None
    if isinstance(value, (int, float)):
        number = value
    elif isinstance(value, str):
        word = value.strip().lower()
        if word in ERROR_LEVELS:
            return "error"
        if word in WARNING_LEVELS:
            return "warning"
        if word.isdigit() and len(word) < 4:
            number = int(word)
    if number is None:
        return None
    if field.rsplit(".", 1)[-1] in SYSLOG_LEVEL_FIELDS or field in SYSLOG_LEVEL_FIELDS:
        return "error" if 0 <= number <= 3 else "warning" if number == 4 else None
    if field == "severityNumber":
        return "error" if number >= 17 else "warning" if number >= 13 else None
    if not 0 <= number <= 60:  # bunyan / pino: 10 trace ... 60 fatal; anything else is not a level
        return None
    return "error" if number >= 50 else "warning" if number >= 40 else None


# --------------------------------------------------------------------------- OpenTelemetry


def _otlp_value(value):
    if not isinstance(value, dict):
        return value
    for key in ("stringValue", "boolValue", "doubleValue", "bytesValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        return value["intValue"]
    if "arrayValue" in value:
        items = value["arrayValue"].get("values", []) if isinstance(value["arrayValue"], dict) else []
        return [_otlp_value(v) for v in items] if isinstance(items, list) else []
    if "kvlistValue" in value:
        items = value["kvlistValue"].get("values", []) if isinstance(value["kvlistValue"], dict) else []
        return _otlp_attributes(items)
    return value


def _otlp_attributes(items) -> dict:
    result = {}
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                result[item["key"]] = _otlp_value(item.get("value"))
    return result


def _objects(items) -> Iterator[tuple[int, dict]]:
    """(index, item) for each object in a list; nothing for anything else."""
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


def _otlp_records(obj: dict) -> Iterator[tuple[dict, str]]:
    """(flattened record, JSON pointer of the record in the line) for each log record."""
    for r, resource_log in _objects(obj.get("resourceLogs")):
        resource = resource_log.get("resource")
        resource_attributes = _otlp_attributes(resource.get("attributes")) if isinstance(resource, dict) else {}
        for s, scope_log in _objects(resource_log.get("scopeLogs")):
            scope = scope_log.get("scope")
            scope_name = scope.get("name", "") if isinstance(scope, dict) else ""
            for n, record in _objects(scope_log.get("logRecords")):
                flat = {**resource_attributes, "scope": scope_name}
                flat.update(_otlp_attributes(record.get("attributes")))
                for key, value in record.items():
                    if key != "attributes":
                        flat[key] = _otlp_value(value) if key == "body" else value
                if flat.get("timeUnixNano") in (None, "", "0", 0):
                    flat.pop("timeUnixNano", None)
                yield flat, f"/resourceLogs/{r}/scopeLogs/{s}/logRecords/{n}"


# --------------------------------------------------------------------------- parsing


def parse(
    path, options: ImportOptions, *, mapping: JsonlMapping | None = None, name: str | None = None
) -> Iterator[ParsedEvent]:
    """Events from a JSON-lines (or JSON array) log, in file order. `name` is how problems and refs name the
    file (default: the path for problems, its base name for refs)."""
    mapping = mapping or JsonlMapping()
    log = LogInput.start(path, options, name, channel_mapped=bool(mapping.channel))
    problems, ref_name, wants = log.problems, log.ref_name, log.wants
    to_event = _EventMaker(mapping, options, problems, ref_name)
    seen = 0
    with open(log.path, "rb") as stream:
        if stream.peek(3)[:3] == codecs.BOM_UTF8:
            stream.read(3)
        first = _first_character(stream)
        if first == b"[":
            items = _array_items(stream, problems, ref_name)
        else:
            items = _line_items(stream, problems, ref_name)
        for obj, line, pointer, ref in items:
            seen += 1
            event = to_event(obj, line, pointer, ref)
            if event is not None and not problems and wants(event):
                yield event
            if problems.full:
                break
    if seen == 0 and not problems:
        problems.add("has no log records (an empty file?).")
    problems.finish()


def _first_character(stream) -> bytes:
    """The first non-white-space byte, without consuming anything (b"" for an empty or blank start)."""
    size = 64
    while True:
        head = stream.peek(size)[:size]
        stripped = head.lstrip()
        if stripped:
            return stripped[:1]
        if len(head) < size or size >= MAX_RECORD_BYTES:
            return b""
        size *= 4


def _line_items(stream, problems: Problems, ref_name: str):
    decode = json.JSONDecoder().decode
    for number, raw in iter_lines(stream):
        if raw is None:
            problems.add(f"is longer than {MAX_RECORD_BYTES // 1024 // 1024} MB; it was skipped.", line=number)
            continue
        if raw.isspace():
            continue
        try:
            obj = decode(raw.decode("utf-8"))
        except json.JSONDecodeError as exc:
            hint = " (one object per line is expected; reformat with `jq -c .`)" if raw.strip() in (b"{", b"}") else ""
            problems.add(f"is not valid JSON: {_reason(exc)} at column {exc.colno}{hint}.", line=number)
            continue
        except UnicodeDecodeError:
            problems.add("is not valid UTF-8.", line=number)
            continue
        except (ValueError, RecursionError) as exc:
            problems.add(f"is not valid JSON ({type(exc).__name__}).", line=number)
            continue
        if not isinstance(obj, dict):
            problems.add(f"is a JSON {type(obj).__name__}, not an object.", line=number)
            continue
        if may_hold_surrogate_escapes(raw):
            obj = without_lone_surrogates(obj)
        if "resourceLogs" in obj:
            for n, (record, pointer) in enumerate(_otlp_records(obj)):
                yield record, number, pointer, f"{ref_name}:{number}:{n}"
            continue
        yield obj, number, "", f"{ref_name}:{number}"


# Not ijson 3.6: its C backend reads 1.6x faster (33 vs 21 MB/s on 100 MB of log objects, 50 vs 30 on Slack messages)
# but reports no positions, and each element's start line goes into its source_ref and problems.
def _array_items(stream, problems: Problems, ref_name: str):
    """Objects of a top-level JSON array, read CHUNK by CHUNK."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    raw_decode = json.JSONDecoder().raw_decode
    buf = ""
    pos = 0
    eof = False
    counted_pos, counted_line = 0, 1  # line number at buf[counted_pos]

    def fill() -> bool:
        nonlocal buf, pos, eof, counted_pos, counted_line
        if eof:
            return False
        chunk = stream.read(CHUNK)
        if pos > CHUNK:  # drop what was read
            if counted_pos <= pos:
                counted_line += buf.count("\n", counted_pos, pos)
                counted_pos = 0
            else:
                counted_pos -= pos
            buf, pos = buf[pos:], 0
        try:
            buf += decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            problems.add("is not valid UTF-8 here; nothing after it was read.", line=line_at(pos))
            eof = True
            return False
        eof = not chunk
        return True

    def line_at(at: int) -> int:
        nonlocal counted_pos, counted_line
        if at >= counted_pos:
            counted_line += buf.count("\n", counted_pos, at)
            counted_pos = at
            return counted_line
        return counted_line - buf.count("\n", at, counted_pos)

    def skip_space() -> bool:
        """Move pos past white space; False at the end of input."""
        nonlocal pos
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n":
                pos += 1
            if pos < len(buf):
                return True
            if not fill():
                return False

    skip_space()
    pos += 1  # the "["
    index = 0
    while not problems.full:
        if not skip_space():
            problems.add("ends before the array's closing ].", line=line_at(len(buf)))
            return
        if index == 0 and buf[pos] == "]":
            pos += 1
            break
        start_line = line_at(pos)
        while True:
            try:
                obj, end = raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                if not eof and len(buf) - pos <= MAX_RECORD_BYTES and fill():
                    continue
                too_big = len(buf) - pos > MAX_RECORD_BYTES
                problems.add(
                    f"element {index} is longer than 1 MB"
                    if too_big
                    else f"element {index} is not valid JSON: {_reason(exc)}",
                    line=start_line,
                    pointer=f"/{index}",
                )
                return
            except (ValueError, RecursionError) as exc:
                problems.add(
                    f"element {index} is not valid JSON ({type(exc).__name__}).", line=start_line, pointer=f"/{index}"
                )
                return
            if end >= len(buf) and not eof and fill():
                continue  # a number may go on in the next chunk
            break
        if isinstance(obj, dict) and may_hold_surrogate_escapes(buf, pos, end):
            obj = without_lone_surrogates(obj)
        pos = end
        if isinstance(obj, dict):
            if "resourceLogs" in obj:
                for n, (record, pointer) in enumerate(_otlp_records(obj)):
                    yield record, start_line, f"/{index}{pointer}", f"{ref_name}:{start_line}:{index}/{n}"
            else:
                yield obj, start_line, f"/{index}", f"{ref_name}:{start_line}:{index}"
        else:
            problems.add(
                f"element {index} is a JSON {type(obj).__name__}, not an object.", line=start_line, pointer=f"/{index}"
            )
        index += 1
        if not skip_space():
            problems.add("ends before the array's closing ].", line=line_at(len(buf)))
            return
        if buf[pos] == ",":
            pos += 1
            continue
        if buf[pos] == "]":
            pos += 1
            break
        problems.add(f"expected , or ] after element {index - 1}.", line=line_at(pos), pointer=f"/{index}")
        return
    else:
        return
    if skip_space():
        problems.add("has more after the array's closing ].", line=line_at(pos))


class _EventMaker:
    """One record (a dict) to a ParsedEvent, or None after adding its problems.

    Auto-detection remembers the field it found last (per role) and tries it first, so the usual file
    (one shape throughout) costs one lookup per role; a record without it is searched again."""

    def __init__(self, mapping: JsonlMapping, options: ImportOptions, problems: Problems, ref_name: str):
        self.mapping = mapping
        self.tz = options.tz
        self.problems = problems
        self.ref_name = ref_name
        self.person_kind = mapping.actor_kind or "person"
        self.cache: dict[str, tuple[str, ...]] = {}

    def _auto(self, obj: dict, role: str, names: tuple[str, ...], want_string: bool, fallback: bool = False):
        keys = self.cache.get(role)
        if keys is not None:
            if len(keys) == 1:
                value = obj.get(keys[0], _MISSING)
            else:
                value = obj
                for key in keys:
                    value = value.get(key, _MISSING) if isinstance(value, dict) else _MISSING
            if (
                value is not _MISSING
                and value is not None
                and value != ""
                and (isinstance(value, str) if want_string else not isinstance(value, (dict, list, bool)))
            ):
                return value, keys
        value, keys = _find(obj, names, want_string)
        if value is not _MISSING:
            self.cache[role] = keys
            return value, keys
        return _find(obj, names, want_string, fallback) if fallback else (_MISSING, ())

    def _required(
        self,
        obj: dict,
        role: str,
        names: tuple[str, ...],
        want_string: bool,
        line: int,
        pointer: str,
        *,
        fallback: bool = False,
        show_keys: bool = False,
    ):
        """(value, keys) of the time or text field: the mapping's, else one of `names`; (_MISSING, ()) after a
        problem when there is none (`show_keys`: the problem lists the record's keys)."""
        name = getattr(self.mapping, role)
        if name:
            value, keys = _lookup(obj, name)
            if value is _MISSING:
                self.problems.repeat(
                    f"no field {name!r}", f"has no field {name!r} (the {role}).", field=name, **_where(line, pointer)
                )
            return value, keys
        value, keys = self._auto(obj, role, names, want_string, fallback)
        if value is _MISSING:
            it_has = f"; it has {', '.join(list(obj)[:12])}" if show_keys else ""
            self.problems.repeat(
                f"no {role} field",
                f"has no {role} field (looked for {', '.join(names)}{it_has}); name it with {role}=FIELD.",
                **_where(line, pointer),
            )
        return value, keys

    def __call__(self, obj: dict, line: int, pointer: str, ref: str) -> ParsedEvent | None:
        m = self.mapping
        problems = self.problems

        # time
        time_value, keys = self._required(obj, "time", TIME_NAMES, False, line, pointer, fallback=True)
        ok = time_value is not _MISSING
        if ok:
            try:
                occurred, offset = parse_log_time(
                    time_value, self.tz, time_format=m.time_format, unit=TIME_UNITS.get(keys[-1])
                )
            except NoZone:
                problems.repeat(
                    NO_ZONE, f"{NO_ZONE} (got {time_value!r}).", field=".".join(keys), **_where(line, pointer, keys)
                )
                ok = False
            except TimeError as exc:
                shown = repr(time_value) if len(repr(time_value)) <= 60 else repr(time_value)[:59] + "…"
                problems.add(f"{shown} {exc}.", field=".".join(keys), **_where(line, pointer, keys))
                ok = False

        # text
        text_value, _ = self._required(obj, "text", TEXT_NAMES, True, line, pointer, show_keys=True)
        if text_value is _MISSING:
            ok = False

        # kind
        kind = "log"
        if m.kind:
            kind_value, keys = _lookup(obj, m.kind)
            if kind_value is not _MISSING and kind_value is not None and kind_value != "":
                kind = kind_value.strip().lower() if isinstance(kind_value, str) else kind_value
                if kind not in EVENT_KINDS:
                    problems.add(
                        f"{str(kind_value)[:40]!r} is not a kind; use one of {', '.join(EVENT_KINDS)}.",
                        field=m.kind,
                        **_where(line, pointer, keys),
                    )
                    ok = False
        if not ok or problems:
            return None

        if type(text_value) is str:
            text = clean_log_text(text_value)
        elif text_value is None:
            text = ""
        else:
            text = clean_log_text(json.dumps(text_value, ensure_ascii=False, separators=(",", ":")))

        actor, actor_kind = "", "system"
        if m.actor:
            value, _ = _lookup(obj, m.actor)
            if value is not _MISSING and value is not None and value != "" and not isinstance(value, (dict, list)):
                actor, actor_kind = str(value).strip()[:MAX_ACTOR], self.person_kind
        else:
            value, _ = self._auto(obj, "actor", ACTOR_NAMES, True)
            if value is not _MISSING:
                actor = value.strip()[:MAX_ACTOR]
        if not actor:
            actor, actor_kind = self.ref_name[:MAX_ACTOR], "system"

        tags: tuple[str, ...] = ()
        if m.level:
            level_value, keys = _lookup(obj, m.level)
        else:
            level_value, keys = self._auto(obj, "level", LEVEL_NAMES, False)
        if level_value is not _MISSING:
            tag = level_tag(keys[-1] if len(keys) == 1 else ".".join(keys), level_value)
            if tag:
                tags = (tag,)

        source_url = ""
        if m.source:
            value, _ = _lookup(obj, m.source)
            source_url = source_url_of(value)

        channel = ""
        if m.channel:
            value, _ = _lookup(obj, m.channel)
            if value is not _MISSING and value is not None and not isinstance(value, (dict, list)):
                channel = str(value).strip()[:MAX_CHANNEL]

        original = time_value if type(time_value) is str else json.dumps(time_value)
        return ParsedEvent(
            occurred_at=occurred,
            original_time=original.strip()[:MAX_ORIGINAL_TIME],
            original_offset_minutes=offset,
            actor=actor,
            actor_kind=actor_kind,
            text=text,
            kind=kind,
            source_type="jsonl",
            source_ref=ref,
            source_url=source_url,
            channel=channel,
            tags=tags,
        )


def _where(line: int, pointer: str, keys=()) -> dict:
    """Where a problem is: the line, and in an array or an OpenTelemetry line the JSON pointer."""
    if not pointer:
        return {"line": line}
    return {"line": line, "pointer": pointer_join(pointer, *keys)}
