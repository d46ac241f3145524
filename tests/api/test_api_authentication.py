"""Who may call the API: without credentials every operation answers 401 (never a CSRF failure), and a browser
session's writes still need the CSRF token. The clients here check CSRF like a browser's request would be checked
(Django's test client skips the check unless told otherwise)."""

import json
import re
from functools import cache

import pytest
from django.test import Client

from retrospector.api import api

WRITES = ("post", "put", "patch", "delete")


@cache
def write_operations() -> list[tuple[str, str]]:
    """Every write operation the OpenAPI document lists, its path parameters filled in: new operations are covered
    without touching this test."""
    schema = api.get_openapi_schema()
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path))
        for path, operations in schema["paths"].items()
        for method in operations
        if method in WRITES
    ]


def test_the_schema_lists_the_write_operations():
    operations = write_operations()
    assert len(operations) >= 10
    assert ("PUT", "/api/v1/retrospectives/1/sections/1") in operations


def test_every_write_operation_called_anonymously_answers_401(db):
    anonymous = Client(enforce_csrf_checks=True)
    wrong = []
    for method, path in write_operations():
        response = anonymous.generic(method, path, "{}", content_type="application/json")
        if response.status_code != 401:
            wrong.append(f"{method} {path}: HTTP {response.status_code} {response.content[:120]!r}")
            continue
        body = response.json()
        if not (body["field"] is None and "Authentication required" in body["detail"]):
            wrong.append(f"{method} {path}: {body}")
        if response.get("WWW-Authenticate") != "Bearer":
            wrong.append(f"{method} {path}: WWW-Authenticate {response.get('WWW-Authenticate')!r}")
    assert wrong == []


def test_a_garbage_token_on_a_write_answers_401_too(db):
    client = Client(enforce_csrf_checks=True, headers={"Authorization": "Bearer rtr_not-a-token"})
    response = client.post("/api/v1/incidents", "{}", content_type="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def new_incident() -> str:
    return json.dumps(
        {"title": "Card payments time out", "team": "payments", "severity": "SEV2", "started_at": "2026-05-04T14:00Z"}
    )


def test_a_browser_sessions_write_without_the_csrf_token_is_refused(people):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people["bob"])

    response = browser.post("/api/v1/incidents", new_incident(), content_type="application/json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.mark.usefixtures("people")
def test_a_browser_sessions_write_with_the_csrf_token_goes_through(people):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people["bob"])
    browser.get("/")  # the page sets the CSRF cookie, as in a browser
    token = browser.cookies["csrftoken"].value

    response = browser.post(
        "/api/v1/incidents", new_incident(), content_type="application/json", headers={"X-CSRFToken": token}
    )

    assert response.status_code == 201, response.content
