"""Real browser: the statewide view passes axe, works from the keyboard, and its counts match the database."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from compliance.models import SubmissionStatus as S
from compliance.models_review import CorrectiveAction
from districts.models import District, Role
from tests.factories import (
    DEFAULT_PASSWORD,
    DistrictFactory,
    EvaluationFactory,
    FindingFactory,
    SubmissionFactory,
    sample_measures,
    user_factory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Worked out here, not imported: which row of the page each newest status counts in.
ROW_OF_STATUS = {
    None: "Not started",
    S.QUEUED: "Uploaded, being checked or check failed",
    S.FAILED: "Uploaded, being checked or check failed",
    S.REJECTED: "Rejected", S.EVALUATED: "Evaluated, not certified", S.CERTIFIED: "Certified, waiting for review",
    S.IN_REVIEW: "In review", S.RETURNED: "Returned for revision", S.DECIDED: "Decided",
}
GENERATED = [None, S.QUEUED, S.FAILED, S.REJECTED, S.EVALUATED, S.CERTIFIED, S.IN_REVIEW, S.RETURNED, S.DECIDED]


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


@pytest.fixture
def state(demo_cycle):
    """The demo state plus 63 generated districts in every status, some evaluated with measures."""
    cycle = demo_cycle
    for i in range(63):
        status = GENERATED[i % len(GENERATED)]
        district = DistrictFactory(region="Delta" if i % 3 else "Hills")
        if status is None:
            continue
        sub = SubmissionFactory(district=district, cycle=cycle, status=status)
        if status not in (S.QUEUED, S.FAILED, S.REJECTED):
            measures = sample_measures()
            measures["district"]["dissimilarity"]["multigroup"] = round(0.1 + 0.013 * i, 3)
            measures["district"]["resources"] = {"progressivity": round(0.8 + 0.01 * i, 3)}
            FindingFactory(evaluation=EvaluationFactory(submission=sub, measures=measures), rule="RES-02")
        if i == 8:  # the first decided district: one action a week late
            CorrectiveAction.objects.create(submission=sub, description="Reassign staff to the Title I schools",
                                            due_on=timezone.localdate() - timedelta(days=7))
    return cycle


def expected_counts(region: str | None = None) -> dict[str, int]:
    """Rows of the status table from the database directly: each district's highest version."""
    counts = dict.fromkeys(ROW_OF_STATUS.values(), 0)
    districts = District.objects.filter(region=region) if region else District.objects.all()
    for district in districts:
        newest = district.submissions.order_by("-version").first()
        counts[ROW_OF_STATUS[newest.status if newest else None]] += 1
    return counts


def shown_counts(page: Page) -> dict[str, int]:
    table = page.get_by_role("table", name=re.compile("^Districts by status"))
    rows = table.locator("tbody tr")
    return {rows.nth(i).locator("th").inner_text(): int(rows.nth(i).locator("td").inner_text())
            for i in range(rows.count())}


def test_statewide_view_is_accessible_and_counts_match(page: Page, live_server, state):
    user_factory(Role.STATE_REVIEWER, username="sam.reviewer")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("sam.reviewer")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Statewide view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Statewide view: {state.school_year}")
    assert shown_counts(page) == expected_counts()
    assert sum(expected_counts().values()) == 67 and expected_counts()["Not started"] == 4 + 7
    expect(page.get_by_role("img", name=re.compile("^Histogram of multigroup dissimilarity"))).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("^Progressivity ratio: districts by value"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="1 district: Corrective action plans past due").click()
    listed = page.get_by_role("table", name=re.compile("^Corrective action plans past due: 1 district"))
    expect(listed.locator("tbody tr")).to_have_count(1)
    expect(listed.get_by_text("Reassign staff to the Title I schools, due")).to_be_visible()
    expect(listed.get_by_role("link", name=re.compile(r"^The plan of version \d+ of "))).to_be_visible()
    assert_accessible(page)


def test_statewide_view_from_the_keyboard(page: Page, live_server, state):
    user_factory(Role.STATE_SUPERVISOR, username="sue.supervisor")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("sue.supervisor")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.goto(f"{live_server.url}/statewide/")
    # Region filter: focus the select, choose, Tab to the button, Enter.
    region = page.get_by_label("Region", exact=True)
    region.focus()
    region.select_option("Hills")  # what the arrow keys do on a focused select
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Show")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"region=Hills"))
    assert shown_counts(page) == expected_counts("Hills")
    # Follow a count to the list behind it with Tab and Enter only.
    link = page.get_by_role("link", name=re.compile(r"^\d+ districts?: In review$")).first
    link.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="In review", level=2)).to_be_visible()
    listed = page.get_by_role("table", name=re.compile("^In review: "))
    n = expected_counts("Hills")["In review"]
    assert n == 7  # i = 6, 15, ..., 60 of the generated districts
    expect(listed.locator("tbody tr")).to_have_count(n)
    first = listed.get_by_role("link").first
    first.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/submissions/\d+/$"))
    page.go_back()
    assert_accessible(page)


def test_statewide_list_paginates_accessibly(page: Page, live_server, state):
    user_factory(Role.STATE_ADMIN, username="ada.admin")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("ada.admin")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/statewide/")
    expect(page.get_by_role("table", name=re.compile("^All districts: 67 districts, page 1 of 2"))).to_be_visible()
    page.get_by_role("link", name="Next page").click()
    expect(page.get_by_role("table", name=re.compile("page 2 of 2"))).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("^All districts")).locator("tbody tr")).to_have_count(17)
    assert_accessible(page)
