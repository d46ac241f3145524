"""Past insights.search.CANDIDATES results a search counts and ranks only the newest CANDIDATES the reader may see, and
says so (a lower bound: "More than 1,000"). Here the cap is made small. Whatever the cap, what a reader may not see is
never counted, not even in whether the count is a lower bound; and an incident turned private leaves at once."""

import pytest

from retrospector.incidents.services import incident_update
from retrospector.insights import search as search_module
from retrospector.insights.search import SearchFilters, search
from retrospector.timeline.models import TimelineEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_cap(monkeypatch):
    monkeypatch.setattr(search_module, "CANDIDATES", 3)


@pytest.fixture
def events(people, make_incident, django_capture_on_commit_callbacks):
    """Five of bob's team's events and their incident with "pgbouncer"; then, newer, six of a private incident of
    platform (charlie's team) with it too."""
    with django_capture_on_commit_callbacks(execute=True):
        mine = make_incident(title="Pgbouncer pool exhausted")
        for n in range(5):
            TimelineEvent.objects.create(incident=mine, occurred_at=mine.started_at, actor="Bob", text=f"pgbouncer {n}")
        theirs = make_incident(team="platform", title="Secret", visibility="private", by="charlie")
        for n in range(6):
            TimelineEvent.objects.create(
                incident=theirs, occurred_at=theirs.started_at, actor="Charlie", text=f"pgbouncer hidden {n}"
            )
    return mine, theirs


def test_it_counts_up_to_the_cap_and_says_the_count_is_a_lower_bound(small_cap, people, events):
    results = search(user=people["bob"], query="pgbouncer")
    assert results.total == 3 and results.total_is_lower_bound
    assert sum(results.counts.values()) == 3 and results.counts_at_least == set(results.counts)
    assert len(results.hits) == 3 and results.pages == 1
    mine, _ = events
    assert {hit.incident_id for hit in results.hits} == {mine.pk}


def test_below_the_cap_counts_are_exact_and_everything_is_ranked(people, events):
    results = search(user=people["bob"], query="pgbouncer")
    assert results.total == 6 and not results.total_is_lower_bound and not results.counts_at_least
    assert results.counts == {"event": 5, "incident": 1}


def test_rows_a_reader_may_not_see_never_make_a_count_a_lower_bound(monkeypatch, people, events):
    """Bob may see exactly six rows (the cap); the private incident's six newer ones are not counted towards "more"."""
    monkeypatch.setattr(search_module, "CANDIDATES", 6)
    results = search(user=people["bob"], query="pgbouncer")
    assert results.total == 6 and not results.total_is_lower_bound
    charlie = search(user=people["charlie"], query="pgbouncer")
    assert charlie.total == 6 and charlie.total_is_lower_bound  # his team's private incident's six rows, and the six
    erin = search(user=people["erin"], query="hidden")  # in no team: the private incident's rows only match
    assert erin.total == 0 and not erin.total_is_lower_bound and erin.counts == {}


def test_a_kind_filter_counts_its_kind_again_past_the_cap(small_cap, people, events, django_assert_num_queries):
    search(user=people["bob"], query="anything")  # his teams, then kept on the user (accounts.selectors)
    with django_assert_num_queries(3):  # the newest of every kind, the newest of this kind, the page
        results = search(user=people["bob"], query="pgbouncer", filters=SearchFilters(kind="incident"))
    assert results.total == 1 and not results.total_is_lower_bound
    assert results.counts["incident"] == 1 and "incident" not in results.counts_at_least
    assert [hit.kind for hit in results.hits] == ["incident"]


def test_a_search_reads_two_queries(small_cap, people, events, django_assert_num_queries):
    search(user=people["bob"], query="anything")  # his teams, then kept on the user (accounts.selectors)
    with django_assert_num_queries(2):  # the candidates (with their counts), the page
        assert search(user=people["bob"], query="pgbouncer").total == 3


def test_the_api_and_the_page_say_the_count_is_a_lower_bound(small_cap, client_for, events):
    answer = client_for("bob").get("/api/v1/search", {"q": "pgbouncer"}).json()
    assert answer["count"] == 3 and answer["count_is_lower_bound"] is True
    assert answer["counts_at_least"] == sorted(answer["counts"])
    exact = client_for("bob").get("/api/v1/search", {"q": "pgbouncer", "kind": "incident"}).json()
    assert exact["count"] == 1 and exact["count_is_lower_bound"] is False
    page = client_for("bob").get("/search/", {"q": "pgbouncer"}).content.decode()
    assert "More than 3 results" in page and '<span class="badge">3+</span>' in page


def test_the_api_answers_exact_counts_as_before_below_the_cap(client_for, events):
    answer = client_for("bob").get("/api/v1/search", {"q": "pgbouncer"}).json()
    assert answer["count"] == 6 and answer["count_is_lower_bound"] is False and answer["counts_at_least"] == []


def test_an_incident_turned_private_leaves_other_teams_results_at_once(
    people, make_incident, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(title="Zookeeper quorum lost")
        TimelineEvent.objects.create(incident=incident, occurred_at=incident.started_at, actor="Bob", text="zookeeper")
    assert search(user=people["charlie"], query="zookeeper").total == 2
    with django_capture_on_commit_callbacks(execute=True):
        incident_update(incident=incident, by=people["alice"], visibility="private")
    hidden = search(user=people["charlie"], query="zookeeper")
    assert hidden.total == 0 and hidden.counts == {} and hidden.hits == []
    assert search(user=people["bob"], query="zookeeper").total == 2
