"""Lists and the retrospective page read a constant number of queries, however many rows there are."""

import re
from datetime import timedelta

import pytest
from conftest import START
from django.db import connection
from django.test.utils import CaptureQueriesContext


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def add_incidents(make_incident, count, *, offset=0):
    for n in range(offset, offset + count):
        make_incident(
            team="payments" if n % 3 else "platform",
            by="alice" if n % 3 else "charlie",
            title=f"Incident {n}",
            severity=("SEV1", "SEV2", "SEV3")[n % 3],
            visibility="private" if n % 4 == 0 else "organization",
            started_at=START + timedelta(minutes=n),
            detected_at=None,
            services=[f"service-{n % 5}", "postgres"],
        )


def rows_shown(response) -> int:
    if response["Content-Type"].startswith("application/json"):
        return len(response.json()["results"])
    return len(re.findall(rb'href="/incidents/\d+/"', response.content))


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured), response


@pytest.mark.parametrize(
    "url",
    [
        "/incidents/",
        "/incidents/?team=payments&severity=SEV2",
        "/incidents/?page=2",
        "/incidents/?page=999",
        "/api/v1/incidents?page=999",
        "/api/v1/incidents",
        "/api/v1/incidents?page_size=100",
        "/api/v1/incidents?service=postgres&visibility=organization",
        "/",
    ],
)
@pytest.mark.parametrize("name", ["alice", "charlie", "oscar"])
def test_the_incident_list_reads_a_constant_number_of_queries(people, make_incident, client_for, url, name):
    add_incidents(make_incident, 5)
    few, response = queries_for(client_for(name), url)
    few_rows = rows_shown(response)
    add_incidents(make_incident, 55, offset=5)
    many, response = queries_for(client_for(name), url)
    assert rows_shown(response) > few_rows >= 1
    assert many == few, f"{url} for {name}: {few} queries with 5 incidents, {many} with 60"


def test_the_list_shows_a_full_page_of_rows_with_their_services(people, make_incident, client_for):
    add_incidents(make_incident, 60)
    count, response = queries_for(client_for("oscar"), "/api/v1/incidents?page_size=100")
    rows = response.json()["results"]
    assert len(rows) == 60
    assert all("postgres" in row["services"] for row in rows)
    assert count <= 8


def write_history(retrospective, by, revisions_per_section):
    """Give every section `revisions_per_section` versions, as if saved that many times."""
    from retrospector.writeups.models import Revision, Section

    for section in retrospective.sections.all():
        Revision.objects.bulk_create(
            Revision(
                section=section, version=v, body=f"{section.title}, take {v}.\n\n- a point\n- another", created_by=by
            )
            for v in range(section.version + 1, revisions_per_section + 1)
        )
        last = f"{section.title}, take {revisions_per_section}.\n\n- a point\n- another"
        Section.objects.filter(pk=section.pk).update(version=revisions_per_section, body=last, updated_by=by)


@pytest.mark.parametrize(
    "page", ["", "sections/summary/", "sections/summary/history", "export.html", "print", "export.json"]
)
@pytest.mark.parametrize("name", ["alice", "charlie"])
def test_the_retrospective_page_reads_a_constant_number_of_queries(
    people, make_incident, make_retrospective, client_for, page, name
):
    from django.core.cache import cache

    from retrospector.writeups.services import retrospective_transition, section_save

    incident = make_incident(services=["checkout-api", "postgres"], responders=[people["bob"], people["dana"]])
    few_retro = make_retrospective(incident)
    many_retro = make_retrospective(incident)
    write_history(few_retro, people["alice"], 5)
    write_history(many_retro, people["bob"], 40)
    for retro in (few_retro, many_retro):
        # A few real saves and state changes, so the page has recent authors and a state history.
        section = retro.sections.get(key="summary")
        section_save(section=section, body="Latest summary.", base_version=section.version, by=people["bob"])
        retrospective_transition(retrospective=retro, to_state="in_review", by=people["alice"])
    from retrospector.insights import semantic

    client = client_for(name)
    # Both start with cold caches (the timeline's people are cached per incident, and both share one; so are the
    # semantic extra's vectors, in the process, whichever page read them first).
    cache.clear()
    semantic._VECTORS.key = None
    few, _ = queries_for(client, f"/retrospectives/{few_retro.pk}/{page}")
    cache.clear()
    semantic._VECTORS.key = None
    many, response = queries_for(client, f"/retrospectives/{many_retro.pk}/{page}")
    assert many == few, f"/retrospectives/<id>/{page}: {few} queries with 5 revisions a section, {many} with 40"
    if page == "sections/summary/history":
        assert b'href="?version=40"' in response.content and b'href="?version=2"' in response.content
