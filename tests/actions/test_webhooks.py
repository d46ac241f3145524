"""Outgoing webhooks, sent by the worker (actions.webhooks.deliveries_send) to a real subscriber on 127.0.0.1: signed
JSON a subscriber can verify, Slack messages, retries with backoff (on a clock moved by hand, never by sleeping),
Retry-After, the last attempt, redelivery, claims, and the retrospective events with the private-incident rule."""

from datetime import timedelta

import pytest
from django.utils import timezone

from retrospector.actions import webhooks
from retrospector.actions.events import event_emit
from retrospector.actions.models import WebhookDelivery
from retrospector.actions.webhook_services import webhook_create, webhook_redeliver, webhook_update
from retrospector.actions.webhooks import deliveries_send, signature_header, signature_valid, slack_message
from retrospector.writeups.models import StateChange
from retrospector.writeups.services import retrospective_transition
from tests.actions.webhook_support import Answer, Receiver

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status


@pytest.fixture
def receiver():
    with Receiver(secret=None) as server:
        yield server


def subscribe(people, url, *, by="oscar", team=None, **extra):
    team_obj = people[team] if team else None
    return webhook_create(by=people[by], url=url, team=team_obj, **extra)


def emit(org, *, team=None, private=False, name="retrospective.state_changed", data=None):
    return event_emit(
        name=name,
        organization_id=org.pk,
        team_id=team.pk if team else None,
        private=private,
        data=data or {"retrospective": {"id": 1, "title": "Checkout errors"}},
    )


def only_delivery():
    (delivery,) = WebhookDelivery.objects.all()
    return delivery


# --- Signed JSON ------------------------------------------------------------------------------------------------------


def test_a_json_delivery_is_signed_and_its_subscriber_verifies_it(org, people):
    subscription, secret = subscribe(people, "http://placeholder.invalid/")
    with Receiver(secret=secret) as server:
        webhook_update(subscription=subscription, by=people["oscar"], url=server.url)
        assert emit(org) == 1
        result = deliveries_send()

    assert result["succeeded"] == 1
    (got,) = server.received
    assert got.signature_ok is True
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == "Retrospector-Webhooks"
    assert got.headers["retrospector-event"] == "retrospective.state_changed"
    delivery = only_delivery()
    assert got.headers["retrospector-delivery"] == str(delivery.event_id)
    assert got.body == webhooks.body_of(delivery.payload)  # compact JSON, exactly the signed bytes
    assert b": " not in got.body and got.json["data"]["retrospective"]["title"] == "Checkout errors"
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.SUCCEEDED, 1, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None


def test_a_subscriber_refuses_a_forged_or_old_signature():
    body = b'{"event":"ping"}'
    now = 1_800_000_000
    header = signature_header("s3cret-s3cret-s3cret", body, now)
    assert signature_valid(header, "s3cret-s3cret-s3cret", body, now=now + 10)
    assert not signature_valid(header, "another-secret-entirely", body, now=now)
    assert not signature_valid(header, "s3cret-s3cret-s3cret", body + b" ", now=now)
    assert not signature_valid(header, "s3cret-s3cret-s3cret", body, now=now + 301)  # replayed later
    assert not signature_valid("v1=abc", "s3cret-s3cret-s3cret", body, now=now)


def test_a_delivery_signed_with_another_secret_is_refused_and_retried(org, people):
    with Receiver(secret="the-subscriber-has-this-one") as server:
        subscribe(people, server.url, secret="but-we-sign-with-this-one")
        emit(org)
        deliveries_send()
    delivery = only_delivery()
    assert server.received[0].signature_ok is False
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.PENDING, 1, 401)
    assert delivery.response_excerpt == "bad signature"


# --- Retries ----------------------------------------------------------------------------------------------------------


def test_a_500_is_retried_with_growing_waits_then_delivered(org, people, receiver):
    subscribe(people, receiver.url)
    emit(org)
    receiver.answer(Answer(500, b"x" * 5000), Answer(502, b"bad gateway"), Answer(200))
    t0 = timezone.now()

    deliveries_send(now=t0)
    delivery = only_delivery()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.PENDING, 1, 500)
    assert delivery.next_attempt_at == t0 + timedelta(minutes=1)
    assert len(delivery.response_excerpt) == 1000 and delivery.last_error == "HTTP 500"

    deliveries_send(now=t0 + timedelta(seconds=59))  # not due yet
    assert len(receiver.received) == 1

    t1 = t0 + timedelta(minutes=1)
    deliveries_send(now=t1)
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, 502)
    assert delivery.next_attempt_at == t1 + timedelta(minutes=5)

    deliveries_send(now=t1 + timedelta(minutes=5))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.SUCCEEDED, 3, 200)
    assert delivery.last_error == ""
    assert len(receiver.received) == 3


def test_a_timeout_is_retried_after_a_minute(org, people, receiver, monkeypatch):
    monkeypatch.setattr(webhooks, "TIMEOUT_SECONDS", 0.3)
    subscribe(people, receiver.url)
    emit(org)
    receiver.answer(Answer(200, delay=1.5))
    t0 = timezone.now()
    deliveries_send(now=t0)
    delivery = only_delivery()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (Status.PENDING, 1, None)
    assert "Timed out" in delivery.last_error
    assert delivery.next_attempt_at == t0 + timedelta(minutes=1)


def test_an_unreachable_endpoint_is_retried(org, people):
    with Receiver() as server:
        url = server.url
    subscribe(people, url)  # nothing listens there any more
    emit(org)
    deliveries_send()
    delivery = only_delivery()
    assert (delivery.status, delivery.attempts) == (Status.PENDING, 1)
    assert delivery.last_error.startswith("ConnectError")


def test_a_429_is_retried_when_its_retry_after_says(org, people, receiver):
    subscribe(people, receiver.url)
    emit(org)
    receiver.answer(Answer(429, b"slow down", {"Retry-After": "900"}))
    t0 = timezone.now()
    deliveries_send(now=t0)
    delivery = only_delivery()
    assert delivery.next_attempt_at == t0 + timedelta(seconds=900)  # not the 1 minute of the backoff
    assert delivery.last_status_code == 429


def test_it_fails_after_the_last_attempt(org, people, receiver):
    subscribe(people, receiver.url)
    emit(org)
    receiver.answer(Answer(500))
    moment = timezone.now()
    waits = []
    for _ in range(webhooks.MAX_ATTEMPTS):
        deliveries_send(now=moment)
        delivery = only_delivery()
        if delivery.next_attempt_at:
            waits.append(delivery.next_attempt_at - moment)
            moment = delivery.next_attempt_at
    assert waits == list(webhooks.BACKOFF)
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (Status.FAILED, 6, None)
    deliveries_send(now=moment + timedelta(days=2))
    assert len(receiver.received) == 6  # never again by itself


def test_a_redirect_is_not_followed(org, people, receiver):
    subscribe(people, receiver.url)
    emit(org)
    receiver.answer(Answer(302, b"", {"Location": receiver.url + "/elsewhere"}))
    deliveries_send()
    delivery = only_delivery()
    assert len(receiver.received) == 1
    assert delivery.last_status_code == 302 and "not followed" in delivery.last_error


def test_a_retry_due_soon_queues_the_next_run_once(org, people, receiver):
    from django_tasks_db.models import DBTaskResult

    from retrospector.actions.tasks import deliver_webhooks, deliver_webhooks_queue

    subscribe(people, receiver.url)
    emit(org)
    receiver.answer(Answer(500))
    assert deliver_webhooks.call()["next_run_queued"] is True  # the task's own run, in process
    (queued,) = DBTaskResult.objects.filter(task_path=deliver_webhooks.module_path, status="READY")
    assert queued.run_after == only_delivery().next_attempt_at
    assert deliver_webhooks_queue(only_delivery().next_attempt_at) is False  # one waiting run is enough


def test_the_periodic_job_sends_what_its_lost_task_did_not(org, people, receiver):
    from retrospector.core.periodic import _jobs

    jobs = dict(_jobs())
    assert jobs["actions: webhook deliveries due"] is webhooks.deliveries_sweep
    subscribe(people, receiver.url)
    emit(org)  # its task is never run (on_commit does not fire in this test's transaction)
    assert jobs["actions: webhook deliveries due"]()["succeeded"] == 1


# --- Claims -----------------------------------------------------------------------------------------------------------


def test_a_claimed_delivery_is_not_sent_by_another_worker_until_its_claim_runs_out(org, people, receiver):
    subscribe(people, receiver.url)
    emit(org)
    now = timezone.now()
    claimed = webhooks._claim(now, 10)  # a first worker took it and is still sending
    assert len(claimed) == 1
    assert deliveries_send(now=now)["succeeded"] == 0
    assert receiver.received == []
    # That worker died: once its claim has run out, another sends it.
    assert deliveries_send(now=now + webhooks.CLAIM_FOR + timedelta(seconds=1))["succeeded"] == 1


def test_a_paused_webhook_keeps_its_deliveries_until_resumed(org, people, receiver):
    subscription, _ = subscribe(people, receiver.url)
    emit(org)
    webhook_update(subscription=subscription, by=people["oscar"], active=False)
    assert deliveries_send()["succeeded"] == 0
    webhook_update(subscription=subscription, by=people["oscar"], active=True)
    assert deliveries_send()["succeeded"] == 1


# --- Redelivery -------------------------------------------------------------------------------------------------------


def test_a_failed_delivery_is_redelivered_as_a_new_one_of_the_same_event(org, people, receiver):
    subscription, _ = subscribe(people, receiver.url)
    emit(org)
    receiver.answer(Answer(410, b"gone"))
    deliveries_send()
    failed = only_delivery()
    assert failed.status == Status.FAILED and failed.attempts == 1  # 410: gone, not retried

    receiver.answer(Answer(200))
    again = webhook_redeliver(delivery=failed, by=people["oscar"])
    assert again.pk != failed.pk
    assert (again.event, again.event_id, again.payload) == (failed.event, failed.event_id, failed.payload)
    deliveries_send()
    again.refresh_from_db()
    failed.refresh_from_db()
    assert again.status == Status.SUCCEEDED and failed.status == Status.FAILED
    assert receiver.received[-1].headers["retrospector-delivery"] == str(failed.event_id)
    assert subscription.deliveries.count() == 2


# --- Slack ------------------------------------------------------------------------------------------------------------


def test_a_slack_webhook_gets_a_message_in_slacks_shape_with_its_control_characters_escaped(
    org, people, receiver, make_incident, make_retrospective
):
    subscribe(people, receiver.url, format="slack")
    incident = make_incident(title="Cards <declined> & refunds")
    retrospective = make_retrospective(incident)
    retrospective.title = "Retro: <b>R&D</b>"
    retrospective.save(update_fields=["title"])
    retrospective_transition(retrospective=retrospective, to_state="in_review", by=people["alice"])
    deliveries_send()

    (got,) = receiver.received
    assert "retrospector-signature" not in got.headers
    message = got.json
    assert set(message) == {"text", "blocks"}
    assert message["text"] == "Retrospective Retro: &lt;b&gt;R&amp;D&lt;/b&gt;: Draft → In review (by alice)"
    section, context = message["blocks"]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert f"/retrospectives/{retrospective.pk}/|Retro: &lt;b&gt;R&amp;D&lt;/b&gt;>" in section["text"]["text"]
    assert "moved from *Draft* to *In review*" in section["text"]["text"]
    assert context["type"] == "context"
    assert context["elements"][0]["text"] == "Incident: Cards &lt;declined&gt; &amp; refunds · team payments"


@pytest.mark.parametrize(("status", "body"), [(404, b"no_service"), (410, b"channel_is_archived")])
def test_a_slack_webhook_that_is_gone_fails_at_once(org, people, receiver, status, body):
    subscribe(people, receiver.url, format="slack")
    emit(org, name="ping")
    receiver.answer(Answer(status, body))
    deliveries_send()
    delivery = only_delivery()
    assert (delivery.status, delivery.attempts, delivery.response_excerpt) == (Status.FAILED, 1, body.decode())


def test_a_slack_ping_reads_well():
    message = slack_message({"event": "ping", "data": {}})
    assert message["text"].startswith("Test event from Retrospector")
    assert message["blocks"][0]["text"]["type"] == "mrkdwn"


# --- Retrospective events ---------------------------------------------------------------------------------------------


def test_each_state_change_is_an_event_and_the_final_approval_another(org, people, make_incident, make_retrospective):
    subscribe(people, "https://hooks.example.com/all")
    incident = make_incident()
    retrospective = make_retrospective(incident)
    retrospective_transition(retrospective=retrospective, to_state="in_review", by=people["alice"])

    (changed,) = WebhookDelivery.objects.all()
    assert changed.event == "retrospective.state_changed"
    assert changed.payload["data"] == {
        "retrospective": {
            "id": retrospective.pk,
            "title": retrospective.title,
            "url": f"/retrospectives/{retrospective.pk}/",
        },
        "incident": {"id": incident.pk, "title": incident.title, "team": "payments"},
        "from_state": "draft",
        "to_state": "in_review",
        "by": "alice",
        "note": "",
    }
    # Approved in its meeting (done in one step), however the state change was recorded.
    StateChange.objects.create(retrospective=retrospective, from_state="meeting", to_state="done", by=people["bob"])
    events = list(WebhookDelivery.objects.order_by("id").values_list("event", flat=True))
    assert events == ["retrospective.state_changed", "retrospective.state_changed", "retrospective.approved"]
    # Reopened and approved again: another approval; approved -> done is not a second one.
    StateChange.objects.create(retrospective=retrospective, from_state="approved", to_state="done", by=people["bob"])
    assert WebhookDelivery.objects.filter(event="retrospective.approved").count() == 1


def test_a_private_incidents_events_reach_only_its_teams_webhooks(org, people, make_incident, make_retrospective):
    whole, _ = subscribe(people, "https://hooks.example.com/org")
    payments, _ = subscribe(people, "https://hooks.example.com/payments", by="alice", team="payments")
    platform, _ = subscribe(people, "https://hooks.example.com/platform", team="platform")  # charlie's team

    secret = make_retrospective(make_incident(title="Card numbers in logs", visibility="private"))
    retrospective_transition(retrospective=secret, to_state="in_review", by=people["alice"])
    assert list(WebhookDelivery.objects.values_list("subscription", flat=True)) == [payments.pk]

    WebhookDelivery.objects.all().delete()
    public = make_retrospective(make_incident(title="Checkout slow"))
    retrospective_transition(retrospective=public, to_state="in_review", by=people["alice"])
    assert sorted(WebhookDelivery.objects.values_list("subscription", flat=True)) == sorted([whole.pk, payments.pk])
    assert not platform.deliveries.exists()


def test_a_webhook_hears_only_the_events_it_chose(org, people):
    chosen, _ = subscribe(people, "https://hooks.example.com/approved", events=["retrospective.approved"])
    everything, _ = subscribe(people, "https://hooks.example.com/all")
    emit(org)
    assert not chosen.deliveries.exists()
    assert everything.deliveries.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_at_once_never_send_a_delivery_twice(org, people, builtin_templates_put_back):
    import threading

    from django.db import connection

    if connection.vendor == "sqlite":
        # Its writers queue behind the write lock (the file database's busy timeout); the tests' shared in-memory
        # database answers "locked" at once instead, so two threads can't share it. PostgreSQL's run checks this.
        pytest.skip("SQLite's immediate transactions serialize every writer; its shared in-memory test database can't")
    with Receiver() as server:
        subscription, _ = subscribe(people, server.url)
        for n in range(60):
            emit(org, data={"n": n})
        results = []

        def worker():
            try:
                results.append(deliveries_send())
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    ids = [got.headers["retrospector-delivery"] for got in server.received]
    assert len(ids) == len(set(ids)) == 60
    assert sum(result["succeeded"] for result in results) == 60
    assert subscription.deliveries.filter(status=Status.SUCCEEDED).count() == 60
