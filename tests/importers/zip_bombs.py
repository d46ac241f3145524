"""Hostile zips built in a few milliseconds, for the Slack importer's limits (the importer's tests and the API's).

A raw deflate stream of zeros repeats itself after a full flush, so a member that unpacks to 199 MB is 200 KB of
bytes written without ever holding the 199 MB; the zip is then written byte by byte, so its headers may lie.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

MB = 1024 * 1024


def zeros_deflated(megabytes: int) -> bytes:
    """A raw deflate stream that unpacks to `megabytes` MB of zero bytes (about 1 KB per MB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    one = compressor.compress(bytes(MB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return one * megabytes + compressor.flush()


def raw_zip(path: Path, members: list[tuple[str, bytes, int, int]], *, declared_count: int | None = None) -> Path:
    """A zip written byte by byte from (name, deflated data, crc, declared size): the sizes may be lies, and so may the
    number of members its end record declares."""
    body, directory = bytearray(), bytearray()
    for name, data, crc, size in members:
        encoded = name.encode()
        sizes = (crc, len(data), size, len(encoded))
        directory += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 33, *sizes, 0, 0, 0, 0, 0, len(body))
        directory += encoded
        body += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 33, *sizes, 0) + encoded + data
    count = len(members) if declared_count is None else declared_count
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(directory), len(body), 0)
    path.write_bytes(bytes(body + directory + end))
    return path


def deflated(data: bytes) -> tuple[bytes, int, int]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data)
