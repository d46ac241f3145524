"""Insights on the cache of production (settings.CACHES["insights"]: in the database, shared by every process and the
worker): a table is served only under the data version it was computed with, a committed change is seen at once,
the worker computes a reader's default view after a change so that the page then reads only the cache, and one
reader's tables are never served to another."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from retrospector import settings as product_settings
from retrospector.actions.selectors import today_utc
from retrospector.incidents.models import Incident
from retrospector.insights import cached
from retrospector.insights.metrics import INSIGHTS
from retrospector.insights.models import InsightsCacheEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def shared_cache():
    with override_settings(CACHES=product_settings.CACHES):
        assert cached.shared()
        yield caches["insights"]


def _incident(make_incident, *, visibility="organization", team="payments", hours=2):
    start = cached.default_range()[0] + timedelta(days=3)
    started = datetime.combine(start, time(12), tzinfo=UTC)
    return make_incident(
        team=team,
        visibility=visibility,
        started_at=started,
        detected_at=started + timedelta(minutes=5),
        resolved_at=started + timedelta(hours=hours),
    )


def _total(client) -> int:
    return sum(r["total"] for r in client.get("/api/v1/insights/incident-count").json()["rows"])


def test_the_tables_live_in_the_database_and_a_second_read_computes_nothing(client_for, make_incident):
    _incident(make_incident)
    bob = client_for("bob")
    assert bob.get("/insights/").status_code == 200
    assert InsightsCacheEntry.objects.filter(cache_key__contains=":insights:").count() >= len(INSIGHTS)
    with CaptureQueriesContext(connection) as read:
        assert bob.get("/insights/").status_code == 200
    # The version with the reader's scope, then the 14 tables: two queries, nothing computed (the rest is the page:
    # session, user, form, bell).
    assert _computed(read) == [] and len(_cache_reads(read)) == 2
    with CaptureQueriesContext(connection) as one:
        assert bob.get("/api/v1/insights/by-team").status_code == 200
    assert len(one.captured_queries) <= 4 and _computed(one) == []


def _cache_reads(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "insights_cache" in q["sql"]]


def _computed(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if '"incidents_incident".' in q["sql"]]


def test_a_committed_change_is_seen_at_once_by_every_process(client_for, make_incident, committing):
    bob = client_for("bob")
    with committing():
        _incident(make_incident)
    assert _total(bob) == 1
    with committing():
        _incident(make_incident)
    assert _total(bob) == 2
    # The version is in the shared table, not in this process: another process reads the same one.
    version = cached.data_version()
    caches["insights"].close()
    assert cached.data_version() == version
    with committing():
        Incident.objects.first().delete()
    assert cached.data_version() != version
    assert _total(bob) == 1


def test_a_change_queues_one_refresh_and_the_worker_computes_the_readers_default_view(
    client_for, make_incident, committing
):
    from django_tasks_db.models import DBTaskResult

    bob = client_for("bob")
    assert _total(bob) == 0  # bob opened the default view: he is a reader to keep ready
    with committing():
        _incident(make_incident)
        _incident(make_incident, team="platform")
    assert DBTaskResult.objects.filter(task_path=cached.refresh_insights.module_path, status="READY").count() == 1

    assert cached.insights_refresh() == {"readers": 1}
    with CaptureQueriesContext(connection) as read:
        assert _total(bob) == 2
    assert len(read.captured_queries) <= 4 and _computed(read) == []  # served from the cache
    # Run twice, it finds everything current and computes nothing.
    with CaptureQueriesContext(connection) as again:
        cached.insights_refresh()
    assert _computed(again) == [] and len(again.captured_queries) <= 4


def test_a_reader_who_left_the_default_view_long_ago_is_not_refreshed(client_for, people, shared_cache):
    _total(client_for("bob"))
    shared_cache.set(cached.READERS_KEY, {people["bob"].pk: (today_utc() - timedelta(days=30)).isoformat()}, None)
    assert cached.insights_refresh() == {"readers": 0}


def test_the_refresh_does_not_count_as_reading(client_for, people, shared_cache):
    _total(client_for("bob"))
    ten_days_ago = (today_utc() - timedelta(days=10)).isoformat()
    shared_cache.set(cached.READERS_KEY, {people["bob"].pk: ten_days_ago}, None)
    cached.data_version_bump()
    assert cached.insights_refresh() == {"readers": 1}
    assert shared_cache.get(cached.READERS_KEY) == {people["bob"].pk: ten_days_ago}  # he drops out in 4 days


def test_one_readers_tables_are_never_served_to_another_who_sees_other_incidents(client_for, make_incident):
    _incident(make_incident, visibility="private", team="payments")
    _incident(make_incident, team="platform")
    bob, charlie = client_for("bob"), client_for("charlie")
    assert _total(bob) == 2  # bob is of payments: he sees its private incident
    assert _total(charlie) == 1
    assert _total(bob) == 2 and _total(charlie) == 1  # both from the cache now


def test_people_who_see_the_same_incidents_share_the_tables_until_one_of_them_changes_team(
    client_for, people, make_incident, committing
):
    from retrospector.accounts.models import Membership

    _incident(make_incident, visibility="private", team="payments")
    _incident(make_incident, team="platform")
    assert _total(client_for("bob")) == 2
    # dana (a viewer of payments) sees what bob sees: his table serves her, nothing computed.
    dana = client_for("dana")
    with CaptureQueriesContext(connection) as read:
        assert _total(dana) == 2
    assert _computed(read) == []
    assert people["dana"].pk in caches["insights"].get(cached.READERS_KEY)  # kept ready for her too from now on
    # Once she leaves payments she is of another scope: her own figures, without its private incident.
    with committing():
        Membership.objects.filter(user=people["dana"]).delete()
    assert _total(dana) == 1
    assert _total(client_for("bob")) == 2


def test_someone_invited_to_a_private_incident_has_tables_of_their_own(client_for, people, make_incident):
    private = _incident(make_incident, visibility="private", team="payments")
    _incident(make_incident, team="platform")
    assert cached.visibility_scope(people["charlie"]) != cached.visibility_scope(people["erin"])
    private.invitees.add(people["erin"])  # erin is in no team; the invitation shows her the private incident
    assert _total(client_for("charlie")) == 1
    assert _total(client_for("erin")) == 2
    assert cached.visibility_scope(people["bob"]) == cached.visibility_scope(people["dana"])
    assert cached.visibility_scope(people["oscar"]) != cached.visibility_scope(people["bob"])


def test_a_log_in_moves_no_version_but_a_rename_does(people, committing):
    with committing():
        pass  # what the fixtures saved (the people), committed first
    version = cached.data_version()
    alice = people["alice"]
    with committing():
        alice.save(update_fields=["last_login"])
    assert cached.data_version() == version
    with committing():
        team = people["payments"]
        team.name = "Payments and billing"
        team.save()
    assert cached.data_version() != version


def test_a_transaction_that_saves_many_rows_moves_the_version_once(people, make_incident, committing, monkeypatch):
    """The version bump and the look at the worker's queue run once per commit, not once per saved row."""
    with committing():
        pass
    bumps = []
    bump = cached.data_version_bump
    monkeypatch.setattr(cached, "data_version_bump", lambda: bumps.append(1) or bump())
    with committing():
        for _ in range(5):
            _incident(make_incident)
    assert len(bumps) == 1
    with committing():  # the next transaction moves it again
        _incident(make_incident)
    assert len(bumps) == 2


# Committed for real (the worker's own connection and transactions), as the other tests of `retrospector worker`.
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("builtin_templates_put_back")
def test_the_worker_runs_the_queued_refresh(client_for, make_incident):
    from conftest import run_worker_command
    from django_tasks_db.models import DBTaskResult

    bob = client_for("bob")
    assert _total(bob) == 0
    _incident(make_incident)  # committed: the version moves on and the refresh is queued
    run_worker_command()
    task = DBTaskResult.objects.get(task_path=cached.refresh_insights.module_path)
    assert task.status == "SUCCESSFUL" and task.return_value == {"readers": 1}
    with CaptureQueriesContext(connection) as read:
        assert _total(bob) == 1
    assert _computed(read) == []
