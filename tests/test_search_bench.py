"""`make bench`'s "search" part (bench/search.py) keeps working: a small run on the suite's database measures the search
API and page beside the bare full-text query. Its timings are for `make bench`."""

import pytest

from bench import common
from bench import search as search_bench


@pytest.mark.django_db
def test_a_small_search_run_reports_every_figure(monkeypatch):
    monkeypatch.setattr(common, "ITERATIONS", 3)
    monkeypatch.setattr(common, "WARMUPS", 1)
    monkeypatch.setattr(search_bench, "WRITEUPS", 200)
    data = common.build_data(incident_count=40)

    report = search_bench.run(data)

    assert report["figures"]["index_rows"] >= 200 * 8
    assert report["figures"]["found_by_reader"]["common_word"] > 0
    assert report["api"]["rare_word"]["queries"] == report["api"]["common_word"]["queries"]
    assert set(report["met"]) == set(report["targets"]) == set(report["observed"])
    assert set(report["bare"]) == set(report["api_over_bare_p95"]) == set(search_bench.QUERIES)
