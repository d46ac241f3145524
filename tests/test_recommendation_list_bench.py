"""`make bench`'s "recommendation_list" part (bench/recommendation_list.py) keeps working: a small run on the suite's
database measures the recommendations list page and API. Its timings are for `make bench`."""

import pytest

from bench import common, recommendation_list


@pytest.mark.django_db
def test_a_small_recommendation_list_run_reports_every_figure(monkeypatch):
    monkeypatch.setattr(common, "ITERATIONS", 3)
    monkeypatch.setattr(common, "WARMUPS", 1)
    monkeypatch.setattr(recommendation_list, "RECOMMENDATIONS", 300)
    monkeypatch.setattr(recommendation_list, "INCIDENTS", 60)
    data = common.build_data(incident_count=40)

    report = recommendation_list.run(data)

    figures = report["figures"]
    assert figures["recommendations"] == 300 and figures["incidents_with_recommendations"] == 60
    assert 0 < figures["visible_to_reader"] < 300  # other teams' ones called for only by private incidents are hidden
    assert report["page"]["page_1"]["queries"] == report["page"]["deep_page"]["queries"]
    assert report["api"]["page_1"]["queries"] == report["api"]["overdue"]["queries"]
    assert report["api"]["team_and_overdue"]["queries"] == report["api"]["page_1"]["queries"] + 1  # the team's key
    assert set(report["met"]) == set(report["targets"]) == set(report["observed"])
