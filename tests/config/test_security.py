"""Web hardening: no-store on dynamic responses, idle sessions, HSTS from env, lockout by user and address."""
from __future__ import annotations

import pytest
from axes.helpers import get_client_ip_address
from django.test import RequestFactory
from django.urls import reverse

from tests.config.test_settings import load_settings
from tests.factories import DEFAULT_PASSWORD as PASSWORD


@pytest.mark.django_db
def test_authenticated_pages_and_downloads_are_not_stored(client, submitter, district):
    client.force_login(submitter)
    for url in (reverse("home"), reverse("template_download", args=[district.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "no-store, private", url


@pytest.mark.django_db
def test_the_public_login_page_is_not_stored_either(client):
    # One rule for every dynamic response; Django's login view adds its own never_cache directives.
    cache_control = client.get(reverse("login"))["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control


def test_static_files_keep_their_cache(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.django_db
def test_session_expires_after_30_idle_minutes_and_every_request_renews_it(client, submitter, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_SAVE_EVERY_REQUEST
    assert client.post(reverse("login"), {"username": "submitter", "password": PASSWORD}).status_code == 302
    response = client.get(reverse("home"))
    assert response.cookies["sessionid"]["max-age"] == 1800  # re-sent on an ordinary page view


def test_session_age_and_hsts_options_come_from_the_environment():
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.SESSION_COOKIE_AGE, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
            "s.SECURE_HSTS_PRELOAD)")
    base = {"DJANGO_DEV": "1"}
    assert load_settings(**base, code=code).stdout.split() == ["1800", "0", "False", "False"]
    result = load_settings(**base, code=code, SESSION_COOKIE_AGE="900", SECURE_HSTS_SECONDS="31536000",
                           SECURE_HSTS_INCLUDE_SUBDOMAINS="1", SECURE_HSTS_PRELOAD="yes")
    assert result.stdout.split() == ["900", "31536000", "True", "True"], result.stderr


def test_hsts_header_carries_subdomains_and_preload(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = client.get("/static/css/app.css", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def _client_ip(settings, count: int, forwarded: str | None, remote: str = "10.0.0.5") -> str | None:
    settings.AXES_IPWARE_PROXY_COUNT = count - 1 if count else None
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if count else ("REMOTE_ADDR",)
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return get_client_ip_address(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


def test_the_client_address_is_counted_from_the_right_by_the_proxy_depth(settings):
    # One TLS proxy: it appends the address it saw; anything left of that the client wrote itself.
    assert _client_ip(settings, 1, "93.184.216.34") == "93.184.216.34"
    assert _client_ip(settings, 1, "6.6.6.6, 93.184.216.34") == "93.184.216.34"
    # Two proxies (a balancer, then the TLS proxy): the client is second from the right.
    assert _client_ip(settings, 2, "6.6.6.6, 93.184.216.34, 52.1.2.3") == "93.184.216.34"
    # No proxy configured: a forged header is ignored.
    assert _client_ip(settings, 0, "6.6.6.6", remote="8.8.4.4") == "8.8.4.4"


def test_behind_the_tls_proxy_one_trusted_proxy_is_the_default():
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.TRUSTED_PROXY_COUNT, s.AXES_IPWARE_PROXY_COUNT, ','.join(s.AXES_IPWARE_META_PRECEDENCE_ORDER))")
    result = load_settings(DJANGO_DEV="1", BEHIND_TLS_PROXY="1", code=code)
    assert result.stdout.split() == ["1", "0", "HTTP_X_FORWARDED_FOR,REMOTE_ADDR"], result.stderr
    assert load_settings(DJANGO_DEV="1", code=code).stdout.split() == ["0", "None", "REMOTE_ADDR"]


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 8
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")


def _login(client, password: str, client_ip: str):
    # Every request arrives from the proxy (10.0.0.1); only X-Forwarded-For tells clients apart.
    return client.post(reverse("login"), {"username": "reviewer", "password": password},
                       REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=client_ip)


@pytest.mark.django_db
def test_bad_passwords_lock_the_username_only_from_that_address(client, reviewer, axes_on):
    for _ in range(7):
        assert _login(client, "wrong-password", "45.33.32.156").status_code == 200  # the form again
    assert _login(client, "wrong-password", "45.33.32.156").status_code == 429  # the 8th failure locks
    locked = _login(client, PASSWORD, "45.33.32.156")
    assert locked.status_code == 429  # even the right password is refused from the attacker's address
    # The attacker forging X-Forwarded-For does not move the lock onto the proxy's address either.
    assert _login(client, PASSWORD, "93.184.216.34, 45.33.32.156").status_code == 429
    client.cookies.clear()
    ok = _login(client, PASSWORD, "93.184.216.34")  # the real user, elsewhere, through the same proxy
    assert ok.status_code == 302 and ok["Location"] == reverse("home")
