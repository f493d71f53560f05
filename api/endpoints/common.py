"""What the endpoints share: the visible submission or 404, file responses, the error responses to declare."""
from __future__ import annotations

from django.http import Http404, HttpResponse

from api.schemas import ErrorOut
from compliance import selectors
from compliance.models import Submission

# Declared on every operation, so the OpenAPI schema says what an error looks like.
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def visible_submission(request, submission_id: int) -> Submission:
    """The submission if the token's user may see it; 404 otherwise, so an id reveals nothing."""
    submission = selectors.submissions_visible_to(user=request.user).filter(pk=submission_id).first()
    if submission is None:
        raise Http404("No such submission.")
    return submission


def file_response(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
