"""Typed requests for view annotations: what the middleware and login_required add to HttpRequest."""
from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from districts.models import User


class HtmxRequest(HttpRequest):
    """Any request once HtmxMiddleware ran (it is in every stack in config.settings)."""

    htmx: HtmxDetails


class AuthedRequest(HtmxRequest):
    """A request that passed login_required, so its user is signed in, never AnonymousUser."""

    user: User


class UploadRequest(HttpRequest):
    """A request whose upload handler may flag an over-limit file (compliance.uploads)."""

    upload_too_large: bool
