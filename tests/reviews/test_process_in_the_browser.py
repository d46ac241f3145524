"""A team's review process page in a real browser: an admin fixes a bad holiday line named by the error, and the
form fits a phone."""

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


def test_an_admin_sets_the_process_and_fixes_a_bad_holiday(new_context, people, shot, console):
    from retrospector.reviews.models import ProcessSettings

    page = new_context(people["alice"]).new_page()
    page.goto("/teams/payments/")
    page.get_by_role("link", name="Review process").click()
    page.get_by_label("SEV1 — ").check()
    page.get_by_label("Time zone").fill("Europe/Paris")
    page.get_by_label("Holidays").fill("2026-12-25\nBoxing day")
    page.get_by_role("button", name="Save the process").click()
    expect(page.locator(".error")).to_contain_text("Line 2")
    shot(page, "process-settings-error")
    page.get_by_label("Holidays").fill("2026-12-25\n2026-12-26 # Boxing day")
    page.get_by_role("button", name="Save the process").click()
    expect(page.locator(".messages")).to_contain_text("Review process saved")
    settings = ProcessSettings.objects.get(team=people["payments"])
    assert settings.holidays == ["2026-12-25", "2026-12-26"] and settings.severities_requiring == ["SEV1"]
    # The refused form answers 422, which the browser logs; nothing else may go wrong.
    assert [m for m in console.errors() if "status of 422" not in m[1]] == []


@pytest.mark.layout
def test_the_process_page_fits_a_phone(new_context, people, shot):
    page = new_context(people["bob"], viewport={"width": 375, "height": 812}).new_page()
    page.goto("/teams/payments/process")
    expect(page.locator("h1")).to_contain_text("Review process")
    shot(page, "process-settings-narrow")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 376, f"the process page is {width}px wide on a 375px screen"
