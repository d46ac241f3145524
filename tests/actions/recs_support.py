"""Fixtures of the recommendation tests: a retrospective of payments (organization-wide) and one of platform
(private), findings made directly (the findings' own pages are tested elsewhere), and a helper to create
recommendations through the service."""

import datetime as dt

import pytest


def finding(retrospective, text="The retry storm overloaded the database", **extra):
    from retrospector.actions.models import Finding

    return Finding.objects.create(retrospective=retrospective, section_key="contributing-factors", text=text, **extra)


def service(org, incident, name):
    from retrospector.incidents.models import Service

    row, _ = Service.objects.get_or_create(organization=org, name=name)
    incident.services.add(row)
    return row


def recommend(retrospective, by, title="Add a circuit breaker to the checkout client", **fields):
    from retrospector.actions.services import recommendation_create

    return recommendation_create(retrospective=retrospective, by=by, title=title, **fields)


def later(days=30):
    from retrospector.actions.selectors import today_utc

    return today_utc() + dt.timedelta(days=days)


@pytest.fixture(name="payments_retro")
def payments_retro_fixture(make_incident, make_retrospective):
    """An organization-wide incident of payments, with its retrospective (owned by alice)."""
    return make_retrospective(make_incident(title="Checkout errors"))


@pytest.fixture(name="platform_private_retro")
def platform_private_retro_fixture(make_incident, make_retrospective):
    """A private incident of platform, with its retrospective (charlie's)."""
    return make_retrospective(make_incident(team="platform", title="Secret outage", visibility="private"))
