"""Secrets at rest (core.secretbox) and who hears an outgoing event (actions.events.event_emit)."""

from io import StringIO

import pytest
from django.test import override_settings

from retrospector.actions.events import event_emit
from retrospector.actions.models import WebhookDelivery, WebhookSubscription
from retrospector.core.secretbox import SecretUnreadable, reseal, seal, unseal


def test_a_sealed_secret_opens_and_is_not_stored_in_clear():
    sealed = seal("ghp_a-very-secret-token")
    assert "ghp_a-very-secret-token" not in sealed
    assert unseal(sealed) == "ghp_a-very-secret-token"
    assert seal("") == "" and unseal("") == ""


def test_a_secret_survives_a_key_rotation_and_is_refused_once_its_key_is_dropped():
    with override_settings(ENCRYPTION_KEYS=["old key"]):
        sealed = seal("xoxb-token")
    with override_settings(ENCRYPTION_KEYS=["new key", "old key"]):
        assert unseal(sealed) == "xoxb-token"
        rotated = reseal(sealed)
    with override_settings(ENCRYPTION_KEYS=["new key"]):
        assert unseal(rotated) == "xoxb-token"
        with pytest.raises(SecretUnreadable, match="no longer has"):
            unseal(sealed)


@pytest.fixture
def subscriptions(org, people):
    def subscribe(team=None, events=()):
        return WebhookSubscription.objects.create(
            organization=org, team=team, url="http://127.0.0.1:9/hook", secret_encrypted=seal("s"), events=list(events)
        )

    return {
        "organization": subscribe(),
        "payments": subscribe(people["payments"]),
        "platform": subscribe(people["platform"]),
        "approvals only": subscribe(events=["retrospective.approved"]),
    }


def _heard(subscriptions):
    heard = set(WebhookDelivery.objects.values_list("subscription_id", flat=True))
    return {name for name, s in subscriptions.items() if s.pk in heard}


def test_an_event_of_a_private_incident_reaches_only_its_teams_subscribers(org, people, subscriptions):
    queued = event_emit(
        name="recommendation.changed", organization_id=org.pk, team_id=people["payments"].pk, private=True, data={}
    )
    assert queued == 1
    assert _heard(subscriptions) == {"payments"}


def test_an_organization_wide_event_reaches_the_organization_and_the_team_but_not_another_team(
    org, people, subscriptions
):
    event_emit(
        name="recommendation.changed", organization_id=org.pk, team_id=people["payments"].pk, private=False, data={}
    )
    assert _heard(subscriptions) == {"organization", "payments"}
    delivery = WebhookDelivery.objects.filter(subscription=subscriptions["payments"]).get()
    assert delivery.payload["event"] == "recommendation.changed"
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.next_attempt_at is not None


def test_a_subscriber_hears_only_the_events_it_chose(org, people, subscriptions):
    event_emit(
        name="retrospective.approved", organization_id=org.pk, team_id=people["platform"].pk, private=False, data={}
    )
    assert _heard(subscriptions) == {"organization", "platform", "approvals only"}


def test_reseal_moves_every_stored_secret_to_the_newest_key(org, people, subscriptions):
    from django.core.management import call_command

    from retrospector.actions.models import TrackerConnection

    with override_settings(ENCRYPTION_KEYS=["old key"]):
        connection = TrackerConnection.objects.create(
            team=people["payments"],
            kind="github",
            name="payments",
            base_url="https://api.github.com",
            project="acme/payments",
            credential_encrypted=seal("ghp_token"),
        )
        WebhookSubscription.objects.update(secret_encrypted=seal("hook secret"))
    with override_settings(ENCRYPTION_KEYS=["new key", "old key"]):
        call_command("secrets", "reseal", stdout=StringIO())
    with override_settings(ENCRYPTION_KEYS=["new key"]):
        connection.refresh_from_db()
        assert unseal(connection.credential_encrypted) == "ghp_token"
        assert {unseal(s) for s in WebhookSubscription.objects.values_list("secret_encrypted", flat=True)} == {
            "hook secret"
        }


def test_reseal_changes_nothing_when_a_secret_can_not_be_opened(org, people, subscriptions):
    from django.core.management import CommandError, call_command

    with override_settings(ENCRYPTION_KEYS=["lost key"]):
        WebhookSubscription.objects.filter(pk=subscriptions["payments"].pk).update(secret_encrypted=seal("x"))
    before = dict(WebhookSubscription.objects.values_list("pk", "secret_encrypted"))
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("secrets", "reseal", stdout=StringIO())
    assert dict(WebhookSubscription.objects.values_list("pk", "secret_encrypted")) == before
