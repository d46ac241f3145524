"""The rebuild's fast path (insights.reindex_sql: INSERT ... SELECT for incidents, sections and timeline events) writes
the very rows the builders of insights.indexing write, on either database: the same fields, the same cleaning, the
same links, and the same rows left out."""

import pytest
from django.db import connection

from retrospector.insights.indexing import MARK_END, MARK_START, search_reindex
from retrospector.insights.models import SearchDoc
from retrospector.insights.search import search
from retrospector.timeline.models import TimelineEvent
from retrospector.writeups.models import Section

FIELDS = (
    "kind",
    "object_id",
    "organization_id",
    "incident_id",
    "retrospective_id",
    "team_id",
    "title",
    "body",
    "context",
    "url",
    "occurred_at",
)


def snapshot():
    return sorted(SearchDoc.objects.values_list(*FIELDS))


@pytest.fixture
def corpus(people, make_incident, make_retrospective):
    marked = make_incident(title=f"Queue {MARK_START}stuck{MARK_END} " + "x" * 390, summary="Orders <b>waited</b>.")
    private = make_incident(team="platform", title="DNS", visibility="private", by="charlie")
    retrospective = make_retrospective(marked)
    sections = list(Section.objects.filter(retrospective=retrospective).order_by("position"))
    bodies = ["", "  \n\t ", f"The {MARK_START}pool{MARK_END} ran dry. " * 40, "ünïcode — “quotes” & <tags>"]
    for section, body in zip(sections, bodies, strict=False):
        Section.objects.filter(pk=section.pk).update(body=body)
    make_retrospective(private)
    TimelineEvent.objects.create(incident=marked, occurred_at=marked.started_at, actor="PagerDuty", text="Paged.")
    TimelineEvent.objects.create(incident=private, occurred_at=private.started_at, actor="", text="")
    return marked


def test_the_fast_rebuild_writes_the_rows_the_builders_write(corpus):
    search_reindex(fast=False)
    by_models = snapshot()
    assert {row[0] for row in by_models} >= {"incident", "section", "event"}
    SearchDoc.objects.all().delete()
    counts = search_reindex()
    assert snapshot() == by_models
    assert sum(counts.values()) == len(by_models)


def test_the_fast_rebuild_replaces_what_was_there(corpus):
    search_reindex()
    first = snapshot()
    SearchDoc.objects.filter(kind="event").update(body="stale")
    search_reindex()
    assert snapshot() == first


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes, dropped and made again")
def test_on_postgresql_the_rebuild_leaves_the_indexes_and_constraints_as_they_were(corpus, people):
    def structure():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = 'insights_searchdoc'::regclass "
                "UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'insights_searchdoc'::regclass ORDER BY 1"
            )
            return [row[0] for row in cursor.fetchall()]

    before = structure()
    assert any("gin (search)" in line for line in before) and any("FOREIGN KEY" in line for line in before)
    search_reindex()
    assert structure() == before
    assert search(user=people["bob"], query="pool").total == 1  # the GIN index answers again


def test_a_failed_rebuild_leaves_the_index_as_it_was(corpus, monkeypatch):
    search_reindex()
    first = snapshot()

    def broken(kind, ids, progress=None):
        SearchDoc.objects.filter(kind=kind).delete()
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("retrospector.insights.reindex_sql.reindex_kind_in_sql", broken)
    with pytest.raises(RuntimeError):
        search_reindex()
    assert snapshot() == first


def test_adding_new_things_to_the_index_writes_the_builders_rows_for_those_things_only(corpus):
    from retrospector.insights.indexing import BUILDERS, search_index_add

    SearchDoc.objects.all().delete()
    kinds = {"incident": corpus.__class__, "section": Section, "event": TimelineEvent}
    chosen = {kind: sorted(model.objects.values_list("pk", flat=True))[::2] for kind, model in kinds.items()}
    for kind, ids in chosen.items():
        search_index_add(kind=kind, ids=ids, vectors=False)
    expected = sorted(
        (kind, pk, *(fields[name] for name in FIELDS[2:]))
        for kind, ids in chosen.items()
        for pk, fields in BUILDERS[kind](ids)
        if fields is not None
    )
    assert expected and snapshot() == expected
