"""Real browser, state side (issue 12): a reviewer's and a supervisor's day on the demo state, axe on every page."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from compliance import services
from compliance.demo import demo_workbook
from compliance.forms import FINDING_NOTE_LABEL
from compliance.forms_review import COMMENT_TO_DISTRICT_LABEL
from compliance.models import (
    Certification,
    Comment,
    CorrectiveAction,
    Finding,
    ReportingCycle,
    RequiredAction,
    Submission,
)
from compliance.models import SubmissionStatus as S
from compliance.workbook.template import write_workbook
from districts.models import District, Role, User
from tests.browser.test_pages import assert_accessible, no_console_errors  # noqa: F401 (autouse fixture)
from tests.factories import DistrictFactory, SubmissionFactory, user_factory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORDS = {"reviewer": "demo-reviewer-pass", "supervisor": "demo-supervisor-pass",
             "certifier": "demo-certifier-pass"}
DEMO = {"zoned": "Riverside County Schools", "lottery": "Trinity Metro School District",
        "large": "Capital City Public Schools", "grade_center": "Magnolia Grove Public School District"}


def _upload_evaluate_certify(key: str, cycle: ReportingCycle, days_ago: int) -> Submission:
    """A demo district's workbook through the real upload, evaluation and certification services."""
    district = District.objects.get(name=DEMO[key])
    buffer = io.BytesIO()
    write_workbook(buffer, demo_workbook(key, cycle.school_year))
    buffer.seek(0)
    with mock.patch("compliance.tasks.evaluate_submission.delay"), mock.patch("compliance.tasks.render_report.delay"), \
            mock.patch("compliance.tasks.send_notification.delay"):
        sub = services.submission_create(district=district, cycle=cycle, uploaded_by=User.objects.get(
            username="submitter"), fileobj=buffer, filename=f"{key}.xlsx")
        services.submission_evaluate(submission_id=sub.pk)
        sub.refresh_from_db()
        services.submission_certify(submission=sub, user=User.objects.get(username="certifier"),
                                    full_name="Carl Certifier", title="Superintendent")
    Certification.objects.filter(submission=sub).update(certified_at=timezone.now() - timedelta(days=days_ago))
    return sub


@pytest.fixture
def demo_day(demo_cycle):
    """The demo state (seed_demo) with its four districts certified, plus 24 other districts' reviews."""
    cycle = demo_cycle
    subs = {key: _upload_evaluate_certify(key, cycle, days) for key, days in
            (("zoned", 34), ("lottery", 12), ("large", 25), ("grade_center", 3))}
    rory = user_factory(Role.STATE_REVIEWER, username="rory", first_name="Rory", last_name="Quinn")
    certifier = User.objects.get(username="certifier")
    for i in range(24):
        status = (S.CERTIFIED, S.IN_REVIEW, S.DECIDED)[i % 3]
        sub = SubmissionFactory(district=DistrictFactory(region=("Delta", "Hills")[i % 2]), cycle=cycle, status=status,
                                reviewer=rory if status == S.IN_REVIEW else None)
        Certification.objects.create(submission=sub, certified_by=certifier, full_name="C", title="T",
                                     attestation="A", certified_at=timezone.now() - timedelta(days=2 * i))
    return subs


def sign_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORDS.get(username, "correct-horse-battery-staple"))
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()


def done(page: Page, text: str) -> None:
    expect(page.locator(".messages")).to_contain_text(text)


def confirm_every_rule(page: Page) -> None:
    """Click each rule's "Confirm all N open ..." button, waiting for each one's own message."""
    buttons = page.get_by_role("button", name=re.compile(r"^Confirm all \d+ open"))
    while buttons.count():
        match = re.match(r"Confirm all (\d+) open (\S+) finding", buttons.first.inner_text())
        assert match, buttons.first.inner_text()
        with page.expect_navigation():
            buttons.first.click()
        done(page, f"Confirmed {match[1]} {match[2]} finding")


def queue_rows(page: Page) -> list[str]:
    table = page.get_by_role("table", name=re.compile("^Team queue"))
    return [t.split(" v")[0] for t in table.locator("tbody th").all_inner_texts()]


def supervisor_assigns_in_bulk(page: Page, live_server, subs) -> None:
    sign_in(page, live_server, "supervisor")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    expect(page.get_by_role("heading", name="Awaiting your sign-off (0)")).to_be_visible()
    assert_accessible(page)
    # Filter: waiting (certified) submissions with findings, by name; the demo's four are among them.
    page.get_by_label("Status").select_option("certified")
    page.get_by_label("Highest severity").select_option("finding")
    page.get_by_label("Sort by").select_option("district")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"status=certified.*severity=finding.*sort=district"))
    rows = queue_rows(page)
    assert rows == sorted(rows) and {DEMO["zoned"], DEMO["large"], DEMO["lottery"]} <= set(rows)
    assert DEMO["grade_center"] not in rows  # nothing found there: not under "Findings"
    expect(page.get_by_label("Highest severity")).to_contain_text("Findings (")
    # Tick two from the keyboard, choose the reviewer, press Enter on Assign.
    for key in ("large", "zoned"):
        box = page.get_by_role("checkbox", name=f"Select {DEMO[key]} version 1")
        box.focus()
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    page.get_by_label("Assign the ticked submissions to").select_option(label="Rita Reviewer")
    page.get_by_role("button", name="Assign", exact=True).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    done(page, "Assigned 2 submissions to Rita Reviewer.")
    assert DEMO["large"] not in queue_rows(page)  # the filter kept: no longer waiting
    assert_accessible(page)
    sign_out(page)


def reviewer_claims_and_saves_a_view(page: Page, live_server) -> None:
    sign_in(page, live_server, "reviewer")
    mine = page.get_by_role("table", name=re.compile("^Submissions you hold"))
    expect(mine.locator("tbody tr")).to_have_count(2)
    with page.expect_navigation():
        page.get_by_role("link", name="Unassigned").click()
    page.get_by_label("Sort by").select_option("age")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    page.get_by_label("Save these filters as").fill("Waiting longest")
    with page.expect_navigation():
        page.get_by_role("button", name="Save view").click()
    done(page, "Saved the view \u201cWaiting longest\u201d.")
    expect(page.get_by_role("link", name="Waiting longest")).to_have_attribute("aria-current", "page")
    with page.expect_navigation():
        page.get_by_role("button", name=f"Claim {DEMO['lottery']} version 1").click()
    done(page, "You claimed this submission")


def dispose_of_capital_city(page: Page, live_server, subs) -> None:
    # 567 findings: the reviewer works a rule at a time, with the page's rule filter (here from the rule list).
    page.goto(f"{live_server.url}/submissions/{subs['large'].pk}/?rule=INT-01")
    expect(page.get_by_text("Showing 220 of 567 findings.")).to_be_visible()
    expect(page.get_by_label("Rule", exact=True)).to_have_value("INT-01")
    button = page.get_by_role("button", name="Confirm all 220 open INT-01 findings")
    with page.expect_navigation():
        button.click()
    done(page, "Confirmed 220 INT-01 findings.")
    expect(page).to_have_url(re.compile(r"\?rule=INT-01.*#rule-int-01$"))  # still filtered
    assert Finding.objects.filter(evaluation__submission=subs["large"], rule="INT-01",
                                  review_status="confirmed").count() == 220


def review_riverside(page: Page, live_server, subs) -> None:
    zoned = subs["zoned"]
    page.goto(f"{live_server.url}/submissions/{zoned.pk}/")
    context = page.get_by_role("region", name="District and review")
    expect(context).to_contain_text("NCES LEA id2803300")
    expect(context).to_contain_text("RegionSouth")
    expect(context.locator("strong.overdue-tag")).to_have_text("Overdue")  # certified 34 days ago
    warning = Finding.objects.filter(evaluation__submission=zoned, rule="INT-04", severity="warning").first()
    row = page.locator(f"#finding-{warning.pk}")
    row.get_by_text("Note / dismiss").click()
    row.get_by_label(FINDING_NOTE_LABEL).fill("The new magnet opened in August.")
    row.get_by_role("button", name=re.compile("^Dismiss INT-04")).click()
    expect(page.locator(f"#finding-{warning.pk}")).to_contain_text("Dismissed")
    int02 = Finding.objects.filter(evaluation__submission=zoned, rule="INT-02").first()
    row = page.locator(f"#finding-{int02.pk}")
    row.get_by_text("Change severity").click()
    row.get_by_label("New severity").select_option("warning")
    row.get_by_label("Reason (required; appears in the report)").fill("A dual-language program by parent choice.")
    row.get_by_role("button", name=re.compile("^Change severity of INT-02")).click()
    expect(page.locator(f"#finding-{int02.pk}")).to_contain_text("(was finding)")
    assert_accessible(page)
    confirm_every_rule(page)  # whatever is left, a rule at a time
    assert not Finding.objects.filter(evaluation__submission=zoned, review_status="open").exclude(
        severity="info").exists()
    comment = page.get_by_label("Comment", exact=True)
    comment.fill("Internal: the board meets on the 14th; expect a rezoning vote.")
    page.get_by_label("Internal (state staff only)").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Add comment").click()
    done(page, "Comment added.")
    page.get_by_label("Comment", exact=True).fill("Please send the board's rezoning timeline.")
    page.get_by_label(COMMENT_TO_DISTRICT_LABEL, exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Add comment").click()
    done(page, "Comment added.")
    school = Finding.objects.filter(evaluation__submission=zoned, rule="INT-01").first().school_id
    due = (timezone.localdate() + timedelta(days=90)).isoformat()
    page.get_by_label("Noncompliant: corrective action required").check()
    page.get_by_label("Reasons (appear in the public report)").fill("Zones keep the elementary schools apart.")
    page.get_by_label(re.compile("^Corrective action plan")).fill(
        f"{due} INT-01 {school}: Adopt new elementary attendance zones\n{due} Publish the rezoning timeline")
    with page.expect_navigation():
        page.get_by_role("button", name="Record the decision").click()
    done(page, "Noncompliance proposed.")
    expect(page.get_by_role("heading", name="Noncompliance awaiting sign-off")).to_be_visible()
    expect(page.get_by_role("button", name="Sign off the decision")).to_have_count(0)


def return_trinity(page: Page, live_server, subs) -> None:
    lottery = subs["lottery"]
    page.goto(f"{live_server.url}/submissions/{lottery.pk}/")
    school = Finding.objects.filter(evaluation__submission=lottery, rule="INT-01").first().school_id
    page.get_by_label("Required actions, one per line").fill(
        f"Add the Budget rows for the magnet schools.\nINT-01 {school}: Explain the enrollment change")
    with page.expect_navigation():
        page.get_by_role("button", name="Return for revision").click()
    done(page, "Returned to the district for revision with the required actions.")
    assert list(RequiredAction.objects.filter(submission=lottery).values_list("position", "finding__school_id")) == [
        (1, None), (2, school)]
    assert_accessible(page)


def supervisor_signs_off(page: Page, live_server, subs) -> None:
    sign_in(page, live_server, "supervisor")
    waiting = page.get_by_role("table", name=re.compile("^Decisions awaiting your sign-off"))
    expect(waiting.locator("tbody tr")).to_have_count(1)
    waiting.get_by_role("link", name=DEMO["zoned"]).click()
    with page.expect_navigation():
        page.get_by_role("button", name="Sign off the decision").click()
    done(page, "Signed off.")
    expect(page.locator("#submission-status")).to_contain_text("Decided")
    page.get_by_role("link", name="Open the corrective action plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Corrective action plan: {DEMO['zoned']}, "
                                                              f"{subs['zoned'].cycle.school_year}")
    expect(page.get_by_role("heading", name=re.compile("^Action 1: Adopt new elementary attendance zones"))
           ).to_be_visible()
    assert_accessible(page)
    sign_out(page)


@pytest.fixture(autouse=True)
def patient(page: Page):
    # A 320-school district's page is large and this machine is shared: allow a slow load, never a hang.
    page.set_default_navigation_timeout(90_000)
    page.set_default_timeout(60_000)


def test_a_reviewers_and_a_supervisors_day(page: Page, live_server, demo_day):
    supervisor_assigns_in_bulk(page, live_server, demo_day)
    reviewer_claims_and_saves_a_view(page, live_server)
    assert_accessible(page)
    dispose_of_capital_city(page, live_server, demo_day)
    review_riverside(page, live_server, demo_day)
    return_trinity(page, live_server, demo_day)
    page.goto(f"{live_server.url}/review/")
    mine = page.get_by_role("table", name=re.compile("^Submissions you hold"))
    expect(mine).to_contain_text("Noncompliance awaiting a supervisor's sign-off")  # still in my reviews
    sign_out(page)
    supervisor_signs_off(page, live_server, demo_day)
    assert Submission.objects.get(pk=demo_day["zoned"].pk).status == S.DECIDED
    assert CorrectiveAction.objects.filter(submission=demo_day["zoned"]).count() == 2

    # The district reads the district comment, the plan and the required actions, never the internal note.
    sign_in(page, live_server, "certifier")
    page.goto(f"{live_server.url}/submissions/{demo_day['zoned'].pk}/")
    expect(page.locator("ul.comments")).to_contain_text("Please send the board's rezoning timeline.")
    expect(page.locator("main")).not_to_contain_text("the board meets on the 14th")
    assert Comment.objects.filter(visibility="internal").count() == 1
    page.get_by_role("link", name="Open the corrective action plan").click()
    expect(page.get_by_role("button", name="Send the plan and evidence for action 1")).to_be_visible()
    assert_accessible(page)
    page.goto(f"{live_server.url}/submissions/{demo_day['lottery'].pk}/")
    expect(page.locator(".required-actions li")).to_have_count(2)
    expect(page.locator(".required-actions li").nth(1)).to_contain_text("Explain the enrollment change")
    assert_accessible(page)


def test_the_same_person_cannot_sign_off_their_own_decision(page: Page, live_server, demo_day):
    zoned = demo_day["zoned"]
    sign_in(page, live_server, "supervisor")  # a supervisor who reviews this one himself
    with page.expect_navigation():
        page.get_by_role("button", name=f"Claim {DEMO['zoned']} version 1").click()
    done(page, "You claimed this submission")
    # Without htmx, changing a severity is a page of its own.
    finding = Finding.objects.filter(evaluation__submission=zoned, rule="RES-01").first()
    page.goto(f"{live_server.url}/findings/{finding.pk}/severity/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Change the severity of RES-01")
    assert_accessible(page)
    page.goto(f"{live_server.url}/submissions/{zoned.pk}/")
    confirm_every_rule(page)
    due = (timezone.localdate() + timedelta(days=60)).isoformat()
    page.get_by_label("Noncompliant: corrective action required").check()
    page.get_by_label("Reasons (appear in the public report)").fill("Zones keep the schools apart.")
    page.get_by_label(re.compile("^Corrective action plan")).fill(f"{due} Adopt new attendance zones")
    with page.expect_navigation():
        page.get_by_role("button", name="Record the decision").click()
    done(page, "Noncompliance proposed.")
    expect(page.get_by_text("A state supervisor who did not review this submission must sign it off.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign off the decision")).to_have_count(0)
    assert_accessible(page)
    # Posting the sign-off anyway is refused, and nothing changes.
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    response = page.request.post(f"{live_server.url}/submissions/{zoned.pk}/sign-off/",
                                 form={"csrfmiddlewaretoken": token},
                                 headers={"Referer": f"{live_server.url}/submissions/{zoned.pk}/"})
    assert response.status == 403
    assert Submission.objects.get(pk=zoned.pk).status == S.AWAITING_SIGN_OFF
    page.goto(f"{live_server.url}/review/")
    expect(page.get_by_role("heading", name="Awaiting your sign-off (0)")).to_be_visible()
    assert_accessible(page)
    sign_out(page)
    # Another supervisor can.
    user_factory(Role.STATE_SUPERVISOR, username="second", first_name="Ada", last_name="Byrne")
    sign_in(page, live_server, "second")
    expect(page.get_by_role("heading", name="Awaiting your sign-off (1)")).to_be_visible()
    page.get_by_role("table", name=re.compile("^Decisions awaiting your sign-off")).get_by_role(
        "link", name=DEMO["zoned"]).click()
    with page.expect_navigation():
        page.get_by_role("button", name="Sign off the decision").click()
    done(page, "Signed off.")
    assert Submission.objects.get(pk=zoned.pk).status == S.DECIDED
    page.goto(f"{live_server.url}/review/plans/?show=due")
    listed = page.get_by_role("table", name=re.compile("^Due, not answered yet: 1 action"))
    expect(listed).to_contain_text("Adopt new attendance zones")
    assert_accessible(page)
