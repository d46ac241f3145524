"""Markdown read into a SourceDocument: decoding, front matter (YAML, TOML, broken), blocks with their lines."""

from __future__ import annotations

import hashlib

import pytest

from retrospector.importers.history.markdown import read_markdown, read_markdown_text

pytestmark = pytest.mark.no_database


def test_it_reads_utf8_with_a_byte_order_mark_and_keeps_the_checksum_of_the_bytes():
    data = "\ufeff# Title\n\nS&amp;O said hello\n".encode()
    doc = read_markdown(data, path="a.md")
    assert doc.checksum == hashlib.sha256(data).hexdigest()
    assert doc.blocks[0].kind == "heading" and doc.blocks[0].text == "Title" and doc.blocks[0].line == 1
    assert doc.blocks[1].text == "S&O said hello" and doc.blocks[1].line == 3
    assert not doc.problems


def test_it_refuses_undecodable_bytes_naming_the_byte_offset():
    data = b"# Title\n\ncaf\xe9\n"
    doc = read_markdown(data, path="notes/old.md")
    assert doc.blocks == () and doc.text == ""
    (problem,) = doc.problems
    assert problem.offset == 12
    assert "notes/old.md" in problem.message and "offset 12" in problem.message


def test_undecodable_offset_counts_the_byte_order_mark():
    doc = read_markdown(b"\xef\xbb\xbfab\xff", path="x.md")
    assert doc.problems[0].offset == 5


def test_yaml_front_matter_is_read_and_lines_count_from_the_file():
    text = "---\ntitle: Disk full\nseverity: SEV2\ntimezone: Europe/Copenhagen\n---\n# Heading\n\nBody\n"
    doc = read_markdown_text(text, path="a.md", checksum="c")
    assert doc.front_matter == {"title": "Disk full", "severity": "SEV2", "timezone": "Europe/Copenhagen"}
    assert doc.body_line == 6
    assert doc.blocks[0].line == 6 and doc.blocks[1].line == 8
    assert doc.text.startswith("# Heading")


def test_toml_front_matter_is_read():
    text = '+++\ntitle = "DNS outage"\n[extra]\nteam = "infra"\n+++\n\nBody\n'
    doc = read_markdown_text(text, path="a.md", checksum="c")
    assert doc.front_matter == {"title": "DNS outage", "extra": {"team": "infra"}}
    assert doc.blocks[0].line == 7


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("---\ntitle: ok\nbad: [unclosed\n---\nBody text\n", 4),
        ('+++\ntitle = "ok"\nbad = \n+++\nBody text\n', 3),
        ("---\n- a list\n- not a mapping\n---\nBody text\n", 1),
    ],
)
def test_a_broken_front_matter_is_a_problem_with_its_line_and_the_body_is_still_read(text, line):
    doc = read_markdown_text(text, path="a.md", checksum="c")
    assert doc.front_matter == {}
    (problem,) = doc.problems
    assert problem.line == line and "front matter" in problem.message
    assert doc.blocks[-1].text == "Body text" and doc.blocks[-1].line == 5


def test_a_rule_at_the_top_without_a_closing_one_is_not_front_matter():
    doc = read_markdown_text("---\nJust text\n", path="a.md", checksum="c")
    assert doc.front_matter == {} and not doc.problems
    assert doc.blocks[0].kind == "rule"


def test_lists_with_checkboxes_nesting_and_order():
    text = "- [ ] open item\n- [X] done item\n  1. nested first\n  2. nested second\n- plain\n"
    doc = read_markdown_text(text, path="a.md", checksum="c")
    (block,) = doc.blocks
    items = [(i.text, i.line, i.depth, i.checked, i.ordered) for i in block.items]
    assert items == [
        ("open item", 1, 0, False, False),
        ("done item", 2, 0, True, False),
        ("nested first", 3, 1, None, True),
        ("nested second", 4, 1, None, True),
        ("plain", 5, 0, None, False),
    ]


def test_tables_code_and_rules():
    text = "| Time | Event |\n|---|---|\n| 14:03 | A &amp; B |\n\n```sh\nls\n```\n\n***\n"
    doc = read_markdown_text(text, path="a.md", checksum="c")
    table, code, rule = doc.blocks
    assert table.has_header and table.rows == (("Time", "Event"), ("14:03", "A & B"))
    assert (code.kind, code.language, code.text, code.line) == ("code", "sh", "ls\n", 5)
    assert rule.kind == "rule" and rule.line == 9


def test_an_empty_pair_of_brackets_is_an_empty_checkbox():
    doc = read_markdown_text("- [] to do\n- []\n- [link](x)\n", path="a.md", checksum="c")
    assert [(i.text, i.checked) for i in doc.blocks[0].items] == [("to do", False), ("", False), ("[link](x)", None)]
