"""What the endpoints share: the visible submission or 404, file responses, the error responses to declare."""
from __future__ import annotations

from typing import Annotated

from django.http import Http404, HttpResponse
from ninja import Field, Path, Schema
from ninja.pagination import LimitOffsetPagination

from api.schemas import ErrorOut
from compliance import selectors
from compliance.models import Submission

# A row id as the database can hold it: a larger number is refused as a bad request (422), never
# sent to the database (where it would overflow the column and fail as a server error).
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]



class Pagination(LimitOffsetPagination):
    """``limit`` (1..1000, default 100) and ``offset``, bounded so a huge one is a 422, not a database error."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=1000)
        offset: int = Field(0, ge=0, le=2**31 - 1)


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


def binary_file(description: str, *content_types: str) -> dict:
    """``openapi_extra`` of an operation answering a file: its 200 is that file, not JSON."""
    return {"responses": {200: {"description": description, "content": {
        ct: {"schema": {"type": "string", "format": "binary"}} for ct in content_types}}}}
