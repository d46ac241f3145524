"""percentiles_by_group: PostgreSQL's percentile_cont and the SQLite window-function version give the same numbers on
the same data (this file runs on both databases, each compared with the same reference), and both match the linear
interpolation percentile_cont defines."""

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import F

from retrospector.incidents.models import Incident, SeverityLevel
from retrospector.insights.percentiles import Seconds, percentiles_by_group

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def reference(values, p):
    """percentile_cont: the value at position p * (n - 1) in the sorted values, interpolated linearly."""
    ordered = sorted(values)
    pos = p * (len(ordered) - 1)
    low, high = ordered[math.floor(pos)], ordered[math.ceil(pos)]
    return low + (high - low) * (pos - math.floor(pos))


@pytest.fixture
def spread(people):
    """Incidents with known detection delays in three groups of 1, 2 and 40 values (with ties), and one without."""
    org = people["payments"].organization
    severity = {s.key: s for s in SeverityLevel.objects.filter(organization=org)}
    rng = random.Random(17)
    big = [rng.randint(0, 500) for _ in range(37)] + [42, 42, 42]
    groups = {("payments", "SEV2"): [7], ("platform", "SEV2"): [3, 11], ("payments", "SEV1"): big}
    rows = [
        Incident(
            organization=org,
            team=people[team],
            severity=severity[key],
            title="x",
            started_at=T0,
            detected_at=T0 + timedelta(minutes=m),
        )
        for (team, key), values in groups.items()
        for m in values
    ]
    rows.append(
        Incident(organization=org, team=people["payments"], severity=severity["SEV3"], title="x", started_at=T0)
    )
    Incident.objects.bulk_create(rows)
    return {f"{team}-{key}": values for (team, key), values in groups.items()}


@pytest.mark.parametrize("fractions", [(0.5, 0.9), (0.0, 0.25, 0.75, 1.0), (0.1,)])
def test_it_matches_percentile_cont_on_this_database(spread, fractions):
    rows = Incident.objects.annotate(
        group=F("team__slug"), key=F("severity__key"), seconds=Seconds("detected_at", "started_at")
    )
    by_team_and_severity = {}
    for key in ("SEV1", "SEV2"):
        for team, got in percentiles_by_group(
            rows.filter(severity__key=key), group="team__slug", value="seconds", fractions=fractions
        ).items():
            by_team_and_severity[f"{team}-{key}"] = got
    assert set(by_team_and_severity) == set(spread), connection.vendor
    for name, values in spread.items():
        got = by_team_and_severity[name]
        assert got.count == len(values)
        for p in fractions:
            assert got.values[p] == pytest.approx(reference([v * 60.0 for v in values], p), abs=1e-6), (name, p)


def test_a_group_with_only_nulls_is_left_out(spread):
    rows = Incident.objects.filter(severity__key="SEV3").annotate(seconds=Seconds("detected_at", "started_at"))
    assert percentiles_by_group(rows, group="team__slug", value="seconds") == {}


def test_several_values_at_once_match_one_at_a_time(spread):
    from retrospector.insights.percentiles import percentiles_by_group_of

    rows = Incident.objects.annotate(
        detect=Seconds("detected_at", "started_at"), doubled=Seconds("detected_at", "started_at") * 2
    )
    both = percentiles_by_group_of(rows, group="severity__key", values=["detect", "doubled"])
    assert both["detect"] == percentiles_by_group(rows, group="severity__key", value="detect")
    assert both["doubled"]["SEV1"].values[0.5] == 2 * both["detect"]["SEV1"].values[0.5]
    assert set(both["detect"]) == {"SEV1", "SEV2"}  # SEV3's only incident has no detection time


def test_groups_with_percentiles_count_every_row_and_name_each_group_in_the_same_query(
    spread, django_assert_num_queries
):
    from retrospector.insights.percentiles import groups_with_percentiles

    rows = Incident.objects.annotate(seconds=Seconds("detected_at", "started_at"))
    with django_assert_num_queries(1):
        groups = groups_with_percentiles(rows, group="severity", value="seconds", shown="severity__key")
    by_key = {g.shown: g for g in groups.values()}
    assert {key: g.rows for key, g in by_key.items()} == {"SEV1": 40, "SEV2": 3, "SEV3": 1}
    assert by_key["SEV3"].spread is None  # its one incident has no detection time: counted, without percentiles
    expected = percentiles_by_group(rows, group="severity__key", value="seconds")
    assert {key: g.spread for key, g in by_key.items() if g.spread} == expected
    # Without `shown`, the group is its own name.
    by_team = groups_with_percentiles(rows, group="team__slug", value="seconds")
    assert {team: (g.rows, g.shown) for team, g in by_team.items()} == {
        "payments": (42, "payments"),
        "platform": (2, "platform"),
    }
