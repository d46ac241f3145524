"""The agenda builds itself from the feedback threads; its editors add the meeting template's parts and free items,
reorder them and give each a time box, against the meeting's length."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retrospector.core.errors import ConflictError, ReadOnlyError
from retrospector.meetings.agenda import (
    agenda_item_add,
    agenda_item_move,
    agenda_item_remove,
    agenda_item_step,
    agenda_summary,
    agenda_sync,
    agenda_time_box_set,
    agenda_totals,
    clean_time_box,
    meeting_for,
    meeting_parts,
)
from retrospector.meetings.models import AgendaItem, Meeting
from retrospector.reviews.threads import thread_reopen, thread_resolve
from tests.meetings.agenda_support import agenda_fixture, many_threads, talk  # noqa: F401  (the `agenda` fixture)
from tests.reviews.thread_support import retro_fixture, set_state  # noqa: F401  (the `retro` fixture)

pytestmark = pytest.mark.django_db


def version(meeting) -> int:
    """The agenda's version as it is now (what a page or a client would have read)."""
    return Meeting.objects.get(pk=meeting.pk).agenda_version


def titles(meeting):
    return [item.title for item in agenda_sync(meeting)]


def test_the_meeting_is_made_once_and_the_owner_presents_it(retro, people):
    retrospective = retro()
    meeting = meeting_for(retrospective)
    assert meeting.presenter == people["alice"] == retrospective.owner
    assert meeting_for(retrospective).pk == meeting.pk
    assert Meeting.objects.filter(retrospective=retrospective).count() == 1


def test_a_thread_with_three_messages_joins_the_agenda(agenda, people):
    retrospective, meeting = agenda
    thread = talk(retrospective, people, messages=3, quote="fraud rule")
    items = agenda_sync(meeting)
    assert [(i.kind, i.thread_id, i.position) for i in items] == [("thread", thread.pk, 1)]
    assert items[0].title == "Change on Summary: “fraud rule”"


def test_a_thread_with_two_messages_does_not(agenda, people):
    retrospective, meeting = agenda
    talk(retrospective, people, messages=2)
    assert agenda_sync(meeting) == []


def test_a_thread_joins_when_its_third_message_arrives(agenda, people):
    from retrospector.reviews.threads import comment_add

    retrospective, meeting = agenda
    thread = talk(retrospective, people, messages=2)
    assert agenda_sync(meeting) == []
    comment_add(thread=thread, body="A third.", by=people["alice"])
    assert [i.thread_id for i in agenda_sync(meeting)] == [thread.pk]


def test_an_open_disagreement_joins_with_its_first_message(agenda, people):
    retrospective, meeting = agenda
    thread = talk(retrospective, people, kind="disagree", messages=1)
    assert [i.thread_id for i in agenda_sync(meeting)] == [thread.pk]
    assert titles(meeting) == ["Disagree on Summary"]


def test_a_resolved_disagreement_with_fewer_than_three_messages_leaves(agenda, people):
    retrospective, meeting = agenda
    thread = talk(retrospective, people, kind="disagree", messages=2)
    assert len(agenda_sync(meeting)) == 1
    thread_resolve(thread=thread, resolution="disagreed", by=people["alice"])
    assert agenda_sync(meeting) == []
    thread_reopen(thread=thread, by=people["alice"])
    assert [i.thread_id for i in agenda_sync(meeting)] == [thread.pk]


@pytest.mark.parametrize("written", [{"notes": "We talked it through."}, {"decision": "disagree"}])
def test_a_resolved_disagreement_stays_when_the_meeting_wrote_on_it(agenda, people, written):
    retrospective, meeting = agenda
    thread = talk(retrospective, people, kind="disagree", messages=1)
    (item,) = agenda_sync(meeting)
    AgendaItem.objects.filter(pk=item.pk).update(**written)
    thread_resolve(thread=thread, resolution="disagreed", by=people["alice"])
    assert [i.pk for i in agenda_sync(meeting)] == [item.pk]


def test_a_resolved_thread_of_three_messages_stays(agenda, people):
    retrospective, meeting = agenda
    thread = talk(retrospective, people, kind="question", messages=3)
    thread_resolve(thread=thread, resolution="clarified", by=people["alice"])
    (item,) = agenda_sync(meeting)
    assert item.thread_id == thread.pk and not item.shown_thread.is_open


def test_thread_items_are_made_once_and_new_ones_come_last(agenda, people):
    retrospective, meeting = agenda
    first = talk(retrospective, people, messages=3)
    agenda_sync(meeting)
    agenda_item_add(meeting=meeting, part="roll-call", by=people["alice"])
    second = talk(retrospective, people, kind="disagree")
    agenda_sync(meeting)
    items = agenda_sync(meeting)
    assert [(i.thread_id, i.part, i.position) for i in items] == [
        (first.pk, "", 1),
        (None, "roll-call", 2),
        (second.pk, "", 3),
    ]
    assert AgendaItem.objects.filter(meeting=meeting, thread=first).count() == 1


def test_leaving_items_close_the_gap(agenda, people):
    retrospective, meeting = agenda
    leaving = talk(retrospective, people, kind="disagree")
    agenda_item_add(meeting=meeting, part="impact", by=people["alice"])
    agenda_sync(meeting)
    thread_resolve(thread=leaving, resolution="disagreed", by=people["alice"])
    assert [(i.part, i.position) for i in agenda_sync(meeting)] == [("impact", 1)]


def test_the_meeting_templates_parts_keep_its_titles_and_suggested_minutes():
    parts = {part.key: (part.title, part.minutes) for part in meeting_parts()}
    assert parts == {
        "roll-call": ("Roll call", 2),
        "timeline": ("Timeline walkthrough", 5),
        "what-happened": ("What happened", 5),
        "impact": ("Impact", 10),
        "analysis-notes": ("Analysis notes", 20),
        "seen-before": ("Have we seen this before?", 5),
        "went-well": ("What went well", 5),
        "meeting-feedback": ("How did this retrospective go?", 5),
    }


def test_a_part_is_added_once_and_a_free_item_needs_a_title(agenda, people):
    _, meeting = agenda
    item = agenda_item_add(meeting=meeting, part="analysis-notes", by=people["bob"])
    assert (item.title, item.time_box_minutes, item.position, item.kind) == ("Analysis notes", 20, 1, "part")
    with pytest.raises(ValidationError, match="already on the agenda"):
        agenda_item_add(meeting=meeting, part="analysis-notes", by=people["bob"])
    with pytest.raises(ValidationError, match="No meeting part"):
        agenda_item_add(meeting=meeting, part="lunch", by=people["bob"])
    with pytest.raises(ValidationError, match="Give the item a title"):
        agenda_item_add(meeting=meeting, title="   ", by=people["bob"])
    free = agenda_item_add(meeting=meeting, title="  Vendor\n escalation ", time_box_minutes=7, by=people["bob"])
    assert (free.title, free.time_box_minutes, free.position, free.part) == ("Vendor escalation", 7, 2, "")


def _three_parts(meeting, people):
    for key in ("roll-call", "impact", "went-well"):
        agenda_item_add(meeting=meeting, part=key, by=people["alice"])
    meeting.refresh_from_db()
    return list(AgendaItem.objects.filter(meeting=meeting))


def test_items_move_up_down_and_to_a_position_numbered_one_to_n(agenda, people):
    _, meeting = agenda
    roll, impact, well = _three_parts(meeting, people)
    agenda_item_step(item=well, direction="up", base_version=version(meeting), by=people["alice"])
    assert [i.part for i in agenda_sync(meeting)] == ["roll-call", "went-well", "impact"]
    agenda_item_move(item=roll, to_position=3, base_version=version(meeting), by=people["alice"])
    items = agenda_sync(meeting)
    assert [(i.part, i.position) for i in items] == [("went-well", 1), ("impact", 2), ("roll-call", 3)]
    agenda_item_step(item=well, direction="up", base_version=version(meeting), by=people["alice"])  # first: stays
    assert [i.part for i in agenda_sync(meeting)] == ["went-well", "impact", "roll-call"]
    with pytest.raises(ValidationError, match="from 1 to 3"):
        agenda_item_move(item=roll, to_position=4, base_version=version(meeting), by=people["alice"])


def test_a_stale_reorder_is_refused_and_moves_nothing(agenda, people):
    _, meeting = agenda
    roll, impact, well = _three_parts(meeting, people)
    read = meeting.agenda_version
    agenda_item_move(item=well, to_position=1, base_version=read, by=people["bob"])
    with pytest.raises(ConflictError, match="The agenda changed since you read it") as caught:
        agenda_item_step(item=roll, direction="down", base_version=read, by=people["alice"])
    assert caught.value.current.agenda_version == read + 1
    assert [i.part for i in agenda_sync(meeting)] == ["went-well", "roll-call", "impact"]


def test_removing_a_part_renumbers_and_a_thread_item_cannot_be_removed(agenda, people):
    retrospective, meeting = agenda
    talk(retrospective, people, kind="disagree")
    thread_item = agenda_sync(meeting)[0]
    roll, impact = (agenda_item_add(meeting=meeting, part=k, by=people["alice"]) for k in ("roll-call", "impact"))
    agenda_item_remove(item=roll, by=people["alice"])
    assert [(i.pk, i.position) for i in agenda_sync(meeting)] == [(thread_item.pk, 1), (impact.pk, 2)]
    with pytest.raises(ValidationError, match="follows its thread"):
        agenda_item_remove(item=thread_item, by=people["alice"])


@pytest.mark.parametrize("minutes", [0, 241, -5, "abc", "", 2.5, True])
def test_a_time_box_is_a_whole_number_of_minutes_from_1_to_240(minutes):
    with pytest.raises(ValidationError) as caught:
        clean_time_box(minutes)
    assert "minutes" in caught.value.messages[0]


def test_a_time_box_out_of_range_says_so_and_changes_nothing(agenda, people):
    _, meeting = agenda
    item = agenda_item_add(meeting=meeting, part="impact", by=people["alice"])
    meeting.refresh_from_db()
    with pytest.raises(ValidationError, match="A time box is from 1 to 240 minutes; 241 is not."):
        agenda_time_box_set(item=item, minutes=241, base_version=version(meeting), by=people["alice"])
    for minutes in (1, 240, "45"):
        agenda_time_box_set(item=item, minutes=minutes, base_version=version(meeting), by=people["alice"])
    assert AgendaItem.objects.get(pk=item.pk).time_box_minutes == 45


def test_the_total_is_shown_against_the_meeting_length(agenda, people):
    retrospective, meeting = agenda
    talk(retrospective, people, kind="disagree")  # 5 minutes
    agenda_item_add(meeting=meeting, part="analysis-notes", by=people["alice"])  # 20
    totals = agenda_totals(meeting, agenda_sync(meeting))
    assert (totals.count, totals.total_minutes, totals.length_minutes) == (2, 25, 60)
    assert totals.sentence == "Total 25 of 60 minutes: 35 minutes to spare."
    agenda_item_add(meeting=meeting, title="Deep dive", time_box_minutes=50, by=people["alice"])
    totals = agenda_totals(meeting, agenda_sync(meeting))
    assert totals.over_by == 15 and totals.sentence == "Total 75 of 60 minutes: over by 15 minutes."


def test_the_summary_counts_what_the_sync_would_do_without_writing(retro, people):
    retrospective = retro()
    talk(retrospective, people, kind="disagree")
    summary = agenda_summary(retrospective)
    assert (summary.count, summary.total_minutes, summary.length_minutes) == (1, 5, 60)
    assert not Meeting.objects.filter(retrospective=retrospective).exists()


def test_readers_may_not_change_the_agenda_and_an_approved_one_is_read_only(agenda, people):
    retrospective, meeting = agenda
    with pytest.raises(PermissionDenied):
        agenda_item_add(meeting=meeting, part="impact", by=people["dana"])
    with pytest.raises(PermissionDenied):
        agenda_item_add(meeting=meeting, part="impact", by=people["charlie"])
    item = agenda_item_add(meeting=meeting, part="impact", by=people["bob"])
    set_state(retrospective, "approved")
    with pytest.raises(ReadOnlyError, match="read-only"):
        agenda_time_box_set(item=item, minutes=9, base_version=version(meeting), by=people["alice"])


def _sync_queries(meeting) -> int:
    with CaptureQueriesContext(connection) as captured:
        agenda_sync(meeting)
    return len(captured)


def test_the_agenda_is_built_and_read_in_a_constant_number_of_queries(agenda, people):
    retrospective, meeting = agenda
    many_threads(retrospective, people, 6)
    building_6 = _sync_queries(meeting)
    reading_6 = _sync_queries(meeting)
    many_threads(retrospective, people, 54)
    building_60 = _sync_queries(meeting)
    reading_60 = _sync_queries(meeting)
    assert AgendaItem.objects.filter(meeting=meeting).count() == 60
    assert building_60 == building_6 <= 10
    assert reading_60 == reading_6 == 2


def test_the_fast_insert_of_thread_items_writes_what_the_orm_would(agenda, people):
    from django.forms.models import model_to_dict

    from retrospector.meetings.agenda import THREAD_TIME_BOX, thread_items_insert

    retrospective, meeting = agenda
    fast, plain = talk(retrospective, people), talk(retrospective, people)
    thread_items_insert(meeting_id=meeting.pk, rows=[(fast.pk, "Change on Summary: “a”", 1)])
    AgendaItem.objects.create(
        meeting=meeting,
        kind="thread",
        thread=plain,
        title="Change on Summary: “a”",
        position=1,
        time_box_minutes=THREAD_TIME_BOX,
    )
    one, other = (AgendaItem.objects.get(thread=t) for t in (fast, plain))
    differing = {"id", "thread"}
    assert {k: v for k, v in model_to_dict(one).items() if k not in differing} == {
        k: v for k, v in model_to_dict(other).items() if k not in differing
    }
    assert abs((one.updated_at - other.updated_at).total_seconds()) < 60 and one.updated_at.tzinfo is not None


def test_moving_the_meeting_does_not_make_an_open_agenda_stale(people, make_incident, make_retrospective):
    # The agenda's order and the meeting's schedule are versioned apart: rescheduling never refuses a reorder.
    from retrospector.meetings.agenda import agenda_item_add, meeting_for
    from retrospector.meetings.schedule import meeting_save

    retrospective = make_retrospective(make_incident())
    meeting = meeting_for(retrospective)
    read = Meeting.objects.get(pk=meeting.pk)
    meeting_save(retrospective=retrospective, by=people["alice"], base_version=read.version, length_minutes=90)
    item = agenda_item_add(meeting=meeting, part="roll-call", by=people["alice"], base_version=read.agenda_version)
    assert item.title == "Roll call"
