"""Downloads of the district's own workbook: the original upload as stored, and the marked copy.

The API serves the same files through the same service functions and permission predicate.
"""
from __future__ import annotations

from typing import cast

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from districts.models import User

from . import selectors
from .services.downloads import submission_marked_workbook, submission_original
from .views import login_required


def _attachment(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)  # login_required: never anonymous here


def _visible(request: HttpRequest, pk: int):
    # 404 for what the user may not see, like every submission page.
    return get_object_or_404(selectors.submissions_visible_to(user=_user(request)), pk=pk)


@login_required
@require_GET
def workbook_original(request: HttpRequest, pk: int) -> HttpResponse:
    return _attachment(*submission_original(submission=_visible(request, pk), user=_user(request)))


@login_required
@require_GET
def workbook_marked(request: HttpRequest, pk: int) -> HttpResponse:
    marked = submission_marked_workbook(submission=_visible(request, pk), user=_user(request))
    if marked is None:
        raise Http404("The workbook has not been checked yet.")
    return _attachment(*marked)
