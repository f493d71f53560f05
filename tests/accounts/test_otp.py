"""TOTP second factor: state staff enrol with a QR code or secret, verify after the password;
state administrators must, when REQUIRE_2FA_FOR_ADMINS is on."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from districts.models import Role
from tests.factories import DEFAULT_PASSWORD, user_factory


def code_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset_steps * device.step
    return f"{totp.token():06d}"


def sign_in(client, username: str):
    return client.post(reverse("login"), {"username": username, "password": DEFAULT_PASSWORD})


@pytest.fixture
def admin_user(db):
    return user_factory(Role.STATE_ADMIN, username="stateadmin", is_staff=True)


@pytest.fixture
def enrolled(reviewer):
    return TOTPDevice.objects.create(user=reviewer, name="Authenticator app", confirmed=True)


@pytest.mark.django_db
def test_enrolment_shows_qr_uri_and_secret_and_a_correct_code_turns_it_on(client, reviewer):
    sign_in(client, "reviewer")
    page = client.get(reverse("otp_setup"))
    assert page.status_code == 200
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=reviewer, confirmed=False)
    uri = page.context["otpauth_uri"]
    query = parse_qs(urlparse(uri).query)
    assert uri.startswith("otpauth://totp/Equity%20compliance%20checker%3Areviewer?")
    assert query["secret"] == [page.context["secret"]] and page.context["secret"] in html
    assert re.search(r'<img src="data:image/svg\+xml[^"]+" alt="QR code', html)

    wrong = client.post(reverse("otp_setup"), {"token": code_for(device, offset_steps=-40)})
    assert wrong.status_code == 200 and "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed and device.throttling_failure_count == 1
    device.throttle_reset()  # django-otp makes the next try wait a second after a failure

    done = client.post(reverse("otp_setup"), {"token": code_for(device), "next": "/"})
    assert done.status_code == 302 and done["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("review_queue")).status_code == 200  # this session counts as verified


@pytest.mark.django_db
def test_after_the_password_an_enrolled_user_must_enter_a_code(client, reviewer, enrolled):
    response = sign_in(client, "reviewer")
    home = client.get(response["Location"])
    assert home.status_code == 302 and home["Location"] == f"{reverse('otp_verify')}?next=%2F"
    assert client.get(reverse("admin:index")).status_code == 302  # every page, not only home
    bad = client.post(reverse("otp_verify"), {"token": code_for(enrolled, offset_steps=-40), "next": "/"})
    assert bad.status_code == 200 and "That code is not right" in bad.content.decode()
    enrolled.throttle_reset()  # django-otp makes the next try wait a second after a failure
    good = client.post(reverse("otp_verify"), {"token": code_for(enrolled), "next": "/"})
    assert good.status_code == 302 and good["Location"] == "/"
    assert client.get(reverse("review_queue")).status_code == 200


@pytest.mark.django_db
def test_a_code_is_not_accepted_twice(client, reviewer, enrolled):
    token = code_for(enrolled)
    sign_in(client, "reviewer")
    assert client.post(reverse("otp_verify"), {"token": token, "next": "/"}).status_code == 302
    client.post(reverse("logout"))
    sign_in(client, "reviewer")
    replay = client.post(reverse("otp_verify"), {"token": token, "next": "/"})
    assert replay.status_code == 200  # refused: the same code again


@pytest.mark.django_db
def test_without_the_requirement_admins_may_skip_it(client, admin_user, settings):
    settings.REQUIRE_2FA_FOR_ADMINS = False
    sign_in(client, "stateadmin")
    assert client.get(reverse("review_queue")).status_code == 200


@pytest.mark.django_db
def test_admins_must_enrol_when_the_state_requires_it(client, admin_user, settings, reviewer):
    settings.REQUIRE_2FA_FOR_ADMINS = True
    sign_in(client, "stateadmin")
    for path in ("/", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(reverse("otp_setup")), path
    assert client.get(reverse("otp_setup")).status_code == 200
    device = TOTPDevice.objects.get(user=admin_user)
    client.post(reverse("otp_setup"), {"token": code_for(device), "next": "/admin/"})
    assert client.get("/admin/").status_code == 200
    # A reviewer is not an administrator: still optional for them.
    client.post(reverse("logout"))
    sign_in(client, "reviewer")
    assert client.get(reverse("review_queue")).status_code == 200


@pytest.mark.django_db
def test_district_users_are_not_offered_a_second_factor(client, submitter):
    sign_in(client, "submitter")
    assert client.get(reverse("otp_setup")).status_code == 403


@pytest.mark.django_db
def test_the_account_menu_offers_two_step_sign_in_to_state_staff_only(client, reviewer, submitter):
    link = f'href="{reverse("otp_setup")}"'
    sign_in(client, "reviewer")
    assert link in client.get(reverse("review_queue")).content.decode()
    client.post(reverse("logout"))
    sign_in(client, "submitter")
    assert link not in client.get("/").content.decode()
