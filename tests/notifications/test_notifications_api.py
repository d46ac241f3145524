"""The notifications API: one's own only (another's is 404), paged like the other lists with an `unread` filter and
the unread count, marking one or all read, and the preferences per kind."""

import json

import pytest

from retrospector.notifications.models import Kind, Notification, Preference
from retrospector.notifications.services import notify


def tell(user, n, **extra):
    notify(recipients=[user], kind=Kind.REPLIED, key=f"test:{n}", title=f"Reply number {n}", **extra)
    return Notification.objects.get(recipient=user, key=f"test:{n}")


@pytest.fixture
def bob(client_for):
    return client_for("bob")


def put(client, url, data):
    return client.put(url, json.dumps(data), content_type="application/json")


def test_the_list_is_paged_unread_first_with_the_unread_count(people, bob, make_incident, make_retrospective):
    retrospective = make_retrospective(make_incident())
    first = tell(people["bob"], 1, actor=people["alice"], retrospective=retrospective, url="/retrospectives/1/")
    for n in range(2, 5):
        tell(people["bob"], n)
    tell(people["dana"], 9)
    Notification.objects.filter(pk=first.pk).update(read_at="2026-06-01T10:00:00Z")
    data = bob.get("/api/v1/notifications?page_size=2").json()
    assert (data["count"], data["unread_count"], data["pages"], data["page"]) == (4, 3, 2, 1)
    assert [r["title"] for r in data["results"]] == ["Reply number 4", "Reply number 3"]
    last = bob.get("/api/v1/notifications?page_size=2&page=9").json()
    assert last["page"] == 2 and last["results"][-1]["id"] == first.pk
    assert last["results"][-1] | {"created_at": None} == {
        "id": first.pk,
        "kind": "replied",
        "title": "Reply number 1",
        "body": "",
        "url": "/retrospectives/1/",
        "actor": "alice",
        "retrospective_id": retrospective.pk,
        "created_at": None,
        "read_at": "2026-06-01T10:00:00Z",
        "email": "pending",
    }
    unread = bob.get("/api/v1/notifications?unread=true").json()
    assert unread["count"] == 3 and first.pk not in {r["id"] for r in unread["results"]}


def test_marking_one_read_and_another_persons_is_404(people, bob, client_for):
    mine, theirs = tell(people["bob"], 1), tell(people["dana"], 2)
    response = bob.post(f"/api/v1/notifications/{mine.pk}/read")
    assert response.status_code == 200 and response.json()["read_at"] is not None
    refused = bob.post(f"/api/v1/notifications/{theirs.pk}/read")
    assert refused.status_code == 404 and refused.json()["detail"] == "No such notification."
    assert bob.post("/api/v1/notifications/999999/read").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_all_marks_only_ones_own(people, bob):
    for n in range(3):
        tell(people["bob"], n)
    tell(people["dana"], 9)
    assert bob.post("/api/v1/notifications/read-all").json() == {"marked": 3, "unread_count": 0}
    assert bob.get("/api/v1/notifications").json()["unread_count"] == 0
    assert Notification.objects.get(recipient=people["dana"]).read_at is None


def test_preferences_read_and_change_per_kind(people, bob):
    listed = bob.get("/api/v1/notifications/preferences").json()
    assert [p["kind"] for p in listed] == Kind.values
    assert all(p["in_app"] and p["by_email"] for p in listed)
    response = put(
        bob,
        "/api/v1/notifications/preferences",
        {"preferences": [{"kind": "mentioned", "in_app": True, "by_email": False}]},
    )
    assert response.status_code == 200
    assert {p["kind"]: (p["in_app"], p["by_email"]) for p in response.json()}["mentioned"] == (True, False)
    assert Preference.objects.filter(user=people["bob"]).count() == 1


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"preferences": [{"kind": "gossip", "in_app": True, "by_email": True}]}, "preferences.0.kind"),
        ({"preferences": [{"kind": "mentioned", "in_app": "yes", "by_email": True}]}, "preferences.0.in_app"),
        ({"preferences": [{"kind": "mentioned", "in_app": True}]}, "preferences.0.by_email"),
        ({"prefs": []}, "preferences"),
    ],
)
def test_bad_preferences_are_refused_naming_the_field(people, bob, payload, field):
    response = put(bob, "/api/v1/notifications/preferences", payload)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not Preference.objects.exists()


def test_anonymous_requests_are_401(db):
    from django.test import Client

    client = Client()
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.post("/api/v1/notifications/read-all").status_code == 401
    assert client.get("/api/v1/notifications/preferences").status_code == 401


def test_a_notification_kept_out_of_the_app_is_not_listed_nor_found(people, bob):
    Preference.objects.create(user=people["bob"], kind=Kind.REPLIED, in_app=False, by_email=True)
    hidden = tell(people["bob"], 1)
    assert not hidden.shown_in_app
    assert bob.get("/api/v1/notifications").json()["count"] == 0
    assert bob.post(f"/api/v1/notifications/{hidden.pk}/read").status_code == 404
