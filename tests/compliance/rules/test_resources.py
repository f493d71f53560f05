"""Resource measures, RES-01..RES-05 and plausibility warnings: hand-worked numbers."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from compliance.rules.model import BudgetRow, SchoolRow, WorkbookData
from compliance.rules.resource_measures import (
    RESOURCE_KEYS,
    federal_range_ratio,
    mcloone_index,
    pooled_students_per_teacher,
    pupil_weighted_mean_and_cv,
    pupil_weighted_percentile,
    quartile_labels,
    students_per_teacher,
    verstegen_index,
)
from compliance.rules.resources import evaluate_resources
from compliance.rules.ruleset import default_params

GRADES = {"elementary": ("K", "5"), "middle": ("6", "8"), "high": ("9", "12")}


# ------------------------------------------------------------------------------ factories


def school(
    sid: str,
    enrollment: int,
    *,
    title_i: bool = False,
    band: str = "elementary",
    ed: int = 0,
    white: int = 0,
    name: str | None = None,
    row: int | None = None,
) -> SchoolRow:
    lo, hi = GRADES[band]
    return SchoolRow(
        school_id=sid, school_name=name or f"School {sid}", grade_low=lo, grade_high=hi, title_i=title_i,
        assignment_method="attendance_zone", enrollment_total=enrollment, hispanic=enrollment - white,
        american_indian=0, asian=0, black=0, pacific_islander=0, white=white, two_or_more=0,
        econ_disadvantaged=ed, row=row,
    )


def budget(
    sid: str,
    *,
    fte: float = 10.0,
    inexperienced: float = 0.0,
    dollars: float = 1_000_000.0,
    nonpersonnel: float = 0.0,
    out_of_field: float | None = None,
    row: int | None = None,
) -> BudgetRow:
    return BudgetRow(
        school_id=sid, teacher_fte_state_local=fte, teacher_fte_inexperienced=inexperienced,
        personnel_state_local=dollars, nonpersonnel_state_local=nonpersonnel, federal=0.0,
        teacher_fte_out_of_field=out_of_field, row=row,
    )


def workbook(schools: list[SchoolRow], budgets: list[BudgetRow], *, has_budget_sheet: bool = True) -> WorkbookData:
    return WorkbookData(schools=schools, budget=budgets, has_budget_sheet=has_budget_sheet)


def only_rules(params_on: tuple[str, ...]) -> dict:
    """Default parameters with every RES rule and plausibility check off except ``params_on``."""
    params = default_params()
    for code in ("RES-01", "RES-02", "RES-03", "RES-04", "RES-05", "PLAUSIBILITY"):
        params[code]["enabled"] = code in params_on
    return params


def run(schools, budgets, on: tuple[str, ...], **kw):
    return evaluate_resources(workbook(schools, budgets), only_rules(on), **kw)


def rules_of(findings, rule: str):
    return [f for f in findings if f.rule == rule]


# ------------------------------------------------------------------------ worked examples


def test_mcloone_worked_example_38_values():
    values = [1000] * 2 + [200] * 4 + [100] * 6 + [60] * 6 + [45] * 8 + [24] * 12
    assert len(values) == 38
    assert pupil_weighted_percentile(values, [1] * 38, 0.5) == 45
    # lowest 19 pupils: 12 x 24 + 7 x 45 = 603; 603 / (19 x 45) = 0.70526
    assert mcloone_index(values, [1] * 38) == pytest.approx(0.7053, abs=5e-5)
    assert mcloone_index(values, [1] * 38) == pytest.approx(603 / 855, rel=1e-12)
    # highest 19: 2000 + 800 + 600 + 360 + 45 = 3805
    assert verstegen_index(values, [1] * 38) == pytest.approx(3805 / 855, rel=1e-12)


def test_students_per_teacher_worked_example():
    enrollments = [528, 510, 417, 726, 189, 808, 673]
    ftes = [70.2, 49.4, 38.7, 59, 16, 58, 60]
    ratios = [round(students_per_teacher(e, f), 2) for e, f in zip(enrollments, ftes)]
    assert ratios == [7.52, 10.32, 10.78, 12.31, 11.81, 13.93, 11.22]
    assert round(pooled_students_per_teacher(enrollments, ftes), 2) == 10.96

    # the same through evaluate_resources
    schools = [school(f"S{i}", e) for i, e in enumerate(enrollments)]
    budgets = [budget(f"S{i}", fte=f) for i, f in enumerate(ftes)]
    measures, _, _ = run(schools, budgets, ())
    got = [round(measures["schools"][f"S{i}"]["students_per_teacher"], 2) for i in range(7)]
    assert got == ratios
    assert round(measures["district"]["students_per_teacher_pooled"], 2) == 10.96
    assert round(measures["bands"]["elementary"]["students_per_teacher_pooled"], 2) == 10.96
    assert measures["bands"]["middle"]["students_per_teacher_pooled"] is None


def test_straddling_school_contributes_a_fraction():
    # ppe 8000 x 100 pupils, 12000 x 300: half = 200 pupils, median 12000.
    # low half = 100 x 8000 + 100 x 12000 = 2,000,000; McLoone = 2e6 / (200 x 12000) = 0.8333
    assert mcloone_index([12000, 8000], [300, 100]) == pytest.approx(2_000_000 / 2_400_000, rel=1e-12)
    # high half = 200 x 12000 = 2.4e6 -> Verstegen 1.0
    assert verstegen_index([12000, 8000], [300, 100]) == pytest.approx(1.0, rel=1e-12)
    mean, cv = pupil_weighted_mean_and_cv([8000, 12000], [100, 300])
    assert mean == pytest.approx(11000)
    # var = (100 x 3000^2 + 300 x 1000^2) / 400 = 3e6
    assert cv == pytest.approx(3e6 ** 0.5 / 11000, rel=1e-12)


# --------------------------------------------------------------------- percentiles, range


def test_percentiles_are_pupil_weighted():
    # 10 pupils at 5000, 1000 at 10000, 10 at 20000. 5% of 1020 = 51 pupils: reached at 10000.
    values, weights = [5000, 10000, 20000], [10, 1000, 10]
    assert pupil_weighted_percentile(values, weights, 0.05) == 10000
    assert pupil_weighted_percentile(values, weights, 0.95) == 10000
    assert federal_range_ratio(values, weights) == 0.0
    # unweighted (one weight per school) it would be (20000 - 5000) / 5000 = 3
    assert federal_range_ratio(values, [1, 1, 1]) == pytest.approx(3.0)


def test_percentile_at_least_is_inclusive_despite_float_error():
    # 0.05 x 60 = 3.0000000000000004 in floats: the 3 pupils at 1 are exactly 5%, so P5 = 1
    assert pupil_weighted_percentile([1, 2], [3, 57], 0.05) == 1
    # 100 of 2000 pupils is exactly 5%
    assert pupil_weighted_percentile([8000, 9000, 10000], [100, 1700, 200], 0.05) == 8000


def test_federal_range_ratio_is_difference_over_p5():
    # P5 = 8000 (100 of 2000 pupils), P95 = 10000 (1800 < 1900): (10000 - 8000) / 8000 = 0.25, not 1.25
    assert federal_range_ratio([8000, 9000, 10000], [100, 1700, 200]) == pytest.approx(0.25, rel=1e-12)


def test_quartiles_first_groups_take_extras_and_ties_by_school_id():
    labels = quartile_labels([0.5, 0.1, 0.3, 0.2, 0.4], ["e", "a", "c", "b", "d"])
    # ranked a b c d e -> sizes 2,1,1,1
    assert dict(zip("eacbd", labels.tolist())) == {"a": 0, "b": 0, "c": 1, "d": 2, "e": 3}
    labels = quartile_labels([0.2] * 7, ["g", "f", "e", "d", "c", "b", "a"])
    # all tied: order by id a..g, sizes 2,2,2,1
    assert dict(zip("gfedcba", labels.tolist())) == {"a": 0, "b": 0, "c": 1, "d": 1, "e": 2, "f": 2, "g": 3}
    assert quartile_labels([0.1, 0.2, 0.3], ["a", "b", "c"]) is None


# ------------------------------------------------------------------------------ RES-01


def _res01_band() -> tuple[list[SchoolRow], list[BudgetRow]]:
    # non-Title I pooled = (200 + 400) / (10 + 20) = 20; limit 110% -> 22
    schools = [school("A", 200), school("B", 400)]
    budgets = [budget("A", fte=10), budget("B", fte=20)]
    return schools, budgets


@pytest.mark.parametrize("enrollment, flagged", [(210, False), (220, False), (221, True), (230, True)])
def test_res01_threshold(enrollment, flagged):
    schools, budgets = _res01_band()
    schools.append(school("T", enrollment, title_i=True))
    budgets.append(budget("T", fte=10))
    _, findings, _ = run(schools, budgets, ("RES-01",))
    assert [f.school_id for f in findings] == (["T"] if flagged else [])
    if flagged:
        f = findings[0]
        assert (f.rule, f.severity, f.scope, f.band, f.rule_version) == ("RES-01", "finding", "school", "elementary",
                                                                          "1")
        ev = f.evidence
        assert ev["students_per_teacher"] == pytest.approx(enrollment / 10)
        assert ev["comparison_pooled_students_per_teacher"] == pytest.approx(20.0)
        assert ev["threshold"] == pytest.approx(22.0)
        assert ev["limit"] == 1.10
        assert ev["comparison_group"] == "non_title_i"
        assert ev["additional_fte_needed"] == pytest.approx(enrollment / 22 - 10)
        assert "22.00" in f.message and f"{enrollment / 10:.2f}" in f.message


def test_res01_small_schools_exempt_and_left_out_of_comparison():
    schools, budgets = _res01_band()
    # a small non-Title I school at 50 per teacher would pull the pooled ratio to 650/31 = 20.97 (limit 23.06)
    schools += [school("S", 50), school("T", 230, title_i=True), school("U", 99, title_i=True),
                school("V", 100, title_i=True)]
    budgets += [budget("S", fte=1), budget("T", fte=10), budget("U", fte=1), budget("V", fte=1)]
    _, findings, _ = run(schools, budgets, ("RES-01",))
    # T at 23 > 22 is flagged; U (99 students) is exempt; V (100 students, 100 per teacher) is not
    assert sorted(f.school_id for f in findings) == ["T", "V"]


def test_res01_all_title_i_band_uses_band_pooled_ratio():
    # pooled over the band = 500 / 20 = 25 -> limit 27.5; T2 at 30 fails, T1 at 20 passes
    schools = [school("T1", 200, title_i=True), school("T2", 300, title_i=True)]
    budgets = [budget("T1", fte=10), budget("T2", fte=10)]
    _, findings, _ = run(schools, budgets, ("RES-01",))
    assert [f.school_id for f in findings] == ["T2"]
    assert findings[0].evidence["comparison_group"] == "band"
    assert findings[0].evidence["threshold"] == pytest.approx(27.5)


def test_res01_one_school_per_band_is_exempt():
    schools = [school("E", 300, title_i=True), school("M", 200, band="middle"),
               school("H", 900, band="high", title_i=True)]
    budgets = [budget("E", fte=10), budget("M", fte=20), budget("H", fte=10)]
    _, findings, _ = run(schools, budgets, ("RES-01", "RES-02"))
    assert findings == []


def test_res01_bands_compared_separately():
    # a middle non-Title I school at 10 per teacher must not set the elementary comparison
    schools, budgets = _res01_band()
    schools += [school("T", 215, title_i=True), school("M1", 200, band="middle"), school("M2", 200, band="middle")]
    budgets += [budget("T", fte=10), budget("M1", fte=20), budget("M2", fte=20)]
    _, findings, _ = run(schools, budgets, ("RES-01",))
    assert findings == []


def test_res01_zero_fte():
    schools, budgets = _res01_band()
    # a non-Title I school with no FTE is left out of the pooled ratio (else 900/30 = 30, limit 33)
    schools += [school("Z", 300), school("T", 230, title_i=True), school("N", 150, title_i=True)]
    budgets += [budget("Z", fte=0, row=9), budget("T", fte=10), budget("N", fte=0, row=11)]
    measures, findings, problems = run(schools, budgets, ("RES-01",))
    assert measures["schools"]["Z"]["students_per_teacher"] is None
    assert measures["schools"]["N"]["students_per_teacher"] is None
    # pooled measure: schools reporting teachers only = (200 + 400 + 230) / 40
    assert measures["district"]["students_per_teacher_pooled"] == pytest.approx(830 / 40)
    by_id = {f.school_id: f for f in findings}
    assert sorted(by_id) == ["N", "T"]
    assert by_id["N"].evidence["students_per_teacher"] is None
    assert by_id["N"].evidence["additional_fte_needed"] == pytest.approx(150 / 22)
    zero = [(p.code, p.severity, p.sheet, p.row, p.column, p.value) for p in problems]
    assert zero == [
        ("DATA-44", "warning", "Budget", 9, "teacher_fte_state_local", 0),
        ("DATA-44", "warning", "Budget", 11, "teacher_fte_state_local", 0),
    ]


# ------------------------------------------------------------------------------ RES-02


@pytest.mark.parametrize("ppe, flagged", [(9600, False), (9540, False), (9539, True), (9500, True)])
def test_res02_threshold(ppe, flagged):
    # non-Title I pooled = (2,000,000 + 3,300,000) / 500 = 10,600; 90% -> 9,540
    schools = [school("A", 200), school("B", 300), school("T", 200, title_i=True)]
    budgets = [budget("A", dollars=1_500_000, nonpersonnel=500_000), budget("B", dollars=3_300_000),
               budget("T", dollars=ppe * 200)]
    _, findings, _ = run(schools, budgets, ("RES-02",))
    assert [f.school_id for f in findings] == (["T"] if flagged else [])
    if flagged:
        ev = findings[0].evidence
        assert ev["ppe_state_local"] == pytest.approx(ppe)
        assert ev["comparison_pooled_ppe"] == pytest.approx(10_600)
        assert ev["threshold"] == pytest.approx(9_540)
        assert ev["additional_dollars_needed"] == pytest.approx((9_540 - ppe) * 200)
        assert "$9,540.00" in findings[0].message


def test_res02_exemptions():
    # small Title I school exempt; small non-Title I school (20,000/pupil) left out of the pooled figure
    schools = [school("A", 200), school("B", 300), school("S", 50), school("U", 99, title_i=True),
               school("T", 200, title_i=True)]
    budgets = [budget("A", dollars=2_000_000), budget("B", dollars=3_300_000), budget("S", dollars=1_000_000),
               budget("U", dollars=99 * 5000), budget("T", dollars=200 * 9540)]
    _, findings, _ = run(schools, budgets, ("RES-02",))
    assert findings == []  # with S included the pooled figure would be 11,454.5 and T would fail


# ------------------------------------------------------------------------------ RES-03


def _quartile_schools(ppe_low: tuple[float, float], ppe_high: tuple[float, float]):
    """8 schools, ED shares .1 .15 | .2 .25 | .3 .35 | .4 .45; lowest quartile enrollments 100/300."""
    spec = [("Q1a", 100, 10, ppe_low[0]), ("Q1b", 300, 45, ppe_low[1]),
            ("Q2a", 100, 20, 10_000), ("Q2b", 100, 25, 10_000),
            ("Q3a", 100, 30, 10_000), ("Q3b", 100, 35, 10_000),
            ("Q4a", 200, 80, ppe_high[0]), ("Q4b", 200, 90, ppe_high[1])]
    schools = [school(sid, n, ed=ed) for sid, n, ed, _ in spec]
    budgets = [budget(sid, dollars=n * ppe) for sid, n, _, ppe in spec]
    return schools, budgets


@pytest.mark.parametrize("high, flagged", [(11_500, False), (12_000, False), (11_000, True)])
def test_res03_progressivity(high, flagged):
    # lowest-poverty quartile: (100 x 10,000 + 300 x 12,000) / 400 = 11,500
    schools, budgets = _quartile_schools((10_000, 12_000), (high, high))
    measures, findings, _ = run(schools, budgets, ("RES-03",))
    d = measures["district"]
    assert d["ppe_lowest_poverty_quartile"] == pytest.approx(11_500)
    assert d["ppe_highest_poverty_quartile"] == pytest.approx(high)
    assert d["progressivity"] == pytest.approx(high / 11_500)
    # all schools are elementary: the district and the band give the same result
    assert [(f.scope, f.band) for f in findings] == ([("district", None), ("band", "elementary")] if flagged else [])
    if flagged:
        ev = findings[0].evidence
        assert ev["progressivity"] == pytest.approx(11_000 / 11_500)
        assert ev["min_ratio"] == 1.0
        # move d: (4.4e6 + d) / 400 = (4.6e6 - d) / 400 -> d = 100,000
        assert ev["dollars_to_move"] == pytest.approx(100_000)


def test_res03_needs_four_schools():
    schools = [school("A", 100, ed=10), school("B", 100, ed=90), school("C", 100, ed=50)]
    budgets = [budget("A", dollars=2_000_000), budget("B", dollars=500_000), budget("C", dollars=1_000_000)]
    measures, findings, _ = run(schools, budgets, ("RES-03", "RES-04"))
    assert measures["district"]["progressivity"] is None
    assert measures["district"]["inexperienced_gap_poverty"] is None
    assert findings == []


# ------------------------------------------------------------------------------ RES-04


@pytest.mark.parametrize("inexperienced_high, gap, flagged",
                         [(5.0, 0.025, False), (6.0, 0.05, False), (6.4, 0.06, True)])
def test_res04_poverty_gap(inexperienced_high, gap, flagged):
    # quartiles of one school each; low: 4 / 40 = 10%; high: x / 40
    schools = [school(s, 400, ed=ed, white=400 - ed) for s, ed in (("A", 40), ("B", 120), ("C", 200), ("D", 360))]
    budgets = [budget("A", fte=40, inexperienced=4), budget("B", fte=40, inexperienced=4),
               budget("C", fte=40, inexperienced=4), budget("D", fte=40, inexperienced=inexperienced_high)]
    measures, findings, _ = run(schools, budgets, ("RES-04",))
    assert measures["district"]["inexperienced_gap_poverty"] == pytest.approx(gap)
    # students of color = enrollment - white = ED here, so the same quartiles
    assert measures["district"]["inexperienced_gap_students_of_color"] == pytest.approx(gap)
    district = [f for f in findings if f.scope == "district"]
    assert sorted(f.evidence["quartiles_by"] for f in district) == (["poverty", "students_of_color"] if flagged else [])
    if flagged:
        ev = district[0].evidence
        assert ev["gap"] == pytest.approx(0.06)
        assert ev["max_gap"] == 0.05
        assert ev["inexperienced_rate_highest_quartile"] == pytest.approx(0.16)
        assert ev["inexperienced_rate_lowest_quartile"] == pytest.approx(0.10)
        assert ev["inexperienced_fte_to_swap"] == pytest.approx(0.4)
        assert "6.0 points" in district[0].message


def test_res04_students_of_color_quartiles_differ_from_poverty():
    # ED order A<B<C<D, students-of-color order D<C<B<A
    schools = [school("A", 100, ed=10, white=10), school("B", 100, ed=20, white=30),
               school("C", 100, ed=30, white=50), school("D", 100, ed=40, white=70)]
    budgets = [budget("A", fte=10, inexperienced=1, out_of_field=0),
               budget("B", fte=10, inexperienced=2, out_of_field=1),
               budget("C", fte=10, inexperienced=2, out_of_field=1),
               budget("D", fte=10, inexperienced=3, out_of_field=2)]
    measures, findings, _ = run(schools, budgets, ("RES-04",))
    d = measures["district"]
    assert d["inexperienced_gap_poverty"] == pytest.approx(0.3 - 0.1)  # D minus A
    assert d["inexperienced_gap_students_of_color"] == pytest.approx(0.1 - 0.3)  # A minus D
    assert d["out_of_field_gap_poverty"] == pytest.approx(0.2)
    assert d["out_of_field_gap_students_of_color"] == pytest.approx(-0.2)
    assert sorted((f.scope, f.evidence["quartiles_by"]) for f in findings) == [
        ("band", "poverty"), ("district", "poverty")]


def test_out_of_field_gap_none_when_not_provided():
    schools = [school(s, 100, ed=ed) for s, ed in (("A", 10), ("B", 20), ("C", 30), ("D", 40))]
    budgets = [budget("A", out_of_field=1), budget("B"), budget("C"), budget("D", out_of_field=2)]
    measures, _, _ = run(schools, budgets, ())
    # A (low) and D (high) gave it: 2/10 - 1/10
    assert measures["district"]["out_of_field_gap_poverty"] == pytest.approx(0.1)
    budgets[0] = budget("A")
    measures, _, _ = run(schools, budgets, ())
    assert measures["district"]["out_of_field_gap_poverty"] is None


# ------------------------------------------------------------------------------ RES-05


def _res05(ppes: list[float], pupils: list[int], params: dict | None = None):
    schools = [school(f"S{i}", n) for i, n in enumerate(pupils)]
    budgets = [budget(f"S{i}", dollars=ppe * n) for i, (ppe, n) in enumerate(zip(ppes, pupils))]
    return evaluate_resources(workbook(schools, budgets), params or only_rules(("RES-05",)))


@pytest.mark.parametrize("low, high, cv, failed", [
    (9100, 10900, 0.09, []), (9000, 11000, 0.10, []), (8900, 11100, 0.11, ["cv"])])
def test_res05_cv(low, high, cv, failed):
    # equal pupils: mean 10,000, sd = (high - low) / 2. McLoone 1, range ratio < 0.25
    measures, findings, _ = _res05([low, high], [100, 100])
    assert measures["district"]["cv"] == pytest.approx(cv)
    assert measures["district"]["mcloone"] == pytest.approx(1.0)
    assert [f.evidence["failed"] for f in findings] == ([failed, failed] if failed else [])
    if failed:
        assert findings[0].severity == "warning" and findings[0].scope == "district"
        assert findings[0].evidence["max_cv"] == 0.10


@pytest.mark.parametrize("low, mcloone, failed", [(9100, 0.955, []), (9000, 0.95, []), (8900, 0.945, ["mcloone"])])
def test_res05_mcloone(low, mcloone, failed):
    # 4 x 100 pupils at low, 10k, 10k, 10k: median 10,000; low half = 100 x low + 100 x 10,000
    measures, findings, _ = _res05([low, 10_000, 10_000, 10_000], [100] * 4)
    assert measures["district"]["mcloone"] == pytest.approx(mcloone)
    assert measures["district"]["cv"] < 0.10
    assert [f.evidence["failed"] for f in findings] == ([failed, failed] if failed else [])


@pytest.mark.parametrize("p5, failed", [(8010, []), (8000, []), (7990, ["federal_range_ratio"])])
def test_res05_range_ratio(p5, failed):
    measures, findings, _ = _res05([p5, 9000, 10_000], [100, 1700, 200])
    assert measures["district"]["federal_range_ratio"] == pytest.approx((10_000 - p5) / p5)
    assert measures["district"]["p5"] == p5 and measures["district"]["p95"] == 10_000
    assert [f.evidence["failed"] for f in findings] == ([failed, failed] if failed else [])


def test_res05_severity_and_enabled_from_params():
    params = only_rules(("RES-05",))
    params["RES-05"]["severity"] = "finding"
    _, findings, _ = _res05([8000, 12000], [100, 100], params)
    assert {f.severity for f in findings} == {"finding"}
    params["RES-05"]["enabled"] = False
    assert _res05([8000, 12000], [100, 100], params)[1] == []


# --------------------------------------------------------------- missing data, JSON shape


def test_missing_budget_row_left_out_and_named():
    schools = [school("A", 100, row=2), school("B", 300, row=3), school("C", 0, row=4)]
    budgets = [budget("A", dollars=1_000_000)]
    measures, findings, problems = run(schools, budgets, ())
    assert measures["district"]["schools_counted"] == 1
    assert measures["district"]["enrollment_counted"] == 100
    assert measures["district"]["ppe_mean"] == pytest.approx(10_000)
    assert measures["schools"]["B"] == {"ppe_state_local": None, "students_per_teacher": None}
    assert measures["schools"]["C"] == {"ppe_state_local": None, "students_per_teacher": None}
    # C has no pupils, so it is not named
    assert [(p.code, p.severity, p.sheet, p.column, p.value) for p in problems] == [
        ("DATA-43", "warning", "Budget", "school_id", "B")]
    assert "row 3" in problems[0].message


@pytest.mark.parametrize("has_sheet, budgets", [(False, []), (True, [])])
def test_no_budget_sheet_or_rows_gives_nulls(has_sheet, budgets):
    schools = [school("A", 100, title_i=True, ed=10), school("B", 300, ed=200)]
    measures, findings, problems = evaluate_resources(workbook(schools, budgets, has_budget_sheet=has_sheet), None)
    assert findings == []
    assert [p.code for p in problems] == ["DATA-42"]  # plausibility of the Schools sheet still runs
    for res in [measures["district"], *measures["bands"].values()]:
        assert set(res) == set(RESOURCE_KEYS)
        assert all(res[k] is None for k in RESOURCE_KEYS if k not in ("schools_counted", "enrollment_counted"))
    assert measures["schools"]["A"] == {"ppe_state_local": None, "students_per_teacher": None}


def test_json_shape_and_no_nan():
    schools = [school("A", 200, band="middle"), school("B", 300, band="middle", title_i=True, ed=200),
               school("C", 250, ed=30), school("D", 0)]
    budgets = [budget("A", fte=0, dollars=0), budget("B", fte=20, dollars=3_000_000),
               budget("C", fte=12.5, dollars=2_500_000), budget("D", fte=0, dollars=0)]
    measures, findings, problems = evaluate_resources(workbook(schools, budgets), None)
    text = json.dumps(measures, allow_nan=False)
    assert set(json.loads(text)) == {"district", "bands", "schools"}
    assert set(measures["bands"]) == {"elementary", "middle", "high"}
    assert measures["bands"]["high"]["schools_counted"] == 0 and measures["bands"]["high"]["ppe_mean"] is None
    assert measures["schools"]["C"] == {"ppe_state_local": 10_000.0, "students_per_teacher": 20.0}
    assert measures["schools"]["D"] == {"ppe_state_local": None, "students_per_teacher": None}
    # A spends 0: the middle band's P5 is 0, so the range ratio is undefined, not infinite
    assert measures["bands"]["middle"]["p5"] == 0.0
    assert measures["bands"]["middle"]["federal_range_ratio"] is None
    json.dumps([f.as_json() for f in findings], allow_nan=False)
    json.dumps([p.as_json() for p in problems], allow_nan=False)


# ------------------------------------------------------------------------- plausibility


@pytest.mark.parametrize("now, warned", [(130, False), (131, True), (70, False), (69, True)])
def test_data40_enrollment_change(now, warned):
    schools = [school("A", now, row=5), school("B", 100)]
    _, _, problems = run(schools, [], ("PLAUSIBILITY",), previous_enrollment={"A": 100, "X": 50})
    got = [(p.code, p.severity, p.sheet, p.row, p.column, p.value) for p in problems]
    assert got == ([("DATA-40", "warning", "Schools", 5, "enrollment_total", now)] if warned else [])
    if warned:
        assert f"from 100 to {now}" in problems[0].message and problems[0].fix


def test_data41_ppe_over_three_times_median():
    schools = [school(s, 100) for s in "ABCDE"]
    # median (pupil-weighted) 10,000; D at exactly 3x is fine, E above is not
    budgets = [budget("A", dollars=1_000_000), budget("B", dollars=1_000_000), budget("C", dollars=1_000_000),
               budget("D", dollars=3_000_000), budget("E", dollars=3_000_100, row=7)]
    _, _, problems = run(schools, budgets, ("PLAUSIBILITY",))
    assert [(p.code, p.sheet, p.row, p.value) for p in problems] == [("DATA-41", "Budget", 7, 30_001.0)]
    assert "$10,000.00" in problems[0].message


def test_data42_title_i_below_district_ed_share():
    # district ED share = 200 / 500 = 40%
    schools = [school("A", 100, title_i=True, ed=50), school("B", 100, title_i=True, ed=30, row=3),
               school("C", 200, ed=80), school("D", 100, title_i=True, ed=40)]
    _, _, problems = run(schools, [], ("PLAUSIBILITY",))
    assert [(p.code, p.row, p.column, p.value) for p in problems] == [("DATA-42", 3, "title_i", "Y")]
    assert "30.0%" in problems[0].message and "40.0%" in problems[0].message


def test_data45_a_district_of_schools_without_students_is_not_silently_clean():
    # Every measure is then null and no rule can find anything: exit 0 with nothing said would
    # read as compliance.
    _, _, problems = run([school("A", 0), school("B", 0)], [], ("PLAUSIBILITY",))
    assert [(p.code, p.severity, p.sheet, p.column) for p in problems] == [
        ("DATA-45", "warning", "Schools", "enrollment_total")]
    assert "Every one of the 2 schools has an enrollment_total of 0" in problems[0].message
    _, _, problems = run([school("A", 0), school("B", 1)], [], ("PLAUSIBILITY",))
    assert problems == []  # one school with students is a district to measure


def test_plausibility_disabled():
    schools = [school("B", 100, title_i=True, ed=30), school("C", 200, ed=80)]
    _, _, problems = run(schools, [], (), previous_enrollment={"B": 10})
    assert problems == []


# ------------------------------------------------------------------------ scale and purity


def test_ten_thousand_schools():
    n = 10_000
    schools = [school(f"{i:05d}", 100 + i % 400, ed=i % 100, title_i=i % 3 == 0,
                      band=("elementary", "middle", "high")[i % 3]) for i in range(n)]
    budgets = [budget(f"{i:05d}", fte=(100 + i % 400) / 20, dollars=(100 + i % 400) * 10_000) for i in range(n)]
    measures, findings, _ = evaluate_resources(workbook(schools, budgets), None)
    d = measures["district"]
    assert d["schools_counted"] == n
    assert d["cv"] == pytest.approx(0.0, abs=1e-12) and d["mcloone"] == pytest.approx(1.0)
    assert d["progressivity"] == pytest.approx(1.0)
    assert d["students_per_teacher_pooled"] == pytest.approx(20.0)
    assert findings == []


def test_rules_package_does_not_import_django():
    root = Path(__file__).resolve().parents[3]
    code = "import sys, compliance.rules.resources; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=root).returncode == 0


def test_evaluation_json_never_carries_nan():
    from compliance.rules.evaluate import finite

    assert finite({"a": [1.0, float("nan"), {"b": float("inf")}], "c": "x", "d": None}) == {
        "a": [1.0, None, {"b": None}], "c": "x", "d": None}
