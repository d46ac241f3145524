"""'Have we seen this before?' in a real browser: beside the editor, "Compare with what I am writing" ranks again
with the unsaved draft, in place (htmx sends the open editor's text along); and the panel reads at 390 px wide."""

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


def test_the_panel_compares_the_unsaved_draft_in_place(new_context, people, make_incident, make_retrospective, shot):
    make_incident(title="Auth gateway certificate expired", services=["auth-gateway"])
    retro = make_retrospective(make_incident(title="Logins failing", services=["mobile-app"]))
    page = new_context(people["alice"]).new_page()
    page.goto(f"/retrospectives/{retro.pk}/")
    panel = page.locator("#similar-panel")
    expect(panel.locator("#similar-empty")).to_be_visible()
    page.locator("#section-summary [data-edit]").click()
    page.locator("#section-summary textarea[name=body]").fill("The TLS certificate on the auth gateway expired.")
    panel.get_by_role("button", name="Compare with what I am writing").click()
    expect(panel.locator(".similar-item")).to_contain_text("Auth gateway certificate expired")
    expect(panel).to_contain_text("using your unsaved draft")
    expect(page.locator("#section-summary textarea[name=body]")).to_have_value(
        "The TLS certificate on the auth gateway expired."
    )  # the draft is still being written, not saved
    shot(page, "similar-beside-the-editor")


@pytest.mark.layout
def test_the_incident_page_panel_reads_on_a_phone(new_context, people, make_incident, shot):
    make_incident(title="Checkout 503s: pgbouncer pool exhausted", services=["checkout-api", "orders-db"])
    incident = make_incident(
        title="Ledger stalls: pgbouncer pool exhausted", summary="pgbouncer ran dry", services=["orders-db"]
    )
    page = new_context(people["bob"], viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"/incidents/{incident.pk}/")
    panel = page.locator("#similar-panel")
    expect(panel.locator(".similar-item")).to_contain_text("Checkout 503s")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "similar-incident-phone")
