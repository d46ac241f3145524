from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from retrospector.actions.services import recommendation_create
from retrospector.insights.indexing import search_reindex
from retrospector.insights.models import SearchDoc
from retrospector.insights.search import SearchFilters, search, search_terms
from retrospector.timeline.services import event_add, event_delete, event_update
from retrospector.writeups.services import section_save

pytestmark = pytest.mark.django_db

WHEN = timezone.now() - timedelta(days=3)


def _write(retrospective, key, body, by):
    section = retrospective.sections.get(key=key) if key else retrospective.sections.order_by("position").first()
    return section_save(section=section, body=body, base_version=section.version, by=by)


def _titles(results):
    return [(hit.kind, hit.title) for hit in results.hits]


@pytest.fixture
def pgbouncer(people, make_incident, make_retrospective, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(title="Checkout errors")
        event_add(
            incident=incident, by=people["alice"], occurred_at=WHEN, text="Restarted pgbouncer on db-2", actor="Bob"
        )
        retrospective = make_retrospective(incident)
        _write(retrospective, None, "The pgbouncer pool was exhausted by long transactions.", people["alice"])
    return incident, retrospective


def test_it_finds_pgbouncer_in_the_timeline_and_the_write_up(people, pgbouncer):
    incident, _ = pgbouncer
    results = search(user=people["bob"], query="pgbouncer")
    assert results.counts == {"event": 1, "section": 1}
    assert {hit.incident_id for hit in results.hits} == {incident.pk}
    assert all("<mark>pgbouncer</mark>" in hit.snippet for hit in results.hits)


def test_a_title_match_ranks_above_a_passing_mention(people, make_incident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(title="Checkout slow", summary="Among many things, the ledger was briefly mentioned once.")
        make_incident(title="Ledger outage")
    results = search(user=people["bob"], query="ledger")
    assert [hit.title for hit in results.hits] == ["Ledger outage", "Checkout slow"]


def test_snippets_escape_the_stored_text(people, make_incident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(title="XSS", summary='<script>alert("pgbouncer")</script> <b>bold</b> \ue000 pgbouncer')
    [hit] = search(user=people["bob"], query="pgbouncer").hits
    unmarked = hit.snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in unmarked and ">" not in unmarked  # every tag of the stored text escaped (or left out)
    assert hit.snippet.count("<mark>") == hit.snippet.count("</mark>") >= 1
    if connection.vendor == "sqlite":
        assert "&lt;script&gt;" in hit.snippet


def test_a_private_incident_of_another_team_is_never_shown_nor_counted(
    people, make_incident, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(title="Card numbers leaked via pgbouncer logs", visibility="private")
        make_incident(title="Pgbouncer config drift")
    for name, expected in [("charlie", 1), ("erin", 1), ("bob", 2), ("dana", 2), ("oscar", 2)]:
        results = search(user=people[name], query="pgbouncer")
        assert results.total == expected, name
        assert sum(results.counts.values()) == expected, name


def test_a_recommendation_follows_its_own_visibility(
    people, make_incident, make_retrospective, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(title="Quiet", visibility="private")
        retrospective = make_retrospective(incident)
        recommendation_create(retrospective=retrospective, by=people["alice"], title="Cap pgbouncer pool size")
    assert search(user=people["bob"], query="pgbouncer").counts == {"recommendation": 1}
    assert search(user=people["charlie"], query="pgbouncer").counts == {}


def test_filters_narrow_the_results(people, make_incident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mine = make_incident(title="Pgbouncer A", severity="SEV1")
        make_incident(title="Pgbouncer B", team="platform", by="charlie")
    bob = people["bob"]
    assert search(user=bob, query="pgbouncer").total == 2
    assert _titles(search(user=bob, query="pgbouncer", filters=SearchFilters(team=people["payments"].pk))) == [
        ("incident", "Pgbouncer A")
    ]
    assert search(user=bob, query="pgbouncer", filters=SearchFilters(severity=mine.severity_id)).total == 1
    assert search(user=bob, query="pgbouncer", filters=SearchFilters(state="closed")).total == 0
    assert search(user=bob, query="pgbouncer", filters=SearchFilters(kind="event")).total == 0
    later = (timezone.now() + timedelta(days=5)).date()
    assert search(user=bob, query="pgbouncer", filters=SearchFilters(since=later)).total == 0


def test_the_index_follows_edits_and_deletes(people, make_incident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(title="Checkout errors")
        event = event_add(incident=incident, by=people["alice"], occurred_at=WHEN, text="pgbouncer restarted")
    assert search(user=people["bob"], query="pgbouncer").total == 1
    with django_capture_on_commit_callbacks(execute=True):
        event_update(event=event, by=people["alice"], text="haproxy restarted")
    assert search(user=people["bob"], query="pgbouncer").total == 0
    assert search(user=people["bob"], query="haproxy").total == 1
    with django_capture_on_commit_callbacks(execute=True):
        event_delete(event=event, by=people["alice"])
    assert search(user=people["bob"], query="haproxy").total == 0
    with django_capture_on_commit_callbacks(execute=True):
        incident.delete()
    assert not SearchDoc.objects.exists()


def test_reindex_rebuilds_the_index(people, pgbouncer):
    SearchDoc.objects.all().delete()
    assert search(user=people["bob"], query="pgbouncer").total == 0
    progress = []
    counts = search_reindex(progress=lambda kind, done, total: progress.append((kind, done, total)))
    assert counts["event"] == 1 and counts["incident"] == 1 and counts["section"] >= 1
    assert search(user=people["bob"], query="pgbouncer").total == 2
    assert ("event", 1, 1) in progress


def test_query_syntax_is_words_and_phrases_only():
    terms = search_terms('pool "db two" AND NOT (x* OR -y^2:z NEAR(a b) "unbalanced')
    assert [t.words for t in terms] == [
        ("pool",),
        ("db", "two"),
        ("and",),
        ("not",),
        ("x",),
        ("or",),
        ("y",),
        ("2",),
        ("z",),
        ("near",),
        ("a",),
        ("b",),
    ]


def test_accounts_comments_findings_and_recommendations_are_found_and_follow_their_incident(
    people, make_incident, make_retrospective, django_capture_on_commit_callbacks
):
    from retrospector.actions.models import Finding
    from retrospector.reviews.models import Account, Comment, Thread

    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(title="Quiet", visibility="private")
        retrospective = make_retrospective(incident)
        section = retrospective.sections.order_by("position").first()
        Account.objects.create(retrospective=retrospective, author=people["bob"], body="I restarted pgbouncer twice")
        thread = Thread.objects.create(retrospective=retrospective, section=section, kind="question")
        Comment.objects.create(thread=thread, author=people["alice"], body="Why did pgbouncer hang?")
        Finding.objects.create(retrospective=retrospective, section_key=section.key, text="pgbouncer had no limit")
        recommendation_create(
            retrospective=retrospective, by=people["alice"], title="Alert", description="Page on pgbouncer saturation"
        )
    everything = {"account": 1, "comment": 1, "finding": 1, "recommendation": 1}
    assert search(user=people["dana"], query="pgbouncer").counts == everything
    assert search(user=people["charlie"], query="pgbouncer").counts == {}
    assert search(user=people["oscar"], query="pgbouncer").counts == everything


def test_an_incident_made_private_or_moved_follows_at_once(people, make_incident, django_capture_on_commit_callbacks):
    from retrospector.incidents.services import incident_update

    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(title="Checkout errors")
        event_add(incident=incident, by=people["alice"], occurred_at=WHEN, text="pgbouncer restarted")
    assert search(user=people["charlie"], query="pgbouncer").total == 1
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_update(incident=incident, by=people["alice"], visibility="private", title="Pgbouncer pool")
    assert search(user=people["charlie"], query="pgbouncer").total == 0
    assert search(user=people["bob"], query="pgbouncer").counts == {"event": 1, "incident": 1}
    with django_capture_on_commit_callbacks(execute=True):
        incident_update(incident=incident, by=people["oscar"], team=people["platform"])
    platform = SearchFilters(team=people["platform"].pk)
    assert search(user=people["oscar"], query="pgbouncer", filters=platform).total == 2
