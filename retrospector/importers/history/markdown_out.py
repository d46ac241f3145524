"""Writing Markdown text from what the HTML and Word readers collected: a table from its rows, and the blocks joined
into one text. Shared, so both formats come out the same way."""

from __future__ import annotations


def table_markdown(rows: list[list[str]]) -> str:
    """A pipe table: the first row is the header, short rows padded with empty cells. Cells are already escaped."""
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def blocks_markdown(blocks: list[tuple[str, str]], *, tight: str) -> str:
    """Blocks (kind, text) joined by a blank line, except two blocks of kind `tight` in a row (the items of one list
    written as separate blocks), joined by a line break so they stay one list."""
    out: list[str] = []
    previous = ""
    for kind, text in blocks:
        if out:
            out.append("\n" if kind == previous == tight else "\n\n")
        out.append(text)
        previous = kind
    return "".join(out)
