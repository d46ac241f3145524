"""Curating a timeline in a real browser: edits happen in place (htmx), by keyboard too, and the page still works
without JavaScript."""

import re
from datetime import UTC, datetime, timedelta

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

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)


@pytest.fixture
def timeline(make_incident, people):
    from retrospector.timeline.services import event_add

    incident = make_incident(title="Checkout errors after deploy")
    events = [
        event_add(
            incident=incident,
            by=people["bob"],
            occurred_at=T0 + timedelta(minutes=minute),
            text=text,
            source_url=f"https://chat.example.com/p/{minute}",
            original_offset_minutes=0,
        )
        for minute, text in ((6, "Paged the database team"), (8, "Rolled back v42"), (9, "Rolled back v42 (again)"))
    ]
    return incident, events


def test_an_event_is_edited_in_its_row_and_the_timeline_refreshes_in_place(
    new_context, people, timeline, console, shot
):
    incident, (paged, *_rest) = timeline
    page = new_context(people["alice"]).new_page()
    page.goto(f"/incidents/{incident.pk}/timeline/")
    url = page.url
    row = page.locator(f"#event-{paged.pk}")
    row.get_by_role("link", name=re.compile(r"^Edit")).click()
    expect(page.locator(f"#event-{paged.pk}.editing")).to_be_visible()
    expect(page.locator(f"#id_e{paged.pk}_when")).to_be_focused()  # keyboard users can type at once
    shot(page, "timeline-edit-in-row")
    page.locator(f"#id_e{paged.pk}_text").fill("Paged the storage team")
    page.locator(f"#event-{paged.pk}").get_by_role("button", name="Save").click()
    expect(page.locator("#timeline-region .messages")).to_contain_text("Event saved.")
    expect(page.locator(f"#event-{paged.pk}")).to_contain_text("Paged the storage team")
    expect(page.locator(f"#event-{paged.pk}")).to_be_focused()
    assert page.url == url  # no page load

    # Escape cancels an edit and gives the row back untouched.
    page.locator(f"#event-{paged.pk}").get_by_role("link", name=re.compile(r"^Edit")).click()
    page.locator(f"#id_e{paged.pk}_text").fill("Not kept")
    page.keyboard.press("Escape")
    expect(page.locator(f"#event-{paged.pk}.editing")).to_have_count(0)
    expect(page.locator(f"#event-{paged.pk}")).to_contain_text("Paged the storage team")
    assert console.errors() == []


def test_events_are_added_merged_and_filtered_without_leaving_the_page(new_context, people, timeline, console, shot):
    incident, (_paged, first, duplicate) = timeline
    page = new_context(people["alice"]).new_page()
    page.goto(f"/incidents/{incident.pk}/timeline/")
    page.evaluate("window.__same_page = true")

    add = page.locator("#add-event-form")
    add.locator("#id_when").fill("2026-05-04T14:20:00")
    add.get_by_label("Written in zone").select_option("UTC")
    add.get_by_label("What happened").fill("Failover to the replica")
    add.get_by_role("button", name="Add event").click()
    expect(page.locator("#timeline-region")).to_contain_text("Failover to the replica")
    expect(page.locator("#timeline-region .messages")).to_contain_text("Event added at 2026-05-04 14:20:00")
    expect(page.locator("#add-event-form").get_by_label("What happened")).to_have_value("")  # a fresh form
    expect(page.locator("#id_when")).to_be_focused()  # ready for the next event

    page.locator(f"#event-{first.pk} input[name=events]").check()
    page.locator(f"#event-{duplicate.pk} input[name=events]").check()
    page.get_by_label("With the selected events:").select_option("merge")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#timeline-region .messages")).to_contain_text("Merged 1 duplicate(s)")
    expect(page.locator(f"#event-{duplicate.pk}")).to_have_count(0)

    page.get_by_label("Include hidden noise").check()
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(f"#event-{duplicate.pk}")).to_contain_text("hidden: duplicate")
    expect(page).to_have_url(re.compile(r"hidden=1"))  # the filtered view has its own address
    assert page.evaluate("window.__same_page") is True
    shot(page, "timeline-after-merge")
    assert console.errors() == []


def test_without_javascript_the_timeline_still_edits(new_context, people, timeline):
    incident, (paged, *_rest) = timeline
    page = new_context(people["alice"], java_script_enabled=False).new_page()
    page.goto(f"/incidents/{incident.pk}/timeline/")
    page.locator(f"#event-{paged.pk}").get_by_role("link", name=re.compile(r"^Edit")).click()
    expect(page).to_have_url(re.compile(rf"/events/{paged.pk}/edit$"))
    page.get_by_label("What happened").fill("Paged the network team")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/timeline/\?after=[^#]+#event-{paged.pk}$"))
    expect(page.locator(f"#event-{paged.pk}")).to_contain_text("Paged the network team")
    expect(page.locator(".messages")).to_contain_text("Event saved.")


def test_on_a_phone_each_event_reads_without_scrolling_sideways(new_context, people, timeline, shot):
    incident, (paged, *_rest) = timeline
    page = new_context(people["alice"], viewport={"width": 375, "height": 812}).new_page()
    page.goto(f"/incidents/{incident.pk}/timeline/")
    row = page.locator(f"#event-{paged.pk}")
    for part in ("td.time", "td.what", "td.actions"):
        box = row.locator(part).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, f"{part} runs off a 375px screen: {box}"
    shot(page, "timeline-phone")
    row.get_by_role("link", name=re.compile(r"^Edit")).click()  # the edit form opens in place at full width too
    expect(page.locator(f"#id_e{paged.pk}_text")).to_be_visible()
    box = page.locator(f"#id_e{paged.pk}_text").bounding_box()
    assert box["x"] + box["width"] <= 375
