"""`make bench`'s "reviews" part (bench/reviews.py) keeps working: a small run on the suite's database measures the
retrospective page with the review's threads, comments and accounts at two sizes. Its timings are for `make bench`."""

import pytest

from bench import common, reviews


@pytest.mark.django_db
def test_a_small_reviews_run_reports_every_figure(monkeypatch):
    monkeypatch.setattr(common, "ITERATIONS", 3)
    monkeypatch.setattr(common, "WARMUPS", 1)
    monkeypatch.setattr(reviews, "TIMELINE_EVENTS", 120)
    data = common.build_data(incident_count=40)

    report = reviews.run(data)

    large = report["retrospective_page_in_review"]["large"]
    assert (large["threads"], large["comments"], large["accounts"], large["timeline_events"]) == (60, 300, 20, 120)
    assert report["observed"]["retrospective_page_queries_constant"] is True
    assert set(report["met"]) == set(report["targets"]) == set(report["observed"])
