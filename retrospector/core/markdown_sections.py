"""Markdown split at its headings: the one splitter behind the write-up checks and the Markdown import.

Line based and fast, and CommonMark where it matters for finding headings: ATX (`## Title`) and
setext (a line underlined with `===` or `---`) headings, none inside fenced code or a multi-line
HTML comment, none in a YAML (`---`) or TOML (`+++`) front matter. Lines end at `\\n`, `\\r\\n` or
`\\r`, as in CommonMark. Pure Python, no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
LIST_ITEM = re.compile(r"^([ \t]*)([-*+]|\d{1,3}[.)])(?:[ \t]+|$)")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(?:={2,}|-{3,})[ \t]*$")
_NOT_LINE_ENDINGS = frozenset("\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")  # str.splitlines ends lines there
_FRONT_MATTER_CLOSERS = {"---": ("---", "..."), "+++": ("+++",)}


@dataclass(frozen=True, slots=True)
class Heading:
    line: int  # index of its first line (the text line of a setext heading)
    level: int
    title: str  # as written, without the #s and the blanks around it; emphasis kept
    title_start: int  # character offsets of the title in the text
    title_end: int
    body_line: int  # index of the first line after the heading


@dataclass(frozen=True, slots=True)
class FrontMatter:
    marker: str  # "---" (YAML) or "+++" (TOML)
    end: int | None  # index of the closing line; None when it is never closed


@dataclass(frozen=True, slots=True)
class Outline:
    lines: list[str]  # without their line endings
    offsets: list[int]  # where each line starts in the text
    front_matter: FrontMatter | None
    body_start: int  # index of the first line after a closed front matter (0 without one)
    headings: list[Heading]
    marked: list[int]  # lines matching `marked` (outside code and comments), when asked for

    def offset(self, line: int, text_length: int) -> int:
        """Where line `line` starts; the end of the text for the line after the last."""
        return self.offsets[line] if line < len(self.offsets) else text_length


def split_lines(text: str) -> tuple[list[str], list[int]]:
    """The lines of `text` without their endings, and the offset where each starts."""
    if "\r" not in text:
        lines = text.split("\n")
        offsets = [0] * len(lines)
        pos = 0
        for index, line in enumerate(lines):
            offsets[index] = pos
            pos += len(line) + 1
        return lines, offsets
    # str.splitlines is fast and knows \r\n and \r, but also ends lines where Markdown does not.
    lines, offsets = [], []
    pos = 0
    carried: int | None = None  # start of a line that went on past such a character
    for piece in text.splitlines(keepends=True):
        start = pos if carried is None else carried
        pos += len(piece)
        if piece[-1] in _NOT_LINE_ENDINGS:
            carried = start
            continue
        offsets.append(start)
        lines.append((piece if carried is None else text[start:pos]).rstrip("\r\n"))
        carried = None
    if carried is not None:
        offsets.append(carried)
        lines.append(text[carried:])
    if text.endswith(("\n", "\r")):
        offsets.append(len(text))
        lines.append("")
    return lines, offsets


def front_matter(lines: list[str]) -> FrontMatter | None:
    """A front matter opened on the first line: `---` closed by `---` or `...`, `+++` by `+++`."""
    marker = lines[0].rstrip() if lines else ""
    closers = _FRONT_MATTER_CLOSERS.get(marker)
    if closers is None:
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in closers:
            return FrontMatter(marker, index)
    return FrontMatter(marker, None)


def outline(text: str, *, marked: re.Pattern | None = None) -> Outline:
    """The headings of `text` (every level), outside fenced code, multi-line comments and front matter.

    `marked` picks out lines that are single-line HTML comments of interest (the import's section
    markers), with the same rules about code and comments as the headings.
    """
    lines, offsets = split_lines(text)
    front = front_matter(lines)
    start = front.end + 1 if front is not None and front.end is not None else 0
    headings: list[Heading] = []
    found: list[int] = []
    fence: str | None = None
    in_comment = False
    prev_paragraph = False
    for i in range(start, len(lines)):
        line = lines[i]
        if in_comment:
            if "-->" in line:
                in_comment = False
            continue
        if fence is not None:
            if line.strip().startswith(fence):
                fence = None
            continue
        stripped = line.strip()
        first = stripped[:1]
        if first in ("`", "~"):
            fence_match = FENCE.match(line)
            if fence_match:
                fence = fence_match.group(1)[0] * 3
                prev_paragraph = False
                continue
        if first == "<" and stripped.startswith("<!--"):
            # An HTML comment is a block of its own: never a paragraph a setext underline could turn into a heading.
            if "-->" not in stripped:
                in_comment = True
            elif marked is not None and marked.match(line):
                found.append(i)
            prev_paragraph = False
            continue
        atx = _ATX.match(line) if first == "#" else None
        if atx:
            raw_title = atx.group(2) or ""
            title_start = offsets[i] + (line.find(raw_title) if raw_title else len(line))
            headings.append(Heading(i, len(atx.group(1)), raw_title, title_start, title_start + len(raw_title), i + 1))
            prev_paragraph = False
            continue
        if first in ("=", "-") and prev_paragraph and _SETEXT.match(line):
            prev_line = lines[i - 1]
            lead = len(prev_line) - len(prev_line.lstrip())
            headings.append(
                Heading(
                    i - 1,
                    1 if first == "=" else 2,
                    prev_line.strip(),
                    offsets[i - 1] + lead,
                    offsets[i - 1] + len(prev_line),
                    i + 1,
                )
            )
            prev_paragraph = False
            continue
        prev_paragraph = (
            bool(stripped)
            and "|" not in line
            and first != ">"
            and not ((first in "-*+" or first.isdigit()) and LIST_ITEM.match(line))
        )
    return Outline(lines, offsets, front, start, headings, found)
