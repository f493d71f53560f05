"""Real browser, district side (issue 11): the whole journey on the demo data with a real worker, with the
mouse and with the keyboard alone, axe on every page; the session warning, "stay signed in", and what
was typed coming back after signing in again."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from playwright.sync_api import Locator, Page, expect

from compliance.models import Problem, RuleSet, Submission
from compliance.rules.ruleset import DEFAULT_RULE_SET_NAME
from config.celery import app
from tests.browser.test_pages import no_console_errors, sign_in  # noqa: F401 (autouse fixture)
from tests.factories import DEFAULT_PASSWORD, RuleSetFactory
from tests.faults.processes import Pipeline

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SLOW = 240_000  # ms: a real worker checks, evaluates and renders PDFs on a loaded two-core machine
RIVERSIDE = "Riverside County Schools (2611)"


def assert_accessible(page: Page) -> None:
    """axe with WCAG 2.2's target-size rule switched on (axe leaves it off by default)."""
    results = Axe().run(page, options={"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}})
    assert results.violations_count == 0, results.generate_report()


def assert_fits_a_phone(page: Page) -> None:
    """At 390 CSS px wide nothing widens the page: wide tables scroll inside their own region."""
    size = page.viewport_size
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        # On failure, name the elements that stick out (their own right edge past the screen's).
        wide = page.evaluate("""() => Array.from(document.querySelectorAll('body *'))
            .filter((el) => el.getBoundingClientRect().right > 391 && !el.closest('.table-scroll'))
            .map((el) => el.tagName + '.' + el.className + ' ' + Math.round(el.getBoundingClientRect().right))
            .slice(-8)""")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide
    finally:
        page.set_viewport_size(size)


class Person:
    """Acts on the page with the mouse, or with the keyboard alone (Tab to reach, Enter and Space to act)."""

    def __init__(self, page: Page, keyboard: bool, downloads: Path):
        self.page, self.keyboard, self.downloads = page, keyboard, downloads

    def reach(self, target: Locator, limit: int = 700) -> None:
        expect(target).to_be_visible()
        handle = target.element_handle()
        for _ in range(limit):
            if self.page.evaluate("(el) => document.activeElement === el", handle):
                return
            self.page.keyboard.press("Tab")
        raise AssertionError(f"Tab never reached {target}")

    def press(self, target: Locator) -> None:
        if self.keyboard:
            self.reach(target)
            self.page.keyboard.press("Enter")
        else:
            target.click()

    def type(self, target: Locator, text: str) -> None:
        if self.keyboard:
            self.reach(target)
            self.page.keyboard.press("ControlOrMeta+a")
            self.page.keyboard.type(text)
        else:
            target.fill(text)

    def tick(self, target: Locator) -> None:
        if self.keyboard:
            self.reach(target)
            self.page.keyboard.press("Space")
        else:
            target.check()
        expect(target).to_be_checked()

    def choose_file(self, target: Locator, path: Path) -> None:
        if self.keyboard:
            with self.page.expect_file_chooser() as chooser:
                self.reach(target)
                self.page.keyboard.press("Space")
            chooser.value.set_files(str(path))
        else:
            target.set_input_files(str(path))

    def download(self, target: Locator) -> Path:
        with self.page.expect_download() as download:
            self.press(target)
        path = self.downloads / download.value.suggested_filename  # under the name the server gave it
        download.value.save_as(path)
        return path

    def sign_in(self, url: str, username: str, password: str) -> None:
        self.page.goto(f"{url}/login/")
        self.type(self.page.get_by_label("Username"), username)
        self.type(self.page.get_by_label("Password"), password)
        self.press(self.page.get_by_role("button", name="Sign in"))
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Your district submissions")


@pytest.fixture
def demo(settings, tmp_path) -> Path:
    """The demo state (its users, four districts, the open cycle) and its sample workbooks."""
    settings.DEV = True
    settings.VAR_DIR = tmp_path
    if not RuleSet.objects.filter(name=DEFAULT_RULE_SET_NAME).exists():  # flushed by an earlier transactional test
        RuleSetFactory(name=DEFAULT_RULE_SET_NAME)
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return tmp_path / "samples"


@pytest.fixture
def worker(settings, tmp_path):
    """A real Celery worker on both queues (evaluation, then reports and e-mail), on the test database."""
    with app.connection_for_write() as conn:
        app.control.purge(connection=conn)  # messages left by earlier tests must not reach it
    pipeline = Pipeline(tmp_path, settings.MEDIA_ROOT, queues="evaluation,reports",
                        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    pipeline.start_worker()
    yield pipeline
    pipeline.stop()


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout
    return " ".join(out.decode().split())


def column_values(table: Locator, heading: str) -> list[str]:
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    index = next(i for i, h in enumerate(headers) if h.startswith(heading))
    return [row.locator("th, td").nth(index).inner_text() for row in table.locator("tbody tr").all()]


@pytest.mark.slow
@pytest.mark.parametrize("keyboard", [False, True], ids=["mouse", "keyboard"])
def test_district_journey(page: Page, live_server, demo, worker, tmp_path, keyboard):
    person = Person(page, keyboard, tmp_path)
    person.sign_in(live_server.url, "submitter", "demo-submitter-pass")
    assert_accessible(page)
    assert_fits_a_phone(page)
    riverside = page.get_by_role("region", name=RIVERSIDE)

    # The template, prefilled for the district.
    template = person.download(riverside.get_by_role("link", name="Download the workbook template"))
    assert "Schools" in load_workbook(template).sheetnames

    # A refused upload: post/redirect/get, an error summary that takes focus and leads to the field.
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    person.type(riverside.get_by_label("Note about this version (optional)"), "October count, first try")
    person.choose_file(riverside.get_by_label(re.compile("^Filled-in workbook")), empty)
    person.press(riverside.get_by_role("button", name="Upload and check"))
    expect(page).to_have_title(re.compile("^Error: Upload a workbook for Riverside County Schools"))
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("The file is empty.")
    assert_accessible(page)
    assert_fits_a_phone(page)
    if keyboard:
        page.keyboard.press("Tab")  # from the focused summary, the next stop is its link
        page.keyboard.press("Enter")
    else:
        summary.get_by_role("link").click()
    file_input = page.get_by_label(re.compile("^Filled-in workbook"))
    expect(file_input).to_be_focused()
    page.reload()  # reloading sends nothing again
    assert not Submission.objects.exists()
    note = page.get_by_label("Note about this version (optional)")
    expect(note).to_have_value("October count, first try")

    # The broken sample, from the upload page; the page follows the check without a reload.
    person.choose_file(file_input, demo / "zoned-2611-with-mistakes.xlsx")
    person.press(page.get_by_role("button", name="Upload and check"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Riverside County Schools: .*, version 1"))
    expect(page.locator("#submission-status")).to_contain_text("Rejected", timeout=SLOW)
    problems = page.get_by_role("table", name=re.compile("^Data problems in the workbook"))
    expect(problems).to_be_visible()
    assert_accessible(page)
    assert_fits_a_phone(page)

    # Read and sort the problems: by row, then the reverse.
    person.press(problems.get_by_role("link", name="Row"))
    expect(problems).to_have_accessible_name(re.compile("sorted by row$"))
    rows = [int(r) for r in column_values(problems, "Row") if r != "-"]
    assert rows == sorted(rows) and len(rows) >= 5
    person.press(problems.get_by_role("link", name="Row"))
    expect(problems).to_have_accessible_name(re.compile(r"sorted by row \(reversed\)$"))
    rows = [int(r) for r in column_values(problems, "Row") if r != "-"]
    assert rows == sorted(rows, reverse=True)
    submission = Submission.objects.get(version=1, district__state_id="2611")
    typo = Problem.objects.get(evaluation__submission=submission, sheet="Schools", row=4, column="black")
    header = [c.value for c in load_workbook(demo / "zoned-2611-with-mistakes.xlsx")["Schools"][1]]
    cell = f"Schools!{get_column_letter(header.index('black') + 1)}4"
    expect(problems.get_by_role("row").filter(has_text=typo.message)).to_contain_text(cell)
    assert_accessible(page)

    # The marked workbook: the problem cell filled red and commented.
    marked = load_workbook(person.download(page.get_by_role("link", name=re.compile(
        "^Download the workbook with its problems marked"))))
    marked_cell = marked["Schools"][cell.split("!")[1]]
    assert marked_cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert f"{typo.code} (error): {typo.message}" in marked_cell.comment.text

    # Fixed: the corrected workbook from the home page; the status reaches evaluated, then the report links.
    person.press(page.get_by_role("link", name="Home"))
    person.choose_file(riverside.get_by_label(re.compile("^Filled-in workbook")), demo / "zoned-2611.xlsx")
    person.press(riverside.get_by_role("button", name="Upload and check"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("version 2$"))
    status = page.locator("#submission-status")
    expect(status).to_contain_text("Evaluated", timeout=SLOW)
    report_link = page.get_by_role("link", name=re.compile(r"^Download the findings report \(PDF"))
    expect(report_link).to_be_visible(timeout=SLOW)
    expect(status).not_to_contain_text("report being prepared")
    assert_accessible(page)
    assert_fits_a_phone(page)
    draft = pdf_text(person.download(report_link))
    assert "DRAFT" in draft and "not a determination" in draft

    # The certifier certifies with name and title; the PDF is rendered again, certified.
    person.press(page.get_by_role("button", name="Sign out"))
    # Signed out once the sign-in page is shown: navigating sooner would abort the sign-out's own.
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    person.sign_in(live_server.url, "certifier", "demo-certifier-pass")
    awaiting = page.get_by_role("region", name="Awaiting your certification")
    person.press(awaiting.get_by_role("link", name=re.compile("^Riverside County Schools, version 2")))
    person.type(page.get_by_label("Your full name"), "Pat Lee")
    person.type(page.get_by_label("Your title"), "Superintendent")
    person.tick(page.get_by_label("I attest to the statement above"))
    assert_accessible(page)
    person.press(page.get_by_role("button", name="Certify and submit to the state"))
    expect(page.get_by_text("Certified and submitted to the state.")).to_be_visible()
    expect(page.get_by_role("region", name="Certification")).to_contain_text("Pat Lee, Superintendent")
    report_link = page.get_by_role("link", name=re.compile(r"^Download the findings report \(PDF"))
    expect(report_link).to_be_visible(timeout=SLOW)
    assert_accessible(page)
    certified = pdf_text(person.download(report_link))
    assert "Certified by Pat Lee, Superintendent" in certified and "DRAFT" not in certified


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


def test_what_was_typed_comes_back_after_the_session_ends(page: Page, live_server, settings, submitter, cycle):
    sign_in(page, live_server, "submitter")
    settings.SESSION_COOKIE_AGE = 4
    page.goto(f"{live_server.url}/")  # this page's session now lasts 4 s
    note = page.get_by_label("Note about this version (optional)")
    note.fill("Budget sheet corrected")
    expect(page).to_have_url(re.compile(r"/login/\?next=%2F$"), timeout=15_000)
    settings.SESSION_COOKIE_AGE = 1800
    page.get_by_label("Username").fill("submitter")
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(note).to_have_value("Budget sheet corrected")
    expect(page.get_by_role("status").filter(has_text="You were signed out")).to_be_visible()
    assert_accessible(page)
    page.reload()  # said once: a later visit starts clean
    expect(note).to_have_value("")
