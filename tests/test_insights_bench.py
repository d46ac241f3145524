"""`make bench`'s "insights" part (bench/insights.py) keeps working: a small run on the suite's database measures every
insight's page and API, uncached, and the overview. Its timings are for `make bench`."""

import pytest

from bench import common
from bench import insights as insights_bench
from retrospector.insights.metrics import INSIGHTS


@pytest.mark.django_db
def test_a_small_insights_run_reports_every_figure(monkeypatch):
    monkeypatch.setattr(common, "ITERATIONS", 2)
    monkeypatch.setattr(common, "WARMUPS", 1)
    monkeypatch.setattr(insights_bench, "INCIDENTS", 60)
    data = common.build_data(incident_count=20)

    report = insights_bench.run(data)

    assert report["figures"]["incidents_added"] == 60
    assert 0 < report["figures"]["visible_in_default_range"] < 80
    assert set(report["page_uncached"]) == set(report["api_uncached"]) == set(INSIGHTS)
    assert all(m["queries"] > 0 for m in report["api_uncached"].values())
    assert report["overview_cached"]["queries"] < report["overview_uncached"]["queries"]
    assert set(report["met"]) == set(report["targets"]) == set(report["observed"])
