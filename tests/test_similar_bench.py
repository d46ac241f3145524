"""`make bench`'s "similar" part (bench/similar.py) keeps working: a small run on the suite's database measures the
incident page with its panel and the similar-incidents API. Its timings are for `make bench`."""

import pytest

from bench import common
from bench import search as search_bench
from bench import similar as similar_bench


@pytest.mark.django_db
def test_a_small_similar_run_reports_every_figure(monkeypatch):
    monkeypatch.setattr(common, "ITERATIONS", 3)
    monkeypatch.setattr(common, "WARMUPS", 1)
    monkeypatch.setattr(similar_bench, "WRITEUPS", 200)
    monkeypatch.setattr(search_bench, "RARE", ("pgbouncer",))  # every rare word a pgbouncer: some are found
    data = common.build_data(incident_count=40)

    report = similar_bench.run(data)

    assert report["figures"]["index_rows"] >= 200 * 8
    assert report["figures"]["found"]["rare_words"], "the rare words' incident finds others"
    assert all("reasons" in item for item in report["figures"]["found"]["common_words"])
    assert set(report["api"]) == set(report["page"]) == {"common_words", "rare_words"}
    assert set(report["met"]) == set(report["targets"]) == set(report["observed"])
