"""The final approval is mechanical: each missing thing alone blocks it and is listed with a link; once nothing is
missing, someone other than the owner who may approve does, on the state they saw; the generic state changes cannot
go around it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from retrospector.meetings.approval import (
    ApprovalBlocked,
    ApprovalStale,
    approval_for,
    approval_missing,
    approve,
    reopen,
)
from retrospector.meetings.models import AgendaItem
from retrospector.notifications.models import Notification
from retrospector.reviews.process import review_transition
from retrospector.reviews.threads import thread_reopen, thread_resolve, thread_start
from retrospector.writeups.models import Retrospective, StateChange
from retrospector.writeups.services import retrospective_transition
from tests.meetings.approval_support import BLAME, _fast_password_hashing, ready_fixture, set_state, token_of, write  # noqa: F401


def codes(retrospective):
    return [m.code for m in approval_missing(Retrospective.objects.get(pk=retrospective.pk))]


def decision(retrospective, *, applied):
    return AgendaItem.objects.create(
        meeting=retrospective.meeting,
        kind="part",
        part="analysis",
        title="Analysis",
        position=1,
        decision="change",
        decision_text="Say which alert fired.",
        applied_at=timezone.now() if applied else None,
    )


def open_thread(retrospective, by):
    return thread_start(retrospective=retrospective, section="summary", kind="change", body="Which bank?", by=by).thread


def test_nothing_is_missing_when_everything_is_done(ready):
    assert codes(ready()) == []


def test_an_unapplied_decision_alone_blocks_and_an_applied_one_does_not(ready):
    retrospective = ready()
    item = decision(retrospective, applied=False)
    missing = approval_missing(retrospective)
    assert [m.code for m in missing] == ["decision"]
    assert "Analysis" in missing[0].message and missing[0].link.endswith(f"#item-{item.pk}")
    AgendaItem.objects.filter(pk=item.pk).update(applied_at=timezone.now())
    assert codes(retrospective) == []


def test_an_open_thread_alone_blocks_until_it_is_resolved(ready, people):
    retrospective = set_state(ready(), "in_review")
    thread = open_thread(retrospective, people["bob"])
    retrospective = set_state(retrospective, "meeting")
    missing = approval_missing(retrospective)
    assert [m.code for m in missing] == ["thread"] and missing[0].link == f"/threads/{thread.pk}/"
    thread_resolve(thread=thread, resolution="changed", by=people["alice"])
    assert codes(retrospective) == []


def test_an_empty_required_section_alone_blocks(ready, people):
    retrospective = ready()
    write(retrospective, "summary", "", people["alice"])
    missing = approval_missing(retrospective)
    assert [m.code for m in missing] == ["section"]
    assert "Summary" in missing[0].message and missing[0].link.endswith("#section-summary")


def test_a_checker_error_alone_blocks_but_an_ignored_one_does_not(ready, people):
    from retrospector.writeups.checking import retrospective_checks
    from retrospector.writeups.services import finding_ignore

    retrospective = ready()
    write(retrospective, "summary", BLAME, people["alice"])
    assert codes(retrospective) == ["checker"]
    error = next(f for f in retrospective_checks(retrospective).counted if f.severity == "error")
    finding_ignore(
        retrospective=retrospective,
        section_key=error.section_key,
        rule=error.rule,
        passage=error.passage,
        reason="Quoted from the customer's report",
        by=people["bob"],
    )
    assert codes(retrospective) == []


def test_a_retrospective_not_in_its_meeting_is_not_ready(ready):
    assert codes(set_state(ready(), "in_review")) == ["state"]


def test_approving_with_something_missing_is_refused_with_the_list(ready, people):
    retrospective = ready()
    decision(retrospective, applied=False)
    with pytest.raises(ApprovalBlocked) as refused:
        approve(retrospective=retrospective, by=people["oscar"], token=token_of(retrospective))
    assert [m.code for m in refused.value.missing] == ["decision"]
    assert Retrospective.objects.get(pk=retrospective.pk).state == "meeting"


def test_a_team_admin_who_is_not_the_owner_approves_and_it_is_done_and_announced(ready, people):
    retrospective = ready(team="platform")  # charlie owns it; oscar is an organization admin
    done = approve(retrospective=retrospective, by=people["oscar"], token=token_of(retrospective))
    assert done.state == "done" and done.done_at is not None
    last = StateChange.objects.filter(retrospective=retrospective).last()
    assert (last.from_state, last.to_state, last.by, last.note) == ("meeting", "done", people["oscar"], "Approved")
    told = Notification.objects.filter(kind="approved", retrospective=retrospective)
    assert {n.recipient.username for n in told} == {"charlie"}


def test_the_owner_never_approves_their_own_write_up(ready, people):
    retrospective = ready()  # alice owns it, and is payments' admin
    with pytest.raises(PermissionDenied) as refused:
        approve(retrospective=retrospective, by=people["alice"], token=token_of(retrospective))
    assert "You own this write-up" in str(refused.value)
    assert Retrospective.objects.get(pk=retrospective.pk).state == "meeting"


def test_the_moderator_approves_and_a_plain_member_does_not(ready, people):
    retrospective = ready()
    with pytest.raises(PermissionDenied):
        approve(retrospective=retrospective, by=people["bob"], token=token_of(retrospective))
    retrospective.meeting.moderator = people["bob"]
    retrospective.meeting.save()
    retrospective = Retrospective.objects.get(pk=retrospective.pk)
    done = approve(retrospective=retrospective, by=people["bob"], token=token_of(retrospective))
    assert done.state == "done"
    told = {n.recipient.username for n in Notification.objects.filter(kind="approved")}
    assert "alice" in told and "dana" in told and "bob" not in told  # the team is told; not the approver


def test_an_approval_on_a_stale_state_is_refused_with_what_changed(ready, people):
    retrospective = set_state(ready(), "in_review")
    thread = open_thread(retrospective, people["bob"])
    thread_resolve(thread=thread, resolution="changed", by=people["alice"])
    retrospective = set_state(retrospective, "meeting")
    seen = token_of(retrospective)
    set_state(retrospective, "in_review")
    thread_reopen(thread=thread, by=people["bob"])
    thread_resolve(thread=thread, resolution="clarified", by=people["alice"])
    retrospective = set_state(retrospective, "meeting")
    approve_args = dict(retrospective=retrospective, by=people["oscar"])
    with pytest.raises(ApprovalStale):
        approve(**approve_args, token="not a token")
    write(retrospective, "summary", "Checkout failed for 29 minutes; payments recovered.", people["alice"])
    with pytest.raises(ApprovalStale) as refused:
        approve(**approve_args, token=seen)
    assert "a section was edited" in refused.value.changes
    assert approve(**approve_args, token=token_of(retrospective)).state == "done"


@pytest.mark.parametrize("to_state", ["approved", "done"])
def test_the_generic_state_changes_cannot_approve_from_the_meeting(ready, people, client_for, to_state):
    retrospective = ready()
    with pytest.raises(ValidationError) as refused:
        retrospective_transition(retrospective=retrospective, to_state=to_state, by=people["oscar"])
    assert "final approval" in refused.value.messages[0]
    with pytest.raises(ValidationError):
        review_transition(retrospective=retrospective, to_state=to_state, by=people["oscar"])
    client = client_for("oscar")
    client.post(f"/retrospectives/{retrospective.pk}/state", {"to_state": to_state})
    api = client.post(
        f"/api/v1/retrospectives/{retrospective.pk}/state", {"state": to_state}, content_type="application/json"
    )
    assert api.status_code == 422
    assert Retrospective.objects.get(pk=retrospective.pk).state == "meeting"
    assert not StateChange.objects.filter(retrospective=retrospective, from_state="meeting").exists()


def test_the_generic_state_buttons_leave_approving_to_the_final_approval(ready, client_for):
    retrospective = ready()
    page = client_for("oscar").get(f"/retrospectives/{retrospective.pk}/").content.decode()
    assert 'value="done"' not in page and 'value="approved"' not in page
    assert "Final approval" in page and f'action="/retrospectives/{retrospective.pk}/approve"' in page


def test_reopening_needs_a_reason_and_sends_it_back_to_review(ready, people):
    retrospective = ready()
    approve(retrospective=retrospective, by=people["oscar"], token=token_of(retrospective))
    with pytest.raises(ValidationError):
        reopen(retrospective=retrospective, by=people["bob"], reason="  ")
    with pytest.raises(PermissionDenied):
        reopen(retrospective=retrospective, by=people["dana"], reason="Numbers were wrong")
    reopened = reopen(retrospective=retrospective, by=people["bob"], reason="Numbers were wrong")
    assert reopened.state == "in_review" and reopened.done_at is None
    last = StateChange.objects.filter(retrospective=retrospective).last()
    assert (last.from_state, last.note, last.by) == ("done", "Numbers were wrong", people["bob"])
    with pytest.raises(ValidationError):
        reopen(retrospective=reopened, by=people["bob"], reason="Again")


def test_what_is_missing_costs_the_same_queries_however_much_is_missing(ready, people):
    few = ready()
    decision(few, applied=False)
    many = ready(title="Second outage")
    for _ in range(5):
        decision(many, applied=False)
    set_state(many, "in_review")
    for _ in range(4):
        open_thread(many, people["bob"])
    many = set_state(many, "meeting")

    def count(retrospective):
        retrospective = Retrospective.objects.select_related("incident__team", "incident__organization").get(
            pk=retrospective.pk
        )
        sections = list(retrospective.sections.all())
        approval_for(retrospective, sections)  # warm the checker's cache
        with CaptureQueriesContext(connection) as queries:
            approval_for(retrospective, sections)
        return len(queries)

    assert count(few) == count(many)


def test_who_approves_follows_the_process_version_the_retrospective_started_under(ready, people):
    from retrospector.reviews.models import Step
    from retrospector.reviews.org_process import process_version_create

    offsets = {
        Step.RESEARCH: 1,
        Step.FIRST_DRAFT: 5,
        Step.FEEDBACK_END: 8,
        Step.FEEDBACK_ADDRESSED: 10,
        Step.MEETING: 12,
    }
    process_version_create(
        organization=people["oscar"].organization,
        by=people["oscar"],
        reason="Only organization admins sign off for now.",
        severities_requiring=[],
        offsets=offsets,
        approvers="org_admin",
    )
    retrospective = ready(team="platform")  # charlie owns it; started under the version above
    retrospective.meeting.moderator = people["alice"]
    retrospective.meeting.save()
    retrospective = Retrospective.objects.get(pk=retrospective.pk)
    with pytest.raises(PermissionDenied) as refused:
        approve(retrospective=retrospective, by=people["alice"], token=token_of(retrospective))
    assert "organization admin" in str(refused.value)
    assert [p.username for p in approval_for(retrospective).approvers] == ["oscar"]
    assert approve(retrospective=retrospective, by=people["oscar"], token=token_of(retrospective)).state == "done"
