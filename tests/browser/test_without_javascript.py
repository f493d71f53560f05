"""Real browser with JavaScript off: reviewing a finding is a plain form post, and a refusal says
why in the finding's row and at the top of the page (htmx only enhances)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from compliance import services
from compliance.forms import FINDING_NOTE_LABEL
from compliance.models import Finding, ReviewStatus
from districts.models import User
from tests.browser.test_review_day import PASSWORDS, _upload_evaluate_certify

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dismissing_without_a_note_then_with_one_without_javascript(browser: Browser, live_server, demo_cycle):
    sub = _upload_evaluate_certify("zoned", demo_cycle, 3)
    services.submission_claim(submission=sub, user=User.objects.get(username="reviewer"))
    finding = Finding.objects.filter(evaluation__submission=sub).exclude(severity="info").order_by("pk").first()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("reviewer")
    page.get_by_label("Password").fill(PASSWORDS["reviewer"])
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/submissions/{sub.pk}/")
    row = page.locator(f"#finding-{finding.pk}")
    row.locator("summary", has_text="Note / dismiss").click()
    row.get_by_role("button", name="Dismiss").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("The finding was not reviewed")
    # Which of the rule's many findings: the school is named.
    reason = "Say why the finding is dismissed; the reason appears in the report."
    expect(summary.get_by_role("link")).to_have_text(
        re.compile(rf"^{finding.rule}, .+ \({finding.school_id}\): {re.escape(reason)}$"))
    expect(row.locator(".field-error")).to_have_text(reason)
    expect(row.get_by_label(FINDING_NOTE_LABEL)).to_be_visible()  # the note form is open where the reason is
    finding.refresh_from_db()
    assert finding.review_status == ReviewStatus.OPEN

    row.get_by_label(FINDING_NOTE_LABEL).fill("Magnet program under an approved plan.")
    row.get_by_role("button", name="Dismiss").click()
    expect(page).to_have_url(f"{live_server.url}/submissions/{sub.pk}/#finding-{finding.pk}")
    expect(page.locator(f"#finding-{finding.pk} .review")).to_have_text("Dismissed")
    expect(page.locator(f"#finding-{finding.pk} .review-note")).to_have_text("Magnet program under an approved plan.")
    finding.refresh_from_db()
    assert finding.review_status == ReviewStatus.DISMISSED
    context.close()
