"""What a history import walks: files, folders and zips, each read into memory with its format, or refused with a
problem naming it; a hostile zip is refused whole before anything in it is unpacked. Pure: no Django."""

from __future__ import annotations

import io
import stat
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrospector.importers.history import files
from retrospector.importers.history.files import InputFile, UndecodableText, decode_text, iter_inputs, sniff_format
from tests.importers.zip_bombs import MB, deflated, raw_zip, zeros_deflated

pytestmark = pytest.mark.no_database

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "postmortems" / "history-formats"
MARKDOWN = b"# Outage\n\n## Timeline\n\n- 14:03 alert\n"


def walked(*paths) -> list[InputFile]:
    return list(iter_inputs(paths))


def zip_of(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def refused(path: Path) -> str:
    """The one problem of a refused zip, checked to have come fast and without unpacking."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        (only,) = walked(path)
        seconds, peak = time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert only.data is None and only.path == str(path)
    assert only.problem.startswith(f"{path} ") and only.problem.endswith(
        "the whole zip was refused, nothing was unpacked."
    )
    assert seconds < 1 and peak < 8 * MB
    return only.problem


def test_a_folder_is_walked_in_order_skipping_hidden_files_and_reporting_links(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2021-02.md").write_bytes(MARKDOWN)
    (tmp_path / "a.html").write_bytes(b"<!DOCTYPE html><html><body><h1>x</h1></body></html>")
    (tmp_path / "PM2022-009 - Bad AMI causing issues").write_bytes(MARKDOWN)
    (tmp_path / "notes.txt").write_bytes(b"plain words")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_bytes(b"ref")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01")
    (tmp_path / "link.md").symlink_to(tmp_path / "notes.txt")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4")
    found = walked(tmp_path)
    assert [(Path(f.path).name, f.format) for f in found] == [
        ("PM2022-009 - Bad AMI causing issues", "markdown"),
        ("a.html", "html"),
        ("2021-02.md", "markdown"),
        ("link.md", None),
        ("notes.txt", "markdown"),
        ("scan.pdf", None),
    ]
    problems = {Path(f.path).name: f.problem for f in found if f.problem}
    assert problems["link.md"] == f"{tmp_path / 'link.md'} is a symbolic link; links are not followed, skipped."
    assert "is not a format a history is read from" in problems["scan.pdf"]
    assert found[0].data == MARKDOWN


def test_the_format_is_sniffed_from_the_extension_then_the_content():
    assert sniff_format("pm.MD", b"") == "markdown"
    assert sniff_format("pm.markdown", b"") == "markdown"
    assert sniff_format("page.htm", b"") == "html"
    assert sniff_format("export", b"  <!-- saved -->\n<!doctype html><p>x") == "html"
    assert sniff_format("PM2021-005 - v1.2", MARKDOWN) == "markdown"  # ".2" is no extension
    assert sniff_format("report.docx", b"") == "docx"
    assert sniff_format("report", (FIXTURES / "dfds-all-services-503.docx").read_bytes()) == "docx"
    assert sniff_format("photo.png", b"\x89PNG") is None
    assert sniff_format("blob", b"\x00\x01\x02") is None


def test_undecodable_text_names_the_file_the_byte_offset_and_the_line(tmp_path):
    path = tmp_path / "pm.md"
    path.write_bytes(b"# Title\n\nCaf\xe9 closed\n")
    (found,) = walked(path)
    assert found.data is None and found.offset == 12
    assert found.problem == (
        f"{path} is not UTF-8 text: byte 0xe9 at offset 12 (line 3) cannot be decoded; "
        "skipped (save it as UTF-8 and import it again)."
    )
    with pytest.raises(UndecodableText) as error:
        decode_text(b"\xef\xbb\xbfok\xff", path="x.md")
    assert (error.value.offset, error.value.line) == (5, 1)
    assert decode_text("# ü".encode("utf-16"), path="y.md") == "# ü"


def test_undecodable_html_is_reported_unless_it_names_its_own_charset(tmp_path):
    (tmp_path / "a.html").write_bytes(b"<html><body><p>Caf\xe9</p></body></html>")
    (tmp_path / "b.html").write_bytes(b'<html><head><meta charset="windows-1252"></head><body>Caf\xe9</body></html>')
    a, b = walked(tmp_path)
    assert a.problem.startswith(f"{tmp_path / 'a.html'} is not UTF-8 text: byte 0xe9 at offset 18 (line 1)")
    assert b.problem is None and b.format == "html"


def test_a_zip_is_read_in_memory_with_its_members_named_and_sorted(tmp_path):
    docx = (FIXTURES / "dfds-all-services-503.docx").read_bytes()
    path = zip_of(
        tmp_path / "history.zip",
        {"z/pm.md": MARKDOWN, "a.docx": docx, "__MACOSX/._a.docx": b"x", "z/.hidden.md": b"x", "folder/": b""},
    )
    found = walked(path)
    assert [(f.path, f.format, f.container) for f in found] == [
        ("a.docx", "docx", str(path)),
        ("z/pm.md", "markdown", str(path)),
    ]
    assert found[0].data == docx and found[1].data == MARKDOWN
    assert not list(tmp_path.glob("**/pm.md"))  # nothing extracted


def test_a_nested_zip_is_reported_not_opened(tmp_path):
    inner = zip_of(tmp_path / "inner.zip", {"pm.md": MARKDOWN}).read_bytes()
    path = zip_of(tmp_path / "outer.zip", {"old.zip": inner, "renamed.bin": inner, "pm.md": MARKDOWN})
    found = {f.path: f for f in walked(path)}
    assert found["old.zip"].problem == f"old.zip in {path} is a zip inside the zip; not opened, skipped."
    assert found["renamed.bin"].problem == f"renamed.bin in {path} is a zip inside the zip; not opened, skipped."
    assert found["pm.md"].data == MARKDOWN


@pytest.mark.parametrize("name", ["../escape.md", "/etc/pm.md", "a/../../b.md", "C:/pm.md", "a\\..\\..\\b.md"])
def test_a_zip_with_a_path_that_climbs_out_is_refused_whole(tmp_path, name):
    path = raw_zip(tmp_path / "climb.zip", [("ok.md", *deflated(MARKDOWN)), (name, *deflated(MARKDOWN))])
    assert "a path that climbs out of the zip" in refused(path)


def test_a_zip_holding_a_symbolic_link_is_refused_whole(tmp_path):
    path = tmp_path / "links.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("pm.md", MARKDOWN)
        link = zipfile.ZipInfo("passwd.md")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    assert (
        refused(path) == f"{path} holds 'passwd.md', a symbolic link: the whole zip was refused, nothing was unpacked."
    )


def test_a_zip_of_too_many_entries_is_refused_before_its_directory_is_loaded(tmp_path):
    path = raw_zip(tmp_path / "many.zip", [(f"{n}.md", *deflated(b"#")) for n in range(10_001)])
    assert "holds more than 10,000 entries (the limit)" in refused(path)


def test_a_zip_declaring_more_than_a_gigabyte_is_refused_before_anything_is_unpacked(tmp_path):
    bomb = zeros_deflated(30)
    members = [(f"pm{n}.md", bomb, 0, 30 * MB) for n in range(40)]  # 1.2 GB declared
    problem = refused(raw_zip(tmp_path / "big.zip", members))
    assert "unpacks to 30 MB from" in problem or "unpacks to 1.2 GB; the limit is 1 GB" in problem


def test_a_zip_over_a_gigabyte_in_total_is_refused(tmp_path):
    """1,100 members each declaring 1 MB (under the size below which no member is refused for its ratio)."""
    members = [(f"pm{n}.md", *deflated(b"x")[:2], MB) for n in range(1100)]
    problem = refused(raw_zip(tmp_path / "total.zip", members))
    assert "unpacks to 1.1 GB; the limit is 1 GB" in problem


def test_a_member_that_unpacks_far_beyond_its_size_is_refused_before_it_is_unpacked(tmp_path):
    path = raw_zip(tmp_path / "bomb.zip", [("pm.md", zeros_deflated(20), 0, 20 * MB)])
    assert "holds 'pm.md', which unpacks to 20 MB from" in refused(path)


def test_a_member_that_holds_more_than_it_declares_is_not_read_past_its_declared_size(tmp_path):
    data, crc, _ = deflated(b"# x\n" * 1000)
    (found,) = walked(raw_zip(tmp_path / "liar.zip", [("pm.md", data, crc, 10)]))
    assert found.data is None and found.problem.startswith(f"pm.md in {tmp_path / 'liar.zip'} cannot be unpacked (")


def test_a_broken_zip_is_reported(tmp_path):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04 not really")
    assert "is not a readable zip file" in refused(path)


def test_a_missing_path_is_reported(tmp_path):
    (found,) = walked(tmp_path / "nope")
    assert found.problem.startswith(f"{tmp_path / 'nope'} cannot be read")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    head=st.sampled_from([b"PK\x03\x04", b"PK\x05\x06", b"", b"<html>", b"\xef\xbb\xbf"]),
    body=st.binary(max_size=400),
    zipped=st.booleans(),
    suffix=st.sampled_from([".zip", ".md", ".docx", ""]),
)
def test_random_zip_like_bytes_never_raise(tmp_path, head, body, zipped, suffix):
    data = head + body
    if zipped:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("pm.md", body)
        raw = bytearray(buffer.getvalue())
        for index, byte in enumerate(body[:20]):  # corrupt a few bytes of a real zip
            raw[(index * 37) % len(raw)] = byte
        data = bytes(raw)
    path = tmp_path / f"input{suffix}"
    path.write_bytes(data)
    for found in iter_inputs([path]):
        assert (found.data is None) != (found.problem is None)


def test_limits_are_the_ones_the_issue_states():
    assert files.MAX_ZIP_MEMBERS == 10_000 and files.MAX_ZIP_TOTAL_BYTES == 1024**3
