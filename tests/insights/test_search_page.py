import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(people, make_incident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(title="Card numbers leaked via pgbouncer logs", visibility="private")
        for n in range(25):
            make_incident(title=f"Pgbouncer restart {n}", summary="<b>pgbouncer</b> pool")
    return people


def test_the_page_shows_ranked_highlighted_results_with_counts(client_for, corpus):
    page = client_for("bob").get("/search/", {"q": "pgbouncer"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "26 results" in html
    assert "<mark>pgbouncer</mark>" in html.lower() or "<mark>Pgbouncer</mark>" in html
    assert "<b>" not in html.lower()  # escaped (SQLite) or left out by ts_headline (PostgreSQL)
    assert 'rel="next"' in html


def test_charlie_never_sees_nor_counts_the_private_incident_of_payments(client_for, corpus):
    html = client_for("charlie").get("/search/", {"q": "pgbouncer"}).content.decode()
    assert "25 results" in html
    assert "Card numbers" not in html
    html = client_for("charlie").get("/search/", {"q": "card numbers leaked"}).content.decode()
    assert "Card numbers" not in html and "Nothing matches" in html


def test_an_empty_query_shows_help_and_bad_filters_are_messages(client_for, corpus):
    html = client_for("bob").get("/search/").content.decode()
    assert "double quotes" in html
    page = client_for("bob").get("/search/", {"q": "pgbouncer", "since": "not a date", "team": "nope", "page": "x"})
    assert page.status_code == 200
    assert "Enter a valid date" in page.content.decode()


def test_filters_and_kind_links_narrow_the_page(client_for, corpus):
    html = client_for("bob").get("/search/", {"q": "pgbouncer", "kind": "event"}).content.decode()
    assert "Nothing matches these words with these filters" in html
    html = client_for("bob").get("/search/", {"q": "pgbouncer", "team": "platform"}).content.decode()
    assert "Nothing matches" in html


def test_the_page_reads_a_fixed_number_of_queries(client_for, corpus, django_assert_max_num_queries):
    client = client_for("bob")
    with django_assert_max_num_queries(12):
        assert client.get("/search/", {"q": "pgbouncer", "page": "2"}).status_code == 200


def test_the_header_has_a_labelled_search_box(client_for, corpus):
    html = client_for("bob").get("/incidents/").content.decode()
    assert 'action="/search/"' in html and 'for="site-search"' in html and 'aria-keyshortcuts="/"' in html


def test_it_asks_to_log_in(client):
    assert client.get("/search/", {"q": "x"}).status_code == 302
