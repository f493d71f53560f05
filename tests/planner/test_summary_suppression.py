"""The plan summary's sentences hide small counts so that none can be worked out from the others.

A move of 56 students, 55 of them ED and 1 Hispanic with 55 Black, printed as "56 ... (55 ED):
<10 Hispanic, 55 Black" gave away 56 - 55 = 1 twice (the Hispanic student and the one not ED).
The report's rule (compliance.reports.suppression) applies: the Hispanic count is hidden, so the
Black count that gives it back is too; 55 of 56 leaves 1 not ED, so 55 is top-coded: ">46"
(56 - 10) says only that 1 to 9 are not.
"""
from __future__ import annotations

from compliance.rules.planner import MoveStudents
from planner.presenters import lever_text
from planner.summary import largest_changes, plan_sentence

NAMES = {"0316": "Carver Elementary", "0311": "North Hills Elementary"}
MIXED = MoveStudents("0316", "0311", 56, ed=55, composition={"hispanic": 1, "black": 55})


def test_a_small_group_hides_its_complement_in_the_move():
    assert lever_text(MIXED, NAMES, min_cell=10) == (
        "Move 56 students (>46 economically disadvantaged): <10 Hispanic students, >46 Black students "
        "from Carver Elementary to North Hills Elementary")


def test_the_plans_page_keeps_exact_numbers():
    assert lever_text(MIXED, NAMES) == (
        "Move 56 students (55 economically disadvantaged): 1 Hispanic student, 55 Black students "
        "from Carver Elementary to North Hills Elementary")


def test_the_groups_of_a_move_print_in_the_templates_order_whatever_the_stored_order():
    # PostgreSQL's jsonb gives a stored plan's composition back with its keys reordered ("black" first).
    stored = MoveStudents("0316", "0311", 56, ed=55, composition={"black": 55, "hispanic": 1})
    assert lever_text(stored, NAMES, min_cell=10) == lever_text(MIXED, NAMES, min_cell=10)
    assert lever_text(stored, NAMES) == lever_text(MIXED, NAMES)


def test_a_move_with_nothing_small_prints_as_given():
    move = MoveStudents("0316", "0311", 40, ed=25, composition={"hispanic": 12, "black": 28})
    assert lever_text(move, NAMES, min_cell=10) == (
        "Move 40 students (25 economically disadvantaged): 12 Hispanic students, 28 Black students "
        "from Carver Elementary to North Hills Elementary")


def test_the_total_moved_hides_a_small_move_it_would_give_back():
    big, small = MoveStudents("0316", "0311", 40), MoveStudents("0311", "0316", 3)
    # 43 less the 40 printed would be the 3 the second line prints as "<10".
    assert plan_sentence([big, small], [big, small]) == "2 changes: 2 moves (* students)."
    # Not listed, the 3 is still the total less the 40.
    assert plan_sentence([big, small], [big]) == "2 changes: 2 moves (* students)."
    # Two small moves of 6 and 7 hold 13 together: 53 and the 40 give only their sum.
    assert plan_sentence([big, MoveStudents("0311", "0316", 6), MoveStudents("0311", "0316", 7)], [big]) == (
        "3 changes: 3 moves (53 students).")
    assert plan_sentence([small], [small]) == "1 change: 1 move (<10 students)."


def _row(school_id: str, name: str, now: int, after: int) -> dict:
    return {"school_id": school_id, "name": name, "band": "elementary", "change": "changed",
            "now": now, "after": after, "delta": after - now}


def test_a_small_change_of_a_school_hides_its_enrollment_after():
    rows = largest_changes([_row("0311", "North Hills Elementary", 520, 480),
                            _row("0313", "Pinecrest Elementary", 200, 203),
                            _row("0312", "Lakeview Elementary", 480, 477)], 10)
    # 200 and 203 would give the 3 back: the change prints "<10", the enrollment after "*".
    assert [(r["name"], r["now"], r["after"], r["delta"]) for r in rows] == [
        ("North Hills Elementary", "520", "480", "-40"),
        ("Lakeview Elementary", "480", "*", "<10"),
        ("Pinecrest Elementary", "200", "*", "<10"),
    ]
