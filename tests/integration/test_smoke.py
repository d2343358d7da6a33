"""The skeleton answers: the home page, the health check and the API's OpenAPI document."""

import pytest

pytestmark = pytest.mark.django_db


def test_home_page_answers(client):
    assert client.get("/").status_code == 200


def test_openapi_docs_answer(client):
    assert client.get("/api/docs").status_code == 200
    schema = client.get("/api/openapi.json").json()
    assert "/api/organisations" in schema["paths"]
