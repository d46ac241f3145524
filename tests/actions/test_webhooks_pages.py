"""The /webhooks/ pages: for organization and team admins only, the secret shown once, the delivery log with its
redeliver and test-event buttons, pause and resume, delete."""

import pytest
from django.urls import reverse

from retrospector.actions.events import event_emit
from retrospector.actions.models import WebhookDelivery, WebhookSubscription
from retrospector.actions.webhook_services import webhook_create

pytestmark = pytest.mark.django_db


def test_only_organization_and_team_admins_open_the_page(client_for):
    assert reverse("webhook_list") == "/webhooks/"
    for name in ("bob", "charlie", "dana", "erin"):
        assert client_for(name).get("/webhooks/").status_code == 403, name
    page = client_for("oscar").get("/webhooks/")
    assert page.status_code == 200
    assert "No webhooks yet" in page.content.decode()
    assert 'value="retrospective.approved"' in page.content.decode()
    alice = client_for("alice").get("/webhooks/").content.decode()
    assert "The whole organization" not in alice  # a team admin makes their team's webhooks
    assert "Payments" in alice and "Platform" not in alice


def test_a_new_webhooks_secret_is_shown_once(client_for):
    oscar = client_for("oscar")
    response = oscar.post(
        "/webhooks/",
        {"url": "https://hooks.example.com/r", "format": "json", "events": ["retrospective.approved"], "team": ""},
    )
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    from retrospector.core.secretbox import unseal

    secret = unseal(subscription.secret_encrypted)
    assert secret in response.content.decode()
    assert subscription.events == ["retrospective.approved"] and subscription.team is None
    for url in ("/webhooks/", f"/webhooks/{subscription.pk}/"):
        page = oscar.get(url).content.decode()
        assert secret not in page
    assert "set (shown once" in oscar.get(f"/webhooks/{subscription.pk}/").content.decode()


def test_a_bad_url_is_refused_on_the_form(client_for):
    response = client_for("oscar").post("/webhooks/", {"url": "gopher://h.example.com/", "format": "json"})
    assert response.status_code == 200
    assert "An http:// or https:// address with a host" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_a_team_admin_cannot_open_another_scopes_webhook(people, client_for):
    whole, _ = webhook_create(by=people["oscar"], url="https://h.example.com/org")
    mine, _ = webhook_create(by=people["alice"], url="https://h.example.com/pay", team=people["payments"])
    alice = client_for("alice")
    assert alice.get(f"/webhooks/{whole.pk}/").status_code == 404
    assert alice.post(f"/webhooks/{whole.pk}/delete").status_code == 404
    assert alice.get(f"/webhooks/{mine.pk}/").status_code == 200
    assert [w.url for w in alice.get("/webhooks/").context["page"]] == [mine.url]


def test_the_delivery_log_pages_and_its_buttons_work(org, people, client_for, django_assert_max_num_queries):
    subscription, _ = webhook_create(by=people["oscar"], url="https://h.example.com/a")
    for n in range(40):
        event_emit(name="retrospective.approved", organization_id=org.pk, team_id=None, private=False, data={"n": n})
    oscar = client_for("oscar")
    url = f"/webhooks/{subscription.pk}/"
    with django_assert_max_num_queries(12):
        page = oscar.get(url, {"page": 2})
    assert page.status_code == 200
    assert "Page 2 of 2" in page.content.decode()
    assert len(page.context["page"].object_list) == 15

    delivery = WebhookDelivery.objects.order_by("id").first()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=6, next_attempt_at=None)
    response = oscar.post(f"/webhooks/{subscription.pk}/deliveries/{delivery.pk}/redeliver")
    assert response.status_code == 302
    assert WebhookDelivery.objects.filter(event_id=delivery.event_id).count() == 2

    oscar.post(f"/webhooks/{subscription.pk}/ping")
    assert subscription.deliveries.filter(event="ping").count() == 1

    oscar.post(f"/webhooks/{subscription.pk}/active", {"active": "0"})
    subscription.refresh_from_db()
    assert subscription.active is False
    response = oscar.post(f"/webhooks/{subscription.pk}/ping", follow=True)
    assert "paused" in response.content.decode()
    oscar.post(f"/webhooks/{subscription.pk}/active", {"active": "1"})
    subscription.refresh_from_db()
    assert subscription.active is True

    response = oscar.post(url, {"url": "https://h.example.com/b", "format": "slack", "events": []})
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.url, subscription.format) == ("https://h.example.com/b", "slack")

    assert oscar.post(f"/webhooks/{subscription.pk}/delete").status_code == 302
    assert not WebhookSubscription.objects.exists()
