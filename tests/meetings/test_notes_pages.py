"""The meeting's pages: the note-taker's page (a form per item, saved alone, with or without htmx), its read-only and
printable view, the conflict page, the roll call, the decisions after the meeting and the part on the retrospective's
page; permissions with two teams and the queries of the notes page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retrospector.meetings.models import AgendaItem, Attendee
from retrospector.meetings.notes import decision_apply, item_notes_save
from retrospector.notifications.models import Notification
from retrospector.reviews.threads import thread_start
from tests.meetings.notes_support import (
    add_items,
    at_meeting_fixture,  # noqa: F401  (the `at_meeting` fixture)
    save_summary,
    set_state,
    summary_of,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def notes_url(retrospective):
    return f"/retrospectives/{retrospective.pk}/meeting/notes"


def item_url(retrospective, item):
    return f"/retrospectives/{retrospective.pk}/meeting/notes/{item.pk}"


def decide(item, by, decision="change", text="Name the bank"):
    return item_notes_save(
        item=item, notes="n", decision=decision, decision_text=text, base_version=item.version, by=by
    )


def test_the_note_taker_sees_one_form_per_item_and_the_roll_call(at_meeting, client_for):
    retrospective, _, (first, second) = at_meeting()
    page = client_for("bob").get(notes_url(retrospective))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('name="base_version"') == 2
    assert (
        f'action="{item_url(retrospective, first)}"' in html and f'hx-post="{item_url(retrospective, second)}"' in html
    )
    assert 'name="attended-' in html and "Save the roll call" in html


def test_others_who_may_see_it_read_the_notes_without_forms(at_meeting, people, client_for):
    retrospective, _, (item, _) = at_meeting()
    item_notes_save(
        item=item, notes="The alert fired late.", decision="", decision_text="", base_version=1, by=people["bob"]
    )
    for name in ("dana", "charlie"):  # a viewer of payments; a member of another team (organization-wide incident)
        html = client_for(name).get(notes_url(retrospective)).content.decode()
        assert (
            "The alert fired late." in html and 'name="base_version"' not in html and "Save the roll call" not in html
        )


def test_the_printable_view_has_no_forms(at_meeting, client_for):
    retrospective, _, _ = at_meeting()
    html = client_for("bob").get(notes_url(retrospective) + "?view=print").content.decode()
    assert 'name="base_version"' not in html and "Part 1" in html and "data-print" in html


def test_a_private_incidents_meeting_is_404_to_another_team(at_meeting, client_for):
    retrospective, _, (item, _) = at_meeting(visibility="private")
    charlie = client_for("charlie")
    assert charlie.get(notes_url(retrospective)).status_code == 404
    assert charlie.get(f"/retrospectives/{retrospective.pk}/decisions").status_code == 404
    posted = charlie.post(item_url(retrospective, item), {"notes": "x", "base_version": 1})
    assert posted.status_code == 404
    assert client_for("dana").get(notes_url(retrospective)).status_code == 200


def test_a_reader_posting_notes_gets_403_with_who_may(at_meeting, client_for):
    retrospective, _, (item, _) = at_meeting()
    response = client_for("dana").post(item_url(retrospective, item), {"notes": "Mine", "base_version": 1})
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.notes == ""


def test_an_item_saved_without_js_goes_back_to_it(at_meeting, client_for):
    retrospective, _, (item, other) = at_meeting()
    response = client_for("bob").post(
        item_url(retrospective, item),
        {"notes": "Alert late", "decision": "clarify", "decision_text": "Add the alert's delay", "base_version": 1},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#item-{item.pk}")
    item.refresh_from_db()
    other.refresh_from_db()
    assert (item.notes, item.decision, item.decision_text, item.version) == (
        "Alert late",
        "clarify",
        "Add the alert's delay",
        2,
    )
    assert other.version == 1


def test_with_htmx_only_the_items_form_comes_back(at_meeting, client_for):
    retrospective, _, (item, _) = at_meeting()
    response = client_for("bob").post(item_url(retrospective, item), {"notes": "Alert late", "base_version": 1}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<section class="card agenda-item" id="item-{item.pk}"')
    assert "saved (version 2)" in html and 'value="2"' in html and "<html" not in html


def test_the_same_item_twice_shows_both_versions_and_loses_nothing(at_meeting, client_for):
    retrospective, _, (item, _) = at_meeting()
    client_for("bob").post(item_url(retrospective, item), {"notes": "Bob: the alert was late", "base_version": 1})
    for extra in ({}, HTMX):
        response = client_for("oscar").post(
            item_url(retrospective, item), {"notes": "Oscar: nobody owned the config", "base_version": 1}, **extra
        )
        html = response.content.decode()
        assert response.status_code == 409
        assert "Bob: the alert was late" in html and "Oscar: nobody owned the config" in html
        assert 'name="base_version" value="2"' in html  # saving again replaces theirs knowingly
    item.refresh_from_db()
    assert (item.notes, item.version) == ("Bob: the alert was late", 2)


def test_a_decision_without_text_is_refused_with_what_was_typed(at_meeting, client_for):
    retrospective, _, (item, _) = at_meeting()
    response = client_for("bob").post(
        item_url(retrospective, item), {"notes": "Long notes kept", "decision": "change", "base_version": 1}, **HTMX
    )
    assert response.status_code == 422
    assert "Say what was decided" in response.content.decode() and "Long notes kept" in response.content.decode()


def test_notes_after_the_meeting_are_refused_with_the_reason_and_kept(at_meeting, client_for):
    retrospective, _, (item, _) = at_meeting(state="approved")
    response = client_for("bob").post(item_url(retrospective, item), {"notes": "Late notes", "base_version": 1})
    html = response.content.decode()
    assert response.status_code == 409 and "read-only" in html and "Late notes" in html


def test_the_roll_call_form_records_attendance_and_refuses_outsiders(at_meeting, people, client_for):
    retrospective, meeting, _ = at_meeting(visibility="private")
    bob = client_for("bob")
    url = f"/retrospectives/{retrospective.pk}/meeting/roll-call"
    response = bob.post(
        url, {f"attended-{people['alice'].pk}": "yes", f"attended-{people['bob'].pk}": "no", "add": "dana"}
    )
    assert response.status_code == 302
    assert dict(Attendee.objects.filter(meeting=meeting).values_list("user__username", "attended")) == {
        "alice": True,
        "bob": False,
        "dana": True,
    }
    refused = bob.post(url, {"add": "charlie"}, follow=True)
    assert "@charlie may not see this incident" in refused.content.decode()
    assert not Attendee.objects.filter(meeting=meeting, user=people["charlie"]).exists()
    assert client_for("dana").post(url, {"add": "erin"}).status_code == 403


def thread_items(retrospective, meeting, people, count, *, start):
    """Agenda items of feedback threads on the summary (started while in review, as they would be)."""
    set_state(retrospective, "in_review")
    items = []
    for n in range(count):
        thread = thread_start(
            retrospective=retrospective,
            section=summary_of(retrospective),
            kind="disagree",
            body=f"No {n}",
            by=people["dana"],
        ).thread
        items.append(
            AgendaItem.objects.create(
                meeting=meeting, kind="thread", thread=thread, title=f"Disagreement {n}", position=start + n
            )
        )
    set_state(retrospective, "meeting")
    return items


def test_a_threads_item_links_to_its_thread(at_meeting, people, client_for):
    retrospective, meeting, _ = at_meeting()
    (item,) = thread_items(retrospective, meeting, people, 1, start=3)
    html = client_for("dana").get(notes_url(retrospective)).content.decode()
    assert "Feedback thread on Summary" in html and f'href="/threads/{item.thread_id}/"' in html


def test_the_notes_page_reads_a_constant_number_of_queries(at_meeting, people, client_for):
    retrospective, meeting, _ = at_meeting(items=5)
    bob = client_for("bob")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert bob.get(notes_url(retrospective)).status_code == 200
        return len(queries)

    few = count()
    items = add_items(meeting, 32, start=6) + thread_items(retrospective, meeting, people, 3, start=38)
    for item in items[::3]:
        decide(item, people["bob"])
    assert AgendaItem.objects.filter(meeting=meeting).count() == 40
    assert count() == few


# --- After the meeting ---------------------------------------------------------------------------------------------


def decisions_url(retrospective):
    return f"/retrospectives/{retrospective.pk}/decisions"


def test_the_owner_marks_a_decision_applied_by_a_revision_and_it_links_to_it(at_meeting, people, client_for):
    retrospective, _, (item, _) = at_meeting()
    decide(item, people["bob"])
    section = save_summary(retrospective, "Checkout failed; Bank A's cards were refused.", people["alice"])
    revision = section.revisions.get(version=section.version)
    alice = client_for("alice")
    page = alice.get(decisions_url(retrospective)).content.decode()
    assert f'<option value="{revision.pk}"' in page and "0 of 1" in page
    response = alice.post(f"{decisions_url(retrospective)}/{item.pk}/applied", {"revision": revision.pk})
    assert response.status_code == 302
    page = alice.get(decisions_url(retrospective)).content.decode()
    link = f"/retrospectives/{retrospective.pk}/sections/summary/history?version={revision.version}"
    assert link in page and "1 of 1" in page
    alice.post(f"{decisions_url(retrospective)}/{item.pk}/applied", {"revision": ""})
    item.refresh_from_db()
    assert item.applied_revision is None


def test_a_revision_of_another_retrospective_is_refused_on_the_page(at_meeting, people, client_for):
    retrospective, _, (item, _) = at_meeting()
    other, _, _ = at_meeting(title="Other outage")
    decide(item, people["bob"])
    foreign = summary_of(other).revisions.first()
    response = client_for("alice").post(
        f"{decisions_url(retrospective)}/{item.pk}/applied", {"revision": foreign.pk}, follow=True
    )
    assert "not one of this retrospective" in response.content.decode()
    item.refresh_from_db()
    assert item.applied_revision is None


def test_readers_see_decisions_without_forms_and_may_not_apply(at_meeting, people, client_for):
    retrospective, _, (item, _) = at_meeting()
    decide(item, people["bob"])
    dana = client_for("dana")
    page = dana.get(decisions_url(retrospective)).content.decode()
    assert "Name the bank" in page and "Mark applied" not in page and "Announce" not in page
    revision = summary_of(retrospective).revisions.first()
    assert dana.post(f"{decisions_url(retrospective)}/{item.pk}/applied", {"revision": revision.pk}).status_code == 403


def test_the_ready_button_is_enabled_once_every_decision_is_applied(at_meeting, people, client_for):
    retrospective, _, (item, _) = at_meeting()
    decide(item, people["bob"])
    alice = client_for("alice")
    assert "disabled" in alice.get(decisions_url(retrospective)).content.decode()
    refused = alice.post(f"{decisions_url(retrospective)}/ready", follow=True)
    assert "1 decision still to apply" in refused.content.decode()
    assert not Notification.objects.filter(kind="ready_for_approval").exists()
    decision_apply(item=item, revision_id=summary_of(retrospective).revisions.first().pk, by=people["alice"])
    assert " disabled" not in alice.get(decisions_url(retrospective)).content.decode()
    done = alice.post(f"{decisions_url(retrospective)}/ready", follow=True)
    assert "Announced ready for final approval" in done.content.decode()
    assert "Announced by Alice" in done.content.decode() and "Announce “ready" not in done.content.decode()
    assert set(
        Notification.objects.filter(kind="ready_for_approval").values_list("recipient__username", flat=True)
    ) == {
        "bob",
        "dana",
        "oscar",
    }
    assert client_for("bob").post(f"{decisions_url(retrospective)}/ready").status_code == 403


def test_the_retrospectives_page_shows_the_decisions_once_there_are_notes(at_meeting, people, client_for):
    retrospective, _, (item, _) = at_meeting()
    dana = client_for("dana")
    url = f"/retrospectives/{retrospective.pk}/"
    assert "Meeting decisions" not in dana.get(url).content.decode()
    decide(item, people["bob"])
    page = dana.get(url).content.decode()
    assert "Meeting decisions" in page and "Name the bank" in page and "To apply" in page
    assert notes_url(retrospective) in page and decisions_url(retrospective) in page
    item.refresh_from_db()
    revision = summary_of(retrospective).revisions.first()
    decision_apply(item=item, revision_id=revision.pk, by=people["alice"])
    page = dana.get(url).content.decode()
    assert "1 of 1 applied" in page and f"sections/summary/history?version={revision.version}" in page
