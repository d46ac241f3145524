"""The rules of the meeting's notes and decisions, through the services: items on their own versions, who writes,
when, the roll call, decisions applied by a revision of the write-up, and the announcement of readiness."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.meetings.models import AgendaItem, Attendee
from retrospector.meetings.notes import (
    decision_apply,
    item_notes_save,
    meeting_ready,
    roll_call,
)
from retrospector.notifications.models import Notification
from tests.meetings.notes_support import (
    at_meeting_fixture,  # noqa: F401  (the `at_meeting` fixture)
    enter_meeting,
    save_summary,
    set_state,
    summary_of,
)

pytestmark = pytest.mark.django_db


def save(item, by, *, notes="", decision="", decision_text="", base_version=None):
    return item_notes_save(
        item=item,
        notes=notes,
        decision=decision,
        decision_text=decision_text,
        base_version=item.version if base_version is None else base_version,
        by=by,
    )


def test_two_people_writing_two_items_never_conflict(at_meeting, people):
    _, _, (first, second) = at_meeting()
    save(first, people["bob"], notes="The alert fired late.", base_version=1)
    save(second, people["alice"], notes="Nobody owned the config.", base_version=1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.notes, first.version, first.updated_by) == ("The alert fired late.", 2, people["bob"])
    assert (second.notes, second.version, second.updated_by) == ("Nobody owned the config.", 2, people["alice"])


def test_the_same_item_saved_from_a_stale_version_conflicts_and_keeps_the_first_save(at_meeting, people):
    _, _, (item, _) = at_meeting()
    save(item, people["bob"], notes="Bob's notes", base_version=1)
    with pytest.raises(ConflictError) as refused:
        save(item, people["oscar"], notes="Oscar's notes", base_version=1)
    assert refused.value.current.notes == "Bob's notes" and refused.value.current.version == 2
    item.refresh_from_db()
    assert (item.notes, item.version) == ("Bob's notes", 2)


@pytest.mark.parametrize("writer", ["bob", "oscar", "alice"])  # note-taker, moderator, owner
def test_the_note_taker_the_moderator_and_the_owner_write_notes(at_meeting, people, writer):
    _, _, (item, _) = at_meeting()
    saved = save(item, people[writer], notes="Noted", decision="change", decision_text="Name the bank")
    assert (saved.decision, saved.decision_text, saved.version) == ("change", "Name the bank", 2)


@pytest.mark.parametrize("reader", ["dana", "charlie", "erin"])
def test_nobody_else_writes_notes_even_a_team_member(at_meeting, people, reader):
    _, _, (item, _) = at_meeting()
    with pytest.raises(PermissionDenied, match="note-taker"):
        save(item, people[reader], notes="Mine")
    item.refresh_from_db()
    assert item.notes == ""


def test_a_note_taker_who_may_not_see_a_private_incident_is_refused(at_meeting, people):
    retrospective, meeting, (item, _) = at_meeting(visibility="private")
    meeting.note_taker = people["charlie"]  # platform: may not see payments' private incident
    meeting.save()
    with pytest.raises(PermissionDenied):
        save(item, people["charlie"], notes="Leaked?")


@pytest.mark.parametrize("state", ["in_review", "approved", "done"])
def test_notes_are_written_only_at_the_meeting(at_meeting, people, state):
    _, _, (item, _) = at_meeting(state=state)
    with pytest.raises(ReadOnlyError) as refused:
        save(item, people["bob"], notes="Too late or too early")
    assert "meeting" in str(refused.value)
    assert refused.value.current.pk == item.pk


def test_a_decision_needs_its_text_and_a_text_needs_its_kind(at_meeting, people):
    _, _, (item, _) = at_meeting()
    with pytest.raises(ValidationError) as no_text:
        save(item, people["bob"], decision="clarify", decision_text="  ")
    assert "decision_text" in no_text.value.message_dict
    with pytest.raises(ValidationError) as no_kind:
        save(item, people["bob"], decision_text="Add the timeline")
    assert "decision" in no_kind.value.message_dict
    with pytest.raises(ValidationError) as too_long:
        save(item, people["bob"], notes="x" * 20_001)
    assert "notes" in too_long.value.message_dict


def test_the_roll_call_records_who_attended_and_adds_people_who_may_see_it(at_meeting, people):
    _, meeting, _ = at_meeting()
    attendees = roll_call(
        meeting=meeting,
        attended={people["alice"].pk: True, people["bob"].pk: False, people["dana"].pk: True},
        by=people["bob"],
    )
    shown = {a.user.username: (a.mandatory, a.attended) for a in attendees}
    assert shown == {"alice": (True, True), "bob": (False, False), "dana": (False, True)}
    roll_call(meeting=meeting, attended={people["bob"].pk: None}, by=people["bob"])
    assert Attendee.objects.get(meeting=meeting, user=people["bob"]).attended is None


def test_the_roll_call_refuses_people_who_may_not_see_a_private_incident(at_meeting, people):
    _, meeting, _ = at_meeting(visibility="private")
    with pytest.raises(ValidationError, match="@charlie may not see"):
        roll_call(meeting=meeting, attended={people["alice"].pk: True, people["charlie"].pk: True}, by=people["bob"])
    assert not Attendee.objects.filter(meeting=meeting, user=people["charlie"]).exists()
    assert Attendee.objects.get(meeting=meeting, user=people["alice"]).attended is None  # nothing recorded


def test_only_the_note_writers_call_the_roll(at_meeting, people):
    _, meeting, _ = at_meeting()
    with pytest.raises(PermissionDenied):
        roll_call(meeting=meeting, attended={people["dana"].pk: True}, by=people["dana"])


def decided(item, by, *, decision="change", text="Name the bank"):
    return save(item, by, notes="n", decision=decision, decision_text=text)


def test_a_decision_is_applied_by_a_revision_of_its_retrospective_and_undone(at_meeting, people):
    retrospective, _, (item, _) = at_meeting()
    item = decided(item, people["bob"])
    section = save_summary(retrospective, "Checkout failed; the fraud rule of Bank A.", people["alice"])
    revision = section.revisions.get(version=section.version)
    applied = decision_apply(item=item, revision_id=revision.pk, by=people["alice"])
    assert (applied.applied_revision, applied.applied_by) == (revision, people["alice"]) and applied.applied_at
    undone = decision_apply(item=item, revision_id=None, by=people["alice"])
    assert (undone.applied_revision, undone.applied_at) == (None, None)


def test_a_revision_of_another_retrospective_is_refused(at_meeting, people):
    retrospective, _, (item, _) = at_meeting()
    other, _, _ = at_meeting(title="Another outage")
    item = decided(item, people["bob"])
    section = save_summary(other, "Elsewhere.", people["alice"])
    with pytest.raises(ValidationError, match="not one of this retrospective"):
        decision_apply(item=item, revision_id=section.revisions.get(version=section.version).pk, by=people["alice"])
    item.refresh_from_db()
    assert item.applied_revision is None


def test_readers_do_not_mark_decisions_applied(at_meeting, people):
    retrospective, _, (item, _) = at_meeting()
    item = decided(item, people["bob"])
    revision = summary_of(retrospective).revisions.first()
    with pytest.raises(PermissionDenied):
        decision_apply(item=item, revision_id=revision.pk, by=people["dana"])


def test_changing_an_applied_decision_marks_it_not_applied(at_meeting, people):
    retrospective, _, (item, _) = at_meeting()
    item = decided(item, people["bob"])
    decision_apply(item=item, revision_id=summary_of(retrospective).revisions.first().pk, by=people["alice"])
    item.refresh_from_db()
    changed = save(item, people["bob"], notes="n", decision="disagree", decision_text="Bob disagrees")
    assert changed.applied_revision is None


def test_ready_is_refused_while_a_decision_is_not_applied(at_meeting, people):
    retrospective, meeting, (first, second) = at_meeting()
    decided(first, people["bob"])
    second = decided(second, people["bob"], decision="disagree", text="Oscar thinks it was the deploy")
    decision_apply(item=second, revision_id=summary_of(retrospective).revisions.first().pk, by=people["alice"])
    with pytest.raises(ValidationError, match="1 decision still to apply: “Part 1”"):
        meeting_ready(meeting=meeting, by=people["alice"])
    meeting.refresh_from_db()
    assert meeting.ready_at is None
    assert not Notification.objects.filter(kind="ready_for_approval").exists()


def test_ready_notifies_the_team_once_and_again_after_a_reopen(at_meeting, people):
    retrospective, meeting, (item, _) = at_meeting()
    enter_meeting(retrospective, people["alice"])
    item = decided(item, people["bob"])
    decision_apply(item=item, revision_id=summary_of(retrospective).revisions.first().pk, by=people["alice"])
    announced = meeting_ready(meeting=meeting, by=people["alice"])
    # The team (bob, dana; alice announced it) and the moderator (oscar); charlie is in another team.
    assert sorted(p.username for p in announced.notified) == ["bob", "dana", "oscar"]
    again = meeting_ready(meeting=meeting, by=people["alice"])
    assert again.already and again.notified == []
    rows = Notification.objects.filter(kind="ready_for_approval")
    assert rows.count() == 3 and {n.url for n in rows} == {f"/retrospectives/{retrospective.pk}/"}
    meeting.refresh_from_db()
    assert (meeting.ready_by, meeting.ready_at is not None) == (people["alice"], True)
    # Reopened for review, back at the meeting: announcing tells them again.
    set_state(retrospective, "in_review")
    enter_meeting(retrospective, people["alice"])
    third = meeting_ready(meeting=meeting, by=people["alice"])
    assert not third.already and len(third.notified) == 3
    assert Notification.objects.filter(kind="ready_for_approval").count() == 6


def test_only_the_owner_announces_ready(at_meeting, people):
    _, meeting, _ = at_meeting()
    for name in ("bob", "oscar", "dana"):
        with pytest.raises(PermissionDenied, match="owner"):
            meeting_ready(meeting=meeting, by=people[name])


def test_a_meeting_without_decisions_can_be_announced_ready(at_meeting, people):
    _, meeting, _ = at_meeting()
    assert not AgendaItem.objects.filter(meeting=meeting).exclude(decision="").exists()
    assert meeting_ready(meeting=meeting, by=people["alice"]).notified
