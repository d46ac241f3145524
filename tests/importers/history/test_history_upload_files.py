"""An uploaded file (the page's and the API's), held in memory as a name and its bytes: a zip gives the same files,
and is refused for exactly the same reasons, as the same zip on disk; a single write-up is read as itself. Pure."""

from __future__ import annotations

import stat
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from retrospector.importers.history.files import iter_inputs, iter_upload, upload_refusal
from tests.importers.zip_bombs import MB, deflated, raw_zip, zeros_deflated

pytestmark = pytest.mark.no_database

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "postmortems" / "history-formats"
MARKDOWN = b"# Outage\n\n## Timeline\n\n- 14:03 alert\n"


def zip_of(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _link_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("pm.md", MARKDOWN)
        link = zipfile.ZipInfo("passwd.md")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    return path


HOSTILE = {
    "climbs": (lambda p: raw_zip(p, [("ok.md", *deflated(MARKDOWN)), ("../escape.md", *deflated(MARKDOWN))]), "climbs"),
    "absolute": (lambda p: raw_zip(p, [("/etc/pm.md", *deflated(MARKDOWN))]), "climbs"),
    "link": (_link_zip, "a symbolic link"),
    "entries": (lambda p: raw_zip(p, [(f"{n}.md", *deflated(b"#")) for n in range(10_001)]), "10,000 entries"),
    "total": (lambda p: raw_zip(p, [(f"pm{n}.md", *deflated(b"x")[:2], MB) for n in range(1100)]), "1.1 GB"),
    "ratio": (lambda p: raw_zip(p, [("pm.md", zeros_deflated(20), 0, 20 * MB)]), "unpacks to 20 MB from"),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_an_uploaded_zip_is_refused_for_the_same_reasons_as_on_disk_before_anything_is_unpacked(tmp_path, kind):
    build, words = HOSTILE[kind]
    path = build(tmp_path / "history.zip")
    data = path.read_bytes()
    (on_disk,) = iter_inputs([path])
    tracemalloc.start()
    started = time.perf_counter()
    try:
        (uploaded,) = iter_upload("history.zip", data)
        refusal = upload_refusal("history.zip", data)
        seconds, peak = time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert uploaded.data is None and uploaded.path == "history.zip"
    assert uploaded.problem == on_disk.problem.replace(str(path), "history.zip")
    assert uploaded.problem.endswith("the whole zip was refused, nothing was unpacked.") and words in uploaded.problem
    assert refusal == uploaded.problem
    assert seconds < 2 and peak < 16 * MB


def test_an_uploaded_zip_gives_the_files_of_the_same_zip_on_disk(tmp_path):
    docx = (FIXTURES / "dfds-all-services-503.docx").read_bytes()
    path = zip_of(
        tmp_path / "history.zip",
        {"z/pm.md": MARKDOWN, "a.docx": docx, "__MACOSX/._a.docx": b"x", "nested.zip": b"PK\x03\x04", "folder/": b""},
    )
    uploaded = list(iter_upload("history.zip", path.read_bytes()))
    on_disk = list(iter_inputs([path]))
    assert [(f.path, f.format, f.data, f.container) for f in uploaded] == [
        (f.path, f.format, f.data, "history.zip") for f in on_disk
    ]
    assert [f.path for f in uploaded] == ["a.docx", "nested.zip", "z/pm.md"]
    assert uploaded[1].problem == "nested.zip in history.zip is a zip inside the zip; not opened, skipped."
    assert upload_refusal("history.zip", path.read_bytes()) is None


@pytest.mark.parametrize(
    "name, fmt",
    [
        ("dfds-all-services-503.md", "markdown"),
        ("dfds-all-services-503.html", "html"),
        ("dfds-all-services-503.docx", "docx"),
    ],
)
def test_a_single_uploaded_write_up_is_read_as_itself(name, fmt):
    data = (FIXTURES / name).read_bytes()
    (item,) = iter_upload(name, data)
    assert (item.path, item.format, item.data, item.container, item.problem) == (name, fmt, data, None, None)
    assert upload_refusal(name, data) is None


def test_an_uploaded_name_is_reduced_to_its_base_name():
    (item,) = iter_upload("../../etc/pm.md", MARKDOWN)
    assert item.path == "pm.md" and item.data == MARKDOWN


def test_an_upload_of_another_format_or_too_big_is_refused_whole():
    assert "not a format a history is read from" in upload_refusal("scan.pdf", b"%PDF-1.4 ...")
    (item,) = iter_upload("scan.pdf", b"%PDF-1.4 ...")
    assert item.data is None and "not a format a history is read from" in item.problem
    big = b"# x\n" * (8 * MB + 1)
    assert upload_refusal("big.md", big) == "big.md is 32 MB; the limit is 32 MB per file."
    (item,) = iter_upload("big.md", big)
    assert item.data is None and item.problem.endswith("per file; skipped.")


def test_a_broken_uploaded_zip_is_refused_whole():
    refusal = upload_refusal("history.zip", b"PK\x03\x04 not really a zip")
    assert refusal.startswith("history.zip is not a readable zip file")
