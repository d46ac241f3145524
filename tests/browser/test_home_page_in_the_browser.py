"""The home page in a real browser: what is due and overdue reads right, on a wide screen and on a phone."""

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
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.fixture
def bobs_retrospectives(people, make_incident, make_retrospective):
    """Bob owns a draft overdue by ten days, one due in three days, and two past their draft (their first-draft dates
    passed, which no longer matters)."""
    from retrospector.writeups.services import retrospective_assign, retrospective_transition, section_save

    today = timezone.localdate()
    made = {}
    for title, due_in, steps in (
        ("Checkout errors after the Friday deploy", -10, []),
        ("Search latency during the reindex", 3, []),
        ("Card payments declined in the EU region", -12, ["in_review"]),
        ("Login outage after the certificate rotation", -20, ["in_review", "meeting", "approved"]),
    ):
        retrospective = make_retrospective(make_incident(title=title))
        retrospective.title = title
        retrospective.save(update_fields=["title"])
        retrospective_assign(
            retrospective=retrospective,
            by=people["alice"],
            owner=people["bob"],
            shadow=None,
            due_at=today + timedelta(days=due_in),
        )
        if "approved" in steps:
            for section in retrospective.sections.filter(required=True):
                section_save(section=section, body="Written.", base_version=section.version, by=people["bob"])
        for step in steps:
            if step == "approved":  # approved before publishing was one step; the generic change no longer does it
                type(retrospective).objects.filter(pk=retrospective.pk).update(state=step)
                continue
            retrospective_transition(retrospective=retrospective, to_state=step, by=people["alice"])
        made[title] = retrospective
    return made


def test_only_drafts_are_due_or_overdue_on_the_home_page(new_context, people, bobs_retrospectives, shot):
    page = new_context(people["bob"]).new_page()
    page.goto("/")
    due_soon = page.locator("section[aria-labelledby=due-h]")
    mine = page.locator("section[aria-labelledby=mine-h]")
    expect(due_soon.locator("p")).to_have_count(2)
    expect(due_soon.locator(".overdue")).to_have_count(1)
    expect(due_soon).to_contain_text("Checkout errors after the Friday deploy")
    expect(due_soon).not_to_contain_text("Card payments declined")
    expect(mine.locator("p")).to_have_count(4)
    expect(mine.locator(".overdue")).to_have_count(1)
    expect(mine.locator("p", has_text="Login outage")).not_to_contain_text("due")
    expect(mine.locator("p", has_text="Card payments")).not_to_contain_text("due")
    shot(page, "home-due-and-overdue")


@pytest.mark.layout
def test_the_home_page_fits_a_narrow_phone_screen(new_context, people, bobs_retrospectives, shot):
    page = new_context(people["bob"], viewport={"width": 375, "height": 812}).new_page()
    page.goto("/")
    expect(page.locator("section[aria-labelledby=due-h]")).to_be_visible()
    shot(page, "home-narrow")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 376, f"the home page is {width}px wide on a 375px screen"
