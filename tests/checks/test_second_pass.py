"""The checker's second pass: people the organization knows, blame and hindsight in their many shapes, "why" in
disguise, vague actions judged on the whole item, impact judged sentence by sentence.

The sentences here are written for these tests; the measured figures come from the labeled parts in
tests/checks/labeled/ (bench/labeled.py).
"""

from __future__ import annotations

import pytest

from retrospector.checks import Document, Section, run


def rules(body: str, kind: str = "analysis", people=()) -> set[str]:
    doc = Document.from_sections([Section("s", kind.title(), body + "\n", kind=kind)])
    return {f.rule for f in run(doc, config={"disable": ["section-empty", "summary-unsupported"]}, people=people)}


def test_a_person_the_organization_knows_is_reported_as_the_cause():
    # A nickname no list of given names holds: only the organization knows it is a person.
    assert "blame" not in rules("Okonkwo caused the outage.")
    assert "blame" in rules("Okonkwo caused the outage.", people=["Chidi Okonkwo"])


def test_given_names_from_many_languages_count_as_people():
    assert "blame" in rules("Emeka caused the outage.")
    assert "blame" in rules("Siobhan caused the outage.")


def test_a_timeline_actor_in_hindsight_is_reported():
    assert "counterfactual" in rules("Hermione should have pinned the version.", people=["@hermione"])


@pytest.mark.parametrize(
    "sentence",
    [
        "The outage began because Dave shipped a bad config.",
        "It was an oversight by the release manager.",
        "Frankly, the new DBA was out of her depth with the failover.",
        "The on-call cannot be relied on during a release.",
        "Revoke his deploy rights until the review is over.",
        "The platform team botched the rollback.",
        "Whoever merged the hotfix broke the login page.",
        "Thanks to Ingrid's sloppy merge, checkout broke.",
    ],
)
def test_blame_without_a_blame_word_is_reported(sentence):
    assert "blame" in rules(sentence, people=["Dave", "Ingrid"])


@pytest.mark.parametrize(
    "sentence",
    [
        "Priya rolled back at 14:05 because she saw the error rate climb.",
        "We rolled back after Sam noticed the spike.",
        "The migration locked the orders table for nine minutes.",
        "Thanks to Keanu for staying on the call until the end.",
        "Due to the on-call rotation change, two people were paged for the same alert.",
        "The vendor's API change broke the webhook parser.",
        "We removed the stale access keys from the vault.",
    ],
)
def test_people_described_without_judgment_are_not_reported(sentence):
    assert "blame" not in rules(sentence, people=["Priya", "Sam", "Keanu"])


@pytest.mark.parametrize(
    "sentence",
    [
        "Had she checked the replica lag, the failover would not have gone ahead.",
        "This would never have happened if the release engineer had followed the checklist.",
        "The outage could easily have been prevented.",
        "The incident was entirely avoidable.",
        "Ideally someone on the payments team would have noticed the stale feed.",
        "A more careful engineer would have caught the typo.",
        "Nobody on the team thought to check the expiry date.",
        "The engineer needed to drain the node before restarting it.",
        "The DBA was expected to take a backup first, which was not done.",
        "In hindsight the on-call should've paged the database team.",
    ],
)
def test_hindsight_in_every_grammatical_shape_is_reported(sentence):
    assert "counterfactual" in rules(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "The pod failed to start because the image tag did not exist.",
        "A circuit breaker would have limited the blast radius.",
        "If the queue exceeds 10,000 messages, the worker drops the oldest.",
        "We had the alert, and it fired at 14:02.",
        "Every on-call engineer should have read access to the console.",
        "The outage could have been worse: the queue was nearly full.",
    ],
)
def test_systems_plans_and_luck_are_not_hindsight(sentence):
    assert "counterfactual" not in rules(sentence)


@pytest.mark.parametrize(
    "question",
    [
        "How come nobody paged the database team?",
        "What was the reason for skipping the canary?",
        "For what reason was the change merged on Friday?",
        "Why wasn't the alert escalated?",
        "Why was the change not reviewed?",
        "Lena, why did you disable the check?",
        "Can you explain why you waited an hour before rolling back?",
    ],
)
def test_why_in_disguise_and_in_the_passive_is_reported(question):
    assert "question-why" in rules(question, kind="questions")


@pytest.mark.parametrize(
    "question",
    [
        "Why did the cache keep serving stale entries?",
        "Why does the queue grow faster on Mondays?",
        "How come the retries doubled the load?",
        "How did you decide to restart the primary?",
    ],
)
def test_why_about_a_system_and_how_questions_are_not_reported(question):
    assert "question-why" not in rules(question, kind="questions")


def test_tag_questions_are_yes_no_questions():
    assert "question-yes-no" in rules("The runbook was up to date, right?", kind="questions")


@pytest.mark.parametrize(
    "item",
    ["Dig into the paging setup.", "Look deeper at this.", "Think about adding backpressure.", "Revisit alerting."],
)
def test_vague_actions_are_reported_with_or_without_an_owner(item):
    assert "recommendation-vague" in rules(f"- {item} (owner: Priya, due 2027-01-15)", kind="recommendations")


@pytest.mark.parametrize(
    "item",
    [
        "Improve replica monitoring: add a synthetic read on each replica every 30 seconds that pages after three "
        "failures.",
        "Not recommended: a second region, which would not have helped here.",
        "Avoid top-level wildcard DNS records.",
        "Block `DELETE` without `WHERE` in the admin console.",
    ],
)
def test_a_checkable_item_or_a_rejected_option_is_not_vague(item):
    found = rules(f"- {item}", kind="recommendations")
    assert "recommendation-vague" not in found
    if item.startswith("Not recommended"):
        assert "recommendation-incomplete" not in found


def test_impact_is_judged_sentence_by_sentence():
    body = "About 1,200 customers (4%) could not pay for 38 minutes. Several tenants lost reports for a while."
    doc = Document.from_sections([Section("impact", "Impact", body + "\n", kind="impact")])
    findings = [f for f in run(doc) if f.rule == "impact-numbers"]
    assert len(findings) == 1
    assert findings[0].column > 50  # the second sentence, not the first
    assert "several" in findings[0].message.lower()


def test_a_sentence_about_what_people_experienced_needs_no_number():
    assert "impact-numbers" not in rules("Customers saw a spinner and then an error page.", kind="impact")


def test_every_finding_quotes_the_words_that_triggered_it():
    doc = Document.from_sections(
        [Section("s", "Analysis", "The outage began because Dave shipped a bad config.\n", kind="analysis")]
    )
    (finding,) = [f for f in run(doc, people=["Dave"]) if f.rule == "blame"]
    assert "Dave shipped" in finding.message


def test_a_timeline_header_may_name_its_zone_the_iana_way():
    body = (
        "| Time (Europe/Paris) | Event | Source |\n|---|---|---|\n"
        "| 14:02 | Page fired | [page](https://pager.example/1) |\n"
        "| 14:05 | Rollback started | [chat](https://chat.example/2) |"
    )
    assert "timeline-timezone" not in rules(body, kind="timeline")
