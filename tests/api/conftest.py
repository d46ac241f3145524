"""The API document, read once per run: building it takes a second or more, and the tests that read it only read."""

import copy

import pytest
from django.test import Client


@pytest.fixture(scope="session")
def openapi_document(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def openapi(openapi_document):
    """The document as /api/openapi.json serves it; a copy, so that a test may change it freely."""
    return copy.deepcopy(openapi_document)
