"""Anchors of feedback threads: a quoted passage of a section's Markdown, found again after the section is edited.

Pure Python, no Django. An anchor is the passage's exact source text with its offsets in the body and a little of
the text around it (`prefix`, `suffix`). A reader selects rendered text, not Markdown, so `anchor_create` also accepts
a quote that matches the source once markup characters are dropped and whitespace is collapsed, and anchors the
source span it matched.

`anchor_follow` carries an anchor from the body it was made on to a newer body. The offsets are mapped through a diff
of the two bodies: when no change touches the inside of the passage, it is the same passage, wherever the edits
elsewhere moved it. When the passage itself changed, the quote is searched for, the best place chosen by the text
around it and by closeness to where the passage was; when the quote is nowhere, the anchor is outdated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

# Characters left out when a rendered selection is compared with Markdown: emphasis, code, headings, quotes, tables,
# escapes, link brackets. Leaving a character out of both sides never prevents a match.
_MARKUP = frozenset("*_`~#>|\\[]")
# Parts of the source a reader never sees: a link's target, a list item's or a heading's marker at the start of a line.
_HIDDEN = re.compile(r"\]\([^)\n]*\)|^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+|^[ \t]*#{1,6}[ \t]+", re.MULTILINE)
# Bodies longer than this (in characters, old and new together) are not compared character by character inside a
# changed block of lines: SequenceMatcher is quadratic there. The passage is then searched for instead.
_REFINE_LIMIT = 40_000

CONTEXT = 40
QUOTE_MAX = 1000


class QuoteNotFound(ValueError):
    """The quote is not in the section (neither as written nor as its rendered text reads)."""


@dataclass(frozen=True)
class Anchor:
    quote: str  # the passage as it is written in the body (its Markdown)
    start: int
    end: int
    prefix: str  # up to CONTEXT characters before it
    suffix: str  # and after it


@dataclass(frozen=True)
class Followed:
    """Where an anchor is in the new body: its span and text there, or outdated (start and end None)."""

    start: int | None
    end: int | None
    quote: str
    prefix: str
    suffix: str
    outdated: bool
    moved_by_diff: bool = False  # found by mapping the offsets (the passage was untouched), not by searching


def _context(body: str, start: int, end: int, context: int) -> tuple[str, str]:
    return body[max(0, start - context) : start], body[end : end + context]


def _projection(text: str) -> tuple[str, list[int]]:
    """The text as a reader sees it, roughly: markup dropped, every run of whitespace one space; and for each of its
    characters the offset of the character of `text` it comes from."""
    hidden = bytearray(len(text))
    for match in _HIDDEN.finditer(text):
        hidden[match.start() : match.end()] = b"\x01" * (match.end() - match.start())
    chars: list[str] = []
    index: list[int] = []
    in_space = False
    for offset, char in enumerate(text):
        if hidden[offset] or char in _MARKUP:
            continue
        if char.isspace():
            if in_space:
                continue
            in_space = True
            chars.append(" ")
        else:
            in_space = False
            chars.append(char)
        index.append(offset)
    return "".join(chars), index


def _normalized_quote(quote: str) -> str:
    return _projection(quote)[0].strip()


def _normalized_spans(body: str, quote: str) -> list[tuple[int, int]]:
    """Each span of `body` whose projection is the quote's."""
    wanted = _normalized_quote(quote)
    if not wanted:
        return []
    plain, index = _projection(body)
    spans = []
    at = plain.find(wanted)
    while at != -1:
        spans.append((index[at], index[at + len(wanted) - 1] + 1))
        at = plain.find(wanted, at + 1)
    return spans


def _exact_spans(body: str, quote: str) -> list[tuple[int, int]]:
    spans = []
    at = body.find(quote)
    while at != -1:
        spans.append((at, at + len(quote)))
        at = body.find(quote, at + 1)
    return spans


def anchor_create(body: str, quote: str, *, near: int | None = None, context: int = CONTEXT) -> Anchor:
    """An anchor on `quote` in `body`: where it is written as is, else where its rendered text reads the same. Where it
    occurs more than once, the first occurrence, or the one nearest to `near` (an offset) when given. Raises
    QuoteNotFound when it is nowhere (or is only whitespace and markup)."""
    quote = quote.replace("\r\n", "\n")
    if not quote.strip():
        raise QuoteNotFound("The quote is empty.")
    spans = _exact_spans(body, quote) or _normalized_spans(body, quote)
    if not spans:
        raise QuoteNotFound("The quoted passage is not in this section: copy it from the section's text.")
    start, end = min(spans, key=lambda span: abs(span[0] - near)) if near is not None else spans[0]
    prefix, suffix = _context(body, start, end, context)
    return Anchor(quote=body[start:end], start=start, end=end, prefix=prefix, suffix=suffix)


# --- Following an anchor to a newer body -----------------------------------------------------------------------


def _line_starts(lines: list[str]) -> list[int]:
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    return starts


def body_opcodes(old: str, new: str) -> list[tuple[str, int, int, int, int]]:
    """The diff of two bodies as character opcodes (SequenceMatcher's shape): lines compared first, then the
    characters inside each replaced block of lines, so a long section costs little when a few lines changed."""
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    old_at, new_at = _line_starts(old_lines), _line_starts(new_lines)
    opcodes = []
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        a1, a2, b1, b2 = old_at[i1], old_at[i2], new_at[j1], new_at[j2]
        if tag != "replace" or (a2 - a1) + (b2 - b1) > _REFINE_LIMIT:
            opcodes.append((tag, a1, a2, b1, b2))
            continue
        inner = SequenceMatcher(None, old[a1:a2], new[b1:b2], autojunk=False)
        for inner_tag, k1, k2, m1, m2 in inner.get_opcodes():
            opcodes.append((inner_tag, a1 + k1, a1 + k2, b1 + m1, b1 + m2))
    return opcodes


def _map_untouched(opcodes, start: int, end: int) -> int | None:
    """The new offset of the passage [start, end) when no change falls inside it (edits that only touch its edges from
    outside leave it whole); None when one does."""
    new_start = None
    for tag, i1, i2, j1, _j2 in opcodes:
        if tag == "equal":
            if i1 <= start < i2:
                new_start = j1 + (start - i1)
            continue
        if i1 == i2:  # an insertion: inside only strictly between the passage's first and last character
            if start < i1 < end:
                return None
        elif i1 < end and i2 > start:
            return None
    return new_start


def _expected_offset(opcodes, offset: int) -> int:
    """Roughly where `offset` of the old body is in the new one, for choosing between several places."""
    for _tag, i1, i2, j1, j2 in opcodes:
        if i1 <= offset < i2 or (i1 == i2 == offset):
            if i2 == i1:
                return j1
            return j1 + min(j2 - j1, (offset - i1) * (j2 - j1) // (i2 - i1))
    return opcodes[-1][4] if opcodes else 0


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


def _best_span(body: str, spans, *, prefix: str, suffix: str, expected: int) -> tuple[int, int]:
    def score(span):
        start, end = span
        fit = _common_suffix(body[max(0, start - len(prefix)) : start], prefix) + _common_prefix(
            body[end : end + len(suffix)], suffix
        )
        return (-fit, abs(start - expected))

    return min(spans, key=score)


def anchor_follow(
    *,
    old_body: str | None,
    new_body: str,
    start: int | None,
    end: int | None,
    quote: str,
    prefix: str = "",
    suffix: str = "",
    context: int = CONTEXT,
    opcodes=None,
) -> Followed:
    """The anchor made on `old_body` (quote at start:end), followed to `new_body`. `old_body` may be None when it is
    not known any more: the quote is then only searched for. `opcodes` (body_opcodes(old, new)) may be given when
    several anchors of one section follow the same edit."""
    if not quote:
        return Followed(None, None, "", prefix, suffix, outdated=False)
    known = old_body is not None and start is not None and end is not None and old_body[start:end] == quote
    if known:
        opcodes = opcodes if opcodes is not None else body_opcodes(old_body, new_body)
        mapped = _map_untouched(opcodes, start, end)
        if mapped is not None and new_body[mapped : mapped + (end - start)] == quote:
            new_end = mapped + (end - start)
            new_prefix, new_suffix = _context(new_body, mapped, new_end, context)
            return Followed(mapped, new_end, quote, new_prefix, new_suffix, outdated=False, moved_by_diff=True)
        expected = _expected_offset(opcodes, start)
    else:
        expected = start or 0
    spans = _exact_spans(new_body, quote) or _normalized_spans(new_body, quote)
    if not spans:
        return Followed(None, None, quote, prefix, suffix, outdated=True)
    found_start, found_end = _best_span(new_body, spans, prefix=prefix, suffix=suffix, expected=expected)
    new_prefix, new_suffix = _context(new_body, found_start, found_end, context)
    return Followed(found_start, found_end, new_body[found_start:found_end], new_prefix, new_suffix, outdated=False)
