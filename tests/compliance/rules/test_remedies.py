"""Remedy estimates, checked against values worked out by hand (see each test's comment)."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.rules.model import BudgetRow, SchoolRow, WorkbookData
from compliance.rules.remedies import (
    comparability_remedy,
    dollars_to_meet_ppe,
    dollars_to_reach_ratio,
    fte_swap_to_reach_gap,
    fte_to_meet_ratio,
    integration_remedy,
    progressivity_remedy,
    quartiles,
    teacher_equity_remedy,
)
from compliance.rules.remedies_integration import integration_program


def school(sid: str, n: int, soc: int, ed: int, *, cap: int | None = None, title_i: bool = False,
           grades: tuple[str, str] = ("K", "5"), hispanic: int = 0) -> SchoolRow:
    """A school whose students of color are black except ``hispanic`` of them."""
    return SchoolRow(
        school_id=sid, school_name=f"School {sid}", grade_low=grades[0], grade_high=grades[1],
        title_i=title_i, assignment_method="attendance_zone", enrollment_total=n,
        hispanic=hispanic, american_indian=0, asian=0, black=soc - hispanic, pacific_islander=0,
        white=n - soc, two_or_more=0, econ_disadvantaged=ed, capacity=cap,
    )


# ---------------------------------------------------------------- integration


def apply_flows(schools: list[SchoolRow], result: dict) -> dict[str, dict[str, float]]:
    """Each school's enrollment, students of color and ED after the full list of flows."""
    state = {s.school_id: {"t": float(s.enrollment_total), "soc": float(s.enrollment_total - s.white),
                           "ed": float(s.econ_disadvantaged)} for s in schools}
    for f in result["flows"]:
        soc = f["group"] != "white"
        for sid, sign in ((f["from"], -1), (f["to"], 1)):
            state[sid]["t"] += sign * f["students"]
            state[sid]["soc"] += sign * f["students"] * soc
            state[sid]["ed"] += sign * f["students"] * f["ed"]
    return state


def assert_plan_feasible(schools: list[SchoolRow], result: dict, band: float | None, ed_band: float | None,
                         use_capacity: bool = True) -> None:
    tol = 1e-4  # flows are reported to 6 decimals; a ten-thousandth of a student is noise
    total = sum(s.enrollment_total for s in schools)
    p = sum(s.enrollment_total - s.white for s in schools) / total
    q = sum(s.econ_disadvantaged for s in schools) / total
    after = apply_flows(schools, result)
    moved = sum(f["students"] for f in result["flows"])
    assert result["students_moved"] == max(0, math.ceil(moved - 1e-4))
    for s in schools:
        a = after[s.school_id]
        if s.capacity and use_capacity:
            assert -tol <= a["t"] <= max(s.capacity, s.enrollment_total) + tol
        else:
            assert a["t"] == pytest.approx(s.enrollment_total, abs=tol)
        assert a["soc"] >= -tol and a["ed"] >= -tol
        # Shares compared as counts (|g - P t| <= band x t) so a near-empty school is no problem.
        if band is not None:
            assert abs(a["soc"] - p * a["t"]) <= band * a["t"] + tol
        if ed_band is not None:
            assert abs(a["ed"] - q * a["t"]) <= ed_band * a["t"] + tol
    # A school never sends more students of a race class than it has.
    for s in schools:
        sent_soc = sum(f["students"] for f in result["flows"] if f["from"] == s.school_id and f["group"] != "white")
        sent_white = sum(f["students"] for f in result["flows"] if f["from"] == s.school_id and f["group"] == "white")
        assert sent_soc <= s.enrollment_total - s.white + tol
        assert sent_white <= s.white + tol


def test_remedies_two_school_swap():
    # Band share 100/200 = 50%, band 15 points: A (80% of color) must reach <= 65 of its 100,
    # B (20%) >= 35. Enrollment is kept, so each student of color leaving A is replaced by a
    # white student from B: 15 swaps = 30 reassignments (one student each way counts 2).
    schools = [school("A", 100, 80, 50), school("B", 100, 20, 50)]
    r = integration_program(schools)
    assert r["reachable"] is True
    assert r["students_moved"] == 30
    assert r["share_of_band"] == pytest.approx(0.15)
    assert {(f["from"], f["to"], f["group"], f["students"]) for f in r["largest_flows"]} == {
        ("A", "B", "students_of_color", 15), ("B", "A", "white", 15)}
    assert r["after"]["A"]["students_of_color_share"] == pytest.approx(0.65)
    assert "HiGHS" in r["method"] and "independence" in r["method"]
    assert_plan_feasible(schools, r, 0.15, 0.15)


def test_remedies_nothing_to_move_when_within_band():
    schools = [school("A", 100, 60, 50), school("B", 100, 40, 50)]  # 60% / 40% vs 50% +/- 15
    r = integration_program(schools)
    assert r["reachable"] is True and r["students_moved"] == 0 and r["largest_flows"] == []


def test_remedies_ed_band_adds_moves():
    # Race balanced (50/50 both), ED 90 vs 10 of 100: band ED share 50%, A must drop to <= 65 ED,
    # B rise to >= 35: 25 ED students out of A, 25 not-ED in: 50 reassignments.
    schools = [school("A", 100, 50, 90), school("B", 100, 50, 10)]
    r = integration_program(schools)
    assert r["students_moved"] == 50
    assert_plan_feasible(schools, r, 0.15, 0.15)
    assert integration_program(schools, ed_band=None)["students_moved"] == 0


def test_remedies_joint_distribution_independence_vs_bounds():
    # A: 100 students, 60 of color, 60 ED; B: 200 white, none ED. Band shares 60/300 = 20%
    # for both; band 0 points, so A must end with exactly 20 of color and 20 ED.
    # bounds: A's 60 of color may all be ED; send 40 of color+ED to B, take 40 white not-ED
    #   back = 80 reassignments.
    # independence: A has only 60 x 0.6 = 36 of color+ED; it sends those 36, plus 4 of color
    #   not-ED and 4 white ED (to reach -40 of each), and takes 44 white not-ED back = 88.
    schools = [school("A", 100, 60, 60), school("B", 200, 0, 0)]
    ind = integration_program(schools, band=0.0, ed_band=0.0)
    bnd = integration_program(schools, band=0.0, ed_band=0.0, joint="bounds")
    assert ind["students_moved"] == 88
    assert bnd["students_moved"] == 80
    assert_plan_feasible(schools, ind, 0.0, 0.0)
    assert_plan_feasible(schools, bnd, 0.0, 0.0)


def test_remedies_capacity_one_way_moves():
    # A: 100 students, 80 of color; B: 900 students, 420 of color; band share 500/1000 = 50%.
    # Fixed enrollment: 15 swaps = 30. A capacity 110 (B may shrink, capacity = enrollment):
    # A sends a students of color and takes w white, with 80 - a <= 0.65 (100 - a + w), i.e.
    # 0.35a + 0.65w >= 15, and 100 - a + w <= 110. Minimizing a + w: w = a + 10, a = 8.5,
    # w = 18.5: 27 reassignments. With capacity 130 the cap no longer binds: w = 15/0.65 =
    # 23.08, a = 0: 24 rounded up.
    a, b = school("A", 100, 80, 50, cap=110), school("B", 900, 420, 450, cap=900)
    r = integration_program([a, b])
    assert r["students_moved"] == 27
    assert_plan_feasible([a, b], r, 0.15, 0.15)
    assert r["after"]["A"]["enrollment"] == pytest.approx(110)
    assert integration_program([a, b], use_capacity=False)["students_moved"] == 30
    # In whole students 8.5 and 18.5 cannot both round inside (8 and 19 overfill A's 110 seats; 8 and
    # 18 leave 72 of 110 = 65.45% of color): the best whole plan is 9 out, 19 in (71 of 110 = 64.5%),
    # 28. The report's plan, aimed half a student inside, is within a student of it and inside.
    whole = integration_remedy([a, b])
    assert 28 <= whole["students_moved"] <= 29 and "outside_after_rounding" not in whole
    after = whole["after"]["A"]
    assert after["enrollment"] <= 110 and abs(after["students_of_color"] / after["enrollment"] - 0.5) <= 0.15
    a130 = school("A", 100, 80, 50, cap=130)
    r130 = integration_program([a130, b])
    assert r130["students_moved"] == 24
    # In whole students 23 leave 80 of 123 = 65.04%; 24 give 80 of 124 = 64.5%: 24 still.
    assert integration_remedy([a130, b])["students_moved"] == 24
    assert sum(f["students"] for f in r130["flows"]) == pytest.approx(15 / 0.65)
    assert_plan_feasible([a130, b], r130, 0.15, 0.15)


def test_remedies_single_race_group_constraint():
    # Of color = black + hispanic. A: 100 = 50 black + 50 white... B: 100 = 50 hispanic + 50 white.
    # Students of color 50% in both: no INT-01 on the aggregate. Single groups: black 25% of the
    # band, hispanic 25%; A has 50% black (> 25 + 15 = 40), B 0% (< 10). A must send >= 10 black
    # to B and B >= 10 hispanic to A (a swap keeps both at 50% of color): 20 reassignments.
    a = school("A", 100, 50, 50)
    b = school("B", 100, 50, 50, hispanic=50)
    assert integration_program([a, b])["students_moved"] == 0
    r = integration_program([a, b], single_group_min_share=0.05)
    assert r["students_moved"] == 20
    groups = {(f["from"], f["group"]) for f in r["largest_flows"]}
    assert groups == {("A", "black"), ("B", "hispanic")}


def test_remedies_unreachable_small_school():
    # A has 3 students; band share 50% +/- 10 needs 1.2 to 1.8 students of color: no whole number.
    schools = [school("A", 3, 3, 0), school("B", 3, 0, 0)]
    r = integration_program(schools, band=0.10, ed_band=None)
    assert r["reachable"] is False
    assert r["reason"].startswith("not reachable within the band")
    assert "School A" in r["reason"]


def test_remedies_unreachable_whole_band():
    # Ten schools of 10, 37 students of color: band share 37% +/- 5 allows 3.2 to 4.2, i.e.
    # exactly 4 in every school, 40 in all, but there are only 37: no plan exists.
    schools = [school(f"S{i}", 10, 4 if i < 7 else 3, 0) for i in range(10)]
    r = integration_program(schools, band=0.05, ed_band=None)
    assert r["reachable"] is False
    assert "infeasible" in r["reason"]
    # At +/- 10 points (2.7 to 4.7: 3 or 4) the band already complies.
    assert integration_program(schools, band=0.10, ed_band=None)["students_moved"] == 0


def test_remedies_zero_enrollment_schools_left_out():
    schools = [school("A", 100, 80, 50), school("B", 100, 20, 50), school("Z", 0, 0, 0)]
    r = integration_program(schools)
    assert r["schools"] == 2 and r["students_moved"] == 30


@st.composite
def bands(draw):
    n = draw(st.integers(min_value=2, max_value=5))
    rows = []
    for i in range(n):
        t = draw(st.integers(min_value=20, max_value=400))
        soc = draw(st.integers(min_value=0, max_value=t))
        ed = draw(st.integers(min_value=0, max_value=t))
        cap = draw(st.one_of(st.none(), st.integers(min_value=t, max_value=2 * t)))
        rows.append(school(f"S{i}", t, soc, ed, cap=cap))
    return rows


@settings(max_examples=40, deadline=None)
@given(bands(), st.sampled_from([0.10, 0.15, 0.25]), st.sampled_from([None, 0.15]))
def test_remedies_every_plan_is_feasible(schools, band, ed_band):
    for use_capacity in (True, False):
        r = integration_program(schools, band=band, ed_band=ed_band, use_capacity=use_capacity)
        if r["reachable"]:
            assert_plan_feasible(schools, r, band, ed_band, use_capacity)
    # Optimistic joint table never needs more moves than the independence estimate.
    ind = integration_program(schools, band=band, ed_band=ed_band, use_capacity=False)
    bnd = integration_program(schools, band=band, ed_band=ed_band, use_capacity=False, joint="bounds")
    if ind["reachable"]:
        assert bnd["students_moved"] <= ind["students_moved"]


@settings(max_examples=40, deadline=None)
@given(bands(), st.sampled_from([0.10, 0.15, 0.25]), st.sampled_from([None, 0.15]))
def test_the_report_plan_in_whole_students_leaves_no_school_outside_unless_it_says_so(schools, band, ed_band):
    # The rules' test on the whole-student composition after the plan; the count is the plan's own (it may
    # be below the program's rounded-up optimum: the program's cells by independence bind more than whole
    # students need).
    for use_capacity in (True, False):
        whole = integration_remedy(schools, band=band, ed_band=ed_band, use_capacity=use_capacity)
        if not whole["reachable"]:
            continue
        share = whole["band_share"]
        outside = sorted(sid for sid, a in whole["after"].items() if a["enrollment"] > 0 and (
            abs(a["students_of_color"] / a["enrollment"] - share["students_of_color"]) > band + 1e-12
            or (ed_band is not None
                and abs(a["econ_disadvantaged"] / a["enrollment"] - share["econ_disadvantaged"]) > ed_band + 1e-12)))
        assert outside == whole.get("outside_after_rounding", [])
        if not outside:
            assert whole["students_moved"] == sum(p["students"] for p in whole["pairs"])


@settings(max_examples=40, deadline=None)
@given(st.integers(20, 300), st.integers(20, 300), st.data(), st.sampled_from([0.05, 0.15]))
def test_remedies_two_school_optimum_matches_enumeration(t_a, t_b, data, band):
    # Two schools, fixed enrollment, race only: A's net change d in students of color must put
    # both schools in their whole-student ranges; each unit of |d| is a swap, so the optimum is
    # 2 * min |d| over the feasible integers, found here by enumeration.
    s_a = data.draw(st.integers(0, t_a))
    s_b = data.draw(st.integers(0, t_b))
    p = (s_a + s_b) / (t_a + t_b)

    def ok(s: int, t: int) -> bool:
        return abs(s / t - p) <= band + 1e-9

    feasible = [d for d in range(-s_a, t_a - s_a + 1)
                if 0 <= s_b - d <= t_b and ok(s_a + d, t_a) and ok(s_b - d, t_b)]
    r = integration_program([school("A", t_a, s_a, 0), school("B", t_b, s_b, 0)], band=band, ed_band=None)
    if not feasible:
        assert r["reachable"] is False
    else:
        assert r["students_moved"] == 2 * min(abs(d) for d in feasible)


# ---------------------------------------------------------------- comparability


def budget(sid: str, fte: float, dollars: float, inexperienced: float = 0.0) -> BudgetRow:
    return BudgetRow(school_id=sid, teacher_fte_state_local=fte, teacher_fte_inexperienced=inexperienced,
                     personnel_state_local=dollars, nonpersonnel_state_local=0.0, federal=0.0)


def test_remedies_comparability_plain_numbers():
    # 500 students, 25 FTE, comparison 16 students per teacher, limit 1.10: target 17.6,
    # 500 / 17.6 = 28.409 FTE, so 3.409 more. Spending 8,000 vs 0.90 x 10,000 = 9,000: 500,000.
    assert fte_to_meet_ratio(500, 25, 16, 1.10) == pytest.approx(500 / 17.6 - 25)
    assert fte_to_meet_ratio(500, 40, 16, 1.10) == 0.0
    assert dollars_to_meet_ppe(500, 8000, 10000, 0.90) == pytest.approx(500_000)
    assert dollars_to_meet_ppe(500, 9500, 10000, 0.90) == 0.0


def comparability_workbook() -> WorkbookData:
    # Title I A: 500 students, 25 FTE (20 per teacher), $4,000,000 ($8,000).
    # Non-Title I B: 400, 25 FTE, $4,000,000; C: 600, 37.5 FTE, $6,000,000: pooled 1000 / 62.5 =
    # 16 per teacher and $10,000 per pupil. D (middle band) and E (tiny) are not compared.
    schools = [
        school("A", 500, 250, 400, title_i=True), school("B", 400, 100, 100), school("C", 600, 100, 100),
        school("D", 500, 100, 100, grades=("6", "8")), school("E", 50, 10, 10),
    ]
    budgets = [budget("A", 25, 4_000_000), budget("B", 25, 4_000_000), budget("C", 37.5, 6_000_000),
               budget("D", 10, 1_000_000), budget("E", 1, 100_000)]
    return WorkbookData(schools=schools, budget=budgets, has_budget_sheet=True)


def test_remedies_comparability_against_non_title_i():
    r = comparability_remedy(comparability_workbook(), "A")
    assert r["comparison_schools"] == 2  # B and C; E is under 100 students, D in another band
    r1 = r["res01"]
    assert r1["comparison_ratio"] == pytest.approx(16.0)
    assert r1["target_ratio"] == pytest.approx(17.6)
    assert r1["fte_to_add"] == pytest.approx(3.409090909)
    # Moving x FTE from B and C: 500 / (25 + x) = 1.1 x 1000 / (62.5 - x)
    # -> x = (500 x 62.5 - 1.1 x 1000 x 25) / (500 + 1100) = 3750 / 1600 = 2.34375.
    assert r1["fte_to_move_from_comparison"] == pytest.approx(2.34375)
    r2 = r["res02"]
    assert r2["comparison_ppe"] == pytest.approx(10_000)
    assert r2["dollars_to_add"] == pytest.approx(500_000)
    # Moving X dollars: (4e6 + X) / 500 = 0.9 (10e6 - X) / 1000 -> X = 5e8 / 1450 = 344,827.59.
    assert r2["dollars_to_move_from_comparison"] == pytest.approx(344_827.5862)


def test_remedies_comparability_all_title_i_band_solved_exactly():
    # Every school Title I: A 500 students, 25 FTE, $3,000,000; B 500, 50 FTE, $5,000,000.
    # Pooled (A counted): 1000 / 75 = 13.33; A at 20 > 1.1 x 13.33. Adding x FTE to A moves the
    # pool: 500 / (25 + x) = 1.1 x 1000 / (75 + x) -> x = (37500 - 27500) / 600 = 16.667
    # (then 12.0 vs 1.1 x 10.909 = 12.0). Dollars: (3e6 + X) / 500 = 0.9 (8e6 + X) / 1000
    # -> X = (3.6e9 - 3e9) / 550 = 1,090,909.09.
    wb = WorkbookData(
        schools=[school("A", 500, 250, 400, title_i=True), school("B", 500, 250, 300, title_i=True)],
        budget=[budget("A", 25, 3_000_000), budget("B", 50, 5_000_000)],
        has_budget_sheet=True,  # as the reader says when the rows came from a Budget sheet
    )
    r = comparability_remedy(wb, "A")
    assert r["comparison"].startswith("all schools")
    assert r["res01"]["fte_to_add"] == pytest.approx(50 / 3)
    assert r["res01"]["fte_to_move_from_comparison"] is None
    assert r["res02"]["dollars_to_add"] == pytest.approx(6e8 / 550)
    assert comparability_remedy(wb, "B")["res01"] is None  # B already meets both


def test_remedies_comparability_exempt_cases():
    wb = comparability_workbook()
    assert comparability_remedy(wb, "E") is None  # under 100 students
    assert comparability_remedy(wb, "D") is None  # alone in its band


# ---------------------------------------------------------------- quartiles, RES-03, RES-04


def quartile_workbook() -> WorkbookData:
    # Five schools ranked by ED share: L1 (0.10), L2 (0.20) | M1 (0.40) | M2 (0.60) | H (0.90):
    # 5 = 2 + 1 + 1 + 1, the first (lowest-poverty) group takes the extra school.
    # Lowest quartile: 100 + 100 pupils, $1,200,000 + $1,200,000 -> $12,000 per pupil.
    # Highest: 200 pupils, $2,000,000 -> $10,000. Ratio 0.8333.
    schools = [school("L1", 100, 10, 10), school("L2", 100, 20, 20), school("M1", 100, 40, 40),
               school("M2", 100, 60, 60), school("H", 200, 180, 180)]
    budgets = [budget("L1", 10, 1_200_000, 1), budget("L2", 20, 1_200_000, 2), budget("M1", 10, 1_000_000),
               budget("M2", 10, 1_000_000), budget("H", 20, 2_000_000, 6)]
    return WorkbookData(schools=schools, budget=budgets)


def test_remedies_quartiles_rank_and_sizes():
    qs = quartiles(quartile_workbook())
    assert [[s.school_id for s, _ in q] for q in qs] == [["L1", "L2"], ["M1"], ["M2"], ["H"]]
    # Ties in ED share go by school_id.
    wb = WorkbookData(schools=[school(x, 100, 50, 50) for x in "DCBA"], budget=[budget(x, 5, 1) for x in "DCBA"])
    assert [q[0][0].school_id for q in quartiles(wb)] == ["A", "B", "C", "D"]
    assert quartiles(WorkbookData(schools=wb.schools[:3], budget=wb.budget[:3])) is None


def test_remedies_progressivity_dollars_to_move():
    # Move X: (2e6 + X) / 200 = 1.0 x (2.4e6 - X) / 200 -> X = 200,000: both at $11,000.
    # Formula: (1 x 200 x 2.4e6 - 200 x 2e6) / (200 + 200) = 200,000.
    r = progressivity_remedy(quartile_workbook(), min_ratio=1.0)
    assert r["ratio"] == pytest.approx(10_000 / 12_000)
    assert r["dollars_to_move"] == pytest.approx(200_000)
    assert r["ppe_after_move"] == pytest.approx(11_000)
    assert r["dollars_to_add_to_high"] == pytest.approx(400_000)  # 12,000 x 200 - 2e6
    # Unequal pupils: low 100 pupils $1.2M, high 200 pupils $2M: X = (2.4e8 - 2e8) / 300.
    assert dollars_to_reach_ratio(1_200_000, 100, 2_000_000, 200, 1.0) == pytest.approx(133_333.333)
    assert dollars_to_reach_ratio(1_000_000, 100, 2_400_000, 200, 1.0) == 0.0


def test_remedies_teacher_equity_swap():
    # Plain numbers: high 6 of 20 FTE inexperienced (30%), low 3 of 30 (10%), gap 20 points,
    # max 5: y = 0.15 x 20 x 30 / 50 = 1.8 (then 4.2/20 = 21% vs 4.8/30 = 16%).
    assert fte_swap_to_reach_gap(6, 20, 3, 30, 0.05) == pytest.approx(1.8)
    assert fte_swap_to_reach_gap(2, 20, 3, 30, 0.05) == 0.0
    # Workbook: lowest-poverty quartile L1 + L2: 3 of 30 FTE; highest H: 6 of 20. Same 1.8.
    # The students-of-color quartiles are the same schools here.
    r = teacher_equity_remedy(quartile_workbook(), max_gap=0.05)
    assert r["poverty"]["gap"] == pytest.approx(0.20)
    assert r["poverty"]["fte_to_swap"] == pytest.approx(1.8)
    assert r["poverty"]["reassignments"] == pytest.approx(3.6)
    assert r["poverty"]["reachable"] is True
    assert r["poverty"]["fte_to_replace_in_high"] == pytest.approx(3.0)  # 0.15 x 20 FTE
    assert r["students_of_color"]["fte_to_swap"] == pytest.approx(1.8)
    assert teacher_equity_remedy(quartile_workbook(), max_gap=0.25)["poverty"] is None



@st.composite
def three_group_bands(draw):
    rows = []
    for i in range(draw(st.integers(min_value=2, max_value=4))):
        t = draw(st.integers(min_value=30, max_value=300))
        soc = draw(st.integers(min_value=0, max_value=t))
        hisp = draw(st.integers(min_value=0, max_value=soc))
        rows.append(school(f"S{i}", t, soc, draw(st.integers(0, t)), hispanic=hisp))
    return rows


@settings(max_examples=30, deadline=None)
@given(three_group_bands())
def test_remedies_single_group_plans_are_feasible(schools):
    # With single groups on, flows are labelled by race group; every group of at least 5% of
    # the band, and students of color overall, must end within 15 points in every school.
    r = integration_program(schools, ed_band=None, single_group_min_share=0.05)
    if not r["reachable"]:
        return
    total = sum(s.enrollment_total for s in schools)
    counts = {s.school_id: {"black": s.black, "hispanic": s.hispanic, "white": s.white} for s in schools}
    for f in r["flows"]:
        counts[f["from"]][f["group"]] -= f["students"]
        counts[f["to"]][f["group"]] += f["students"]
    for g in ("black", "hispanic", "white"):
        p = sum(getattr(s, g) for s in schools) / total
        for s in schools:
            c = counts[s.school_id]
            assert c[g] >= -1e-4
            t_after = sum(c.values())
            assert t_after == pytest.approx(s.enrollment_total, abs=1e-4)
            if p >= 0.05:
                assert abs(c[g] - p * t_after) <= 0.15 * t_after + 1e-4
    p_soc = 1 - sum(s.white for s in schools) / total
    for s in schools:
        c = counts[s.school_id]
        assert abs(c["black"] + c["hispanic"] - p_soc * s.enrollment_total) <= 0.15 * s.enrollment_total + 1e-4
