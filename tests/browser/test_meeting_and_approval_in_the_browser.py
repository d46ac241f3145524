"""The second half of a review in a real browser (issue 15's browser test): two reviewers disagree in a thread that
reaches three messages and joins the agenda by itself; the owner takes the meeting to it, the note-taker records a
decision, the owner applies it with a revision and resolves the thread, someone other than the owner approves, and the
done list shows the write-up."""

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

TITLE = "Checkout errors after the Friday deploy"
CLEAN = "The checkout service returned errors for 40 minutes after a configuration push; the rollback restored it."


@pytest.fixture
def in_review(people, make_incident, make_retrospective):
    """alice's retrospective of a payments incident, every required section written plainly, sent for review."""
    from retrospector.meetings.approval import approval_missing
    from retrospector.writeups.models import Retrospective, Section
    from retrospector.writeups.services import section_save

    retrospective = make_retrospective(make_incident(title=TITLE))
    for section in Section.objects.filter(retrospective=retrospective, required=True):
        section_save(section=section, body=CLEAN, base_version=section.version, by=people["alice"])
    Retrospective.objects.filter(pk=retrospective.pk).update(state="in_review")
    retrospective.refresh_from_db()
    assert [m.code for m in approval_missing(retrospective)] == ["state"]  # only the state stands in the way
    return retrospective


def test_a_disagreement_goes_to_the_meeting_is_decided_applied_and_approved_by_someone_else(
    new_context, site, people, in_review, shot, console
):
    from retrospector.writeups.models import Retrospective, Section
    from retrospector.writeups.services import section_save

    retrospective = in_review
    page_url = f"/retrospectives/{retrospective.pk}/"

    # bob disagrees with the summary; dana answers; bob answers back: three messages.
    bob = new_context(people["bob"]).new_page()
    bob.goto(page_url)
    column = bob.locator("#threads-summary")
    column.get_by_text("Comment on this section").click()
    column.get_by_label("Disagree", exact=True).check()
    column.get_by_label("Comment", exact=True).fill("Forty minutes is from the alert, not from the first failure.")
    column.get_by_role("button", name="Add comment").click()
    expect(column.get_by_role("status")).to_contain_text("Comment added.")

    dana = new_context(people["dana"]).new_page()
    dana.goto(page_url)
    thread = dana.locator("#threads-summary article.thread").first
    thread.locator("details.reply summary").click()
    thread.get_by_label("Reply").fill("The first failed checkout was at 14:02, the alert at 14:09.")
    thread.get_by_role("button", name="Reply").click()
    expect(dana.locator("#threads-summary").get_by_role("status")).to_contain_text("Reply added.")

    bob.goto(page_url)
    thread = bob.locator("#threads-summary article.thread").first
    thread.locator("details.reply summary").click()
    thread.get_by_label("Reply").fill("Then the summary should say 47 minutes.")
    thread.get_by_role("button", name="Reply").click()
    expect(bob.locator("#threads-summary article.thread li.comment")).to_have_count(3)

    # The owner closes the feedback: the thread is on the agenda without anyone adding it.
    owner = new_context(people["alice"]).new_page()
    owner.goto(page_url)
    owner.get_by_role("button", name="Close feedback, on to the meeting").click()
    expect(owner.locator(".badge.state-meeting").first).to_be_visible()
    owner.goto(f"/retrospectives/{retrospective.pk}/agenda")
    agenda_item = owner.locator("li.card").first
    expect(agenda_item).to_contain_text("Disagree")
    expect(agenda_item.get_by_role("link").first).to_have_attribute("href", re.compile(r"/threads/\d+/"))
    shot(owner, "meeting-flow-1-agenda")

    # At the meeting the owner (who may take notes) records the decision on that item.
    owner.goto(f"/retrospectives/{retrospective.pk}/meeting/notes")
    item = owner.locator("section.agenda-item").first
    item.get_by_label("Notes").fill("Both times are right; the summary counts from the alert.")
    item.get_by_label("Change to make").check()
    item.get_by_label("What was decided").fill("Count the outage from the first failed checkout: 47 minutes.")
    item.get_by_role("button", name="Save this item").click()
    expect(owner.locator("section.agenda-item").first.get_by_role("status")).to_contain_text("saved")
    shot(owner, "meeting-flow-2-notes")

    # The owner applies it: the summary is changed (a new revision), the thread resolved as changed, the decision
    # marked applied with that revision.
    summary = Section.objects.get(retrospective=retrospective, key="summary")
    section_save(
        section=summary,
        body=CLEAN.replace("40 minutes", "47 minutes"),
        base_version=summary.version,
        by=people["alice"],
    )
    owner.goto(page_url)
    thread = owner.locator("#threads-summary article.thread").first
    thread.locator("details.resolve summary").click()
    thread.get_by_label("Changed").check()
    thread.get_by_role("button", name="Resolve").click()
    expect(owner.locator("#threads-summary").get_by_role("status")).to_contain_text("resolved as changed")
    owner.goto(f"/retrospectives/{retrospective.pk}/decisions")
    choice = owner.get_by_label("Applied by the revision")
    summary_now = choice.locator("optgroup[label=Summary] option", has_text="Version 3").get_attribute("value")
    choice.select_option(summary_now)
    owner.get_by_role("button", name="Mark applied").click()
    expect(owner.get_by_role("link", name="Summary, version 3")).to_be_visible()
    owner.get_by_role("button", name="Announce “ready for final approval”").click()
    shot(owner, "meeting-flow-3-decisions")

    # The owner may not approve; oscar, an organization admin, does: it is done and on the done list.
    owner.goto(f"/retrospectives/{retrospective.pk}/approve")
    expect(owner.get_by_text("You own this write-up")).to_be_visible()
    approver = new_context(people["oscar"]).new_page()
    approver.goto(f"/retrospectives/{retrospective.pk}/approve")
    approver.get_by_role("button", name=f"Approve “{retrospective.title}”").click()
    expect(approver.locator(".messages")).to_contain_text("Approved")
    assert Retrospective.objects.get(pk=retrospective.pk).state == "done"
    reader = new_context(people["dana"]).new_page()
    reader.goto("/writeups/")
    expect(reader.get_by_role("link", name=retrospective.title)).to_be_visible()
    shot(reader, "meeting-flow-4-done-list")
    assert console.errors() == []
