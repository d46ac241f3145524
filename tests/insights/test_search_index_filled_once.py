"""An installation upgraded with data already in it gets its search index built by the worker's periodic job."""

from retrospector.insights.indexing import search_index_fill_if_empty
from retrospector.insights.models import SearchDoc


def test_the_worker_builds_an_empty_index_once_and_leaves_a_built_one_alone(people, make_incident, make_retrospective):
    make_retrospective(make_incident(title="PgBouncer pools saturated"))
    SearchDoc.objects.all().delete()  # as after the migration, on an installation that had data
    assert search_index_fill_if_empty().startswith("built:")
    assert SearchDoc.objects.filter(title__icontains="pgbouncer").exists()
    assert search_index_fill_if_empty() == "nothing to do"
