"""Bringing a history in a real browser, on a phone-sized screen and by keyboard: a zip of past write-ups is uploaded,
its report is read (totals first), and the import is confirmed."""

import zipfile
from pathlib import Path

import pytest
from browser_support import (  # noqa: F401 - fixtures, used by name
    _builtin_templates_restored,
    _fast_password_hashing,
    browser,
    console,
    new_context,
    shot,
    site,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

HISTORY = Path(__file__).resolve().parents[1] / "fixtures" / "postmortems" / "history" / "dfds"
FILES = ["PM2020-002 - KIAM service disruption on Hellman.md", "PM2022-006 - ALB 502 errors.md"]


def test_a_history_is_uploaded_read_and_confirmed_by_keyboard_on_a_phone(new_context, people, console, shot, tmp_path):
    path = tmp_path / "history.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name in FILES:
            archive.write(HISTORY / name, f"dfds/{name}")
    page = new_context(people["bob"], viewport={"width": 390, "height": 900}).new_page()
    page.goto("/incidents/")
    page.get_by_role("link", name="Bring your history").click()
    expect(page.get_by_role("heading", name="No history imported yet")).to_be_visible()
    page.get_by_role("link", name="Upload past write-ups").first.click()
    page.get_by_label("Write-ups").set_input_files(str(path))
    page.get_by_label("Dates like 04/03/2021").select_option("day-first")
    page.get_by_label("Action items without a status become").select_option("dropped")
    shot(page, "history-upload-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Read the files").click()
    expect(page.get_by_role("heading", name="What the import would do")).to_be_visible()
    expect(page.locator("article.history-file")).to_have_count(2)
    shot(page, "history-report-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone

    page.get_by_role("button", name="Confirm the import").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="What was imported")).to_be_visible()
    expect(page.get_by_role("link", name="Open the write-up")).to_have_count(2)
    shot(page, "history-done-390")
    assert console.errors() == []
