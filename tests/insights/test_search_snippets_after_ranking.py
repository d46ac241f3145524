"""On SQLite the page's snippets are made after the rows are ranked and cut (insights.search._Fts5.page): the same
rows, order, scores and snippets as the single query that made a snippet for every row found, page after page, and
still only what the reader may see."""

import pytest
from django.db import connection

from retrospector.insights.indexing import search_reindex
from retrospector.insights.models import MARK_END, MARK_START
from retrospector.insights.search import (
    _COLUMNS,
    BM25_BODY_WEIGHT,
    BM25_TITLE_WEIGHT,
    SNIPPET_WORDS,
    _Fts5,
    docs_visible_to,
    search_terms,
)
from retrospector.timeline.models import TimelineEvent

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 engine's query"),
]


def snippet_per_row(docs, terms, offset, limit):
    """The query as it was: bm25 and snippet in one SELECT, sorted, then cut."""
    ranked = _Fts5.matching(docs, terms).extra(
        select={
            "score": "-bm25(insights_searchdoc_fts, %s, %s)",
            "snip": "snippet(insights_searchdoc_fts, -1, %s, %s, '…', %s)",
        },
        select_params=[BM25_TITLE_WEIGHT, BM25_BODY_WEIGHT, MARK_START, MARK_END, SNIPPET_WORDS],
    )
    return list(ranked.order_by("-score", "-id").values_list(*_COLUMNS)[offset : offset + limit])


def comparable(rows):
    return [(*row[:6], str(row[6])[:19].replace("T", " "), round(row[7], 9), row[8]) for row in rows]


def test_the_page_is_the_same_as_with_a_snippet_per_row(people, make_incident):
    mine = make_incident(title="Pool exhausted")
    theirs = make_incident(team="platform", title="Pool private", visibility="private", by="charlie")
    for n in range(30):
        incident = mine if n % 3 else theirs
        words = " ".join(["pool"] * (1 + n % 5) + ["connection", "timeout"] * (n % 4) + ["filler"] * (n % 7))
        TimelineEvent.objects.create(incident=incident, occurred_at=incident.started_at, actor="Bob", text=words)
    search_reindex()
    docs = docs_visible_to(people["bob"])
    for query in ("pool", "connection timeout", '"connection timeout"'):
        terms = search_terms(query)
        ids = [pk for pk, _ in _Fts5.candidates(docs, terms, 1000)]  # every row the reader may see, found
        for offset in (0, 7, 14):
            expected = snippet_per_row(docs, terms, offset, 7)
            assert comparable(_Fts5.page(terms, ids, offset, 7)) == comparable(expected)
        assert all(row[5] == mine.pk for row in _Fts5.page(terms, ids, 0, 50))  # never the private incident's
