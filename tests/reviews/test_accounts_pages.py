"""Responders' accounts on the pages: asking, writing, the retrospective's page and the home page."""

import pytest
from django.test import Client

from retrospector.reviews.models import Account, AccountRequest
from retrospector.reviews.responder_accounts import account_request_create, account_update, account_write
from tests.reviews import accounts_support
from tests.reviews.accounts_support import set_state

private_review = accounts_support.private_review  # a fixture
review = accounts_support.review  # a fixture


def test_the_owner_asks_responders_from_the_page_and_they_see_it_on_their_home_page(review, people, client_for):
    retrospective, _ = review
    owner = client_for("alice")
    page = owner.get(f"/retrospectives/{retrospective.pk}/accounts/requests").content.decode()
    assert 'value="bob"' in page and 'value="charlie"' in page  # the responders are offered first
    response = owner.post(
        f"/retrospectives/{retrospective.pk}/accounts/requests",
        {"responders": ["bob"], "others": "erin", "message": "What did the graphs show?"},
    )
    assert response.status_code == 302
    assert sorted(AccountRequest.objects.values_list("responder__username", flat=True)) == ["bob", "erin"]
    home = client_for("erin").get("/").content.decode()
    assert "Accounts requested from you" in home
    assert f"/retrospectives/{retrospective.pk}/accounts/mine" in home
    assert "What did the graphs show?" in home
    assert "Accounts requested from you" not in client_for("dana").get("/").content.decode()


def test_an_unknown_username_is_named_and_nobody_is_asked(review, client_for):
    retrospective, _ = review
    response = client_for("alice").post(
        f"/retrospectives/{retrospective.pk}/accounts/requests", {"responders": ["bob"], "others": "ghost"}
    )
    assert response.status_code == 422
    assert "Unknown person: ghost." in response.content.decode()
    assert not AccountRequest.objects.exists()


def test_asking_about_a_private_incident_someone_cannot_see_says_so_on_the_page(private_review, client_for):
    retrospective, _ = private_review
    response = client_for("alice").post(f"/retrospectives/{retrospective.pk}/accounts/requests", {"others": "charlie"})
    assert response.status_code == 422
    assert "charlie may not see this private incident" in response.content.decode()
    assert not AccountRequest.objects.exists()


def test_the_owner_withdraws_a_request(review, people, client_for):
    retrospective, _ = review
    asked = account_request_create(retrospective=retrospective, responders=[people["bob"]], by=people["alice"])
    (request,) = asked.created
    response = client_for("alice").post(f"/retrospectives/{retrospective.pk}/accounts/requests/{request.pk}/withdraw")
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.withdrawn_at is not None
    assert "Accounts requested from you" not in client_for("bob").get("/").content.decode()


def test_a_responder_writes_their_account_linking_events_of_the_incident(review, people, client_for):
    retrospective, events = review
    bob = client_for("bob")
    form = bob.get(f"/retrospectives/{retrospective.pk}/accounts/mine").content.decode()
    assert "from when you became aware" in form.lower()
    assert f'name="events" value="{events[1].pk}"' in form
    response = bob.post(
        f"/retrospectives/{retrospective.pk}/accounts/mine",
        {"body": "I saw the **alert** at 14:01.", "events": [str(events[0].pk)]},
    )
    assert response.status_code == 302
    account = Account.objects.get()
    assert (account.author, list(account.events.all())) == (people["bob"], [events[0]])
    page = client_for("dana").get(f"/retrospectives/{retrospective.pk}/").content.decode()
    assert "Account by Bob" in page and "<strong>alert</strong>" in page
    assert f'<details class="account" id="account-{account.pk}">' in page  # folded


def test_the_account_page_shows_both_versions_on_a_conflict(review, people, client_for):
    retrospective, _ = review
    account = account_write(retrospective=retrospective, body="First.", by=people["bob"])
    account_update(account=account, body="Saved in another tab.", base_version=1, by=people["bob"])
    response = client_for("bob").post(
        f"/retrospectives/{retrospective.pk}/accounts/mine", {"body": "Typed here.", "base_version": "1"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Saved in another tab." in html and "Typed here." in html
    assert 'name="base_version" value="2"' in html
    assert Account.objects.get().body == "Saved in another tab."


def test_someone_neither_asked_nor_responding_gets_403_and_a_private_incident_404(review, private_review, client_for):
    retrospective, _ = review
    private, _ = private_review
    assert client_for("erin").get(f"/retrospectives/{retrospective.pk}/accounts/mine").status_code == 403
    assert client_for("dana").get(f"/retrospectives/{retrospective.pk}/accounts/requests").status_code == 403
    for url in ("accounts/mine", "accounts/requests", "questions/"):
        response = client_for("charlie").get(f"/retrospectives/{private.pk}/{url}")
        assert response.status_code == 404 and b"Card numbers leaked" not in response.content


def test_once_the_review_ends_the_account_page_is_read_only_and_keeps_what_was_sent(review, people, client_for):
    retrospective, _ = review
    account_write(retrospective=retrospective, body="Mine.", by=people["bob"])
    set_state(retrospective, "approved")
    bob = client_for("bob")
    assert "<textarea" not in bob.get(f"/retrospectives/{retrospective.pk}/accounts/mine").content.decode()
    response = bob.post(f"/retrospectives/{retrospective.pk}/accounts/mine", {"body": "Too late.", "base_version": 1})
    assert response.status_code == 409
    assert "Too late." in response.content.decode()
    assert Account.objects.get().body == "Mine."


def test_the_page_shows_who_was_asked_and_who_answered(review, people, client_for):
    retrospective, _ = review
    account_request_create(
        retrospective=retrospective, responders=[people["bob"], people["charlie"]], by=people["alice"]
    )
    account_write(retrospective=retrospective, body="Mine.", by=people["bob"])
    page = client_for("erin").get(f"/retrospectives/{retrospective.pk}/").content.decode()
    assert "1 of 2 asked answered" in page
    assert "not yet" in page
    assert "Write your account" not in page and "Ask for accounts" not in page
    assert "Write your account" in client_for("charlie").get(f"/retrospectives/{retrospective.pk}/").content.decode()
    assert "Ask for accounts" in client_for("alice").get(f"/retrospectives/{retrospective.pk}/").content.decode()


def _many_accounts(retrospective, events, people, n):
    from conftest import make_user

    from retrospector.incidents.services import incident_update

    incident = retrospective.incident
    start = incident.responders.count()
    authors = [make_user(people["alice"].organization, f"responder{start + i}") for i in range(n)]
    incident_update(incident=incident, by=people["alice"], responders=[*incident.responders.all(), *authors])
    account_request_create(retrospective=retrospective, responders=authors, by=people["alice"])
    for author in authors:
        event_ids = [e.pk for e in events]
        account_write(retrospective=retrospective, body=f"I am {author.username}.", event_ids=event_ids, by=author)


@pytest.mark.parametrize("n", [2, 20])
def test_the_page_reads_the_same_queries_however_many_accounts(
    people, make_incident, make_retrospective, django_assert_max_num_queries, n
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.reviews.accounts_support import make_review

    retrospective, events = make_review(people, make_incident, make_retrospective, title=f"With {n}")
    client = Client()
    client.force_login(people["dana"])
    _many_accounts(retrospective, events, people, 2)
    client.get(f"/retrospectives/{retrospective.pk}/")  # caches warm
    with CaptureQueriesContext(connection) as few:
        client.get(f"/retrospectives/{retrospective.pk}/")
    if n > 2:
        _many_accounts(retrospective, events, people, n - 2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(f"/retrospectives/{retrospective.pk}/").content.decode()
    assert page.count('<details class="account"') == n
