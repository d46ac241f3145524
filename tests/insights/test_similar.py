"""'Have we seen this before?' (insights.similar): what it finds and why, what it never shows, on the incident page,
beside the retrospective, and in the API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retrospector.actions.findings import finding_create
from retrospector.actions.services import recommendation_create, recommendation_update
from retrospector.insights import semantic
from retrospector.insights.similar import similar_incidents, words_of
from retrospector.writeups.services import section_save

pytestmark = pytest.mark.django_db


def _factor(retrospective, text, by):
    return finding_create(retrospective=retrospective, by=by, text=text, kind="contributing-factor")


@pytest.fixture
def world(people, make_incident, make_retrospective, django_capture_on_commit_callbacks):
    """Payments' new pgbouncer incident, an older one like it (with a recommendation in progress), platform's private
    one just as alike (with a recommendation of its own), and an unrelated certificate expiry."""
    alice, charlie = people["alice"], people["charlie"]
    with django_capture_on_commit_callbacks(execute=True):
        target = make_incident(
            title="Checkout 503s: pgbouncer pool exhausted",
            summary="Checkout could not get database connections from pgbouncer during the evening peak.",
            services=["checkout-api", "orders-db"],
        )
        _factor(make_retrospective(target), "The pgbouncer pool size was too small for peak traffic", alice)
        past = make_incident(
            title="Ledger writes stall as pgbouncer pool runs dry",
            summary="Ledger writes waited on pgbouncer connections.",
            services=["orders-db"],
        )
        past_retro = make_retrospective(past)
        section = past_retro.sections.get(key="summary")
        section_save(section=section, body="Batch jobs held pgbouncer connections.", base_version=1, by=alice)
        factor = _factor(past_retro, "pgbouncer pool size too small while batch jobs ran", alice)
        rec = recommendation_create(
            retrospective=past_retro, by=alice, title="Alert on pgbouncer clients waiting", findings=[factor]
        )
        recommendation_update(recommendation=rec, by=alice, changes={"status": "in-progress"})
        secret = make_incident(
            team="platform",
            by="charlie",
            title="Fraud database pgbouncer pool exhausted",
            summary="Private: pgbouncer connections ran out for fraud scoring.",
            services=["orders-db", "fraud-scoring"],
            visibility="private",
        )
        secret_retro = make_retrospective(secret)
        secret_factor = _factor(secret_retro, "pgbouncer pool size too small after a config rollout", charlie)
        recommendation_create(
            retrospective=secret_retro, by=charlie, title="Secret fraud pool fix", findings=[secret_factor]
        )
        unrelated = make_incident(title="Auth gateway certificate expired", services=["auth-gateway"])
    return {"target": target, "past": past, "secret": secret, "unrelated": unrelated, "rec": rec}


def _ids(results):
    return [r.incident.pk for r in results]


def test_it_finds_the_past_incident_sharing_services_factors_and_words(people, world):
    [first, *rest] = similar_incidents(user=people["bob"], incident=world["target"])
    assert first.incident == world["past"]
    assert first.shared_services == ["orders-db"]
    assert [f.theirs for f in first.shared_factors] == ["pgbouncer pool size too small while batch jobs ran"]
    assert {"pgbouncer", "pool"} <= set(first.shared_factors[0].words)
    assert "pgbouncer" in first.shared_words
    assert first.reasons[0] == "Same services: orders-db"
    assert world["unrelated"].pk not in _ids(rest)  # nothing in common


def test_it_lists_the_recommendations_it_produced_with_their_status(people, world):
    [first] = similar_incidents(user=people["bob"], incident=world["target"])
    assert [(r.title, r.status, r.status_label) for r in first.recommendations] == [
        ("Alert on pgbouncer clients waiting", "in-progress", "In progress")
    ]
    assert [w.title for w in first.writeups] == [first.incident.retrospectives.get().title]


def test_it_never_returns_nor_counts_a_private_incident_of_another_team(people, world):
    for name in ("bob", "dana", "erin"):
        assert world["secret"].pk not in _ids(similar_incidents(user=people[name], incident=world["target"])), name
    # Those who may see it do find it, with its recommendation.
    for name in ("charlie", "oscar"):
        found = similar_incidents(user=people[name], incident=world["target"])
        assert world["secret"].pk in _ids(found), name
    found = {r.incident.pk: r for r in similar_incidents(user=people["oscar"], incident=world["target"])}
    assert [r.title for r in found[world["secret"].pk].recommendations] == ["Secret fraud pool fix"]


def test_it_never_returns_the_incident_itself(people, world):
    for incident in (world["target"], world["past"]):
        assert incident.pk not in _ids(similar_incidents(user=people["oscar"], incident=incident, limit=20))


def test_the_draft_being_written_adds_its_words(people, world, make_incident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lone = make_incident(title="Something odd", services=["nothing-shared"])
    assert similar_incidents(user=people["bob"], incident=lone) == []
    found = similar_incidents(user=people["bob"], incident=lone, text="The certificate on the auth gateway expired.")
    assert _ids(found) == [world["unrelated"].pk]
    assert {"certificate", "gateway"} <= set(found[0].shared_words)


def test_equal_matches_go_to_the_most_recent_incident_then_the_highest_id(
    people, make_incident, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        target = make_incident(title="Zookeeper session expiry", services=["coordination"])
        twins = [make_incident(title="Zookeeper session expiry", services=["coordination"]) for _ in range(3)]
    found = similar_incidents(user=people["bob"], incident=target)
    assert _ids(found) == sorted((t.pk for t in twins), reverse=True)
    assert len({r.score for r in found}) == 1


def test_stop_words_and_numbers_are_not_matched_on():
    assert words_of("The incident was 2 hours: the DB (orders-db) failed!") == ["orders", "failed"]


# --- The panel on the incident page and beside the retrospective


def test_the_incident_page_shows_the_panel_with_reasons_and_recommendations(client_for, world):
    page = client_for("bob").get(f"/incidents/{world['target'].pk}/").content.decode()
    assert "Have we seen this before?" in page
    assert "Ledger writes stall as pgbouncer pool runs dry" in page
    assert "Same services:" in page and "orders-db" in page
    assert "Similar contributing factor" in page and "<mark>pgbouncer</mark>" in page
    assert "Alert on pgbouncer clients waiting" in page and "In progress" in page


def test_the_panel_never_hints_at_a_private_incident_of_another_team(client_for, world):
    for path in (f"/incidents/{world['target'].pk}/", f"/incidents/{world['target'].pk}/similar/"):
        page = client_for("bob").get(path).content.decode()
        assert "Fraud database" not in page and "Secret fraud pool fix" not in page, path
        assert page.count('class="similar-item"') == 1, path
    page = client_for("charlie").get(f"/incidents/{world['target'].pk}/").content.decode()
    assert "Fraud database pgbouncer pool exhausted" in page and "Secret fraud pool fix" in page


def test_the_panel_says_when_nothing_is_alike(client_for, make_incident):
    incident = make_incident(title="Something nobody has seen")
    page = client_for("bob").get(f"/incidents/{incident.pk}/").content.decode()
    assert 'id="similar-empty"' in page and "Nothing like it yet" in page


def test_the_retrospective_page_shows_the_panel_beside_the_sections(client_for, world):
    retrospective = world["target"].retrospectives.get()
    page = client_for("bob").get(f"/retrospectives/{retrospective.pk}/").content.decode()
    side = page[page.index('class="retro-side"') : page.index('class="retro-main"')]
    assert "Have we seen this before?" in side and "Ledger writes stall" in side
    assert "Compare with what I am writing" in side


def test_the_panel_compares_the_draft_in_place(client_for, world, make_incident):
    lone = make_incident(title="Something odd")
    client = client_for("bob")
    answer = client.post(
        f"/incidents/{lone.pk}/similar/",
        {"body": "Auth gateway certificate expired", "compact": "1"},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "<html" not in html  # the panel alone
    assert "Auth gateway certificate expired" in html and "using your unsaved draft" in html


def test_the_similar_page_is_404_for_an_incident_the_reader_may_not_see(client_for, world):
    assert client_for("bob").get(f"/incidents/{world['secret'].pk}/similar/").status_code == 404
    assert client_for("bob").post(f"/incidents/{world['secret'].pk}/similar/", {"text": "x"}).status_code == 404


def test_the_incident_page_reads_the_same_number_of_queries_however_many_are_alike(
    client_for, world, make_incident, django_capture_on_commit_callbacks
):
    client = client_for("bob")
    url = f"/incidents/{world['target'].pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(4):
            make_incident(title=f"Pgbouncer pool exhausted again {n}", services=["orders-db", "checkout-api"])
    if semantic.enabled():
        client.get(url)  # the vectors changed: each process reads them again once (insights.semantic), then no more
    with CaptureQueriesContext(connection) as five:
        page = client.get(url).content.decode()
    assert page.count('class="similar-item"') == 5
    assert len(five.captured_queries) == len(one.captured_queries)


# --- The API


def test_the_api_answers_the_reasons_and_recommendations(client_for, world):
    answer = client_for("bob").get(f"/api/v1/incidents/{world['target'].pk}/similar").json()
    assert answer["incident_id"] == world["target"].pk
    [item] = answer["results"]
    assert item["id"] == world["past"].pk and item["team"] == "payments"
    assert item["shared_services"] == ["orders-db"]
    assert item["shared_factors"][0]["text"] == "pgbouncer pool size too small while batch jobs ran"
    assert "pgbouncer" in item["shared_words"] and item["reasons"][0] == "Same services: orders-db"
    assert item["recommendations"] == [
        {
            "id": world["rec"].pk,
            "title": "Alert on pgbouncer clients waiting",
            "status": "in-progress",
            "url": f"/recommendations/{world['rec'].pk}/",
        }
    ]


def test_the_api_never_returns_a_private_incident_of_another_team(client_for, world):
    url = f"/api/v1/incidents/{world['target'].pk}/similar"
    assert [r["id"] for r in client_for("bob").get(url).json()["results"]] == [world["past"].pk]
    assert world["secret"].pk in [r["id"] for r in client_for("charlie").get(url).json()["results"]]


def test_the_api_is_404_for_an_incident_the_caller_may_not_see(client_for, world):
    answer = client_for("bob").get(f"/api/v1/incidents/{world['secret'].pk}/similar")
    assert answer.status_code == 404
    assert client_for("bob").get("/api/v1/incidents/999999/similar").status_code == 404


def test_the_api_limit_is_checked(client_for, world, make_incident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            make_incident(title=f"Pgbouncer pool exhausted again {n}", services=["orders-db"])
    client = client_for("bob")
    url = f"/api/v1/incidents/{world['target'].pk}/similar"
    assert len(client.get(url, {"limit": 2}).json()["results"]) == 2
    assert client.get(url, {"limit": 0}).status_code == 422
    assert client.get(url, {"limit": 500}).status_code == 422


def test_the_api_reads_a_fixed_number_of_queries(
    client_for, world, make_incident, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(6):
            make_incident(title=f"Pgbouncer pool exhausted again {n}", services=["orders-db"])
    client = client_for("bob")
    url = f"/api/v1/incidents/{world['target'].pk}/similar?limit=10"
    client.get(url)
    # session and user, the incident, its services, factors and sections, word counts, the ranked match, shared
    # services, the candidates, their services and factors, the best ones read whole, the words found, write-ups and
    # recommendations; and with the semantic extra, the vectors' version stamp and the visible incidents' ids
    with django_assert_max_num_queries(19 if semantic.enabled() else 17):
        answer = client.get(url).json()
    assert len(answer["results"]) == 7


def test_the_recommendations_shown_are_exactly_those_the_reader_may_see(people, world):
    """Fast path: no permission rule on the recommendations of the incidents found (they are visible ones); the same as
    recommendations_visible_to for each reader."""
    from retrospector.actions.models import RecommendationLink
    from retrospector.actions.selectors import recommendations_visible_to

    for name in ("bob", "charlie", "erin", "oscar"):
        found = similar_incidents(user=people[name], incident=world["target"], limit=20)
        shown = {rec.id for item in found for rec in item.recommendations}
        called_for = RecommendationLink.objects.filter(
            retrospective__incident__in=[item.incident for item in found]
        ).values("recommendation_id")
        assert shown == set(
            recommendations_visible_to(people[name]).filter(pk__in=called_for).values_list("pk", flat=True)
        ), name


def test_the_command_answers_as_a_person(people, world):
    import json
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("similar", str(world["target"].pk), "--as", "bob", stdout=out)
    text = out.getvalue()
    assert "Ledger writes stall" in text and "Same services: orders-db" in text and "[In progress]" in text
    assert "Fraud database" not in text
    out = StringIO()
    call_command("similar", str(world["target"].pk), "--as", "charlie", "--format", "json", stdout=out)
    assert world["secret"].pk in [r["id"] for r in json.loads(out.getvalue())["results"]]
    with pytest.raises(CommandError, match="may see"):
        call_command("similar", str(world["secret"].pk), "--as", "bob", stdout=StringIO())
