"""Word files become Markdown text with the same structure: pandoc's .docx of real postmortems, and a hand-made
document for styles, numbering, links and runs; hostile files are refused with a clear problem. Pure: no Django."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from retrospector.importers.history.docx import DocxError, docx_to_markdown, read_docx
from tests.importers.history.structure import structure
from tests.importers.zip_bombs import MB, deflated, raw_zip, zeros_deflated

pytestmark = pytest.mark.no_database

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "postmortems" / "history-formats"
CONVERTED = ["dfds-all-services-503", "learningequality-buildkite-failing-build", "rust-docsrs-outage"]
NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
)


def docx(body: str, *, numbering: str = "", rels: str = "", styles: str = "", document: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", document or f"<w:document {NS}><w:body>{body}</w:body></w:document>")
        if numbering:
            archive.writestr("word/numbering.xml", f"<w:numbering {NS}>{numbering}</w:numbering>")
        if rels:
            rels_ns = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
            archive.writestr("word/_rels/document.xml.rels", f"<Relationships {rels_ns}>{rels}</Relationships>")
        if styles:
            archive.writestr("word/styles.xml", f"<w:styles {NS}>{styles}</w:styles>")
    return buffer.getvalue()


def para(text: str, *, style: str = "", num: tuple[int, int] | None = None, run_props: str = "") -> str:
    props = f'<w:pStyle w:val="{style}"/>' if style else ""
    if num:
        props += f'<w:numPr><w:ilvl w:val="{num[1]}"/><w:numId w:val="{num[0]}"/></w:numPr>'
    return (
        f'<w:p><w:pPr>{props}</w:pPr><w:r><w:rPr>{run_props}</w:rPr><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'
    )


@pytest.mark.parametrize("stem", CONVERTED)
def test_pandocs_docx_of_a_postmortem_has_the_headings_tables_and_lists_of_its_markdown(stem):
    source = structure((FIXTURES / f"{stem}.md").read_text())
    read = structure(docx_to_markdown((FIXTURES / f"{stem}.docx").read_bytes()))
    assert read["headings"] == source["headings"]
    assert read["tables"] == source["tables"]
    assert read["items"] == source["items"]


def test_headings_come_from_style_ids_or_style_names():
    styles = '<w:style w:styleId="Kop2"><w:name w:val="heading 2"/></w:style>'
    text = docx_to_markdown(docx(para("Report", style="Title") + para("Impact", style="Kop2"), styles=styles))
    assert text == "# Report\n\n## Impact"


def test_numbering_tells_ordered_lists_from_bullets_and_keeps_depth_and_checkboxes():
    numbering = (
        '<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:numFmt w:val="bullet"/></w:lvl></w:abstractNum>'
        '<w:num w:numId="7"><w:abstractNumId w:val="1"/></w:num>'
    )
    body = para("First", num=(7, 0)) + para("☒ inner done", num=(7, 1)) + para("Second", num=(7, 0))
    assert docx_to_markdown(docx(body, numbering=numbering)) == "1. First\n   - [x] inner done\n1. Second"


def test_runs_links_breaks_and_spanning_cells_are_kept():
    rels = (
        '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"'
        ' Target="https://example.com/t/1" TargetMode="External"/>'
        '<Relationship Id="rId8" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"'
        ' Target="file:///etc/passwd" TargetMode="External"/>'
    )
    body = (
        '<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>Date:</w:t></w:r><w:r><w:t xml:space="preserve"> 2024-01-02</w:t></w:r>'
        '<w:r><w:br/><w:t>see </w:t></w:r><w:hyperlink r:id="rId9"><w:r><w:t>ticket</w:t></w:r></w:hyperlink>'
        '<w:r><w:t xml:space="preserve"> and </w:t></w:r><w:hyperlink r:id="rId8"><w:r><w:t>a file</w:t></w:r>'
        '</w:hyperlink><w:r><w:rPr><w:i/></w:rPr><w:t xml:space="preserve"> now &lt;b&gt;</w:t></w:r></w:p>'
        '<w:tbl><w:tr><w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>Owner and task</w:t></w:r></w:p>'
        "</w:tc></w:tr><w:tr><w:tc><w:p><w:r><w:t>Ana</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Renew</w:t></w:r>"
        "</w:p></w:tc></w:tr></w:tbl>"
    )
    text = docx_to_markdown(docx(body, rels=rels))
    assert text == (
        "**Date:** 2024-01-02\\\nsee [ticket](https://example.com/t/1) and a file *now \\<b\\>*\n\n"
        "| Owner and task |  |\n|---|---|\n| Ana | Renew |"
    )


def test_xml_with_entities_is_refused_before_it_is_parsed():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        f"<w:document {NS}><w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>"
    )
    with pytest.raises(DocxError, match="declares a document type or entities"):
        docx_to_markdown(docx("", document=bomb))


def test_a_part_that_unpacks_far_beyond_its_size_is_refused_before_it_is_unpacked(tmp_path):
    path = raw_zip(tmp_path / "bomb.docx", [("word/document.xml", zeros_deflated(20), 0, 20 * MB)])
    with pytest.raises(DocxError, match="looks like a zip bomb"):
        docx_to_markdown(path.read_bytes())
    path = raw_zip(tmp_path / "big.docx", [("word/document.xml", *deflated(b"<x/>")[:2], 64 * MB)])
    with pytest.raises(DocxError, match="the limit is 33,554,432"):
        docx_to_markdown(path.read_bytes())


def test_a_file_that_is_not_a_word_document_gives_a_problem_and_no_blocks():
    document = read_docx(b"%PDF-1.4 not a zip", path="notes.docx")
    assert document.blocks == () and document.format == "docx"
    (problem,) = document.problems
    assert problem.message.startswith("notes.docx is not a readable Word file")
    with pytest.raises(DocxError, match="has no word/document.xml"):
        docx_to_markdown(_zip_without_document())


def _zip_without_document() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("content.xml", "<x/>")
    return buffer.getvalue()


def test_read_docx_gives_the_markdown_readers_document():
    pytest.importorskip("retrospector.importers.history.markdown", reason="markdown.py is histmd's, not merged yet")
    data = (FIXTURES / "dfds-all-services-503.docx").read_bytes()
    document = read_docx(data, path="pm.docx")
    assert document.format == "docx" and document.path == "pm.docx"
    assert [b.text for b in document.blocks if b.kind == "heading"][:2] == [
        "All services returning 503 in Kubernetes",
        "Summary",
    ]


def test_a_further_paragraph_or_code_block_of_a_list_item_stays_in_the_item():
    numbering = (
        '<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/></w:lvl></w:abstractNum>'
        '<w:abstractNum w:abstractNumId="2"><w:lvl w:ilvl="0"><w:numFmt w:val="none"/></w:lvl></w:abstractNum>'
        '<w:num w:numId="1"><w:abstractNumId w:val="1"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="2"/></w:num>'
    )
    body = (
        para("Saw an error:", num=(1, 0))
        + para("more words", num=(2, 0))
        + para("Traceback", style="SourceCode", num=(2, 0))
        + para("Next", num=(1, 0))
    )
    text = docx_to_markdown(docx(body, numbering=numbering))
    assert text == "- Saw an error: more words\n   ```\n   Traceback\n   ```\n- Next"
    assert structure(text)["items"] == [(0, "Saw an error: more words"), (0, "Next")]
