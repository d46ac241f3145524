"""The incidents API: listing with filters and pages, create, read, update, durations, authentication."""

import json
from datetime import timedelta

import pytest
from conftest import START
from django.test import Client

API = "/api/v1/incidents"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def bearer_client(user, name="script"):
    from retrospector.accounts.services import token_create

    token, raw = token_create(user=user, name=name)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), token, raw


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def patch_json(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def new_incident(**extra):
    data = {
        "title": "Card payments time out",
        "team": "payments",
        "severity": "SEV2",
        "started_at": "2026-05-04T14:00:00Z",
        "detected_at": "2026-05-04T14:05:00Z",
    }
    data.update(extra)
    return data


@pytest.fixture
def alice_api(people):
    return bearer_client(people["alice"])[0]


# --- Authentication --------------------------------------------------------------------------


def test_it_accepts_a_bearer_token(people, make_incident):
    make_incident(title="Visible to tokens")
    client, _, _ = bearer_client(people["bob"])
    response = client.get(API)
    assert response.status_code == 200
    assert [row["title"] for row in response.json()["results"]] == ["Visible to tokens"]


def test_it_records_when_a_token_was_last_used(people):
    client, token, _ = bearer_client(people["bob"])
    assert token.last_used_at is None
    assert client.get(API).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_it_refuses_a_revoked_token(people):
    from retrospector.accounts.services import token_revoke

    client, token, _ = bearer_client(people["bob"])
    assert client.get(API).status_code == 200
    token_revoke(token=token, by=people["bob"])
    response = client.get(API)
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentication required")


@pytest.mark.parametrize(
    "header", ["Bearer rtr_not-a-real-token", "Bearer garbage", "Bearer ", "Basic Ym9iOnB3", "rtr_x"]
)
def test_it_refuses_a_garbage_token(people, header):
    response = Client(HTTP_AUTHORIZATION=header).get(API)
    assert response.status_code == 401
    assert set(response.json()) >= {"detail", "field"}


def test_it_refuses_a_request_without_authentication(people):
    response = Client().get(API)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["field"] is None


def test_it_refuses_writes_without_authentication(people):
    response = post_json(Client(), API, new_incident())
    assert response.status_code == 401


def test_it_refuses_a_token_of_a_deactivated_user(people):
    client, _, _ = bearer_client(people["bob"])
    people["bob"].is_active = False
    people["bob"].save()
    assert client.get(API).status_code == 401


def test_it_accepts_a_session(people, client_for, make_incident):
    make_incident(title="Seen through a session")
    response = client_for("bob").get(API)
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_it_creates_through_a_session(people, client_for):
    response = post_json(client_for("bob"), API, new_incident())
    assert response.status_code == 201, response.content


def test_it_stores_only_a_digest_of_the_token(people):
    import hashlib

    from retrospector.accounts.models import ApiToken

    _, token, raw = bearer_client(people["alice"])
    assert raw.startswith("rtr_") and len(raw) > 30
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    for value in row.values():
        assert raw not in str(value)
    assert row["digest"] == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(row["prefix"]) and len(row["prefix"]) < len(raw)


# --- Listing -----------------------------------------------------------------------------------


@pytest.fixture
def several(people, make_incident):
    from retrospector.incidents.services import incident_update

    a = make_incident(title="Checkout errors", severity="SEV1", services=["checkout-api"])
    b = make_incident(
        title="Slow refunds",
        severity="SEV3",
        started_at=START + timedelta(hours=1),
        detected_at=START + timedelta(hours=1, minutes=2),
        services=["refunds", "postgres"],
    )
    c = make_incident(
        title="Private fraud alert", visibility="private", started_at=START + timedelta(hours=2), detected_at=None
    )
    d = make_incident(
        team="platform",
        by="charlie",
        title="DNS outage",
        started_at=START + timedelta(hours=3),
        detected_at=None,
        services=["dns"],
    )
    incident_update(incident=b, by=people["bob"], status="resolved", resolved_at=START + timedelta(hours=2))
    return {"checkout": a, "refunds": b, "fraud": c, "dns": d}


def titles(response):
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


def test_it_lists_newest_first(several, alice_api):
    assert titles(alice_api.get(API)) == ["DNS outage", "Private fraud alert", "Slow refunds", "Checkout errors"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("q=refund", ["Slow refunds"]),
        ("q=ERRORS", ["Checkout errors"]),
        ("team=payments", ["Private fraud alert", "Slow refunds", "Checkout errors"]),
        ("team=platform", ["DNS outage"]),
        ("team=nope", []),
        ("severity=SEV1", ["Checkout errors"]),
        ("severity=SEV3", ["Slow refunds"]),
        ("status=resolved", ["Slow refunds"]),
        ("status=open", ["DNS outage", "Private fraud alert", "Checkout errors"]),
        ("service=postgres", ["Slow refunds"]),
        ("service=dns", ["DNS outage"]),
        ("visibility=private", ["Private fraud alert"]),
        ("visibility=organization", ["DNS outage", "Slow refunds", "Checkout errors"]),
        ("team=payments&severity=SEV2", ["Private fraud alert"]),
    ],
)
def test_it_filters(several, alice_api, query, expected):
    response = alice_api.get(f"{API}?{query}")
    assert titles(response) == expected
    assert response.json()["count"] == len(expected)


def test_it_lists_services_and_team_of_each_row(several, alice_api):
    rows = {row["title"]: row for row in alice_api.get(API).json()["results"]}
    assert sorted(rows["Slow refunds"]["services"]) == ["postgres", "refunds"]
    assert rows["DNS outage"]["team"] == "platform"
    assert rows["Checkout errors"]["severity"] == "SEV1"
    assert rows["Checkout errors"]["url"] == f"/incidents/{several['checkout'].pk}/"


def test_it_paginates(people, make_incident, alice_api):
    for n in range(7):
        make_incident(title=f"Incident {n}", started_at=START + timedelta(minutes=n), detected_at=None)
    first = alice_api.get(f"{API}?page_size=3").json()
    assert (first["count"], first["page"], first["page_size"], first["pages"]) == (7, 1, 3, 3)
    assert [r["title"] for r in first["results"]] == ["Incident 6", "Incident 5", "Incident 4"]
    last = alice_api.get(f"{API}?page_size=3&page=3").json()
    assert last["page"] == 3
    assert [r["title"] for r in last["results"]] == ["Incident 0"]


def test_a_page_beyond_the_end_clamps_to_the_last(people, make_incident, alice_api):
    for n in range(4):
        make_incident(title=f"Incident {n}", started_at=START + timedelta(minutes=n), detected_at=None)
    data = alice_api.get(f"{API}?page_size=3&page=99").json()
    assert (data["count"], data["page"], data["pages"]) == (4, 2, 2)
    assert [r["title"] for r in data["results"]] == ["Incident 0"]


def test_an_empty_list_has_one_page(people, alice_api):
    data = alice_api.get(f"{API}?page=5").json()
    assert (data["count"], data["page"], data["pages"], data["results"]) == (0, 1, 1, [])


@pytest.mark.parametrize(
    "query, field",
    [("page=0", "page"), ("page_size=101", "page_size"), ("page_size=0", "page_size"), ("page=abc", "page")],
)
def test_it_refuses_bad_paging(people, alice_api, query, field):
    response = alice_api.get(f"{API}?{query}")
    assert response.status_code == 422
    assert response.json()["field"] == field


# --- Create ------------------------------------------------------------------------------------


def test_it_creates_an_incident(people, alice_api):
    response = post_json(
        alice_api,
        API,
        new_incident(
            services=["Checkout-API", "postgres"],
            responders=["bob", "alice"],
            invitees=["charlie"],
            visibility="private",
            summary="Cards declined.",
            links=[{"kind": "ticket", "url": "https://tracker.example/INC-1", "label": "INC-1"}],
        ),
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["title"] == "Card payments time out"
    assert data["team"] == "payments"
    assert data["severity"] == "SEV2"
    assert data["status"] == "open"
    assert data["visibility"] == "private"
    assert data["version"] == 1
    assert sorted(data["services"]) == ["checkout-api", "postgres"]
    assert data["responders"] == ["bob", "alice"] or sorted(data["responders"]) == ["alice", "bob"]
    assert data["invitees"] == ["charlie"]
    assert data["links"] == [{"kind": "ticket", "url": "https://tracker.example/INC-1", "label": "INC-1"}]
    assert data["url"] == f"/incidents/{data['id']}/"

    from retrospector.incidents.models import Incident

    incident = Incident.objects.get(pk=data["id"])
    assert incident.created_by == people["alice"]
    assert incident.organization == people["payments"].organization


def test_it_keeps_the_instant_of_an_offset_time(people, alice_api):
    response = post_json(alice_api, API, new_incident(started_at="2026-05-04T16:00:00+02:00", detected_at=None))
    assert response.status_code == 201
    from retrospector.incidents.models import Incident

    assert Incident.objects.get(pk=response.json()["id"]).started_at == START


@pytest.mark.parametrize("field", ["started_at", "detected_at", "resolved_at"])
def test_it_refuses_a_naive_time(people, alice_api, field):
    data = new_incident(resolved_at="2026-05-04T18:00:00Z")
    data[field] = data[field].rstrip("Z")
    response = post_json(alice_api, API, data)
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == field
    assert body["detail"]


@pytest.mark.parametrize(
    "moments, field",
    [
        ({"resolved_at": "2026-05-04T13:00:00Z", "detected_at": None}, "resolved_at"),
        ({"detected_at": "2026-05-04T13:59:00Z"}, "detected_at"),
        ({"mitigated_at": "2026-05-04T15:00:00Z", "resolved_at": "2026-05-04T14:30:00Z"}, "resolved_at"),
        ({"acknowledged_at": "2026-05-04T14:01:00Z"}, "acknowledged_at"),
    ],
)
def test_it_refuses_moments_out_of_order(people, alice_api, moments, field):
    from retrospector.incidents.models import Incident

    response = post_json(alice_api, API, new_incident(**moments))
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert "cannot be before" in response.json()["detail"]
    assert not Incident.objects.exists()


def test_it_refuses_a_missing_start(people, alice_api):
    data = new_incident()
    del data["started_at"]
    response = post_json(alice_api, API, data)
    assert response.status_code == 422
    assert response.json()["field"] == "started_at"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"team": "nope"}, "team"),
        ({"severity": "SEV9"}, "severity"),
        ({"responders": ["bob", "nobody"]}, "responders"),
        ({"invitees": ["ghost"]}, "invitees"),
        ({"title": ""}, "title"),
        ({"status": "exploded"}, "status"),
        ({"visibility": "secret"}, "visibility"),
        ({"links": [{"kind": "ticket", "url": "not a url"}]}, "links.0.url"),
    ],
)
def test_it_refuses_unknown_values_naming_the_field(people, alice_api, change, field):
    response = post_json(alice_api, API, new_incident(**change))
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["field"] == field
    assert body["detail"]


def test_an_unknown_severity_lists_the_known_ones(people, alice_api):
    response = post_json(alice_api, API, new_incident(severity="SEV9"))
    assert "SEV1, SEV2, SEV3, SEV4" in response.json()["detail"]


def test_it_does_not_accept_a_person_of_another_organization(people, alice_api):
    from conftest import make_user

    from retrospector.accounts.services import organization_create

    other = organization_create(name="Globex", slug="globex")
    make_user(other, "zed")
    response = post_json(alice_api, API, new_incident(responders=["zed"]))
    assert response.status_code == 422
    assert response.json()["field"] == "responders"


def test_it_does_not_accept_a_team_of_another_organization(people, alice_api):
    from retrospector.accounts.services import organization_create, team_create

    other = organization_create(name="Globex", slug="globex")
    team_create(organization=other, name="Billing", slug="billing")
    response = post_json(alice_api, API, new_incident(team="billing"))
    assert response.status_code == 422
    assert response.json()["field"] == "team"


@pytest.mark.parametrize("name", ["dana", "charlie", "erin"])
def test_it_refuses_to_create_in_a_team_where_one_is_not_a_member(people, name):
    from retrospector.incidents.models import Incident

    client, _, _ = bearer_client(people[name])
    response = post_json(client, API, new_incident())
    assert response.status_code == 403
    assert "Payments" in response.json()["detail"]
    assert not Incident.objects.exists()


def test_an_organization_admin_creates_in_any_team(people):
    client, _, _ = bearer_client(people["oscar"])
    assert post_json(client, API, new_incident(team="platform")).status_code == 201


# --- Read and durations ------------------------------------------------------------------------


def test_it_reads_an_incident_with_durations_in_seconds(people, make_incident, alice_api):
    incident = make_incident(
        acknowledged_at=START + timedelta(minutes=12),
        mitigated_at=START + timedelta(hours=1, minutes=1, seconds=30),
        resolved_at=START + timedelta(days=1, hours=2),
        status="resolved",
    )
    response = alice_api.get(f"{API}/{incident.pk}")
    assert response.status_code == 200
    data = response.json()
    assert data["time_to_detect_seconds"] == 300
    assert data["time_to_acknowledge_seconds"] == 720
    assert data["time_to_mitigate_seconds"] == 3690
    assert data["time_to_resolve_seconds"] == 93600
    assert data["started_at"].startswith("2026-05-04T14:00:00")
    assert data["responders"] == [] and data["invitees"] == [] and data["links"] == []


def test_missing_moments_have_no_duration(people, make_incident, alice_api):
    incident = make_incident(detected_at=None)
    data = alice_api.get(f"{API}/{incident.pk}").json()
    assert [data[f"time_to_{m}_seconds"] for m in ("detect", "acknowledge", "mitigate", "resolve")] == [None] * 4


def test_the_list_carries_durations_too(people, make_incident, alice_api):
    make_incident(resolved_at=START + timedelta(minutes=90))
    row = alice_api.get(API).json()["results"][0]
    assert row["time_to_detect_seconds"] == 300
    assert row["time_to_resolve_seconds"] == 5400


def test_reading_an_unknown_incident_is_404(people, alice_api):
    response = alice_api.get(f"{API}/999999")
    assert response.status_code == 404
    assert set(response.json()) >= {"detail", "field"}


# --- Update ------------------------------------------------------------------------------------


def test_it_updates_with_the_current_base_version(people, make_incident, alice_api):
    incident = make_incident()
    response = patch_json(
        alice_api,
        f"{API}/{incident.pk}",
        {
            "base_version": 1,
            "title": "Card payments time out in the EU",
            "status": "mitigated",
            "mitigated_at": "2026-05-04T14:45:00Z",
            "services": ["edge-proxy"],
        },
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["version"] == 2
    assert data["title"] == "Card payments time out in the EU"
    assert data["status"] == "mitigated"
    assert data["time_to_mitigate_seconds"] == 45 * 60
    assert data["services"] == ["edge-proxy"]
    assert data["severity"] == "SEV2"  # untouched fields stay


def test_it_refuses_a_stale_base_version_with_the_current_one(people, make_incident, alice_api):
    from retrospector.incidents.services import incident_update

    incident = make_incident()
    incident_update(incident=incident, by=people["bob"], title="Bob's title")
    incident_update(incident=incident, by=people["bob"], summary="Bob's summary")
    response = patch_json(alice_api, f"{API}/{incident.pk}", {"base_version": 1, "title": "Alice's title"})
    assert response.status_code == 409
    body = response.json()
    assert body["field"] == "base_version"
    assert body["current"]["version"] == 3
    assert "version 1" in body["detail"] and "version 3" in body["detail"]
    incident.refresh_from_db()
    assert (incident.title, incident.version) == ("Bob's title", 3)


def test_it_updates_without_a_base_version(people, make_incident, alice_api):
    from retrospector.incidents.services import incident_update

    incident = make_incident()
    incident_update(incident=incident, by=people["bob"], title="Bob's title")
    response = patch_json(alice_api, f"{API}/{incident.pk}", {"severity": "SEV1"})
    assert response.status_code == 200
    assert (response.json()["severity"], response.json()["version"], response.json()["title"]) == (
        "SEV1",
        3,
        "Bob's title",
    )


def test_an_update_checks_the_order_of_moments(people, make_incident, alice_api):
    incident = make_incident()
    response = patch_json(alice_api, f"{API}/{incident.pk}", {"resolved_at": "2026-05-04T13:00:00Z"})
    assert response.status_code == 422
    assert response.json()["field"] == "resolved_at"
    incident.refresh_from_db()
    assert incident.resolved_at is None and incident.version == 1


def test_an_update_refuses_a_naive_time(people, make_incident, alice_api):
    incident = make_incident()
    response = patch_json(alice_api, f"{API}/{incident.pk}", {"mitigated_at": "2026-05-04T15:00:00"})
    assert response.status_code == 422
    assert response.json()["field"] == "mitigated_at"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"team": "nope"}, "team"),
        ({"severity": "SEV0"}, "severity"),
        ({"invitees": ["ghost"]}, "invitees"),
        ({"title": ""}, "title"),
    ],
)
def test_an_update_refuses_unknown_values(people, make_incident, alice_api, change, field):
    incident = make_incident()
    response = patch_json(alice_api, f"{API}/{incident.pk}", change)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_an_update_replaces_invitees_and_links(people, make_incident, alice_api):
    incident = make_incident(visibility="private")
    response = patch_json(
        alice_api,
        f"{API}/{incident.pk}",
        {
            "invitees": ["charlie", "erin"],
            "links": [{"kind": "chat", "url": "https://chat.example/c/inc"}],
        },
    )
    assert response.status_code == 200
    assert sorted(response.json()["invitees"]) == ["charlie", "erin"]
    assert response.json()["links"] == [{"kind": "chat", "url": "https://chat.example/c/inc", "label": ""}]
    response = patch_json(alice_api, f"{API}/{incident.pk}", {"invitees": [], "links": []})
    assert (response.json()["invitees"], response.json()["links"]) == ([], [])


def test_a_viewer_cannot_update(people, make_incident):
    incident = make_incident()
    client, _, _ = bearer_client(people["dana"])
    response = patch_json(client, f"{API}/{incident.pk}", {"title": "Dana was here"})
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.title == "Checkout errors"


def test_moving_to_a_team_where_one_is_not_a_member_is_refused(people, make_incident, alice_api):
    incident = make_incident()
    response = patch_json(alice_api, f"{API}/{incident.pk}", {"team": "platform"})
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.team == people["payments"]


def test_a_body_that_is_not_json_gets_a_json_error(people, alice_api):
    response = alice_api.post(API, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot parse request body", "field": None}


def test_a_schema_error_lists_every_field(people, alice_api):
    response = post_json(alice_api, API, {"title": "Only a title"})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "team"
    assert [e["field"] for e in body["errors"]] == ["team", "severity", "started_at"]
