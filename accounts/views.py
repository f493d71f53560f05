"""Second-factor pages: enrol an authenticator app (QR code or secret), and verify after the password."""
from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import user_has_device

from compliance.permissions import can_enrol_second_factor, must_use_second_factor

from . import services
from .forms import TokenForm


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


@login_required
def otp_setup(request):
    if not can_enrol_second_factor(request.user):
        raise PermissionDenied("Only state staff use a second factor.")
    if user_has_device(request.user, confirmed=True):
        return render(request, "accounts/otp_enrolled.html", {"next": _next_url(request)})
    device = services.totp_device_start(user=request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.totp_device_confirm(request=request, device=device, token=form.cleaned_data["token"]):
            messages.success(request, "Your authenticator app is set up. "
                                      "You will be asked for a code each time you sign in.")
            return redirect(_next_url(request))
        form.add_error("token", "That code is not right. Check the app's clock and enter the code it shows now.")
    uri = device.config_url
    return render(request, "accounts/otp_setup.html", {
        "form": form, "next": _next_url(request), "otpauth_uri": uri, "secret": services.totp_secret(device),
        "qr_data_uri": segno.make(uri, error="m").svg_data_uri(scale=4),
        "required": must_use_second_factor(request.user),
    })


@login_required
def otp_verify(request):
    if request.user.is_verified() or not user_has_device(request.user, confirmed=True):
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.totp_session_verify(request=request, token=form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error("token", "That code is not right, or too many codes were tried. "
                                "Wait for a new code and try again.")
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request)})
