"""The structure of a Markdown text (headings, tables, list items), read with markdown-it: what the HTML and Word
readers must keep of a postmortem, compared without caring about bytes (escapes, emphasis markers, line breaks)."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

PARSER = MarkdownIt("commonmark").enable("table")


def _plain(token) -> str:
    parts = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    text = "".join(parts)
    text = re.sub(r"^\[([ xX])\]\s+", "", text)  # a task-list box (CommonMark leaves it as text)
    return re.sub(r"\s+", " ", text).strip()


def structure(markdown: str) -> dict:
    tokens = PARSER.parse(markdown)
    headings, tables, items = [], [], []
    depth = -1
    table: list[list[str]] | None = None
    row: list[str] = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            headings.append((int(token.tag[1]), _plain(tokens[index + 1])))
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif token.type == "list_item_open":
            following = tokens[index + 1 : index + 3]
            text = _plain(following[1]) if len(following) == 2 and following[1].type == "inline" else ""
            items.append((depth, text))
        elif token.type == "table_open":
            table = []
        elif token.type == "tr_open":
            row = []
        elif token.type in ("th_open", "td_open"):
            row.append(_plain(tokens[index + 1]))
        elif token.type == "tr_close" and table is not None:
            table.append(row)
        elif token.type == "table_close":
            tables.append(table)
            table = None
    return {"headings": headings, "tables": tables, "items": items}
