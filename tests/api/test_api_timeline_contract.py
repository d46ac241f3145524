"""The timeline's operations take what /api/openapi.json says they take: what the document calls valid is accepted, and
what the server refuses is either invalid in the document (an enum, a bound, a pattern, a required field) or a rule
its description states; every refusal is a 422 naming the field."""

import base64
import json
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest

from retrospector.accounts.forms import TIME_ZONE_CHOICES
from retrospector.importers.registry import SOURCES
from retrospector.timeline.models import TimelineEvent
from retrospector.timeline.services import event_add

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)
TOO_BIG = 2**63  # one past the largest id a row can have
TIMELINE_INPUTS = ("EventIn", "EventPatch", "BulkIn", "MergeIn", "MilestoneIn", "DisplayIn")


@pytest.fixture
def incident(make_incident):
    return make_incident()


@pytest.fixture
def events(incident, people):
    return [
        event_add(incident=incident, by=people["bob"], occurred_at=T0 + timedelta(minutes=n), text=f"step {n}")
        for n in range(6)
    ]


@pytest.fixture
def bob(client_for):
    return client_for("bob")


def send(client, method, url, body):
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def refused(response, field):
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field, response.json()
    return response.json()["detail"]


def operation(openapi, path, method):
    return openapi["paths"][f"/api/v1/incidents/{{incident_id}}{path}"][method]


def parameter(openapi, path, method, name):
    (found,) = [p for p in operation(openapi, path, method)["parameters"] if p["name"] == name]
    return found


def multipart_property(openapi, name):
    form = operation(openapi, "/timeline/imports", "post")["requestBody"]["content"]["multipart/form-data"]["schema"]
    return form["properties"][name]


def nulls_in(schema) -> list:
    """Every place a schema lets null through: a null type or a null default."""
    found = []
    if isinstance(schema, dict):
        if schema.get("type") == "null" or "null" in (schema.get("type") or []) or schema.get("default", 0) is None:
            found.append(schema)
        for value in schema.values():
            found += nulls_in(value)
    elif isinstance(schema, list):
        for value in schema:
            found += nulls_in(value)
    return found


# 1. after and before together ------------------------------------------------------------------------------------


def test_after_and_before_together_read_the_events_between_the_two_cursors(incident, events, bob, openapi):
    url = f"/api/v1/incidents/{incident.pk}/events"
    first = bob.get(url + "?limit=2").json()  # step 0, 1
    second = bob.get(url + f"?limit=2&after={first['next_cursor']}").json()  # step 2, 3
    third = bob.get(url + f"?limit=2&after={second['next_cursor']}").json()  # step 4, 5
    window = bob.get(url + f"?limit=1&after={first['next_cursor']}&before={third['previous_cursor']}").json()
    assert [e["text"] for e in window["results"]] == ["step 2"] and window["next_cursor"]
    rest = bob.get(url + f"?limit=5&after={window['next_cursor']}&before={third['previous_cursor']}").json()
    assert [e["text"] for e in rest["results"]] == ["step 3"] and rest["next_cursor"] is None
    for name in ("after", "before"):
        assert "too: the events between the two" in parameter(openapi, "/events", "get", name)["description"]


def test_a_cursor_the_api_did_not_give_is_refused_naming_it_and_the_document_says_so(incident, events, bob, openapi):
    url = f"/api/v1/incidents/{incident.pk}/events"

    def cursor(raw: str) -> str:
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    assert refused(bob.get(url + "?after=nonsense"), "after") == "Not a cursor from this API; start without one."
    refused(bob.get(url + f"?before={cursor(f'{T0.isoformat()}|{TOO_BIG}')}"), "before")  # was a 500 (OverflowError)
    refused(bob.get(url + f"?after={cursor('0001-01-01T00:00:00+01:00|1')}"), "after")  # before the first instant
    refused(bob.get(url + "?after=not+base64"), "after")  # outside the documented pattern
    assert parameter(openapi, "/events", "get", "after")["schema"]["pattern"] == "^[A-Za-z0-9_-]*$"
    assert "any other text is refused" in operation(openapi, "/events", "get")["description"]


# 2. merge: keep -----------------------------------------------------------------------------------------------------


def test_a_merge_without_keep_is_refused_by_the_schema_and_by_the_server(incident, events, bob, openapi):
    merge_in = openapi["components"]["schemas"]["MergeIn"]
    assert set(merge_in["required"]) == {"keep", "duplicates"}
    url = f"/api/v1/incidents/{incident.pk}/events/merge"
    refused(send(bob, "post", url, {"duplicates": [events[1].pk, events[2].pk]}), "keep")
    assert not TimelineEvent.objects.filter(merged_into__isnull=False).exists()
    # The one rule the schema cannot say is in the operation's description: keep must not be the only duplicate.
    refused(send(bob, "post", url, {"keep": events[1].pk, "duplicates": [events[1].pk]}), "duplicates")
    assert "no duplicate differs from `keep`" in operation(openapi, "/events/merge", "post")["description"]
    kept = send(bob, "post", url, {"keep": events[1].pk, "duplicates": [events[2].pk]})
    assert kept.status_code == 200 and TimelineEvent.objects.get(pk=events[2].pk).merged_into_id == events[1].pk


# 3. import source ---------------------------------------------------------------------------------------------------


def test_an_import_source_is_one_of_the_listed_sources_in_the_document_and_on_the_server(incident, bob, openapi):
    assert multipart_property(openapi, "source")["enum"] == list(SOURCES)
    url = f"/api/v1/incidents/{incident.pk}/timeline/imports"
    for source in ("", "myspace"):
        upload = BytesIO(b"[]")
        upload.name = "alerts.json"
        refused(bob.post(url, {"source": source, "file": upload, "dry_run": "true"}), "source")
    upload = BytesIO(b"[]")
    upload.name = "alerts.json"
    assert bob.post(url, {"source": "alertmanager", "file": upload, "dry_run": "true"}).status_code == 200


# 4. time zones ------------------------------------------------------------------------------------------------------


def test_time_zones_are_an_enum_of_iana_names_in_the_document(openapi, client):
    zones = openapi["components"]["schemas"]["TimeZoneName"]
    # The names the preferences and the timeline's pages offer: region/city names, and UTC.
    assert zones["enum"] == [name for name, _ in TIME_ZONE_CHOICES] and "Europe/Paris" in zones["enum"]
    either = [{"$ref": "#/components/schemas/TimeZoneName"}, {"const": "", "type": "string"}]
    assert openapi["components"]["schemas"]["DisplayIn"]["properties"]["time_zone"]["anyOf"] == either
    assert multipart_property(openapi, "tz")["anyOf"] == either
    document = client.get("/api/openapi.json").content
    assert document.count(b'"Pacific/Chatham"') == 1  # the ~600 names are listed once, not in each operation
    # A bound on the whole document (it grows with each operation: 303 KB with the recommendations' and webhooks'),
    # far below what ~600 names in each of its operations would make.
    assert len(document) < 450_000


def test_an_unknown_time_zone_is_refused_naming_the_field(incident, bob):
    display = f"/api/v1/incidents/{incident.pk}/timeline/display"
    detail = refused(send(bob, "put", display, {"time_zone": "Mars/Olympus"}), "time_zone")
    assert detail == "Unknown time zone 'Mars/Olympus'; use an IANA name such as Europe/Paris or UTC."
    assert send(bob, "put", display, {"time_zone": "Asia/Tokyo"}).json()["time_zone"] == "Asia/Tokyo"
    assert send(bob, "put", display, {"time_zone": ""}).json()["time_zone"] == ""
    upload = BytesIO(b"[]")
    upload.name = "alerts.json"
    imports = f"/api/v1/incidents/{incident.pk}/timeline/imports"
    refused(bob.post(imports, {"source": "alertmanager", "file": upload, "tz": "Mars/Olympus"}), "tz")


def test_the_quiet_period_bounds_are_in_the_document(openapi, incident, bob):
    gap = openapi["components"]["schemas"]["DisplayIn"]["properties"]["gap_minutes"]
    assert (gap["minimum"], gap["maximum"]) == (1, 7 * 24 * 60)
    refused(send(bob, "put", f"/api/v1/incidents/{incident.pk}/timeline/display", {"gap_minutes": 0}), "gap_minutes")


# 5. null ------------------------------------------------------------------------------------------------------------


def test_no_timeline_input_lets_null_through_in_the_document(openapi):
    schemas = openapi["components"]["schemas"]
    for name in TIMELINE_INPUTS:
        assert nulls_in(schemas[name]) == [], name
    patch = schemas["EventPatch"]
    assert "required" not in patch and {"kind", "key_event", "hidden", "time", "text"} <= set(patch["properties"])


@pytest.mark.parametrize("field", ["kind", "key_event", "hidden", "time", "text", "actor", "tags", "base_version"])
def test_null_on_an_event_patch_is_refused_naming_the_field(incident, events, bob, field):
    url = f"/api/v1/incidents/{incident.pk}/events/{events[0].pk}"
    refused(send(bob, "patch", url, {field: None}), field)
    assert TimelineEvent.objects.get(pk=events[0].pk).version == 1


def test_a_field_left_out_of_an_event_patch_is_unchanged(incident, events, bob):
    url = f"/api/v1/incidents/{incident.pk}/events/{events[0].pk}"
    send(bob, "patch", url, {"kind": "deploy", "key_event": True})
    changed = send(bob, "patch", url, {"hidden": True})
    assert changed.status_code == 200
    assert {k: changed.json()[k] for k in ("kind", "key_event", "hidden", "text")} == {
        "kind": "deploy",
        "key_event": True,
        "hidden": True,
        "text": "step 0",
    }


@pytest.mark.parametrize("field", ["kind", "key_event", "actor_kind", "tags", "time"])
def test_null_on_a_new_event_is_refused_naming_the_field(incident, bob, field):
    body = {"time": T0.isoformat(), "text": "Paged", field: None}
    refused(send(bob, "post", f"/api/v1/incidents/{incident.pk}/events", body), field)


def test_a_source_url_is_an_http_link_in_the_document(openapi, incident, bob):
    for name in ("EventIn", "EventPatch"):
        pattern = openapi["components"]["schemas"][name]["properties"]["source_url"]["pattern"]
        # No \s or \S: ECMA (the document's clients) and Rust (pydantic) disagree on which characters are spaces.
        assert pattern.startswith("^([Hh][Tt][Tt][Pp][Ss]?://") and "\\s" not in pattern.lower()
    url = f"/api/v1/incidents/{incident.pk}/events"
    refused(send(bob, "post", url, {"time": T0.isoformat(), "text": "x", "source_url": "\x00\x7f"}), "source_url")
    # The pattern reads the same in ECMA and Rust regexes: U+0085 is white space to one and not to the other.
    refused(send(bob, "post", url, {"time": T0.isoformat(), "text": "x", "source_url": "https://a\x85b"}), "source_url")
    added = send(bob, "post", url, {"time": T0.isoformat(), "text": "x", "source_url": "https://status.example.com/1"})
    assert added.status_code == 201


# 6. ids -------------------------------------------------------------------------------------------------------------


def test_ids_beyond_64_bits_are_refused_naming_the_field_not_a_server_error(incident, events, bob, openapi):
    base = f"/api/v1/incidents/{incident.pk}"
    refused(send(bob, "post", f"{base}/events/bulk", {"action": "hide", "event_ids": [2**64]}), "event_ids.0")
    refused(send(bob, "post", f"{base}/events/merge", {"keep": events[0].pk, "duplicates": [TOO_BIG]}), "duplicates.0")
    refused(send(bob, "post", f"{base}/events/merge", {"keep": 0, "duplicates": [events[0].pk]}), "keep")
    refused(bob.get(f"{base}/events/{TOO_BIG}"), "event_id")
    refused(bob.get(f"/api/v1/incidents/{TOO_BIG}/events"), "incident_id")
    refused(send(bob, "patch", f"{base}/events/{events[0].pk}", {"base_version": TOO_BIG}), "base_version")
    assert not TimelineEvent.objects.filter(hidden=True).exists()
    bulk = openapi["components"]["schemas"]["BulkIn"]["properties"]["event_ids"]["items"]
    assert (bulk["minimum"], bulk["maximum"]) == (1, TOO_BIG - 1)
    path_id = parameter(openapi, "/events/{event_id}", "get", "event_id")["schema"]
    assert (path_id["minimum"], path_id["maximum"]) == (1, TOO_BIG - 1)


# 7. the rules no schema can say are in the descriptions -------------------------------------------------------------


def test_the_rules_the_schema_cannot_say_are_in_the_operations_descriptions(openapi):
    milestone = operation(openapi, "/events/{event_id}/milestone", "post")["description"]
    assert "key moments stay in order" in milestone.lower() and "422 naming that moment" in milestone
    assert "cannot read is refused with its problems" in operation(openapi, "/timeline/imports", "post")["description"]
    assert "can be confirmed" in operation(openapi, "/timeline/import-jobs/{job_id}/confirm", "post")["description"]
    assert "undone once" in operation(openapi, "/timeline/imports/{import_id}", "delete")["description"]
    source_ref = openapi["components"]["schemas"]["EventIn"]["properties"]["source_ref"]["description"]
    assert "another event citing it is refused" in source_ref


def test_a_time_with_any_offset_rfc_3339_allows_is_stored_on_either_database(incident, bob, client_for):
    """PostgreSQL refuses offsets beyond ±15:59 (a 500 before): times are stored in UTC, the offset as written apart."""
    response = send(
        bob, "post", f"/api/v1/incidents/{incident.pk}/events", {"time": "2026-05-04T23:44:00+22:52", "text": "x"}
    )
    assert response.status_code == 201, response.content
    event = TimelineEvent.objects.get(pk=response.json()["id"])
    assert event.occurred_at == datetime(2026, 5, 4, 0, 52, tzinfo=UTC)
    assert event.original_offset_minutes == 22 * 60 + 52

    response = send(
        client_for("alice"),
        "patch",
        f"/api/v1/incidents/{incident.pk}",
        {"base_version": incident.version, "started_at": "2026-05-04T23:00:00+20:00"},
    )
    assert response.status_code == 200, response.content
    incident.refresh_from_db()
    assert incident.started_at == datetime(2026, 5, 4, 3, 0, tzinfo=UTC)
