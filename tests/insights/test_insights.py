"""Insights: the numbers, who may see them, their filters, CSV and the cache."""

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.cache import cache

from retrospector.actions.models import Finding, Recommendation, RecommendationLink
from retrospector.incidents.models import Incident, Service
from retrospector.insights.metrics import INSIGHTS
from retrospector.reviews.models import Deadline, SurveyResponse
from retrospector.writeups.models import Retrospective, StateChange, TemplateVersion

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)
RANGE = {"since": "2026-01-01", "until": "2026-12-01"}


def _incident(make_incident, people, *, team="payments", minutes=(5, 10, 30, 60), services=(), **extra):
    detect, ack, mitigate, resolve = (T0 + timedelta(minutes=m) if m is not None else None for m in minutes)
    incident = make_incident(
        team=team,
        started_at=T0,
        detected_at=detect,
        acknowledged_at=ack,
        mitigated_at=mitigate,
        resolved_at=resolve,
        **extra,
    )
    if services:
        org = people["payments"].organization
        incident.services.set([Service.objects.get_or_create(organization=org, name=name)[0] for name in services])
    return incident


def _learning(incident, people, *, factor="Retries without backoff", status="planned", overdue=False):
    """A retrospective of `incident` with a contributing factor, a recommendation, a late review step and a survey."""
    version = TemplateVersion.objects.filter(template__key="postmortem", template__organization=None).first()
    retro = Retrospective.objects.create(
        incident=incident,
        template_version=version,
        title=incident.title,
        state="done",
        done_at=T0 + timedelta(hours=30),
    )
    StateChange.objects.create(retrospective=retro, from_state="draft", to_state="in_review")
    StateChange.objects.filter(retrospective=retro).update(at=T0 + timedelta(hours=6))
    Finding.objects.create(retrospective=retro, section_key="analysis", kind="contributing-factor", text=factor)
    rec = Recommendation.objects.create(
        organization=incident.organization,
        team=incident.team,
        title=f"Fix {factor}",
        status=status,
        commitment_date=date(2026, 1, 1) if overdue else None,
    )
    Recommendation.objects.filter(pk=rec.pk).update(created_at=T0)
    RecommendationLink.objects.create(recommendation=rec, retrospective=retro)
    Deadline.objects.create(retrospective=retro, step="first_draft", due_on=date(2026, 5, 10))
    SurveyResponse.objects.create(retrospective=retro, user=people["alice"], useful=4, fair=5)
    return retro


@pytest.fixture
def data(people, make_incident):
    for i, team in enumerate(["payments", "platform", "platform"]):
        incident = _incident(
            make_incident, people, team=team, minutes=(5 + i, 10 + i, 30, 60 * (i + 1)), services=["checkout"]
        )
        _learning(incident, people, overdue=(i == 0))
    # payments' private incident: unlike the others in every figure (slow, a SEV1, its own service and factor).
    private = _incident(
        make_incident,
        people,
        minutes=(600, 700, 800, 5000),
        services=["card-vault", "checkout"],
        visibility="private",
        severity="SEV1",
    )
    _learning(private, people, factor="Secret rotation forgotten", status="in_progress", overdue=True)
    return private


def _all_numbers(client):
    return {name: client.get(f"/api/v1/insights/{name}", RANGE).json() for name in INSIGHTS}


def _all_csv(client):
    return {name: client.get(f"/api/v1/insights/{name}", {**RANGE, "format": "csv"}).content for name in INSIGHTS}


def _page(client, name=""):
    path = f"/insights/{name}/" if name else "/insights/"
    page = client.get(path, RANGE).content.decode()
    return page[page.index("<main") : page.index("</main>")]


def test_a_private_incident_of_another_team_changes_no_number_for_charlie(client_for, data):
    charlie = client_for("charlie")
    with_private = (_all_numbers(charlie), _all_csv(charlie), _page(charlie), _page(charlie, "response-times"))
    bob_with_private = _all_numbers(client_for("bob"))
    # The same reader's figures once the private incident (and what came of it) is gone: identical.
    Recommendation.objects.filter(links__retrospective__incident=data).delete()
    data.delete()
    cache.clear()
    without = (_all_numbers(charlie), _all_csv(charlie), _page(charlie), _page(charlie, "response-times"))
    assert with_private[0] == without[0]
    assert with_private[1] == without[1]
    assert with_private[2] == without[2]
    assert with_private[3] == without[3]
    # Bob, of the private incident's team, sees it in the figures (so the data above did test something).
    assert bob_with_private != _all_numbers(client_for("bob"))
    assert "card-vault" not in json.dumps(with_private[0]) and b"card-vault" not in b"".join(with_private[1].values())
    assert "Secret rotation" not in with_private[2]


def test_bob_counts_his_teams_private_incident(client_for, data):
    bob = client_for("bob").get("/api/v1/insights/by-severity", RANGE).json()
    charlie = client_for("charlie").get("/api/v1/insights/by-severity", RANGE).json()
    assert {r["category"]: r["incidents"] for r in bob["rows"]} == {"SEV1": 1, "SEV2": 3}
    assert {r["category"]: r["incidents"] for r in charlie["rows"]} == {"SEV2": 3}
    services = client_for("bob").get("/api/v1/insights/recurring-services", RANGE).json()["rows"]
    assert services == [{"service": "checkout", "incidents": 4, "months": 1}]


def test_it_answers_medians_and_90th_percentiles_in_hours(client_for, data):
    answer = client_for("charlie").get("/api/v1/insights/response-times", RANGE).json()
    may = next(r for r in answer["rows"] if r["period"] == "2026-05-01")
    # Resolved after 1, 2 and 3 hours: median 2, 90th percentile 2.8 (interpolated as percentile_cont does).
    assert may["incidents"] == 3 and may["resolve_median"] == 2.0 and may["resolve_p90"] == 2.8
    assert may["detect_median"] == pytest.approx(6 / 60, abs=0.01)
    assert answer["bucket"] == "month" and len(answer["rows"]) == 12
    assert next(r for r in answer["rows"] if r["period"] == "2026-06-01")["resolve_median"] is None


def test_learning_and_process_figures(client_for, data):
    charlie = client_for("charlie")

    def rows(name):
        return charlie.get(f"/api/v1/insights/{name}", RANGE).json()["rows"]

    assert rows("contributing-factors") == [{"factor": "retries without backoff", "incidents": 3}]
    assert {r["status"]: r["recommendations"] for r in rows("recommendations-by-status")}["Planned"] == 3
    assert {r["team"]: r["overdue"] for r in rows("overdue-by-team")} == {"Payments": 1, "Platform": 0}
    assert rows("retrospective-share") == [
        {"severity": "SEV2", "incidents": 3, "with_retrospective": 3, "share": 100.0}
    ]
    may = next(r for r in rows("writeup-times") if r["period"] == "2026-05-01")
    # Resolved 1, 2, 3 hours after the start; in review 6 hours after it, done 30 hours after it.
    assert may["draft_median"] == 4.0 and may["done_median"] == 28.0 and may["done"] == 3
    assert {r["step"]: r["overdue"] for r in rows("overdue-reviews")}["First draft"] == 3
    assert {r["score"]: (r["useful"], r["fair"]) for r in rows("survey-results")}[4] == (3, 0)


def test_filters_narrow_by_team_severity_service_and_weeks(client_for, data):
    bob = client_for("bob")
    count = bob.get("/api/v1/insights/incident-count", {**RANGE, "team": "platform"}).json()
    assert sum(r["total"] for r in count["rows"]) == 2
    sev1 = bob.get("/api/v1/insights/incident-count", {**RANGE, "severity": "SEV1"}).json()
    assert sum(r["total"] for r in sev1["rows"]) == 1
    vault = bob.get("/api/v1/insights/by-team", {**RANGE, "service": "card-vault"}).json()
    assert vault["rows"][0]["category"] == "Payments" and vault["rows"][0]["incidents"] == 1
    weeks = bob.get("/api/v1/insights/incident-count", {"since": "2026-04-20", "until": "2026-05-31"}).json()
    assert weeks["bucket"] == "week" and {"period": "2026-05-04"}.items() <= weeks["rows"][2].items()
    assert weeks["rows"][2]["total"] == 4


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"since": "2026-13-01"}, "since", "From: enter a date as YYYY-MM-DD."),
        ({"until": "yesterday"}, "until", "To: enter a date as YYYY-MM-DD."),
        ({"since": "2026-05-01", "until": "2026-04-01"}, "until", "To: the range ends before it starts"),
        ({"team": "no-such-team"}, "team", "Team: there is no team no-such-team"),
        ({"severity": "SEV9"}, "severity", "Severity: there is no severity SEV9"),
    ],
)
def test_bad_filters_name_the_field(client_for, people, params, field, message):
    answer = client_for("bob").get("/api/v1/insights/incident-count", params)
    assert answer.status_code == 422
    assert answer.json()["field"] == field and answer.json()["detail"].startswith(message)
    page = client_for("bob").get("/insights/incident-count/", params)
    assert page.status_code == 200 and message in page.content.decode()


def test_an_unknown_name_answers_404_with_the_names(client_for, people):
    answer = client_for("bob").get("/api/v1/insights/nonsense")
    assert answer.status_code == 404
    assert all(name in answer.json()["detail"] for name in INSIGHTS)
    assert client_for("bob").get("/insights/nonsense/").status_code == 404


def test_csv_cells_that_would_run_as_formulas_are_escaped(client_for, people, make_incident):
    _incident(make_incident, people, services=['=HYPERLINK("http://x")', "+1", "@sum", "-2"])
    for url in ("/api/v1/insights/by-service", "/insights/by-service/"):
        text = client_for("bob").get(url, {**RANGE, "format": "csv"}).content.decode()
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == [
            "Service",
            "Incidents",
            "Median time to resolve (hours)",
            "90th percentile time to resolve (hours)",
        ]
        assert sorted(r[0] for r in rows[1:]) == ["'+1", "'-2", '\'=HYPERLINK("http://x")', "'@sum"]


def test_pages_show_charts_tables_and_csv_links(client_for, data):
    page = _page(client_for("bob"))
    for group in ("Incidents", "Learning", "Process"):
        assert f">{group}</h2>" in page
    assert page.count('data-insight-chart="') == page.count('type="application/json"') >= 10
    assert "format=csv" in page and "<table>" in page and 'role="img"' in page
    one = _page(client_for("bob"), "by-service")
    assert "card-vault" in one and '<details class="insight-table" open>' in one


def test_an_empty_organization_shows_empty_states(client_for, people):
    page = _page(client_for("erin"), "contributing-factors")
    assert "Nothing to show for these filters." in page


def test_pages_and_api_read_a_fixed_number_of_queries(client_for, data, django_assert_max_num_queries):
    bob = client_for("bob")
    with django_assert_max_num_queries(45):  # 14 insights, from 1 to 5 queries each, plus the session and the form
        assert bob.get("/insights/", RANGE).status_code == 200
    cache.clear()
    with django_assert_max_num_queries(12):  # session, user, teams, 4 percentile queries, the bell, 3 filter lists
        assert bob.get("/insights/response-times/", RANGE).status_code == 200
    cache.clear()
    with django_assert_max_num_queries(6):
        assert bob.get("/api/v1/insights/by-service", RANGE).status_code == 200
    # Cached: the same page again reads only the session, the user and the form's lookups.
    with django_assert_max_num_queries(3):
        assert bob.get("/api/v1/insights/by-service", RANGE).status_code == 200


def test_a_change_is_seen_at_once_in_the_cached_figures(client_for, people, make_incident, committing):
    bob = client_for("bob")

    def total():
        rows = bob.get("/api/v1/insights/incident-count", RANGE).json()["rows"]
        return sum(r["total"] for r in rows)

    with committing():
        _incident(make_incident, people)
    assert total() == 1
    with committing():
        _incident(make_incident, people)
    assert total() == 2
    with committing():
        Incident.objects.filter(pk=Incident.objects.first().pk).update(visibility="private")
        Incident.objects.first().save()
    assert total() == 2


def test_it_asks_a_stranger_to_log_in(client, data):
    assert client.get("/insights/").status_code == 302
    assert client.get("/insights/by-team/", {"format": "csv"}).status_code == 302
    assert client.get("/api/v1/insights/by-team").status_code == 401
