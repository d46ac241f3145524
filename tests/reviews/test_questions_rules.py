"""Discussion questions: the rules of the services, the checker's warnings, and the pages."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.reviews.models import Question
from retrospector.reviews.questions import (
    QUESTIONS_MAX,
    events_told_by_several_accounts,
    question_add,
    question_delete,
    question_findings,
    question_move,
    question_step,
    question_update,
)
from retrospector.reviews.responder_accounts import account_write
from tests.reviews import accounts_support
from tests.reviews.accounts_support import add_events, set_state

private_review = accounts_support.private_review  # a fixture
review = accounts_support.review  # a fixture

OPEN = "What did the dashboard show when the first alert fired?"


def add(retrospective, people, text=OPEN, by="alice", **links):
    return question_add(retrospective=retrospective, text=text, by=people[by], **links)


def texts(retrospective):
    return list(retrospective.questions.order_by("position").values_list("text", flat=True))


def test_questions_are_added_in_order_tied_to_events_and_accounts(review, people):
    retrospective, events = review
    account = account_write(retrospective=retrospective, body="Mine.", by=people["bob"])
    first = add(retrospective, people, event_ids=[events[1].pk], account_ids=[account.pk])
    second = add(retrospective, people, "How did you decide to roll back?")
    assert (first.position, second.position) == (1, 2)
    assert list(first.events.all()) == [events[1]] and list(first.accounts.all()) == [account]


def test_an_eleventh_question_is_refused(review, people):
    retrospective, _ = review
    for n in range(QUESTIONS_MAX):
        add(retrospective, people, f"What did you see at step {n}?")
    with pytest.raises(ValidationError) as refused:
        add(retrospective, people, "What else?")
    assert "already has 10 discussion questions" in refused.value.message_dict["text"][0]
    assert Question.objects.count() == QUESTIONS_MAX


def test_an_empty_or_too_long_question_is_refused_naming_the_text(review, people):
    retrospective, _ = review
    for text in ("", "   ", "x" * 501):
        with pytest.raises(ValidationError) as refused:
            add(retrospective, people, text)
        assert "text" in refused.value.message_dict


def test_a_question_is_kept_on_one_line(review, people):
    retrospective, _ = review
    assert add(retrospective, people, "What did you\n  see   first?").text == "What did you see first?"


def test_events_of_another_incident_and_accounts_of_another_retrospective_are_refused(
    review, people, make_incident, make_retrospective
):
    retrospective, _ = review
    other_incident = make_incident(title="Another")
    other_event = add_events(other_incident, people["alice"], texts=("Elsewhere",))[0]
    with pytest.raises(ValidationError) as refused:
        add(retrospective, people, event_ids=[other_event.pk])
    assert "events" in refused.value.message_dict
    from retrospector.incidents.services import incident_update

    incident_update(incident=other_incident, by=people["alice"], responders=[people["bob"]])
    other_account = account_write(retrospective=make_retrospective(other_incident), body="There.", by=people["bob"])
    with pytest.raises(ValidationError) as refused:
        add(retrospective, people, account_ids=[other_account.pk])
    assert refused.value.message_dict["accounts"] == [f"Not accounts of this retrospective: {other_account.pk}."]


def test_only_people_who_can_edit_the_retrospective_prepare_questions(review, people):
    retrospective, _ = review
    question = add(retrospective, people)
    for name in ("dana", "charlie", "erin"):
        with pytest.raises(PermissionDenied):
            add(retrospective, people, by=name)
        with pytest.raises(PermissionDenied):
            question_update(question=question, text="Mine?", base_version=1, by=people[name])
        with pytest.raises(PermissionDenied):
            question_move(question=question, to_position=2, by=people[name])
        with pytest.raises(PermissionDenied):
            question_delete(question=question, by=people[name])
    assert texts(retrospective) == [OPEN]


def test_it_refuses_a_stale_question_edit(review, people):
    retrospective, _ = review
    question = add(retrospective, people)
    question_update(question=question, text="What did the graphs show?", base_version=1, by=people["bob"])
    with pytest.raises(ConflictError) as conflict:
        question_update(question=question, text="What did the logs show?", base_version=1, by=people["alice"])
    assert conflict.value.current.text == "What did the graphs show?"
    assert texts(retrospective) == ["What did the graphs show?"]


def test_flagging_accounts_differ_is_a_change(review, people):
    retrospective, events = review
    question = add(retrospective, people)
    flagged = question_update(question=question, accounts_differ=True, event_ids=[events[0].pk], base_version=1,
                              by=people["alice"])  # fmt: skip
    assert (flagged.accounts_differ, flagged.version, flagged.text) == (True, 2, OPEN)


def test_questions_move_up_and_down_and_numbering_stays_dense(review, people):
    retrospective, _ = review
    a, b, c = (add(retrospective, people, f"What did {x} see?") for x in "abc")
    question_step(question=c, direction="up", by=people["alice"])
    assert texts(retrospective) == ["What did a see?", "What did c see?", "What did b see?"]
    question_step(question=a, direction="up", by=people["alice"])  # already first: stays
    question_move(question=a, to_position=99, by=people["alice"])
    assert texts(retrospective) == ["What did c see?", "What did b see?", "What did a see?"]
    question_delete(question=b, by=people["alice"])
    assert list(retrospective.questions.order_by("position").values_list("position", flat=True)) == [1, 2]
    assert Question.objects.get(pk=a.pk).version == 1  # order is not content


@pytest.mark.parametrize("state", ["approved", "done"])
def test_questions_are_read_only_once_the_review_ends(review, people, state):
    retrospective, _ = review
    question = add(retrospective, people)
    set_state(retrospective, state)
    with pytest.raises(ReadOnlyError):
        add(retrospective, people, "What else?")
    with pytest.raises(ReadOnlyError):
        question_update(question=question, text="What then?", base_version=1, by=people["alice"])
    with pytest.raises(ReadOnlyError):
        question_delete(question=question, by=people["alice"])


@pytest.mark.parametrize(
    "text, rule",
    [
        ("Did anyone look at the replication dashboard?", "question-yes-no"),
        ("Why did Bob restart the primary instead of the replica?", "question-why"),
        ("Shouldn't we have rolled back sooner?", "counterfactual"),
    ],
)
def test_the_question_rules_warn_about_closed_why_and_leading_questions(review, text, rule):
    retrospective, _ = review
    (findings,) = question_findings(retrospective, [text])
    assert rule in {f.rule for f in findings}


def test_an_open_question_gets_no_warning_and_each_question_gets_its_own(review):
    retrospective, _ = review
    findings = question_findings(retrospective, [OPEN, "Was the runbook up to date?", "How did you decide to page?"])
    assert [[f.rule for f in found] for found in findings] == [[], ["question-yes-no"], []]


def test_the_rules_follow_the_organization_settings(review, org):
    retrospective, _ = review
    org.checks_config = {"disable": ["question-yes-no"]}
    org.save()
    retrospective.incident.organization.refresh_from_db()
    assert question_findings(retrospective, ["Was the runbook up to date?"]) == [[]]


def test_warnings_do_not_block_a_save(review, people):
    retrospective, _ = review
    assert add(retrospective, people, "Did anyone look at the dashboard?").pk


def test_events_linked_by_two_accounts_are_found(review, people):
    retrospective, events = review
    account_write(retrospective=retrospective, body="Mine.", event_ids=[events[0].pk, events[1].pk], by=people["bob"])
    account_write(retrospective=retrospective, body="Theirs.", event_ids=[events[1].pk], by=people["charlie"])
    assert events_told_by_several_accounts(retrospective) == {events[1].pk: 2}
