"""GitHub's and Jira's calls to /hooks/trackers/<token>/: signed with the connection's secret or refused (401) and
logged; a signed one applies the issue's state through the recommendation's change rules, and calls nothing."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from retrospector.actions.models import Recommendation, TrackerEvent
from retrospector.actions.trackers.sync import tracker_issue_link
from tests.actions.fake_trackers import FakeGitHub, FakeJira, sign
from tests.actions.tracker_support import (  # noqa: F401
    WEBHOOK_SECRET,
    _trackers_settings,
    github_connection,
    jira_connection,
    make_recommendation,
)


@pytest.fixture
def github():
    with FakeGitHub() as server:
        yield server


@pytest.fixture
def jira():
    with FakeJira() as server:
        yield server


@pytest.fixture
def rec(people, make_incident, make_retrospective):
    return make_recommendation(people, make_incident, make_retrospective)


def hook(connection) -> str:
    return reverse("tracker_webhook", args=[str(connection.webhook_token)])


def post(client, url, body: bytes, headers: dict):
    return client.post(url, data=body, content_type="application/json", headers=headers)


@pytest.fixture
def linked_github(people, github, rec):
    connection = github_connection(people, github)
    github.add_issue("x")
    tracker_issue_link(recommendation=rec, connection=connection, key="#1", by=people["alice"])
    return connection


def test_a_signed_github_event_closes_the_recommendation_without_calling_github(client, github, rec, linked_github):
    github.set_state(1, "closed", "completed")
    body, headers = github.webhook(WEBHOOK_SECRET, 1)
    calls = len(github.requests)
    response = post(client, hook(linked_github), body, headers)
    assert response.status_code == 200
    assert len(github.requests) == calls
    rec.refresh_from_db()
    assert rec.status == "done" and rec.tracker_state == "closed: completed" and not rec.tracker_push_pending
    change = rec.changes.get(source="github")
    assert change.changes["status"] == ["planned", "done"] and change.reason == "Changed in GitHub"
    event = TrackerEvent.objects.get()
    assert event.accepted and event.connection == linked_github and "planned → done" in event.outcome


@pytest.mark.parametrize(
    "headers, reason",
    [
        ({}, "The signature header is missing."),
        ({"X-Hub-Signature-256": sign("not-the-secret", b"{}")}, "The signature does not match"),
    ],
)
def test_a_missing_or_wrong_signature_is_refused_and_logged(client, github, rec, linked_github, headers, reason):
    github.set_state(1, "closed", "not_planned")
    body, signed = github.webhook(WEBHOOK_SECRET, 1)
    response = post(client, hook(linked_github), body, {"X-GitHub-Event": "issues", **headers})
    assert response.status_code == 401
    rec.refresh_from_db()
    assert rec.status == "planned"
    event = TrackerEvent.objects.get()
    assert not event.accepted and event.connection == linked_github and reason in event.outcome


def test_a_body_changed_after_signing_is_refused(client, github, rec, linked_github):
    body, headers = github.webhook(WEBHOOK_SECRET, 1)
    tampered = body.replace(b'"open"', b'"closed"')
    assert post(client, hook(linked_github), tampered, headers).status_code == 401
    assert Recommendation.objects.get(pk=rec.pk).status == "planned"


def test_a_connection_without_a_secret_refuses_every_call(client, people, github):
    connection = github_connection(people, github, secret="")
    github.add_issue("x")
    body, headers = github.webhook("", 1)
    assert post(client, hook(connection), body, headers).status_code == 401
    assert "No webhook secret is set" in TrackerEvent.objects.get().outcome


def test_unknown_addresses_and_other_methods_are_refused(client, linked_github):
    assert client.post("/hooks/trackers/not-a-token/", data=b"{}", content_type="application/json").status_code == 404
    missing = "/hooks/trackers/00000000-0000-0000-0000-000000000000/"
    assert client.post(missing, data=b"{}", content_type="application/json").status_code == 404
    assert TrackerEvent.objects.filter(connection=None, accepted=False).count() == 2
    assert client.get(hook(linked_github)).status_code == 405


def test_a_body_over_one_megabyte_is_refused(client, linked_github):
    body = json.dumps({"padding": "x" * (1024 * 1024)}).encode()
    headers = {"X-GitHub-Event": "issues", "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body)}
    assert post(client, hook(linked_github), body, headers).status_code == 413
    assert "larger than" in TrackerEvent.objects.get().outcome


def test_a_ping_and_other_events_are_logged_but_change_nothing(client, rec, linked_github):
    body = b'{"zen": "Keep it logically awesome."}'
    ping = {"X-GitHub-Event": "ping", "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body)}
    assert post(client, hook(linked_github), body, ping).status_code == 200
    push = {"X-GitHub-Event": "push", "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body)}
    assert post(client, hook(linked_github), body, push).status_code == 200
    assert [e.accepted for e in TrackerEvent.objects.all()] == [True, True]
    assert Recommendation.objects.get(pk=rec.pk).changes.count() == 2  # created, linked


def test_another_teams_connection_cannot_change_this_teams_recommendation(client, people, github, rec, linked_github):
    theirs = github_connection(people, github, team="platform", secret="platform-secret")
    github.set_state(1, "closed", "completed")
    body, headers = github.webhook("platform-secret", 1)
    assert post(client, hook(theirs), body, headers).status_code == 200
    assert Recommendation.objects.get(pk=rec.pk).status == "planned"
    assert "linked to no recommendation" in TrackerEvent.objects.get(connection=theirs).outcome


def test_a_signed_jira_update_applies_the_mapped_status(client, people, jira, rec):
    connection = jira_connection(people, jira, state_map={"won't do": "dropped"})
    jira.add_issue("x")
    tracker_issue_link(recommendation=rec, connection=connection, key="OPS-1", by=people["alice"])
    jira.set_status("OPS-1", "Won't Do")
    body, headers = jira.webhook(WEBHOOK_SECRET, "OPS-1")
    calls = len(jira.requests)
    assert post(client, hook(connection), body, headers).status_code == 200
    assert len(jira.requests) == calls
    rec.refresh_from_db()
    assert rec.status == "dropped" and rec.status_reason == "Changed in Jira" and rec.tracker_state == "Won't Do"
    bad = {"X-Hub-Signature": sign("wrong", body)}
    assert post(client, hook(connection), body, bad).status_code == 401
    assert [e.accepted for e in TrackerEvent.objects.order_by("id")] == [True, False]


def test_the_connection_page_lists_the_calls_it_received(client, client_for, github, linked_github):
    body, headers = github.webhook("wrong", 1)
    post(client, hook(linked_github), body, headers)
    page = client_for("alice").get(reverse("tracker_connection_edit", args=["payments", linked_github.pk]))
    assert "The signature does not match" in page.content.decode()


def test_the_fakes_send_webhooks_over_http_as_a_browser_test_would(
    transactional_db, builtin_templates_put_back, live_server, github, rec, linked_github
):
    github.set_state(1, "closed", "completed")
    response = github.send_webhook(live_server.url + hook(linked_github), WEBHOOK_SECRET, 1)
    assert response.status_code == 200, response.text
    assert Recommendation.objects.get(pk=rec.pk).status == "done"


def test_the_calls_log_keeps_thirty_days(client, github, linked_github):
    from datetime import timedelta

    from django.utils import timezone

    from retrospector.actions.trackers.sync import trackers_sync

    post(client, hook(linked_github), b"{}", {"X-GitHub-Event": "ping"})
    post(client, hook(linked_github), b"{}", {"X-GitHub-Event": "ping"})
    TrackerEvent.objects.filter(pk=TrackerEvent.objects.order_by("id").first().pk).update(
        received_at=timezone.now() - timedelta(days=31)
    )
    assert trackers_sync()["pruned"] == 1
    assert TrackerEvent.objects.count() == 1
