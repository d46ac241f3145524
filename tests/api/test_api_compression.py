"""The JSON API is gzipped for clients that accept it; HTML pages, which carry the CSRF token, never are (BREACH)."""

import gzip
import json
import re

import pytest

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def incidents(make_incident):
    return [make_incident(title=f"Checkout errors {n}", services=["payments-api"]) for n in range(10)]


def test_the_api_gzips_its_json_for_a_client_that_accepts_it(incidents, client_for):
    client = client_for("bob")
    plain = client.get("/api/v1/incidents")
    zipped = client.get("/api/v1/incidents", headers=GZIP)
    assert zipped.status_code == 200
    assert zipped["Content-Encoding"] == "gzip"
    assert zipped["Content-Type"] == "application/json; charset=utf-8"
    assert "Accept-Encoding" in zipped["Vary"]
    assert int(zipped["Content-Length"]) == len(zipped.content) < len(plain.content) / 2
    assert json.loads(gzip.decompress(zipped.content)) == plain.json()


def test_the_api_answers_plain_json_to_a_client_that_does_not_accept_gzip(incidents, client_for):
    response = client_for("bob").get("/api/v1/incidents")
    assert not response.has_header("Content-Encoding")
    assert "Accept-Encoding" in response["Vary"]  # a cache must not give it the gzipped copy, nor the other way round
    assert len(response.json()["results"]) == 10


def test_the_api_gzips_its_errors_and_its_document_too(incidents, client_for):
    client = client_for("bob")
    document = client.get("/api/openapi.json", headers=GZIP)
    assert document["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(document.content))["info"]["title"] == "Retrospector API"
    invalid = client.get("/api/v1/incidents?page=0&page_size=0&status=nope", headers=GZIP)
    assert invalid.status_code == 422
    body = gzip.decompress(invalid.content) if invalid.has_header("Content-Encoding") else invalid.content
    assert json.loads(body)["field"] in ("page", "page_size", "status")


@pytest.mark.parametrize("url", ["/", "/incidents/", "/api/docs"])
def test_pages_with_a_csrf_token_are_never_compressed(incidents, client_for, url):
    response = client_for("bob").get(url, headers=GZIP)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert not response.has_header("Content-Encoding")
    assert len(response.content) > 200  # long enough that it would have been compressed
    assert re.search(rb'csrf[^>]*"[A-Za-z0-9]{64}"', response.content, re.I), "the page carries a CSRF token"
