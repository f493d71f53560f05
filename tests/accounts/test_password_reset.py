"""Password reset by e-mail: the login page links to it, the mailed link sets a new password once."""
from __future__ import annotations

import re

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.urls import reverse

from districts.models import Role
from tests.factories import user_factory

NEW_PASSWORD = "plum-orchard-lantern-42"


@pytest.fixture
def person(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "checker@example.gov"
    return user_factory(Role.STATE_REVIEWER, username="rivera", email="m.rivera@example.gov")


def _link(message) -> str:
    match = re.search(r"https?://testserver(/account/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.mark.django_db
def test_login_page_links_to_password_reset(client):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in page and "Forgot your password?" in page


def test_reset_mails_a_link_that_changes_the_password_once(client, person):
    response = client.post(reverse("password_reset"), {"email": "m.rivera@example.gov"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["m.rivera@example.gov"] and message.from_email == "checker@example.gov"
    assert message.subject == "Reset your password for the equity compliance checker"
    assert '"rivera"' in message.body

    form_page = client.get(_link(message), follow=True)  # Django swaps the token for a session URL
    assert form_page.status_code == 200 and b"Choose a new password" in form_page.content
    assert b'name="new_password1"' in form_page.content
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    assert authenticate(username="rivera", password=NEW_PASSWORD) is not None

    again = client.get(_link(message), follow=True)
    assert b"already been used or has expired" in again.content


def test_unknown_address_sends_nothing_and_reveals_nothing(client, person):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.gov"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_weak_new_password_is_refused_with_a_message(client, person):
    client.post(reverse("password_reset"), {"email": "m.rivera@example.gov"})
    form_page = client.get(_link(mail.outbox[0]), follow=True)
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": "short", "new_password2": "short"})
    assert response.status_code == 200
    assert b"This password is too short" in response.content
    assert authenticate(username="rivera", password="short") is None
