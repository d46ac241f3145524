"""Owners hear once when a recommendation they own passes its commitment date."""

import datetime as dt

import pytest

from retrospector.actions.models import Recommendation
from retrospector.actions.overdue import overdue_notices
from retrospector.actions.services import recommendation_create, recommendation_update
from retrospector.notifications.models import Notification


@pytest.fixture
def recommendation(people, make_incident, make_retrospective):
    def make(*, owner="bob", visibility="organization", title="Alert on checkout errors"):
        retrospective = make_retrospective(make_incident(visibility=visibility))
        return recommendation_create(retrospective=retrospective, by=people["alice"], title=title, owner=people[owner])

    return make


def _past(recommendation, days):
    Recommendation.objects.filter(pk=recommendation.pk).update(
        commitment_date=dt.date.today() - dt.timedelta(days=days)
    )


def _told(user):
    return list(Notification.objects.filter(recipient=user, key__contains=":overdue:").values_list("title", flat=True))


def test_an_owner_is_told_once_when_their_recommendation_is_overdue(people, recommendation):
    late = recommendation()
    _past(late, 3)
    on_time = recommendation(title="Runbook owners")
    Recommendation.objects.filter(pk=on_time.pk).update(commitment_date=dt.date.today() + dt.timedelta(days=3))
    assert overdue_notices() == 1
    assert overdue_notices() == 0  # the same date is told once
    assert _told(people["bob"]) == [
        f"Overdue since {(dt.date.today() - dt.timedelta(days=3)).isoformat()}: {late.title}"
    ]


def test_a_moved_date_that_passes_again_is_told_again_and_done_ones_never(people, recommendation):
    late = recommendation()
    _past(late, 3)
    overdue_notices()
    _past(late, 1)  # moved, and passed again
    assert overdue_notices() == 1
    done = recommendation(title="Done already")
    recommendation_update(recommendation=done, by=people["bob"], changes={"status": "in-progress"})
    recommendation_update(recommendation=done, by=people["bob"], changes={"status": "done"})
    _past(done, 5)
    assert overdue_notices() == 0
    assert len(_told(people["bob"])) == 2


def test_an_owner_who_may_no_longer_see_it_is_not_told(people, recommendation):
    from retrospector.accounts.models import Membership

    late = recommendation(visibility="private")
    _past(late, 2)
    Membership.objects.filter(user=people["bob"]).delete()
    assert overdue_notices() == 0
    assert _told(people["bob"]) == []
