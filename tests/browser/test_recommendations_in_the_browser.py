"""Issue 16's browser test: from a finding to a done recommendation. The owner writes a finding, creates a
recommendation traced to it and opens a GitHub issue for it; a second incident's retrospective links the same
recommendation instead of writing it again; the issue is closed on (a fake) GitHub, whose signed webhook marks the
recommendation done, and both retrospectives show it done."""

import sys
from pathlib import Path

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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "actions"))
from fake_trackers import FakeGitHub

pytestmark = pytest.mark.browser
SECRET = "whsec_between_retrospector_and_github"


@pytest.fixture
def github(settings):
    settings.TRACKERS_ALLOW_HTTP = True  # the fake listens on http://127.0.0.1
    with FakeGitHub() as fake:
        yield fake


@pytest.fixture
def two_retrospectives(people, make_incident, make_retrospective, github):
    from retrospector.actions.trackers.sync import tracker_connection_save

    first = make_retrospective(make_incident(title="Checkout errors after the Friday deploy"))
    second = make_retrospective(make_incident(title="Refund worker stalled on retries"))
    connection = tracker_connection_save(
        team=people["payments"],
        by=people["alice"],
        kind="github",
        name="payments issues",
        base_url=github.base_url,
        project=github.repo,
        credential=github.token,
        webhook_secret=SECRET,
        state_map={},
    )
    return first, second, connection


def test_a_finding_becomes_a_recommendation_tracked_in_github_and_done_in_both_retrospectives(
    new_context, site, people, two_retrospectives, github, shot, console
):
    from retrospector.actions.models import Recommendation

    first, second, connection = two_retrospectives
    alice = new_context(people["alice"]).new_page()

    # A finding in the contributing factors.
    alice.goto(f"{site.url}/retrospectives/{first.pk}/findings/")
    shot(alice, "findings-empty")
    alice.get_by_role("textbox", name="Finding").fill(
        "The deploy pipeline pushed the new configuration to every region at once."
    )
    alice.get_by_role("button", name="Add the finding").click()
    expect(alice.locator("#section-findings-contributing-factors")).to_contain_text("to every region at once")

    # A recommendation traced to it, from the retrospective's page.
    alice.goto(f"{site.url}/retrospectives/{first.pk}/")
    alice.get_by_role("link", name="Add a recommendation").click()
    alice.get_by_label("Title").fill("Roll configuration out one region at a time")
    alice.get_by_label("Definition of done").fill("The pipeline waits 15 minutes between regions; tested on staging.")
    alice.get_by_label("Owner").select_option(label=people["bob"].display_name)
    alice.get_by_label("to every region at once", exact=False).check()
    shot(alice, "recommendation-create")
    alice.get_by_role("button", name="Save the recommendation").click()
    expect(alice.get_by_role("heading", level=1)).to_contain_text("Roll configuration out one region at a time")
    recommendation = Recommendation.objects.get(title="Roll configuration out one region at a time")
    assert recommendation.traces.filter(finding__retrospective=first).count() == 1

    # Its GitHub issue.
    alice.get_by_role("link", name="Create or link a GitHub or Jira issue").click()
    alice.get_by_role("button", name="Create the issue").click()
    expect(alice.locator("body")).to_contain_text(f"{github.repo}#1")
    assert github.issues[1]["title"] == "Roll configuration out one region at a time"

    # The second incident calls for the same one: linked, not written twice.
    alice.goto(f"{site.url}/retrospectives/{second.pk}/")
    alice.get_by_text("Link an existing recommendation").click()
    alice.get_by_label("Recommendation number").fill(str(recommendation.pk))
    alice.get_by_role("button", name="Link it").click()
    expect(alice.locator("#recommendations")).to_contain_text("Roll configuration out one region at a time")

    # Closed as completed on GitHub: its signed webhook marks it done here.
    github.set_state(1, "closed", "completed")
    answer = github.send_webhook(f"{site.url}/hooks/trackers/{connection.webhook_token}/", SECRET, 1)
    assert answer.status_code == 200, answer.text

    bob = new_context(people["bob"]).new_page()
    for retrospective in (first, second):
        bob.goto(f"{site.url}/retrospectives/{retrospective.pk}/")
        row = bob.locator("#recommendations [data-testid=recommendation-row]")
        expect(row).to_contain_text("Roll configuration out one region at a time")
        expect(row).to_contain_text("Done")
    shot(bob, "recommendation-done-in-the-second-retrospective")
    bob.goto(f"{site.url}/recommendations/{recommendation.pk}/")
    expect(bob.locator("body")).to_contain_text("Changed in GitHub")
    expect(bob.locator("body")).to_contain_text("Refund worker stalled on retries")
    assert console.errors() == []
