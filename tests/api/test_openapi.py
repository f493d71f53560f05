"""The OpenAPI schema documents every status an operation answers, each error in the one error shape."""
from __future__ import annotations

from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

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
