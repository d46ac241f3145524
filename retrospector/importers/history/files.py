"""What a history import walks: the files, folders and zips a person points it at, each file read into memory with
its format sniffed, or with the problem that kept it out. Pure Python: no Django; nothing is ever extracted to disk.

iter_inputs(paths) yields one InputFile per file found, in a stable order (the paths as given; inside a folder or a
zip, sorted by name):
- a folder is walked recursively; hidden files and folders (".git", ".DS_Store") are skipped silently; a symbolic
  link is not followed (a problem names it), nor is anything that is not a regular file;
- a zip (.zip, or a file starting with a zip signature that is not a Word file) is checked whole BEFORE anything is
  unpacked, from its central directory: a member whose path climbs out ("../", an absolute path, a drive letter), a
  symbolic link member, more than MAX_ZIP_MEMBERS entries, more than MAX_ZIP_TOTAL_BYTES unpacked in total, a member
  over MAX_FILE_BYTES, or a member (or the whole zip) unpacking more than MAX_RATIO times its compressed size (above
  RATIO_FLOOR_BYTES) refuses the WHOLE zip, with one problem naming the zip and why; the bytes really unpacked are
  counted too, whatever the headers said. A zip inside a zip is not followed (reported); __MACOSX/ and hidden members
  are skipped;
- the format comes from the extension (.md, .markdown, .txt: markdown; .html, .htm: html; .docx: docx), else from
  the content (an HTML start tag, a Word zip, else UTF-8 text: markdown); a name whose "extension" holds spaces
  ("PM2021-005 - v1.2 upgrade") has none. Other formats (.pdf, .png...) are reported and skipped;
- Markdown and plain text must be UTF-8 (a BOM is allowed, UTF-16 with its BOM too): undecodable text is reported
  with the file, the byte offset and the line.

iter_upload(name, data) does the same for one uploaded file held in memory (the page's and the API's): a zip, with
exactly the refusals above, or a single write-up; upload_refusal(name, data) says up front why one is refused whole.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal

from ..zip_limits import size_text as _size_text
from ..zip_limits import zip_entry_count

Format = Literal["markdown", "html", "docx"]

MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_TOTAL_BYTES = 1024**3  # 1 GB unpacked, from the central directory
MAX_FILE_BYTES = 32 * 1024**2  # one write-up (a Word file with images may be a few MB; Markdown a few KB)
MAX_RATIO = 100  # unpacked / compressed; text compresses 3 to 10 times, Word's XML up to 20
RATIO_FLOOR_BYTES = 1024**2  # what unpacks to no more than this is never refused for its ratio
EXTENSIONS: dict[str, Format] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".txt": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".docx": "docx",
}
EXTENSION_RE = re.compile(r"\.[A-Za-z0-9]{1,9}$")
CHARSET_RE = re.compile(rb"""<meta[^>]*charset\s*=\s*["']?([A-Za-z0-9_-]{1,40})""", re.IGNORECASE)
HTML_START_RE = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.I | re.S)


@dataclass(frozen=True)
class InputFile:
    path: str  # the file's path as found, or the member's name inside a zip
    data: bytes | None = None  # the file's bytes, when it can be read; else None and a problem
    format: Format | None = None
    problem: str | None = None  # one sentence naming the file and what was done (it was skipped)
    offset: int | None = None  # for undecodable text: the first byte that could not be decoded
    container: str | None = None  # the zip a member came from


class UndecodableText(ValueError):
    def __init__(self, message: str, offset: int, line: int) -> None:
        super().__init__(message)
        self.offset = offset
        self.line = line


def decode_text(data: bytes, *, path: str) -> str:
    """UTF-8 text (a BOM is dropped; UTF-16 with its BOM is read too); UndecodableText naming the file, the byte
    offset and the line otherwise."""
    if data.startswith(codecs.BOM_UTF8):
        data, skipped = data[3:], 3
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise _undecodable(path, data, exc, 0, "UTF-16") from exc
    else:
        skipped = 0
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _undecodable(path, data, exc, skipped, "UTF-8") from exc


def _undecodable(path: str, data: bytes, exc: UnicodeDecodeError, skipped: int, encoding: str) -> UndecodableText:
    offset = exc.start + skipped
    line = data[: exc.start].count(b"\n") + 1
    byte = data[exc.start] if exc.start < len(data) else 0
    return UndecodableText(
        f"{path} is not {encoding} text: byte 0x{byte:02x} at offset {offset} (line {line}) cannot be decoded; "
        f"skipped (save it as {encoding} and import it again).",
        offset,
        line,
    )


def sniff_format(name: str, data: bytes) -> Format | None:
    """The format of a file named `name` holding `data`: by extension, else by content; None when it is none."""
    match = EXTENSION_RE.search(PurePosixPath(name).name)
    if match:
        extension = match.group(0).lower()
        if extension in EXTENSIONS:
            return EXTENSIONS[extension]
    head = data[:8192]
    if HTML_START_RE.match(head.lstrip(codecs.BOM_UTF8)):
        return "html"
    if head.startswith(b"PK\x03\x04"):
        return "docx" if b"word/" in data[:65536] or b"[Content_Types].xml" in head else None
    if match and not match.group(0)[1:].isdigit():
        return None  # a known other format (.pdf, .png, .json...): not a write-up
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None  # binary
    return "markdown"


def _checked(path: str, data: bytes, container: str | None = None) -> InputFile:
    fmt = sniff_format(path, data)
    if fmt is None:
        return InputFile(
            path,
            problem=f"{path} is not a format a history is read from (Markdown, text, HTML or Word .docx); skipped.",
            container=container,
        )
    if fmt == "markdown" or fmt == "html" and _html_says_utf8(data):
        try:
            decode_text(data, path=path)
        except UndecodableText as exc:
            return InputFile(path, format=fmt, problem=str(exc), offset=exc.offset, container=container)
    return InputFile(path, data=data, format=fmt, container=container)


def _html_says_utf8(data: bytes) -> bool:
    """Whether a page is read as UTF-8: no other charset in its <meta> (a page in another encoding is read as that)."""
    match = CHARSET_RE.search(data[:4096])
    return match is None or match.group(1).lower().replace(b"_", b"-") in (b"utf-8", b"utf8")


def _is_zip(path: Path, head: bytes) -> bool:
    if path.suffix.lower() == ".zip":
        return True
    return head.startswith(b"PK\x03\x04") and path.suffix.lower() != ".docx" and sniff_format(path.name, head) is None


def iter_inputs(paths: Iterable[str | os.PathLike]) -> Iterator[InputFile]:
    for given in paths:
        path = Path(given)
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            yield InputFile(str(path), problem=f"{path} cannot be read ({exc.strerror or exc}); skipped.")
            continue
        if stat.S_ISDIR(mode):
            yield from _walk_folder(path)
        else:
            yield from _one_file(path)


def _walk_folder(folder: Path) -> Iterator[InputFile]:
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        yield InputFile(str(folder), problem=f"{folder} cannot be listed ({exc.strerror or exc}); skipped.")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if entry.is_symlink():
            yield InputFile(str(path), problem=f"{path} is a symbolic link; links are not followed, skipped.")
        elif entry.is_dir(follow_symlinks=False):
            yield from _walk_folder(path)
        elif entry.is_file(follow_symlinks=False):
            yield from _one_file(path)
        else:
            yield InputFile(str(path), problem=f"{path} is not a regular file; skipped.")


def _one_file(path: Path) -> Iterator[InputFile]:
    try:
        size = path.stat().st_size
        if size > max(MAX_FILE_BYTES, MAX_ZIP_TOTAL_BYTES):
            raise _TooBig(size)
        with path.open("rb") as handle:
            head = handle.read(8192)
            if _is_zip(path, head):
                yield from _zip_members(path, label=str(path), size=size)
                return
            if size > MAX_FILE_BYTES:
                raise _TooBig(size)
            data = head + handle.read(MAX_FILE_BYTES + 1 - len(head))
    except _TooBig as big:
        yield InputFile(
            str(path),
            problem=f"{path} is {_size_text(big.size)}; the limit is {_size_text(MAX_FILE_BYTES)} per file; skipped.",
        )
        return
    except OSError as exc:
        yield InputFile(str(path), problem=f"{path} cannot be read ({exc.strerror or exc}); skipped.")
        return
    if len(data) > MAX_FILE_BYTES:
        yield InputFile(str(path), problem=f"{path} grew past {_size_text(MAX_FILE_BYTES)} while read; skipped.")
        return
    yield _checked(str(path), data)


class _TooBig(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


def _zip_refusal(
    source: Path | BinaryIO, *, size: int
) -> tuple[str | None, zipfile.ZipFile | None, list[zipfile.ZipInfo]]:
    """Why the zip (a path, or a seekable file: an upload in memory) of `size` bytes is refused, from its central
    directory, before anything is unpacked; or the open zip and its members."""
    try:
        count = zip_entry_count(source, up_to=MAX_ZIP_MEMBERS)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})", None, []
    if count is not None and count > MAX_ZIP_MEMBERS:
        return f"holds more than {MAX_ZIP_MEMBERS:,} entries (the limit)", None, []
    try:
        archive = zipfile.ZipFile(source)
        infos = archive.infolist()
    except Exception as exc:  # zipfile raises many kinds on a broken directory
        return f"is not a readable zip file ({exc})", None, []
    why = None
    total = 0
    if len(infos) > MAX_ZIP_MEMBERS:
        why = f"holds {len(infos):,} entries; the limit is {MAX_ZIP_MEMBERS:,}"
    for info in infos:
        if why:
            break
        raw = info.filename.replace("\\", "/")
        parts = PurePosixPath(raw).parts
        if raw.startswith("/") or ".." in parts or (parts and re.match(r"[A-Za-z]:", parts[0])):
            why = f"holds {raw!r}, a path that climbs out of the zip (absolute or with '..')"
        elif stat.S_ISLNK(info.external_attr >> 16):
            why = f"holds {raw!r}, a symbolic link"
        elif info.file_size > MAX_ZIP_TOTAL_BYTES:
            why = f"holds {raw!r}, which unpacks to {_size_text(info.file_size)}"
        elif info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            why = (
                f"holds {raw!r}, which unpacks to {_size_text(info.file_size)} from {_size_text(info.compress_size)}"
                f" (more than {MAX_RATIO} times: a zip bomb)"
            )
        total += info.file_size
    if not why and total > MAX_ZIP_TOTAL_BYTES:
        why = f"unpacks to {_size_text(total)}; the limit is {_size_text(MAX_ZIP_TOTAL_BYTES)}"
    if not why and total > RATIO_FLOOR_BYTES and total > MAX_RATIO * max(size, 1):
        why = f"unpacks to {_size_text(total)} from {_size_text(size)} (more than {MAX_RATIO} times)"
    if why:
        archive.close()
        return why, None, []
    return None, archive, infos


def _zip_members(source: Path | BinaryIO, *, label: str, size: int) -> Iterator[InputFile]:
    """A zip's members (`label` names the zip in problems), or one problem refusing the whole zip."""
    why, archive, infos = _zip_refusal(source, size=size)
    if archive is None:
        yield InputFile(label, problem=zip_refusal_text(label, why))
        return
    unpacked = 0
    with archive:
        for info in sorted(infos, key=lambda i: i.filename):
            name = "/".join(p for p in PurePosixPath(info.filename.replace("\\", "/")).parts if p not in ("", "."))
            parts = name.split("/")
            if info.is_dir() or not name or parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts):
                continue
            if name.lower().endswith(".zip") or _looks_zipped(archive, info):
                yield InputFile(
                    name, problem=f"{name} in {label} is a zip inside the zip; not opened, skipped.", container=label
                )
                continue
            if info.flag_bits & 0x1:
                yield InputFile(name, problem=f"{name} in {label} is encrypted; skipped.", container=label)
                continue
            if info.file_size > MAX_FILE_BYTES:
                size_shown, limit = _size_text(info.file_size), _size_text(MAX_FILE_BYTES)
                yield InputFile(
                    name,
                    problem=f"{name} in {label} is {size_shown}; the limit is {limit} per file; skipped.",
                    container=label,
                )
                continue
            try:
                with archive.open(info) as handle:
                    data = handle.read(min(info.file_size, MAX_FILE_BYTES) + 1)
            except Exception as exc:  # a corrupt member: zlib.error, BadZipFile, EOFError...
                yield InputFile(
                    name, problem=f"{name} in {label} cannot be unpacked ({exc}); skipped.", container=label
                )
                continue
            unpacked += len(data)
            if len(data) > info.file_size or unpacked > MAX_ZIP_TOTAL_BYTES:
                yield InputFile(
                    label,
                    problem=f"{label} unpacks to more than its directory says ({name}); the rest was refused.",
                )
                return
            yield _checked(name, data, container=label)


def zip_refusal_text(label: str, why: str | None) -> str:
    return f"{label} {why}: the whole zip was refused, nothing was unpacked."


# --- An uploaded file (the page's and the API's): a name and its bytes, held in memory --------------------------


def upload_is_zip(name: str, data: bytes) -> bool:
    """A zip by its name (.zip), or by its signature when it is not a Word file."""
    return _is_zip(Path(PurePosixPath(name).name or "upload"), data[:8192])


def upload_refusal(name: str, data: bytes) -> str | None:
    """Why an upload is refused as a whole before anything is read (one sentence naming it), or None: a zip refused
    from its central directory (climbing paths, links, too many entries, too big, a bomb), a single file too big or
    of a format a history is not read from. Cheap: a zip's members are not unpacked."""
    if upload_is_zip(name, data):
        why, archive, _ = _zip_refusal(io.BytesIO(data), size=len(data))
        if archive is None:
            return zip_refusal_text(name, why)
        archive.close()
        return None
    if len(data) > MAX_FILE_BYTES:
        return f"{name} is {_size_text(len(data))}; the limit is {_size_text(MAX_FILE_BYTES)} per file."
    if sniff_format(name, data) is None:
        return (
            f"{name} is not a format a history is read from: give a zip, or one Markdown (.md), HTML (.html) or "
            "Word (.docx) file."
        )
    return None


def iter_upload(name: str, data: bytes) -> Iterator[InputFile]:
    """The InputFiles of an uploaded file named `name` (its base name is used): a zip's members, with exactly the
    refusals of a zip on disk (checked before anything is unpacked), or the one file it is."""
    name = PurePosixPath(name.replace("\\", "/")).name or "upload"
    if upload_is_zip(name, data):
        yield from _zip_members(io.BytesIO(data), label=name, size=len(data))
        return
    if len(data) > MAX_FILE_BYTES:
        size, limit = _size_text(len(data)), _size_text(MAX_FILE_BYTES)
        yield InputFile(name, problem=f"{name} is {size}; the limit is {limit} per file; skipped.")
        return
    yield _checked(name, data)


def _looks_zipped(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """A member that is itself a zip (whatever its name), but not a Word file (.docx is a zip too)."""
    if info.filename.lower().endswith(".docx") or info.file_size < 4:
        return False
    try:
        with archive.open(info) as handle:
            return handle.read(4) == b"PK\x03\x04"
    except Exception:
        return False
