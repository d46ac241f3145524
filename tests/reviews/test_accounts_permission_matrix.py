"""The permission matrix (tests/test_permission_matrix.py) over the pages and endpoints of responders' accounts and
discussion questions: the same people, the same private and organization-wide incidents, the same expectations (404
to whoever may not see, 403 to readers for a change), with the same helpers."""

import pytest
from django.test import Client

from tests import test_permission_matrix as matrix
from tests.test_permission_matrix import READ, WRITE, assert_allowed, assert_refused, call, client_of, expected_status

everyone = matrix.everyone  # a fixture
world = matrix.world  # a fixture
_fast_password_hashing = matrix._fast_password_hashing  # an autouse fixture

# {r} the retrospective, {q} a question, {w} a standing request (to oscar), {a} bob's account.
PAGES = [
    ("account requests", "get", "/retrospectives/{r}/accounts/requests", None, WRITE),
    ("account requests (ask)", "post", "/retrospectives/{r}/accounts/requests", {"responders": ["bob"]}, WRITE),
    ("account request withdraw", "post", "/retrospectives/{r}/accounts/requests/{w}/withdraw", {}, WRITE),
    ("questions", "get", "/retrospectives/{r}/questions/", None, READ),
    ("question add", "post", "/retrospectives/{r}/questions/", {"text": "What did you see?"}, WRITE),
    ("question check", "post", "/retrospectives/{r}/questions/check", {"text": "Why did you?"}, READ),
    ("question edit", "get", "/retrospectives/{r}/questions/{q}/edit", None, WRITE),
    (
        "question edit (save)",
        "post",
        "/retrospectives/{r}/questions/{q}/edit",
        {"text": "What then?", "base_version": 1},
        WRITE,
    ),
    ("question move", "post", "/retrospectives/{r}/questions/{q}/move", {"direction": "down"}, WRITE),
    ("question delete", "post", "/retrospectives/{r}/questions/{q}/delete", {}, WRITE),
]
API_ENDPOINTS = [
    ("api accounts", "get", "/api/v1/retrospectives/{r}/accounts", None, READ),
    ("api account read", "get", "/api/v1/accounts/{a}", None, READ),
    ("api account requests", "post", "/api/v1/retrospectives/{r}/account-requests", {"usernames": ["bob"]}, WRITE),
    ("api account request withdraw", "delete", "/api/v1/retrospectives/{r}/account-requests/{w}", None, WRITE),
    ("api questions", "get", "/api/v1/retrospectives/{r}/questions", None, READ),
    ("api question add", "post", "/api/v1/retrospectives/{r}/questions", {"text": "What did you see?"}, WRITE),
    ("api question change", "patch", "/api/v1/questions/{q}", {"text": "What then?", "base_version": 1}, WRITE),
    ("api question delete", "delete", "/api/v1/questions/{q}", None, WRITE),
]


@pytest.fixture
def reviews(world, everyone):
    """For each visibility: bob asked and answered, oscar asked (the request to withdraw), one question."""
    from retrospector.reviews.questions import question_add
    from retrospector.reviews.responder_accounts import account_request_create, account_write

    made = {}
    for visibility, (incident, retrospective) in world.items():
        alice = everyone["alice"]
        asked = account_request_create(retrospective=retrospective, responders=[everyone["bob"]], by=alice)
        account = account_write(retrospective=retrospective, body="Bob's account.", by=everyone["bob"])
        (standing,) = account_request_create(
            retrospective=retrospective, responders=[everyone["oscar"]], by=alice
        ).created
        question = question_add(retrospective=retrospective, text="What did the dashboard show?", by=alice)
        made[visibility] = {
            "incident": incident, "retrospective": retrospective, "question": question, "request": standing,
            "account": account, "asked": asked,
        }  # fmt: skip
    return made


def url_for(template, made) -> str:
    return template.format(
        r=made["retrospective"].pk, q=made["question"].pk, w=made["request"].pk, a=made["account"].pk
    )


def each_call(client, made, endpoints):
    """(endpoint, response) for each endpoint, each called on the same data: what one call changes is rolled back
    before the next (one setup per person, not one per endpoint: the file stays fast)."""
    from django.db import transaction

    for endpoint in endpoints:
        label, method, url, data = endpoint[:4]
        with transaction.atomic():
            response = call(client, method, url_for(url, made), data)
            transaction.set_rollback(True)
        yield endpoint, response


@pytest.mark.parametrize("visibility", ["private", "organization"])
@pytest.mark.parametrize("name", matrix.EVERYONE)
def test_the_permission_matrix(reviews, everyone, visibility, name):
    made = reviews[visibility]
    for (label, _, _, _, kind), response in each_call(client_of(everyone, name), made, PAGES + API_ENDPOINTS):
        what = f"{name} on {label} of a {visibility} incident"
        status = expected_status(name, visibility, kind)
        if status is None:
            assert_allowed(response, kind, what)
        else:
            assert_refused(response, status, what, title=made["incident"].title)


@pytest.mark.parametrize("name", ["charlie", "erin"])
def test_invited_people_read_but_do_not_change(reviews, everyone, name):
    from retrospector.incidents.services import incident_update

    made = reviews["private"]
    incident_update(incident=made["incident"], by=everyone["alice"], invitees=[everyone[name]])
    for (label, _, _, _, kind), response in each_call(client_of(everyone, name), made, PAGES + API_ENDPOINTS):
        if kind == READ:
            assert_allowed(response, kind, f"invited {name} on {label}")
        else:
            assert_refused(response, 403, f"invited {name} on {label}", title="\x00never")


def test_anonymous_people_are_sent_to_log_in(reviews):
    for (label, _, url, _, _), response in each_call(Client(), reviews["private"], PAGES + API_ENDPOINTS):
        assert response.status_code == (401 if url.startswith("/api/") else 302), label
        assert matrix.PRIVATE_TITLE.encode() not in response.content


# Writing an account is for its author: the people asked and the incident's responders, not the editors.
ACCOUNT_ENDPOINTS = [
    ("account page", "get", "/retrospectives/{r}/accounts/mine", None),
    ("account page (save)", "post", "/retrospectives/{r}/accounts/mine", {"body": "Mine.", "base_version": 1}),
    ("api account change", "patch", "/api/v1/accounts/{a}", {"body": "Mine.", "base_version": 1}),
]


@pytest.mark.parametrize("visibility", ["private", "organization"])
@pytest.mark.parametrize("name", matrix.EVERYONE)
def test_only_its_author_writes_an_account(reviews, everyone, visibility, name):
    made = reviews[visibility]
    for (label, _, _, _), response in each_call(client_of(everyone, name), made, ACCOUNT_ENDPOINTS):
        what = f"{name} on {label} of a {visibility} incident"
        if name not in matrix.READERS[visibility]:
            assert_refused(response, 404, what, title=made["incident"].title)
        elif name == "bob" or (name == "oscar" and "api" not in label):  # bob wrote his; oscar was asked for his
            assert response.status_code in (200, 302), what
        else:
            assert_refused(response, 403, what, title="\x00never")


@pytest.mark.parametrize("visibility", ["private", "organization"])
@pytest.mark.parametrize("name", ["dana", "charlie", "erin", "zed", "olga"])
def test_refused_writes_change_nothing(reviews, everyone, visibility, name):
    from retrospector.reviews.models import Account, AccountRequest, Question

    made = reviews[visibility]
    client = client_of(everyone, name)
    for _label, method, url, data, kind in PAGES + API_ENDPOINTS:
        if kind == WRITE:
            call(client, method, url_for(url, made), data)
    for _label, method, url, data in ACCOUNT_ENDPOINTS[1:]:
        call(client, method, url_for(url, made), data)
    retrospective = made["retrospective"]
    questions = Question.objects.filter(retrospective=retrospective)
    assert [(q.text, q.version, q.position) for q in questions] == [("What did the dashboard show?", 1, 1)]
    requests = AccountRequest.objects.filter(retrospective=retrospective).order_by("responder__username")
    assert [(r.responder.username, r.withdrawn_at) for r in requests] == [("bob", None), ("oscar", None)]
    assert [(a.author.username, a.body, a.version) for a in Account.objects.filter(retrospective=retrospective)] == [
        ("bob", "Bob's account.", 1)
    ]
