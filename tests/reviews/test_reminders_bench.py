"""`make bench`'s "reminders" part (bench/reminders.py) keeps working: a small run here, on the suite's database, checks
that it reports its figures and that a second run at the same moment reminds nobody. Timings: `make bench`."""

import pytest

from bench import reminders


@pytest.mark.django_db
def test_a_small_reminders_run_reports_every_figure(monkeypatch):
    monkeypatch.setattr(reminders, "RETROSPECTIVES", 200)
    monkeypatch.setattr(reminders, "PEOPLE", 40)
    report = reminders.run()
    first, again = report["first_run"], report["second_run"]
    assert report["data"]["open_retrospectives"] == 200 and report["data"]["open_deadlines_due_or_overdue"] > 0
    assert first["reminded"] == 40 and again["reminded"] == 0 and again["already"] == 40
    assert first["queries"] <= 12 and again["queries"] <= first["queries"]
    assert set(report["met"]) == set(report["targets"]) == set(report["observed"])
