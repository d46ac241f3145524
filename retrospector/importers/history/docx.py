"""Word files (.docx: Word, Google Docs "download as docx", LibreOffice, pandoc) to Markdown text. Pure Python:
zipfile and xml.etree, no Django.

What is kept: paragraphs; headings (a paragraph styled Title or Heading 1..6, by style id or by the style's name in
styles.xml); lists (a paragraph with numbering: its level gives the depth, numbering.xml tells ordered from bullets;
a leading ☐ / ☒ becomes a checkbox); tables (the first row is the header; a cell spanning N columns is followed by
N-1 empty cells); links (from the document's relationships; only http, https and mailto targets are kept as links);
bold, italic, strike-through and code (pandoc's Verbatim Char) runs; line breaks; code blocks (Source Code style).
Deleted tracked changes, comments, headers, footers and images are not read.

Refused with a clear message (DocxError): a file that is not a readable zip or has no word/document.xml, a part
larger than MAX_PART_BYTES unpacked (or compressed more than MAX_RATIO times), and XML holding a document type
declaration or entities (the "billion laughs" bomb and external entities are refused before the XML is parsed).
"""

from __future__ import annotations

import hashlib
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass

from retrospector.importers.history.markdown_out import blocks_markdown, table_markdown

from .blocks import SourceDocument, SourceProblem
from .html import code_span, escape_text, guard_line_start, safe_url, wrap_emphasis

MAX_PART_BYTES = 32 * 1024 * 1024  # one XML part unpacked; a long Word report's document.xml is a few MB
MAX_RATIO = 100  # unpacked / compressed for a part above RATIO_FLOOR_BYTES; Word XML compresses 5 to 20 times
RATIO_FLOOR_BYTES = 1024 * 1024
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
HEADING_RE = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)
CODE_STYLES = frozenset({"sourcecode", "htmlpreformatted", "code", "preformattedtext"})
CODE_RUN_STYLES = frozenset({"verbatimchar", "htmlcode", "code", "sourcetext"})
BOX_RE = re.compile(r"^([☐☒☑])\s*")


class DocxError(Exception):
    """The file cannot be read as a Word document; the message says why, for a person."""


@dataclass
class _Part:
    styles: dict[str, str]  # style id -> name
    formats: dict[tuple[str, int], str]  # (numId, ilvl) -> numFmt ("bullet", "decimal", "none"...)
    links: dict[str, str]  # relationship id -> target


def _read_part(archive: zipfile.ZipFile, name: str, *, required: bool = False) -> bytes | None:
    try:
        info = archive.getinfo(name)
    except KeyError:
        if required:
            raise DocxError(f"has no {name}: it is not a Word document.") from None
        return None
    if info.file_size > MAX_PART_BYTES:
        raise DocxError(f"its part {name} is {info.file_size:,} bytes unpacked; the limit is {MAX_PART_BYTES:,}.")
    if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise DocxError(f"its part {name} unpacks more than {MAX_RATIO} times its size: it looks like a zip bomb.")
    with archive.open(info) as handle:
        data = handle.read(MAX_PART_BYTES + 1)
    if len(data) > MAX_PART_BYTES:
        raise DocxError(f"its part {name} unpacks to more than {MAX_PART_BYTES:,} bytes; the limit.")
    return data


def _parse_xml(data: bytes, name: str) -> ET.Element:
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise DocxError(f"its part {name} declares a document type or entities, which Word never writes: refused.")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise DocxError(f"its part {name} is not well-formed XML ({exc}).") from exc


def _attr(element: ET.Element | None, name: str = "val") -> str:
    return "" if element is None else element.get(W + name, "")


def _on(element: ET.Element | None) -> bool:
    return element is not None and _attr(element) not in ("0", "false", "off", "none")


class _Writer:
    def __init__(self, part: _Part) -> None:
        self.part = part
        self.blocks: list[tuple[str, str]] = []
        self.code_lines: list[str] = []
        self.code_indent = ""  # a code block inside a list item (pandoc numbers it with a "none" format) is indented

    def body(self, parent: ET.Element) -> None:
        for child in parent:
            if child.tag == W + "p":
                self.paragraph(child)
            elif child.tag == W + "tbl":
                self.flush_code()
                self.table(child)
            elif child.tag in (W + "sdt", W + "sdtContent", W + "customXml"):
                self.body(child.find(W + "sdtContent") if child.tag == W + "sdt" else child)
        self.flush_code()

    def _style(self, paragraph: ET.Element) -> tuple[str, str]:
        style_id = _attr(paragraph.find(f"{W}pPr/{W}pStyle"))
        return style_id, self.part.styles.get(style_id, style_id)

    def paragraph(self, paragraph: ET.Element) -> None:
        style_id, style_name = self._style(paragraph)
        numbering = paragraph.find(f"{W}pPr/{W}numPr")
        numbered = numbering is not None and _attr(numbering.find(W + "numId")) not in ("", "0")
        level_text = _attr(numbering.find(W + "ilvl")) if numbered else ""
        depth = min(int(level_text), 8) if level_text.isdigit() else 0
        if style_id.lower() in CODE_STYLES or style_name.lower().replace(" ", "") in CODE_STYLES:
            if not self.code_lines:
                in_item = numbered and self.blocks and self.blocks[-1][0] == "list"
                self.code_indent = "   " * (depth + 1) if in_item else ""
            self.code_lines.append(self.plain_text(paragraph))
            return
        self.flush_code()
        text = self.inline(paragraph)
        lines = [re.sub(r"\s+", " ", line).strip() for line in text.split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            return
        level = _heading_level(style_id) or _heading_level(style_name)
        if level:
            self.blocks.append(("heading", "#" * level + " " + " ".join(lines)))
            return
        if numbered:
            fmt = self.part.formats.get((_attr(numbering.find(W + "numId")), depth), "bullet")
            item = " ".join(lines)
            if fmt == "none" and self.blocks and self.blocks[-1][0] == "list":  # a further paragraph of the item
                kind, previous = self.blocks[-1]
                self.blocks[-1] = (kind, f"{previous} {item}")
                return
            ordered = fmt not in ("bullet", "none", "")
            box = ""
            if match := BOX_RE.match(item):
                box = "[ ] " if match.group(1) == "☐" else "[x] "
                item = item[match.end() :]
            marker = "1. " if ordered else "- "
            self.blocks.append(("list", f"{'   ' * depth}{marker}{box}{guard_line_start(item)}".rstrip()))
            return
        self.blocks.append(("paragraph", "\\\n".join(guard_line_start(line) for line in lines)))

    def flush_code(self) -> None:
        if self.code_lines:
            text = "\n".join(self.code_lines).strip("\n")
            fence = "```"
            while fence in text:
                fence += "`"
            code = f"{fence}\n{text}\n{fence}"
            if self.code_indent:
                code = "\n".join(f"{self.code_indent}{line}" if line else "" for line in code.split("\n"))
            self.blocks.append(("list" if self.code_indent else "code", code))
            self.code_lines = []
            self.code_indent = ""

    def plain_text(self, element: ET.Element) -> str:
        out = []
        for node in element.iter():
            if node.tag == W + "t":
                out.append(node.text or "")
            elif node.tag == W + "tab":
                out.append("\t")
            elif node.tag in (W + "br", W + "cr"):
                out.append("\n")
        return "".join(out)

    def inline(self, element: ET.Element) -> str:
        """The runs of a paragraph (or a link) as Markdown; adjacent runs of the same formatting are merged first."""
        pieces: list[tuple[tuple[bool, bool, bool, bool], str]] = []
        self._runs(element, pieces)
        out: list[str] = []
        index = 0
        while index < len(pieces):
            (bold, italic, strike, code), text = pieces[index]
            index += 1
            if bold is None:  # an already written link
                out.append(text)
                continue
            while index < len(pieces) and pieces[index][0] == (bold, italic, strike, code) and "\n" not in text:
                text += pieces[index][1]
                index += 1
            if code:
                out.append(code_span(text))
                continue
            parts = text.split("\n")
            written = []
            for part in parts:
                part = escape_text(re.sub(r"[ \t\xa0]+", " ", part))
                if bold:
                    part = wrap_emphasis(part, "**")
                if italic:
                    part = wrap_emphasis(part, "*")
                if strike:
                    part = wrap_emphasis(part, "~~")
                written.append(part)
            out.append("\n".join(written))
        return "".join(out)

    def _runs(self, element: ET.Element, pieces: list) -> None:
        for child in element:
            tag = child.tag
            if tag == W + "r":
                properties = child.find(W + "rPr")
                run_style = _attr(properties.find(W + "rStyle")) if properties is not None else ""
                key = (
                    properties is not None and _on(properties.find(W + "b")),
                    properties is not None and _on(properties.find(W + "i")),
                    properties is not None and _on(properties.find(W + "strike")),
                    run_style.lower() in CODE_RUN_STYLES,
                )
                text = []
                for node in child:
                    if node.tag == W + "t":
                        text.append(node.text or "")
                    elif node.tag in (W + "tab", W + "noBreakHyphen"):
                        text.append(" " if node.tag == W + "tab" else "-")
                    elif node.tag == W + "cr" or node.tag == W + "br" and _attr(node, "type") in ("", "textWrapping"):
                        text.append("\n")
                if text:
                    pieces.append((key, "".join(text)))
            elif tag == W + "hyperlink":
                label = self.inline(child).strip()
                target = self.part.links.get(child.get(R + "id", ""), "")
                url = safe_url(target) if target else None
                written = f"[{label}]({url})" if url and label and "\n" not in label else label
                pieces.append(((None, None, None, None), written))
            elif tag in (W + "ins", W + "smartTag", W + "sdt", W + "sdtContent", W + "fldSimple", W + "customXml"):
                self._runs(child, pieces)

    def table(self, table: ET.Element) -> None:
        rows: list[list[str]] = []
        for row in table.iter(W + "tr"):
            cells: list[str] = []
            for cell in row.findall(W + "tc"):
                texts = [self.inline(p) for p in cell.iter(W + "p")]
                text = re.sub(r"\s+", " ", " ".join(texts)).strip()
                cells.append(text)
                span = _attr(cell.find(f"{W}tcPr/{W}gridSpan"))
                if span.isdigit() and int(span) > 1:
                    cells += [""] * (min(int(span), 50) - 1)
            if cells:
                rows.append(cells)
        if not rows:
            return
        self.blocks.append(("table", table_markdown(rows)))

    def markdown(self) -> str:
        return blocks_markdown(self.blocks, tight="list")


def _heading_level(style: str) -> int:
    if style.lower() == "title":
        return 1
    match = HEADING_RE.match(style.strip())
    return min(int(match.group(1)), 6) if match else 0


def _part_info(archive: zipfile.ZipFile) -> _Part:
    styles: dict[str, str] = {}
    if data := _read_part(archive, "word/styles.xml"):
        for style in _parse_xml(data, "word/styles.xml").iter(W + "style"):
            styles[style.get(W + "styleId", "")] = _attr(style.find(W + "name"))
    formats_by_num: dict[tuple[str, int], str] = {}
    if data := _read_part(archive, "word/numbering.xml"):
        root = _parse_xml(data, "word/numbering.xml")
        formats: dict[tuple[str, int], str] = {}
        for abstract in root.iter(W + "abstractNum"):
            for level in abstract.iter(W + "lvl"):
                fmt = _attr(level.find(W + "numFmt"))
                ilvl = level.get(W + "ilvl", "0")
                if ilvl.isdigit():
                    formats[(abstract.get(W + "abstractNumId", ""), int(ilvl))] = fmt
        for num in root.iter(W + "num"):
            abstract_id = _attr(num.find(W + "abstractNumId"))
            for (owner, ilvl), fmt in formats.items():
                if owner == abstract_id:
                    formats_by_num[(num.get(W + "numId", ""), ilvl)] = fmt
    links: dict[str, str] = {}
    if data := _read_part(archive, "word/_rels/document.xml.rels"):
        for relation in _parse_xml(data, "word/_rels/document.xml.rels").iter(REL + "Relationship"):
            if relation.get("Type", "").endswith("/hyperlink"):
                links[relation.get("Id", "")] = relation.get("Target", "")
    return _Part(styles, formats_by_num, links)


def docx_to_markdown(data: bytes) -> str:
    """The Word document as Markdown text; DocxError when it cannot be read safely."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DocxError(f"is not a readable Word file (not a zip: {exc}).") from exc
    try:
        with archive:
            document = _parse_xml(_read_part(archive, "word/document.xml", required=True), "word/document.xml")
            writer = _Writer(_part_info(archive))
            body = document.find(W + "body")
            if body is not None:
                writer.body(body)
            return writer.markdown()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        raise DocxError(f"could not be read: the file is corrupt or truncated ({exc}).") from exc


def read_docx(data: bytes, *, path: str) -> SourceDocument:
    """The Word document as a SourceDocument (format "docx"); a file that cannot be read gives a document with no
    blocks and the problem saying why."""
    checksum = hashlib.sha256(data).hexdigest()
    try:
        text = docx_to_markdown(data)
    except DocxError as exc:
        return SourceDocument(path=path, format="docx", checksum=checksum, problems=(SourceProblem(f"{path} {exc}"),))
    from .markdown import read_markdown_text  # histmd's reader; imported here so this module works without it

    return read_markdown_text(text, path=path, checksum=checksum, format="docx")
