"""Shared by the webhook importer tests (PagerDuty, Alertmanager, Grafana, Opsgenie, GitHub): the real
samples, small file helpers, checks every webhook importer gets (sniffing, cut-off JSON), and a Hypothesis
strategy that mutates real payloads (with `fuzz_test`, the test that feeds them to an importer).
`import_problems` serves the log and Slack importer tests too.

Not a conftest.py on purpose (other test modules import tests/conftest.py as `conftest`); test
modules import what they need by name. No Django.
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrospector.core.untrusted import http_url
from retrospector.importers.base import (
    ACTOR_KINDS,
    EVENT_KINDS,
    MAX_TEXT,
    ImportFailed,
    ImportOptions,
    ImportProblem,
    ParsedEvent,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
WEBHOOK_SOURCES = ("alertmanager", "github", "grafana", "opsgenie", "pagerduty")


def sample_paths(source: str) -> list[Path]:
    return sorted((FIXTURES / source).rglob("*.json"))


def sample(source: str, relative: str) -> Path:
    return FIXTURES / source / relative


def load(source: str, relative: str):
    return json.loads(sample(source, relative).read_text(encoding="utf-8"))


def samples_of(source: str) -> list:
    """Every real sample of a source, decoded."""
    return [json.loads(p.read_text()) for p in sample_paths(source)]


def write_json(tmp_path: Path, value, name: str = "payload.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def write_lines(tmp_path: Path, values: list, name: str = "payloads.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(v) + "\n" for v in values), encoding="utf-8")
    return path


def events_of(module, path: Path, **options) -> list[ParsedEvent]:
    return list(module.parse(path, ImportOptions(**options)))


def import_problems(parse, *args, **kwargs) -> list[ImportProblem]:
    """The problems of the ImportFailed that reading all of `parse(*args, **kwargs)` must raise."""
    with pytest.raises(ImportFailed) as failed:
        list(parse(*args, **kwargs))
    return failed.value.problems


def only_import_failed(events: Iterable[ParsedEvent], check: Callable[[ParsedEvent], None]) -> None:
    """Reading a parser's `events` gives events that each pass `check`, or raises ImportFailed whose problems
    all have a message; nothing else."""
    try:
        for event in events:
            check(event)
    except ImportFailed as exc:
        assert exc.problems and all(p.message for p in exc.problems)


def problems_of(module, path: Path, **options) -> list[ImportProblem]:
    problems = import_problems(module.parse, path, ImportOptions(**options))
    assert problems, "ImportFailed without problems"
    return problems


def check_untrusted_fields(event: ParsedEvent) -> None:
    """What every importer's events satisfy whatever the input: links are http(s) URLs with a host, every string is
    Unicode text (no lone surrogate: PostgreSQL would refuse it), the time converts to any zone."""
    assert event.source_url == http_url(event.source_url), event.source_url
    assert all(a.url == http_url(a.url) for a in event.attachments), event.attachments
    json.dumps(event.as_json(), ensure_ascii=False).encode("utf-8")  # UnicodeEncodeError on a lone surrogate
    for hours in (-23, 23):
        event.occurred_at.astimezone(timezone(timedelta(hours=hours, minutes=59 if hours > 0 else -59)))


def check_event(event: ParsedEvent, source_type: str) -> None:
    """What every event must satisfy, whatever the input."""
    assert event.occurred_at.tzinfo is not None and event.occurred_at.utcoffset().total_seconds() == 0
    assert event.occurred_at.tzinfo == UTC
    assert event.kind in EVENT_KINDS
    assert event.actor_kind in ACTOR_KINDS
    assert event.source_type == source_type
    assert event.source_ref
    assert isinstance(event.text, str) and len(event.text) <= MAX_TEXT and "\x00" not in event.text
    assert event.source_url == "" or event.source_url.startswith(("http://", "https://"))
    assert isinstance(event.original_time, str) and event.original_time
    event.as_json()
    check_untrusted_fields(event)


def one_event(module, source: str, relative: str) -> ParsedEvent:
    """The one event a real sample gives, checked with check_event."""
    (event,) = events_of(module, sample(source, relative))
    check_event(event, source)
    return event


def check_sniff(module, source: str, *rivals) -> None:
    """`module.sniff` recognises each of its source's samples, alone and in a list, and none of the other
    webhook sources' samples; none of `rivals` (other importer modules) claims its samples."""
    for path in sample_paths(source):
        data = json.loads(path.read_text())
        assert module.sniff(data) and module.sniff([data]), path
        for rival in rivals:
            assert not rival.sniff(data), (rival.__name__, path)
    for other in WEBHOOK_SOURCES:
        if other != source:
            for path in sample_paths(other):
                assert not module.sniff(json.loads(path.read_text())), path


def cut_json_problem(module, tmp_path: Path, source: str, relative: str, size: int) -> ImportProblem:
    """The one problem of a real sample cut off after `size` characters: invalid JSON, with the file and a line."""
    path = tmp_path / "cut.json"
    path.write_text(sample(source, relative).read_text()[:size])
    (problem,) = problems_of(module, path)
    assert "not valid JSON" in problem.message
    assert problem.file == str(path) and problem.line is not None and problem.line >= 1
    return problem


def wrong_format_problem(module, other_source: str, relative: str, says: str, looks_like: str) -> ImportProblem:
    """The one problem of another source's real sample: it `says` what the file is not, and names the source it
    looks like."""
    (problem,) = problems_of(module, sample(other_source, relative))
    assert says in problem.message
    assert looks_like in problem.message
    return problem


# --- fuzzing ----------------------------------------------------------------------------------

ODD_VALUES = [
    "20202-01-16T00:00:00Z",
    "2024-02-30T10:00:00Z",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "2024-05-01T10:00:00",
    "2024-05-01T10:00:00.123456789123Z",
    "2024-05-01T10:00:00+25:00",
    "",
    " ",
    "1420452224764002246",
    1420452224764002246,
    1502709956288,
    1502709956,
    0,
    -1,
    10**30,
    1e308,
    -1e308,
    True,
    "javascript:alert(1)",
    "firing",
    "resolved",
    "Create",
    "Close",
    "AddNote",
    "Escalate",
    "incident.annotated",
    "annotate_log_entry",
    "user_reference",
    "Bot",
    "x" * 30_000,
    "\x00\u2028\ud7ff",
    "\ud800",  # a lone surrogate: JSON writes it as an escape
    "a\udfffb",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59Z",
    "data:text/html,<script>alert(1)</script>",
    "http:///no-host",
]

# st.text() leaves surrogates out; JSON escapes ("\ud800") put lone ones in any string, so the strategies do too.
TEXT_CHARACTERS = st.one_of(st.characters(), st.characters(), st.characters(categories=["Cs"]))


def any_text(**kwargs) -> st.SearchStrategy[str]:
    """st.text(**kwargs) with lone surrogates among its characters."""
    return st.text(TEXT_CHARACTERS, **kwargs)


# Text that surely holds one, so that a fuzzer meets it often (any_text's are rarer than their characters suggest).
with_lone_surrogate = st.builds(
    "{}{}{}".format, st.text(max_size=5), st.characters(categories=["Cs"]), st.text(max_size=5)
)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    any_text(max_size=20),
    with_lone_surrogate,
    st.sampled_from(ODD_VALUES),
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(any_text(max_size=8), children, max_size=3),
    max_leaves=6,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _parent(root, path):
    node = root
    for part in path[:-1]:
        node = node[part]
    return node


@st.composite
def mutated_payload_bytes(draw, samples: list):
    """A real payload (or several) with random values replaced, deleted, retyped or duplicated,
    written as one document, an array or JSON lines, and sometimes cut off at a random byte."""
    values = [copy.deepcopy(draw(st.sampled_from(samples))) for _ in range(draw(st.integers(1, 2)))]
    root = {"v": values}
    for _ in range(draw(st.integers(1, 5))):
        paths = [p for p in _paths(root) if len(p) > 2]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _parent(root, path), path[-1]
        operation = draw(st.sampled_from(["replace", "replace", "delete", "retype", "copy"]))
        if operation == "replace":
            parent[key] = draw(json_values)
        elif operation == "delete":
            if isinstance(parent, dict):
                del parent[key]
            else:
                parent.pop(key)
        elif operation == "retype":
            old = parent[key]
            parent[key] = draw(st.sampled_from([[old], {"value": old}, json.dumps(old), None, str(old)]))
        else:
            other = draw(st.sampled_from(paths))
            try:
                parent[key] = copy.deepcopy(_parent(root, other)[other[-1]])
            except (KeyError, IndexError, TypeError):
                pass
    values = root["v"]
    layout = draw(st.sampled_from(["single", "array", "lines"]))
    if layout == "single":
        text = json.dumps(values[0], indent=draw(st.sampled_from([None, 2])))
    elif layout == "array":
        text = json.dumps(values)
    else:
        text = "".join(json.dumps(v) + "\n" for v in values)
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 4)) == 0 and len(data) > 2:
        data = data[: draw(st.integers(1, len(data) - 1))]
    return data


def cut_off(data: bytes, cut: int) -> bytes:
    """`data` cut after `cut` bytes (modulo its length + 1, so any integer will do)."""
    return data[: cut % (len(data) + 1)]


def with_lines_inserted(data: bytes, at: int, pieces: list[bytes]) -> bytes:
    """`data` with each of `pieces` inserted as a line before line `at` (modulo the line count + 1)."""
    lines = data.split(b"\n")
    for piece in pieces:
        lines.insert(at % (len(lines) + 1), piece)
    return b"\n".join(lines)


def fuzz_test(module, source_type: str, samples: list | None = None):
    """A test feeding `module` mutations of `samples` (default: the source's real samples) through fuzz_once.
    Bind it to a test_... name in the test module."""

    @settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=mutated_payload_bytes(samples_of(source_type) if samples is None else samples))
    def test(data):
        with tempfile.TemporaryDirectory() as tmp:
            fuzz_once(module, source_type, data, Path(tmp))

    return test


def fuzz_once(module, source_type: str, data: bytes, tmp_dir: Path) -> None:
    """Parsing any mutation either gives valid events or raises ImportFailed, nothing else."""
    path = tmp_dir / "fuzz.json"
    path.write_bytes(data)
    try:
        events = list(module.parse(path, ImportOptions()))
    except ImportFailed as failed:
        assert failed.problems
        for problem in failed.problems:
            assert isinstance(problem, ImportProblem) and problem.message and problem.file == str(path)
        return
    for event in events:
        check_event(event, source_type)
