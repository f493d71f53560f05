"""Real browser: the custom admin pages (audit search, rule sets, directory import, recommendations) pass axe
and work from the keyboard, each step a plain form post."""
from __future__ import annotations

import copy
import os
from datetime import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from compliance.models import AuditEvent, RecommendationEntry, RuleSet
from compliance.rules.recommendation_library import DEFAULT_LIBRARY
from compliance.rules.ruleset import DEFAULT_PARAMS, DEFAULT_RULE_SET_NAME
from districts.models import District, Role, School
from tests.factories import (
    DEFAULT_PASSWORD,
    DistrictFactory,
    ReportingCycleFactory,
    RuleSetFactory,
    SchoolFactory,
    SubmissionFactory,
    user_factory,
)

from .test_pages import no_console_errors  # noqa: F401  (autouse: a CSP refusal or a 404 fails the test)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_accessible(page: Page, name: str) -> None:
    if os.environ.get("ADMIN_SCREENSHOTS"):  # to look at the pages by hand: a folder to write PNGs to
        page.screenshot(path=f"{os.environ['ADMIN_SCREENSHOTS']}/{name}.png", full_page=True)
    # No CSSOM preload: axe fetches the admin's stylesheets again and resolves forms.css's
    # "@import url('widgets.css')" against the page's address, asking the admin for an object
    # called widgets.css. The page's own styles are loaded by the browser as usual.
    results = Axe().run(page, options={"resultTypes": ["violations"], "preload": False})
    assert results.violations_count == 0, results.generate_report()


@pytest.fixture
def admin_page(page: Page, live_server) -> Page:
    user_factory(Role.STATE_ADMIN, username="ada.admin", first_name="Ada", last_name="Admin", is_staff=True,
                 is_superuser=True)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("ada.admin")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


def submit_with_keyboard(page: Page, name: str) -> None:
    button = page.get_by_role("button", name=name)
    button.focus()
    page.keyboard.press("Enter")


def test_audit_search_filters_and_shows_an_events_before_and_after(admin_page: Page, live_server):
    page = admin_page
    rules = RuleSetFactory(name="Mississippi draft")
    district = DistrictFactory(name="Riverbend Unified")
    sub = SubmissionFactory(district=district, cycle=ReportingCycleFactory(rule_set=rules))
    reviewer = user_factory(Role.STATE_REVIEWER, username="rita", first_name="Rita", last_name="Reyes")
    when = timezone.make_aware(datetime(2026, 10, 5, 9, 30))
    AuditEvent.objects.create(submission=sub, actor=reviewer, action="downloaded", created_at=when,
                              subject="Original workbook: x-original.xlsx")
    AuditEvent.objects.create(actor=reviewer, action="rule_set_edited", subject="Mississippi draft v1",
                              created_at=when, changes=[{"field": "INT-03.band", "before": 0.15, "after": 0.1}])
    page.goto(f"{live_server.url}/admin/compliance/auditevent/")
    expect(page.get_by_role("heading", name="2 events")).to_be_visible()
    assert_accessible(page, "audit-search")
    page.get_by_label("Action").select_option(label="Edited a rule set")
    page.get_by_label("Who (name or username)").fill("rita")
    page.get_by_label("Who (name or username)").press("Enter")
    expect(page.get_by_role("heading", name="1 event found")).to_be_visible()
    assert_accessible(page, "audit-search-results")
    page.get_by_role("link", name="(1 change)").click()
    table = page.get_by_role("table", name="Before and after")
    expect(table).to_contain_text("INT-03 Economically identifiable schools")
    expect(table).to_contain_text("15 percentage points")
    expect(table).to_contain_text("10 percentage points")
    assert_accessible(page, "audit-event")


def test_a_program_officer_edits_a_rule_set_through_a_confirm_step(admin_page: Page, live_server):
    page = admin_page
    draft = RuleSet.objects.create(name="Mississippi draft", params=copy.deepcopy(DEFAULT_PARAMS))
    page.goto(f"{live_server.url}/admin/compliance/ruleset/{draft.pk}/change/")
    assert_accessible(page, "ruleset-edit")
    int01 = page.get_by_role("group", name="INT-01 Racially identifiable schools")
    expect(int01.get_by_label("Band (percentage points)")).to_have_value("15")
    int01.get_by_label("Band (percentage points)").fill("20")
    page.get_by_label("Why this change (kept in the audit trail)").fill("Board vote of May 2")
    submit_with_keyboard(page, "Review the changes")
    diff = page.get_by_role("table", name="Changes to Mississippi draft v1 as saved")
    expect(diff).to_contain_text("15 percentage points")
    expect(diff).to_contain_text("20 percentage points")
    assert_accessible(page, "ruleset-confirm")
    submit_with_keyboard(page, "Save these changes")
    expect(page.get_by_text("Saved 1 change(s) to Mississippi draft v1.")).to_be_visible()
    draft.refresh_from_db()
    assert draft.params["INT-01"]["band"] == 0.2


def test_a_frozen_rule_set_is_read_and_copied(admin_page: Page, live_server):
    page = admin_page
    frozen = RuleSet.objects.filter(name=DEFAULT_RULE_SET_NAME).first() or RuleSetFactory(name=DEFAULT_RULE_SET_NAME)
    ReportingCycleFactory(rule_set=frozen)  # open: freezes it
    page.goto(f"{live_server.url}/admin/compliance/ruleset/{frozen.pk}/change/")
    expect(page.get_by_text("This version is frozen")).to_be_visible()
    assert_accessible(page, "ruleset-frozen")
    submit_with_keyboard(page, "Copy as a new editable version")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Edit {DEFAULT_RULE_SET_NAME} v2")


def test_the_directory_is_imported_after_a_preview(admin_page: Page, live_server, tmp_path):
    page = admin_page
    district = DistrictFactory(state_id="2611", name="Riverbend Unified", region="South", nces_id="2803300")
    SchoolFactory(district=district, school_id="0311", name="North Hills", grade_low="K", grade_high="5")
    csv_path = tmp_path / "directory.csv"
    csv_path.write_text(
        "district_state_id,nces_lea_id,district_name,state,region,school_id,school_name,grade_low,grade_high\n"
        "2611,2803300,Riverbend Unified,MS,South,0311,North Hills Elementary,K,5\n"
        "2611,2803300,Riverbend Unified,MS,South,0400,Lakeside Middle,6,8\n")
    page.goto(f"{live_server.url}/admin/districts/district/")
    page.get_by_role("link", name="Import from CSV").click()
    assert_accessible(page, "directory-import")
    page.get_by_label("Directory file (CSV)").set_input_files(str(csv_path))
    submit_with_keyboard(page, "Preview the changes")
    expect(page.get_by_role("table", name="Schools changed")).to_contain_text("North Hills Elementary")
    expect(page.get_by_role("table", name="Schools added")).to_contain_text("Lakeside Middle")
    assert_accessible(page, "directory-preview")
    submit_with_keyboard(page, "Apply these changes")
    expect(page.get_by_text("Directory imported: 0 districts added, 0 changed; 1 schools added, 1 changed.")
           ).to_be_visible()
    assert sorted(School.objects.filter(district=district).values_list("name", flat=True)) == [
        "Lakeside Middle", "North Hills Elementary"]
    assert District.objects.count() == 1


def test_a_recommendation_is_previewed_as_a_district_reads_it(admin_page: Page, live_server):
    page = admin_page
    if not RecommendationEntry.objects.exists():  # flushed by an earlier transactional test
        for e in DEFAULT_LIBRARY:
            RecommendationEntry.objects.create(key=e.key, title=e.title, body=e.body, rule_codes=list(e.rule_codes),
                                               conditions=e.conditions, sources=list(e.sources))
    entry = RecommendationEntry.objects.get(key="grade-centers", version=1)
    page.goto(f"{live_server.url}/admin/compliance/recommendationentry/{entry.pk}/change/")
    assert_accessible(page, "recommendation-edit")
    page.get_by_label("Title").fill("Grade centers for {district_name}")
    page.get_by_label("Why this change (kept in the audit trail)").fill("Name the district")
    submit_with_keyboard(page, "Preview")
    expect(page.get_by_role("heading", name="Grade centers for Riverside County School District")).to_be_visible()
    assert_accessible(page, "recommendation-preview")
    submit_with_keyboard(page, "Save as version 2")
    expect(page.get_by_text("Saved grade-centers as version 2")).to_be_visible()
    assert RecommendationEntry.objects.get(key="grade-centers", version=2).title == "Grade centers for {district_name}"
