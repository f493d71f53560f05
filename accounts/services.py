"""Second-factor writes: start an enrolment, confirm it with a first code, verify a sign-in."""
from __future__ import annotations

from base64 import b32encode

from django.db import transaction
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "Authenticator app"


def totp_device_start(*, user) -> TOTPDevice:
    """The user's pending (unconfirmed) authenticator, made once and shown until a code confirms it."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def totp_device_confirm(*, request, device: TOTPDevice, token: str) -> bool:
    """A correct first code confirms the device and counts as this session's second factor."""
    if device.user_id != request.user.pk or not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    return True


def totp_session_verify(*, request, token: str) -> bool:
    """Check a code against each of the user's confirmed authenticators (throttled by django-otp)."""
    for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
        verified = verify_token(request.user, device.persistent_id, token)
        if verified is not None:
            otp_login(request, verified)
            return True
    return False


def totp_secret(device: TOTPDevice) -> str:
    """The base32 secret, for typing into an app that cannot scan the QR code."""
    return b32encode(device.bin_key).decode()
