"""Reading a zip's shape before unpacking anything, shared by the importers that take zips (Slack exports, history
imports): how many members its central directory really holds, and sizes written for people. Pure Python."""

from __future__ import annotations

import os
import struct
from contextlib import nullcontext
from pathlib import Path
from typing import BinaryIO


def size_text(size: float) -> str:
    """2.3 GB, 20 MB, 195 KB, 12 bytes."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            amount = f"{size / scale:.1f}" if unit == "GB" else f"{size / scale:.0f}"
            return f"{amount.removesuffix('.0')} {unit}"
    return f"{size:.0f} bytes"


def zip_entry_count(source: Path | BinaryIO, *, up_to: int) -> int | None:
    """How many members the zip's central directory holds, counted up to `up_to` + 1 the way zipfile reads it
    (records one after the other over the size the end record gives; the count it declares may lie), before zipfile
    builds an object for each of them (about 600 bytes each). None when there is no end record: zipfile then says
    what is wrong. `source` is a path or a seekable binary file (an upload held in memory), left open."""
    opened = source.open("rb") if isinstance(source, Path) else nullcontext(source)
    with opened as handle:
        size = handle.seek(0, os.SEEK_END)
        start = max(0, size - (22 + 65_535))  # the end record, then a comment of at most 64 KB
        handle.seek(start)
        tail = handle.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return None
        (directory_size,) = struct.unpack_from("<L", tail, at + 12)
        directory_end = start + at
        if at >= 76 and tail[at - 20 : at - 16] == b"PK\x06\x07" and tail[at - 76 : at - 72] == b"PK\x06\x06":
            (directory_size,) = struct.unpack_from("<Q", tail, at - 76 + 40)  # zip64: the record before the locator
            directory_end -= 76
        if directory_size > directory_end:
            return None
        handle.seek(directory_end - directory_size)
        count = read = 0
        while read + 46 <= directory_size and count <= up_to:
            header = handle.read(46)
            if len(header) < 46 or header[:4] != b"PK\x01\x02":
                break
            name, extra, comment = struct.unpack_from("<3H", header, 28)
            handle.seek(name + extra + comment, os.SEEK_CUR)
            read += 46 + name + extra + comment
            count += 1
        return count
