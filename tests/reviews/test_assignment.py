"""Picking who writes a retrospective: an owner, an optional shadow and reverse shadow (three different people), from
the people who may see the incident, each with what they owned, shadowed and taught; responders marked, not left
out; the people given a role are told."""

import json
from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from retrospector.core.errors import ReadOnlyError
from retrospector.notifications.models import Notification
from retrospector.reviews.process import assignment_candidates, retrospective_assign

RESOLVED = datetime(2026, 5, 7, 16, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def retro(make_incident, make_retrospective):
    return make_retrospective(make_incident(resolved_at=RESOLVED))


def test_it_assigns_three_people_and_tells_them(retro, people):
    retrospective_assign(
        retrospective=retro,
        owner=people["bob"],
        shadow=people["dana"],
        reverse_shadow=people["charlie"],
        by=people["alice"],
    )
    retro.refresh_from_db()
    assert (retro.owner, retro.shadow, retro.reverse_shadow) == (people["bob"], people["dana"], people["charlie"])
    told = dict(Notification.objects.filter(kind="assigned").values_list("recipient__username", "title"))
    assert told["bob"].startswith("You are the owner") and told["charlie"].startswith("You are the reverse shadow")
    assert retro.deadlines.count() == 5 and retro.due_at is not None


@pytest.mark.parametrize(
    "roles, field",
    [
        ({"owner": "bob", "shadow": "bob"}, "shadow"),
        ({"owner": "bob", "reverse_shadow": "bob"}, "reverse_shadow"),
        ({"owner": "bob", "shadow": "dana", "reverse_shadow": "dana"}, "reverse_shadow"),
    ],
)
def test_the_three_roles_are_three_different_people(retro, people, roles, field):
    with pytest.raises(ValidationError) as excinfo:
        retrospective_assign(retrospective=retro, **{k: people[v] for k, v in roles.items()}, by=people["alice"])
    assert field in excinfo.value.message_dict


def test_only_people_who_can_edit_the_incident_assign(retro, people):
    with pytest.raises(PermissionDenied):
        retrospective_assign(retrospective=retro, owner=people["dana"], by=people["dana"])


def test_a_done_retrospective_is_not_reassigned(retro, people):
    from retrospector.writeups.models import Retrospective

    Retrospective.objects.filter(pk=retro.pk).update(state="done")
    with pytest.raises(ReadOnlyError):
        retrospective_assign(retrospective=retro, owner=people["bob"], by=people["alice"])


def test_someone_who_cannot_see_a_private_incident_is_invited_when_assigned(people, make_incident, make_retrospective):
    private = make_retrospective(make_incident(visibility="private"))
    retrospective_assign(retrospective=private, owner=people["bob"], reverse_shadow=people["erin"], by=people["alice"])
    assert private.incident.invitees.filter(pk=people["erin"].pk).exists()


def test_candidates_count_roles_and_mark_responders(people, make_incident, make_retrospective):
    for n in range(2):
        earlier = make_retrospective(make_incident(title=f"Earlier {n}"))
        retrospective_assign(
            retrospective=earlier, owner=people["bob"], reverse_shadow=people["dana"], by=people["alice"]
        )
    current = make_retrospective(make_incident(title="Now", responders=[people["bob"]]))
    candidates = {c.user.username: c for c in assignment_candidates(retrospective=current, viewer=people["alice"])}
    assert set(candidates) == {"alice", "bob", "charlie", "dana", "erin", "oscar"}
    assert (candidates["bob"].owned, candidates["bob"].taught, candidates["bob"].responded) == (2, 0, True)
    assert (candidates["dana"].taught, candidates["dana"].responded) == (2, False)
    assert candidates["bob"].last is not None and candidates["erin"].last is None


def test_counts_leave_out_retrospectives_the_viewer_may_not_see(people, make_incident, make_retrospective):
    hidden = make_retrospective(make_incident(visibility="private"))
    retrospective_assign(retrospective=hidden, owner=people["bob"], by=people["alice"])
    public = make_retrospective(make_incident(team="platform", by="charlie"))
    seen_by_charlie = {
        c.user.username: c for c in assignment_candidates(retrospective=public, viewer=people["charlie"])
    }
    assert seen_by_charlie["bob"].owned == 0
    seen_by_alice = {c.user.username: c for c in assignment_candidates(retrospective=public, viewer=people["alice"])}
    assert seen_by_alice["bob"].owned == 1


def test_a_private_incidents_candidates_are_the_people_who_may_see_it(people, make_incident, make_retrospective):
    private = make_retrospective(make_incident(visibility="private"))
    names = {c.user.username for c in assignment_candidates(retrospective=private, viewer=people["alice"])}
    assert names == {"alice", "bob", "dana", "oscar"}


def test_the_picker_reads_a_constant_number_of_queries(
    people, make_incident, make_retrospective, client_for, django_assert_max_num_queries
):
    from tests.conftest import make_user

    retro = make_retrospective(make_incident())
    client = client_for("alice")
    client.get(f"/retrospectives/{retro.pk}/assign")
    with django_assert_max_num_queries(30) as few:
        page = client.get(f"/retrospectives/{retro.pk}/assign").content.decode()
    assert "chosen for availability and for what they would learn" in page
    for n in range(15):
        make_user(people["alice"].organization, f"extra{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(f"/retrospectives/{retro.pk}/assign").content.decode()
    assert "extra14" in page


def test_the_picker_saves_and_shows_errors(retro, people, client_for):
    url = f"/retrospectives/{retro.pk}/assign"
    same = client_for("alice").post(url, {"owner": people["bob"].pk, "shadow": people["bob"].pk})
    assert same.status_code == 422 and "three different people" in same.content.decode()
    saved = client_for("alice").post(url, {"owner": people["bob"].pk, "reverse_shadow": people["charlie"].pk})
    assert saved.status_code == 302
    retro.refresh_from_db()
    assert retro.owner == people["bob"] and retro.reverse_shadow == people["charlie"] and retro.shadow is None
    assert client_for("dana").get(url).status_code == 403


def test_the_assignment_api(retro, people, client_for):
    url = f"/api/v1/retrospectives/{retro.pk}/assignment"
    put = client_for("alice").put(
        url,
        json.dumps({"owner": "bob", "shadow": "dana", "reverse_shadow": "charlie"}),
        content_type="application/json",
    )
    assert put.status_code == 200, put.content
    body = put.json()
    assert (body["owner"], body["shadow"], body["reverse_shadow"]) == ("bob", "dana", "charlie")
    assert [d["step"] for d in body["deadlines"]] == [
        "research",
        "first_draft",
        "feedback_end",
        "feedback_addressed",
        "meeting",
    ]
    assert body["next_due"]["step"] == "research"
    read = client_for("dana").get(url).json()
    assert read["owner"] == "bob"
    same = client_for("alice").put(url, json.dumps({"owner": "bob", "shadow": "bob"}), content_type="application/json")
    assert same.status_code == 422 and same.json()["field"] == "shadow"
    unknown = client_for("alice").put(url, json.dumps({"owner": "zed"}), content_type="application/json")
    assert unknown.status_code == 422 and unknown.json()["field"] == "owner"
    assert client_for("dana").put(url, json.dumps({"owner": "bob"}), content_type="application/json").status_code == 403


def test_the_assignment_api_hides_a_private_retrospective(people, make_incident, make_retrospective, client_for):
    private = make_retrospective(make_incident(visibility="private"))
    assert client_for("charlie").get(f"/api/v1/retrospectives/{private.pk}/assignment").status_code == 404
