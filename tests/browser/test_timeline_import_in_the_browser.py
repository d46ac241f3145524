"""Importing Slack into a timeline in a real browser: the form starts from the incident's window, the preview lists the
channels to choose from and warns when most events are outside the incident, day files are read as one channel's, and
a file that adds nothing offers no import. By keyboard too, and on a phone-sized screen."""

import shutil
from datetime import UTC, datetime
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

SLACK = Path(__file__).resolve().parent.parent / "fixtures" / "slack" / "slack-export-viewer-testarchive"


@pytest.fixture
def sailing(make_incident):
    """An incident of two days inside the sample export's two months (UTC, as the people's zone)."""
    return make_incident(
        title="Sailing chat outage",
        started_at=datetime(2016, 3, 26, 10, tzinfo=UTC),
        detected_at=None,
        resolved_at=datetime(2016, 3, 27, 18, tzinfo=UTC),
    )


@pytest.fixture
def slack_zip(tmp_path):
    return shutil.make_archive(str(tmp_path / "export"), "zip", SLACK)


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_a_slack_export_is_narrowed_to_the_incident_and_its_channels(
    new_context, people, sailing, slack_zip, console, shot, width
):
    page = new_context(people["alice"], viewport={"width": width, "height": 900}).new_page()
    page.goto(f"/incidents/{sailing.pk}/timeline/import")
    expect(page.get_by_label("Only from")).to_have_value("2016-03-26T09:00")
    expect(page.get_by_label("Only until")).to_have_value("2016-03-27T22:00")
    shot(page, f"import-form-{width}")

    page.get_by_label("Source").select_option("slack")
    page.get_by_label("File or files").set_input_files(slack_zip)
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview: 33 events, 33 new")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Channel")).to_be_visible()
    expect(page.get_by_label("#enrique")).to_be_checked()
    shot(page, f"import-preview-{width}")

    # Only one channel, by keyboard: untick the other and read again.
    page.get_by_label("#traveling-sailor").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Preview again").click()
    expect(page.get_by_role("heading", name="Preview: 16 events, 16 new")).to_be_visible()
    expect(page.get_by_label("#traveling-sailor")).not_to_be_checked()
    expect(page.locator("table.import-preview")).not_to_contain_text("#traveling-sailor")

    # Clearing the times reads the whole channel, and the page warns that most of it is outside the incident.
    page.get_by_label("Only from").fill("")
    page.get_by_label("Only until").fill("")
    page.get_by_role("button", name="Preview again").click()
    expect(page.locator("#outside-window")).to_contain_text("82 of these 98 events fall outside the incident's window")
    shot(page, f"import-preview-outside-{width}")
    page.get_by_role("button", name="Import 98 events").click()
    expect(page.locator(".messages")).to_contain_text("Imported 98 events from export.zip")
    assert console.errors() == []


def test_day_files_picked_at_once_are_one_channels_and_a_second_import_offers_nothing(
    new_context, people, sailing, console, shot
):
    page = new_context(people["alice"]).new_page()
    days = [SLACK / "enrique" / "2016-03-26.json", SLACK / "enrique" / "2016-03-28.json", SLACK / "users.json"]
    page.goto(f"/incidents/{sailing.pk}/timeline/import")
    page.get_by_label("Source").select_option("slack")
    page.get_by_label("File or files").set_input_files([str(path) for path in days])
    page.get_by_label("Only from").fill("")
    page.get_by_label("Only until").fill("")
    page.get_by_role("button", name="Preview").click()
    # The files are kept while the page asks for their channel: nothing to pick again.
    expect(page.get_by_role("heading", name="Which channel are these messages from?")).to_be_visible()
    expect(page.get_by_role("textbox", name="Channel")).to_be_focused()
    shot(page, "import-dayfiles-ask-channel")
    page.keyboard.type("#enrique")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Preview: 37 events, 37 new")).to_be_visible()
    page.get_by_role("button", name="Import 37 events").click()
    expect(page.locator(".messages")).to_contain_text("Imported 37 events from 2016-03-26.json, 2016-03-28.json")

    page.goto(f"/incidents/{sailing.pk}/timeline/import")
    page.get_by_label("Source").select_option("slack")
    page.get_by_label("File or files").set_input_files(str(SLACK / "enrique" / "2016-03-26.json"))
    page.get_by_label("Channel").fill("enrique")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#nothing-to-import")).to_contain_text("Nothing to import")
    expect(page.get_by_role("button", name="Import 0 events")).to_have_count(0)
    shot(page, "import-nothing-new")
    page.get_by_role("link", name="Back to the timeline").click()
    expect(page).to_have_url(f"{page.url.split('/incidents/')[0]}/incidents/{sailing.pk}/timeline/")
    assert console.errors() == []
