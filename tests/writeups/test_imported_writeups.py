"""A write-up imported from Markdown says so, with which of its sections matched the template it was filed under and
which were kept as extra sections, instead of passing for a retrospective started from that template."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from retrospector.writeups.export import export_markdown
from retrospector.writeups.models import Retrospective
from retrospector.writeups.selectors import template_match
from retrospector.writeups.services import retrospective_import_markdown, retrospective_transition, section_save

WRITTEN_ELSEWHERE = """# Cache stampede on checkout

## Summary

Checkout failed for 29 minutes.

## Background

The cache was added last year.

## Contributing Factors:

- A pool limit of 20

## Notes

Written in a shared document.
"""


def keys_and_titles(retrospective):
    return [(s.key, s.title) for s in retrospective.sections.all()]


def test_an_import_records_its_file_and_matches_sections_by_key_or_title(make_incident, people):
    retrospective = retrospective_import_markdown(
        incident=make_incident(), text=WRITTEN_ELSEWHERE, by=people["bob"], source="stampede.md"
    )

    assert retrospective.imported_from == "stampede.md"
    assert keys_and_titles(retrospective) == [
        ("summary", "Summary"),
        ("background", "Background"),
        ("contributing-factors", "Contributing Factors:"),
        ("notes", "Notes"),
    ]
    factors = retrospective.sections.get(key="contributing-factors")
    assert factors.required and factors.guidance  # the template's section, with its guidance
    match = template_match(retrospective)
    assert [s.title for s in match.matched] == ["Summary", "Contributing Factors:"]
    assert [s.title for s in match.extra] == ["Background", "Notes"]
    assert "Timeline" in match.missing


def test_the_page_says_imported_and_which_sections_matched(make_incident, people, client_for):
    retrospective = retrospective_import_markdown(
        incident=make_incident(), text=WRITTEN_ELSEWHERE, by=people["bob"], source="stampede.md"
    )

    page = client_for("bob").get(f"/retrospectives/{retrospective.pk}/").content.decode()

    assert "Imported from Markdown" in page and "<code>stampede.md</code>" in page
    matched = page.split("<dt>Matched the template</dt>")[1].split("</dd>")[0]
    extra = page.split("<dt>Kept as extra sections</dt>")[1].split("</dd>")[0]
    assert ">Summary</a>" in matched and ">Contributing Factors:</a>" in matched and "Background" not in matched
    assert ">Background</a>" in extra and ">Notes</a>" in extra
    assert "(2 of 15 sections of Postmortem)" in page


def test_the_import_page_says_what_matched(make_incident, client_for):
    incident = make_incident()
    upload = SimpleUploadedFile("stampede.md", WRITTEN_ELSEWHERE.encode(), content_type="text/markdown")

    response = client_for("bob").post(f"/incidents/{incident.pk}/retrospectives/import", {"file": upload}, follow=True)

    assert "Imported stampede.md: 2 sections matched Postmortem v1, 2 kept as extra sections." in (
        response.content.decode()
    )


def test_a_retrospective_started_in_the_app_is_not_labelled_imported(make_incident, make_retrospective, client_for):
    retrospective = make_retrospective(make_incident())
    page = client_for("bob").get(f"/retrospectives/{retrospective.pk}/").content.decode()
    assert retrospective.imported_from == "" and "Imported from Markdown" not in page
    assert ">Postmortem v1</a>" in page


def test_a_reimported_export_matches_every_section(make_incident, make_retrospective, people):
    original = make_retrospective(make_incident())
    copy = retrospective_import_markdown(
        incident=original.incident, text=export_markdown(original), by=people["bob"], source="export.md"
    )
    match = template_match(copy)
    assert match.extra == [] and match.missing == [] and len(match.matched) == original.sections.count()


@pytest.mark.parametrize("started_in_app", [True, False])
def test_the_api_says_where_it_came_from(make_incident, client_for, started_in_app):
    incident = make_incident()
    client = client_for("bob")
    if started_in_app:
        response = client.post(
            f"/api/v1/incidents/{incident.pk}/retrospectives",
            {"template": "postmortem"},
            content_type="application/json",
        )
    else:
        response = client.post(
            f"/api/v1/incidents/{incident.pk}/retrospectives/import",
            {"markdown": WRITTEN_ELSEWHERE, "filename": "stampede.md"},
            content_type="application/json",
        )
    assert response.status_code == 201
    assert response.json()["imported_from"] == (None if started_in_app else "stampede.md")


def test_the_done_list_says_imported(make_incident, people, client_for):
    retrospective = retrospective_import_markdown(
        incident=make_incident(), text=WRITTEN_ELSEWHERE, by=people["bob"], source="stampede.md"
    )
    for section in retrospective.sections.filter(required=True):
        if section.is_empty:
            section_save(section=section, body="Written.", base_version=section.version, by=people["bob"])
    for state in ("in_review", "meeting"):
        retrospective_transition(retrospective=retrospective, to_state=state, by=people["alice"])
    from retrospector.meetings.approval import approval_for, approve  # the final approval, by an organization admin

    token = approval_for(Retrospective.objects.get(pk=retrospective.pk)).token
    approve(retrospective=retrospective, by=people["oscar"], token=token)
    assert Retrospective.objects.get(pk=retrospective.pk).state == "done"

    page = client_for("bob").get("/writeups/").content.decode()

    assert "Imported from Markdown" in page
