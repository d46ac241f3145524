"""The review's states: draft -> in review -> meeting -> approved -> done, and back; sending for review asks to
confirm what is missing and needs a reviewer besides the owner; approving needs someone other than the owner; each
move marks the steps it passes and notifies the people concerned."""

import json
from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from retrospector.notifications.models import Notification
from retrospector.reviews.models import Deadline, ReviewInvite, Step
from retrospector.reviews.process import deadlines_refresh, review_readiness, review_transition

RESOLVED = datetime(2026, 5, 7, 16, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def retro(make_incident, make_retrospective):
    retrospective = make_retrospective(make_incident(resolved_at=RESOLVED))
    deadlines_refresh(retrospective)
    return retrospective


def fill_required(retrospective, by):
    from retrospector.writeups.services import section_save

    for section in retrospective.sections.filter(required=True):
        section_save(section=section, body=f"Written: {section.title}.", base_version=section.version, by=by)


def move(retrospective, *states, by, note=""):
    for state in states:
        retrospective = review_transition(retrospective=retrospective, to_state=state, note=note, by=by)
    return retrospective


def approve(retrospective, by):
    """The final approval (retrospector.meetings.approval): out of the meeting, straight to done."""
    from retrospector.meetings.approval import approval_for, approve
    from retrospector.writeups.models import Retrospective

    token = approval_for(Retrospective.objects.get(pk=retrospective.pk)).token
    return approve(retrospective=retrospective, by=by, token=token)


def done_steps(retrospective):
    return set(
        Deadline.objects.filter(retrospective=retrospective, done_at__isnull=False).values_list("step", flat=True)
    )


def test_the_whole_path_forward_marks_each_step_done(retro, people):
    fill_required(retro, people["alice"])
    retro = move(retro, "in_review", by=people["alice"])
    assert done_steps(retro) == {Step.RESEARCH, Step.FIRST_DRAFT}
    retro = move(retro, "meeting", by=people["alice"])
    assert done_steps(retro) == {Step.RESEARCH, Step.FIRST_DRAFT, Step.FEEDBACK_END, Step.FEEDBACK_ADDRESSED}
    retro = approve(retro, by=people["oscar"])
    assert done_steps(retro) == set(Step.values)
    assert retro.state == "done" and retro.done_at is not None


@pytest.mark.parametrize(
    "path, back",
    [
        (["in_review"], "draft"),
        (["in_review", "meeting"], "in_review"),
        (["in_review", "meeting", "approved"], "in_review"),
    ],
)
def test_every_backward_move_is_allowed_and_done_steps_stay_done(retro, people, path, back):
    from retrospector.writeups.models import Retrospective

    fill_required(retro, people["alice"])
    for state in path:
        if state == "approved":  # approved before the final approval published in one step: kept as it was
            Retrospective.objects.filter(pk=retro.pk).update(state=state)
            retro.refresh_from_db()
            continue
        retro = move(retro, state, by=people["alice"])
    before = done_steps(retro)
    retro = move(retro, back, by=people["alice"])
    assert retro.state == back and done_steps(retro) == before


def test_reopening_a_done_retrospective_needs_a_reason(retro, people):
    fill_required(retro, people["alice"])
    retro = move(retro, "in_review", "meeting", by=people["alice"])
    retro = approve(retro, by=people["oscar"])
    with pytest.raises(ValidationError):
        move(retro, "in_review", by=people["alice"])
    assert move(retro, "in_review", by=people["alice"], note="A number was wrong").state == "in_review"


@pytest.mark.parametrize("frm, to", [("draft", "meeting"), ("draft", "approved"), ("in_review", "approved")])
def test_skipping_a_state_is_refused(retro, people, frm, to):
    if frm == "in_review":
        retro = move(retro, "in_review", by=people["alice"])
    with pytest.raises(ValidationError):
        move(retro, to, by=people["bob"])


def test_the_owner_cannot_approve_their_own_write_up(retro, people):
    fill_required(retro, people["alice"])
    retro = move(retro, "in_review", "meeting", by=people["alice"])
    with pytest.raises(ValidationError) as excinfo:  # the generic change leaves approving to the final approval
        move(retro, "approved", by=people["alice"])
    assert "final approval" in excinfo.value.messages[0]
    with pytest.raises(PermissionDenied) as refused:
        approve(retro, by=people["alice"])
    assert "You own this write-up" in str(refused.value)
    retro.refresh_from_db()
    assert retro.state == "meeting" and retro.state_changes.count() == 2


def test_a_reader_cannot_change_the_state(retro, people):
    with pytest.raises(PermissionDenied):
        move(retro, "in_review", by=people["dana"])


def test_sending_for_review_alone_is_refused_until_someone_is_invited(people, make_incident, make_retrospective):
    alone = make_retrospective(make_incident(team="platform", by="charlie"))  # charlie is platform's only member
    with pytest.raises(ValidationError) as excinfo:
        move(alone, "in_review", by=people["charlie"])
    assert "can't review their own write-up alone" in excinfo.value.messages[0]
    sent = review_transition(retrospective=alone, to_state="in_review", invite=[people["erin"]], by=people["charlie"])
    assert sent.state == "in_review"
    assert ReviewInvite.objects.filter(retrospective=alone, user=people["erin"]).exists()


def test_sending_for_review_notifies_the_team_and_the_invited(retro, people):
    review_transition(retrospective=retro, to_state="in_review", invite=[people["charlie"]], by=people["alice"])
    asked = set(
        Notification.objects.filter(kind="review_requested", retrospective=retro).values_list(
            "recipient__username", flat=True
        )
    )
    assert asked == {"bob", "dana", "charlie"}  # not alice, who sent it
    changed = set(
        Notification.objects.filter(kind="state_changed", retrospective=retro).values_list(
            "recipient__username", flat=True
        )
    )
    assert changed == {"charlie"}  # alice owns it and moved it herself; charlie is invited


def test_an_invitee_who_cannot_see_a_private_incident_is_invited_to_it_by_a_team_member(
    people, make_incident, make_retrospective
):
    private = make_retrospective(make_incident(visibility="private"))
    review_transition(retrospective=private, to_state="in_review", invite=[people["erin"]], by=people["alice"])
    assert private.incident.invitees.filter(pk=people["erin"].pk).exists()
    assert Notification.objects.filter(recipient=people["erin"], kind="review_requested").exists()


def test_an_owner_from_another_team_cannot_invite_into_a_private_incident(people, make_incident, make_retrospective):
    from retrospector.reviews.process import retrospective_assign

    private = make_retrospective(make_incident(visibility="private"))
    retrospective_assign(retrospective=private, owner=people["charlie"], by=people["alice"])
    with pytest.raises(ValidationError) as excinfo:
        review_transition(retrospective=private, to_state="in_review", invite=[people["erin"]], by=people["charlie"])
    assert "may not see this private incident" in excinfo.value.messages[0]
    assert not private.incident.invitees.filter(pk=people["erin"].pk).exists()


def test_the_confirmation_lists_what_is_missing(retro, people):
    from retrospector.reviews.models import AccountRequest

    AccountRequest.objects.create(retrospective=retro, responder=people["bob"], requested_by=people["alice"])
    readiness = review_readiness(retro)
    assert readiness.empty_required and readiness.missing
    assert readiness.unanswered_requests == ["Bob"]
    assert {p.username for p in readiness.reviewers} == {"bob", "dana"}


def test_the_state_button_for_a_draft_leads_to_the_confirmation_page(retro, client_for):
    client = client_for("alice")
    response = client.post(f"/retrospectives/{retro.pk}/state", {"to_state": "in_review"})
    assert response.status_code == 302 and response["Location"].endswith("/send-for-review")
    page = client.get(response["Location"]).content.decode()
    assert "Required sections still empty" in page and "Bob" in page
    assert client.post(response["Location"], {}).status_code == 422  # not confirmed
    sent = client.post(response["Location"], {"confirm": "on", "reviewers": "@charlie"})
    assert sent.status_code == 302
    retro.refresh_from_db()
    assert retro.state == "in_review" and ReviewInvite.objects.filter(user__username="charlie").exists()


def test_an_unknown_reviewer_is_named(retro, client_for):
    response = client_for("alice").post(
        f"/retrospectives/{retro.pk}/send-for-review", {"confirm": "on", "reviewers": "nobody"}
    )
    assert response.status_code == 422 and "Unknown person: nobody" in response.content.decode()


def test_the_page_part_shows_the_next_step_and_the_state_buttons(retro, client_for):
    page = client_for("alice").get(f"/retrospectives/{retro.pk}/").content.decode()
    assert 'id="next-due"' in page and "Research start" in page
    assert "Send for review…" in page
    assert "Send for review…" not in client_for("dana").get(f"/retrospectives/{retro.pk}/").content.decode()


def test_the_api_sends_for_review_with_invited_reviewers(people, make_incident, make_retrospective, client_for):
    alone = make_retrospective(make_incident(team="platform", by="charlie"))
    url = f"/api/v1/retrospectives/{alone.pk}/state"
    client = client_for("charlie")
    refused = client.post(url, json.dumps({"state": "in_review"}), content_type="application/json")
    assert refused.status_code == 422 and refused.json()["field"] == "state"
    unknown = client.post(
        url, json.dumps({"state": "in_review", "reviewers": ["zed"]}), content_type="application/json"
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "reviewers"
    sent = client.post(url, json.dumps({"state": "in_review", "reviewers": ["bob"]}), content_type="application/json")
    assert sent.status_code == 200 and sent.json()["state"] == "in_review"
