"""RES-01/RES-02 remedy estimates read from the rules' comparability worksheet: hand-worked numbers."""
from __future__ import annotations

import pytest

from compliance.rules.model import WorkbookData
from compliance.rules.recommendations import recommend
from compliance.rules.remedies import comparability_remedy, quartiles
from compliance.rules.remedies_resources import ComparabilityIndex, comparability_estimate
from compliance.rules.resources import evaluate_resources

from .test_resources import budget, only_rules, school, workbook
from .worksheet_district import district_workbook

# The worksheet district (worksheet_district.py), worked by hand, limits 110% and 90%:
# Elementary staff pool A + B: 600 pupils / 30 FTE = 20, threshold 22. Spending pool A + B + C:
# $7,100,000 / 750 pupils, threshold $8,520.
# T2 (250 pupils, 10 FTE, $2,000,000 = $8,000) fails both:
#   FTE to add 250 / 22 - 10 = 1.363636; to move from A and B: 250 / (10 + x) = 1.1 x 600 / (30 - x)
#   -> x = (250 x 30 - 660 x 10) / (250 + 660) = 900 / 910 = 0.989011 (then 22.75 against 1.1 x 20.68).
#   Dollars to add (8,520 - 8,000) x 250 = 130,000; to move: (2e6 + X) / 250 = 0.9 (7.1e6 - X) / 750
#   -> X = (0.9 x 250 x 7.1e6 - 750 x 2e6) / (750 + 225) = 97,500,000 / 975 = 100,000 ($8,400 each side).
# T3 (120 pupils, no teachers, $10,000) fails staff only: add 120 / 22 = 5.454545; move
#   (120 x 30 - 0) / (120 + 660) = 3600 / 780 = 4.615385.
# Middle (every school of 100+ pupils Title I, so the band pools M1 + M2): M2 (300 pupils, 10 FTE,
#   $2,400,000) fails both. Adding x FTE to M2 moves the pool: 300 / (10 + x) = 1.1 x 800 / (35 + x)
#   -> x = (300 x 35 - 880 x 10) / (880 - 300) = 1700 / 580 = 2.931034. Dollars:
#   (2.4e6 + X) / 300 = 0.9 (7.4e6 + X) / 800 -> X = (0.9 x 300 x 7.4e6 - 800 x 2.4e6) / (800 - 270)
#   = 78,000,000 / 530 = 147,169.81.
T2_STAFF = {"comparison_ratio": 20.0, "target_ratio": 22.0, "students_per_teacher": 25.0, "current_fte": 10.0,
            "fte_to_add": 250 / 22 - 10, "fte_to_move_from_comparison": 900 / 910, "limit": 1.1}
T2_SPENDING = {"ppe": 8_000.0, "comparison_ppe": 7_100_000 / 750, "target_ppe": 8_520.0, "limit": 0.9,
               "dollars_to_add": 130_000.0, "dollars_to_move_from_comparison": 100_000.0}
T3_STAFF = {"students_per_teacher": None, "current_fte": 0.0, "fte_to_add": 120 / 22,
            "fte_to_move_from_comparison": 3600 / 780}
M2_STAFF = {"comparison_ratio": 800 / 35, "fte_to_add": 1700 / 580, "fte_to_move_from_comparison": None}
M2_SPENDING = {"comparison_ppe": 9_250.0, "dollars_to_add": 78_000_000 / 530,
               "dollars_to_move_from_comparison": None}


def assert_part(part: dict | None, expected: dict) -> None:
    assert part is not None
    for key, value in expected.items():
        assert part[key] == (pytest.approx(value, rel=1e-12) if value is not None else None), key


def test_hand_worked_estimates_of_the_worksheet_district():
    wb = district_workbook()
    t2 = comparability_remedy(wb, "T2")
    assert t2 is not None
    assert (t2["band"], t2["enrollment"], t2["comparison"]) == ("elementary", 250, "non-Title I schools in the band")
    assert t2["comparison_schools"] == 2  # A and B: C reports no teachers, S is under 100 pupils
    assert_part(t2["res01"], T2_STAFF)
    assert_part(t2["res02"], T2_SPENDING)
    t3 = comparability_remedy(wb, "T3")
    assert_part(t3["res01"], T3_STAFF)
    assert t3["res02"] is None  # $10,000 per pupil meets $8,520
    m2 = comparability_remedy(wb, "M2")
    assert m2["comparison"] == "all schools in the band (every school is Title I)"
    assert_part(m2["res01"], M2_STAFF)
    assert_part(m2["res02"], M2_SPENDING)


def test_no_estimate_where_the_rules_make_no_finding():
    wb = district_workbook()
    t1 = comparability_remedy(wb, "T1")  # comparable on both tests
    assert t1 is not None and t1["res01"] is None and t1["res02"] is None
    # Non-Title I (A, C), exempt small (S, T4), alone in its band (H), no Budget row (X), no pupils (Z),
    # not in the workbook at all.
    for sid in ("A", "C", "S", "T4", "H", "X", "Z", "nobody"):
        assert comparability_remedy(wb, sid) is None, sid


def _estimates(wb: WorkbookData, params: dict) -> dict[tuple[str, str | None], dict]:
    """Each RES-01/RES-02 finding of the rules with the estimate its first recommendation carries."""
    _, findings, _ = evaluate_resources(wb, params)
    findings = [f for f in findings if f.rule in ("RES-01", "RES-02")]
    recommend(wb, findings, params, state="CA")
    out = {}
    for f in findings:
        est = f.recommendations[0].estimate
        assert est is not None, (f.rule, f.school_id)
        # The estimate quotes the finding's own comparison: same pooled figure, limit and threshold.
        pooled = "comparison_ratio" if f.rule == "RES-01" else "comparison_ppe"
        target = "target_ratio" if f.rule == "RES-01" else "target_ppe"
        assert est[pooled] == f.evidence[next(k for k in f.evidence if k.startswith("comparison_pooled"))]
        assert (est["limit"], est[target]) == (f.evidence["limit"], f.evidence["threshold"])
        out[f.rule, f.school_id] = {"finding": f, "estimate": est, "body": f.recommendations[0].body}
    return out


def test_every_finding_carries_the_estimate_of_its_own_pool():
    by = _estimates(district_workbook(), only_rules(("RES-01", "RES-02")))
    assert set(by) == {("RES-01", "T2"), ("RES-01", "T3"), ("RES-01", "M2"), ("RES-02", "T2"), ("RES-02", "M2")}
    assert_part(by["RES-01", "T2"]["estimate"], T2_STAFF)
    assert_part(by["RES-02", "T2"]["estimate"], T2_SPENDING)
    assert_part(by["RES-01", "T3"]["estimate"], T3_STAFF)
    assert_part(by["RES-01", "M2"]["estimate"], M2_STAFF)
    assert_part(by["RES-02", "M2"]["estimate"], M2_SPENDING)
    # With the comparison unchanged, the FTE to add is the finding's own figure.
    t2 = by["RES-01", "T2"]
    assert t2["estimate"]["fte_to_add"] == t2["finding"].evidence["additional_fte_needed"]
    assert ("Estimate: 1.4 more state/local teacher FTE at this school would bring it to 22.00 students per "
            "teacher (or 1.0 FTE moved from the comparison schools).") in t2["body"]
    assert ("Estimate: $130,000 more state/local spending at this school would bring it to $8,520 per pupil "
            "(or $100,000 moved from the comparison schools).") in by["RES-02", "T2"]["body"]
    assert "Estimate: 2.9 more state/local teacher FTE at this school would bring it to 25.14" in by["RES-01", "M2"][
        "body"]


def test_duplicate_budget_rows_count_the_first_as_the_rules_do():
    # A second row for T2 (20 FTE, $3,000,000: comparable) and for B (5 FTE, $500,000) after the first:
    # the rules count the first rows, so every figure stays as worked out above.
    wb = district_workbook()
    wb.budget += [budget("T2", fte=20, dollars=3_000_000), budget("B", fte=5, dollars=500_000)]
    t2 = comparability_remedy(wb, "T2")
    assert_part(t2["res01"], T2_STAFF)
    assert_part(t2["res02"], T2_SPENDING)
    by = _estimates(wb, only_rules(("RES-01", "RES-02")))
    assert ("RES-01", "T2") in by and ("RES-02", "T2") in by
    assert_part(by["RES-02", "T2"]["estimate"], T2_SPENDING)


def test_duplicate_budget_rows_in_the_quartiles_count_the_first():
    # Four schools, one per quartile; L's second Budget row ($9,000,000) is not the one counted.
    schools = [school(sid, 100, ed=ed) for sid, ed in (("L", 10), ("M1", 30), ("M2", 60), ("H", 90))]
    budgets = [budget(sid, dollars=1_000_000) for sid in ("L", "M1", "M2", "H")]
    budgets.append(budget("L", dollars=9_000_000))
    groups = quartiles(workbook(schools, budgets))
    assert groups is not None
    assert [(s.school_id, b.personnel_state_local) for s, b in groups[0]] == [("L", 1_000_000)]


def test_non_title_i_pool_of_one_school():
    # Elementary: non-Title I A (400 pupils, 20 FTE, $3,600,000) is the whole pool (S is under 100).
    # Title I T2 (250, 10 FTE, $2,000,000): 25 > 1.1 x 20 = 22; add 250 / 22 - 10 = 1.363636, move
    # (250 x 20 - 440 x 10) / (250 + 440) = 600 / 690 = 0.869565 (then 23.0 against 1.1 x 20.909).
    # Spending: pool $9,000, threshold $8,100; add 100 x 250 = 25,000; move
    # (0.9 x 250 x 3.6e6 - 400 x 2e6) / (400 + 225) = 10,000,000 / 625 = 16,000 ($8,064 each side).
    wb = workbook([school("A", 400), school("S", 60), school("T2", 250, title_i=True)],
                  [budget("A", fte=20, dollars=3_600_000), budget("S", fte=2, dollars=900_000),
                   budget("T2", fte=10, dollars=2_000_000)])
    r = comparability_remedy(wb, "T2")
    assert r["comparison_schools"] == 1
    assert_part(r["res01"], {"comparison_ratio": 20.0, "fte_to_add": 250 / 22 - 10,
                             "fte_to_move_from_comparison": 600 / 690})
    assert_part(r["res02"], {"comparison_ppe": 9_000.0, "dollars_to_add": 25_000.0,
                             "dollars_to_move_from_comparison": 16_000.0})
    assert set(_estimates(wb, only_rules(("RES-01", "RES-02")))) == {("RES-01", "T2"), ("RES-02", "T2")}


def test_all_title_i_staff_pool_of_one_school():
    # Middle, all Title I: M1 (500 pupils, 25 FTE) is the whole staff pool, M2 (300 pupils) reports no
    # teachers: pooled 20, threshold 22, M2 fails. Its first FTE bring M2 into the pool, pupils and all:
    # 300 / x = 1.1 x 800 / (25 + x) -> x = 300 x 25 / (880 - 300) = 12.931034 (then 23.2 on both sides;
    # counting the pool without M2's pupils would say 7500 / 250 = 30).
    wb = workbook([school("M1", 500, title_i=True, band="middle"), school("M2", 300, title_i=True, band="middle")],
                  [budget("M1", fte=25, dollars=5_000_000), budget("M2", fte=0, dollars=3_000_000)])
    r = comparability_remedy(wb, "M2")
    assert r["comparison_schools"] == 1
    assert_part(r["res01"], {"comparison_ratio": 20.0, "target_ratio": 22.0, "fte_to_add": 7500 / 580,
                             "fte_to_move_from_comparison": None})
    assert set(_estimates(wb, only_rules(("RES-01",)))) == {("RES-01", "M2")}


def test_all_title_i_pool_of_one_is_the_school_itself():
    # Title I T (300 pupils, 15 FTE = 20 per teacher) is the only school of its band with 100+ pupils,
    # and every such school is Title I: it is compared with itself (20 <= 22), comparable, no remedy.
    wb = workbook([school("T", 300, title_i=True), school("U", 50, title_i=True), school("V", 40)],
                  [budget("T", fte=15, dollars=1_000_000), budget("U", fte=1, dollars=900_000),
                   budget("V", fte=4, dollars=900_000)])
    r = comparability_remedy(wb, "T")
    assert r is not None and r["comparison_schools"] == 1
    assert (r["res01"], r["res02"]) == (None, None)
    _, findings, _ = evaluate_resources(wb, only_rules(("RES-01", "RES-02")))
    assert findings == []


def test_each_rule_reads_its_own_pool():
    # RES-02 with a 300-pupil minimum: the elementary spending pool is A alone ($9,000, threshold
    # $8,100) and T2 (250 pupils) is exempt from it, while RES-01 (100) still finds T2 as above.
    params = only_rules(("RES-01", "RES-02"))
    params["RES-02"]["min_enrollment"] = 300
    index = ComparabilityIndex(district_workbook(), params)
    assert_part(comparability_estimate(index, "T2", "RES-01"), T2_STAFF)
    assert comparability_estimate(index, "T2", "RES-02") is None
    t1 = comparability_remedy(district_workbook(), "T1", index=index)
    assert t1["res02"] is None  # $9,500 meets $8,100
