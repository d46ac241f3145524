"""Insights that count whole days: a recommendation is done within its priority's target when the UTC calendar day it
was closed is at most the target's days after the day it was created (computed in SQL on both databases)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from retrospector.actions.models import Recommendation
from retrospector.actions.tracking import priority_targets
from retrospector.insights.metrics import InsightFilters, completion_within_target

pytestmark = pytest.mark.django_db


def _done(people, *, created: datetime, closed: datetime, team="payments", priority="P1"):
    team = people[team]
    rec = Recommendation.objects.create(
        organization=team.organization, team=team, title="Add a saturation alert", priority=priority, status="done"
    )
    Recommendation.objects.filter(pk=rec.pk).update(created_at=created, closed_at=closed)
    return rec


def test_done_on_the_targets_last_day_counts_as_within_and_a_day_later_does_not(people):
    p1 = next(t for t in priority_targets(people["payments"].organization_id) if t.name == "P1")
    created = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # late in the day: only the calendar day matters
    _done(people, created=created, closed=datetime(2026, 3, 2, 0, 0, tzinfo=UTC) + timedelta(days=p1.days, hours=23))
    _done(people, created=created, closed=datetime(2026, 3, 2, 0, 0, tzinfo=UTC) + timedelta(days=p1.days + 1))
    _done(people, created=created, closed=created + timedelta(hours=1))  # the next day: one day

    table = completion_within_target(people["bob"], InsightFilters(date(2026, 1, 1), date(2026, 12, 31)))

    row = next(r for r in table.rows if r[0] == "P1")
    assert row == ["P1", p1.days, 3, 2, 66.7]


def test_another_teams_recommendation_is_counted_only_for_those_who_may_see_it(people):
    created = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    _done(people, created=created, closed=created + timedelta(days=1), team="platform")
    _done(people, created=created, closed=created + timedelta(days=1), team="payments")
    filters = InsightFilters(date(2026, 1, 1), date(2026, 12, 31))

    for_bob = next(r for r in completion_within_target(people["bob"], filters).rows if r[0] == "P1")
    for_oscar = next(r for r in completion_within_target(people["oscar"], filters).rows if r[0] == "P1")

    assert (for_bob[2], for_bob[3]) == (1, 1)
    assert (for_oscar[2], for_oscar[3]) == (2, 2)
