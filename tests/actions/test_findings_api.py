"""The findings' API: /api/v1/findings, /api/v1/findings/{id} and /api/v1/retrospectives/{id}/untraced."""

import pytest

from retrospector.actions.findings import finding_update
from retrospector.actions.models import Finding
from tests.actions import findings_support
from tests.actions.findings_support import add, api, recommend, written_review
from tests.reviews.accounts_support import set_state

review = findings_support.review  # fixtures
cast = findings_support.cast
private = findings_support.private


def test_it_adds_lists_reads_and_deletes_findings(review, people, client_for):
    retrospective, events, account = review
    alice = client_for("alice")
    response = api(
        alice,
        "post",
        "/api/v1/findings",
        {
            "retrospective": retrospective.pk,
            "text": "Pool of **20**",
            "events": [events[1].pk],
            "accounts": [account.pk],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["section"] == "contributing-factors" and body["kind"] == "contributing-factor"
    assert body["html"] == "<p>Pool of <strong>20</strong></p>\n"
    assert body["events"] == [{"id": events[1].pk, "occurred_at": "2026-05-04T14:02:00Z", "text": events[1].text}]
    assert body["accounts"] == [{"id": account.pk, "author": "bob"}]
    assert (body["version"], body["position"], body["created_by"]) == (1, 1, "alice")
    api(alice, "post", "/api/v1/findings", {"retrospective": retrospective.pk, "text": "No jitter"})
    listed = alice.get(f"/api/v1/findings?retrospective={retrospective.pk}").json()
    assert [(f["text"], f["position"]) for f in listed] == [("Pool of **20**", 1), ("No jitter", 2)]
    assert alice.get(f"/api/v1/findings/{body['id']}").json()["text"] == "Pool of **20**"
    assert alice.delete(f"/api/v1/findings/{body['id']}").status_code == 204
    assert alice.get(f"/api/v1/findings/{body['id']}").status_code == 404
    assert [f["position"] for f in alice.get(f"/api/v1/findings?retrospective={retrospective.pk}").json()] == [1]


def test_the_list_follows_the_write_ups_section_order(cast, people, client_for):
    retrospective, _, _ = cast
    add(retrospective, people, kind="missing-control", text="No rate limit")
    add(retrospective, people, kind="safety-control", text="The queue-age alert")
    listed = client_for("dana").get(f"/api/v1/findings?retrospective={retrospective.pk}").json()
    assert [(f["section"], f["kind"]) for f in listed] == [
        ("safety-controls", "safety-control"),
        ("missing-controls", "missing-control"),
    ]


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"section": "summary"}, "section"),
        ({"kind": "safety-control"}, "section"),
        ({"section": "contributing-factors", "kind": "missing-control"}, "kind"),
        ({"kind": "root-cause"}, "kind"),
        ({"text": ""}, "text"),
        ({"text": "x" * 5001}, "text"),
        ({"colour": "red"}, "colour"),
        ({"events": ["1"]}, "events.0"),
    ],
)
def test_a_refused_finding_names_its_field(review, people, client_for, extra, field):
    retrospective, _, _ = review
    response = api(
        client_for("alice"), "post", "/api/v1/findings", {"retrospective": retrospective.pk, "text": "x", **extra}
    )
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert not Finding.objects.exists()


def test_links_to_another_incident_or_retrospective_are_a_422_naming_the_field(
    review, people, client_for, make_incident, make_retrospective
):
    retrospective, _, _ = review
    _, other_events, other_account = written_review(people, make_incident, make_retrospective)
    alice = client_for("alice")
    for field, ids in (("events", [other_events[0].pk]), ("accounts", [other_account.pk])):
        response = api(alice, "post", "/api/v1/findings", {"retrospective": retrospective.pk, "text": "x", field: ids})
        assert response.status_code == 422
        assert response.json()["field"] == field
    finding = add(retrospective, people)
    response = api(alice, "patch", f"/api/v1/findings/{finding.pk}", {"version": 1, "events": [other_events[0].pk]})
    assert response.status_code == 422 and response.json()["field"] == "events"


def test_a_stale_patch_is_a_409_with_the_current_finding(review, people, client_for):
    retrospective, _, _ = review
    finding = add(retrospective, people, text="Mine first")
    finding_update(finding=finding, by=people["bob"], base_version=1, text="Theirs meanwhile")
    alice = client_for("alice")
    response = api(alice, "patch", f"/api/v1/findings/{finding.pk}", {"version": 1, "text": "Mine again"})
    assert response.status_code == 409
    body = response.json()
    assert body["field"] == "version"
    assert (body["current"]["text"], body["current"]["version"], body["current"]["updated_by"]) == (
        "Theirs meanwhile",
        2,
        "bob",
    )
    response = api(alice, "patch", f"/api/v1/findings/{finding.pk}", {"version": 2, "text": "Mine again"})
    assert response.status_code == 200
    assert (response.json()["text"], response.json()["version"]) == ("Mine again", 3)


def test_a_patch_needs_the_version(review, people, client_for):
    retrospective, _, _ = review
    finding = add(retrospective, people)
    response = api(client_for("alice"), "patch", f"/api/v1/findings/{finding.pk}", {"text": "x"})
    assert response.status_code == 422 and response.json()["field"] == "version"


def test_a_patch_moves_a_finding_without_a_new_version(review, people, client_for):
    retrospective, _, _ = review
    add(retrospective, people, text="One")
    two = add(retrospective, people, text="Two")
    response = api(client_for("bob"), "patch", f"/api/v1/findings/{two.pk}", {"version": 1, "position": 1})
    assert response.status_code == 200
    assert (response.json()["position"], response.json()["version"]) == (1, 1)
    assert list(Finding.objects.order_by("position").values_list("text", flat=True)) == ["Two", "One"]


@pytest.mark.parametrize("state", ["approved", "done"])
def test_findings_are_read_only_after_approval(review, people, client_for, state):
    retrospective, _, _ = review
    finding = add(retrospective, people)
    set_state(retrospective, state)
    alice = client_for("alice")
    response = api(alice, "post", "/api/v1/findings", {"retrospective": retrospective.pk, "text": "Late"})
    assert response.status_code == 409 and response.json()["field"] == "state"
    response = api(alice, "patch", f"/api/v1/findings/{finding.pk}", {"version": 1, "text": "Late"})
    assert response.status_code == 409
    assert response.json()["field"] == "state" and response.json()["current"]["text"] == finding.text
    response = alice.delete(f"/api/v1/findings/{finding.pk}")
    assert response.status_code == 409 and response.json()["field"] == "state"
    assert Finding.objects.get().text == finding.text


def test_readers_get_403_on_writes(review, people, client_for):
    retrospective, _, _ = review
    finding = add(retrospective, people)
    for name in ("dana", "charlie"):
        client = client_for(name)
        assert client.get(f"/api/v1/findings?retrospective={retrospective.pk}").status_code == 200
        response = api(client, "post", "/api/v1/findings", {"retrospective": retrospective.pk, "text": "x"})
        assert response.status_code == 403
        response = api(client, "patch", f"/api/v1/findings/{finding.pk}", {"version": 1, "text": "x"})
        assert response.status_code == 403
        assert client.delete(f"/api/v1/findings/{finding.pk}").status_code == 403
    assert Finding.objects.get().version == 1


def test_a_private_incidents_findings_are_a_404_for_an_outsider_everywhere(private, people, client_for):
    retrospective, _, _ = private
    finding = add(retrospective, people, text="Secret")
    recommend(retrospective, people, "Secret change")
    charlie = client_for("charlie")
    responses = [
        charlie.get(f"/api/v1/findings?retrospective={retrospective.pk}"),
        api(charlie, "post", "/api/v1/findings", {"retrospective": retrospective.pk, "text": "x"}),
        charlie.get(f"/api/v1/findings/{finding.pk}"),
        api(charlie, "patch", f"/api/v1/findings/{finding.pk}", {"version": 1, "text": "x"}),
        charlie.delete(f"/api/v1/findings/{finding.pk}"),
        charlie.get(f"/api/v1/retrospectives/{retrospective.pk}/untraced"),
    ]
    assert [r.status_code for r in responses] == [404] * 6
    assert all("Secret" not in r.content.decode() for r in responses)
    unknown = charlie.get("/api/v1/findings/999999")
    assert (unknown.status_code, unknown.json()["detail"]) == (404, responses[2].json()["detail"])
    assert Finding.objects.get().text == "Secret"
    assert client_for("dana").get(f"/api/v1/findings/{finding.pk}").status_code == 200


def test_untraced_lists_the_recommendations_tracing_to_no_finding_here(review, people, client_for):
    retrospective, _, _ = review
    finding = add(retrospective, people)
    recommend(retrospective, people, "Raise the pool limit", findings=[finding])
    untraced = recommend(retrospective, people, "Add jitter")
    response = client_for("dana").get(f"/api/v1/retrospectives/{retrospective.pk}/untraced")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": untraced.pk,
            "title": "Add jitter",
            "status": "planned",
            "priority": "P2",
            "team": "payments",
            "owner": None,
            "commitment_date": None,
        }
    ]


def test_the_list_reads_in_a_constant_number_of_queries(review, people, client_for, django_assert_max_num_queries):
    retrospective, events, account = review
    alice = client_for("alice")
    url = f"/api/v1/findings?retrospective={retrospective.pk}"
    add(retrospective, people, event_ids=[events[0].pk], account_ids=[account.pk])
    alice.get(url)
    with django_assert_max_num_queries(50) as one:
        assert len(alice.get(url).json()) == 1
    for i in range(15):
        add(retrospective, people, text=f"F{i}", event_ids=[events[i % 3].pk], account_ids=[account.pk])
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(alice.get(url).json()) == 16


def test_the_document_names_the_findings_apart_from_the_checks_findings(client):
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    assert "rule" in schemas["FindingOut"]["properties"]  # the write-up checks'
    assert {"section", "kind", "events", "accounts", "version"} <= set(schemas["AnalysisFindingOut"]["properties"])
    assert schemas["FindingPatch"]["required"] == ["version"]
