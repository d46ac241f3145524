"""Random Markdown, free text and structured, never makes reading or understanding raise."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrospector.importers.history.markdown import read_markdown, read_markdown_text
from retrospector.importers.history.understand import understand
from tests.importers.history.support import TEMPLATES

pytestmark = pytest.mark.no_database

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_words = st.sampled_from(
    [
        "Timeline",
        "Action items",
        "Root cause(s)",
        "Summary",
        "Lessons learned",
        "Date:",
        "Duration:",
        "Severity:",
        "Start:",
        "End:",
        "All times in CET",
        "T+5m",
        "T-",
        "14:03",
        "25:99",
        "HH:mm",
        "2021-03-04",
        "2021-02-30",
        "20202-01-16",
        "2021-03-04 14:03 CET",
        "12:00pm",
        "13:00am",
        "[ ]",
        "[x]",
        "ABC-123",
        "UTC",
        "|",
        "---",
        "+++",
        "&amp;",
        "#",
        "##",
        "-",
        "*",
        "1.",
        "`",
        "```",
        ">",
        "\n",
        "\n\n",
        "  ",
        "Title:",
        "October 15, 2018",
        "https://github.com/o/r/issues/1",
        "[#1]",
        "[#1]: https://github.com/o/r/pull/1",
        "\u00e9",
        "\ufeff",
        "\x00",
    ]
)
_free = st.lists(st.one_of(_words, st.text(max_size=12)), max_size=40).map(" ".join)


@st.composite
def _structured(draw):
    parts = []
    if draw(st.booleans()):
        fence = draw(st.sampled_from(["---", "+++"]))
        parts.append(f"{fence}\n{draw(_free)}\n{fence}")
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["heading", "list", "table", "para", "code"]))
        if kind == "heading":
            parts.append("#" * draw(st.integers(1, 4)) + " " + draw(_free).replace("\n", " "))
        elif kind == "list":
            items = draw(st.lists(_free, max_size=5))
            parts.append("\n".join(f"{'  ' * draw(st.integers(0, 2))}- {i.replace(chr(10), ' ')}" for i in items))
        elif kind == "table":
            cols = draw(st.integers(1, 4))
            rows = draw(st.lists(st.lists(_free, min_size=cols, max_size=cols), max_size=4))
            lines = ["| " + " | ".join(["Time", "Event", "Owner", "Status"][:cols]) + " |", "|" + "---|" * cols]
            lines += ["| " + " | ".join(c.replace("\n", " ").replace("|", "/") for c in r) + " |" for r in rows]
            parts.append("\n".join(lines))
        elif kind == "code":
            parts.append("```\n" + draw(_free) + "\n```")
        else:
            parts.append(draw(_free))
    return "\n\n".join(parts)


@FAST
@given(text=st.one_of(_free, st.text(max_size=300)), tz=st.sampled_from([None, "UTC", "CET", "Nowhere/Land"]))
def test_free_text_never_raises(text, tz):
    doc = read_markdown_text(text, path="x.md", checksum="c")
    record = understand(doc, templates=TEMPLATES, default_tz=tz)
    assert record.title is not None


@FAST
@given(text=_structured(), mapping=st.sampled_from([None, {}, {"template": "postmortem"}, {"fields": {"x": 1}}]))
def test_structured_markdown_never_raises(text, mapping):
    doc = read_markdown(text.encode("utf-8", "surrogatepass"), path="PM2021-001 - x.md")
    record = understand(doc, templates=TEMPLATES, mapping=mapping)
    for event in record.events:
        assert event.at is None or event.at.tzinfo is not None
    for section in record.sections:
        assert section.text in doc.text.replace("\r\n", "\n").replace("\r", "\n")


@FAST
@given(data=st.binary(max_size=200))
def test_random_bytes_never_raise(data):
    doc = read_markdown(data, path="x.md")
    understand(doc, templates=TEMPLATES)
