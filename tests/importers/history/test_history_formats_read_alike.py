"""Once the Markdown reader is there (histmd's markdown.py), a postmortem read from pandoc's HTML or Word file gives
the same blocks as read from its Markdown source: headings, tables and list items (compared on their words, not
their escapes). Pure: no Django."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from retrospector.importers.history.docx import read_docx
from retrospector.importers.history.html import read_html

pytestmark = pytest.mark.no_database

markdown = pytest.importorskip("retrospector.importers.history.markdown", reason="markdown.py is histmd's, not merged")
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "postmortems" / "history-formats"
STEMS = ["dfds-all-services-503", "learningequality-buildkite-failing-build", "rust-docsrs-outage"]


def words(text: str) -> str:
    """The words of Markdown inline text: no escapes, emphasis or link targets (a reference link in the source,
    `[name]`, is an inline link once converted)."""
    text = re.sub(r"\]\([^)]*\)", "]", text)
    return " ".join(re.sub(r"[\\*_`\[\]]", "", text).split())


def shape(document) -> list[tuple]:
    out = []
    for block in document.blocks:
        if block.kind == "heading":
            out.append(("heading", block.level, words(block.text)))
        elif block.kind == "table":
            out.append(("table", tuple(tuple(words(cell) for cell in row) for row in block.rows)))
        elif block.kind == "list":
            out += [("item", item.depth, item.checked, words(item.text)) for item in block.items]
    return out


@pytest.mark.parametrize("stem", STEMS)
@pytest.mark.parametrize("reader", [read_html, read_docx], ids=["html", "docx"])
def test_a_converted_postmortem_reads_like_its_markdown_source(stem, reader):
    source = markdown.read_markdown((FIXTURES / f"{stem}.md").read_bytes(), path=f"{stem}.md")
    suffix = ".html" if reader is read_html else ".docx"
    converted = reader((FIXTURES / f"{stem}{suffix}").read_bytes(), path=f"{stem}{suffix}")
    assert converted.format == suffix[1:] and not converted.problems
    assert shape(converted) == shape(source)
