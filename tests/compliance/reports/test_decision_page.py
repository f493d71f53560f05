"""The report's first page read back from the PDF: verdicts in words, actions, status, contacts; drafts say so."""
from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime

import pytest

from compliance.reports.render import render_report_pdf

from .factories import DECISION, make_context

DRAFT = "DRAFT \u2014 not a determination"
EAC = {"region": "II", "center": "Equity Assistance Center-South", "operator": "Southern Education Foundation"}


def _pages(ctx, tmp_path) -> list[str]:
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(render_report_pdf(ctx))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return [p for p in text.split("\f") if p.strip()]


@pytest.fixture(scope="module")
def draft(tmp_path_factory):
    ctx = make_context(status="Evaluated", decision=None, comments=[], finding_reviews={},
                       response_due=("Certification due", "December 15, 2026"))
    return _pages(ctx, tmp_path_factory.mktemp("draft"))


@pytest.fixture(scope="module")
def decided(tmp_path_factory):
    ctx = make_context(status="Decided", decision=DECISION,
                       certified={"by": "Robin Ames", "at": datetime(2026, 11, 20, 9, 0, tzinfo=UTC)},
                       assistance_center=EAC, state_contact="Lee Park, state reviewer of this submission")
    return _pages(ctx, tmp_path_factory.mktemp("decided"))


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_first_page_carries_the_verdicts_and_the_actions(draft):
    first = _squash(draft[0])
    # factories: INT-01 x3, INT-02, INT-03 findings (INT-04 only warns); RES-01 and RES-03 findings;
    # a proposed change with no INT-05 finding; no Lottery sheet.
    assert ("Integration not met: 5 findings (racially identifiable schools: 3; intensely segregated schools: 1; "
            "economically identifiable schools: 1)") in first
    assert "Proposed change met" in first
    assert "Lottery admissions not applicable (no admission lottery)" in first
    assert "Resource equity not met: 2 findings (comparability of staff: 1; progressivity of spending: 1)" in first
    assert "Required actions" in first
    # The controlled-choice advice answers the four integration findings that carry it.
    assert "Attendance-zone redrawing and controlled choice (answers 4 findings (INT-01, INT-02); action 1 of the " \
           "action plan)" in first
    assert "Weighted or equalized staffing" in first and "Weighted student funding" in first
    assert "Certification due December 15, 2026" in first
    assert "Certified by not yet certified by the district" in first and "Decided by no decision yet" in first


def test_a_draft_says_so_on_every_page(draft):
    assert all(DRAFT in page for page in draft), [i + 1 for i, p in enumerate(draft) if DRAFT not in p]
    assert "This report is not a determination" in _squash(draft[0])


def test_metadata_moves_to_the_colophon(draft):
    assert "Workbook SHA-256" not in draft[0] and "9f2c" not in draft[0]
    last = _squash(draft[-1])
    assert "Colophon" in last and "9f2c" + "ab" * 30 in last.replace(" ", "")
    assert "State default, version 3" in last


def test_certified_and_decided_by_whom_and_the_center(decided):
    first = _squash(decided[0])
    assert not any(DRAFT in page for page in decided)
    assert "Certified by Robin Ames, November 20, 2026" in first
    assert "Decided by Dana Whitfield, December 1, 2026" in first and "Corrective action required" in first
    assert ("Equity Assistance Center Region II, Equity Assistance Center-South (operated by Southern "
            "Education Foundation)") in first
    assert "State contact Lee Park, state reviewer of this submission" in first


def test_one_action_plan_each_recommendation_once(draft):
    text = _squash("\n".join(draft))
    assert "same recommendation" not in text and "given under" not in text
    # factories: the controlled-choice advice rides on findings 1-3 (INT-01) and 4 (INT-02), all
    # elementary; it is printed once, with the findings it answers, and the rules point to it.
    assert text.count("Action 1. Attendance-zone redrawing and controlled choice") == 1
    assert re.search(r"Action 1\. Attendance-zone redrawing and controlled choice .{0,300}? "
                     r"Elementary schools Answers:", text)
    assert ("Answers: INT-01 racially identifiable schools: findings 1, 2, 3; "
            "INT-02 intensely segregated schools: finding 4.") in text
    assert text.count("Recommended actions: action 1, Attendance-zone redrawing and controlled choice") == 2


def test_a_finding_dismissed_on_review_decides_nothing():
    from compliance.reports.decision import required_actions, verdicts
    from compliance.reports.plan import action_plan
    from compliance.reports.view_schools import schools_of

    # factories: findings 0-2 are INT-01, 3 INT-02, 4 INT-03 (all "finding"); the reviewer
    # dismissed the first two INT-01 findings and confirmed the third.
    reviews = {0: {"status": "dismissed", "note": "data error"}, "1": {"status": "dismissed", "note": ""},
               2: {"status": "confirmed", "note": ""}}
    ctx = make_context(status="Decided", decision=DECISION, finding_reviews=reviews)
    integration = next(v for v in verdicts(ctx) if v["key"] == "integration")
    assert integration["verdict"] == ("not met: 3 findings (racially identifiable schools: 1; intensely segregated "
                                      "schools: 1; economically identifiable schools: 1); "
                                      "2 findings dismissed on review")
    assert integration["status"] == "not met"
    answered = set().union(*(a["findings"] for a in required_actions(ctx, action_plan(ctx, schools_of(ctx))[0])))
    assert answered and not answered & {1, 2}  # finding numbers are indexes + 1

    from compliance.reports.summary import summary
    sentences = " ".join(summary(ctx, schools_of(ctx), {"errors": 0, "warnings": 0})["sentences"])
    assert ("On review the state dismissed 2 of the findings, giving its reason under each; the result by area "
            "on page 1 leaves them out.") in sentences

    all_dismissed = {i: {"status": "dismissed", "note": ""} for i in range(5)}
    ctx = make_context(status="Decided", decision=DECISION, finding_reviews=all_dismissed)
    integration = next(v for v in verdicts(ctx) if v["key"] == "integration")
    assert integration["verdict"] == ("met, with 1 warning to explain (district evenness (dissimilarity): 1); "
                                      "5 findings dismissed on review")
    assert integration["status"] == "met"


def test_the_corrective_action_plan_heads_the_required_actions(tmp_path):
    from datetime import date

    actions = [{"description": "Rebalance North Hills Elementary", "due_on": date(2027, 3, 1),
                "status": "Waiting for the district's plan", "finding": 2},
               {"description": "Adopt the new attendance zones", "due_on": date(2027, 4, 1),
                "status": "Waiting for the district's plan", "finding": None}]
    ctx = make_context(status="Decided", decision=DECISION, corrective_actions=actions,
                       response_due=("Next corrective action due", "March 1, 2027"))
    first = _squash(_pages(ctx, tmp_path)[0])
    # The status is as it stood when the PDF was made (the header may wrap in its column).
    assert re.search(r"Corrective action plan set by the state Action Due Status when this (report was made )?Answers",
                     first)
    # One row per action (the status may wrap onto a second line of the layout).
    assert re.search(r"Rebalance North Hills Elementary March 1, 2027 Waiting for the district's (?:plan )?finding 3",
                     first)
    assert re.search(r"Adopt the new attendance zones April 1, 2027 Waiting for the district's (?:plan )?the decision",
                     first)
    assert "Technical assistance for meeting them, from the action plan:" in first
    assert "Next corrective action due March 1, 2027" in first
