"""Project middleware: no caching of dynamic responses, and the second-factor step after a password login."""
from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from accounts.policy import second_factor_step

NO_STORE = "no-store, private"


class NoStoreMiddleware:
    """Pages, PDFs and CSVs carry student data: no browser or proxy may keep a copy.

    Placed below WhiteNoise, so static files (which it answers itself) keep their long cache.
    The public login page gets it too: one rule, nothing slips through a role check.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = NO_STORE
        return response


# Pages a signed-in user may reach before the second factor: the step itself, and leaving.
SECOND_FACTOR_EXEMPT = frozenset({"otp_verify", "otp_setup", "logout", "healthz"})


class SecondFactorMiddleware:
    """After the password, a user with an authenticator (or who must have one) goes to that step first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        step = second_factor_step(request.user)
        if step and _url_name(request.path_info) not in SECOND_FACTOR_EXEMPT:
            return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def _url_name(path: str) -> str | None:
    try:
        return resolve(path).url_name
    except Resolver404:
        return None
