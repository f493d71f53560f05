"""Bearer-token authentication of API requests, and the password check behind POST /token.

The password check goes through ``django.contrib.auth.authenticate`` with the request, so
django-axes counts the failures and locks the username out exactly as on the login page.
"""
from __future__ import annotations

from django.contrib.auth import authenticate
from django_otp import user_has_device
from ninja.security import HttpBearer

from compliance.permissions import can_enrol_second_factor, must_use_second_factor
from districts.models import User

from . import selectors, services
from .errors import ApiError


def _signs_in_with_second_factor(user: User) -> bool:
    # The same facts as the sign-in step (accounts.policy.second_factor_step), without a session.
    if not can_enrol_second_factor(user):
        return False
    return must_use_second_factor(user) or user_has_device(user, confirmed=True)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: the token's user becomes ``request.user``."""

    def authenticate(self, request, token: str) -> User | None:
        found = selectors.token_active(raw=token)
        if found is None:
            return None
        services.token_touch(token=found)
        request.user = found.user
        request.api_token = found
        return found.user


def user_for_password(request, *, username: str, password: str) -> User:
    """The user these credentials name, or an ApiError: 401 wrong, 429 locked out, 403 needs a second factor."""
    if "\x00" in username or "\x00" in password:
        # No account has one (the sign-in form refuses them too), and PostgreSQL refuses the query.
        raise ApiError(401, "invalid_credentials", "The username or password is not correct.")
    user = authenticate(request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        # The lockout is recorded in axes' table (every later try is refused until the cool-off);
        # clearing the flag only stops AxesMiddleware swapping this JSON answer for its HTML page.
        request.axes_locked_out = False
        raise ApiError(429, "locked_out", "Too many failed sign-ins: this username is locked from this address "
                       "for an hour.")
    if user is None or not user.is_active:
        raise ApiError(401, "invalid_credentials", "The username or password is not correct.")
    # A user whose sign-in needs an authenticator code cannot get a token with the password alone.
    if _signs_in_with_second_factor(user):
        raise ApiError(403, "second_factor_required",
                       "Your account signs in with an authenticator code; API tokens are not available to it.")
    return user
