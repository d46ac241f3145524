"""The demo shows the analysis and its follow-up: a systems analysis whose findings are records, recommendations
traced to them in every status (one overdue, one moved with its reason, one dropped with its reason), a proposal set
aside, and a later incident linking a recommendation instead of writing it again."""

import pytest
from django.test import Client
from django.urls import reverse

from retrospector.accounts.models import User
from retrospector.actions.models import Finding, Recommendation, RecommendationChange, SetAside
from retrospector.actions.selectors import is_overdue
from retrospector.writeups.models import Retrospective


@pytest.fixture
def demo(demo_loaded, db):
    return Retrospective.objects.get(template_version__template__key="systems-analysis")


def test_the_systems_analysis_has_its_findings_in_their_sections(demo):
    kinds = dict(Finding.objects.filter(retrospective=demo).values_list("section_key", "kind").distinct())
    assert kinds == {
        "safety-controls": "safety-control",
        "control-failures": "control-failure",
        "systemic-problems": "systemic-problem",
        "missing-controls": "missing-control",
    }


def test_its_recommendations_are_traced_and_in_every_status_with_their_reasons(demo):
    recommendations = list(Recommendation.objects.filter(links__retrospective=demo))
    assert {r.status for r in recommendations} == {"planned", "in-progress", "done", "dropped"}
    assert all(r.traces.filter(finding__retrospective=demo).exists() for r in recommendations)
    dropped = next(r for r in recommendations if r.status == "dropped")
    assert "retry budget" in dropped.status_reason and dropped.closed_at
    moved = next(r for r in recommendations if "runbook" in r.title)
    assert RecommendationChange.objects.filter(recommendation=moved, changes__has_key="commitment_date").exists()
    assert "owner field" in moved.status_reason
    assert [r.title for r in recommendations if is_overdue(r)] == [
        "Retry budget with backoff and jitter for database calls"
    ]
    assert SetAside.objects.filter(retrospective=demo).count() == 1


def test_a_later_incident_links_the_retry_budget_instead_of_writing_it_twice(demo):
    retry = Recommendation.objects.get(title__startswith="Retry budget")
    titles = sorted(retry.links.values_list("retrospective__incident__title", flat=True))
    assert len(titles) == 2 and any("Refunds queued" in t for t in titles)


def test_the_recommendation_page_of_the_demo_shows_its_story(demo):
    client = Client()
    client.force_login(User.objects.get(username="carol"))
    retry = Recommendation.objects.get(title__startswith="Retry budget")
    page = client.get(reverse("recommendation_detail", args=[retry.pk])).content.decode()
    assert "Refunds queued" in page and "Primary database failover" in page
    retrospective = client.get(reverse("retrospective_detail", args=[demo.pk])).content.decode()
    assert "Quarterly failover drill" in retrospective and "would not have helped here" in retrospective.lower()
