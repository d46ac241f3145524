"""A recommendation's GitHub issue: created or linked from its page, our changes pushed (with backoff when GitHub is
busy or away), GitHub's state pulled on a schedule and mapped per team; errors shown and told to the owner; secrets
stored encrypted and never shown; only the team's admins manage its connections, only its trackers serve it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from retrospector.actions.models import Recommendation, TrackerConnection
from retrospector.actions.services import recommendation_update
from retrospector.actions.trackers.sync import tracker_issue_link, trackers_sync
from retrospector.actions.trackers.tasks import MAX_ATTEMPTS, tracker_push_task
from retrospector.notifications.models import Notification
from tests.actions.fake_trackers import FakeGitHub
from tests.actions.tracker_support import (  # noqa: F401
    _trackers_settings,
    github_connection,
    make_recommendation,
)


@pytest.fixture
def github():
    with FakeGitHub() as server:
        yield server


@pytest.fixture
def rec(people, make_incident, make_retrospective):
    return make_recommendation(people, make_incident, make_retrospective)


def linked(people, github, rec, **kwargs):
    connection = github_connection(people, github, **kwargs)
    github.add_issue("Alert on checkout error rate")
    return tracker_issue_link(recommendation=rec, connection=connection, key="#1", by=people["alice"])


def queued_pushes():
    return list(DBTaskResult.objects.filter(task_path=tracker_push_task.module_path, status="READY"))


def test_creating_an_issue_sends_the_documented_request_and_stores_the_link(people, github, rec, client_for):
    connection = github_connection(people, github)
    page = reverse("recommendation_tracker", args=[rec.pk])
    response = client_for("bob").post(page, {"action": "create", "connection": connection.pk})
    assert response.status_code == 302
    created = github.requests[-1]
    assert created["method"] == "POST" and created["path"] == "/repos/acme/payments-api/issues"
    assert created["headers"]["Authorization"] == f"Bearer {github.token}"
    assert created["headers"]["X-GitHub-Api-Version"] == "2022-11-28"
    assert created["json"]["title"] == "Alert on checkout error rate"
    body = created["json"]["body"]
    assert "errors pass 2%" in body and "The alert fired in a game day." in body
    assert f"/recommendations/{rec.pk}/" in body
    rec.refresh_from_db()
    assert (rec.tracker_id, rec.tracker_key, rec.tracker_state) == (connection.pk, "acme/payments-api#1", "open")
    assert rec.tracker_url == "https://github.com/acme/payments-api/issues/1"
    assert rec.changes.filter(reason__startswith="Linked to GitHub issue").exists()
    assert "acme/payments-api#1" in client_for("bob").get(page).content.decode()


def test_linking_an_issue_by_its_address_applies_its_state_as_a_change_from_github(people, github, rec):
    connection = github_connection(people, github)
    github.add_issue("Old ticket", state="closed", state_reason="not_planned")
    rec = tracker_issue_link(
        recommendation=rec,
        connection=connection,
        key="https://github.com/acme/payments-api/issues/1",
        by=people["alice"],
    )
    rec.refresh_from_db()
    assert rec.status == "dropped" and rec.tracker_state == "closed: not_planned"
    change = rec.changes.filter(source="github").get()
    assert change.changes["status"] == ["planned", "dropped"] and change.reason == "Changed in GitHub"
    assert not rec.tracker_push_pending  # no echo back to GitHub


def test_linking_an_issue_that_does_not_exist_shows_githubs_own_message(people, github, rec, client_for):
    connection = github_connection(people, github)
    response = client_for("bob").post(
        reverse("recommendation_tracker", args=[rec.pk]),
        {"action": "link", "link-connection": connection.pk, "link-key": "acme/payments-api#99"},
    )
    assert response.status_code == 200
    assert "GitHub answered 404: Not Found" in response.content.decode()
    rec.refresh_from_db()
    assert rec.tracker_id is None and rec.tracker_key == ""


def test_an_issue_of_another_repository_is_refused(people, github, rec):
    connection = github_connection(people, github)
    with pytest.raises(ValidationError) as caught:
        tracker_issue_link(recommendation=rec, connection=connection, key="someone/else#1", by=people["alice"])
    assert "not in this connection's repository" in str(caught.value)


def test_our_change_is_queued_on_commit_and_pushed_as_state_and_reason(
    people, github, rec, django_capture_on_commit_callbacks
):
    rec = linked(people, github, rec)
    with django_capture_on_commit_callbacks(execute=True):
        recommendation_update(
            recommendation=rec, by=people["bob"], changes={"status": "dropped", "title": "Alert on errors"}, reason="x"
        )
    [job] = queued_pushes()
    assert job.args_kwargs["args"][0] == rec.pk
    tracker_push_task.call(rec.pk)
    patch = github.requests[-1]
    assert patch["method"] == "PATCH" and patch["path"] == "/repos/acme/payments-api/issues/1"
    assert patch["json"] == {"title": "Alert on errors", "state": "closed", "state_reason": "not_planned"}
    assert github.issues[1]["state_reason"] == "not_planned"
    rec.refresh_from_db()
    assert not rec.tracker_push_pending and rec.tracker_state == "closed: not_planned" and rec.tracker_error == ""


def test_a_refused_token_is_shown_on_the_recommendation_and_told_to_its_owner(people, github, rec):
    rec = linked(people, github, rec)
    recommendation_update(recommendation=rec, by=people["alice"], changes={"status": "done"})
    github.fail_next(401)
    tracker_push_task.call(rec.pk)
    rec.refresh_from_db()
    assert rec.tracker_error == "GitHub answered 401: Bad credentials"
    assert rec.tracker_push_pending  # kept: pushed once the token is fixed
    note = Notification.objects.get(recipient=people["bob"], kind="tracker_error")
    assert "Bad credentials" in note.body
    assert not queued_pushes()  # not retried: a wrong token does not fix itself


def test_a_rate_limit_is_retried_after_what_github_asked_and_nothing_is_shown_meanwhile(people, github, rec):
    rec = linked(people, github, rec)
    recommendation_update(recommendation=rec, by=people["alice"], changes={"status": "done"})
    github.fail_next(429, headers={"Retry-After": "120"})
    before = timezone.now()
    tracker_push_task.call(rec.pk)
    [retry] = queued_pushes()
    assert retry.args_kwargs["args"] == [rec.pk, 2]
    assert before + timedelta(seconds=119) <= retry.run_after <= timezone.now() + timedelta(seconds=121)
    rec.refresh_from_db()
    assert rec.tracker_push_pending and rec.tracker_error == ""
    tracker_push_task.call(rec.pk, 2)  # GitHub is back
    rec.refresh_from_db()
    assert not rec.tracker_push_pending and github.issues[1]["state"] == "closed"


def test_a_timeout_is_retried_with_doubling_waits_and_shown_when_attempts_run_out(people, github, rec):
    rec = linked(people, github, rec)
    recommendation_update(recommendation=rec, by=people["alice"], changes={"status": "done"})
    github.hang_next(1.5)
    before = timezone.now()
    tracker_push_task.call(rec.pk, 3)
    [retry] = queued_pushes()
    assert retry.args_kwargs["args"] == [rec.pk, 4]
    assert retry.run_after >= before + timedelta(seconds=120)  # 30 s, 60 s, 120 s...
    github.fail_next(502)
    tracker_push_task.call(rec.pk, MAX_ATTEMPTS)
    rec.refresh_from_db()
    assert rec.tracker_error == "GitHub answered 502: Server Error"
    assert rec.tracker_push_pending
    assert len(queued_pushes()) == 1  # no further attempt queued
    assert Notification.objects.filter(recipient=people["bob"], kind="tracker_error").count() == 1


def test_the_periodic_job_pulls_githubs_state_and_pushes_what_waits(people, github, rec, make_incident):
    rec = linked(people, github, rec)
    github.set_state(1, "closed", "completed")
    Recommendation.objects.filter(pk=rec.pk).update(tracker_synced_at=timezone.now() - timedelta(hours=2))
    assert trackers_sync() == {"pushed": 0, "pulled": 1, "failed": 0, "pruned": 0}
    rec.refresh_from_db()
    assert rec.status == "done" and rec.tracker_state == "closed: completed"
    assert rec.changes.filter(source="github", reason="Changed in GitHub").exists()
    calls = len(github.requests)
    assert trackers_sync() == {
        "pushed": 0,
        "pulled": 0,
        "failed": 0,
        "pruned": 0,
    }  # done, and just synced: not pulled again
    assert len(github.requests) == calls
    recommendation_update(recommendation=rec, by=people["alice"], changes={"status": "planned"})
    assert trackers_sync()["pushed"] == 0  # its own task pushes it first
    Recommendation.objects.filter(pk=rec.pk).update(updated_at=timezone.now() - timedelta(minutes=20))
    assert trackers_sync()["pushed"] == 1  # that task was lost
    assert github.issues[1]["state"] == "open"


def test_a_pull_does_not_undo_a_change_of_ours_still_waiting(people, github, rec):
    rec = linked(people, github, rec)
    recommendation_update(recommendation=rec, by=people["alice"], changes={"status": "done"})
    Recommendation.objects.filter(pk=rec.pk).update(tracker_synced_at=timezone.now() - timedelta(days=1))
    trackers_sync()  # the push is its task's; the pull must not put GitHub's "open" back
    rec.refresh_from_db()
    assert rec.status == "done" and rec.tracker_push_pending


def test_a_tracker_that_does_not_answer_is_left_alone_for_the_rest_of_the_run(
    people, github, make_incident, make_retrospective
):
    connection = github_connection(people, github)
    for number in (1, 2, 3):
        github.add_issue(f"issue {number}")
        rec = make_recommendation(people, make_incident, make_retrospective)
        tracker_issue_link(recommendation=rec, connection=connection, key=str(number), by=people["alice"])
    Recommendation.objects.update(tracker_synced_at=timezone.now() - timedelta(days=1))
    github.fail_next(503)
    calls = len(github.requests)
    assert trackers_sync() == {"pushed": 0, "pulled": 0, "failed": 1, "pruned": 0}
    assert len(github.requests) == calls + 1
    assert not Recommendation.objects.exclude(tracker_error="").exists()  # busy is not an error to show


def test_the_teams_state_map_wins_over_the_defaults(people, github, rec):
    github.add_issue("x")
    connection = github_connection(people, github, state_map={"open": "in-progress"})
    rec = tracker_issue_link(recommendation=rec, connection=connection, key="1", by=people["alice"])
    assert Recommendation.objects.get(pk=rec.pk).status == "in-progress"


def test_secrets_are_stored_encrypted_and_never_shown_back(people, github, client_for):
    alice = client_for("alice")
    page = reverse("tracker_connections", args=["payments"])
    response = alice.post(
        page,
        {
            "kind": "github",
            "name": "payments issues",
            "base_url": github.base_url,
            "project": "acme/payments-api",
            "credential": "ghp_very_secret_token",
            "webhook_secret": "whsec_very_secret_hook",
            "state_map": "in review = in-progress",
        },
    )
    assert response.status_code == 302
    connection = TrackerConnection.objects.get()
    row = str(TrackerConnection.objects.filter(pk=connection.pk).values().get())
    assert "ghp_very_secret_token" not in row and "whsec_very_secret_hook" not in row
    assert connection.state_map == {"in review": "in-progress"}
    for url in (page, reverse("tracker_connection_edit", args=["payments", connection.pk])):
        html = alice.get(url).content.decode()
        assert "ghp_very_secret_token" not in html and "whsec_very_secret_hook" not in html
        assert f"/hooks/trackers/{connection.webhook_token}/" in html
    edit = alice.get(reverse("tracker_connection_edit", args=["payments", connection.pk])).content.decode()
    assert "Token (replace)" in edit and "Set: leave empty to keep it" in edit
    # Saving without typing the secrets again keeps them.
    alice.post(
        reverse("tracker_connection_edit", args=["payments", connection.pk]),
        {"kind": "github", "name": "renamed", "base_url": github.base_url, "project": "acme/payments-api"},
    )
    connection.refresh_from_db()
    assert connection.name == "renamed" and connection.credential_encrypted and connection.webhook_secret_encrypted


def test_an_address_without_https_is_refused_outside_tests(people, settings):
    from retrospector.actions.trackers.sync import tracker_connection_save

    settings.TRACKERS_ALLOW_HTTP = False
    with pytest.raises(ValidationError) as caught:
        tracker_connection_save(
            team=people["payments"],
            by=people["alice"],
            kind="github",
            name="x",
            base_url="http://github.internal",
            project="acme/x",
            credential="t",
        )
    assert "https://" in str(caught.value)


def test_only_the_teams_admins_see_and_change_its_connections(people, github, client_for):
    connection = github_connection(people, github)
    edit = reverse("tracker_connection_edit", args=["payments", connection.pk])
    listing = reverse("tracker_connections", args=["payments"])
    for name in ("charlie", "bob", "dana"):
        client = client_for(name)
        assert client.get(listing).status_code == 403
        assert client.get(edit).status_code == 403
        assert client.post(edit, {"action": "delete"}).status_code == 403
    assert TrackerConnection.objects.filter(pk=connection.pk).exists()
    other_team = reverse("tracker_connection_edit", args=["platform", connection.pk])
    assert client_for("oscar").get(other_team).status_code == 404  # a connection is reached through its own team
    assert client_for("oscar").get(listing).status_code == 200
    assert client_for("alice").post(edit, {"action": "delete"}).status_code == 302
    assert not TrackerConnection.objects.filter(pk=connection.pk).exists()


def test_another_teams_connection_cannot_serve_a_recommendation(people, github, rec, client_for):
    theirs = github_connection(people, github, team="platform")
    github_connection(people, github)  # payments has one of its own
    github.add_issue("x")
    with pytest.raises(ValidationError):
        tracker_issue_link(recommendation=rec, connection=theirs, key="1", by=people["oscar"])
    response = client_for("oscar").post(
        reverse("recommendation_tracker", args=[rec.pk]), {"action": "create", "connection": theirs.pk}
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not github.requests
    assert theirs.name not in client_for("oscar").get(reverse("recommendation_tracker", args=[rec.pk])).content.decode()


def test_people_who_may_not_change_the_recommendation_cannot_link_it(
    people, github, make_incident, make_retrospective, client_for
):
    private = make_recommendation(people, make_incident, make_retrospective, visibility="private")
    connection = github_connection(people, github)
    page = reverse("recommendation_tracker", args=[private.pk])
    assert client_for("charlie").get(page).status_code == 404
    assert client_for("dana").get(page).status_code == 200
    assert client_for("dana").post(page, {"action": "create", "connection": connection.pk}).status_code == 403
    assert not github.requests


def test_the_connections_page_costs_the_same_few_queries_for_many(
    people, github, client_for, django_assert_max_num_queries
):
    for _ in range(8):
        github_connection(people, github)
    alice = client_for("alice")
    with django_assert_max_num_queries(12):
        response = alice.get(reverse("tracker_connections", args=["payments"]))
    assert response.content.decode().count("/hooks/trackers/") == 8


def test_the_team_page_leads_its_admins_to_the_trackers(people, client_for):
    team_page = reverse("team_detail", args=["payments"])
    trackers = reverse("tracker_connections", args=["payments"])
    assert trackers in client_for("alice").get(team_page).content.decode()
    assert trackers not in client_for("bob").get(team_page).content.decode()
    empty = client_for("alice").get(trackers).content.decode()
    assert "No tracker yet." in empty


def test_a_token_no_key_opens_any_more_is_shown_instead_of_failing(people, github, rec, settings):
    rec = linked(people, github, rec)
    recommendation_update(recommendation=rec, by=people["alice"], changes={"status": "done"})
    settings.ENCRYPTION_KEYS = ["a-new-key-that-did-not-seal-it"]
    tracker_push_task.call(rec.pk)
    rec.refresh_from_db()
    assert "can't be read with this installation's keys" in rec.tracker_error and rec.tracker_push_pending


def test_sync_now_and_unlink_from_the_page(people, github, rec, client_for):
    rec = linked(people, github, rec)
    github.set_state(1, "closed", "completed")
    page = reverse("recommendation_tracker", args=[rec.pk])
    bob = client_for("bob")
    assert bob.post(page, {"action": "sync"}).status_code == 302
    rec.refresh_from_db()
    assert rec.status == "done" and rec.tracker_state == "closed: completed"
    github.fail_next(404)
    bob.post(page, {"action": "sync"})
    rec.refresh_from_db()
    assert rec.tracker_error == "GitHub answered 404: Not Found"
    assert "GitHub answered 404: Not Found" in bob.get(page).content.decode()
    assert bob.post(page, {"action": "unlink"}).status_code == 302
    rec.refresh_from_db()
    assert rec.tracker_id is None and rec.tracker_key == "" and rec.tracker_error == ""
    assert rec.changes.filter(reason="Unlinked from its issue").exists()
    assert "No issue linked yet." in bob.get(page).content.decode()
