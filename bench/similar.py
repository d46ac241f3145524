"""'Have we seen this before?' (the "similar" part of `make bench`), in process (django.test.Client) as the bench's
reader, a member of one team who is not an organization admin, so that the permission rules are in every query:

* WRITEUPS write-ups of bench/search.py's shape (3 sections and 5 timeline events each, over the bench's incidents)
  are added to the bench's database and the whole search index is rebuilt;
* two of the reader's incidents are asked about: one whose words are all common in the corpus (only its services can
  match: the shared-services path), and one whose summary holds rare words (pgbouncer, haproxy: the full-text path);
* for each, the incident page with its panel and GET /api/v1/incidents/{id}/similar: p50/p95 and queries per
  request; and the page without the panel's work (the incident page's own cost) beside it;
* with the `semantic` extra installed, the answers above use the blend (the installation's default); then every
  incident's vector is rebuilt (timed: `vectors_rebuild_seconds`) and the API is measured again with the lexical
  ranking alone (`api_lexical`, RETROSPECTOR_SEMANTIC off) beside it.

Alone: `python -m bench.similar` on a throwaway SQLite file.
"""

from __future__ import annotations

import os
import sys
import time

from bench import search as search_bench
from bench.common import log, measure, run_alone

WRITEUPS = int(os.environ.get("RETROSPECTOR_BENCH_SIMILAR_WRITEUPS", "20000"))
TARGETS = {"similar_api_p95_ms": 100, "similar_page_p95_ms": 100}
RARE_SUMMARY = "The pgbouncer pool ran dry after a haproxy reload; a retry storm followed."


def _prepare(data: dict) -> dict:
    """The two incidents asked about, the index filled (incidents, and the corpus unless there already)."""
    from retrospector.incidents.selectors import incidents_visible_to
    from retrospector.insights.indexing import search_index_update, search_reindex
    from retrospector.insights.models import SearchDoc

    reader = data["reader"]
    search_bench.add_writeups(data, WRITEUPS)
    search_reindex()
    mine = incidents_visible_to(reader).filter(team__memberships__user=reader).order_by("-pk")
    common, rare = mine[0], mine[1]
    rare.summary = RARE_SUMMARY
    rare.save(update_fields=["summary"])
    search_index_update(kind=SearchDoc.Kind.INCIDENT, ids=[rare.pk])
    return {"common_words": common, "rare_words": rare}


def run(data: dict) -> dict:
    """The figures on the bench's data (common.build_data); Django must be set up on that database."""
    from django.test import Client, override_settings

    from retrospector.insights import semantic
    from retrospector.insights.models import SearchDoc
    from retrospector.insights.similar import default_ranker, similar_incidents

    began = time.perf_counter()
    cases = _prepare(data)
    vectors = {}
    if semantic.enabled():
        t0 = time.perf_counter()
        vectors["stored"] = semantic.incident_vectors_rebuild()
        vectors["rebuild_seconds"] = round(time.perf_counter() - t0, 1)
        log(f"similar: {vectors['stored']} incident vectors in {vectors['rebuild_seconds']} s")
    client = Client()
    client.force_login(data["reader"])
    api, page, found = {}, {}, {}
    for name, incident in cases.items():
        results = similar_incidents(user=data["reader"], incident=incident)
        found[name] = [{"id": r.incident.pk, "score": r.score, "reasons": r.reasons} for r in results]
        api[name] = measure(client, f"/api/v1/incidents/{incident.pk}/similar")
        page[name] = measure(client, f"/incidents/{incident.pk}/")
        log(f"similar to #{incident.pk} ({name}): {len(results)} found")
    api_lexical = {}
    if vectors:
        with override_settings(SIMILAR_SEMANTIC=False):
            for name, incident in cases.items():
                api_lexical[name] = measure(client, f"/api/v1/incidents/{incident.pk}/similar")
    observed = {
        "similar_api_p95_ms": max(m["p95_ms"] for m in api.values()),
        "similar_page_p95_ms": max(m["p95_ms"] for m in page.values()),
    }
    return {
        "figures": {
            "index_rows": SearchDoc.objects.count(),
            "writeups": WRITEUPS,
            "ranker": default_ranker(),
            "incident_vectors": vectors.get("stored"),
            "vectors_rebuild_seconds": vectors.get("rebuild_seconds"),
            "found": found,
        },
        "api": api,
        "api_lexical": api_lexical,
        "page": page,
        "targets": TARGETS,
        "observed": observed,
        "met": {key: observed[key] < TARGETS[key] for key in TARGETS},
        "elapsed_seconds": round(time.perf_counter() - began, 1),
    }


def main() -> int:
    return run_alone(run, name="similar")


if __name__ == "__main__":
    sys.exit(main())
