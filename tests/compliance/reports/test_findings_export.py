"""The findings CSV's recommendations: numbers of students hidden by their place in the sentence.

The zoned demo's middle schools hold small cells (North Middle School 0321: 3 American Indian
students; South Middle School 0322: 2). Their recommendations print grade spans, school counts
and years that happen to equal those counts; none of them is a number of students, so every one
stays as the rules wrote it.
"""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from compliance.demo import demo_workbook
from compliance.reports.exports import findings_csv
from compliance.reports.render import render_report_html
from compliance.rules.evaluate import RuleSetRef, evaluate_workbook
from compliance.rules.model import WorkbookData
from compliance.rules.ruleset import default_params

from .factories import make_context

GRADE_CENTERS = (
    "Grade-center assignment (the Clinton, Mississippi model): With 2 schools in the middle band, Riverside "
    "County Schools could organize them by grade level rather than by neighborhood, so that every child of a "
    "grade attends the same school and moves through the system together. Clinton Public Schools (Mississippi) "
    "has done so since the early 1970s (K-1, 2-3, 4-5, 6, 7-8, 9, 10-12); the black-white gap in 7th-grade ELA "
    "proficiency there fell from 33 to 11 points between 2009 and 2013. The model fits small and mid-sized "
    "districts; the district itself notes it is harder in large ones. Estimate: as grade centers ({north} (6-7), "
    "{south} (8)), every school would have the band's mix, about 56% students of color and 52% economically "
    "disadvantaged; about 657 students (49% of the band's 1,330) would attend another building."
)
REDRAW = (
    "Redraw attendance zones or adopt controlled choice: Where Riverside County Schools assigns students by "
    "neighborhood zones, redrawing the boundaries (for example pairing or extending zones across neighborhoods "
    "of different composition), or letting families rank schools with a diversity goal built into the "
    "assignment (controlled choice), can bring each school's enrollment closer to the band's. Estimate: about "
    "235 student reassignments (17.7% of the band's 1,330 students) would bring every school of the band within "
    "the bands; the largest enrollment changes: 235 students between {north} and {south} (130 students to "
    "{south}, 105 students to {north})."
)
ASSISTANCE = (
    "Ask for technical assistance: The state agency's technical assistance staff and the regional Equity "
    "Assistance Center serving your state (one of the four funded under Title IV of the Civil Rights Act of "
    "1964) can help plan and carry out changes like this one."
)


def middle_school_advice(north: str, south: str) -> str:
    names = {"north": north, "south": south}
    return " | ".join([GRADE_CENTERS.format(**names), REDRAW.format(**names), ASSISTANCE])


def evaluated(south_name: str = "South Middle School") -> tuple[WorkbookData, dict]:
    wb = demo_workbook("zoned", "2026-27")
    south = next(s for s in wb.schools if s.school_id == "0322")
    south.school_name = south_name
    return wb, evaluate_workbook(wb, rule_set=RuleSetRef("State default", "1", default_params()))


def csv_rows(wb: WorkbookData, result: dict) -> list[dict[str, str]]:
    raw = findings_csv(evaluation=result, schools=wb.schools, min_cell=10)
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.fixture(scope="module")
def zoned() -> tuple[WorkbookData, dict]:
    return evaluated()


def test_the_zoned_samples_small_cells_are_the_digits_of_its_advice(zoned):
    wb, _ = zoned
    north, south = (next(s for s in wb.schools if s.school_id == sid) for sid in ("0321", "0322"))
    assert (north.american_indian, south.american_indian) == (3, 2)


def test_grade_spans_and_school_counts_stay_as_written(zoned):
    rows = csv_rows(*zoned)
    seven, eight = rows[6], rows[7]
    assert [(r["rule"], r["school_id"]) for r in (seven, eight)] == [("INT-01", "0321"), ("INT-01", "0322")]
    expected = middle_school_advice("North Middle School", "South Middle School")
    assert seven["recommendations"] == expected
    assert eight["recommendations"] == expected


def test_a_school_named_with_a_small_counts_digit_keeps_its_name():
    wb, result = evaluated(south_name="P.S. 2")  # P.S. 2 has 2 American Indian students
    rows = csv_rows(wb, result)
    assert rows[7]["message"].startswith("P.S. 2 (0322) is racially identifiable: 89.4% students of color")
    assert rows[6]["recommendations"] == middle_school_advice("North Middle School", "P.S. 2")
    assert rows[7]["recommendations"] == middle_school_advice("North Middle School", "P.S. 2")


def test_numbers_of_students_are_hidden_by_their_role_not_their_value(zoned):
    wb, _ = zoned
    body = ("Move 3 students from P.S. 2 to North Middle School (grades 2-3); 12 students between P.S. 2 and "
            "South Middle School (6 students each way); 2 schools share 14 Black students.")
    finding = {"rule": "INT-01", "severity": "finding", "scope": "school", "school_id": "0322", "band": "middle",
               "message": "", "recommendations": [{"title": "Pair schools", "body": body}]}
    [row] = csv_rows(wb, {"findings": [finding]})
    assert row["recommendations"] == (
        "Pair schools: Move <10 students from P.S. 2 to North Middle School (grades 2-3); <20 students between "
        "P.S. 2 and South Middle School (<10 students each way); 2 schools share 14 Black students.")


def test_a_reviewers_comment_keeps_its_names_and_hides_its_numbers_of_students(zoned):
    wb, result = zoned
    comment = {"author": "Dana Whitfield", "created_at": datetime(2026, 11, 30, 9, 0, tzinfo=UTC), "finding": 7,
               "body": "P.S. 2 and grades 2-3: only 2 American Indian students, 130 students to move."}
    ctx = make_context(evaluation=result, schools=wb.schools, comments=[comment],
                       finding_reviews={7: {"status": "confirmed", "note": "2 schools, 3 students each."}})
    html = render_report_html(ctx)
    assert "P.S. 2 and grades 2-3: only &lt;10 American Indian students, 130 students to move." in html
    assert "Confirmed: 2 schools, &lt;10 students each." in html
