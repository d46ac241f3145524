"""The final approval on the pages and in the API: the list of what is missing (each linked) or the Approve button,
who may approve, the confirmation page, 422/403/409 with what is missing, refused or changed, and reopening."""

import json

from django.utils import timezone

from retrospector.meetings.models import AgendaItem
from retrospector.writeups.models import Retrospective
from tests.meetings.approval_support import _fast_password_hashing, ready_fixture, token_of  # noqa: F401


def unapplied(retrospective):
    return AgendaItem.objects.create(
        meeting=retrospective.meeting, kind="part", part="impact", title="Impact", position=1, decision="clarify"
    )


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_page_lists_what_is_missing_with_links_and_offers_no_approve_button(ready, client_for):
    retrospective = ready()
    item = unapplied(retrospective)
    page = client_for("oscar").get(f"/retrospectives/{retrospective.pk}/").content.decode()
    assert "Final approval" in page
    assert f'href="/retrospectives/{retrospective.pk}/agenda#item-{item.pk}"' in page
    assert "Decision not applied yet (clarification to add): Impact" in page
    assert ">Approve</button>" not in page


def test_when_nothing_is_missing_an_approver_sees_the_button_and_others_see_who_may_approve(ready, client_for):
    retrospective = ready()
    url = f"/retrospectives/{retrospective.pk}/"
    assert ">Approve</button>" in client_for("oscar").get(url).content.decode()
    owner_page = client_for("alice").get(url).content.decode()
    assert ">Approve</button>" not in owner_page and "You own this write-up" in owner_page and "Oscar" in owner_page
    assert ">Approve</button>" not in client_for("bob").get(url).content.decode()


def test_approving_on_the_confirmation_page_publishes_it(ready, client_for):
    retrospective = ready()
    client = client_for("oscar")
    page = client.get(f"/retrospectives/{retrospective.pk}/approve")
    assert page.status_code == 200 and "Nothing is missing" in page.content.decode()
    done = client.post(f"/retrospectives/{retrospective.pk}/approve", {"token": page.context["approval"].token})
    assert done.status_code == 302
    assert Retrospective.objects.get(pk=retrospective.pk).state == "done"
    assert "Oscar" in client_for("erin").get("/writeups/").content.decode()


def test_the_confirmation_page_refuses_the_owner_and_a_stale_or_incomplete_approval(ready, client_for):
    retrospective = ready()
    url = f"/retrospectives/{retrospective.pk}/approve"
    seen = token_of(retrospective)
    owner = client_for("alice").post(url, {"token": seen})
    assert owner.status_code == 403 and "You own this write-up" in owner.content.decode()
    unapplied(retrospective)
    blocked = client_for("oscar").post(url, {"token": seen})
    assert blocked.status_code == 422 and "Decision not applied yet" in blocked.content.decode()
    AgendaItem.objects.update(applied_at=timezone.now())
    stale = client_for("oscar").post(url, {"token": seen})
    assert stale.status_code == 409 and "It changed since you looked" in stale.content.decode()
    assert "decisions were recorded (0 → 1)" in stale.content.decode()
    assert Retrospective.objects.get(pk=retrospective.pk).state == "meeting"


def test_a_private_incidents_approval_is_not_found_for_outsiders(ready, client_for):
    retrospective = ready(visibility="private")
    for url in (f"/retrospectives/{retrospective.pk}/approve", f"/api/v1/retrospectives/{retrospective.pk}/approval"):
        assert client_for("charlie").get(url).status_code == 404
    answer = post_json(client_for("charlie"), f"/api/v1/retrospectives/{retrospective.pk}/approve", {"token": "x"})
    assert answer.status_code == 404


def test_the_api_reads_the_approval_and_approves_with_its_token(ready, client_for):
    retrospective = ready(moderator="bob")
    client = client_for("bob")
    approval = client.get(f"/api/v1/retrospectives/{retrospective.pk}/approval").json()
    assert approval["ready"] and approval["missing"] == [] and approval["may_approve"]
    assert approval["approvers"] == ["bob", "oscar"]  # alice owns it: never listed
    answer = post_json(client, f"/api/v1/retrospectives/{retrospective.pk}/approve", {"token": approval["token"]})
    assert answer.status_code == 200 and answer.json()["state"] == "done"


def test_the_api_answers_422_with_exactly_what_is_missing_403_for_the_owner_and_409_when_stale(ready, client_for):
    retrospective = ready()
    url = f"/api/v1/retrospectives/{retrospective.pk}/approve"
    seen = token_of(retrospective)
    item = unapplied(retrospective)
    blocked = post_json(client_for("oscar"), url, {"token": seen})
    assert blocked.status_code == 422
    assert blocked.json()["missing"] == [
        {
            "code": "decision",
            "message": "Decision not applied yet (clarification to add): Impact",
            "link": f"/retrospectives/{retrospective.pk}/agenda#item-{item.pk}",
        }
    ]
    assert post_json(client_for("alice"), url, {"token": seen}).status_code == 403
    assert post_json(client_for("dana"), url, {"token": seen}).status_code == 403
    AgendaItem.objects.update(applied_at=timezone.now())
    stale = post_json(client_for("oscar"), url, {"token": seen})
    assert stale.status_code == 409 and stale.json()["changes"]


def test_the_api_reopens_with_a_reason_only(ready, people, client_for):
    from retrospector.meetings.approval import approve

    retrospective = ready()
    approve(retrospective=retrospective, by=people["oscar"], token=token_of(retrospective))
    url = f"/api/v1/retrospectives/{retrospective.pk}/reopen"
    assert post_json(client_for("bob"), url, {"reason": " "}).json()["field"] == "reason"
    assert post_json(client_for("dana"), url, {"reason": "Wrong numbers"}).status_code == 403
    answer = post_json(client_for("bob"), url, {"reason": "Wrong numbers"})
    assert answer.status_code == 200 and answer.json()["state"] == "in_review"
    assert post_json(client_for("bob"), url, {"reason": "Again"}).status_code == 422


def test_the_reopen_page_asks_why_and_records_it(ready, people, client_for):
    from retrospector.meetings.approval import approve

    retrospective = ready()
    approve(retrospective=retrospective, by=people["oscar"], token=token_of(retrospective))
    url = f"/retrospectives/{retrospective.pk}/reopen"
    client = client_for("bob")
    assert "Why is it reopened?" in client.get(url).content.decode()
    assert client.post(url, {"reason": ""}).status_code == 422
    assert client.post(url, {"reason": "Impact was wrong"}).status_code == 302
    retrospective.refresh_from_db()
    assert retrospective.state == "in_review"
    assert retrospective.state_changes.last().note == "Impact was wrong"
