"""Markdown (with or without front matter) read into a SourceDocument.

`read_markdown(data, path=...)` decodes the bytes as the walk over files does (files.decode_text: UTF-8, with or
without a byte-order mark, or UTF-16 with one; anything else is a SourceProblem naming the byte offset, and the
document is not read) and hands the text to `read_markdown_text`,
which the HTML and Word readers call too with the Markdown they produce.

Front matter is recognised only at the very top: YAML between `---` lines or TOML between `+++` lines. One that
cannot be parsed (or is not a mapping) is reported with its line and left out; the body is read all the same.
Blocks come from markdown-it-py (CommonMark plus tables); `[ ]` / `[x]` at the start of a list item is read here
as a checkbox (`[]` too, as some write an empty box). Every block's `line` is its 1-based line in the file (front
matter lines counted), and `SourceDocument.body_line` is the file line where `text` (the body) starts. HTML entities
are decoded in text.
"""

from __future__ import annotations

import hashlib
import html
import re
import tomllib

import yaml
from markdown_it import MarkdownIt

from retrospector.importers.history.blocks import Block, ListItem, SourceDocument, SourceProblem
from retrospector.importers.history.files import UndecodableText, decode_text

_CHECKBOX = re.compile(r"^\[([ xX]?)\](?:\s+|$)")  # `[]` too: written for an empty box in the wild
_TOML_LINE = re.compile(r"line (\d+)")


def _parser() -> MarkdownIt:
    """The blocks' structure only: a block's text is its inline source (`content`), so inline parsing (links,
    emphasis: a third of a parse) is left out."""
    return MarkdownIt("commonmark", {"html": True}).enable("table").disable(["inline", "text_join"])


_MD = _parser()


def read_markdown(data: bytes, *, path: str) -> SourceDocument:
    """Decode `data` (files.decode_text: UTF-8, a BOM dropped, or UTF-16 with its BOM) and read it; undecodable bytes
    give an unread document whose only problem names the byte offset."""
    checksum = hashlib.sha256(data).hexdigest()
    try:
        text = decode_text(data, path=path)
    except UndecodableText as exc:
        problem = SourceProblem(str(exc), line=exc.line, offset=exc.offset)
        return SourceDocument(path=path, format="markdown", checksum=checksum, problems=(problem,))
    return read_markdown_text(text, path=path, checksum=checksum)


def _split_front_matter(text: str) -> tuple[str, str, str, int]:
    """(kind, front matter source, body, line where the body starts); kind is "" when there is none."""
    lines = text.splitlines(keepends=True)
    if not lines:
        return "", "", text, 1
    fence = lines[0].rstrip("\r\n").rstrip()
    if fence not in ("---", "+++"):
        return "", "", text, 1
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r\n").rstrip() == fence:
            kind = "yaml" if fence == "---" else "toml"
            return kind, "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    return "", "", text, 1  # no closing fence: a thematic break, not front matter


def _parse_front_matter(kind: str, source: str, path: str) -> tuple[dict, SourceProblem | None]:
    what = "YAML" if kind == "yaml" else "TOML"
    try:
        data = yaml.safe_load(source) if kind == "yaml" else tomllib.loads(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        return {}, SourceProblem(
            f"{path}: the {what} front matter could not be read ({getattr(exc, 'problem', None) or exc}); "
            "it was left out and the body read.",
            line=line,
        )
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_LINE.search(str(exc))
        line = int(m.group(1)) + 1 if m else 1
        return {}, SourceProblem(
            f"{path}: the {what} front matter could not be read ({exc}); it was left out and the body read.",
            line=line,
        )
    except (ValueError, OverflowError, TypeError, RecursionError) as exc:
        # A value YAML recognises but cannot build ("date: 2021-02-30"): the front matter as a whole is left out.
        return {}, SourceProblem(
            f"{path}: the {what} front matter could not be read ({exc}); it was left out and the body read.",
            line=1,
        )
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        return {}, SourceProblem(
            f"{path}: the {what} front matter is not a set of keys and values; it was left out and the body read.",
            line=1,
        )
    return {str(k): v for k, v in data.items()}, None


def _inline_text(content: str) -> str:
    return html.unescape(content).strip()


def read_markdown_text(text: str, *, path: str, checksum: str, format: str = "markdown") -> SourceDocument:
    """Read Markdown `text` (front matter, then blocks); `checksum` is the file's, computed by the caller."""
    text = text.removeprefix("\ufeff")
    problems: list[SourceProblem] = []
    kind, fm_source, body, body_line = _split_front_matter(text)
    front_matter: dict = {}
    if kind:
        front_matter, problem = _parse_front_matter(kind, fm_source, path)
        if problem is not None:
            problems.append(problem)
    blocks = _blocks(body, body_line - 1)
    return SourceDocument(
        path=path,
        format=format,  # type: ignore[arg-type]
        checksum=checksum,
        front_matter=front_matter,
        blocks=tuple(blocks),
        text=body,
        problems=tuple(problems),
        body_line=body_line,
    )


def _line(token, shift: int) -> int:
    return (token.map[0] if token.map else 0) + 1 + shift


def _blocks(body: str, shift: int) -> list[Block]:
    tokens = _MD.parse(body)
    blocks: list[Block] = []
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i]
        t = tok.type
        if t == "heading_open":
            blocks.append(
                Block("heading", _line(tok, shift), text=_inline_text(tokens[i + 1].content), level=int(tok.tag[1]))
            )
            i += 3
        elif t == "paragraph_open":
            blocks.append(Block("paragraph", _line(tok, shift), text=_inline_text(tokens[i + 1].content)))
            i += 3
        elif t in ("bullet_list_open", "ordered_list_open"):
            i, block = _list(tokens, i, shift)
            blocks.append(block)
        elif t == "table_open":
            i, block = _table(tokens, i, shift)
            blocks.append(block)
        elif t in ("fence", "code_block"):
            blocks.append(Block("code", _line(tok, shift), text=tok.content, language=tok.info.strip()))
            i += 1
        elif t == "hr":
            blocks.append(Block("rule", _line(tok, shift)))
            i += 1
        elif t == "html_block":
            blocks.append(Block("paragraph", _line(tok, shift), text=tok.content.strip()))
            i += 1
        else:  # blockquote_open/close and the like: their content is read as it comes
            i += 1
    return blocks


def _list(tokens, i: int, shift: int) -> tuple[int, Block]:
    start = tokens[i]
    items: list[ListItem] = []
    depth = -1
    stack: list[bool] = []  # ordered flags of the open lists
    item_open: list[bool] = []  # whether the current item at each depth already has its text
    first_line = _line(start, shift)
    while i < len(tokens):
        tok = tokens[i]
        t = tok.type
        if t in ("bullet_list_open", "ordered_list_open"):
            depth += 1
            stack.append(t == "ordered_list_open")
        elif t in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
            stack.pop()
            if depth < 0:
                return i + 1, Block("list", first_line, items=tuple(items))
        elif t == "list_item_open":
            items.append(ListItem(text="", line=_line(tok, shift), depth=depth, ordered=stack[-1]))
            item_open.append(False)
        elif t == "list_item_close":
            item_open.pop()
        elif t == "inline" and item_open and not item_open[-1]:
            # the first paragraph of the innermost open item is its text
            idx = _last_index_at_depth(items, depth)
            item = items[idx]
            content = _inline_text(tok.content.replace("\n", " "))
            checked = None
            m = _CHECKBOX.match(content)
            if m:
                checked = m.group(1) not in (" ", "")
                content = content[m.end() :]
            items[idx] = ListItem(content, item.line, item.depth, checked, item.ordered)
            item_open[-1] = True
        elif t in ("fence", "code_block") and items:
            idx = _last_index_at_depth(items, depth)
            item = items[idx]
            code = tok.content.rstrip("\n")
            items[idx] = ListItem(
                (item.text + "\n" + code).strip("\n"), item.line, item.depth, item.checked, item.ordered
            )
        i += 1
    return i, Block("list", first_line, items=tuple(items))


def _last_index_at_depth(items: list[ListItem], depth: int) -> int:
    for idx in range(len(items) - 1, -1, -1):
        if items[idx].depth == depth:
            return idx
    return len(items) - 1


def _table(tokens, i: int, shift: int) -> tuple[int, Block]:
    start = tokens[i]
    rows: list[tuple[str, ...]] = []
    row: list[str] = []
    has_header = False
    while i < len(tokens):
        tok = tokens[i]
        t = tok.type
        if t == "thead_open":
            has_header = True
        elif t == "tr_open":
            row = []
        elif t == "inline":
            row.append(_inline_text(tok.content))
        elif t == "tr_close":
            rows.append(tuple(row))
        elif t == "table_close":
            return i + 1, Block("table", _line(start, shift), rows=tuple(rows), has_header=has_header)
        i += 1
    return i, Block("table", _line(start, shift), rows=tuple(rows), has_header=has_header)
