"""Writing Markdown from text that was not written for it (chat messages, alerts, log lines). Django-free.

A table cell holds one line of inline Markdown, so text put in one must read as it was written: its characters that
mean something to Markdown are escaped (`__init__.py` stays `__init__.py`, not a bold "init.py"), code it holds
(fenced blocks, `inline spans`) is kept as code on one line, links to http(s) addresses stay links, and a long text is
cut at a word boundary with an ellipsis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .untrusted import http_url

ELLIPSIS = "…"
# Characters that can start or end inline Markdown (emphasis, code, links, images, raw HTML, entities,
# strikethrough), the backslash itself, and the table's own cell separator.
_SPECIAL = re.compile(r"([\\`*_\[\]<>&~|])")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[^\n]*$", re.M)
_BACKTICKS = re.compile(r"`+")
_LINK = re.compile(r"\[([^\[\]\n]{1,500})\]\((https?://[^\s()<>]{1,2000})\)", re.I)
_URL_UNSAFE = re.compile(r"[|()<>\\\s`]")


@dataclass(slots=True)
class _Piece:
    kind: str  # "text", "code" or "link"
    text: str  # as a reader sees it, white space collapsed
    url: str = ""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _split_fences(text: str) -> list[tuple[bool, str]]:
    """(is_code, text) parts: fenced code blocks (``` or ~~~, closed by the same fence or the end) and the rest."""
    parts: list[tuple[bool, str]] = []
    position = 0
    while True:
        opening = _FENCE.search(text, position)
        if opening is None:
            parts.append((False, text[position:]))
            return parts
        parts.append((False, text[position : opening.start()]))
        fence = opening.group(1)
        closing = re.compile(rf"^[ \t]{{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.M)
        end = closing.search(text, opening.end())
        body_end, position = (end.start(), end.end()) if end else (len(text), len(text))
        parts.append((True, text[opening.end() : body_end]))
        if end is None:
            return parts


def _inline_pieces(text: str) -> list[_Piece]:
    """Code spans (a run of backticks closed by a run as long) and http(s) links; the rest is text."""
    pieces: list[_Piece] = []
    position = 0
    plain_from = 0
    while position < len(text):
        tick = _BACKTICKS.search(text, position)
        link = _LINK.search(text, position)
        if tick is None and link is None:
            break
        if link is not None and (tick is None or link.start() < tick.start()):
            url = http_url(link.group(2))
            if not url:
                position = link.end()
                continue
            pieces.append(_Piece("text", text[plain_from : link.start()]))
            pieces.append(_Piece("link", _one_line(link.group(1)), url))
            position = plain_from = link.end()
            continue
        run = tick.group(0)
        closing = re.compile(rf"(?<!`){run}(?!`)")
        end = closing.search(text, tick.end())
        if end is None:  # an unmatched run of backticks is literal text
            position = tick.end()
            continue
        pieces.append(_Piece("text", text[plain_from : tick.start()]))
        pieces.append(_Piece("code", _one_line(text[tick.end() : end.start()])))
        position = plain_from = end.end()
    pieces.append(_Piece("text", text[plain_from:]))
    return pieces


def _pieces(text: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    for is_code, part in _split_fences(text.replace("\r\n", "\n").replace("\r", "\n")):
        if is_code:
            pieces.append(_Piece("code", _one_line(part)))
        else:
            pieces.extend(_inline_pieces(part))
    # White space collapsed across pieces: one space between words, none at either end.
    kept: list[_Piece] = []
    for piece in pieces:
        if piece.kind == "text":
            collapsed = _one_line(piece.text)
            if not collapsed:
                continue
            piece.text = collapsed
        elif not piece.text:
            continue
        kept.append(piece)
    return kept


def _cut(pieces: list[_Piece], limit: int) -> list[_Piece]:
    """The pieces up to `limit` characters as read (a space between pieces), the last one cut at a word boundary,
    then an ellipsis; unchanged when they fit. A single word longer than the whole limit is cut where it must be."""
    total = sum(len(p.text) for p in pieces) + max(len(pieces) - 1, 0)
    if total <= limit:
        return pieces
    budget = limit - len(ELLIPSIS)
    kept: list[_Piece] = []
    used = 0
    for piece in pieces:
        room = budget - used - (1 if kept else 0)
        if len(piece.text) <= room:
            kept.append(piece)
            used += len(piece.text) + (1 if len(kept) > 1 else 0)
            continue
        if room > 0:
            space = piece.text.rfind(" ", 0, room + 1)
            if space > 0:
                kept.append(_Piece(piece.kind, piece.text[:space].rstrip(), piece.url))
            elif not kept:  # one long word (a URL, a stack frame): there is no boundary to cut at
                kept.append(_Piece(piece.kind, piece.text[:room], piece.url))
        break
    return [*kept, _Piece("ellipsis", ELLIPSIS)]


def escape_inline(text: str) -> str:
    """`text` as inline Markdown that reads as the same characters (one line; `|` escaped for a table cell)."""
    return _SPECIAL.sub(r"\\\1", _one_line(text))


def _code_span(code: str) -> str:
    longest = max((len(run) for run in _BACKTICKS.findall(code)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if code.startswith("`") or code.endswith("`") else ""
    # In a table cell a pipe ends the cell even inside a code span; "\|" there shows a "|".
    return f"{fence}{pad}{code.replace('|', chr(92) + '|')}{pad}{fence}"


def _link_url(url: str) -> str:
    return _URL_UNSAFE.sub(lambda m: f"%{ord(m.group(0)):02X}", url)


def markdown_link(label: str, url: str) -> str:
    """A Markdown link with an escaped label, or the escaped label alone when `url` is not an http(s) address."""
    url = http_url(url)
    return f"[{escape_inline(label)}]({_link_url(url)})" if url else escape_inline(label)


def table_cell(text: str, *, limit: int = 400) -> str:
    """`text` as the content of a Markdown table cell, at most about `limit` characters as read (see the module)."""
    out = []
    for piece in _cut(_pieces(text), limit):
        if piece.kind == "code":
            out.append(_code_span(piece.text))
        elif piece.kind == "link":
            out.append(markdown_link(piece.text, piece.url))
        elif piece.kind == "ellipsis":
            out.append(ELLIPSIS)
        else:
            out.append(escape_inline(piece.text))
    cell = " ".join(out)
    return cell.replace(" " + ELLIPSIS, ELLIPSIS) if cell.endswith(" " + ELLIPSIS) else cell
