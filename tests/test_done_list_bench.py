"""`make bench`'s "done_list" part (bench/done_list.py) keeps working: a small run on the suite's database measures the
done list page and API. Its timings are for `make bench`."""

import pytest

from bench import common, done_list


@pytest.mark.django_db
def test_a_small_done_list_run_reports_every_figure(monkeypatch):
    monkeypatch.setattr(common, "ITERATIONS", 3)
    monkeypatch.setattr(common, "WARMUPS", 1)
    monkeypatch.setattr(done_list, "DONE_WRITEUPS", 300)
    data = common.build_data(incident_count=40)

    report = done_list.run(data)

    assert report["figures"]["done_writeups"] == 300
    assert 0 < report["figures"]["visible_to_reader"] <= 300
    assert report["page"]["page_1"]["queries"] == report["page"]["deep_page"]["queries"]
    assert set(report["met"]) == set(report["targets"]) == set(report["observed"])
