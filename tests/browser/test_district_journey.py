"""Real browser, district side (issue 11): the session warning, "stay signed in", and landing back after expiry."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_pages import assert_accessible, no_console_errors, sign_in  # noqa: F401 (autouse fixture)
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_warning_two_minutes_before_expiry_and_stay_signed_in(page: Page, live_server, settings, submitter):
    settings.SESSION_COOKIE_AGE = 124  # the warning then comes 4 s after the page loads
    sign_in(page, live_server, "submitter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your district submissions")
    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_hidden()
    expect(warning).to_be_visible(timeout=10_000)
    expect(warning).to_contain_text("You will be signed out in 2 minutes")
    stay = page.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()  # announced and reachable from the keyboard at once
    assert_accessible(page)
    box = stay.bounding_box()
    assert box and box["width"] >= 24 and box["height"] >= 24  # WCAG 2.2 target size
    page.keyboard.press("Enter")
    expect(warning).to_be_hidden()
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your district submissions")  # still signed in


def test_after_expiry_the_user_signs_in_and_lands_where_they_were(page: Page, live_server, settings, submitter):
    sign_in(page, live_server, "submitter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your district submissions")
    settings.SESSION_COOKIE_AGE = 3
    page.goto(f"{live_server.url}/?from=test")  # this page's session now lasts 3 s
    expect(page).to_have_url(re.compile(r"/login/\?next=%2F%3Ffrom%3Dtest$"), timeout=15_000)
    page.get_by_label("Username").fill("submitter")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    settings.SESSION_COOKIE_AGE = 1800
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/?from=test")
