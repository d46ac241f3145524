"""An installation upgraded with data already in it gets its search index built by the worker's periodic job."""

import pytest

from retrospector.insights.indexing import search_index_fill_if_empty
from retrospector.insights.models import SearchDoc


def test_the_worker_builds_an_empty_index_once_and_leaves_a_built_one_alone(people, make_incident, make_retrospective):
    make_retrospective(make_incident(title="PgBouncer pools saturated"))
    SearchDoc.objects.all().delete()  # as after the migration, on an installation that had data
    assert search_index_fill_if_empty().startswith("built:")
    assert SearchDoc.objects.filter(title__icontains="pgbouncer").exists()
    assert search_index_fill_if_empty() == "nothing to do"


@pytest.mark.django_db(transaction=True)
def test_an_imported_write_ups_sections_are_found_and_a_later_save_of_it_reads_no_sections(
    people, make_incident, builtin_templates_put_back, django_assert_max_num_queries
):
    from retrospector.writeups.services import retrospective_import_markdown

    incident = make_incident(title="Checkout errors")
    text = "# Retrospective: Checkout errors\n\n## Summary\n\nThe pgbouncer pools filled up within a minute.\n"
    retrospective = retrospective_import_markdown(incident=incident, text=text, by=people["alice"])
    assert SearchDoc.objects.filter(kind="section", body__icontains="pgbouncer").count() == 1
    with django_assert_max_num_queries(2):  # the save alone: no re-reading of its sections
        retrospective.save(update_fields=["updated_at"])
