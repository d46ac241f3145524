"""Discussion questions on the pages: preparing them without JavaScript, the live warnings, conflicts, suggestions."""

import pytest

from retrospector.reviews.models import Question
from retrospector.reviews.questions import question_add, question_update
from retrospector.reviews.responder_accounts import account_write
from tests.reviews import accounts_support
from tests.reviews.accounts_support import set_state

private_review = accounts_support.private_review  # a fixture
review = accounts_support.review  # a fixture


def url(retrospective, tail=""):
    return f"/retrospectives/{retrospective.pk}/questions/{tail}"


def add(retrospective, people, text):
    return question_add(retrospective=retrospective, text=text, by=people["alice"])


def test_the_owner_adds_a_question_tied_to_an_event_and_is_warned_but_not_stopped(review, client_for):
    retrospective, events = review
    client = client_for("alice")
    page = client.get(url(retrospective)).content.decode()
    assert "0 of 5 to 10 questions: prepare 5 more." in page
    response = client.post(
        url(retrospective), {"text": "Did anyone look at the dashboard?", "events": [str(events[1].pk)]}, follow=True
    )
    question = Question.objects.get()
    assert list(question.events.all()) == [events[1]]
    html = response.content.decode()
    assert "question-yes-no" in html and "1 of 5 to 10 questions" in html


def test_the_live_check_warns_as_a_question_is_typed(review, client_for):
    retrospective, _ = review
    client = client_for("alice")
    closed = client.post(url(retrospective, "check"), {"text": "Was the runbook up to date?"}, HTTP_HX_REQUEST="true")
    assert closed.status_code == 200 and "question-yes-no" in closed.content.decode()
    fine = client.post(url(retrospective, "check"), {"text": "What did the runbook say to do first?"})
    assert "find nothing to warn about" in fine.content.decode()
    page = client.get(url(retrospective)).content.decode()
    assert f'hx-post="{url(retrospective, "check")}"' in page and "delay:500ms" in page


def test_the_page_refuses_an_eleventh_question_and_says_so(review, people, client_for):
    retrospective, _ = review
    for n in range(10):
        add(retrospective, people, f"What did you see at step {n}?")
    client = client_for("alice")
    page = client.get(url(retrospective)).content.decode()
    assert "10 questions: the most a discussion holds" in page and "Add the question" not in page
    response = client.post(url(retrospective), {"text": "What else did you see?"})
    assert response.status_code == 422
    assert "already has 10 discussion questions" in response.content.decode()
    assert Question.objects.count() == 10


def test_up_and_down_buttons_reorder_without_javascript(review, people, client_for):
    retrospective, _ = review
    first, second = add(retrospective, people, "What did a see?"), add(retrospective, people, "What did b see?")
    client = client_for("alice")
    page = client.get(url(retrospective)).content.decode()
    assert page.count('name="direction" value="down"') == 1 and page.count('name="direction" value="up"') == 1
    assert client.post(url(retrospective, f"{second.pk}/move"), {"direction": "up"}).status_code == 302
    assert list(retrospective.questions.order_by("position").values_list("pk", flat=True)) == [second.pk, first.pk]
    assert client.post(url(retrospective, f"{second.pk}/delete")).status_code == 302
    assert list(retrospective.questions.values_list("pk", flat=True)) == [first.pk]


def test_a_stale_question_edit_shows_both_versions(review, people, client_for):
    retrospective, _ = review
    question = add(retrospective, people, "What did the graphs show?")
    question_update(question=question, text="What did the logs show?", base_version=1, by=people["bob"])
    response = client_for("alice").post(
        url(retrospective, f"{question.pk}/edit"), {"text": "What did the alerts show?", "base_version": "1"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "What did the logs show?" in html and "What did the alerts show?" in html
    assert Question.objects.get().text == "What did the logs show?"


def test_where_two_accounts_link_the_same_event_the_page_suggests_a_question(review, people, client_for):
    retrospective, events = review
    bob = account_write(retrospective=retrospective, body="Mine.", event_ids=[events[1].pk], by=people["bob"])
    charlie = account_write(retrospective=retrospective, body="Theirs.", event_ids=[events[1].pk], by=people["charlie"])
    client = client_for("alice")
    page = client.get(url(retrospective)).content.decode()
    assert "Where accounts may differ" in page
    assert f"?event={events[1].pk}&amp;account={bob.pk}&amp;account={charlie.pk}" in page
    prefilled = client.get(url(retrospective), {"event": events[1].pk, "account": [bob.pk, charlie.pk]})
    html = prefilled.content.decode()
    assert f'value="{events[1].pk}" checked' in html and 'name="accounts_differ"' in html
    client.post(
        url(retrospective),
        {
            "text": "What did each of you see when the team was paged?",
            "events": [events[1].pk],
            "accounts_differ": "on",
        },
    )
    assert "Where accounts may differ" not in client.get(url(retrospective)).content.decode()
    assert "accounts differ" in client_for("dana").get(f"/retrospectives/{retrospective.pk}/").content.decode()


def test_readers_see_the_questions_but_cannot_change_them(review, people, client_for):
    retrospective, _ = review
    question = add(retrospective, people, "What did the graphs show?")
    dana = client_for("dana")
    page = dana.get(url(retrospective)).content.decode()
    assert "What did the graphs show?" in page and "Add the question" not in page and "Move" not in page
    assert dana.post(url(retrospective), {"text": "What then?"}).status_code == 403
    assert dana.get(url(retrospective, f"{question.pk}/edit")).status_code == 403
    assert dana.post(url(retrospective, f"{question.pk}/move"), {"direction": "down"}).status_code == 403
    assert dana.post(url(retrospective, f"{question.pk}/delete")).status_code == 403
    assert Question.objects.count() == 1


def test_a_question_of_another_retrospective_is_404(review, private_review, people, client_for):
    retrospective, _ = review
    private, _ = private_review
    question = add(private, people, "What did the graphs show?")
    response = client_for("alice").get(url(retrospective, f"{question.pk}/edit"))
    assert response.status_code == 404
    assert client_for("charlie").post(url(private, "check"), {"text": "Why?"}).status_code == 404


@pytest.mark.parametrize("state", ["approved", "done"])
def test_after_the_review_the_questions_page_is_read_only(review, people, client_for, state):
    retrospective, _ = review
    add(retrospective, people, "What did the graphs show?")
    set_state(retrospective, state)
    page = client_for("alice").get(url(retrospective)).content.decode()
    assert "read-only" in page and "Add the question" not in page
    assert client_for("alice").post(url(retrospective), {"text": "What then?"}).status_code == 409


@pytest.mark.parametrize("path", ["", "questions/"])
def test_the_pages_read_the_same_queries_however_many_questions(
    review, people, client_for, django_assert_max_num_queries, path
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    retrospective, events = review
    accounts = [
        account_write(retrospective=retrospective, body="Mine.", event_ids=[events[0].pk], by=people[name]).pk
        for name in ("bob", "charlie")
    ]

    def add_linked(n):
        for _ in range(n):
            question_add(
                retrospective=retrospective,
                text=f"What did you see at step {retrospective.questions.count()}?",
                event_ids=[e.pk for e in events],
                account_ids=accounts,
                by=people["alice"],
            )

    add_linked(2)
    client = client_for("dana")
    page = f"/retrospectives/{retrospective.pk}/{path}"
    client.get(page)  # caches warm
    with CaptureQueriesContext(connection) as few:
        client.get(page)
    add_linked(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(page).content.decode()
    assert html.count("What did you see at step") == 10


def test_the_page_reads_the_same_queries_whether_or_not_accounts_tell_the_same_event(
    review, people, client_for, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from retrospector.reviews.responder_accounts import account_update

    retrospective, events = review
    account_write(retrospective=retrospective, body="Mine.", event_ids=[events[0].pk], by=people["bob"])
    theirs = account_write(retrospective=retrospective, body="Theirs.", event_ids=[events[1].pk], by=people["charlie"])
    client = client_for("alice")
    page = f"/retrospectives/{retrospective.pk}/"
    client.get(page)  # caches warm
    with CaptureQueriesContext(connection) as apart:
        assert "Where accounts may differ" not in client.get(page).content.decode()
    account_update(account=theirs, event_ids=[events[0].pk], base_version=1, by=people["charlie"])
    with django_assert_max_num_queries(len(apart.captured_queries)):
        html = client.get(page).content.decode()
    assert "Where accounts may differ: 1 event linked by two or more accounts" in html
