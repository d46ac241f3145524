"""Responders' accounts and discussion questions in a real browser: the owner asks, a responder writes theirs from the
home page, the owner prepares questions with the checks warning as she types; on a wide screen and on a phone."""

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
def reviewed(people, make_incident, make_retrospective):
    from tests.reviews.accounts_support import make_review

    return make_review(people, make_incident, make_retrospective, title="Checkout errors after the Friday deploy")


def test_the_owner_asks_a_responder_writes_and_the_owner_prepares_questions(
    new_context, people, reviewed, shot, console
):
    retrospective, events = reviewed
    owner = new_context(people["alice"]).new_page()
    owner.goto(f"/retrospectives/{retrospective.pk}/")
    owner.get_by_role("link", name="Ask for accounts").click()
    owner.get_by_label("Bob").check()
    owner.get_by_label("Message (optional)").fill("What did the payments dashboard show you?")
    shot(owner, "accounts-ask")
    owner.get_by_role("button", name="Ask", exact=True).click()
    expect(owner.locator(".messages")).to_contain_text("Asked Bob.")

    bob = new_context(people["bob"]).new_page()
    bob.goto("/")
    block = bob.locator("section[aria-labelledby=account-requests-h]")
    expect(block).to_contain_text("What did the payments dashboard show you?")
    shot(bob, "accounts-home")
    block.get_by_role("link").click()
    bob.get_by_label("Your account (Markdown)").fill("At 14:01 I saw the **alert**, and thought it was the cache.")
    bob.get_by_label("Paged the database team").check()
    shot(bob, "accounts-write")
    bob.get_by_role("button", name="Save your account").click()
    account = bob.locator("details.account")
    expect(account).to_have_count(1)
    account.locator("summary").click()
    expect(account).to_contain_text("Paged the database team")
    shot(bob, "accounts-on-the-page")
    bob.locator("#accounts").screenshot(path="/tmp/shots/accounts-part.png")

    owner.goto(f"/retrospectives/{retrospective.pk}/questions/")
    owner.locator("textarea[name=text]").fill("Did anyone look at the replication dashboard?")
    expect(owner.locator("#question-findings")).to_contain_text("question-yes-no")
    owner.locator("textarea[name=text]").fill("What did the replication dashboard show at 14:02?")
    expect(owner.locator("#question-findings")).to_contain_text("nothing to warn about")
    owner.get_by_role("button", name="Add the question").click()
    owner.locator("textarea[name=text]").fill("How did you decide to roll back?")
    owner.get_by_role("button", name="Add the question").click()
    owner.get_by_role("button", name="Move up question 2").click()
    expect(owner.locator(".question-list > li").first).to_contain_text("How did you decide to roll back?")
    expect(owner.locator("#question-count")).to_contain_text("2 of 5 to 10 questions")
    shot(owner, "questions")
    owner.goto(f"/retrospectives/{retrospective.pk}/")
    owner.locator("#questions").screenshot(path="/tmp/shots/questions-part.png")
    assert console.errors() == []


@pytest.mark.layout
@pytest.mark.parametrize("path", ["accounts/mine", "questions/"])
def test_the_pages_fit_a_narrow_phone_screen(new_context, people, reviewed, shot, path):
    retrospective, _ = reviewed
    page = new_context(people["bob"], viewport={"width": 375, "height": 812}).new_page()
    page.goto(f"/retrospectives/{retrospective.pk}/{path}")
    shot(page, "accounts-narrow-" + path.strip("/").replace("/", "-"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 376, f"/{path} is {width}px wide on a 375px screen"
