"""A school of fewer than 10 pupils: no table, estimate or export gives its enrollment back.

The lottery demo with one more school, Tiny Rural School: K-5, 7 pupils (5 Black, 2 white, 6
economically disadvantaged), 1.0 state/local teacher FTE, $60,000 + $7,000 state/local spending.
The comparability worksheet prints its FTE (1.0), so its pupils per teacher (7.0) would give the
7 back; the reassignment estimate keeps its 7 pupils, so its enrollment after would too.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import replace

import pytest

from compliance.demo import demo_workbook
from compliance.reports.build import build_view
from compliance.reports.exports import schools_csv
from compliance.reports.render import render_report_html
from compliance.reports.suppression import suppress_after, suppress_change, suppress_ratio
from compliance.rules.evaluate import RuleSetRef, evaluate_workbook
from compliance.rules.model import BudgetRow, SchoolRow, WorkbookData
from compliance.rules.ruleset import default_params

from .factories import make_context

TINY = SchoolRow("399", "Tiny Rural School", "K", "5", True, "attendance_zone", 7, hispanic=0, american_indian=0,
                 asian=0, black=5, pacific_islander=0, white=2, two_or_more=0, econ_disadvantaged=6)
TINY_BUDGET = BudgetRow("399", teacher_fte_state_local=1.0, teacher_fte_inexperienced=0.0,
                        personnel_state_local=60000.0, nonpersonnel_state_local=7000.0, federal=4000.0)


def with_tiny_school(params: dict | None = None, fte: float = 1.0) -> tuple[WorkbookData, dict]:
    wb = demo_workbook("lottery", "2026-27")
    wb.schools.append(TINY)
    wb.budget.append(replace(TINY_BUDGET, teacher_fte_state_local=fte))
    return wb, evaluate_workbook(wb, rule_set=RuleSetRef("State default", "1", params or default_params()))


@pytest.fixture(scope="module")
def report():
    wb, result = with_tiny_school()
    ctx = make_context(evaluation=result, schools=wb.schools, budget=wb.budget, lottery_rows=len(wb.lottery),
                       district_name=wb.district.district_name, district_id=wb.district.district_id)
    return wb, result, build_view(ctx), render_report_html(ctx)


def test_the_estimate_keeps_the_tiny_schools_seven_pupils(report):
    _, result, _, _ = report
    after = [r["estimate"]["school_after"] for f in result["findings"] if f.get("school_id") == "399"
             for r in f.get("recommendations") or [] if (r.get("estimate") or {}).get("school_after")]
    assert after and all(a["enrollment_before"] == 7 and a["enrollment"] == 7 for a in after)


def test_appendix_b_hides_its_pupils_per_teacher(report):
    _, _, view, _ = report
    [row] = [r for r in view.data["rows"] if r["id"] == "399"]
    assert (row["band"], row["enrollment"], row["soc"], row["ed"], row["groups"], row["ppe"], row["spt"],
            row["rules"]) == ("Elem.", "<10", "*", "*", ["*"] * 7, "$9,571", "*", "INT-01, INT-03")


def test_the_worksheet_prints_its_fte_and_hides_the_ratio(report):
    _, _, view, _ = report
    rows = [r for band in view.worksheet["bands"] for r in band["rows"] if r["id"] == "399"]
    assert [(r["enrollment"], r["fte"], r["ratio"], r["staff_ok"]) for r in rows] == [("<10", "1.0", "*",
                                                                                       "exempt (under 100)")]


def test_the_action_plans_table_of_schools_after_the_change(report):
    _, _, _, html = report
    rows = re.findall(r'<tr><th scope="row">Tiny Rural School</th>((?:<td>[^<]*</td>)+)</tr>', html)
    assert rows and set(rows) == {"<td>&lt;10</td><td>*</td><td>*</td>"}
    # The other schools of the band keep their numbers: Oak Park Elementary, 394 pupils now.
    assert re.search(r'<tr><th scope="row">Oak Park Elementary</th><td>\d{3}</td><td>\d+\.\d%</td>', html)


def test_schools_csv_hides_its_pupils_per_teacher(report):
    wb, result, _, _ = report
    text = schools_csv(evaluation=result, schools=wb.schools, min_cell=10).decode("utf-8-sig")
    [row] = [r for r in csv.DictReader(io.StringIO(text)) if r["school_id"] == "399"]
    assert (row["enrollment_total"], row["black"], row["white"], row["econ_disadvantaged"], row["black_share"],
            row["ppe_state_local"], row["students_per_teacher"]) == ("<10", "<10", "<10", "<10", "*", "9571.43", "*")


def test_a_res01_finding_about_it_hides_the_ratio_in_its_message_and_evidence():
    # A rule set that checks schools of any size, and 0.3 FTE: 23.33 pupils per teacher, over the limit.
    params = default_params()
    params["RES-01"]["min_enrollment"] = 0
    wb, result = with_tiny_school(params, fte=0.3)
    ctx = make_context(evaluation=result, schools=wb.schools, budget=wb.budget, rule_params=params)
    text = re.sub(r"<[^>]+>", " ", render_report_html(ctx))
    assert "Title I school Tiny Rural School (399) has * students per state/local-funded teacher (&lt;10 / 0.3 FTE)" \
        in text
    assert "23.33" not in text


def test_the_helpers_decide_by_the_enrollment_alone():
    assert [suppress_ratio(7.0, "7.0", n) for n in (0, 1, 9, 10)] == ["7.0", "*", "*", "7.0"]
    assert suppress_ratio(None, "no teachers", 7) == "no teachers"  # no ratio says nothing of the enrollment
    # after, before -> printed: a school under the threshold now stays hidden after.
    assert [suppress_after(a, b) for a, b in ((7, 7), (25, 7), (0, 7), (25, 30), (5, 30), (12, 0))] == [
        "<10", "*", "*", "25", "<10", "12"]
    assert [suppress_change(b, a) for b, a in ((7, 25), (30, 5), (30, 42), (30, 30))] == ["*", "*", "+12", "0"]
