"""Sharing in a real browser, by keyboard and without JavaScript: draft the customer statement, publish it, open its
public link in a signed-out browser on a phone (390 px: nothing wider than the screen, no console error, nothing
refused by the page's Content Security Policy), then stop publishing and find the link gone."""

from datetime import timedelta

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

from tests.conftest import START

pytestmark = pytest.mark.browser


@pytest.fixture
def approved(make_incident, make_retrospective):
    incident = make_incident(title="Checkout errors", resolved_at=START + timedelta(hours=1, minutes=40))
    retrospective = make_retrospective(incident)
    retrospective.sections.filter(key="summary").update(
        body="Card payments failed for some customers. @bob restarted the connection pooler."
    )
    retrospective.state = "approved"
    retrospective.save(update_fields=["state"])
    return retrospective


def no_wider_than_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_customer_statement_is_drafted_published_read_and_revoked_by_keyboard(
    approved, people, new_context, console, shot
):
    writer = new_context(user=people["alice"], java_script_enabled=False)
    page = writer.new_page()
    page.goto(f"/retrospectives/{approved.pk}/")
    shot(page, "sharing-retrospective-page")
    page.get_by_role("link", name="Internal summary and customer statement").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Share this write-up")).to_be_visible()
    shot(page, "sharing-share-page")
    page.get_by_role("button", name="Draft the customer statement").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Customer statement", exact=True)).to_be_visible()
    assert "@bob" not in page.locator("#id_body").input_value()
    page.get_by_role("button", name="Publish", exact=True).focus()
    page.keyboard.press("Enter")
    link = page.locator("#new-link").input_value()
    assert "/shared/" in link
    shot(page, "sharing-editor")

    phone = new_context(viewport={"width": 390, "height": 844}).new_page()
    phone.goto(link)
    expect(phone.get_by_role("heading", name="We are sorry")).to_be_visible()
    assert no_wider_than_the_screen(phone)
    assert phone.locator("a").count() == 0
    shot(phone, "sharing-public-390")

    small = new_context(user=people["alice"], viewport={"width": 390, "height": 844}).new_page()
    small.goto(page.url)
    assert no_wider_than_the_screen(small)
    shot(small, "sharing-editor-390")
    assert console.errors() == []

    page.get_by_role("button", name="Stop publishing").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Not published.")).to_be_visible()
    assert phone.goto(link).status == 404
