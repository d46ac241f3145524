"""The recommendations API: the list and its filters (what another team may not see is neither listed nor counted),
one recommendation and its history, changes with the version read (409 stale, 422 on the rules), a new one on a
retrospective, and a retrospective's recommendations with whether its incident is finished."""

import datetime as dt

from retrospector.actions.models import Recommendation, RecommendationLink
from tests.actions.tracking_support import (  # noqa: F401  (the `frozen` and `tracked` fixtures)
    HYPERLINK,
    TODAY,
    frozen_fixture,
    recommend,
    tracked_fixture,
)


def patch(client, pk, body):
    return client.patch(f"/api/v1/recommendations/{pk}", body, content_type="application/json")


def test_the_list_is_filtered_paginated_and_lists_visible_retrospectives(tracked, client_for):
    bob = client_for("bob")
    body = bob.get("/api/v1/recommendations").json()
    assert body["count"] == 5 and body["pages"] == 1
    first = body["results"][0]
    assert first["title"] == "Retry card payments" and first["overdue"] is True and first["status"] == "in-progress"
    assert first["retrospectives"] == [
        {
            "id": tracked.retro_public.pk,
            "title": tracked.retro_public.title,
            "incident_id": tracked.retro_public.incident_id,
            "url": f"/retrospectives/{tracked.retro_public.pk}/",
        }
    ]
    overdue = bob.get("/api/v1/recommendations?overdue=true&team=payments").json()
    assert [r["title"] for r in overdue["results"]] == ["Retry card payments"]
    by_owner = bob.get("/api/v1/recommendations?owner=bob&status=planned&priority=P2&service=checkout&q=latency").json()
    assert [r["title"] for r in by_owner["results"]] == ["Alert on checkout latency"]
    paged = bob.get("/api/v1/recommendations?page_size=2&page=3").json()
    assert (paged["count"], paged["pages"], paged["page"], len(paged["results"])) == (5, 3, 3, 1)
    assert bob.get("/api/v1/recommendations?status=finished").status_code == 422


def test_another_team_never_sees_a_recommendation_of_a_private_incident(tracked, client_for):
    charlie = client_for("charlie")
    body = charlie.get("/api/v1/recommendations").json()
    assert body["count"] == 4
    assert "Scrub card numbers from logs" not in [r["title"] for r in body["results"]]
    assert charlie.get("/api/v1/recommendations?q=Scrub").json()["count"] == 0
    for url in (
        f"/api/v1/recommendations/{tracked.private.pk}",
        f"/api/v1/recommendations/{tracked.private.pk}/history",
    ):
        assert charlie.get(url).status_code == 404
    assert patch(charlie, tracked.private.pk, {"base_version": 1, "title": "Mine"}).status_code == 404
    assert charlie.get(f"/api/v1/retrospectives/{tracked.retro_private.pk}/recommendations").status_code == 404


def test_a_linked_private_retrospective_is_left_out_of_a_visible_recommendation(tracked, client_for):
    RecommendationLink.objects.create(recommendation=tracked.platform, retrospective=tracked.retro_private)
    charlie = client_for("charlie").get(f"/api/v1/recommendations/{tracked.platform.pk}").json()
    assert [r["id"] for r in charlie["retrospectives"]] == [tracked.retro_platform.pk]
    bob = client_for("bob").get(f"/api/v1/recommendations/{tracked.platform.pk}").json()
    assert sorted(r["id"] for r in bob["retrospectives"]) == sorted(
        [tracked.retro_platform.pk, tracked.retro_private.pk]
    )


def test_the_list_takes_the_same_queries_for_5_or_45_rows(tracked, people, client_for, django_assert_max_num_queries):
    bob = client_for("bob")
    bob.get("/api/v1/recommendations?page_size=100")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert len(bob.get("/api/v1/recommendations?page_size=100").json()["results"]) == 5
    for n in range(40):
        recommend(tracked.retro_public, people, title=f"Step {n}", days=n + 1, owner=people["bob"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(bob.get("/api/v1/recommendations?page_size=100").json()["results"]) == 45


def test_a_change_with_the_version_read_is_kept_in_the_history(tracked, client_for):
    bob = client_for("bob")
    before = bob.get(f"/api/v1/recommendations/{tracked.public.pk}").json()
    later = (TODAY + dt.timedelta(days=20)).isoformat()
    response = patch(
        bob,
        tracked.public.pk,
        {
            "base_version": before["version"],
            "commitment_date": later,
            "owner": "alice",
            "reason": "Waiting on a vendor",
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["commitment_date"], body["owner"], body["version"]) == (later, "alice", before["version"] + 1)
    history = bob.get(f"/api/v1/recommendations/{tracked.public.pk}/history").json()
    assert history[-1]["source"] == "api" and history[-1]["by"] == "bob"
    assert history[-1]["reason"] == "Waiting on a vendor"
    assert set(history[-1]["changes"]) == {"commitment_date", "owner"}


def test_a_stale_change_is_refused_with_the_current_recommendation(tracked, client_for):
    bob = client_for("bob")
    assert patch(bob, tracked.public.pk, {"base_version": 1, "title": "First"}).status_code == 200
    stale = patch(bob, tracked.public.pk, {"base_version": 1, "title": "Second"})
    assert stale.status_code == 409
    assert stale.json()["field"] == "base_version"
    assert stale.json()["current"]["title"] == "First"
    assert Recommendation.objects.get(pk=tracked.public.pk).title == "First"


def test_the_change_rules_answer_422_naming_the_field(tracked, client_for):
    bob = client_for("bob")
    pk = tracked.public.pk
    past = patch(bob, pk, {"base_version": 1, "commitment_date": (TODAY - dt.timedelta(days=1)).isoformat()})
    assert (past.status_code, past.json()["field"]) == (422, "commitment_date")
    moved = patch(bob, pk, {"base_version": 1, "commitment_date": (TODAY + dt.timedelta(days=30)).isoformat()})
    assert (moved.status_code, moved.json()["field"]) == (422, "reason")
    dropped = patch(bob, pk, {"base_version": 1, "status": "dropped"})
    assert (dropped.status_code, dropped.json()["field"]) == (422, "reason")
    for field, value in (("priority", "P9"), ("owner", "nobody"), ("team", "nowhere"), ("status", "finished")):
        answer = patch(bob, pk, {"base_version": 1, field: value})
        assert (answer.status_code, answer.json()["field"]) == (422, field), field
    assert patch(bob, pk, {"base_version": 1, "title": None}).status_code == 422
    assert patch(bob, pk, {"base_version": 1, "titel": "x"}).json()["field"] == "titel"
    assert Recommendation.objects.get(pk=pk).version == 1


def test_only_its_owner_team_and_admins_change_it(tracked, client_for):
    # dana views payments; charlie sees the public incident's recommendation but is of another team.
    for name in ("dana", "charlie"):
        assert patch(client_for(name), tracked.public.pk, {"base_version": 1, "title": "x"}).status_code == 403, name
    assert patch(client_for("oscar"), tracked.public.pk, {"base_version": 1, "title": "x"}).status_code == 200


def test_a_new_recommendation_on_a_retrospective(tracked, client_for):
    url = f"/api/v1/retrospectives/{tracked.retro_public.pk}/recommendations"
    bob = client_for("bob")
    created = bob.post(
        url,
        {
            "title": "Load-test checkout",
            "priority": "P1",
            "owner": "bob",
            "kind": "process",
            "commitment_date": (TODAY + dt.timedelta(days=7)).isoformat(),
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["team"], body["status"], body["priority"], body["kind"]) == ("payments", "planned", "P1", "process")
    assert [r["id"] for r in body["retrospectives"]] == [tracked.retro_public.pk]
    past = bob.post(url, {"title": "x", "commitment_date": "2020-01-01"}, content_type="application/json")
    assert (past.status_code, past.json()["field"]) == (422, "commitment_date")
    assert client_for("dana").post(url, {"title": "x"}, content_type="application/json").status_code == 403
    hidden = f"/api/v1/retrospectives/{tracked.retro_private.pk}/recommendations"
    assert client_for("charlie").post(hidden, {"title": "x"}, content_type="application/json").status_code == 404


def test_a_retrospectives_recommendations_say_whether_the_incident_is_finished(tracked, people, client_for):
    bob = client_for("bob")
    url = f"/api/v1/retrospectives/{tracked.retro_public.pk}/recommendations"
    body = bob.get(url).json()
    assert body["finished"] is False
    assert body["counts"] == {"planned": 1, "in-progress": 1, "dropped": 0, "done": 1}
    assert [r["title"] for r in body["results"]] == [
        "Retry card payments",
        "Document the checkout runbook",
        "Alert on checkout latency",
    ]
    patch(bob, tracked.public.pk, {"base_version": 1, "status": "done"})
    patch(bob, tracked.overdue.pk, {"base_version": tracked.overdue.version, "status": "dropped", "reason": "Obsolete"})
    assert bob.get(url).json()["finished"] is True


def test_the_formula_title_comes_back_as_written_in_json(tracked, client_for):
    body = client_for("charlie").get(f"/api/v1/recommendations/{tracked.platform.pk}").json()
    assert body["title"] == HYPERLINK  # JSON is not a spreadsheet: only the CSV escapes it
