"""The optional semantic ranking of "Have we seen this before?" (insights.semantic, `pip install
retrospector[semantic]`): it finds the same failure told in other words, never reads a private incident of another team,
keeps its vectors in step with the text, reads a bounded number of queries, and leaves the lexical ranking exactly as
it was when the extra is missing or switched off."""

import sys

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from retrospector.actions.findings import finding_create
from retrospector.insights import semantic
from retrospector.insights.models import IncidentVector
from retrospector.insights.similar import similar_incidents
from retrospector.writeups.services import section_save

pytestmark = pytest.mark.django_db
needs_extra = pytest.mark.skipif(not semantic.installed(), reason="the semantic extra is not installed")

# Unrelated incidents, so that the candidates are enough to centre on (semantic.CANDIDATES_MIN).
BACKGROUND = [
    ("TLS certificate on the status page expired", "Browsers refused the status page after its certificate lapsed."),
    ("Disk full on the log shipper", "The log volume filled up and the shipper stopped forwarding."),
    ("DNS resolver timeouts in one region", "Lookups to the internal resolver took seconds in the west region."),
    ("Feature flag enabled for every customer", "A flag meant for staff only was switched on for all accounts."),
    ("Message queue consumers stuck", "Consumers stopped acknowledging messages and the backlog grew for hours."),
    ("Cache cluster evicted hot keys", "A memory limit change made the cache drop the most requested keys."),
    ("Bad deploy of the search service", "A release with a broken index mapping was rolled out to all hosts."),
    ("Email provider rejected our messages", "The provider rate limited us and password reset mails bounced."),
    ("Clock drift broke token validation", "Hosts drifted by minutes and signed tokens were seen as expired."),
    ("Backup job overloaded the replica", "The nightly backup saturated the replica's disk bandwidth."),
    ("Mobile app crash after release", "A null field in the profile response crashed the app on start."),
    ("CDN purge removed static assets", "A purge with a wildcard deleted the stylesheets for the web app."),
]
TARGET = (
    "Checkout API 503s: pgbouncer pool exhausted",
    "Checkout could not get database connections from pgbouncer during the evening peak.",
    "The pgbouncer pool size was too small for peak traffic",
)
# The same failure, told without any of the target's distinctive words.
OTHER_WORDS = (
    "Payments stalled while workers waited for a free handle to Postgres",
    "Every worker held its SQL session open while calling the card processor, so requests queued until the "
    "limit of concurrent sessions was reached and callers gave up.",
    "Sessions to the relational store were kept open across slow third-party calls",
)


def _incident(make_incident, make_retrospective, title, summary, factor=None, **extra):
    incident = make_incident(title=title, summary=summary, **extra)
    if factor:
        retrospective = make_retrospective(incident)
        finding_create(
            retrospective=retrospective, by=retrospective.created_by, text=factor, kind="contributing-factor"
        )
    return incident


@pytest.fixture
def world(people, make_incident, make_retrospective, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        # First, so that no tie on the lexical score puts it ahead (ties go to the newest).
        other_words = _incident(make_incident, make_retrospective, *OTHER_WORDS)
        background = [_incident(make_incident, make_retrospective, t, s, s) for t, s in BACKGROUND]
        target = _incident(make_incident, make_retrospective, *TARGET)
        # Platform's private incident, told the same way as the target: payments must never see it.
        secret = _incident(make_incident, make_retrospective, *TARGET, team="platform", visibility="private")
    return {"target": target, "other_words": other_words, "secret": secret, "background": background}


def _ids(results):
    return [r.incident.pk for r in results]


@needs_extra
def test_it_finds_the_same_failure_told_in_other_words(people, world):
    lexical = similar_incidents(user=people["bob"], incident=world["target"], ranker="lexical")
    blend = similar_incidents(user=people["bob"], incident=world["target"], ranker="blend")
    # No distinctive word in common: at best a word of the write-up template that every incident shares.
    assert _ids(lexical)[:3].count(world["other_words"].pk) == 0
    assert _ids(blend)[0] == world["other_words"].pk
    assert blend[0].semantic_similarity >= 0.1
    assert any(reason.startswith("Alike in meaning") for reason in blend[0].reasons)


@needs_extra
def test_the_blend_is_the_default_with_the_extra(people, world):
    assert _ids(similar_incidents(user=people["bob"], incident=world["target"])) == _ids(
        similar_incidents(user=people["bob"], incident=world["target"], ranker="blend")
    )


@needs_extra
def test_a_draft_in_other_words_finds_its_like(people, world):
    unrelated = world["background"][0]
    found = similar_incidents(
        user=people["bob"],
        incident=unrelated,
        text="Workers kept their Postgres sessions open while waiting on the card processor; the session limit was "
        "hit and payments stalled.",
        ranker="semantic",
    )
    assert _ids(found)[0] == world["other_words"].pk


@needs_extra
def test_it_never_reads_a_private_incident_of_another_team(people, world):
    for ranker in ("semantic", "blend"):
        found = similar_incidents(user=people["bob"], incident=world["target"], ranker=ranker, limit=20)
        assert world["secret"].pk not in _ids(found)
    from retrospector.incidents.selectors import incidents_visible_to

    visible = incidents_visible_to(people["bob"]).exclude(pk=world["target"].pk)
    seen = semantic.semantic_similarities(visible=visible, incident=world["target"], best=1000)
    assert world["secret"].pk not in seen
    assert world["other_words"].pk in seen
    # Its own team sees it, as the most alike of all (the same text).
    platform = similar_incidents(user=people["charlie"], incident=world["secret"], ranker="semantic")
    assert _ids(platform)[0] == world["target"].pk


@needs_extra
def test_its_queries_do_not_grow_with_the_incidents_alike(
    people, world, make_incident, django_capture_on_commit_callbacks
):
    def count():
        similar_incidents(user=people["bob"], incident=world["target"])  # reads the vectors once after a change
        with CaptureQueriesContext(connection) as captured:
            similar_incidents(user=people["bob"], incident=world["target"], limit=20)
        return len(captured.captured_queries)

    before = count()
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(8):
            make_incident(title=f"Postgres handles ran out again {n}", summary=OTHER_WORDS[1])
    assert count() == before


@needs_extra
def test_the_vectors_follow_the_text(people, world, make_retrospective, django_capture_on_commit_callbacks):
    incident = world["background"][1]

    def vector():
        return bytes(IncidentVector.objects.get(incident=incident).vector)

    first = vector()
    with django_capture_on_commit_callbacks(execute=True):
        retrospective = make_retrospective(incident)
        section = retrospective.sections.get(key="summary")
        section_save(section=section, body="The shipper's disk alarm was muted.", base_version=1, by=people["alice"])
    second = vector()
    assert second != first
    with django_capture_on_commit_callbacks(execute=True):
        finding = finding_create(
            retrospective=retrospective, by=people["alice"], text="No alert on disk usage", kind="contributing-factor"
        )
    third = vector()
    assert third != second
    with django_capture_on_commit_callbacks(execute=True):
        finding.delete()
    assert vector() == second


@needs_extra
def test_the_rebuild_and_the_periodic_job_fill_in_missing_vectors(world):
    IncidentVector.objects.filter(incident=world["target"]).delete()
    IncidentVector.objects.filter(incident=world["other_words"]).update(model="an-older-model")
    assert semantic.incident_vectors_fill_missing() == "stored: 2"  # the one missing, the one of another model
    assert set(IncidentVector.objects.values_list("model", flat=True)) == {semantic.MODEL_NAME}
    assert semantic.incident_vectors_rebuild() == IncidentVector.objects.count() == 15


@needs_extra
def test_the_reindex_command_rebuilds_the_vectors(world):
    from io import StringIO

    from django.core.management import call_command

    IncidentVector.objects.filter(pk__in=list(IncidentVector.objects.values_list("pk", flat=True)[:5])).delete()
    out = StringIO()
    call_command("search", "reindex", stdout=out, stderr=StringIO())
    assert "5 incident vectors (semantic)" in out.getvalue()  # the missing ones
    assert IncidentVector.objects.count() == 15
    out = StringIO()
    call_command("search", "reindex", "--vectors", stdout=out, stderr=StringIO())
    assert "15 incident vectors (semantic)" in out.getvalue()  # every one again
    assert IncidentVector.objects.count() == 15


@needs_extra
def test_the_model_loads_from_the_package_without_a_download(monkeypatch):
    import requests

    def refuse(*args, **kwargs):
        raise AssertionError("no download at run time")

    monkeypatch.setattr(requests, "get", refuse)
    matrix = semantic.embed_parts([["database connections ran out"], [], ["a certificate expired"]])
    assert matrix.shape == (3, semantic.DIMENSIONS)
    assert not matrix[1].any()  # no text, no direction


# --- Without the extra, or switched off: the lexical ranking, exactly


@pytest.fixture
def without_the_extra(monkeypatch):
    """As if `pip install retrospector` had not installed the extra: its package cannot be imported."""
    monkeypatch.setitem(sys.modules, "wordllama", None)
    assert not semantic.installed() and not semantic.enabled()


def test_without_the_extra_the_ranking_is_the_lexical_one(people, world, without_the_extra):
    found = similar_incidents(user=people["bob"], incident=world["target"], limit=20)
    assert [(r.incident.pk, r.score) for r in found] == [
        (r.incident.pk, r.score)
        for r in similar_incidents(user=people["bob"], incident=world["target"], limit=20, ranker="lexical")
    ]
    assert all(r.semantic_similarity is None for r in found)
    assert world["secret"].pk not in _ids(found)
    with pytest.raises(ValueError, match="not available"):
        similar_incidents(user=people["bob"], incident=world["target"], ranker="blend")


def test_without_the_extra_nothing_is_embedded(
    people, make_incident, django_capture_on_commit_callbacks, without_the_extra
):
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(title="Checkout errors", summary="Something failed.")
    assert not IncidentVector.objects.exists()
    assert semantic.incident_vectors_rebuild() == 0
    assert semantic.incident_vectors_fill_missing() == "semantic ranking off"


def test_without_the_extra_the_api_answers_as_before(client_for, world, without_the_extra):
    answer = client_for("bob").get(f"/api/v1/incidents/{world['target'].pk}/similar?limit=20").json()
    assert world["secret"].pk not in [r["id"] for r in answer["results"]]
    assert all(r["semantic_similarity"] is None for r in answer["results"])


@needs_extra
def test_switched_off_it_reads_no_vector(people, world):
    with override_settings(SIMILAR_SEMANTIC=False):
        assert not semantic.enabled()
        with CaptureQueriesContext(connection) as captured:
            found = similar_incidents(user=people["bob"], incident=world["target"])
    assert not any("insights_incidentvector" in q["sql"] for q in captured.captured_queries)
    assert all(r.semantic_similarity is None for r in found)
