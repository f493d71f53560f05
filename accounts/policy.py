"""Who may, and who must, use a second factor: the one place these facts live."""
from __future__ import annotations

from django.conf import settings
from django_otp import user_has_device

from districts.models import Role


def may_enrol_second_factor(user) -> bool:
    """State staff (and superusers) may add an authenticator app; district users sign in with a password."""
    return bool(user.is_authenticated and (user.is_state_staff or user.is_superuser))


def second_factor_required(user) -> bool:
    """State administrators must use one when the state turns it on (REQUIRE_2FA_FOR_ADMINS=1)."""
    return bool(settings.REQUIRE_2FA_FOR_ADMINS and user.is_authenticated
                and (user.role == Role.STATE_ADMIN or user.is_superuser))


def second_factor_step(user) -> str | None:
    """The URL name a signed-in user must visit before anything else, or None when they may go on."""
    # District users never enrol, so their requests skip the device lookup.
    if not may_enrol_second_factor(user) or user.is_verified():
        return None
    if user_has_device(user, confirmed=True):
        return "otp_verify"
    if second_factor_required(user):
        return "otp_setup"
    return None
