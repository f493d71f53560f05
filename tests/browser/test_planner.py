"""Real browser: a plan for the zoned demo district, its effect without a reload, save, export, upload through the
upload page, same verdict; and every lever and action of the planner with the keyboard alone, axe after each."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path
from unittest import mock

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from compliance.models import Submission
from compliance.tasks import evaluate_submission
from districts.models import Role
from planner.models import Plan
from tests.factories import DEFAULT_PASSWORD, user_factory
from tests.planner.conftest import make_zoned_district

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def no_console_errors(page: Page):
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield
    assert errors == []


def assert_accessible(page: Page, *, contrast: bool = True) -> None:
    """axe, every rule; ``contrast=False`` leaves out color contrast (three quarters of axe's time here) for a
    state that only repeats content whose contrast an earlier full run has checked."""
    options: dict = {"resultTypes": ["violations"]}
    if not contrast:
        options["rules"] = {"color-contrast": {"enabled": False}}
    results = Axe().run(page, options=options)
    assert results.violations_count == 0, results.generate_report()


def elementary_flags_after(page: Page) -> str:
    return page.locator('[data-flagged-after="Elementary"]').inner_text()


def sign_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_plan_zone_change_and_grade_center_then_upload_gives_the_same_verdict(page: Page, live_server, tmp_path):
    district, sub, user, cycle = make_zoned_district()
    sign_in(page, live_server, user.username)
    page.get_by_role("link", name="Try a change in the what-if planner").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("What-if planner")
    expect(page.locator("#verdict-title")).to_have_text("No change yet")
    # Six of the seven elementary schools are flagged now (INT-01/02/03 on the demo's zones).
    assert elementary_flags_after(page) == "6"
    assert_accessible(page)
    page.evaluate("window.__sameDocument = true")  # gone if anything reloads the page

    # A zone change, with the mouse: 100 students of Southgate's mix go to North Hills.
    page.get_by_label("From school").select_option("0315")
    page.get_by_label("To school").select_option("0311")
    page.get_by_label("Students moved", exact=True).fill("100")
    page.get_by_role("button", name="Add the move").click()
    expect(page.locator(".plan-levers li")).to_have_count(1)
    expect(page.locator("#verdict-title")).to_have_text("Commendation")
    assert elementary_flags_after(page) == "6"  # lower D, the same six schools flagged

    # A grade center: pair Lakeview (K-2) with Carver (3-5).
    page.get_by_label("School ids, in order").fill("0312, 0316")
    page.get_by_label("Grade span of each, in the same order").fill("K-2, 3-5")
    page.get_by_role("button", name="Add the grade centers").click()
    expect(page.locator(".plan-levers li")).to_have_count(2)
    # Pooling Lakeview with Carver clears both: 0311, 0313, 0315 and 0317 stay flagged (worked with the planner's
    # pure functions in tests/planner; here it must reach the page in place).
    expect(page.locator('[data-flagged-after="Elementary"]')).to_have_text("4")
    expect(page.locator("#plan-effect")).to_contain_text("no longer flagged: 0312, 0316")
    assert page.evaluate("window.__sameDocument") is True  # the effect came without a reload
    page_int05 = sorted(re.sub(r"^commendation ", "", t) for t in page.locator(".verdict li").all_inner_texts())
    assert len(page_int05) >= 2 and all("Commendation: it advances integration." in t for t in page_int05)

    # Save it, then export the Proposed sheet.
    page.get_by_label("Plan name").fill("Southgate to North Hills, Lakeview-Carver pair")
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Southgate to North Hills")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the workbook with this plan as its Proposed sheet").click()
    workbook = tmp_path / "with-plan.xlsx"
    info.value.save_as(workbook)

    # Upload it as the district does, on its home page; the worker evaluates it; the page follows.
    page.get_by_role("link", name="Equity compliance checker").click()
    with mock.patch("compliance.tasks.evaluate_submission.delay") as delay, \
            mock.patch("compliance.tasks.render_report.delay"), mock.patch("compliance.tasks.send_notification.delay"):
        page.get_by_label("Filled-in workbook (.xlsx) for Riverside County Schools").set_input_files(str(workbook))
        page.get_by_role("button", name="Upload and check").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Riverside County Schools: 2026-27, version 2")
        new = Submission.objects.get(district=district, version=2)
        delay.assert_called_once_with(submission_id=new.pk)
        evaluate_submission(submission_id=new.pk)  # what the worker runs for that message
        rule = page.locator(".rule-group").filter(has=page.locator("h4", has_text="INT-05"))
        expect(rule).to_be_visible(timeout=10000)
    uploaded = rule.locator("tbody.finding")
    expect(uploaded).to_have_count(len(page_int05))
    assert rule.locator("tbody.finding.sev-info").count() == len(page_int05)  # commendations there too
    assert sorted(rule.locator(".finding-more details > p").all_text_contents()) == page_int05
    assert_accessible(page)


# --- The keyboard alone -----------------------------------------------------------------------------------


def tab_to(page: Page, selector: str, limit: int = 250) -> None:
    """Press Tab until the focus is on ``selector``: it must be reachable, and show where the focus is."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"{selector} has the focus but does not show it"
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def focused(page: Page, selector: str) -> bool:
    return page.evaluate("s => document.activeElement.matches(s)", selector)


def choose(page: Page, selector: str, typed: str, value: str) -> None:
    """Pick an option of a select by typing the start of its text, as a keyboard user does."""
    tab_to(page, selector)
    page.keyboard.type(typed)
    assert page.locator(selector).input_value() == value


def fill(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def press_add(page: Page, kind: str, count: int, announced: str) -> None:
    """Tab to the lever's button, press Enter: the change is listed, announced, and the focus stays on the button."""
    button = f"#lever-{kind} button[type=submit]"
    tab_to(page, button)
    page.keyboard.press("Enter")
    expect(page.locator(".plan-levers > li")).to_have_count(count)
    expect(page.locator("#plan-announce")).to_contain_text(announced)
    expect(page.locator(f"#lever-{kind}-status")).to_be_visible()  # seen beside the button, too
    expect(page.locator(f"#lever-{kind}-status")).to_contain_text(announced)
    assert focused(page, button)
    assert_accessible(page, contrast=False)


def home_to_planner(page: Page) -> None:
    page.keyboard.press("Tab")  # from the top of the page
    tab_to(page, "a[href*='/planner/districts/']")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("What-if planner")
    assert_accessible(page)


def add_every_lever(page: Page) -> None:
    choose(page, "#id_move_from_id", "Southgate", "0315")
    choose(page, "#id_move_to_id", "North Hills", "0311")
    fill(page, "#id_move_total", "9999")
    tab_to(page, "#lever-move button[type=submit]")
    page.keyboard.press("Enter")  # refused: said beside the form, read out as an alert, the focus kept
    expect(page.locator("#lever-move-status")).to_have_text(
        "Southgate Elementary has only 410 students; it cannot send 9999. See the changes and their effect")
    expect(page.get_by_role("alert")).to_have_text("Southgate Elementary has only 410 students; it cannot send 9999.")
    assert focused(page, "#lever-move button[type=submit]")
    assert_accessible(page)  # the error beside the form and in the effect block
    page.keyboard.press("Shift+Tab")  # back up the form to the number
    while not focused(page, "#id_move_total"):
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("100")
    press_add(page, "move", 1, "Change 1 added: Move 100 students from Southgate Elementary to North Hills")

    fill(page, "#id_grade_center_school_ids", "0312, 0316")
    fill(page, "#id_grade_center_spans", "K-2, 3-5")
    press_add(page, "grade_center", 2, "Change 2 added: Grade centers: Lakeview Elementary grades K-2")

    choose(page, "#id_close_school_id", "Douglass", "0317")
    choose(page, "#id_close_receiving", "Pinecrest", "0313")
    press_add(page, "close", 3, "Change 3 added: Close Douglass Elementary; its students go to Pinecrest")

    fill(page, "#id_open_school_id", "0399")
    fill(page, "#id_open_school_name", "Magnolia Elementary")
    choose(page, "#id_open_grade_low", "K", "K")
    press_add(page, "open", 4, "Change 4 added: Open Magnolia Elementary (0399), grades K-5")

    choose(page, "#id_lottery_school_id", "Riverside E", "0314")
    fill(page, "#id_lottery_seats", "100")
    fill(page, "#id_lottery_applicants_ed", "80")
    fill(page, "#id_lottery_applicants_non_ed", "90")
    press_add(page, "lottery", 5, "Change 5 added: Lottery at Riverside Elementary: 100 seats")
    expect(page.locator("#plan-effect")).to_contain_text("admits 50 economically disadvantaged and 50 other")
    assert_accessible(page)  # every kind of change and the lotteries' block, with color contrast


def remove_with_keyboard(page: Page, number: int, left: int, announced: str, focus_on: str) -> None:
    tab_to(page, f".plan-levers > li:nth-child({number}) button")
    page.keyboard.press("Enter")
    expect(page.locator(".plan-levers > li")).to_have_count(left)
    expect(page.locator("#plan-announce")).to_contain_text(announced)
    # The focus is not lost with the removed button: it is on the next change's Remove (else the one before).
    assert page.evaluate("document.activeElement.textContent.trim()") == focus_on
    assert_accessible(page)


def suggest_with_keyboard(page: Page, band_key: str, band: str, replace: bool) -> None:
    choose(page, "#suggest-band", band_key, band)
    page.keyboard.press("Tab")  # into the radio group: its checked radio, "keep them and add"
    assert focused(page, "#suggest-mode-add")
    if replace:
        page.keyboard.press("ArrowDown")
        assert focused(page, "#suggest-mode-replace:checked")
    page.keyboard.press("Tab")
    assert focused(page, "#suggest-heading ~ form button[type=submit]")
    page.keyboard.press("Enter")


def download_with_keyboard(page: Page, href_end: str, tmp: Path) -> bytes:
    tab_to(page, f"a[href$='{href_end}']")
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    target = tmp / href_end.replace("/", "_")
    info.value.save_as(target)
    return target.read_bytes()


def test_every_lever_and_action_with_the_keyboard_alone(page: Page, live_server, tmp_path):
    _, _, user, _ = make_zoned_district()
    sign_in(page, live_server, user.username)
    home_to_planner(page)
    add_every_lever(page)

    # Remove the grade centers (change 2): the focus goes to the Remove button now second (the closure's).
    remove_with_keyboard(page, 2, 4, "Change 2 removed: Grade centers: Lakeview Elementary grades K-2",
                         "Remove change 2")

    # What would it take, kept after the four changes (the default); its status line links to the changes.
    suggest_with_keyboard(page, "e", "elementary", replace=False)
    expect(page.locator("#plan-announce")).to_contain_text("added after the 4 changes already in the plan")
    expect(page.locator("#suggest-status")).to_contain_text("added after the 4 changes already in the plan")
    page.keyboard.press("Tab")
    assert focused(page, "#suggest-status a")
    page.keyboard.press("Enter")
    assert focused(page, "#changes-heading")
    count = page.locator(".plan-levers > li").count()
    assert count > 4 and page.locator(".plan-levers > li").nth(0).inner_text().startswith("Move 100 students")
    expect(page.locator('[data-flagged-after="Elementary"]')).to_have_text("0")
    assert_accessible(page)

    # Save: the name, then Enter.
    fill(page, "#id_plan_name", "Keyboard plan")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan “Keyboard plan”: Riverside County Schools")
    expect(page.locator(".messages")).to_contain_text("Plan “Keyboard plan” saved.")
    assert_accessible(page)
    plan = Plan.objects.get()
    assert len(plan.levers) == count

    # On the saved plan: removing the last change hands the focus to the one before.
    remove_with_keyboard(page, count, count - 1, f"Change {count} removed", f"Remove change {count - 1}")

    # Share, then the two downloads.
    tab_to(page, "form[action$='/share/'] button")
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Shared with the district's other users.")
    assert_accessible(page)
    plan.refresh_from_db()
    assert plan.shared
    assert download_with_keyboard(page, "proposed.xlsx", tmp_path).startswith(b"PK")
    pdf = download_with_keyboard(page, "summary.pdf", tmp_path)
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True, timeout=30).stdout.decode()
    assert re.search(r"^Pages:\s+1$", info, re.M)

    # What would it take on the saved plan, this time in place of its changes (asked for with the radio).
    suggest_with_keyboard(page, "m", "middle", replace=True)
    expect(page.locator("#plan-announce")).to_contain_text(f"in place of the {count - 1} changes that were in the plan")
    expect(page.locator('[data-flagged-after="Middle"]')).to_have_text("0")
    assert all(t.startswith("Move ") for t in page.locator(".plan-levers > li").all_inner_texts())
    assert_accessible(page)


def test_state_staff_choose_a_district_at_the_planner_root_with_the_keyboard(page: Page, live_server):
    district, _, _, _ = make_zoned_district()
    reviewer = user_factory(Role.STATE_REVIEWER)
    sign_in(page, live_server, reviewer.username)
    page.goto(f"{live_server.url}/planner/")
    expect(page.get_by_role("heading", level=1)).to_have_text("What-if planner")
    assert_accessible(page)
    for _ in range(30):  # from the top of the page to the district's link
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == district.name:
            break
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/planner/districts/{district.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(district.name)
