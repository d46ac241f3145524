import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(people, make_incident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(title="Card numbers leaked via pgbouncer logs", visibility="private")
        for n in range(30):
            make_incident(title=f"Pgbouncer restart {n}", summary='<img src=x onerror="alert(1)"> pgbouncer pool')
    return people


def test_it_answers_ranked_results_with_safe_snippets(client_for, corpus):
    answer = client_for("bob").get("/api/v1/search", {"q": "pgbouncer", "page_size": 10}).json()
    assert answer["count"] == 31 and answer["counts"] == {"incident": 31} and answer["pages"] == 4
    hit = answer["results"][0]
    assert set(hit) == {"kind", "id", "title", "context", "snippet", "url", "incident_id", "score"}
    assert hit["kind"] == "incident" and hit["url"] == f"/incidents/{hit['id']}/"
    snippets = " ".join(r["snippet"] for r in answer["results"])
    assert "<img" not in snippets and "<mark>" in snippets
    scores = [r["score"] for r in answer["results"]]
    assert scores == sorted(scores, reverse=True)


def test_charlie_never_finds_nor_counts_payments_private_incident(client_for, corpus):
    answer = client_for("charlie").get("/api/v1/search", {"q": "card numbers pgbouncer"}).json()
    assert answer["count"] == 0 and answer["counts"] == {} and answer["results"] == []
    assert client_for("charlie").get("/api/v1/search", {"q": "pgbouncer"}).json()["count"] == 30


def test_filters_by_kind_and_team(client_for, corpus):
    client = client_for("bob")
    assert client.get("/api/v1/search", {"q": "pgbouncer", "kind": "event"}).json()["count"] == 0
    assert client.get("/api/v1/search", {"q": "pgbouncer", "team": "platform"}).json()["count"] == 0
    assert client.get("/api/v1/search", {"q": "pgbouncer", "team": "no-such-team"}).json()["count"] == 0
    assert client.get("/api/v1/search", {"q": "pgbouncer", "team": "payments"}).json()["count"] == 31
    assert client.get("/api/v1/search", {"q": "pgbouncer", "kind": "nonsense"}).status_code == 422


@pytest.mark.parametrize("q", ['"', "NEAR(", "a" * 500, "((pgbouncer", "pgbouncer AND OR NOT", "\x00", "-^:*"])
def test_query_syntax_is_never_an_error(client_for, corpus, q):
    assert client_for("bob").get("/api/v1/search", {"q": q}).status_code == 200


def test_it_reads_a_fixed_number_of_queries(client_for, corpus, django_assert_max_num_queries):
    client = client_for("bob")
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/search", {"q": "pgbouncer", "page": 2, "page_size": 25}).status_code == 200
