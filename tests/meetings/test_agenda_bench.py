"""`make bench`'s "agenda" part (bench/agenda.py) keeps working: a small run here, on the suite's database, reports
every figure, builds the agenda of 60 threads and reads it in a constant number of queries. Timings: `make bench`."""

import pytest

from bench import agenda as agenda_bench
from tests.reviews.thread_support import retro_fixture  # noqa: F401  (the `retro` fixture)


@pytest.mark.django_db
def test_a_small_agenda_run_reports_every_figure(retro, people, monkeypatch):
    import bench.common

    monkeypatch.setattr(bench.common, "ITERATIONS", 3)  # the page and API reads (common.measure)
    retrospective = retro()
    data = {"retrospective_id": retrospective.pk, "reader": people["bob"], "team_id": people["payments"].pk}
    report = agenda_bench.run(data, iterations=3)
    figures = report["agenda"]
    assert (figures["threads"], figures["comments"], figures["items"]) == (60, 300, 60)
    assert figures["sync"]["queries"] == report["observed"]["agenda_sync_queries"] == 2
    assert report["met"]["agenda_sync_queries"] is True
    assert figures["page"]["queries"] and figures["api"]["queries"]
    assert set(report["met"]) == set(report["targets"]) == set(report["observed"])
