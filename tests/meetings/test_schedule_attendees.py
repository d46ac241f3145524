"""Who is asked to the meeting: the owner and the agenda threads' writers as mandatory, the rest of the team as
optional, never anyone who may not see the incident; and the roles, which go only to people who may see it."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from retrospector.accounts.models import Membership
from retrospector.incidents.models import Incident
from retrospector.incidents.selectors import incidents_visible_to
from retrospector.meetings.models import Attendee
from retrospector.meetings.schedule import attendees_sync, meeting_of, meeting_save, people_who_may_see
from tests.meetings.schedule_support import agenda_thread, meeting_fixture, off_agenda_thread, retro_fixture  # noqa: F401


def asked(meeting):
    return {a.user.username: a.mandatory for a in Attendee.objects.filter(meeting=meeting).select_related("user")}


def test_the_owner_is_mandatory_and_the_teams_members_and_admins_optional(meeting, people):
    attendees_sync(meeting)
    # alice owns it; bob is a member of payments; dana is only a viewer of payments; charlie is in another team.
    assert asked(meeting) == {"alice": True, "bob": False}


def test_who_wrote_in_an_agenda_thread_is_mandatory_whatever_their_team(meeting, people):
    agenda_thread(meeting, people["bob"], people["charlie"], people["dana"])
    attendees_sync(meeting)
    assert asked(meeting) == {"alice": True, "bob": True, "charlie": True, "dana": True}


def test_writing_in_a_thread_off_the_agenda_asks_nobody(meeting, people):
    off_agenda_thread(meeting, people["charlie"])
    attendees_sync(meeting)
    assert "charlie" not in asked(meeting)


def test_someone_who_may_not_see_a_private_incident_is_never_asked(retro, people):
    meeting = meeting_of(retro(visibility="private", state="meeting"))
    agenda_thread(meeting, people["bob"], people["charlie"])  # charlie wrote before the incident was made private
    attendees_sync(meeting)
    assert asked(meeting) == {"alice": True, "bob": True}


def test_people_who_may_see_follows_the_incidents_visibility_rule(retro, people):
    for visibility in ("organization", "private"):
        incident = meeting_of(retro(visibility=visibility)).retrospective.incident
        Incident.invitees.through.objects.create(incident=incident, user=people["erin"])
        expected = {
            u
            for u in ("alice", "bob", "charlie", "dana", "erin", "oscar")
            if incidents_visible_to(people[u]).filter(pk=incident.pk).exists()
        }
        assert set(people_who_may_see(incident).values_list("username", flat=True)) == expected


def test_who_is_no_longer_asked_leaves_unless_the_roll_call_recorded_them(meeting, people):
    attendees_sync(meeting)
    Membership.objects.filter(user=people["bob"]).delete()
    attendees_sync(meeting)
    assert "bob" not in asked(meeting)

    Membership.objects.create(team=people["payments"], user=people["bob"], role="member")
    attendees_sync(meeting)
    Attendee.objects.filter(meeting=meeting, user=people["bob"]).update(attended=True)
    Membership.objects.filter(user=people["bob"]).delete()
    attendees_sync(meeting)
    assert asked(meeting) == {"alice": True, "bob": False}


def test_an_optional_attendee_becomes_mandatory_once_their_thread_joins_the_agenda(meeting, people):
    attendees_sync(meeting)
    assert asked(meeting)["bob"] is False
    agenda_thread(meeting, people["bob"])
    attendees_sync(meeting)
    assert asked(meeting)["bob"] is True


def test_syncing_costs_the_same_queries_for_three_or_thirty_people(
    meeting, people, django_assert_num_queries, django_assert_max_num_queries
):
    from tests.conftest import make_user

    agenda_thread(meeting, people["bob"])
    attendees_sync(meeting)
    with django_assert_num_queries(5) as few:
        attendees_sync(meeting)
    for i in range(30):
        user = make_user(people["payments"].organization, f"member{i}")
        Membership.objects.create(team=people["payments"], user=user, role="member")
    agenda_thread(meeting, *[people["alice"], people["charlie"]], title="Second", position=2)
    with django_assert_max_num_queries(len(few.captured_queries) + 2):  # an insert, an update: whatever their number
        attendees_sync(meeting)
    assert len(asked(meeting)) == 33


def test_roles_go_only_to_people_who_may_see_the_incident(retro, people):
    meeting = meeting_of(retro(visibility="private", state="meeting"))
    with pytest.raises(ValidationError) as refused:
        meeting_save(
            retrospective=meeting.retrospective, by=people["alice"], base_version=1, note_taker=people["charlie"]
        )
    assert "note_taker" in refused.value.error_dict
    saved = meeting_save(
        retrospective=meeting.retrospective,
        by=people["alice"],
        base_version=1,
        moderator=people["bob"],
        note_taker=people["dana"],
    )
    assert (saved.moderator, saved.note_taker, saved.version) == (people["bob"], people["dana"], 2)


def test_the_presenter_is_the_owner_unless_someone_else_is_chosen(meeting, people):
    from retrospector.meetings.schedule import presenter_of

    assert presenter_of(meeting) == people["alice"]
    saved = meeting_save(
        retrospective=meeting.retrospective, by=people["alice"], base_version=1, presenter=people["bob"]
    )
    assert presenter_of(saved) == people["bob"]


@pytest.mark.parametrize("who", ["dana", "charlie", "erin"])
def test_only_those_who_may_edit_the_retrospective_set_the_roles(meeting, people, who):
    with pytest.raises(PermissionDenied):
        meeting_save(retrospective=meeting.retrospective, by=people[who], base_version=1, moderator=people["bob"])
