"""Tokens: stored hashed, expire, revocable by their user and by administrators, throttled like the login page."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.utils import timezone

from api.admin import ApiTokenAdmin
from api.models import ApiToken
from tests.api.conftest import Api, get_token

pytestmark = pytest.mark.django_db


def test_token_is_stored_as_its_sha256_and_expires_after_api_token_days(client, submitter_a, settings):
    settings.API_TOKEN_DAYS = 30
    before = timezone.now()
    raw = get_token(client, submitter_a.username)
    token = ApiToken.objects.get(user=submitter_a)
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {token.key_hash, token.prefix} and token.prefix == raw[:12]
    assert before + timedelta(days=30) <= token.expires_at <= timezone.now() + timedelta(days=30)
    api = Api(client, raw)
    assert api.get("/api/v1/cycles").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = api.get("/api/v1/cycles")
    assert (expired.status_code, expired.json()["code"]) == (401, "unauthenticated")


def test_user_lists_and_revokes_own_token(client, submitter_a):
    first, second = Api(client, get_token(client, submitter_a.username)), get_token(client, submitter_a.username)
    listed = first.get("/api/v1/tokens").json()
    assert listed["count"] == 2 and all(t["active"] for t in listed["items"])
    assert "token" not in listed["items"][0]
    newest = ApiToken.objects.get(key_hash=hashlib.sha256(second.encode()).hexdigest())
    assert first.delete(f"/api/v1/tokens/{newest.pk}").status_code == 204
    assert Api(client, second).get("/api/v1/cycles").status_code == 401
    assert first.get("/api/v1/cycles").status_code == 200  # the other token still works


def test_admin_revokes_selected_tokens(client, submitter_a, certifier_a):
    raw = get_token(client, submitter_a.username)
    kept = get_token(client, certifier_a.username)
    request = RequestFactory().post("/admin/")
    request.user = submitter_a
    admin = ApiTokenAdmin(ApiToken, site)
    admin.message_user = lambda *a, **k: None
    admin.revoke(request, ApiToken.objects.filter(user=submitter_a))
    assert Api(client, raw).get("/api/v1/cycles").status_code == 401
    assert Api(client, kept).get("/api/v1/cycles").status_code == 200
    assert admin.has_add_permission(request) is False


def test_wrong_password_is_401_and_lockout_is_429_like_the_login_page(client, submitter_a, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    body = {"username": submitter_a.username, "password": "wrong-password-here"}
    answers = [client.post("/api/v1/token", body, content_type="application/json") for _ in range(3)]
    assert [r.status_code for r in answers[:2]] == [401, 401]
    assert answers[0].json() == {"detail": "The username or password is not correct.", "code": "invalid_credentials"}
    assert answers[0]["WWW-Authenticate"] == 'Bearer realm="api"'  # RFC 9110: a 401 names its scheme
    # The third failure reaches the limit: locked, and then even the right password is refused.
    assert answers[2].status_code == 429
    right = client.post("/api/v1/token", {**body, "password": "correct-horse-battery-staple"},
                        content_type="application/json")
    assert (right.status_code, right.json()["code"]) == (429, "locked_out")
    assert right["Retry-After"] == "3600"  # AXES_COOLOFF_TIME: one hour
    assert not ApiToken.objects.exists()
    # The same lockout shuts the login page.
    page = client.post("/login/", {"username": submitter_a.username, "password": "correct-horse-battery-staple"})
    assert page.status_code == 429 and "_auth_user_id" not in client.session


def test_bad_requests_answer_json_errors(client):
    missing = client.post("/api/v1/token", {"username": "x"}, content_type="application/json")
    assert (missing.status_code, missing.json()["code"]) == (422, "invalid_request")
    assert "password" in missing.json()["detail"]
    garbled = client.post("/api/v1/token", "{not json", content_type="application/json")
    assert (garbled.status_code, garbled.json()["code"]) == (400, "invalid_request")
    anonymous = client.get("/api/v1/districts")
    assert anonymous.json() == {"detail": "Send a valid token: Authorization: Bearer <token>.",
                                "code": "unauthenticated"}
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"] == 'Bearer realm="api"'
    assert client.get("/api/openapi.json").json()["paths"]["/api/v1/token"]


def test_an_unknown_path_or_method_answers_in_the_error_shape_too(client):
    # Neither reaches django-ninja's handlers: Django's HTML 404 page and ninja's text/html 405.
    unknown = client.get("/api/v1/nope")
    assert (unknown.status_code, unknown["Content-Type"]) == (404, "application/json")
    assert unknown.json()["code"] == "not_found"
    posted = client.post("/api/v2/submissions", {}, content_type="application/json")
    assert (posted.status_code, posted.json()["code"]) == (404, "not_found")
    wrong = client.put("/api/v1/districts", {}, content_type="application/json")
    assert (wrong.status_code, wrong["Content-Type"], wrong["Allow"]) == (405, "application/json", "GET")
    assert wrong.json() == {"detail": "This path does not take that method. It takes GET.",
                            "code": "method_not_allowed"}
    # Outside /api/ the site's own pages stay as they are.
    assert client.get("/no-such-page")["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("field", ["username", "password"])
def test_a_nul_character_in_the_credentials_is_a_401_not_a_database_error(client, submitter_a, field):
    # PostgreSQL refuses text with NUL; the schema fuzz found it. No account can have one.
    body = {"username": submitter_a.username, "password": "pw", field: "ab\x00c"}
    answer = client.post("/api/v1/token", body, content_type="application/json")
    assert (answer.status_code, answer.json()["code"]) == (401, "invalid_credentials")
