"""The levers on small districts, with every number worked out by hand."""
from __future__ import annotations

import pytest

from compliance.rules.model import ProposedRow, SchoolRow
from compliance.rules.planner import (
    CloseSchool,
    GradeCenter,
    Lottery,
    MoveStudents,
    OpenSchool,
    PlanError,
    apply_levers,
    lever_from_json,
    lever_to_json,
    lottery_admissions,
    split,
)
from compliance.rules.planner_effect import Baseline, plan_effect, suggested_moves


def school(sid, lo, hi, black, white, ed, name=None):
    return SchoolRow(sid, name or f"School {sid}", lo, hi, False, "attendance_zone", black + white,
                     0, 0, 0, black, 0, white, 0, ed)


A = school("A", "K", "5", 90, 10, 80)   # 100 students, 90% Black
B = school("B", "K", "5", 10, 90, 20)   # 100 students, 10% Black
C = school("C", "K", "2", 30, 30, 30)   # K-2, 60 students


def _row(rows, sid) -> ProposedRow:
    return next(r for r in rows if r.school_id == sid)


def test_split_is_largest_remainders():
    assert split(10, {"a": 1, "b": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert split(7, {"x": 90, "y": 10}) == {"x": 6, "y": 1}  # 6.3 and 0.7: y's remainder is larger


def test_move_follows_the_sending_mix_unless_stated():
    rows = apply_levers([A, B], [MoveStudents("A", "B", 20)]).proposed_rows()
    # 20 of A's 90/10 mix: 18 Black, 2 white; ED 80% of 20 = 16.
    assert (_row(rows, "A").black, _row(rows, "A").white, _row(rows, "A").econ_disadvantaged) == (72, 8, 64)
    assert (_row(rows, "B").black, _row(rows, "B").white, _row(rows, "B").econ_disadvantaged) == (28, 92, 36)
    stated = MoveStudents("A", "B", 10, ed=0, composition={"black": 5, "white": 5})
    rows = apply_levers([A, B], [stated]).proposed_rows()
    assert (_row(rows, "A").black, _row(rows, "A").white, _row(rows, "A").econ_disadvantaged) == (85, 5, 80)
    assert _row(rows, "A").grade_low is None and _row(rows, "A").assignment_method is None  # unchanged columns blank


def test_move_refuses_more_than_the_school_has():
    with pytest.raises(PlanError, match="has only 100 students"):
        apply_levers([A, B], [MoveStudents("A", "B", 101)])
    with pytest.raises(PlanError, match="ED status"):
        apply_levers([A, B], [MoveStudents("B", "A", 30, ed=25)])  # B has 20 ED students


def test_close_sends_equal_numbers_and_loses_nobody():
    rows = apply_levers([A, B, C], [CloseSchool("C", ("A", "B"))]).proposed_rows()
    assert _row(rows, "C").enrollment_total == 0
    # 30 each, half Black: 15 Black + 15 white, ED 15 each.
    a, b = _row(rows, "A"), _row(rows, "B")
    assert (a.enrollment_total, a.black, a.econ_disadvantaged) == (130, 105, 95)
    assert (b.enrollment_total, b.black, b.econ_disadvantaged) == (130, 25, 35)


def test_open_then_fill_a_new_school():
    rows = apply_levers([A, B], [OpenSchool("N", "New", "K", "5"), MoveStudents("A", "N", 50)]).proposed_rows()
    new = _row(rows, "N")
    assert (new.enrollment_total, new.black, new.white, new.econ_disadvantaged) == (50, 45, 5, 40)
    assert (new.school_name, new.grade_low, new.grade_high, new.assignment_method, new.title_i) == (
        "New", "K", "5", "attendance_zone", False)


def test_grade_center_pools_by_grade_share():
    # A and B (K-5, 100 each) become K-1 and 2-5 centers: each school's grades hold equal shares,
    # so K-1 gets 2/6 of 200 = 66.67 -> 67 and 2-5 gets 133; the pool is 100 Black, 100 white, 100 ED.
    rows = apply_levers([A, B], [GradeCenter(("A", "B"), (("K", "1"), ("2", "5")))]).proposed_rows()
    a, b = _row(rows, "A"), _row(rows, "B")
    assert (a.enrollment_total, a.black, a.white, a.econ_disadvantaged) == (67, 34, 33, 34)
    assert (a.grade_low, a.grade_high) == ("K", "1")
    assert (b.enrollment_total, b.black, b.white, b.econ_disadvantaged) == (133, 66, 67, 66)
    assert a.assignment_method == b.assignment_method == "grade_center"
    with pytest.raises(PlanError, match="must not overlap"):
        apply_levers([A, B], [GradeCenter(("A", "B"), (("K", "3"), ("2", "5")))])


def test_lottery_admissions_fill_reserved_seats_then_the_rest():
    # 40 seats, target 0.5: 20 reserved per pool; only 12 ED applicants, so all 12 are admitted
    # and the other pool fills the 28 seats left.
    row = lottery_admissions(Lottery("A", 40, 0.5, 12, 100))
    assert (row.admitted_ed, row.admitted_non_ed) == (12, 28)
    row = lottery_admissions(Lottery("A", 40, 0.3, 100, 100))
    assert (row.admitted_ed, row.admitted_non_ed) == (12, 28)


def test_effect_counts_flags_and_verdict():
    base = Baseline.of([A, B])
    # Now A is 90% Black vs a band share of 50%: INT-01 and INT-03 flag both schools.
    assert base.flags.tolist() == [True, True]
    # Swapping 40 Black ED for 40 white non-ED makes both 50/50 with 50 ED: D 0.8 -> 0, no flags.
    effect = plan_effect(base, [MoveStudents("A", "B", 40, ed=40, composition={"black": 40}),
                                MoveStudents("B", "A", 40, ed=0, composition={"white": 40})])
    assert effect.flagged_before[None] == ["A", "B"] and effect.flagged_after[None] == []
    assert effect.current["district"]["dissimilarity"]["black_white"] == pytest.approx(0.8)
    assert effect.after["district"]["dissimilarity"]["black_white"] == pytest.approx(0.0)
    assert effect.verdict == "commendation"
    assert plan_effect(base, []).verdict == "none"
    worse = plan_effect(Baseline.of([school("A", "K", "5", 50, 50, 50), school("B", "K", "5", 50, 50, 50)]),
                        [MoveStudents("A", "B", 40, ed=40, composition={"black": 40}),
                         MoveStudents("B", "A", 40, ed=0, composition={"white": 40})])
    assert worse.verdict == "finding"


def test_suggestion_from_the_remedy_moves_students_between_the_band_schools():
    moves, remedy = suggested_moves([A, B], "elementary")
    assert remedy["reachable"] and moves
    assert {(m.from_id, m.to_id) for m in moves} <= {("A", "B"), ("B", "A")}
    effect = plan_effect(Baseline.of([A, B]), moves)
    assert effect.flagged_after["elementary"] == []


def test_levers_round_trip_as_json():
    levers = [MoveStudents("A", "B", 5, 1, {"black": 5}), CloseSchool("C", ("A",)), OpenSchool("N", "New", "K", "5"),
              GradeCenter(("A", "B"), (("K", "1"), ("2", "5"))), Lottery("A", 10, 0.5, 3, 20)]
    assert [lever_from_json(lever_to_json(lv)) for lv in levers] == levers
