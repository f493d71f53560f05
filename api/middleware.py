"""Errors under /api/ that never reach the API's own handlers, in its one error shape.

django-ninja answers only the routes it knows: a path it does not know is Django's HTML 404 page,
and a method a route does not take is a text/html "Method not allowed". A request Django refuses
to read (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, a multipart form without its boundary, more
fields than DATA_UPLOAD_MAX_NUMBER_FIELDS) is Django's HTML 400 page: ninja has no handler for
those exceptions and re-raises them (Django's handler logs the too large ones as security events,
which a handler of ours would skip). A client of the API reads ``{"detail": ..., "code": ...}``
for every error (api/errors.py, the README), so those three are rewritten here, keeping the
status and the Allow header.
"""
from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

_PREFIX = "/api/"
_ANSWERS = {
    400: ("invalid_request", "The request could not be read: it is too large or not well formed."),
    404: ("not_found", "Not found: no such API path; see /api/docs."),
    405: ("method_not_allowed", "This path does not take that method."),
}


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        answer = _ANSWERS.get(response.status_code)
        if answer is None or not request.path_info.startswith(_PREFIX) or _is_json(response):
            return response
        code, detail = answer
        if response.status_code == 405 and response.has_header("Allow"):
            detail = f"{detail} It takes {response['Allow']}."
        replaced = JsonResponse({"detail": detail, "code": code}, status=response.status_code)
        if response.has_header("Allow"):
            replaced["Allow"] = response["Allow"]
        return replaced


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")
