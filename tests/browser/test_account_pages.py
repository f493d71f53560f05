"""Real browser: the password reset and second-factor pages are accessible plain HTML forms."""
from __future__ import annotations

import re

import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from districts.models import Role
from tests.accounts.test_otp import code_for
from tests.browser.test_pages import assert_accessible, no_console_errors, sign_in  # noqa: F401 (autouse fixture)
from tests.factories import user_factory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_password_reset_pages_are_accessible_and_work(page: Page, live_server, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user_factory(Role.STATE_REVIEWER, username="m.rivera", email="m.rivera@example.gov")
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page).to_have_title("Reset your password | Equity compliance checker")
    assert_accessible(page)
    page.get_by_label("Email").fill("m.rivera@example.gov")
    page.get_by_role("button", name="Send the reset link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")
    assert_accessible(page)

    link = re.search(r"https?://\S+/account/reset/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    assert_accessible(page)
    page.get_by_label("New password", exact=True).fill("plum-orchard-lantern-42")
    page.get_by_label("New password confirmation").fill("plum-orchard-lantern-42")
    page.get_by_role("button", name="Change my password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Password changed")
    assert_accessible(page)


def test_second_factor_pages_are_accessible_and_work(page: Page, live_server):
    user = user_factory(Role.STATE_REVIEWER, username="sam.reviewer")
    sign_in(page, live_server, "sam.reviewer")
    page.goto(f"{live_server.url}/account/two-factor/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step sign-in")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert_accessible(page)
    device = TOTPDevice.objects.get(user=user)
    page.get_by_label("Six-digit code from your authenticator app").fill(code_for(device))
    page.get_by_role("button", name="Confirm and turn on").click()
    expect(page).to_have_url(f"{live_server.url}/review/")  # home, which sends state staff to the queue

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")  # signed out: now navigate
    sign_in(page, live_server, "sam.reviewer")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    assert_accessible(page)
    page.get_by_label("Six-digit code from your authenticator app").fill(code_for(device, offset_steps=1))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
