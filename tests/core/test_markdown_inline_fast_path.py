"""The renderer's fast path for inline text without markup (core.markdown._inline_with_a_plain_text_fast_path) makes
exactly the tokens, and so the HTML, of markdown-it's own inline rule, whatever the text."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrospector.core.markdown import _CLEAN, _build_parser, render_markdown

pytestmark = pytest.mark.no_database

FAST = _build_parser()
STOCK = _build_parser(fast_inline=False)

# Pieces a write-up is made of: words, times and paths; blanks and line ends (around which the breaks are made); block
# markers; and markup, with which the stock rule runs. Text is drawn as a run of them, so that text without markup (the
# fast path) comes as often as text with it.
PLAIN_PIECES = ["word", "a", "14:03", "a/b.", "-", ":", "#", "|", ">", "1.", " ", "  ", "   ", "\t", "\n", "\n\n"]
MARKUP_PIECES = ["**b**", "*", "_i_", "`c`", "~~s~~", "[l](https://x.test)", "![i](x.png)", "<x>", "&amp;", "\\*", "\\"]
TEXTS = st.one_of(
    st.lists(st.sampled_from(PLAIN_PIECES), max_size=40).map("".join),
    st.lists(st.sampled_from(PLAIN_PIECES + MARKUP_PIECES), max_size=40).map("".join),
)


def inline_tokens(parser, text):
    out = []
    for token in parser.parse(text):
        out.append((token.type, token.tag, token.content))
        for child in token.children or ():
            out.append(("  " + child.type, child.tag, child.content, child.level, child.markup))
    return out


@given(TEXTS)
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_text_makes_the_tokens_and_html_of_the_stock_inline_rule(text):
    assert inline_tokens(FAST, text) == inline_tokens(STOCK, text)
    assert FAST.render(text) == STOCK.render(text)


@pytest.mark.parametrize(
    "text",
    [
        "Plain words, a time 14:03 and a path a/b.",
        "two spaces make a hard break  \nthe next line",
        "one space a soft one \n   indented next line\n\ttabbed",
        "| When | What |\n|---|---|\n| 14:02 | Deploy starts |\n| 14:05 | `rollback` |",
        "- item one\n- item **two**\n  continued  \n  again",
        "> quoted\n> lines",
        "trailing tab\t\nnext",
        "many spaces     \nnext",
    ],
)
def test_write_up_shapes_render_as_before(text):
    assert inline_tokens(FAST, text) == inline_tokens(STOCK, text)
    assert render_markdown(text) == _CLEAN(STOCK.render(text))
