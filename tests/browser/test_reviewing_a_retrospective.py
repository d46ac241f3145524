"""Reviewing a retrospective from end to end in a real browser, as its people would (issue 14's browser test): the owner
asks two responders for their accounts, one of them writes theirs about a timeline event, the owner sends the write-up
for review, a reviewer comments on a passage asking for a change and mentions the owner, and the owner edits the
section, keeping the passage, and resolves the thread as changed. Screenshots on a wide screen and on a phone."""

import re

import pytest
from browser_support import (  # noqa: F401 - fixtures, used by name
    SHOTS,
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

TITLE = "Checkout errors after the Friday deploy"
SUMMARY = (
    "Checkout failed for 40 minutes after a config push.\n\n"
    "The **fraud rule** rejected every card from one bank.\n\n"
    "We rolled the config back at 14:40 and payments recovered."
)
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def draft(people, make_incident, make_retrospective):
    """alice's draft of an incident with two responders (bob of payments, charlie of platform), three timeline events
    and a written summary."""
    from retrospector.writeups.models import Section
    from retrospector.writeups.services import section_save
    from tests.reviews.accounts_support import make_review

    retrospective, events = make_review(people, make_incident, make_retrospective, title=TITLE)
    section = Section.objects.get(retrospective=retrospective, key="summary")
    section_save(section=section, body=SUMMARY, base_version=section.version, by=people["alice"])
    return retrospective, events


def select_words(page, key, words):
    """Select `words` inside the section's rendered text with the mouse: press at their first letter, drag to their
    last (the positions come from the text's layout)."""
    # The page may still be loading after a navigation (its URL changes first): wait for the section's text.
    expect(page.locator(f"#section-{key} .prose")).to_contain_text(words)
    box = page.evaluate(
        """([key, words]) => {
          const prose = document.querySelector(`#section-${key} .prose`);
          const walker = document.createTreeWalker(prose, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.data.indexOf(words);
            if (at === -1) continue;
            const first = document.createRange();
            first.setStart(node, at);
            first.setEnd(node, at + 1);
            const last = document.createRange();
            last.setStart(node, at + words.length - 1);
            last.setEnd(node, at + words.length);
            const a = first.getBoundingClientRect(), b = last.getBoundingClientRect();
            return {x1: a.left + 1, y1: a.top + a.height / 2, x2: b.right - 1, y2: b.top + b.height / 2};
          }
          throw new Error("words not found: " + words);
        }""",
        [key, words],
    )
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y2"], steps=4)
    page.mouse.up()
    expect_selection = page.evaluate("window.getSelection().toString()")
    assert expect_selection.strip() == words, f"selected {expect_selection!r}, not {words!r}"


def duplicate_ids(page) -> list[str]:
    """Ids used twice on the page (a label or an hx-include would find the wrong element)."""
    return page.evaluate(
        """() => {
          const seen = new Set(), twice = new Set();
          document.querySelectorAll("[id]").forEach(e => (seen.has(e.id) ? twice : seen).add(e.id));
          return [...twice];
        }"""
    )


def fits(page, width):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width} px wide on a {width} px screen"


def test_the_owner_asks_for_accounts_sends_for_review_and_resolves_a_reviewers_change(
    new_context, site, people, draft, shot, console
):
    from retrospector.notifications.models import Notification
    from retrospector.reviews.models import Account, AccountRequest, Thread

    retrospective, events = draft
    page_url = f"/retrospectives/{retrospective.pk}/"

    # The owner asks bob (by mouse) and charlie (by keyboard) for their accounts.
    owner = new_context(people["alice"]).new_page()
    owner.goto(page_url)
    owner.get_by_role("link", name="Ask for accounts").click()
    owner.get_by_label("Bob").click()
    charlie = owner.get_by_label("Charlie")
    charlie.focus()
    owner.keyboard.press("Space")
    expect(charlie).to_be_checked()
    message = owner.get_by_label("Message (optional)")
    message.focus()
    owner.keyboard.type("What did the payments dashboard show you?")
    shot(owner, "review-flow-1-ask")
    owner.get_by_role("button", name="Ask", exact=True).focus()
    owner.keyboard.press("Enter")
    expect(owner.locator(".messages")).to_contain_text("Asked Bob and Charlie.")

    # bob finds the request on his home page and behind the bell, and writes his account about one event.
    bob = new_context(people["bob"]).new_page()
    bob.goto("/")
    block = bob.locator("section[aria-labelledby=account-requests-h]")
    expect(block).to_contain_text("What did the payments dashboard show you?")
    bell = bob.get_by_role("link", name="Notifications, 1 unread")
    expect(bell).to_be_visible()
    bell.click()
    request_note = bob.get_by_role("link", name=f"Your account of “{TITLE}” is requested")
    expect(request_note).to_be_visible()
    shot(bob, "review-flow-2-bobs-notifications")
    request_note.click()
    bob.get_by_label("Your account (Markdown)").fill(
        "At 14:01 I saw the **alert** and thought it was the cache. I paged the database team."
    )
    bob.get_by_label("Paged the database team").check()
    shot(bob, "review-flow-3-account")
    bob.get_by_role("button", name="Save your account").click()
    expect(bob.locator("details.account")).to_have_count(1)

    # The owner sends it for review: the confirmation lists charlie's missing account.
    owner.goto(page_url)
    expect(owner.locator("#accounts")).to_contain_text("Bob")
    owner.get_by_role("button", name=re.compile("^Send for review")).click()
    missing = owner.locator("section.warn-box")
    expect(missing).to_contain_text("Accounts asked for and not given yet: Charlie.")
    expect(missing).not_to_contain_text("Bob")
    expect(owner.get_by_text("2 reviewers will be told: Bob, Dana.")).to_be_visible()
    owner.get_by_label("Send it for review as it is").check()
    shot(owner, "review-flow-4-send")
    owner.get_by_role("button", name="Send for review").click()
    expect(owner.locator(".messages")).to_be_visible()

    # dana, a reviewer of the team, selects a passage and asks for a change, mentioning the owner.
    dana = new_context(people["dana"]).new_page()
    dana.goto("/")
    dana.get_by_role("link", name="Notifications, 1 unread").click()
    dana.get_by_role("link", name=f"“{retrospective.title}” is ready for your review").click()
    expect(dana).to_have_url(re.compile(rf"/retrospectives/{retrospective.pk}/"))
    select_words(dana, "summary", "rejected every card")
    dana.get_by_role("button", name="Comment on this passage").click()
    expect(dana.get_by_role("button", name="Comment on this passage")).to_be_hidden()
    column = dana.locator("#threads-summary")
    expect(column.get_by_label("Passage")).to_have_value("rejected every card")
    column.get_by_label("Change", exact=True).check()
    column.get_by_label("Comment", exact=True).fill("Which bank? @alice please name it.")
    shot(dana, "review-flow-5-comment")
    column.get_by_role("button", name="Add comment").click()
    expect(column.get_by_role("status")).to_contain_text("Comment added.")
    thread = column.locator("article.thread")
    expect(thread).to_have_count(1)
    expect(thread.locator(".badge.kind-change")).to_be_visible()
    expect(dana.locator("#section-summary mark.thread-mark")).to_have_text("rejected every card")
    assert duplicate_ids(dana) == []
    dana_phone = new_context(people["dana"], viewport=PHONE).new_page()
    dana_phone.goto(page_url)
    fits(dana_phone, PHONE["width"])
    dana_phone.locator("#threads-summary").screenshot(path=str(SHOTS / "review-flow-5-phone-thread.png"))

    # The owner is told, edits the section around the passage, and the thread stays on it.
    owner.goto(page_url)
    owner.get_by_role("link", name=re.compile(r"^Notifications, \d+ unread")).click()
    shot(owner, "review-flow-6-owners-notifications")
    mention = f"Dana mentioned you in a change thread on “Summary” of “{retrospective.title}”"
    owner.get_by_role("link", name=mention).click()
    expect(owner).to_have_url(re.compile(rf"/retrospectives/{retrospective.pk}/#thread-\d+$"))
    expect(owner.locator("#threads-summary article.thread")).to_be_in_viewport()
    owner.locator("#section-summary").get_by_role("link", name=re.compile(r"^Edit")).click()
    assert duplicate_ids(owner) == []
    owner.locator("#section-summary.editing textarea").fill(
        SUMMARY.replace("from one bank", "from Northwind Bank").replace("40 minutes", "42 minutes")
    )
    owner.get_by_role("button", name="Save").click()
    expect(owner.locator("#section-summary")).not_to_have_class(re.compile("editing"))
    expect(owner.locator("#section-summary .prose")).to_contain_text("Northwind Bank")
    article = owner.locator("#threads-summary article.thread")
    expect(article).not_to_have_class(re.compile("is-outdated"))
    expect(owner.locator("#section-summary mark.thread-mark")).to_have_text("rejected every card")
    shot(owner, "review-flow-6-owner")
    article.get_by_text("Resolve this thread").click()
    article.get_by_label("Changed").check()
    article.get_by_label(re.compile("^Note")).fill("Named the bank.")
    article.get_by_role("button", name="Resolve").click()
    resolved = owner.locator("#threads-summary .resolved-threads")
    expect(resolved.locator("> summary")).to_have_text("1 resolved thread")
    resolved.locator("> summary").click()
    expect(resolved.locator(".resolved-note")).to_contain_text(re.compile(r"Resolved as changed by Alice, .+"))
    expect(owner.locator("#section-summary mark.thread-mark")).to_have_count(0)
    shot(owner, "review-flow-7-resolved")
    owner.get_by_role("link", name="All threads").click()
    owner.get_by_role("navigation", name="Show threads").get_by_role("link", name="Resolved").click()
    row = owner.locator("li.thread-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(re.compile(r"Resolved as changed by Alice, \w+ \d+ \d\d:\d\d: “Named the bank.”"))
    shot(owner, "review-flow-7-thread-list")

    # On a phone: bob's page and his account, the owner's list of requests, the thread below its section.
    phone = new_context(people["bob"], viewport=PHONE).new_page()
    phone.goto(page_url)
    fits(phone, PHONE["width"])
    phone.locator("#accounts").scroll_into_view_if_needed()
    shot(phone, "review-flow-8-phone")
    phone.goto(f"/retrospectives/{retrospective.pk}/accounts/mine")
    fits(phone, PHONE["width"])
    shot(phone, "review-flow-9-phone-account")
    owner_phone = new_context(people["alice"], viewport=PHONE).new_page()
    owner_phone.goto(f"/retrospectives/{retrospective.pk}/accounts/requests")
    expect(owner_phone.locator("tbody tr")).to_have_count(2)
    fits(owner_phone, PHONE["width"])
    shot(owner_phone, "review-flow-10-phone-requests")
    owner_phone.goto(page_url)
    owner_phone.locator("#threads-summary").screenshot(path=str(SHOTS / "review-flow-12-phone-thread.png"))
    owner_phone.locator("#accounts").screenshot(path=str(SHOTS / "review-flow-13-phone-accounts.png"))

    retrospective.refresh_from_db()
    assert retrospective.state == "in_review"
    answered = {r.responder.username: r.answered_at is not None for r in AccountRequest.objects.all()}
    assert answered == {"bob": True, "charlie": False}
    account = Account.objects.get()
    assert (account.author, [e.text for e in account.events.all()]) == (people["bob"], ["Paged the database team"])
    thread_row = Thread.objects.get()
    assert (thread_row.kind, thread_row.quote, thread_row.resolution, thread_row.resolved_by) == (
        "change",
        "rejected every card",
        "changed",
        people["alice"],
    )
    assert thread_row.resolved_at is not None
    unread = Notification.objects.filter(read_at__isnull=True).values_list("recipient__username", "kind")
    # What is left unread: charlie's request, bob's review request (he went to write his account first), and the
    # notice that dana's thread was resolved.
    left = [("bob", "review_requested"), ("charlie", "account_requested"), ("dana", "thread_resolved")]
    assert sorted(unread) == left
    assert console.errors() == []
