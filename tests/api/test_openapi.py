"""The OpenAPI schema documents every status an operation answers, each error in the one error shape."""
from __future__ import annotations

import re
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from compliance.models import DEFAULT_ATTESTATION
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


# What each operation can answer, read from its code: (method, path in the schema) -> statuses.
# The statuses that follow from the operation's schema itself are added by _answers_of_its_kind.
ANSWERS_FROM_ITS_CODE: dict[tuple[str, str], set[int]] = {
    ("post", TOKEN): {201, 401, 403, 429},  # wrong credentials, second factor needed, locked out (api.auth)
    ("get", "/api/v1/tokens"): {200},
    ("delete", "/api/v1/tokens/{token_id}"): {204, 404},  # not one of your tokens
    ("get", "/api/v1/cycles"): {200},
    ("get", "/api/v1/districts"): {200},
    # Refused (an empty file, the cycle not open), a user who may not submit for a district they see, a
    # district not seen, no open cycle or a version with the state (state_conflict), a file over the limit.
    ("post", "/api/v1/districts/{district_id}/submissions"): {201, 400, 403, 404, 409, 413},
    ("get", "/api/v1/submissions/{submission_id}"): {200, 404},
    ("get", "/api/v1/submissions/{submission_id}/problems"): {200, 404},
    ("get", "/api/v1/submissions/{submission_id}/findings"): {200, 404},
    # Downloads: seen but not to be downloaded (downloads._refuse_unless_allowed), or nothing yet; a report
    # on its way (report_not_ready, with Retry-After) or given up on (report_failed).
    ("get", "/api/v1/submissions/{submission_id}/report.pdf"): {200, 403, 404, 409},
    ("get", "/api/v1/submissions/{submission_id}/marked.xlsx"): {200, 403, 404},
    ("get", "/api/v1/submissions/{submission_id}/original.xlsx"): {200, 403, 404},
    # permissions.certify_refusal: refused (no accepted evaluation, cycle closed), not a certifier of the
    # district, its status (state_conflict) or a race lost (conflict).
    ("post", "/api/v1/submissions/{submission_id}/certify"): {200, 400, 403, 404, 409},
    ("get", "/api/v1/cycles/{cycle_id}/export"): {200, 404},  # not state staff reads as no such cycle
}


def _answers_of_its_kind(operation: dict[str, Any]) -> set[int]:
    """What any operation like this one answers: a token to check (401), a body or a query string to
    read (400 when Django cannot, 422 when it does not fit) and path parameters to validate (422)."""
    answers = {401} if operation.get("security") else set()
    if "requestBody" in operation:
        answers |= {400, 422}
    places = {p["in"] for p in operation.get("parameters", [])}
    if "query" in places:
        answers |= {400, 422}
    if "path" in places:
        answers.add(422)
    return answers


def _operations(openapi: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method, path): op for path, ops in openapi["paths"].items() for method, op in ops.items()}


def test_every_operation_documents_every_status_it_can_answer(client):
    openapi = _openapi(client)
    operations = _operations(openapi)
    assert set(operations) == set(ANSWERS_FROM_ITS_CODE)  # a new operation's answers are read from its code
    undocumented = {}
    for key, operation in operations.items():
        documented = {int(status) for status in operation["responses"]}
        can_answer = ANSWERS_FROM_ITS_CODE[key] | _answers_of_its_kind(operation)
        if can_answer - documented:
            undocumented[key] = sorted(can_answer - documented)
        for status in documented - {200, 201, 204}:
            assert _fields(openapi, operation, status) == {"detail", "code"}, (key, status)
    assert undocumented == {}


def _url(path: str, value: int) -> str:
    return re.sub(r"\{\w+\}", str(value), path)


TOO_MANY_FIELDS = "&".join(f"f{i}=1" for i in range(1001))  # DATA_UPLOAD_MAX_NUMBER_FIELDS is Django's 1,000


def _requests_of_its_kind(path: str, operation: dict[str, Any]) -> list[tuple[int, str, dict[str, Any]]]:
    """(status, url, how to send) of a request that gets each status of _answers_of_its_kind."""
    places = {p["in"] for p in operation.get("parameters", [])}
    nothing = _url(path, 2**31 - 1)  # an id the database can hold, of nothing
    requests: list[tuple[int, str, dict[str, Any]]] = []
    if operation.get("security"):
        requests.append((401, _url(path, 1), {"token": False}))
    if "path" in places:
        requests += [(422, _url(path, 2**31), {}), (404, nothing, {})]  # 2**31: never sent to the database
    if "query" in places:
        requests.append((400, f"{nothing}?{TOO_MANY_FIELDS}", {}))
    if any(p["name"] == "limit" for p in operation.get("parameters", [])):
        requests.append((422, f"{nothing}?limit=0", {}))
    if "requestBody" in operation:  # JSON or multipart: neither parser reads this
        requests.append((400, nothing, {"data": b"{", "content_type": "multipart/form-data"}))
    return requests


def test_every_operation_answers_what_its_kind_answers_as_documented(client, submitter_a):
    token = {"Authorization": f"Bearer {get_token(client, submitter_a.username)}"}
    openapi = _openapi(client)
    operations = _operations(openapi)
    asked = 0
    for (method, path), operation in operations.items():
        for status, url, how in _requests_of_its_kind(path, operation):
            headers = token if how.pop("token", True) else {}
            answer = client.generic(method.upper(), url, headers=headers, **how)
            assert answer.status_code == status, (method, path, status, answer.content)
            assert set(answer.json()) == _fields(openapi, operation, status), (method, path, status)
            asked += 1
    # 13 operations take a token, 10 an id (asked twice), 7 a query string (5 of them paginated), 3 a body
    # (certify's is optional).
    assert asked == 13 + 2 * 10 + 7 + 5 + 3


def test_certify_documents_its_optional_signature_and_the_attestation_a_call_without_one_carries(client):
    openapi = _openapi(client)
    operation = openapi["paths"]["/api/v1/submissions/{submission_id}/certify"]["post"]
    body = operation["requestBody"]
    assert body["required"] is False and list(body["content"]) == ["application/json"]
    schema = body["content"]["application/json"]["schema"]
    assert schema["required"] == ["signer_name", "signer_title", "attest"]
    assert {name: field["type"] for name, field in schema["properties"].items()} == {
        "signer_name": "string", "signer_title": "string", "attest": "boolean"}
    # The words a call without a body carries are in the documentation it points to.
    assert f"\u201c{DEFAULT_ATTESTATION}\u201d" in body["description"]
    assert "the API call carries the attestation stated in the API documentation" in body["description"]
    certification = openapi["components"]["schemas"]["CertificationOut"]["properties"]
    assert set(certification) == {"signer_name", "signer_title", "certified_at", "via", "signed", "attestation"}
    assert "certification" in openapi["components"]["schemas"]["SubmissionOut"]["properties"]
    assert "attestation" in openapi["components"]["schemas"]["CycleOut"]["required"]


def test_the_report_download_documents_its_409_and_the_submission_how_each_report_stands(client):
    openapi = _openapi(client)
    answers = openapi["paths"]["/api/v1/submissions/{submission_id}/report.pdf"]["get"]["responses"]
    assert "report_not_ready" in answers["409"]["description"] and "report_failed" in answers["409"]["description"]
    assert answers["409"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert "none on its way" in answers["404"]["description"]
    schemas = openapi["components"]["schemas"]
    submission = schemas["SubmissionOut"]
    assert {"report_ready", "reports"} <= set(submission["required"])
    assert submission["properties"]["report_ready"]["type"] == "boolean"
    reports = schemas[submission["properties"]["reports"]["$ref"].removeprefix("#/components/schemas/")]
    assert {kind: field["enum"] for kind, field in reports["properties"].items()} == {
        "evaluation": ["ready", "pending", "failed", "none"], "decision": ["ready", "pending", "failed", "none"]}
