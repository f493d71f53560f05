"""The comparability worksheet (RES-01/RES-02) against hand-worked values, and the findings derived from it."""
from __future__ import annotations

import pytest

from compliance.rules.comparability import Status, comparability_findings, comparability_worksheet
from compliance.rules.resource_measures import ResourceArrays
from compliance.rules.resources import comparability, evaluate_resources

from .test_resources import budget, only_rules, school, workbook
from .worksheet_district import GROUP, POOLS, SPENDING, STAFF, STATUS, district, district_workbook


def _statuses(sheet) -> dict[str, tuple[str, str]]:
    return {r.school.school_id: (r.staff.value, r.spending.value) for b in sheet.bands for r in b.rows()}


def test_every_counted_school_has_its_hand_worked_status():
    sheet = comparability(district_workbook(), None)
    assert sheet is not None
    assert [b.band for b in sheet.bands] == ["elementary", "middle", "high"]
    # X (no Budget row) and Z (no pupils) are not counted; every other school is, in school_id order.
    assert [r.school.school_id for r in sheet.bands[0].rows()] == ["A", "B", "C", "S", "T1", "T2", "T3", "T4"]
    assert _statuses(sheet) == STATUS
    pools = {r.school.school_id: (r.in_staff_pool, r.in_spending_pool) for b in sheet.bands for r in b.rows()}
    assert {sid for sid, p in pools.items() if any(p)} == set(POOLS)
    assert {sid: p for sid, p in pools.items() if any(p)} == POOLS


def test_pools_pooled_figures_and_thresholds():
    sheet = comparability(district_workbook(), None)
    assert sheet is not None
    for b in sheet.bands[:2]:
        for test, (pooled, threshold, size) in ((b.staff, STAFF[b.band]), (b.spending, SPENDING[b.band])):
            assert test.group == GROUP[b.band]
            assert test.pooled == pytest.approx(pooled, rel=1e-12)
            assert test.threshold == pytest.approx(threshold, rel=1e-12)
            assert test.pool_size == size
    assert sheet.bands[0].staff.pool_words == "the band\u2019s non-Title I schools"
    assert sheet.bands[1].spending.pool_words == "every school of the band (all are Title I)"
    high = sheet.bands[2]
    assert (high.staff.group, high.staff.pooled, high.staff.threshold, high.staff.pool_size) == (None, None, None, 0)


def test_rows_carry_figures_and_how_far_below_the_limit():
    sheet = comparability(district_workbook(), None)
    assert sheet is not None
    rows = {r.school.school_id: r for b in sheet.bands for r in b.rows()}
    assert rows["T2"].students_per_teacher == 25.0 and rows["T2"].ppe == 8_000.0
    assert rows["T3"].students_per_teacher is None and rows["T3"].ppe == 10_000.0
    assert rows["T2"].failed == ("RES-01", "RES-02") and rows["T3"].failed == ("RES-01",) and rows["T1"].failed == ()
    # T2: staff 25 / 22 - 1 = 0.13636 is worse than spending 1 - 8,000 / 8,520 = 0.06103.
    assert rows["T2"].shortfall == pytest.approx(25 / 22 - 1)
    assert rows["T3"].shortfall == float("inf")  # no teachers at all
    assert rows["M2"].shortfall == pytest.approx(30 / (1.1 * 800 / 35) - 1)
    assert rows["T1"].shortfall == 0.0
    elementary = sheet.bands[0]
    assert elementary.tested().tolist() == [False, False, False, False, True, True, True, False]
    assert elementary.failing().tolist() == [False, False, False, False, False, True, True, False]


def test_findings_are_the_not_comparable_rows_with_hand_worked_evidence():
    _, findings, _ = evaluate_resources(district_workbook(), only_rules(("RES-01", "RES-02")))
    assert [(f.rule, f.school_id, f.band) for f in findings] == [
        ("RES-01", "T2", "elementary"), ("RES-01", "T3", "elementary"), ("RES-01", "M2", "middle"),
        ("RES-02", "T2", "elementary"), ("RES-02", "M2", "middle"),
    ]
    by = {(f.rule, f.school_id): f for f in findings}
    t2 = by["RES-01", "T2"]
    assert t2.evidence == {
        "students_per_teacher": 25.0, "enrollment_total": 250, "teacher_fte_state_local": 10,
        "comparison_group": "non_title_i", "comparison_schools": 2,
        "comparison_pooled_students_per_teacher": 20.0, "limit": 1.1, "threshold": pytest.approx(22.0),
        "additional_fte_needed": pytest.approx(250 / 22 - 10),
    }
    assert t2.message == (
        "Title I school Teak Elementary (T2) has 25.00 students per state/local-funded teacher (250 / 10 FTE); "
        "the limit is 110% of the pooled ratio of the non-Title I schools of the elementary band (20.00), i.e. "
        "22.00. About 1.4 more state/local teacher FTE would meet it.")
    assert by["RES-01", "T3"].evidence["students_per_teacher"] is None
    assert by["RES-01", "T3"].evidence["additional_fte_needed"] == pytest.approx(120 / 22)
    m2 = by["RES-01", "M2"].evidence
    assert (m2["comparison_group"], m2["comparison_schools"]) == ("band", 2)
    assert m2["additional_fte_needed"] == pytest.approx(300 * 35 / 880 - 10)
    spend = by["RES-02", "T2"].evidence
    assert (spend["comparison_schools"], spend["comparison_pooled_ppe"]) == (3, pytest.approx(7_100_000 / 750))
    assert spend["additional_dollars_needed"] == pytest.approx(130_000)
    assert by["RES-02", "M2"].evidence["additional_dollars_needed"] == pytest.approx(97_500)
    assert by["RES-02", "M2"].message == (
        "Title I school Magnolia Middle (M2) spends $8,000.00 per pupil from state and local funds; the minimum is "
        "90% of the pooled figure of all schools of the middle band (every school there is Title I) ($9,250.00), "
        "i.e. $8,325.00. About $97,500.00 more state/local funding would meet it.")
    sheet = comparability(district_workbook(), only_rules(("RES-01", "RES-02")))
    assert sheet is not None
    assert [f.as_json() for f in comparability_findings(sheet)] == [f.as_json() for f in findings]


def test_a_rule_turned_off_marks_every_school_and_finds_nothing():
    params = only_rules(("RES-02",))
    sheet = comparability(district_workbook(), params)
    assert sheet is not None
    assert {r.staff for b in sheet.bands for r in b.rows()} == {Status.RULE_OFF}
    assert {sid: st[1] for sid, st in _statuses(sheet).items()} == {sid: st[1] for sid, st in STATUS.items()}
    _, findings, _ = evaluate_resources(district_workbook(), params)
    assert [(f.rule, f.school_id) for f in findings] == [("RES-02", "T2"), ("RES-02", "M2")]


def test_no_comparison_figure_when_no_pool_school_reports_teachers():
    # The non-Title I schools report no teachers: no pooled staff ratio, so neither Title I school is tested
    # for staff (not even the one without teachers), while spending is: pool 2,000,000 / 200 = 10,000.
    schools = [school("A", 100), school("B", 100), school("T", 200, title_i=True), school("U", 100, title_i=True)]
    budgets = [budget("A", fte=0, dollars=1_000_000), budget("B", fte=0, dollars=1_000_000),
               budget("T", fte=10, dollars=1_700_000), budget("U", fte=0, dollars=900_000)]
    sheet = comparability_worksheet(ResourceArrays.build(list(zip(schools, budgets))), None)
    (band,) = sheet.bands
    assert (band.staff.group, band.staff.pooled, band.staff.pool_size) == ("non_title_i", None, 0)
    assert band.spending.threshold == pytest.approx(9_000)
    assert _statuses(sheet) == {"A": ("not_title_i", "not_title_i"), "B": ("not_title_i", "not_title_i"),
                                "T": ("no_comparison", "not_comparable"), "U": ("no_comparison", "comparable")}
    _, findings, _ = evaluate_resources(workbook(schools, budgets), only_rules(("RES-01", "RES-02")))
    assert [(f.rule, f.school_id) for f in findings] == [("RES-02", "T")]


def test_limits_are_exact_up_to_float_error():
    # T at exactly 22 per teacher (440 / 20) against 1.1 x 20 = 22.000000000000004: comparable, as the rule says.
    schools = [school("A", 200), school("B", 400), school("T", 440, title_i=True)]
    budgets = [budget("A", fte=10), budget("B", fte=20), budget("T", fte=20)]
    sheet = comparability(workbook(schools, budgets), None)
    assert sheet is not None
    assert _statuses(sheet)["T"][0] == "comparable"


def test_no_budget_data_no_worksheet():
    schools, _ = district()
    assert comparability(workbook(schools, [], has_budget_sheet=False), None) is None
