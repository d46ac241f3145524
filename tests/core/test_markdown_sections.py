"""One Markdown splitter for the write-up checks and the Markdown import.

Before there were two, and they disagreed on the inputs below. Each case shows the input, the
headings both callers now see, and that CommonMark (markdown-it, which renders our pages) sees
the same ones. "checks" and "import" say which of the two old splitters already did it this way.
"""

import pytest
from markdown_it import MarkdownIt

from retrospector.checks import Document
from retrospector.core.markdown_sections import outline, split_lines
from retrospector.writeups.exchange import parse_markdown

pytestmark = pytest.mark.no_database

# (input, headings as (level, title), which old splitter was right)
DISAGREEMENTS = [
    # A ``` line inside a ~~~ fence does not close it; the import toggled on any fence line.
    ("~~~\n```\n~~~\n## After the code\nbody\n", [(2, "After the code")], "checks"),
    # Four spaces make indented code, not a fence; the import took it for a fence and lost the heading.
    ("Text\n\n    ```\n## Real heading\nbody\n", [(2, "Real heading")], "checks"),
    # A heading inside a multi-line HTML comment is commented out.
    ("<!--\n## Hidden\n-->\n## Shown\nbody\n", [(2, "Shown")], "checks"),
    # A closing sequence needs a space before it: "C#" is the title.
    ("## C#\nbody\n", [(2, "C#")], "checks"),
    # Setext headings (a line underlined with --- or ===) are headings.
    ("Impact\n------\n30% of payments failed.\n", [(2, "Impact")], "checks"),
    # Up to three spaces of indentation, and a tab after the #s.
    ("  ## Indented\nbody\n##\tTabbed\nbody\n", [(2, "Indented"), (2, "Tabbed")], "checks"),
    # An empty heading is still a heading.
    ("## A\nbody\n##\nmore\n", [(2, "A"), (2, "")], "checks"),
    # A lone carriage return ends a line (old Mac line endings).
    ("## One\rbody\r## Two\rbody\r", [(2, "One"), (2, "Two")], "checks"),
    # U+2028 and form feed do not end a line in Markdown, whatever str.splitlines says.
    ("## One\u2028## still one\nbody\x0c## still body\n", [(2, "One\u2028## still one")], "import"),
    # A one-line comment is a block of its own: the --- after it is a rule, not a setext underline.
    ("## A\n<!-- note -->\n---\nbody\n", [(2, "A")], "import"),
]

# Front matter is not CommonMark; both callers now skip the same block and start after it.
FRONT_MATTER = [
    # YAML front matter may end with "..." (the checks read it as text).
    ("---\ntitle: Cache stampede\n...\n", "import"),
    # TOML front matter (Hugo) (the import read it as text).
    ("+++\ntitle = 'Cache stampede'\n+++\n", "checks"),
    # It ends at an unindented line: an indented --- is YAML text (the import stopped there).
    ("---\nnote: |\n  ---\n---\n", "checks"),
]


def commonmark_headings(text: str) -> list[tuple[int, str]]:
    tokens = MarkdownIt("commonmark").parse(text)
    return [
        (int(tokens[i].tag[1]), tokens[i + 1].content) for i, token in enumerate(tokens) if token.type == "heading_open"
    ]


def checks_headings(text: str) -> list[tuple[int, str]]:
    return [(s.level, s.title) for s in Document.from_markdown(text).sections if s.level]


def import_titles(text: str) -> list[str]:
    return [s.title for s in parse_markdown(text).sections]


@pytest.mark.parametrize(("text", "headings", "was_right"), DISAGREEMENTS)
def test_the_checks_and_the_import_split_alike(text, headings, was_right):
    assert [(h.level, h.title) for h in outline(text).headings] == headings
    assert checks_headings(text) == headings
    assert import_titles(text) == [title for level, title in headings if level == 2]


@pytest.mark.parametrize(("front_matter", "was_right"), FRONT_MATTER)
def test_the_checks_and_the_import_skip_the_same_front_matter(front_matter, was_right):
    text = front_matter + "The cache fell over.\n## Impact\n"
    assert [(s.key, s.body) for s in Document.from_markdown(text).sections] == [
        ("preamble", "The cache fell over.\n"),
        ("impact", ""),
    ]
    assert parse_markdown(front_matter + "The cache fell over.\n").sections[0].body == "The cache fell over."


@pytest.mark.parametrize(("text", "headings", "was_right"), DISAGREEMENTS)
def test_the_splitter_finds_the_headings_commonmark_finds(text, headings, was_right):
    assert commonmark_headings(text) == headings


def test_the_import_skips_a_toml_front_matter_it_cannot_read():
    parsed = parse_markdown("+++\ntitle = 'Cache stampede'\n+++\nThe cache fell over.\n")
    assert [(s.key, s.body) for s in parsed.sections] == [("summary", "The cache fell over.")]
    assert parsed.title == ""


def test_the_import_takes_its_title_from_the_first_level_one_heading_outside_code():
    text = "```\n# Not the title\n```\nCache stampede\n==============\n\n## Summary\nbody\n"
    assert parse_markdown(text).title == "Cache stampede"
    assert parse_markdown("# Cache stampede #\n\n## Summary\nbody\n").title == "Cache stampede"


def test_lines_end_where_commonmark_ends_them_and_offsets_point_into_the_original():
    text = "a\r\nb\rc\nd\u2028e\x0cf\r\n"
    lines, offsets = split_lines(text)
    assert lines == ["a", "b", "c", "d\u2028e\x0cf", ""]
    assert [text[o : o + len(line)] for o, line in zip(offsets, lines, strict=True)] == lines
    assert split_lines("a\nb\n") == (["a", "b", ""], [0, 2, 4])


def test_headings_keep_their_offsets_in_the_original_text_with_crlf_line_endings():
    text = "Intro\r\n\r\n## Summary ##\r\nbody\r\nImpact\r\n------\r\n"
    found = outline(text)
    assert [text[h.title_start : h.title_end] for h in found.headings] == ["Summary", "Impact"]
    assert [found.offset(h.body_line, len(text)) for h in found.headings] == [text.index("body"), len(text)]


def test_markers_are_found_outside_code_only():
    import re

    marker = re.compile(r"^<!-- m -->$")
    found = outline("<!-- m -->\n```\n<!-- m -->\n```\n<!--\n<!-- m -->\n-->\n<!-- m -->\n", marked=marker)
    assert found.marked == [0, 7]
