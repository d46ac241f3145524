import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from retrospector.insights.models import SearchDoc

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(people, make_incident, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(title="Card numbers leaked via pgbouncer logs", visibility="private")
        make_incident(title="Pgbouncer restart", summary="pool <b>exhausted</b>")
    return people


def _run(*args):
    out, err = StringIO(), StringIO()
    call_command("search", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_searches_as_a_person_in_text_and_json(corpus):
    out, _ = _run("pgbouncer", "--as", "bob")
    assert out.startswith("2 found") and "Card numbers" in out
    out, _ = _run("pgbouncer", "--as", "charlie", "--format", "json")
    answer = json.loads(out)
    assert answer["count"] == 1 and answer["counts"] == {"incident": 1}
    assert [r["title"] for r in answer["results"]] == ["Pgbouncer restart"]
    out, _ = _run("card", "numbers", "--as", "charlie")
    assert out.strip() == "Nothing found."


def test_it_needs_someone_to_search_as(corpus):
    with pytest.raises(CommandError, match="--as"):
        _run("pgbouncer")


def test_reindex_rebuilds_with_progress(corpus):
    SearchDoc.objects.all().delete()
    out, err = _run("reindex")
    assert "Indexed 2 things" in out and "incident: 2/2\n" in err and "\r" not in err  # lines, not a bar, in a file
    assert SearchDoc.objects.count() == 2
    out, _ = _run("reindex")  # again: nothing doubles
    assert SearchDoc.objects.count() == 2
