"""Text put in a Markdown table cell reads as it was written (core.markdown_writing)."""

import pytest

from retrospector.core.markdown import render_markdown
from retrospector.core.markdown_writing import ELLIPSIS, escape_inline, markdown_link, table_cell

pytestmark = pytest.mark.no_database


def rendered_cell(cell: str) -> str:
    """The HTML inside the one body cell of a two-column table holding `cell`."""
    html = render_markdown(f"| a | b |\n|---|---|\n| {cell} | end |")
    start = html.index("<tbody>")
    body = html[start:]
    first = body.index("<td>") + len("<td>")
    return body[first : body.index("</td>", first)]


@pytest.mark.parametrize(
    "text, shown",
    [
        ("__init__.py", "__init__.py"),
        ("*not emphasis* and _this_", "*not emphasis* and _this_"),
        ("a | b", "a | b"),
        ("<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"),
        ("&amp; stays as typed", "&amp;amp; stays as typed"),
        ("~~not struck~~", "~~not struck~~"),
        ("[not a link] and \\ backslash", "[not a link] and \\ backslash"),
        ("unmatched ` backtick", "unmatched ` backtick"),
    ],
)
def test_text_reads_as_written(text, shown):
    assert rendered_cell(table_cell(text)) == shown


def test_code_spans_and_fences_stay_code_on_one_line():
    cell = table_cell("Ran:\n```sh\nkubectl get pods | grep api\n  --watch\n```\nthen `make  deploy`")
    assert "\n" not in cell
    assert rendered_cell(cell) == "Ran: <code>kubectl get pods | grep api --watch</code> then <code>make deploy</code>"


def test_an_unclosed_fence_runs_to_the_end_as_code():
    assert rendered_cell(table_cell("Trace:\n~~~\nValueError: x_y")) == "Trace: <code>ValueError: x_y</code>"


def test_code_holding_backticks_gets_a_longer_fence():
    assert rendered_cell(table_cell("```\necho `date`\n```")) == "<code>echo `date`</code>"


def test_http_links_stay_links_and_others_are_text():
    cell = table_cell("See [the runbook](https://wiki.example.com/run_book) or [this](javascript:alert(1))")
    assert rendered_cell(cell) == (
        'See <a href="https://wiki.example.com/run_book" rel="nofollow noopener">the runbook</a> '
        "or [this](javascript:alert(1))"
    )


def test_a_long_text_is_cut_at_a_word_with_an_ellipsis():
    text = "alpha beta gamma delta epsilon zeta eta theta"
    cell = table_cell(text, limit=20)
    assert cell == "alpha beta gamma" + ELLIPSIS
    assert table_cell("short", limit=20) == "short"


def test_a_single_word_longer_than_the_limit_is_cut_where_it_must_be():
    assert table_cell("x" * 50, limit=10) == "x" * 9 + ELLIPSIS


def test_cutting_never_leaves_a_code_span_open():
    cell = table_cell("before `" + "code " * 40 + "` after", limit=60)
    assert cell.endswith(ELLIPSIS) and cell.count("`") % 2 == 0
    assert rendered_cell(cell).startswith("before <code>code code")


def test_white_space_is_collapsed():
    assert table_cell("  one\n\ntwo\t three  ") == "one two three"


def test_links_and_escapes_for_other_writers():
    assert escape_inline("a_b|c") == "a\\_b\\|c"
    assert markdown_link("chat", "https://x.example.com/a(b)|c") == "[chat](https://x.example.com/a%28b%29%7Cc)"
    assert markdown_link("ref_1", "ftp://x") == "ref\\_1"
