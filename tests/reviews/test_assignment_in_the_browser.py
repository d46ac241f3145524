"""The assignment picker and the review's side panel in a real browser: pick an owner and a reverse shadow by
keyboard, see the next step due, send for review through the confirmation page; and the picker on a phone."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.browser_support import (  # noqa: F401 - fixtures, used by name
    _builtin_templates_restored,
    _fast_password_hashing,
    browser,
    console,
    new_context,
    shot,
    site,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def retro(people, make_incident, make_retrospective):
    from retrospector.reviews.process import deadlines_refresh

    incident = make_incident(
        title="Checkout errors after the Friday deploy",
        resolved_at=datetime(2026, 5, 4, 18, tzinfo=UTC),
        responders=[people["bob"]],
    )
    retrospective = make_retrospective(incident)
    deadlines_refresh(retrospective)
    return retrospective


def test_picking_people_and_sending_for_review(new_context, people, retro, shot, console):
    page = new_context(people["alice"]).new_page()
    page.goto(f"/retrospectives/{retro.pk}/assign")
    expect(page.locator("tr", has_text="Bob").locator(".badge")).to_have_text("responded")
    shot(page, "assignment-picker")
    page.get_by_label("bob owns it").check()
    page.get_by_label("charlie coaches").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save").click()
    side = page.locator(".review-process")
    expect(side).to_contain_text("Reverse shadow")
    expect(side).to_contain_text("Charlie")
    expect(page.locator("#next-due")).to_contain_text("overdue by")
    shot(page, "review-side-panel")
    page.get_by_role("button", name="Send for review…").click()
    expect(page.locator("h1")).to_have_text("Send for review")
    expect(page.locator(".warn-box")).to_contain_text("Required sections still empty")
    shot(page, "send-for-review")
    page.get_by_label("Send it for review as it is").check()
    page.get_by_role("button", name="Send for review").click()
    expect(page.locator(".badge.state-in_review").first).to_be_visible()
    assert console.errors() == []


@pytest.mark.layout
def test_the_picker_fits_a_phone(new_context, people, retro, shot):
    page = new_context(people["alice"], viewport={"width": 375, "height": 812}).new_page()
    page.goto(f"/retrospectives/{retro.pk}/assign")
    shot(page, "assignment-picker-narrow")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 376, f"the picker is {width}px wide on a 375px screen"
