"""What every reader of a past postmortem gives, whatever the file's format: its front matter (if any) and its body as
a flat list of blocks (headings, paragraphs, lists, tables, code), each with where it starts in the file, so a problem
can name the line. Text stays Markdown: inline emphasis, links and code are written the Markdown way by the HTML and
Word readers too, so what follows (understanding, the write-up checker, the editor) reads one kind of text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "list", "table", "code", "rule"]


@dataclass(frozen=True)
class ListItem:
    text: str  # the item's own text (Markdown inline), without its bullet or checkbox
    line: int  # 1-based line where the item starts (HTML/Word: see Block.line)
    depth: int = 0  # 0 for a top-level item, 1 for an item nested in it, ...
    checked: bool | None = None  # a task-list item: True for [x], False for [ ]; None when it has no checkbox
    ordered: bool = False


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    line: int  # 1-based line where the block starts; for HTML and Word, the line of the converted Markdown text
    text: str = ""  # heading, paragraph or code text (Markdown inline); "" for lists, tables and rules
    level: int = 0  # a heading's level, 1-6
    items: tuple[ListItem, ...] = ()  # a list's items, in order, nested ones after their parent with a larger depth
    rows: tuple[tuple[str, ...], ...] = ()  # a table's rows, cells as Markdown inline text; the header row first
    has_header: bool = False  # whether rows[0] is a header row
    language: str = ""  # a code block's info string


@dataclass(frozen=True)
class SourceProblem:
    message: str  # one sentence a person can act on
    line: int | None = None
    offset: int | None = None  # a byte offset, for text that could not be decoded


@dataclass(frozen=True)
class SourceDocument:
    path: str  # as given, or the member's name inside a zip
    format: Literal["markdown", "html", "docx"]
    checksum: str  # SHA-256 of the file's bytes, hex
    front_matter: dict = field(default_factory=dict)  # YAML (---) or TOML (+++) front matter, parsed; {} if none
    blocks: tuple[Block, ...] = ()
    text: str = ""  # the body as Markdown (what the blocks were read from), for keeping unmatched parts verbatim
    problems: tuple[SourceProblem, ...] = ()  # what the reader could not read, with what it did instead
    body_line: int = 1  # the file line where `text` starts (after any front matter); block lines count from the file
