"""Passages of a Markdown source marked in its rendered HTML (core.markdown_marks): found in the block that holds
their line, wrapped text node by text node, never breaking the HTML or letting anything unsanitized through."""

from html.parser import HTMLParser

import pytest

from retrospector.core.markdown import render_markdown, render_markdown_with_source_lines, strip_source_lines
from retrospector.core.markdown_marks import Passage, mark_passages

VOID = {"br", "hr", "img"}


def balanced(html: str) -> bool:
    """Every element closed in the order it was opened (what a browser needs to keep the structure as written)."""

    class Checker(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack, self.ok = [], True

        def handle_starttag(self, tag, attrs):
            if tag not in VOID:
                self.stack.append(tag)

        def handle_endtag(self, tag):
            if not self.stack or self.stack.pop() != tag:
                self.ok = False

    checker = Checker()
    checker.feed(html)
    return checker.ok and not checker.stack


def wrap(index, first, inner):
    return f'<mark data-i="{index}"{" data-first" if first else ""}>{inner}</mark>'


def passage(source: str, text: str, nth: int = 0) -> Passage:
    at = -1
    for _ in range(nth + 1):
        at = source.index(text, at + 1)
    return Passage(at, at + len(text))


def mark(source: str, *passages: Passage):
    html, found = mark_passages(render_markdown_with_source_lines(source), source, passages, wrap)
    html = strip_source_lines(html)
    assert balanced(html), html
    return html, found


SAMPLES = [
    "Para **one**\ncontinues\n\n- item *a*\n- item b\n  - nested\n\n1. loose\n\n2. list\n",
    "| A | B |\n|---|---|\n| x | y |\n\n> quote\n> more\n\n```python\ncode\n```\n\n    indented\n\n# Head\n",
    '<div data-sl="3">raw</div>\n<p data-el="x">p</p>\n\n<script>alert(1)</script> [x](javascript:alert(1))',
    "AT&amp;T <b>bold</b> &lt;tag&gt; ![img](https://example.com/a.png)",
]


@pytest.mark.parametrize("source", SAMPLES)
def test_the_rendering_with_source_lines_is_the_rendering_once_they_are_taken_off(source):
    assert strip_source_lines(render_markdown_with_source_lines(source)) == render_markdown(source)


def test_a_passage_is_wrapped_where_it_sits():
    source = "The deploy went out.\n\nEmeka caused the outage.\n"
    html, found = mark(source, passage(source, "Emeka caused"))
    assert found == {0}
    assert html == ('<p>The deploy went out.</p>\n<p><mark data-i="0" data-first>Emeka caused</mark> the outage.</p>\n')


def test_a_passage_across_emphasis_becomes_pieces_and_only_the_first_is_first():
    source = "Intro **Emeka** caused it."
    html, found = mark(source, passage(source, "Emeka** caused"))
    assert found == {0}
    assert '<strong><mark data-i="0" data-first>Emeka</mark></strong><mark data-i="0"> caused</mark> it.' in html


@pytest.mark.parametrize(
    "source, text, expected",
    [
        ("- one\n- Bob botched it\n  - Bob botched it again\n", "botched it again", "<li>Bob <mark"),
        ("| Time | What |\n|---|---|\n| 14:00 | Bob botched the rollback |\n", "botched", "<td>Bob <mark"),
        ("## Why did Bob do it?\n", "Why did Bob", "<h4><mark"),
        ("> Someone should have\n> looked.\n", "should have\n> looked", "<blockquote>\n<p>Someone <mark"),
        ("```\nBob broke it\n```\n", "broke", "<code>Bob <mark"),
    ],
)
def test_passages_are_found_in_every_kind_of_block(source, text, expected):
    html, found = mark(source, passage(source, text))
    assert found == {0} and expected in html


def test_a_nested_item_is_marked_in_itself_not_in_its_parent():
    source = "- Bob botched it\n  - Bob botched it\n"
    html, _ = mark(source, passage(source, "Bob botched", nth=1))
    assert html.index("<mark") > html.index("<ul>", 5)


def test_the_same_words_twice_in_a_block_mark_the_one_the_finding_points_at():
    source = "Bob paged. Then Bob paged again.\n"
    html, _ = mark(source, passage(source, "Bob paged", nth=1))
    assert html.startswith("<p>Bob paged. Then <mark")


def test_the_same_words_in_two_blocks_mark_the_one_on_the_findings_line():
    source = "Bob paged.\n\nBob paged.\n"
    html, _ = mark(source, passage(source, "Bob paged", nth=1))
    assert html == '<p>Bob paged.</p>\n<p><mark data-i="0" data-first>Bob paged</mark>.</p>\n'


def test_overlapping_passages_nest():
    source = "Hermione should have pinned it."
    html, found = mark(source, passage(source, "Hermione should have pinned"), passage(source, "should have"))
    assert found == {0, 1}
    assert '<mark data-i="0"><mark data-i="1" data-first>should have</mark></mark>' in html


def test_character_references_are_matched_as_the_characters_they_stand_for():
    source = "AT&T and R&D caused 5 < 6 errors."
    html, found = mark(source, passage(source, "R&D caused 5 < 6"))
    assert found == {0} and '<mark data-i="0" data-first>R&amp;D caused 5 &lt; 6</mark> errors' in html


@pytest.mark.parametrize(
    "source, text",
    [
        ("First paragraph ends.\n\nSecond begins.\n", "ends.\n\nSecond"),  # across two blocks
        ("<div>Bob broke it</div>\n", "broke"),  # raw HTML: no source lines
        ("Visit [the runbook](https://example.com/run) now.", "runbook](https://example.com/run"),
    ],
)
def test_a_passage_that_cannot_be_placed_is_left_out_and_the_html_is_unchanged(source, text):
    html, found = mark(source, passage(source, text))
    assert found == set() and html == render_markdown(source)


def test_a_passage_beyond_the_text_or_empty_is_left_out():
    source = "Short."
    html, found = mark(source, Passage(3, 50), Passage(2, 2), Passage(0, 1))
    assert found == {2} and html.startswith('<p><mark data-i="2" data-first>S</mark>')


def test_the_source_never_gets_through_unsanitized():
    source = 'Bob <img src=x onerror="alert(1)"> <script>alert(2)</script> caused it, <a href="javascript:x">here</a>.'
    html, found = mark(source, passage(source, "caused it"))
    assert found == {0}
    assert "onerror" not in html and "<script" not in html and "javascript:" not in html
    assert '<mark data-i="0" data-first>caused it</mark>' in html


def test_white_space_between_table_cells_is_never_wrapped():
    source = "| A | B |\n|---|---|\n| Bob | botched it |\n"
    html, found = mark(source, passage(source, "Bob | botched"))
    assert found == {0}
    assert "<tr>\n<td><mark" in html and "</td>\n<td><mark" in html


@pytest.mark.parametrize("marker", ["", "- "])
def test_thousands_of_passages_in_one_block_or_in_as_many_are_all_marked(marker):
    # One paragraph of 3,000 lines, or 3,000 items: each passage's place is looked up, not searched for again.
    source = "".join(f"{marker}Step {n}: Bob caused it.\n" for n in range(3000))
    passages, at = [], -1
    for _ in range(3000):
        at = source.index("Bob caused", at + 1)
        passages.append(Passage(at, at + len("Bob caused")))
    html, found = mark_passages(render_markdown_with_source_lines(source), source, passages, wrap)
    assert found == set(range(3000)) and html.count("data-first>Bob caused</mark>") == 3000
    assert 'Step 2999: <mark data-i="2999" data-first>Bob caused</mark> it.' in html
