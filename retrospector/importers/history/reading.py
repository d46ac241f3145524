"""One file in, one SourceDocument out, by its format: the entry the history import calls for each InputFile."""

from __future__ import annotations

import hashlib

from .blocks import SourceDocument, SourceProblem
from .docx import read_docx
from .files import InputFile
from .html import read_html
from .markdown import read_markdown

READERS = {"markdown": read_markdown, "html": read_html, "docx": read_docx}


def read_input(item: InputFile) -> SourceDocument:
    """The file read by the reader of its format. A file the walk could not read, or whose format is unknown, gives a
    document with no blocks and the problem that kept it out (as a reader that fails does)."""
    data = item.data or b""
    checksum = hashlib.sha256(data).hexdigest()
    if item.problem is not None or item.data is None:
        problem = SourceProblem(item.problem or f"{item.path} could not be read; skipped.", offset=item.offset)
        return SourceDocument(path=item.path, format=item.format or "markdown", checksum=checksum, problems=(problem,))
    reader = READERS.get(item.format or "markdown")
    if reader is None:
        problem = SourceProblem(f"{item.path}: the format {item.format!r} is not one the import reads; skipped.")
        return SourceDocument(path=item.path, format="markdown", checksum=checksum, problems=(problem,))
    return reader(item.data, path=item.path)


def unreadable(doc: SourceDocument) -> bool:
    """Nothing could be read and a reader said why: the file is reported and skipped, never saved half-read."""
    return not doc.blocks and not doc.text.strip() and bool(doc.problems)
