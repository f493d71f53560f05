"""The second-factor step of signing in: where a signed-in user must go before anything else.

Who may and who must use a second factor are permission facts (``compliance.permissions``).
"""
from __future__ import annotations

from django_otp import user_has_device

from compliance.permissions import can_enrol_second_factor, must_use_second_factor


def second_factor_step(user) -> str | None:
    """The URL name a signed-in user must visit before anything else, or None when they may go on."""
    # District users never enrol, so their requests skip the device lookup.
    if not can_enrol_second_factor(user) or user.is_verified():
        return None
    if user_has_device(user, confirmed=True):
        return "otp_verify"
    if must_use_second_factor(user):
        return "otp_setup"
    return None
