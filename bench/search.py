"""Full-text search (the "search" part of `make bench`), in process (django.test.Client) as the bench's reader, a member
of one team who is not an organization admin, so that the permission rules (private incidents of other teams) are in
every query:

* a generated corpus in the search index: for each of WRITEUPS write-ups, SECTIONS_EACH sections of 60 to 200 words
  and EVENTS_EACH timeline events of 8 to 25 words, drawn from a vocabulary with a few rare words (pgbouncer, ...);
  spread over the bench's incidents (one in five private);
* the search API (/api/v1/search) and page (/search/) for a rare word, a common word, two words and a phrase:
  p50/p95 and queries per request;
* beside it, the bare full-text query (FTS5 MATCH ordered by bm25, LIMIT 20, with its count; or the tsvector @@ with
  ts_rank on PostgreSQL) for the same words, with no permission rule, no snippet, no HTTP: the ratio says what ours
  costs on top;
* the rebuild of the index's incidents (`search_reindex` of one kind): rows per second.

Alone: `python -m bench.search` on a throwaway SQLite file.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime

from bench import common
from bench.common import log, measure, percentile, run_alone

WRITEUPS = 20_000
SECTIONS_EACH = 3
EVENTS_EACH = 5
FAKE_IDS = 10**12  # the generated rows stand for no real section or event: ids of their own
TARGETS = {"search_api_p95_ms": 50, "search_page_p95_ms": 50}
QUERIES = {
    "rare_word": "pgbouncer",
    "common_word": "database",
    "two_words": "connection timeout",
    "phrase": '"retry storm"',
}
COMMON = (
    "the a of to and in was we for on with that after before when database connection pool timeout retry storm "
    "deploy rollback alert page error rate latency checkout payments queue worker cache disk memory cpu network "
    "dns certificate config flag release canary runbook dashboard customer impact minutes hours restart scale"
).split()
RARE = ("pgbouncer", "haproxy", "zookeeper", "etcd", "vitess")


def _text(rng: random.Random, words: int) -> str:
    picked = [rng.choice(COMMON) for _ in range(words)]
    if rng.random() < 0.02:
        picked[rng.randrange(words)] = rng.choice(RARE)
    return " ".join(picked).capitalize() + "."


def add_corpus(data: dict, writeups: int) -> int:
    """The index rows of `writeups` write-ups and their timelines, straight into SearchDoc (the engine's structure
    follows: triggers on SQLite, a generated column on PostgreSQL); in bulk."""
    from django.db import transaction

    from retrospector.incidents.models import Incident
    from retrospector.insights.models import SearchDoc

    rng = random.Random(17)
    org_id = data["reader"].organization_id
    incidents = list(Incident.objects.filter(organization_id=org_id).values_list("pk", "team_id", "started_at"))
    base = datetime(2021, 1, 1, tzinfo=UTC)
    began = time.perf_counter()
    rows = 0
    with transaction.atomic():
        batch = []
        for n in range(writeups):
            incident_id, team_id, started = incidents[n % len(incidents)]
            common_fields = dict(
                organization_id=org_id, incident_id=incident_id, team_id=team_id, occurred_at=started or base
            )
            for s in range(SECTIONS_EACH):
                batch.append(
                    SearchDoc(
                        kind="section",
                        object_id=FAKE_IDS + n * SECTIONS_EACH + s,
                        title=rng.choice(("Summary", "What happened", "Contributing factors", "Impact")),
                        body=_text(rng, rng.randint(60, 200)),
                        url=f"/retrospectives/{n + 1}/#section-{s}",
                        context=f"#{incident_id}",
                        **common_fields,
                    )
                )
            for e in range(EVENTS_EACH):
                batch.append(
                    SearchDoc(
                        kind="event",
                        object_id=FAKE_IDS + n * EVENTS_EACH + e,
                        title=rng.choice(("alice", "bob", "PagerDuty", "Slack")),
                        body=_text(rng, rng.randint(8, 25)),
                        url=f"/incidents/{incident_id}/timeline/#event-{e}",
                        context=f"#{incident_id}",
                        **common_fields,
                    )
                )
            if len(batch) >= 5000:
                SearchDoc.objects.bulk_create(batch)
                rows += len(batch)
                batch = []
        SearchDoc.objects.bulk_create(batch)
        rows += len(batch)
    log(f"search corpus: {rows} index rows ({writeups} write-ups) in {time.perf_counter() - began:.1f} s")
    return rows


def bare_query(words: str) -> dict:
    """The engine's own query for `words`: the first 20 by rank and the count, no permission rule, no snippet."""
    from django.db import connection

    from retrospector.insights.search import fts5_query, search_terms, websearch_query

    terms = search_terms(words)
    if connection.vendor == "sqlite":
        page = (
            "SELECT rowid, bm25(insights_searchdoc_fts) AS r FROM insights_searchdoc_fts "
            "WHERE insights_searchdoc_fts MATCH %s ORDER BY r LIMIT 20"
        )
        count = "SELECT count(*) FROM insights_searchdoc_fts WHERE insights_searchdoc_fts MATCH %s"
        text = fts5_query(terms)
    else:
        page = (
            "SELECT id, ts_rank(search, websearch_to_tsquery('english', %s)) AS r FROM insights_searchdoc "
            "WHERE search @@ websearch_to_tsquery('english', %s) ORDER BY r DESC LIMIT 20"
        )
        count = "SELECT count(*) FROM insights_searchdoc WHERE search @@ websearch_to_tsquery('english', %s)"
        text = websearch_query(terms)
    page_params = (text,) if connection.vendor == "sqlite" else (text, text)
    samples = []
    with connection.cursor() as cursor:
        for n in range(common.WARMUPS + common.ITERATIONS):
            t0 = time.perf_counter()
            cursor.execute(page, page_params)
            cursor.fetchall()
            cursor.execute(count, (text,))
            cursor.fetchone()
            if n >= common.WARMUPS:
                samples.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": round(percentile(samples, 50), 2), "p95_ms": round(percentile(samples, 95), 2)}


def run(data: dict) -> dict:
    """The figures on the bench's data (common.build_data); Django must be set up on that database."""
    from urllib.parse import urlencode

    from django.test import Client

    from retrospector.insights.indexing import search_reindex
    from retrospector.insights.models import SearchDoc
    from retrospector.insights.search import search

    began = time.perf_counter()
    t0 = time.perf_counter()
    search_reindex()  # the bench's incidents (and its one retrospective) as the signals would have indexed them
    reindex_seconds = time.perf_counter() - t0
    reindexed = SearchDoc.objects.count()
    rows = add_corpus(data, WRITEUPS) + reindexed
    client = Client()
    client.force_login(data["reader"])
    api, page, bare, found = {}, {}, {}, {}
    for name, words in QUERIES.items():
        query = urlencode({"q": words})
        found[name] = search(user=data["reader"], query=words).total
        api[name] = measure(client, f"/api/v1/search?{query}")
        page[name] = measure(client, f"/search/?{query}")
        bare[name] = bare_query(words)
        log(f"bare query {words!r}: p95 {bare[name]['p95_ms']} ms; {found[name]} found by the reader")
    ratio = {name: round(api[name]["p95_ms"] / max(bare[name]["p95_ms"], 0.01), 1) for name in QUERIES}
    observed = {
        "search_api_p95_ms": max(m["p95_ms"] for m in api.values()),
        "search_page_p95_ms": max(m["p95_ms"] for m in page.values()),
    }
    return {
        "figures": {
            "index_rows": rows,
            "writeups": WRITEUPS,
            "sections_each": SECTIONS_EACH,
            "events_each": EVENTS_EACH,
            "found_by_reader": found,
            "reindex_rows": reindexed,
            "reindex_rows_per_second": round(reindexed / max(reindex_seconds, 0.001)),
        },
        "api": api,
        "page": page,
        "bare": bare,
        "api_over_bare_p95": ratio,
        "targets": TARGETS,
        "observed": observed,
        "met": {key: observed[key] < TARGETS[key] for key in TARGETS},
        "elapsed_seconds": round(time.perf_counter() - began, 1),
    }


def main() -> int:
    return run_alone(run, name="search")


if __name__ == "__main__":
    sys.exit(main())
