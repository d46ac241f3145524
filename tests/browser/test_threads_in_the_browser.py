"""Feedback threads in a real browser: a reviewer selects words of a section and comments on them, the owner
resolves the thread; the threads sit beside their section on a wide screen and below it on a phone."""

import re

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

SUMMARY = (
    "Checkout failed for 40 minutes after a config push.\n\n"
    "The **fraud rule** rejected every card from one bank.\n\n"
    "We rolled the config back at 14:40 and payments recovered."
)


@pytest.fixture
def in_review(people, make_incident, make_retrospective):
    from retrospector.writeups.models import Retrospective, Section
    from retrospector.writeups.services import section_save

    retrospective = make_retrospective(make_incident(title="Checkout errors after deploy"))
    section = Section.objects.get(retrospective=retrospective, key="summary")
    section_save(section=section, body=SUMMARY, base_version=section.version, by=people["alice"])
    Retrospective.objects.filter(pk=retrospective.pk).update(state="in_review")
    retrospective.refresh_from_db()
    return retrospective


def select_words(page, key, words):
    """Select `words` inside the section's rendered text, as a reader dragging over them would."""
    # The page may still be loading after a navigation (its URL changes first): wait for the section's text.
    expect(page.locator(f"#section-{key} .prose")).to_contain_text(words)
    page.evaluate(
        """([key, words]) => {
          const prose = document.querySelector(`#section-${key} .prose`);
          const walker = document.createTreeWalker(prose, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.data.indexOf(words);
            if (at === -1) continue;
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + words.length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            return;
          }
          throw new Error("words not found: " + words);
        }""",
        [key, words],
    )


def test_a_reviewer_comments_on_a_selected_passage_and_the_owner_resolves_it(
    new_context, site, people, in_review, shot, console
):
    page = new_context(people["dana"]).new_page()
    page.goto(f"/retrospectives/{in_review.pk}/")
    select_words(page, "summary", "rejected every card")
    page.get_by_role("button", name="Comment on this passage").click()
    column = page.locator("#threads-summary")
    expect(column.get_by_label("Passage")).to_have_value("rejected every card")
    expect(column.get_by_label("Comment", exact=True)).to_be_focused()
    column.get_by_label("Comment", exact=True).fill("Which bank? @alice do we know?")
    column.get_by_label("Change", exact=True).check()  # no kind is chosen for the reviewer
    column.get_by_role("button", name="Add comment").click()
    thread = column.locator("article.thread")
    expect(thread).to_have_count(1)
    expect(thread.locator(".thread-quote")).to_have_text("rejected every card")
    expect(column.get_by_role("status")).to_contain_text("Comment added.")
    expect(page.locator("#section-summary mark.thread-mark")).to_have_text("rejected every card")
    shot(page, "threads-reviewer")

    owner = new_context(people["alice"]).new_page()
    owner.goto(f"/retrospectives/{in_review.pk}/")
    article = owner.locator("#threads-summary article.thread")
    # Side by side on a wide screen: the thread column is to the right of its section.
    section_box = owner.locator("#section-summary").bounding_box()
    column_box = owner.locator("#threads-summary").bounding_box()
    assert column_box["x"] >= section_box["x"] + section_box["width"]
    article.get_by_text("Resolve this thread").click()
    article.get_by_label("Changed").check()
    article.get_by_label(re.compile("^Note")).fill("Named the bank.")
    article.get_by_role("button", name="Resolve").click()
    expect(owner.locator("#threads-summary .resolved-threads > summary")).to_have_text("1 resolved thread")
    expect(owner.locator("#threads-open-count")).to_have_text("0 open threads of 1")
    shot(owner, "threads-owner-resolved")

    # The reviewer's page: she edits nothing, but the owner rewords the passage of a new thread; after the owner saves
    # the section in place, its threads refresh and that one shows as outdated, with its old quote.
    from retrospector.reviews.threads import thread_start

    thread_start(
        retrospective=in_review, section="summary", kind="change", quote="40 minutes", body="Exact?", by=people["dana"]
    )
    owner.reload()
    owner.locator("#section-summary").get_by_role("link", name=re.compile(r"^Edit")).click()
    editor = owner.locator("#section-summary.editing textarea")
    editor.fill(SUMMARY.replace("40 minutes", "42 minutes"))
    owner.get_by_role("button", name="Save").click()
    outdated = owner.locator("#threads-summary article.thread.is-outdated")
    expect(outdated).to_have_count(1)
    expect(outdated.locator(".badge.outdated")).to_have_text("outdated")
    expect(outdated.locator(".thread-quote")).to_contain_text("40 minutes")
    from retrospector.reviews.models import Thread

    thread_row = Thread.objects.get(resolved_at__isnull=False)
    assert (thread_row.resolution, thread_row.resolved_by) == ("changed", people["alice"])
    assert console.errors() == []


@pytest.mark.layout
def test_on_a_phone_the_threads_come_below_their_section(new_context, site, people, in_review, shot):
    from retrospector.reviews.threads import thread_start

    thread_start(
        retrospective=in_review,
        section="summary",
        kind="question",
        quote="rolled the config back",
        body="Who decided?",
        by=people["bob"],
    )
    page = new_context(people["dana"], viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"/retrospectives/{in_review.pk}/threads")
    expect(page.locator("li.thread-row")).to_have_count(1)
    shot(page, "threads-list-phone")
    page.goto(f"/retrospectives/{in_review.pk}/")
    section_box = page.locator("#section-summary").bounding_box()
    column_box = page.locator("#threads-summary").bounding_box()
    assert column_box["y"] >= section_box["y"] + section_box["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("#threads-summary").scroll_into_view_if_needed()
    shot(page, "threads-phone")
