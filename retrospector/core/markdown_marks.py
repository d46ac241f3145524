"""Mark passages of a Markdown source in its rendered HTML: the checks' findings, underlined where the reader sees them.

Pure Python, no Django. The HTML is render_markdown_with_source_lines's (sanitized, each block carrying the source
lines it came from); a passage is a span of character offsets in the Markdown. Each passage is looked for in the text
of the innermost block that holds its first line, comparing letters and digits only (the Markdown's `**`, `_`, list
markers and line breaks are not in the HTML's text): the same words the same number of times before it. What is found
is wrapped where it sits, text node by text node (a passage across `<strong>` becomes two pieces), so the elements
around it are never cut in two and nothing but the wrapping is added. A passage that cannot be found (inside raw HTML,
across two blocks, beyond a preview's cut) is left out: the caller lists it elsewhere.
"""

from __future__ import annotations

import bisect
import html as html_lib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["Passage", "mark_passages"]

# nh3 writes attributes in double quotes, with '>' possibly left as it is inside them.
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_FIRST_LINE = re.compile(r'\sdata-sl="([0-9]+)"')
_END_LINE = re.compile(r'\sdata-el="([0-9]+)"')
_UNIT = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);|.", re.DOTALL)
_VOID = frozenset({"br", "hr", "img", "wbr", "area", "base", "col", "embed", "input", "link", "meta", "source"})


@dataclass(frozen=True)
class Passage:
    """[start, end): character offsets in the Markdown source."""

    start: int
    end: int


@dataclass
class _Block:
    first_line: int
    end_line: int
    texts: list[int] = field(default_factory=list)  # indexes of its own text nodes (not those of inner blocks)


def _normalized(text: str, base: int = 0) -> tuple[str, list[int]]:
    """Letters and digits of `text`, lower-cased, and for each the offset (plus `base`) of its character."""
    chars: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text):
        if char.isalnum():
            for lowered in char.lower():
                if lowered.isalnum():
                    chars.append(lowered)
                    where.append(base + index)
    return "".join(chars), where


def _occurrences(haystack: str, needle: str) -> list[int]:
    found, at = [], haystack.find(needle)
    while at != -1:
        found.append(at)
        at = haystack.find(needle, at + 1)
    return found


def line_starts(text: str) -> list[int]:
    """Offsets where each line starts (a line ends at "\n", as the checker counts lines)."""
    starts = [0]
    at = text.find("\n")
    while at != -1:
        starts.append(at + 1)
        at = text.find("\n", at + 1)
    return starts


def mark_passages(
    html: str, source: str, passages: Sequence[Passage], wrap: Callable[[int, bool, str], str]
) -> tuple[str, set[int]]:
    """The HTML with each passage found wrapped by `wrap(index, first, inner_html)` (index into `passages`; `first`
    for the first piece of that passage), and the indexes of the passages found. `wrap` must return well-formed
    phrasing content around `inner_html`; passages that overlap are nested, the earlier one outside."""
    parts = _TAG.split(html)
    # _TAG has 3 groups: parts = [text, slash, name, attributes, text, slash, name, attributes, ..., text]
    texts = parts[0::4]
    blocks: list[_Block] = []
    owner: list[int | None] = [None] * len(texts)
    stack: list[tuple[str, int | None]] = []
    for index in range(len(texts)):
        innermost = next((block for _, block in reversed(stack) if block is not None), None)
        owner[index] = innermost
        if innermost is not None:
            blocks[innermost].texts.append(index)
        if index == len(texts) - 1:
            break
        closing, name, attributes = parts[4 * index + 1], parts[4 * index + 2].lower(), parts[4 * index + 3]
        if closing:
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth][0] == name:
                    del stack[depth:]
                    break
        elif name not in _VOID and not attributes.rstrip().endswith("/"):
            first_line, end_line = _FIRST_LINE.search(attributes), _END_LINE.search(attributes)
            block = None
            if first_line and end_line:
                blocks.append(_Block(int(first_line.group(1)), int(end_line.group(1))))
                block = len(blocks) - 1
            stack.append((name, block))

    starts = line_starts(source)
    # For each source line, the innermost block holding it (the shortest; the later of two alike, which is inside).
    innermost: list[int | None] = [None] * (len(starts) + 1)
    for index, block in enumerate(blocks):
        size = block.end_line - block.first_line
        for line in range(max(0, block.first_line), min(block.end_line, len(innermost))):
            best = innermost[line]
            if best is None or size <= blocks[best].end_line - blocks[best].first_line:
                innermost[line] = index
    pieces: dict[int, list[tuple[int, int, int]]] = {}  # text node -> [(raw start, raw end, passage index)]
    found: set[int] = set()
    rendered_cache: dict[int, tuple] = {}  # block -> (its source, normalized; its text, normalized)
    occurrences: dict[tuple[int, str], tuple[list[int], list[int]]] = {}  # where the words are, in each
    for number, passage in enumerate(passages):
        if not 0 <= passage.start < passage.end <= len(source):
            continue
        wanted, _ = _normalized(source[passage.start : passage.end])
        if not wanted:
            continue
        chosen = innermost[bisect.bisect_right(starts, passage.start) - 1]
        if chosen is None:
            continue
        block = blocks[chosen]
        if chosen not in rendered_cache:
            begin = starts[block.first_line] if block.first_line < len(starts) else len(source)
            finish = starts[block.end_line] if block.end_line < len(starts) else len(source)
            rendered_cache[chosen] = (_normalized(source[begin:finish], begin), _rendered_text(texts, block.texts))
        (block_source, source_where), (rendered, units) = rendered_cache[chosen]
        if (chosen, wanted) not in occurrences:
            in_source = [source_where[at] for at in _occurrences(block_source, wanted)]
            occurrences[chosen, wanted] = (in_source, _occurrences(rendered, wanted))
        in_source, places = occurrences[chosen, wanted]
        if not places:
            continue
        before = bisect.bisect_left(in_source, passage.start)
        at = places[min(before, len(places) - 1)]
        first_unit, last_unit = units[at], units[at + len(wanted) - 1]
        found.add(number)
        for text_index, raw_start, raw_end in _spans(texts, block.texts, first_unit, last_unit):
            pieces.setdefault(text_index, []).append((raw_start, raw_end, number))

    if not pieces:
        return html, found
    opened: set[int] = set()
    for index in sorted(pieces):
        texts[index] = _wrapped(texts[index], pieces[index], wrap, opened)
    parts[0::4] = texts
    out = []
    for index, part in enumerate(parts):
        position = index % 4
        if position == 0:
            out.append(part)
        elif position == 1:
            out.append("<" + part)
        elif position == 2:
            out.append(part)
        else:
            out.append(part + ">")
    return "".join(out), found


def _rendered_text(texts: list[str], own: list[int]) -> tuple[str, list[tuple[int, int, int]]]:
    """A block's text, normalized, and for each character (text node, raw start, raw end) of the unit (a character or
    a character reference) it came from."""
    chars: list[str] = []
    units: list[tuple[int, int, int]] = []
    for text_index in own:
        for match in _UNIT.finditer(texts[text_index]):
            unit = match.group(0)
            decoded = html_lib.unescape(unit) if len(unit) > 1 else unit
            normalized, _ = _normalized(decoded)
            for char in normalized:
                chars.append(char)
                units.append((text_index, match.start(), match.end()))
    return "".join(chars), units


def _spans(texts, own, first, last):
    """(text node, raw start, raw end) from the unit `first` to the unit `last`, one per text node; text nodes of
    white space only are left alone (they may sit between table cells or list items, where no element may go)."""
    first_text, first_start, _ = first
    last_text, _, last_end = last
    for text_index in own:
        if text_index < first_text or text_index > last_text:
            continue
        start = first_start if text_index == first_text else 0
        end = last_end if text_index == last_text else len(texts[text_index])
        if start < end and texts[text_index][start:end].strip():
            yield text_index, start, end


def _wrapped(raw: str, spans: list[tuple[int, int, int]], wrap, opened: set[int]) -> str:
    """A text node with its pieces wrapped: cut where any piece starts or ends, each part wrapped by every piece over
    it (a sweep over the cuts, so many pieces in one long text node stay cheap)."""
    starting: dict[int, list[int]] = {}
    ending: dict[int, list[int]] = {}
    for start, end, number in spans:
        starting.setdefault(start, []).append(number)
        ending.setdefault(end, []).append(number)
    bounds = sorted({0, len(raw), *starting, *ending})
    active: set[int] = set()
    out = []
    for left, right in zip(bounds, bounds[1:], strict=False):
        active.difference_update(ending.get(left, ()))
        active.update(starting.get(left, ()))
        segment = raw[left:right]
        covering = sorted(active)
        for number in reversed(covering):
            segment = wrap(number, number not in opened, segment)
        opened.update(covering)
        out.append(segment)
    return "".join(out)
