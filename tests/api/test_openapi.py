"""The OpenAPI schema documents every status an operation answers, each error in the one error shape."""
from __future__ import annotations

from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.api.conftest import Api, get_token
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/token"


def _openapi(client) -> dict[str, Any]:
    return client.get("/api/openapi.json").json()


def _fields(openapi: dict[str, Any], operation: dict[str, Any], status: int) -> set[str]:
    """The fields of the JSON body ``operation`` documents for ``status`` ($ref followed)."""
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    name = schema["$ref"].removeprefix("#/components/schemas/")
    return set(openapi["components"]["schemas"][name]["properties"])


def test_the_token_endpoint_documents_exactly_the_answers_it_gives(client, submitter_a, reviewer, settings):
    def ask(body: Any):
        return client.post(TOKEN, body, content_type="application/json")

    # State staff with a confirmed authenticator sign in with a code: no token for the password alone.
    TOTPDevice.objects.create(user=reviewer, name="Authenticator app", confirmed=True)
    answers = {
        201: ask({"username": submitter_a.username, "password": DEFAULT_PASSWORD}),
        400: ask("{not json"),
        401: ask({"username": submitter_a.username, "password": "wrong-password-here"}),
        403: ask({"username": reviewer.username, "password": DEFAULT_PASSWORD}),
        422: ask({"username": submitter_a.username}),
    }
    settings.AXES_ENABLED, settings.AXES_FAILURE_LIMIT = True, 1  # the first failure locks the username out
    answers[429] = ask({"username": submitter_a.username, "password": "wrong-password-here"})
    assert {status: r.status_code for status, r in answers.items()} == {s: s for s in answers}

    openapi = _openapi(client)
    operation = openapi["paths"][TOKEN]["post"]
    assert set(operation["responses"]) == {"201", "400", "401", "403", "422", "429"}
    assert set(answers[201].json()) == _fields(openapi, operation, 201) == {"token", "id", "expires_at"}
    for status in (400, 401, 403, 422, 429):
        assert set(answers[status].json()) == _fields(openapi, operation, status) == {"detail", "code"}, status
    assert answers[400].json() == {"detail": "Cannot parse request body", "code": "invalid_request"}


def test_a_request_django_refuses_to_read_answers_the_documented_400(client, district_a, cycle, submitter_a,
                                                                     settings):
    """Django refuses these before ninja's handlers see them; they used to be its HTML 400 page."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    api = Api(client, get_token(client, submitter_a.username))
    upload = f"/api/v1/districts/{district_a.pk}/submissions"
    too_many_fields = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    answers = [  # (the operation in the schema, what it answered)
        (("post", TOKEN), client.post(TOKEN, {"username": "u" * 100, "password": "p"},
                                      content_type="application/json")),
        (("post", "/api/v1/districts/{district_id}/submissions"), api.post(upload, {"note": "n" * 100})),
        (("post", "/api/v1/districts/{district_id}/submissions"),
         api.post(upload, b"file", content_type="multipart/form-data")),  # no boundary
        (("get", "/api/v1/cycles"), api.get(f"/api/v1/cycles?{too_many_fields}")),
    ]
    openapi = _openapi(client)
    for (method, path), answer in answers:
        assert (answer.status_code, answer["Content-Type"]) == (400, "application/json"), path
        assert set(answer.json()) == _fields(openapi, openapi["paths"][path][method], 400), path
        assert answer.json() == {"detail": "The request could not be read: it is too large or not well formed.",
                                 "code": "invalid_request"}, path
