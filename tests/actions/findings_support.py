"""Shared by the findings' tests: a postmortem of an organization-wide payments incident with three timeline events and
bob's account; a systems analysis; a private incident's; recommendations linked to a retrospective."""

import pytest


def written_review(people, make_incident, make_retrospective, *, template="postmortem", visibility="organization"):
    """(retrospective, events, account): bob, a responder, wrote his account."""
    from retrospector.incidents.services import incident_update
    from retrospector.reviews.responder_accounts import account_write
    from tests.reviews.accounts_support import add_events

    title = "Card numbers leaked" if visibility == "private" else "Checkout errors"
    incident = make_incident(title=title, visibility=visibility)
    incident_update(incident=incident, by=people["alice"], responders=[people["bob"]])
    events = add_events(incident, people["alice"])
    retrospective = make_retrospective(incident, template=template)
    account = account_write(retrospective=retrospective, body="I saw the pool **full**.", by=people["bob"])
    return retrospective, events, account


@pytest.fixture
def review(people, make_incident, make_retrospective):
    return written_review(people, make_incident, make_retrospective)


@pytest.fixture
def cast(people, make_incident, make_retrospective):
    return written_review(people, make_incident, make_retrospective, template="systems-analysis")


@pytest.fixture
def private(people, make_incident, make_retrospective):
    return written_review(people, make_incident, make_retrospective, visibility="private")


def add(retrospective, people, text="The pool limit of 20 was reached at peak.", by="alice", **extra):
    from retrospector.actions.findings import finding_create

    return finding_create(retrospective=retrospective, by=people[by], text=text, **extra)


def recommend(retrospective, people, title="Raise the pool limit", findings=()):
    from retrospector.actions.services import recommendation_create

    return recommendation_create(retrospective=retrospective, by=people["alice"], title=title, findings=list(findings))


def api(client, method, url, data=None):
    import json

    if data is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")
