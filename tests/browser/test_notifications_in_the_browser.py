"""Notifications in a real browser: the bell says how many are unread, the list opens one (read, then its page),
"Mark all read" empties the count, and the preferences save per kind; on a wide screen and on a phone."""

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


@pytest.fixture
def bobs_notifications(people, make_incident, make_retrospective):
    from retrospector.notifications.models import Kind
    from retrospector.notifications.services import notify

    retrospective = make_retrospective(make_incident(title="Checkout errors after the Friday deploy"))
    url = f"/retrospectives/{retrospective.pk}/"
    for key, kind, title in (
        ("a", Kind.ACCOUNT_REQUESTED, "Alice asks for your account of Checkout errors after the Friday deploy"),
        ("b", Kind.MENTIONED, "Alice mentioned you in a comment on the Summary"),
        ("c", Kind.REVIEW_REQUESTED, "Checkout errors after the Friday deploy is ready for your review"),
    ):
        notify(
            recipients=[people["bob"]],
            kind=kind,
            key=key,
            title=title,
            url=url,
            retrospective=retrospective,
            actor=people["alice"],
        )
    return retrospective


def test_the_bell_the_list_and_the_preferences(site, new_context, people, bobs_notifications, shot, console):
    from retrospector.notifications.models import Notification

    page = new_context(people["bob"]).new_page()
    page.goto("/")
    bell = page.get_by_role("link", name="Notifications, 3 unread")
    expect(bell).to_be_visible()
    bell.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    shot(page, "notifications-list")
    page.get_by_role("link", name="Alice mentioned you in a comment on the Summary").click()
    expect(page).to_have_url(f"{site.url}/retrospectives/{bobs_notifications.pk}/")
    expect(page.get_by_role("link", name="Notifications, 2 unread")).to_be_visible()
    page.goto("/notifications/")
    page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    assert not Notification.objects.filter(read_at__isnull=True).exists()

    page.get_by_role("link", name="Choose what reaches you").click()
    page.get_by_role("checkbox", name="Someone mentioned you in a comment: by e-mail").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Notification preferences saved.")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Someone mentioned you in a comment: by e-mail")).not_to_be_checked()
    shot(page, "notification-preferences")
    assert console.errors() == []


@pytest.mark.layout
def test_on_a_phone(new_context, people, bobs_notifications, shot):
    page = new_context(people["bob"], viewport={"width": 390, "height": 844}).new_page()
    page.goto("/notifications/")
    expect(page.get_by_role("link", name="Notifications, 3 unread")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px phone"
    shot(page, "notifications-phone")
    page.goto("/me/notifications/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the preferences are {width} px wide on a 390 px phone"
    shot(page, "notification-preferences-phone")
