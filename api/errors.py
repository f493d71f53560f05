"""The API's errors: every one answers ``{"detail": ..., "code": ...}`` with its HTTP status."""
from __future__ import annotations

from axes.helpers import get_cool_off
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestValidationError

from compliance.permissions import StateConflict
from compliance.services import IllegalTransition


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers or {}


def _answer(api: NinjaAPI, request, status: int, code: str, detail, headers: dict[str, str] | None = None):
    response = api.create_response(request, {"detail": detail, "code": code}, status=status)
    for name, value in (headers or {}).items():  # e.g. Retry-After of a report not ready yet
        response[name] = value
    if status == 401:  # RFC 9110: a 401 names the scheme that would be accepted
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    if status == 429 and (cool_off := get_cool_off(request)) is not None:  # axes' reading of AXES_COOLOFF_TIME
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


def _validation_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _request_errors(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "form"))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid")))
    return "; ".join(parts) or "The request is not valid."


def install_handlers(api: NinjaAPI) -> None:
    """Map every exception a view may raise onto the one error shape."""
    handlers = {
        ApiError: lambda r, e: _answer(api, r, e.status, e.code, e.detail, e.headers),
        Http404: lambda r, e: _answer(api, r, 404, "not_found", "Not found."),
        AuthenticationError: lambda r, e: _answer(api, r, 401, "unauthenticated",
                                                  "Send a valid token: Authorization: Bearer <token>."),
        PermissionDenied: lambda r, e: _answer(api, r, 403, "forbidden", str(e) or "You may not do this."),
        ValidationError: lambda r, e: _answer(api, r, 400, "refused", _validation_text(e)),
        # Before ValidationError's handler by the class's MRO: where the submission stands, not the request.
        StateConflict: lambda r, e: _answer(api, r, 409, "state_conflict", _validation_text(e)),
        IllegalTransition: lambda r, e: _answer(api, r, 409, "conflict",
                                                "Someone else changed this submission first; read it again."),
        RequestValidationError: lambda r, e: _answer(api, r, 422, "invalid_request", _request_errors(e)),
        # ninja's own: a body it cannot parse is a 400 of the request, like a schema error's 422.
        HttpError: lambda r, e: _answer(api, r, e.status_code,
                                        "invalid_request" if e.status_code == 400 else "http_error", str(e)),
    }
    for exc_class, handler in handlers.items():
        api.add_exception_handler(exc_class, handler)
