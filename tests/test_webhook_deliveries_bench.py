"""`make bench`'s "webhook_deliveries" part (bench/webhook_deliveries.py) keeps working: a small run on the suite's
database, the worker command run in process (a worker process could not open the suite's database). Its timings are
for `make bench`."""

import pytest
from conftest import run_worker_command

from bench import webhook_deliveries


# Transactional, as a worker runs: its loop closes a connection found inside a transaction (the test's own, otherwise).
@pytest.mark.django_db(transaction=True)
def test_a_small_webhook_deliveries_run_delivers_each_once_and_reports_every_figure(builtin_templates_put_back):
    report = webhook_deliveries.run(count=40, in_process=run_worker_command)

    figures = report["figures"]
    assert (figures["succeeded"], figures["received"], figures["bad_signatures"]) == (40, 40, 0)
    assert figures["received_once_each"] is True
    assert figures["deliveries_per_second"] > 0
    assert set(report["met"]) == set(report["targets"]) == set(report["observed"])
