"""`retrospector recommendations list`: as someone (what they may see only), filtered, as text, CSV (formulas inert)
or JSON, on stdout."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.actions.tracking_support import (  # noqa: F401  (the `frozen` and `tracked` fixtures)
    HYPERLINK,
    frozen_fixture,
    tracked_fixture,
)


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("recommendations", "list", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_lists_as_text_what_the_person_may_see(tracked):
    out, err = run("--as", "charlie")
    assert "Scrub card numbers" not in out
    assert "Alert on checkout latency" in out
    assert "OVERDUE" in out.splitlines()[0] and "Retry card payments" in out.splitlines()[0]
    assert "4 recommendation(s) visible to charlie" in err
    out, err = run("--as", "bob")
    assert "Scrub card numbers" in out and "5 recommendation(s)" in err


def test_it_filters_overdue_team_and_status(tracked):
    out, _ = run("--as", "bob", "--overdue", "--format", "json")
    assert [r["title"] for r in json.loads(out)] == ["Retry card payments"]
    out, _ = run("--as", "bob", "--team", "payments", "--status", "done", "--format", "json")
    assert [r["title"] for r in json.loads(out)] == ["Document the checkout runbook"]
    out, _ = run("--as", "charlie", "--team", "payments", "--status", "planned", "--format", "json")
    assert [r["title"] for r in json.loads(out)] == ["Alert on checkout latency"]


def test_the_csv_is_escaped_and_leaks_nothing(tracked):
    out, _ = run("--as", "charlie", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][0] == "id" and len(rows) == 5
    titles = [row[1] for row in rows[1:]]
    assert "'" + HYPERLINK in titles and HYPERLINK not in titles
    assert "Scrub card numbers from logs" not in titles


def test_json_lists_only_the_retrospectives_the_person_may_see(tracked):
    from retrospector.actions.models import RecommendationLink

    RecommendationLink.objects.create(recommendation=tracked.platform, retrospective=tracked.retro_private)
    out, _ = run("--as", "charlie", "--team", "platform", "--format", "json")
    (row,) = json.loads(out)
    assert [r["id"] for r in row["retrospectives"]] == [tracked.retro_platform.pk]


def test_without_as_it_lists_as_the_organization_admin(tracked):
    out, err = run("--format", "json")
    assert len(json.loads(out)) == 5 and err == ""


def test_an_unknown_person_or_status_is_an_error(tracked):
    with pytest.raises(CommandError, match="No active user 'zed'"):
        run("--as", "zed")
    with pytest.raises(CommandError):
        run("--as", "bob", "--status", "finished")


def test_with_two_organizations_it_asks_whose_view(tracked):
    from retrospector.accounts.services import organization_create

    organization_create(name="Other", slug="other")
    with pytest.raises(CommandError, match="Pass --as USERNAME"):
        run()
