"""`make bench`'s "speed" part (bench/speed.py) keeps working: a small run here, on the suite's database, checks that it
measures what it says (the home page at two sizes, an incident with its events, the list API split and gzipped) and
leaves the database driver as it found it. Its timings are for `make bench`, not for this test."""

import pytest
from django.db.backends.utils import CursorWrapper

from bench import common, speed


@pytest.mark.django_db
def test_a_small_speed_run_reports_every_figure(monkeypatch):
    monkeypatch.setattr(common, "ITERATIONS", 3)
    monkeypatch.setattr(speed, "ITERATIONS", 3)
    monkeypatch.setattr(common, "WARMUPS", 1)
    monkeypatch.setattr(speed, "WARMUPS", 1)
    monkeypatch.setattr(speed, "OPEN_RETROSPECTIVES", (12, 60))
    monkeypatch.setattr(speed, "TIMELINE_EVENTS", 150)
    data = common.build_data(incident_count=200)

    report = speed.run(data)

    assert set(report["home_page"]) == {"open_retrospectives_12", "open_retrospectives_60"}
    assert report["observed"]["home_page_queries_constant"] is True
    with_events = report["incident_with_events_api"]
    assert with_events["events_in_the_answer"] == 100
    assert with_events["one_request"]["queries"] > 0 and with_events["two_requests"]["p95_ms"] > 0
    for page in ("page_1", "page_200"):
        split = report["incident_list_api"][page]
        assert 0 < split["database_p50_ms"] < split["total_p50_ms"] and split["python_p50_ms"] > 0
    size = report["incident_list_api"]["size_page_1"]
    assert size["content_encoding"] == "gzip" and size["gzip_bytes"] < size["plain_bytes"] / 3
    assert set(report["met"]) == set(report["targets"]) == set(report["observed"])
    # The clock's wrappers are gone: the cursor reaches the driver's fetch methods directly again.
    assert not {"fetchone", "fetchmany", "fetchall"} & set(vars(CursorWrapper))


def test_the_open_retrospectives_are_spread_as_described(db):
    from retrospector.writeups.models import Retrospective, Section

    data = common.build_data(incident_count=100)
    speed.add_open_retrospectives(data, 40)
    retrospectives = Retrospective.objects.exclude(pk=data["retrospective_id"])
    assert retrospectives.count() == 40
    assert set(retrospectives.values_list("state", flat=True)) == set(Retrospective.OPEN_STATES)
    assert retrospectives.filter(owner=data["reader"]).count() == 2
    assert retrospectives.filter(shadow=data["reader"]).count() == 2
    assert Section.objects.filter(retrospective__in=retrospectives).count() == 40 * len(
        retrospectives.first().template_version.sections
    )
