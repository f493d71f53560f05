"""Real browser: accessibility (axe-core), signing in, and claiming from the queue."""
from __future__ import annotations

import re
from unittest import mock

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from compliance.forms import FINDING_NOTE_LABEL
from compliance.models import EvaluationOutcome, ReportKind, Submission
from compliance.models import SubmissionStatus as S
from districts.models import Role
from tests.factories import (
    DEFAULT_PASSWORD,
    DistrictFactory,
    EvaluationFactory,
    FindingFactory,
    ProblemFactory,
    ReportFactory,
    ReportingCycleFactory,
    SubmissionFactory,
    user_factory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def no_console_errors(page: Page):
    """Fail on any console error: CSP refusals (inline script/style) show up there."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield
    assert errors == []


def assert_accessible(page: Page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def sign_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_login_page_is_accessible(page: Page, live_server):
    page.goto(f"{live_server.url}/login/")
    expect(page).to_have_title("Sign in | Equity compliance checker")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert_accessible(page)


def test_district_user_signs_in_and_sees_district_home_accessibly(page: Page, live_server):
    district = DistrictFactory(name="Riverbend Unified")
    other = DistrictFactory(name="Hilltop County Schools")
    cycle = ReportingCycleFactory()
    user = user_factory(Role.DISTRICT_CERTIFIER, [district], username="pat.certifier")
    sub = SubmissionFactory(district=district, cycle=cycle, uploaded_by=user)
    EvaluationFactory(submission=sub)
    SubmissionFactory(district=other, cycle=cycle)

    sign_in(page, live_server, "pat.certifier")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Riverbend Unified")).to_be_visible()
    expect(page.get_by_role("link", name="Download the workbook template")).to_be_visible()
    expect(page.get_by_text("Hilltop County Schools")).to_have_count(0)
    expect(page.get_by_role("table", name="Submissions for Riverbend Unified")).to_contain_text("Evaluated")
    assert_accessible(page)


def test_state_home_is_accessible(page: Page, live_server):
    SubmissionFactory(cycle=ReportingCycleFactory(), status=S.CERTIFIED)
    user_factory(Role.STATE_REVIEWER, username="sam.reviewer")
    sign_in(page, live_server, "sam.reviewer")
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    assert_accessible(page)


def test_reviewer_claims_from_queue_and_confirms_a_finding(page: Page, live_server):
    district = DistrictFactory(name="Riverbend Unified")
    sub = SubmissionFactory(district=district, cycle=ReportingCycleFactory(), status=S.CERTIFIED)
    finding = FindingFactory(evaluation=EvaluationFactory(submission=sub))
    reviewer = user_factory(Role.STATE_REVIEWER, username="sam.reviewer")

    sign_in(page, live_server, "sam.reviewer")
    queue = page.get_by_role("table", name=re.compile("^Team queue: 1 submission"))
    queue.get_by_role("button", name=f"Claim Riverbend Unified version {sub.version}").click()

    expect(page.get_by_text("You claimed this submission; it is in your reviews.")).to_be_visible()
    expect(page.get_by_text("In state review").first).to_be_visible()
    sub.refresh_from_db()
    assert sub.status == S.IN_REVIEW and sub.reviewer == reviewer

    # htmx swaps just the finding: the page itself does not reload.
    page.evaluate("window.__marker = 'still here'")
    card = page.locator(f"#finding-{finding.pk}")
    card.get_by_role("button", name="Confirm INT-01").click()
    expect(card.get_by_text("Saved.")).to_be_visible()
    expect(page.locator(f"#finding-{finding.pk}")).to_contain_text("Confirmed")
    assert page.evaluate("window.__marker") == "still here"
    finding.refresh_from_db()
    assert finding.review_status == "confirmed"
    assert Submission.objects.get(pk=sub.pk).status == S.IN_REVIEW
    assert_accessible(page)


def test_pending_submission_page_updates_itself(page: Page, live_server):
    district = DistrictFactory(name="Riverbend Unified")
    user = user_factory(Role.DISTRICT_SUBMITTER, [district], username="lee.submitter")
    sub = SubmissionFactory(district=district, cycle=ReportingCycleFactory(), uploaded_by=user, status=S.QUEUED)

    sign_in(page, live_server, "lee.submitter")
    page.goto(f"{live_server.url}/submissions/{sub.pk}/")
    expect(page.get_by_text("Queued for checking")).to_be_visible()
    assert_accessible(page)

    # The worker finishes: the polled fragment notices and the page reloads with the results.
    evaluation = EvaluationFactory(submission=sub, outcome=EvaluationOutcome.ACCEPTED)
    Submission.objects.filter(pk=sub.pk).update(status=S.EVALUATED)
    expect(page.get_by_role("heading", name="Key measures")).to_be_visible(timeout=8000)
    expect(page.locator("#submission-status")).to_contain_text("report being prepared")
    assert_accessible(page)

    # The report worker stores the PDF: the page reloads once more, with its link, and stops polling.
    ReportFactory(submission=sub, evaluation=evaluation, kind=ReportKind.EVALUATION)
    expect(page.locator("#submission-status[hx-trigger]")).to_have_count(0, timeout=8000)
    expect(page.locator("#submission-status")).to_contain_text("Evaluated")
    expect(page.locator("#submission-status")).not_to_contain_text("report being prepared")


def test_district_user_uploads_a_workbook_through_the_form(page: Page, live_server, tmp_path):
    district = DistrictFactory(name="Riverbend Unified")
    ReportingCycleFactory()
    user_factory(Role.DISTRICT_SUBMITTER, [district], username="lee.submitter")
    workbook = tmp_path / "riverbend.xlsx"
    workbook.write_bytes(b"PK\x03\x04 stand-in bytes; the worker is mocked")

    sign_in(page, live_server, "lee.submitter")
    # The real task would go to the broker; here only the call is checked.
    with mock.patch("compliance.tasks.evaluate_submission.delay") as delay:
        page.get_by_label("Filled-in workbook (.xlsx) for Riverbend Unified").set_input_files(str(workbook))
        page.get_by_role("button", name="Upload and check").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Riverbend Unified: 2026-27, version 1")
    sub = Submission.objects.get(district=district)
    delay.assert_called_once_with(submission_id=sub.pk)
    assert sub.original_filename == "riverbend.xlsx" and sub.status == S.QUEUED
    expect(page.get_by_text("Version 1 was received.")).to_be_visible()
    expect(page.locator("#submission-status")).to_contain_text("Queued for checking")


def test_rejected_submission_problems_page_is_accessible_and_filters(page: Page, live_server):
    district = DistrictFactory(name="Riverbend Unified")
    user = user_factory(Role.DISTRICT_SUBMITTER, [district], username="lee.submitter")
    sub = SubmissionFactory(district=district, cycle=ReportingCycleFactory(), uploaded_by=user, status=S.REJECTED)
    evaluation = EvaluationFactory(submission=sub, outcome=EvaluationOutcome.REJECTED)
    ProblemFactory(evaluation=evaluation, severity="error", sheet="Schools", message="Enrollment cannot be negative.")
    ProblemFactory(evaluation=evaluation, severity="warning", sheet="Budget", code="DATA-30",
                   message="Federal dollars are blank.")

    sign_in(page, live_server, "lee.submitter")
    page.goto(f"{live_server.url}/submissions/{sub.pk}/")
    expect(page.get_by_text("1 error must be fixed before the state can review this; 1 warning.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Severity").select_option("warning")
    page.get_by_role("button", name="Apply filters").click()
    table = page.get_by_role("table", name="Data problems in the workbook")
    expect(table).to_contain_text("Federal dollars are blank.")
    expect(table).not_to_contain_text("Enrollment cannot be negative.")


def test_reviewer_works_the_findings_tables(page: Page, live_server):
    district = DistrictFactory(name="Riverbend Unified")
    reviewer = user_factory(Role.STATE_REVIEWER, username="sam.reviewer")
    sub = SubmissionFactory(district=district, cycle=ReportingCycleFactory(), status=S.IN_REVIEW, reviewer=reviewer)
    evaluation = EvaluationFactory(submission=sub)
    first = FindingFactory(evaluation=evaluation, school_id="0311")
    FindingFactory(evaluation=evaluation, school_id="0312", evidence={"school_share": 0.173, "band_share": 0.45,
                                                                        "band": 0.15})
    res = FindingFactory(evaluation=evaluation, rule="RES-02", school_id="0311", message="Spends too little.",
                         evidence={"ppe_state_local": 3698.6, "threshold": 4069.2, "limit": 0.9})
    ProblemFactory(evaluation=evaluation, severity="warning", code="DATA-42", message="Title I flag looks odd.")

    sign_in(page, live_server, "sam.reviewer")
    page.goto(f"{live_server.url}/submissions/{sub.pk}/")
    int01 = page.get_by_role("table", name="INT-01 Racially identifiable schools: one row per finding")
    expect(int01).to_contain_text("17.3%")
    expect(page.get_by_text("2 integration findings: 0 confirmed, 0 dismissed, 2 not yet reviewed.")).to_be_visible()
    expect(page.get_by_role("heading", name="Data warnings")).to_be_visible()
    # Everything folded away opened: still accessible.
    row = page.locator(f"#finding-{first.pk}")
    row.get_by_text("Message and evidence").click()
    expect(row.get_by_role("table", name="Evidence for INT-01, School 0311")).to_be_visible()
    recs = page.get_by_role("list", name="Recommendations for INT-01:")
    recs.get_by_text("Review attendance zone boundaries").click()
    expect(recs.get_by_text("Students to move: 120")).to_be_visible()
    row.get_by_text("Note / dismiss").click()
    assert_accessible(page)

    # Dismissing without a note: the refusal shows in the row, the note field stays open.
    page.evaluate("window.__marker = 'still here'")
    row.get_by_role("button", name="Dismiss INT-01").click()
    expect(row.get_by_role("alert")).to_contain_text("Say why the finding is dismissed")
    expect(row.get_by_label(FINDING_NOTE_LABEL)).to_be_visible()
    # The row was replaced: the focus goes to the note the error asks for, not to the page.
    expect(row.get_by_label(FINDING_NOTE_LABEL)).to_be_focused()
    row.get_by_label(FINDING_NOTE_LABEL).fill("Magnet school under an approved plan.")
    row.get_by_role("button", name="Dismiss INT-01").focus()
    page.keyboard.press("Enter")
    expect(row.get_by_text("Saved.")).to_be_visible()
    # ... and after the dismissal (its panel folded away again) to the row's review status.
    expect(row.locator(".review-cell .review")).to_be_focused()
    expect(row.locator(".review-cell .review")).to_have_text("Dismissed")
    expect(row).to_contain_text("Dismissed")
    expect(row).to_contain_text("Magnet school under an approved plan.")
    assert page.evaluate("window.__marker") == "still here"
    first.refresh_from_db()
    assert first.review_status == "dismissed"
    assert_accessible(page)

    # The filter bar: only RES-02's finding.
    page.get_by_label("Rule", exact=True).select_option("RES-02")
    page.get_by_role("button", name="Show findings").click()
    expect(page.get_by_text("Showing 1 of 3 findings.")).to_be_visible()
    expect(page.locator(f"#finding-{res.pk}")).to_contain_text("$3,699")
    expect(page.locator(f"#finding-{first.pk}")).to_have_count(0)
    assert_accessible(page)
