"""A done retrospective is the published record: nothing in it changes (the page, the editor, the API, the services)
until someone who may edit it reopens it, saying why; the reopening is recorded with who, why and when."""

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from retrospector.core.errors import ReadOnlyError
from retrospector.timeline.services import event_add
from retrospector.writeups.models import FindingIgnore, Retrospective, StateChange
from retrospector.writeups.services import (
    finding_ignore,
    finding_unignore,
    retrospective_assign,
    retrospective_transition,
    section_fill_from_key_events,
    section_restore,
    section_save,
)

SUMMARY = "Checkout failed for 29 minutes after a deploy."
BLAME = "The outage was caused by human error."


def finish(retrospective):
    """Mark it done as the final approval would. The approval's gate refuses a write-up with a checker error (BLAME,
    kept here on purpose); the gate has its own tests (tests/meetings/test_approval_gate.py)."""
    from django.utils import timezone

    Retrospective.objects.filter(pk=retrospective.pk).update(state="done", done_at=timezone.now())
    retrospective.refresh_from_db()


@pytest.fixture
def done(make_incident, make_retrospective, people):
    retrospective = make_retrospective(make_incident())
    for section in retrospective.sections.filter(required=True):
        body = SUMMARY if section.key == "summary" else f"Written {section.key}."
        section_save(section=section, body=body, base_version=section.version, by=people["bob"])
    factors = retrospective.sections.get(key="contributing-factors")
    section_save(section=factors, body=BLAME, base_version=factors.version, by=people["bob"])
    for state in ("in_review", "meeting"):
        retrospective_transition(retrospective=retrospective, to_state=state, by=people["alice"])
    finish(retrospective)
    assert retrospective.state == Retrospective.State.DONE
    return retrospective


def summary_of(retrospective):
    return retrospective.sections.get(key="summary")


# --- The services ------------------------------------------------------------------------------


def test_the_services_refuse_every_change_to_a_done_retrospective(done, people):
    summary = summary_of(done)
    bob = people["bob"]
    with pytest.raises(ReadOnlyError, match="is done, so it is read-only"):
        section_save(section=summary, body="Changed.", base_version=summary.version, by=bob)
    with pytest.raises(ReadOnlyError):
        section_restore(section=summary, version=1, base_version=summary.version, by=bob)
    with pytest.raises(ReadOnlyError):
        section_fill_from_key_events(
            section=done.sections.get(key="timeline"), base_version=1, by=bob, zone=ZoneInfo("UTC")
        )
    with pytest.raises(ReadOnlyError):
        finding_ignore(
            retrospective=done,
            section_key="contributing-factors",
            rule="blame",
            passage="human error",
            reason="A quote",
            by=bob,
        )
    with pytest.raises(ReadOnlyError):
        retrospective_assign(retrospective=done, by=people["alice"], owner=bob, shadow=None, due_at=date(2026, 6, 1))
    summary.refresh_from_db()
    assert (summary.body, summary.version) == (SUMMARY, 2)
    assert not FindingIgnore.objects.filter(retrospective=done).exists()


def test_an_ignore_made_before_it_was_done_cannot_be_taken_back_while_done(make_incident, make_retrospective, people):
    retrospective = make_retrospective(make_incident())
    for section in retrospective.sections.filter(required=True):
        section_save(section=section, body="Written.", base_version=section.version, by=people["bob"])
    factors = retrospective.sections.get(key="contributing-factors")
    section_save(section=factors, body=BLAME, base_version=factors.version, by=people["bob"])
    ignore = finding_ignore(
        retrospective=retrospective,
        section_key="contributing-factors",
        rule="blame",
        passage="human error",
        reason="Quoted from the customer's report",
        by=people["bob"],
    )
    for state in ("in_review", "meeting"):
        retrospective_transition(retrospective=retrospective, to_state=state, by=people["alice"])
    finish(retrospective)
    with pytest.raises(ReadOnlyError):
        finding_unignore(ignore=ignore, by=people["bob"])
    ignore.refresh_from_db()
    assert ignore.unignored_at is None


def test_reopening_needs_a_reason_and_records_who_and_why(done, people):
    with pytest.raises(ValidationError) as refused:
        retrospective_transition(retrospective=done, to_state="in_review", by=people["bob"], note="  ")
    assert refused.value.message_dict == {
        "note": ["Say why it is reopened: everyone who reads the retrospective sees the reason."]
    }
    done.refresh_from_db()
    assert done.state == "done"

    reopened = retrospective_transition(
        retrospective=done, to_state="in_review", by=people["bob"], note="The impact numbers were wrong."
    )

    assert reopened.state == "in_review" and reopened.done_at is None
    last = StateChange.objects.filter(retrospective=done).last()
    assert (last.from_state, last.to_state, last.by, last.note) == (
        "done",
        "in_review",
        people["bob"],
        "The impact numbers were wrong.",
    )
    summary = summary_of(done)
    saved = section_save(section=summary, body="Corrected.", base_version=summary.version, by=people["bob"])
    assert saved.body == "Corrected."


def test_a_reader_cannot_reopen_it(done, people):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        retrospective_transition(retrospective=done, to_state="in_review", by=people["dana"], note="I want to.")


# --- The page ----------------------------------------------------------------------------------


def test_the_page_says_it_is_read_only_and_offers_no_edits(done, client_for):
    page = client_for("bob").get(f"/retrospectives/{done.pk}/").content.decode()
    assert "read-only" in page and "Reopen to change it" in page and 'name="note"' in page
    assert f"/retrospectives/{done.pk}/sections/summary/edit" not in page
    assert "Fill from key events" not in page and 'class="ignore-here"' not in page
    assert "Change who writes it" not in page


def test_a_reader_sees_it_is_done_without_a_reopen_form(done, client_for):
    page = client_for("dana").get(f"/retrospectives/{done.pk}/").content.decode()
    assert "read-only" in page and "Reopen to change it" not in page


def test_the_editor_refuses_a_done_retrospective_and_keeps_the_text_sent(done, client_for):
    client = client_for("bob")
    url = f"/retrospectives/{done.pk}/sections/summary/edit"
    opened = client.get(url)
    assert opened.status_code == 409 and "is done, so it is read-only" in opened.content.decode()

    sent = client.post(url, {"body": "My late change.", "base_version": 2})
    assert sent.status_code == 409
    assert "My late change." in sent.content.decode() and "is done, so it is read-only" in sent.content.decode()

    in_page = client.post(url, {"body": "Also late.", "base_version": 2, "in_page": "1"}, HTTP_HX_REQUEST="true")
    assert in_page.status_code == 409
    assert 'id="section-summary"' in in_page.content.decode() and "Also late." in in_page.content.decode()
    summary = summary_of(done)
    assert (summary.body, summary.version) == (SUMMARY, 2)


def test_other_write_paths_on_the_page_refuse_it_with_the_reason(done, people, client_for):
    client = client_for("bob")
    timeline_version = done.sections.get(key="timeline").version
    event_add(incident=done.incident, by=people["bob"], occurred_at=done.created_at, text="Alert", key_event=True)
    filled = client.post(
        f"/retrospectives/{done.pk}/sections/timeline/fill-timeline", {"base_version": timeline_version}, follow=True
    )
    assert "is done, so it is read-only" in filled.content.decode()
    restored = client.post(
        f"/retrospectives/{done.pk}/sections/summary/restore", {"version": 1, "base_version": 2}, follow=True
    )
    assert "is done, so it is read-only" in restored.content.decode()
    ignored = client.post(
        f"/retrospectives/{done.pk}/sections/contributing-factors/ignore",
        {"rule": "blame", "passage": "human error", "reason": "a quote"},
        follow=True,
    )
    assert "is done, so it is read-only" in ignored.content.decode()
    assigned = client_for("alice").post(
        f"/retrospectives/{done.pk}/assign", {"owner": people["bob"].pk, "due_at": "2026-06-01"}
    )
    assert assigned.status_code == 409 and "is done, so it is read-only" in assigned.content.decode()
    assert summary_of(done).version == 2 and done.sections.get(key="timeline").version == timeline_version
    assert not FindingIgnore.objects.filter(retrospective=done).exists()


def test_reopening_on_the_page_needs_a_reason_and_shows_it_in_the_state_history(done, client_for):
    client = client_for("bob")
    url = f"/retrospectives/{done.pk}/state"
    refused = client.post(url, {"to_state": "in_review", "note": ""}, follow=True)
    assert "Say why it is reopened" in refused.content.decode()
    done.refresh_from_db()
    assert done.state == "done"

    reopened = client.post(url, {"to_state": "in_review", "note": "Impact numbers were wrong."}, follow=True)

    page = reopened.content.decode()
    assert "Reopened: it is back in review" in page
    assert "Done → In review by Bob" in page and "“Impact numbers were wrong.”" in page
    assert f"/retrospectives/{done.pk}/sections/summary/edit" in page


# --- The API -----------------------------------------------------------------------------------


def test_the_api_refuses_a_section_edit_with_409_and_the_reason(done, client_for):
    response = client_for("bob").put(
        f"/api/v1/retrospectives/{done.pk}/sections/summary",
        {"body": "Changed.", "base_version": 2},
        content_type="application/json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["field"] == "state" and "is done, so it is read-only" in body["detail"]
    assert body["current"]["body"] == SUMMARY and body["current"]["version"] == 2


def test_the_api_refuses_ignores_with_409(done, client_for):
    response = client_for("bob").post(
        f"/api/v1/retrospectives/{done.pk}/checks/ignores",
        {"section": "contributing-factors", "rule": "blame", "passage": "human error", "reason": "A quote"},
        content_type="application/json",
    )
    assert response.status_code == 409 and response.json()["field"] == "state"


def test_the_api_reopens_with_a_reason_only(done, client_for):
    client = client_for("bob")
    url = f"/api/v1/retrospectives/{done.pk}/state"
    refused = client.post(url, {"state": "in_review"}, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["field"] == "note"

    reopened = client.post(url, {"state": "in_review", "note": "Wrong numbers."}, content_type="application/json")

    assert reopened.status_code == 200 and reopened.json()["state"] == "in_review"
    saved = client.put(
        f"/api/v1/retrospectives/{done.pk}/sections/summary",
        {"body": "Corrected.", "base_version": 2},
        content_type="application/json",
    )
    assert saved.status_code == 200
