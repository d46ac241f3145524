"""The accounts' and questions' API: /api/v1/retrospectives/{id}/accounts, /account-requests, /questions,
/api/v1/accounts/{id}, /api/v1/questions/{id}."""

import pytest

from retrospector.reviews.models import Account, AccountRequest, Question
from retrospector.reviews.questions import question_add
from retrospector.reviews.responder_accounts import account_request_create, account_write
from tests.reviews import accounts_support
from tests.reviews.accounts_support import api, set_state

private_review = accounts_support.private_review  # a fixture
review = accounts_support.review  # a fixture


def test_the_owner_asks_by_username_and_asking_twice_changes_nothing(review, people, client_for):
    retrospective, _ = review
    client = client_for("alice")
    url = f"/api/v1/retrospectives/{retrospective.pk}/account-requests"
    first = api(client, "post", url, {"usernames": ["bob", "charlie"], "message": "Please."})
    assert first.status_code == 200
    body = first.json()
    assert [r["responder"] for r in body["created"]] == ["bob", "charlie"]
    assert sorted(body["notified"]) == ["bob", "charlie"]
    again = api(client, "post", url, {"usernames": ["bob"]}).json()
    assert again["created"] == [] and [r["responder"] for r in again["already"]] == ["bob"]
    assert AccountRequest.objects.count() == 2


def test_unknown_and_unseeing_people_are_a_422_on_usernames(private_review, client_for):
    retrospective, _ = private_review
    client = client_for("alice")
    url = f"/api/v1/retrospectives/{retrospective.pk}/account-requests"
    unknown = api(client, "post", url, {"usernames": ["ghost"]})
    assert (unknown.status_code, unknown.json()["field"]) == (422, "usernames")
    unseeing = api(client, "post", url, {"usernames": ["bob", "charlie"]})
    assert unseeing.status_code == 422
    assert unseeing.json()["field"] == "usernames" and "may not see this private incident" in unseeing.json()["detail"]
    assert not AccountRequest.objects.exists()


def test_withdrawing_by_delete(review, people, client_for):
    retrospective, _ = review
    (request,) = account_request_create(
        retrospective=retrospective, responders=[people["bob"]], by=people["alice"]
    ).created
    url = f"/api/v1/retrospectives/{retrospective.pk}/account-requests/{request.pk}"
    assert api(client_for("dana"), "delete", url).status_code == 403
    response = api(client_for("alice"), "delete", url)
    assert response.status_code == 200 and response.json()["withdrawn_at"]
    listed = api(client_for("dana"), "get", f"/api/v1/retrospectives/{retrospective.pk}/accounts").json()
    assert listed["requests"][0]["withdrawn_at"] == response.json()["withdrawn_at"]


def test_a_responder_writes_then_changes_their_account(review, people, client_for):
    retrospective, events = review
    account_request_create(retrospective=retrospective, responders=[people["bob"]], by=people["alice"])
    bob = client_for("bob")
    created = api(
        bob,
        "post",
        f"/api/v1/retrospectives/{retrospective.pk}/accounts",
        {"body": "I *saw* it.", "events": [events[0].pk]},
    )
    assert created.status_code == 201
    account = created.json()
    assert (account["author"], account["events"], account["version"]) == ("bob", [events[0].pk], 1)
    assert "<em>saw</em>" in account["html"]
    listed = api(client_for("erin"), "get", f"/api/v1/retrospectives/{retrospective.pk}/accounts").json()
    assert listed["requests"][0]["answered_at"] is not None
    assert [a["id"] for a in listed["accounts"]] == [account["id"]]
    changed = api(bob, "patch", f"/api/v1/accounts/{account['id']}", {"body": "I saw it first.", "base_version": 1})
    assert changed.status_code == 200 and changed.json()["version"] == 2 and changed.json()["events"] == [events[0].pk]


def test_a_second_account_and_a_stale_edit_are_409_with_the_current_one(review, people, client_for):
    retrospective, _ = review
    account = account_write(retrospective=retrospective, body="First.", by=people["bob"])
    bob = client_for("bob")
    second = api(bob, "post", f"/api/v1/retrospectives/{retrospective.pk}/accounts", {"body": "Second."})
    assert second.status_code == 409 and second.json()["current"]["body"] == "First."
    api(bob, "patch", f"/api/v1/accounts/{account.pk}", {"body": "Newer.", "base_version": 1})
    stale = api(bob, "patch", f"/api/v1/accounts/{account.pk}", {"body": "Older.", "base_version": 1})
    assert stale.status_code == 409
    assert stale.json()["field"] == "base_version"
    assert (stale.json()["current"]["body"], stale.json()["current"]["version"]) == ("Newer.", 2)


def test_someone_elses_account_is_403_and_a_private_one_404(review, private_review, people, client_for):
    retrospective, _ = review
    private, _ = private_review
    account = account_write(retrospective=retrospective, body="Bob's.", by=people["bob"])
    hidden = account_write(retrospective=private, body="Secret.", by=people["bob"])
    assert (
        api(
            client_for("alice"), "patch", f"/api/v1/accounts/{account.pk}", {"body": "x", "base_version": 1}
        ).status_code
        == 403
    )
    assert (
        api(
            client_for("erin"), "post", f"/api/v1/retrospectives/{retrospective.pk}/accounts", {"body": "x"}
        ).status_code
        == 403
    )
    charlie = client_for("charlie")
    for method, url, data in (
        ("get", f"/api/v1/accounts/{hidden.pk}", None),
        ("patch", f"/api/v1/accounts/{hidden.pk}", {"body": "x", "base_version": 1}),
        ("get", f"/api/v1/retrospectives/{private.pk}/accounts", None),
        ("post", f"/api/v1/retrospectives/{private.pk}/accounts", {"body": "x"}),
        ("get", f"/api/v1/retrospectives/{private.pk}/questions", None),
    ):
        response = api(charlie, method, url, data)
        assert response.status_code == 404, (method, url)
        assert b"Secret." not in response.content and b"Card numbers leaked" not in response.content
    assert Account.objects.get(pk=hidden.pk).body == "Secret."


def test_events_of_another_incident_are_a_422_on_events(review, people, client_for, make_incident):
    from tests.reviews.accounts_support import add_events

    retrospective, _ = review
    other = add_events(make_incident(title="Other"), people["alice"], texts=("There",))
    response = api(
        client_for("bob"), "post", f"/api/v1/retrospectives/{retrospective.pk}/accounts",
        {"body": "Mine.", "events": [other[0].pk]},
    )  # fmt: skip
    assert (response.status_code, response.json()["field"]) == (422, "events")


def test_a_done_review_is_a_409_on_state(review, people, client_for):
    retrospective, _ = review
    account = account_write(retrospective=retrospective, body="Mine.", by=people["bob"])
    set_state(retrospective, "done")
    response = api(client_for("bob"), "patch", f"/api/v1/accounts/{account.pk}", {"body": "x", "base_version": 1})
    assert response.status_code == 409 and response.json()["field"] == "state"
    assert response.json()["current"]["body"] == "Mine."
    asked = api(
        client_for("alice"),
        "post",
        f"/api/v1/retrospectives/{retrospective.pk}/account-requests",
        {"usernames": ["bob"]},
    )
    assert asked.status_code == 409


def test_questions_through_the_api(review, people, client_for):
    retrospective, events = review
    client = client_for("alice")
    url = f"/api/v1/retrospectives/{retrospective.pk}/questions"
    made = api(client, "post", url, {"text": "Did anyone check the dashboard?", "events": [events[0].pk]})
    assert made.status_code == 201
    question = made.json()
    assert [f["rule"] for f in question["findings"]] == ["question-yes-no"]
    other = api(client, "post", url, {"text": "What did the dashboard show?"}).json()
    moved = api(client, "patch", f"/api/v1/questions/{other['id']}", {"position": 1, "base_version": 1})
    assert moved.status_code == 200 and moved.json()["position"] == 1
    listed = api(client_for("dana"), "get", url).json()
    assert [q["id"] for q in listed["questions"]] == [other["id"], question["id"]]
    assert (listed["minimum"], listed["maximum"]) == (5, 10)
    changed = api(
        client,
        "patch",
        f"/api/v1/questions/{question['id']}",
        {"text": "What did the dashboard show then?", "base_version": 1},
    )
    assert changed.status_code == 200 and changed.json()["findings"] == []
    stale = api(client, "patch", f"/api/v1/questions/{question['id']}", {"accounts_differ": True, "base_version": 1})
    assert stale.status_code == 409 and stale.json()["current"]["text"] == "What did the dashboard show then?"
    assert api(client_for("dana"), "delete", f"/api/v1/questions/{question['id']}").status_code == 403
    assert api(client, "delete", f"/api/v1/questions/{question['id']}").status_code == 204
    assert list(Question.objects.values_list("pk", "position")) == [(other["id"], 1)]


def test_an_eleventh_question_is_a_422_on_text(review, people, client_for):
    retrospective, _ = review
    for n in range(10):
        question_add(retrospective=retrospective, text=f"What did you see at {n}?", by=people["alice"])
    response = api(
        client_for("alice"), "post", f"/api/v1/retrospectives/{retrospective.pk}/questions", {"text": "What else?"}
    )
    assert (response.status_code, response.json()["field"]) == (422, "text")


@pytest.mark.parametrize("name", ["dana", "charlie", "erin"])
def test_readers_get_403_on_every_question_and_request_write(review, people, client_for, name):
    retrospective, _ = review
    question = question_add(retrospective=retrospective, text="What did you see?", by=people["alice"])
    client = client_for(name)
    base = f"/api/v1/retrospectives/{retrospective.pk}"
    assert api(client, "post", f"{base}/questions", {"text": "What then?"}).status_code == 403
    assert (
        api(client, "patch", f"/api/v1/questions/{question.pk}", {"text": "Mine?", "base_version": 1}).status_code
        == 403
    )
    assert api(client, "post", f"{base}/account-requests", {"usernames": ["ghost"]}).status_code == 403
    assert Question.objects.get().text == "What did you see?"


def test_a_question_deleted_by_someone_else_while_it_is_moved_is_a_404_not_a_server_error(
    review, people, client_for, monkeypatch
):
    # Two requests at once: one deletes the question between the other's look-up and its change (the contract run's
    # two workers met exactly this).
    from retrospector.api import responder_accounts as questions_api

    retrospective, _ = review
    question = question_add(retrospective=retrospective, text="What did you see?", by=people["alice"])
    looked_up = questions_api._question

    def look_up_then_lose_it(request, question_id):
        found = looked_up(request, question_id)
        Question.objects.filter(pk=question_id).delete()
        return found

    monkeypatch.setattr(questions_api, "_question", look_up_then_lose_it)
    response = api(client_for("alice"), "patch", f"/api/v1/questions/{question.pk}", {"position": 1, "base_version": 1})
    assert response.status_code == 404
    assert "deleted meanwhile" in response.json()["detail"]
