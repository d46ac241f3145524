"""/api/v1/webhooks: who manages which webhook, the URL checked but never called, the secret write-only, the delivery
log and redelivery."""

import json

import pytest

from retrospector.actions.events import event_emit
from retrospector.actions.models import WebhookDelivery, WebhookSubscription
from retrospector.core.secretbox import unseal
from tests.actions.webhook_support import Receiver

pytestmark = pytest.mark.django_db
SECRET = "a-secret-of-our-own-0123456789"


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def patch(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def oscar(client_for):
    return client_for("oscar")


@pytest.fixture
def alice(client_for):
    return client_for("alice")


def test_an_organization_admin_adds_a_webhook_whose_secret_is_never_answered(oscar):
    with Receiver() as server:
        response = post(
            oscar,
            "/api/v1/webhooks",
            {"url": server.url, "secret": SECRET, "events": ["retrospective.approved"], "format": "json"},
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"] == server.url and body["team"] is None and body["events"] == ["retrospective.approved"]
    assert body["secret_set"] is True and "secret" not in body
    assert server.received == []  # checked, never called while the request waits
    subscription = WebhookSubscription.objects.get(pk=body["id"])
    assert SECRET not in subscription.secret_encrypted and unseal(subscription.secret_encrypted) == SECRET

    for response in (
        oscar.get("/api/v1/webhooks"),
        oscar.get(f"/api/v1/webhooks/{body['id']}"),
        patch(oscar, f"/api/v1/webhooks/{body['id']}", {"secret": SECRET + "-2"}),
    ):
        assert response.status_code == 200
        assert SECRET.encode() not in response.content
    assert unseal(WebhookSubscription.objects.get(pk=body["id"]).secret_encrypted) == SECRET + "-2"


def test_a_blank_secret_is_generated(oscar):
    response = post(oscar, "/api/v1/webhooks", {"url": "https://hooks.example.com/x"})
    assert response.status_code == 201
    assert len(unseal(WebhookSubscription.objects.get().secret_encrypted)) >= 32


@pytest.mark.parametrize(
    "url",
    ["ftp://hooks.example.com/x", "https://", "javascript:alert(1)", "hooks.example.com/x", "https://user:pw@h.com/"],
)
def test_a_url_that_is_not_http_with_a_host_is_a_422_naming_it(oscar, url):
    response = post(oscar, "/api/v1/webhooks", {"url": url})
    assert response.status_code == 422
    assert response.json()["field"] == "url"
    assert not WebhookSubscription.objects.exists()


def test_an_unknown_event_or_format_is_a_422_naming_it(oscar):
    response = post(oscar, "/api/v1/webhooks", {"url": "https://h.example.com/", "events": ["incident.deleted"]})
    assert (response.status_code, response.json()["field"]) == (422, "events.0")
    response = post(oscar, "/api/v1/webhooks", {"url": "https://h.example.com/", "format": "xml"})
    assert (response.status_code, response.json()["field"]) == (422, "format")
    response = post(oscar, "/api/v1/webhooks", {"url": "https://h.example.com/", "events": ["ping"]})
    assert response.status_code == 422  # a test event is sent by hand, not subscribed to


def test_a_team_admin_manages_their_teams_webhooks_only(oscar, alice, client_for):
    whole = post(oscar, "/api/v1/webhooks", {"url": "https://h.example.com/org"}).json()
    platform = post(oscar, "/api/v1/webhooks", {"url": "https://h.example.com/pl", "team": "platform"}).json()

    response = post(alice, "/api/v1/webhooks", {"url": "https://h.example.com/pay", "team": "payments"})
    assert response.status_code == 201 and response.json()["team"] == "payments"
    mine = response.json()["id"]
    assert post(alice, "/api/v1/webhooks", {"url": "https://h.example.com/o"}).status_code == 403
    assert post(alice, "/api/v1/webhooks", {"url": "https://h.example.com/o", "team": "platform"}).status_code == 403
    assert post(alice, "/api/v1/webhooks", {"url": "https://h.example.com/o", "team": "nope"}).json()["field"] == "team"

    assert [w["id"] for w in alice.get("/api/v1/webhooks").json()] == [mine]
    assert len(oscar.get("/api/v1/webhooks").json()) == 3
    for other in (whole, platform):
        assert alice.get(f"/api/v1/webhooks/{other['id']}").status_code == 404
        assert patch(alice, f"/api/v1/webhooks/{other['id']}", {"active": False}).status_code == 404
        assert alice.delete(f"/api/v1/webhooks/{other['id']}").status_code == 404
        assert alice.get(f"/api/v1/webhooks/{other['id']}/deliveries").status_code == 404

    for name in ("bob", "charlie", "dana", "erin"):
        member = client_for(name)
        assert member.get("/api/v1/webhooks").json() == []
        assert member.get(f"/api/v1/webhooks/{mine}").status_code == 404
        response = post(member, "/api/v1/webhooks", {"url": "https://h.example.com/m", "team": "payments"})
        assert response.status_code == 403, name


def test_it_is_paused_changed_and_deleted(oscar):
    created = post(oscar, "/api/v1/webhooks", {"url": "https://h.example.com/a"}).json()
    url = f"/api/v1/webhooks/{created['id']}"
    response = patch(oscar, url, {"active": False, "events": ["recommendation.created"], "format": "slack"})
    assert response.status_code == 200
    assert (response.json()["active"], response.json()["events"], response.json()["format"]) == (
        False,
        ["recommendation.created"],
        "slack",
    )
    response = patch(oscar, url, {"url": "file:///etc/passwd"})
    assert (response.status_code, response.json()["field"]) == (422, "url")
    assert patch(oscar, url, {"team": "payments"}).json()["field"] == "team"  # fixed once made
    assert oscar.delete(url).status_code == 204
    assert oscar.get(url).status_code == 404


def test_the_delivery_log_is_paginated_and_a_delivery_redelivered(org, people, oscar, django_assert_max_num_queries):
    created = post(oscar, "/api/v1/webhooks", {"url": "https://h.example.com/a"}).json()
    for n in range(30):
        event_emit(name="ping", organization_id=org.pk, team_id=None, private=False, data={"n": n})
    url = f"/api/v1/webhooks/{created['id']}/deliveries"
    with django_assert_max_num_queries(8):
        page = oscar.get(url, {"page_size": 10, "page": 2}).json()
    assert (page["count"], page["pages"], page["page"], len(page["results"])) == (30, 3, 2, 10)
    first = page["results"][0]
    assert first["status"] == "pending" and first["attempts"] == 0

    redeliver = f"{url}/{first['id']}/redeliver"
    response = oscar.post(redeliver)
    assert (response.status_code, response.json()["field"]) == (422, "delivery")  # still waiting: retried by itself
    WebhookDelivery.objects.filter(pk=first["id"]).update(status="failed", attempts=6, next_attempt_at=None)
    response = oscar.post(redeliver)
    assert response.status_code == 201
    again = response.json()
    assert (again["status"], again["attempts"], again["event_id"]) == ("pending", 0, first["event_id"])
    assert oscar.post(f"{url}/999999/redeliver").status_code == 404


def test_the_list_reads_in_a_fixed_number_of_queries(oscar, django_assert_max_num_queries):
    for n in range(12):
        post(oscar, "/api/v1/webhooks", {"url": f"https://h.example.com/{n}", "team": "payments"})
    with django_assert_max_num_queries(5):
        assert len(oscar.get("/api/v1/webhooks").json()) == 12
