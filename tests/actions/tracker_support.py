"""What the trackers' tests share: a recommendation of payments owned by bob, and a team's connection to a fake."""

from __future__ import annotations

import pytest

from retrospector.actions.services import recommendation_create
from retrospector.actions.trackers.sync import tracker_connection_save

WEBHOOK_SECRET = "whsec_shared_between_us"


@pytest.fixture(autouse=True)
def _trackers_settings(settings):
    settings.TRACKERS_ALLOW_HTTP = True  # the fakes listen on http://127.0.0.1
    settings.TRACKER_TIMEOUT_SECONDS = 0.5


def make_recommendation(people, make_incident, make_retrospective, *, team="payments", visibility="organization"):
    incident = make_incident(team=team, visibility=visibility)
    retrospective = make_retrospective(incident)
    by = people["alice"] if team == "payments" else people["charlie"]
    return recommendation_create(
        retrospective=retrospective,
        by=by,
        title="Alert on checkout error rate",
        description="Page the on-call engineer when errors pass 2% for 5 minutes.",
        definition_of_done="The alert fired in a game day.",
        owner=people["bob"] if team == "payments" else people["charlie"],
    )


def github_connection(people, fake, *, team="payments", state_map=None, secret=WEBHOOK_SECRET):
    return tracker_connection_save(
        team=people[team],
        by=people["alice"],
        kind="github",
        name=f"{team} issues",
        base_url=fake.base_url,
        project=fake.repo,
        credential=fake.token,
        webhook_secret=secret,
        state_map=state_map or {},
    )


def jira_connection(people, fake, *, team="payments", state_map=None, secret=WEBHOOK_SECRET):
    return tracker_connection_save(
        team=people[team],
        by=people["alice"],
        kind="jira",
        name=f"{team} Jira",
        base_url=fake.base_url,
        project=fake.project,
        username=fake.email,
        credential=fake.token,
        webhook_secret=secret,
        state_map=state_map or {},
    )
