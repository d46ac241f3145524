"""Shared by the tests of responders' accounts and discussion questions: an incident of the payments team with two
responders (bob, of payments, and charlie, of platform), three timeline events, and its retrospective owned by alice.
Import the fixtures by name: `from tests.reviews.accounts_support import review  # noqa: F401`."""

from datetime import timedelta

import pytest


def add_events(incident, by, texts=("Alert fired", "Paged the database team", "Rolled back the deploy")):
    from retrospector.timeline.services import event_add

    for minutes, text in enumerate(texts, start=1):
        event_add(incident=incident, by=by, occurred_at=incident.started_at + timedelta(minutes=minutes), text=text)
    incident.refresh_from_db()
    return list(incident.events.order_by("occurred_at", "id"))


def make_review(people, make_incident, make_retrospective, *, visibility="organization", title="Checkout errors"):
    from retrospector.incidents.services import incident_update

    incident = make_incident(title=title, visibility=visibility)
    responders = [people["bob"]] if visibility == "private" else [people["bob"], people["charlie"]]
    incident_update(incident=incident, by=people["alice"], responders=responders)
    events = add_events(incident, people["alice"])
    retrospective = make_retrospective(incident)
    return retrospective, events


@pytest.fixture
def review(people, make_incident, make_retrospective):
    """(retrospective, events) of an organization-wide incident."""
    return make_review(people, make_incident, make_retrospective)


@pytest.fixture
def private_review(people, make_incident, make_retrospective):
    """(retrospective, events) of a private incident of payments, bob its responder."""
    return make_review(people, make_incident, make_retrospective, visibility="private", title="Card numbers leaked")


def set_state(retrospective, state):
    from retrospector.writeups.models import Retrospective

    Retrospective.objects.filter(pk=retrospective.pk).update(state=state)
    retrospective.refresh_from_db()
    return retrospective


def api(client, method, url, data=None):
    import json

    if data is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")
