"""The API as a contract: /api/openapi.json says what every operation can answer (its errors, with the one error body
{detail, field, errors}), bounds every id and number as the database stores them, and refuses unknown fields; the
server answers as the document says (an id beyond 64 bits is a 422 naming it, never a server error)."""

import json

import pytest

from retrospector.api.types import MAX_ID

WRITES = {"post", "put", "patch", "delete"}


def operations(openapi):
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", method, operation


def resolve(openapi, schema: dict) -> dict:
    while "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def json_body_schema(openapi, operation) -> dict | None:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return resolve(openapi, content["application/json"]["schema"])


def test_every_operation_declares_the_errors_any_request_can_meet(openapi):
    for name, method, operation in operations(openapi):
        declared = set(operation["responses"])
        expected = {"401", "429", "503"}  # no or a wrong token; the log-in throttle; the database busy
        if operation.get("parameters"):
            expected.add("422")  # a parameter that is not what the document says
        if any(p["in"] == "path" and p["name"].endswith("_id") for p in operation.get("parameters", [])):
            expected.add("404")
        if method in WRITES:
            expected.add("403")  # a browser session's write without its CSRF token, at least
        if json_body_schema(openapi, operation) is not None:
            expected |= {"400", "413", "422"}  # not JSON; too large; not what the document says
        assert expected <= declared, f"{name} does not declare {sorted(expected - declared)}"


def test_every_error_has_the_one_error_body(openapi):
    error = openapi["components"]["schemas"]["ErrorOut"]
    assert set(error["properties"]) == {"detail", "field", "errors"}
    assert error["required"] == ["detail"]
    for name, _, operation in operations(openapi):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            schema = resolve(openapi, response["content"]["application/json"]["schema"])
            assert {"detail", "field", "errors"} <= set(schema["properties"]), f"{name} {status}"
            assert schema["properties"]["detail"] == error["properties"]["detail"], f"{name} {status}"


def test_a_stale_version_is_declared_with_the_current_one(openapi):
    conflicts = [
        (name, operation["responses"]["409"])
        for name, _, operation in operations(openapi)
        if "409" in operation["responses"]
    ]
    with_current = [
        name
        for name, response in conflicts
        if "current" in resolve(openapi, response["content"]["application/json"]["schema"])["properties"]
    ]
    assert sorted(with_current) == [
        "PATCH /api/v1/accounts/{account_id}",
        "PATCH /api/v1/comments/{comment_id}",
        "PATCH /api/v1/findings/{finding_id}",
        "PATCH /api/v1/incidents/{incident_id}",
        "PATCH /api/v1/incidents/{incident_id}/events/{event_id}",
        "PATCH /api/v1/questions/{question_id}",
        "PATCH /api/v1/recommendations/{recommendation_id}",
        "PATCH /api/v1/retrospectives/{retrospective_id}/agenda/{item_id}",
        "PATCH /api/v1/statements/{statement_id}",
        "POST /api/v1/retrospectives/{retrospective_id}/accounts",
        "POST /api/v1/retrospectives/{retrospective_id}/agenda",
        "PUT /api/v1/retrospectives/{retrospective_id}/agenda/{item_id}/decision",
        "PUT /api/v1/retrospectives/{retrospective_id}/meeting",
        "PUT /api/v1/retrospectives/{retrospective_id}/sections/{key}",
    ]
    # The other 409s refuse a change to a done retrospective (read-only): there is no newer version to send back; or
    # an approval of a state that changed since it was read (with `changes`: what changed).
    assert sorted({name for name, _ in conflicts} - set(with_current)) == [
        "DELETE /api/v1/findings/{finding_id}",
        "DELETE /api/v1/questions/{question_id}",
        "DELETE /api/v1/retrospectives/{retrospective_id}/account-requests/{request_id}",
        "DELETE /api/v1/retrospectives/{retrospective_id}/agenda/{item_id}",
        "DELETE /api/v1/retrospectives/{retrospective_id}/checks/ignores/{ignore_id}",
        "POST /api/v1/findings",
        "POST /api/v1/retrospectives/{retrospective_id}/account-requests",
        "POST /api/v1/retrospectives/{retrospective_id}/agenda/{item_id}/applied",
        "POST /api/v1/retrospectives/{retrospective_id}/approve",
        "POST /api/v1/retrospectives/{retrospective_id}/checks/ignores",
        "POST /api/v1/retrospectives/{retrospective_id}/meeting/ready",
        "POST /api/v1/retrospectives/{retrospective_id}/meeting/roll-call",
        "POST /api/v1/retrospectives/{retrospective_id}/questions",
        "POST /api/v1/retrospectives/{retrospective_id}/threads",
        "POST /api/v1/threads/{thread_id}/comments",
        "POST /api/v1/threads/{thread_id}/reopen",
        "POST /api/v1/threads/{thread_id}/resolve",
        "PUT /api/v1/retrospectives/{retrospective_id}/assignment",
    ]


def integer_schemas(openapi, schema: dict, where: str, seen=None):
    """(where, schema) of every integer in a schema, through $refs, unions and arrays."""
    seen = seen if seen is not None else set()
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return
        seen.add(schema["$ref"])
        schema = resolve(openapi, schema)
    if schema.get("type") == "integer":
        yield where, schema
    for part in schema.get("anyOf", []) + schema.get("oneOf", []):
        yield from integer_schemas(openapi, part, where, seen)
    if "items" in schema:
        yield from integer_schemas(openapi, schema["items"], f"{where}[]", seen)
    for name, prop in schema.get("properties", {}).items():
        yield from integer_schemas(openapi, prop, f"{where}.{name}", seen)


def test_every_number_a_client_sends_is_bounded(openapi):
    found = []
    for name, _, operation in operations(openapi):
        for parameter in operation.get("parameters", []):
            found += integer_schemas(openapi, parameter["schema"], f"{name} {parameter['name']}")
        for content in operation.get("requestBody", {}).get("content", {}).values():
            found += integer_schemas(openapi, content["schema"], f"{name} body")
    assert len(found) > 40
    for where, schema in found:
        assert schema.get("minimum", -1) >= 0, where
        assert schema.get("maximum", MAX_ID + 1) <= MAX_ID, where
    ids = [(where, schema) for where, schema in found if where.endswith(("_id", "_ids[]", ".keep", ".duplicates[]"))]
    assert len(ids) > 30
    for where, schema in ids:
        assert (schema["minimum"], schema["maximum"]) == (1, MAX_ID), where


def test_every_json_body_refuses_unknown_fields(openapi):
    bodies = 0
    for name, _, operation in operations(openapi):
        schema = json_body_schema(openapi, operation)
        if schema is None:
            continue
        bodies += 1
        assert schema["additionalProperties"] is False, name
        for prop_name, prop in schema["properties"].items():
            for part in [prop, prop.get("items", {}), *prop.get("anyOf", [])]:
                part = part.get("items", part)
                if "$ref" in part and resolve(openapi, part).get("type") == "object":  # not an enum's
                    assert resolve(openapi, part)["additionalProperties"] is False, f"{name} {prop_name}"
    assert bodies >= 12


@pytest.fixture
def alice(client_for):
    return client_for("alice")


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def patch_json(client, url, data):
    return client.patch(url, json.dumps(data), content_type="application/json")


def put_json(client, url, data):
    return client.put(url, json.dumps(data), content_type="application/json")


def test_an_event_id_beyond_64_bits_is_refused_naming_it_not_a_server_error(alice, make_incident):
    incident = make_incident()
    response = post_json(
        alice, f"/api/v1/incidents/{incident.pk}/events/bulk", {"action": "hide", "event_ids": [2**64]}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "event_ids.0"
    response = post_json(alice, f"/api/v1/incidents/{incident.pk}/events/merge", {"keep": 2**63, "duplicates": [1]})
    assert response.status_code == 422
    assert response.json()["field"] == "keep"


@pytest.mark.parametrize("incident_id", [0, 2**63, 2**64 + 1])
def test_an_incident_id_out_of_range_is_refused_naming_it(alice, make_incident, incident_id):
    make_incident()
    for response in (
        alice.get(f"/api/v1/incidents/{incident_id}"),
        alice.get(f"/api/v1/incidents/{incident_id}/events"),
        alice.get(f"/api/v1/incidents/{incident_id}/events/{MAX_ID}"),
        alice.get(f"/api/v1/incidents/1/events/{incident_id}"),
    ):
        assert response.status_code == 422
        assert response.json()["field"] in {"incident_id", "event_id"}
    # The largest id there can be is simply not found.
    assert alice.get(f"/api/v1/incidents/{MAX_ID}").status_code == 404


def test_an_unknown_field_is_refused_naming_it_and_nothing_changes(alice, make_incident):
    from retrospector.incidents.models import Incident

    incident = make_incident()
    response = patch_json(alice, f"/api/v1/incidents/{incident.pk}", {"summary": "New", "titel": "Typo"})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "titel"
    assert body["errors"] == [{"field": "titel", "message": body["detail"]}]
    incident.refresh_from_db()
    assert incident.summary != "New"
    response = post_json(
        alice,
        "/api/v1/incidents",
        {
            "title": "Checkout down",
            "team": "payments",
            "severity": "SEV2",
            "started_at": "2026-05-04T14:00:00Z",
            "links": [{"url": "https://status.example.com/1", "colour": "red"}],
        },
    )
    assert response.status_code == 422
    assert response.json()["field"] == "links.0.colour"
    assert Incident.objects.count() == 1


def test_fields_that_cannot_be_cleared_cannot_be_null(openapi, alice, make_incident):
    patch = openapi["components"]["schemas"]["IncidentPatch"]["properties"]
    for field in ("title", "team", "severity", "status", "visibility", "summary", "started_at"):
        assert "anyOf" not in patch[field] and "default" not in patch[field], field
    assert {"type": "null"} in patch["resolved_at"]["anyOf"]  # a moment can be cleared
    incident = make_incident()
    response = patch_json(alice, f"/api/v1/incidents/{incident.pk}", {"team": None})
    assert response.status_code == 422
    assert response.json()["field"] == "team"
    response = patch_json(alice, f"/api/v1/incidents/{incident.pk}", {"detected_at": None})
    assert response.status_code == 200
    assert response.json()["detected_at"] is None


def test_an_empty_document_is_refused_by_the_schema(openapi, alice, make_incident):
    markdown = openapi["components"]["schemas"]["MarkdownImportIn"]["properties"]["markdown"]
    assert markdown["minLength"] == 1 and "pattern" in markdown
    incident = make_incident()
    url = f"/api/v1/incidents/{incident.pk}/retrospectives/import"
    for empty in ("", "\n\n", "\r\n\u2028"):
        response = post_json(alice, url, {"markdown": empty})
        assert response.status_code == 422
        assert response.json()["field"] == "markdown"
    assert post_json(alice, url, {"markdown": "\nWe lost the queue.\n"}).status_code == 201


def test_an_empty_team_or_severity_is_refused_by_the_schema(openapi):
    incident_in = openapi["components"]["schemas"]["IncidentIn"]["properties"]
    assert incident_in["team"]["minLength"] == 1
    assert incident_in["severity"]["minLength"] == 1


def test_list_filters_list_their_values(openapi):
    from retrospector.incidents.models import Incident

    parameters = {p["name"]: p["schema"] for p in openapi["paths"]["/api/v1/incidents"]["get"]["parameters"]}
    assert parameters["status"]["enum"] == ["", *Incident.Status.values]
    assert parameters["visibility"]["enum"] == ["", *Incident.Visibility.values]
    assert (parameters["page_size"]["minimum"], parameters["page_size"]["maximum"]) == (1, 100)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_to_an_unknown_api_path_is_a_json_404_not_the_csrf_page(db, method):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)("/api/v1/incidents/1/events/null,null")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("No API endpoint")


def test_a_time_or_a_date_is_text_not_a_number(alice, make_incident):
    incident = make_incident()
    assert alice.get(f"/api/v1/incidents/{incident.pk}/events?until=0.5").status_code == 422
    response = post_json(alice, f"/api/v1/incidents/{incident.pk}/retrospectives", {"due_at": 0})
    assert response.status_code == 422
    assert response.json()["field"] == "due_at"


def test_a_body_value_is_of_its_documented_type_not_converted(alice, make_incident):
    incident = make_incident()
    url = f"/api/v1/incidents/{incident.pk}/events"
    event = {"time": "2026-05-04T14:10:00Z", "text": "Paged the on-call"}
    for field, value in (("key_event", "true"), ("key_event", 1), ("tags", "a")):
        response = post_json(alice, url, {**event, field: value})
        assert response.status_code == 422, (field, value)
        assert response.json()["field"].startswith(field)
    response = put_json(alice, f"/api/v1/incidents/{incident.pk}/timeline/display", {"seconds": 0})
    assert response.status_code == 422
    assert response.json()["field"] == "seconds"
    response = patch_json(alice, f"/api/v1/incidents/{incident.pk}", {"base_version": "1", "summary": "x"})
    assert response.status_code == 422
    assert response.json()["field"] == "base_version"


def test_a_body_too_large_is_a_413_in_the_error_shape(alice, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = post_json(alice, "/api/v1/checks", {"markdown": "x" * 2000})
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The request body is too large")


def test_an_integer_in_a_body_is_a_json_number_and_7_0_is_7(alice, make_incident):
    incident = make_incident()
    url = f"/api/v1/incidents/{incident.pk}"
    assert patch_json(alice, url, {"base_version": 1.0, "summary": "Checkout failed"}).status_code == 200
    for stale in (True, "2", 2.5):
        response = patch_json(alice, url, {"base_version": stale, "summary": "x"})
        assert response.status_code == 422, stale
        assert response.json()["field"] == "base_version"
