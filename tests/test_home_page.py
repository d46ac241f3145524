"""The home page: my open retrospectives and the first drafts due soon, for the people who may see them, at a cost that
does not grow with the number of retrospectives."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from retrospector.core.workdays import WorkCalendar


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def days_from_today(days: int):
    return timezone.localdate() + timedelta(days=days)


@pytest.fixture
def retrospective_due(people, make_incident, make_retrospective):
    """A retrospective owned by bob on a payments incident, its first draft due `due_in` days from today (negative:
    overdue), moved on to `state` (its required sections written first, as approval requires)."""
    from retrospector.writeups.services import retrospective_assign, retrospective_transition, section_save

    def make(title: str, *, due_in: int, state: str = "draft", visibility: str = "organization"):
        retrospective = make_retrospective(make_incident(title=f"{title} incident", visibility=visibility))
        retrospective.title = title
        retrospective.save(update_fields=["title"])
        retrospective_assign(
            retrospective=retrospective,
            by=people["alice"],
            owner=people["bob"],
            shadow=None,
            due_at=days_from_today(due_in),
        )
        if state in ("approved", "done"):
            for section in retrospective.sections.filter(required=True):
                section_save(section=section, body="Written.", base_version=section.version, by=people["bob"])
        path = {"draft": [], "in_review": ["in_review"], "approved": ["in_review", "meeting"]}[state]
        for step in path:
            retrospective_transition(retrospective=retrospective, to_state=step, by=people["alice"])
        if state == "approved":  # approved before publishing was one step (the final approval now goes to done)
            type(retrospective).objects.filter(pk=retrospective.pk).update(state=state)
            retrospective.refresh_from_db()
        return retrospective

    return make


def card(html: str, heading_id: str) -> str:
    """The text of one of the home page's cards (by its heading's id)."""
    match = re.search(rf'<section aria-labelledby="{heading_id}".*?</section>', html, re.S)
    assert match, f"no card {heading_id}"
    return text_of(match.group(0))


def rows(html: str, heading_id: str) -> dict[str, str]:
    """A card's rows, by title: the text under each link."""
    match = re.search(rf'<section aria-labelledby="{heading_id}".*?</section>', html, re.S)
    assert match, f"no card {heading_id}"
    return {
        text_of(title): text_of(rest)
        for title, rest in re.findall(r'<p><a href="/retrospectives/\d+/">(.*?)</a>(.*?)</p>', match.group(0), re.S)
    }


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def home(client_for, name: str) -> str:
    response = client_for(name).get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_retrospective_past_its_draft_is_never_due_nor_overdue(retrospective_due, client_for):
    retrospective_due("Still drafting", due_in=-10)
    retrospective_due("In review now", due_in=-10, state="in_review")
    retrospective_due("Approved already", due_in=-10, state="approved")
    due_soon = card(home(client_for, "charlie"), "due-h")
    assert "Still drafting" in due_soon
    assert "In review now" not in due_soon and "Approved already" not in due_soon
    assert due_soon.count("overdue by") == 1


def test_due_soon_lists_drafts_due_within_a_week_soonest_first(retrospective_due, client_for):
    retrospective_due("Due in three days", due_in=3)
    retrospective_due("Due tomorrow", due_in=1)
    retrospective_due("Overdue for a month", due_in=-30)
    retrospective_due("Due in a fortnight", due_in=14)
    due_soon = rows(home(client_for, "charlie"), "due-h")
    assert list(due_soon) == ["Overdue for a month", "Due tomorrow", "Due in three days"]
    overdue, tomorrow = days_from_today(-30), days_from_today(1)
    late = WorkCalendar().between(overdue, days_from_today(0))
    assert due_soon["Overdue for a month"] == (
        f"First draft overdue by {late} working days (due {overdue:%b} {overdue.day}) · Bob"
    )
    assert due_soon["Due tomorrow"] == f"First draft due {tomorrow:%b} {tomorrow.day} · Bob"


def test_my_retrospectives_show_the_first_draft_date_only_while_drafting(retrospective_due, client_for):
    retrospective_due("Mine drafting", due_in=-2)
    retrospective_due("Mine in review", due_in=-3, state="in_review")
    retrospective_due("Mine approved", due_in=4, state="approved")
    mine = rows(home(client_for, "bob"), "mine-h")
    overdue = days_from_today(-2)
    assert mine["Mine drafting"].endswith(f"sections · first draft overdue since {overdue:%b} {overdue.day}")
    assert mine["Mine in review"].startswith("In review") and mine["Mine in review"].endswith("sections")
    assert mine["Mine approved"].startswith("Approved") and mine["Mine approved"].endswith("sections")


def test_my_retrospectives_list_drafts_by_due_date_then_the_rest_newest_first(retrospective_due, client_for):
    retrospective_due("Older in review", due_in=-5, state="in_review")
    retrospective_due("Draft due later", due_in=9)
    retrospective_due("Newer approved", due_in=-9, state="approved")
    retrospective_due("Draft due sooner", due_in=2)
    titles = list(rows(home(client_for, "bob"), "mine-h"))
    assert titles == ["Draft due sooner", "Draft due later", "Newer approved", "Older in review"]


def test_my_retrospectives_count_the_written_sections_of_each(retrospective_due, client_for, people):
    from retrospector.writeups.services import section_save

    written = retrospective_due("Half written", due_in=3)
    untouched = retrospective_due("Nothing written", due_in=4)
    sections = list(written.sections.order_by("position"))
    for section in sections[:3]:
        section_save(section=section, body="Something happened.", base_version=section.version, by=people["bob"])
    total = untouched.sections.count()
    mine = rows(home(client_for, "bob"), "mine-h")
    assert mine["Half written"].startswith(f"Draft 3/{len(sections)} sections")
    assert mine["Nothing written"].startswith(f"Draft 0/{total} sections")


def test_someone_who_cannot_see_a_private_incident_does_not_see_its_draft_due(retrospective_due, client_for):
    retrospective_due("Private draft", due_in=1, visibility="private")
    assert "Private draft" in card(home(client_for, "dana"), "due-h")
    assert "Private draft" not in card(home(client_for, "charlie"), "due-h")
    assert "Private draft" in card(home(client_for, "bob"), "mine-h")
    assert "Private draft" not in card(home(client_for, "charlie"), "mine-h")


def test_the_home_page_reads_the_same_queries_however_many_retrospectives_are_open(
    retrospective_due, client_for, django_assert_max_num_queries
):
    from retrospector.writeups.models import Retrospective, Section

    retrospective_due("First", due_in=1)
    client = client_for("bob")
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    # Twelve more: more than a card shows, each due, owned by bob, with sections to count.
    originals = list(Retrospective.objects.all())
    for n in range(12):
        for original in originals:
            sections = list(original.sections.all())
            original.pk = None
            original.title = f"Copy {n}"
            original.save()
            for section in sections:
                section.pk = None
                section.retrospective = original
            Section.objects.bulk_create(sections)
    with django_assert_max_num_queries(len(few)):
        html = client.get("/").content.decode()
    assert len(rows(html, "mine-h")) == 10
    assert len(rows(html, "due-h")) == 10
    # None of the queries reads every retrospective's sections: they are counted for the rows shown only.
    with CaptureQueriesContext(connection) as many:
        client.get("/")
    section_queries = [q["sql"] for q in many.captured_queries if "writeups_section" in q["sql"]]
    assert len(section_queries) == 1 and "IN (" in section_queries[0]
