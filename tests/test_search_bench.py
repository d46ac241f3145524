"""`make bench`'s "search" part (bench/search.py) keeps working: a small run on the suite's database puts write-ups and
their timelines in the tables, rebuilds the index, measures the search API and page beside the bare full-text query,
and the lag from a saved section's commit to its being found (real commits: a transactional test). Its timings are for
`make bench`."""

import pytest

from bench import common
from bench import search as search_bench


@pytest.mark.django_db(transaction=True)
def test_a_small_search_run_reports_every_figure(monkeypatch, builtin_templates_put_back):
    monkeypatch.setattr(common, "ITERATIONS", 3)
    monkeypatch.setattr(common, "WARMUPS", 1)
    monkeypatch.setattr(search_bench, "LAG_SAMPLES", 3)
    data = common.build_data(incident_count=40)

    report = search_bench.run(data, writeups=200)

    figures = report["figures"]
    assert (figures["writeups"], figures["sections"], figures["events"]) == (200, 600, 1000)
    assert figures["index_rows"] >= 200 * 8 and figures["reindex_rows"] == figures["index_rows"]
    assert figures["found_by_reader"]["common_word"] > 0
    assert report["api"]["rare_word"]["queries"] == report["api"]["common_word"]["queries"]
    assert report["index_lag"]["not_found_at_once"] == 0 and report["index_lag"]["commit_to_found_p95_ms"] > 0
    assert set(report["met"]) == set(report["targets"]) == set(report["observed"])
    assert set(report["bare"]) == set(report["api_over_bare_p95"]) == set(search_bench.QUERIES)
