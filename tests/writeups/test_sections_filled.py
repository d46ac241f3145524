"""Whether a section has something written (`filled`, which lists count) is kept in step with its body by the services
that write bodies: saving, restoring, starting and importing a retrospective, and the demo's content."""

import io

from django.core.management import call_command

from retrospector.writeups.models import Section, body_is_empty
from retrospector.writeups.services import section_restore, section_save


def stored_filled(section) -> bool:
    return Section.objects.values_list("filled", flat=True).get(pk=section.pk)


def test_saving_and_restoring_a_section_keeps_filled_in_step(make_incident, make_retrospective, people):
    retrospective = make_retrospective(make_incident())
    table = retrospective.sections.filter(kind="table").exclude(body="").first()
    assert table is not None and body_is_empty(table.body) and not stored_filled(table)  # a starter table's header
    starter = table.body
    table = section_save(
        section=table, body=starter + "\n| 14:02 | Deploy | ci |", base_version=table.version, by=people["alice"]
    )
    assert stored_filled(table)
    table = section_save(section=table, body="", base_version=table.version, by=people["alice"])
    assert not stored_filled(table)
    table = section_restore(section=table, version=2, base_version=table.version, by=people["alice"])
    assert stored_filled(table)


def test_the_demos_sections_say_whether_they_are_written(db):
    call_command("demo", stdout=io.StringIO(), stderr=io.StringIO())
    sections = list(Section.objects.all())
    assert sections and any(s.filled for s in sections)
    assert [s.pk for s in sections if s.filled == body_is_empty(s.body)] == []
