"""Property: the planner's measures and INT-05 findings for any plan equal evaluate's on the exported workbook.

Plans are drawn for each demo district (zoned, grade centers, lotteries, and the 320-school one),
with moves that follow the sending school's mix or state their own composition and ED count.
"""
from __future__ import annotations

import io
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.demo import demo_workbook
from compliance.pipeline import builtin_rule_set, evaluate_path
from compliance.rules.model import BANDS, GRADE_INDEX, GRADES, RACE_GROUPS, SchoolRow
from compliance.rules.planner import CloseSchool, GradeCenter, Lottery, MoveStudents, OpenSchool, PlanError
from compliance.rules.planner_effect import Baseline, plan_effect
from compliance.rules.ruleset import default_params
from compliance.workbook.template import write_workbook
from planner.exports import proposed_workbook

YEAR = "2026-27"
NEW = OpenSchool("9001", "New Elementary", "K", "5")


@cache
def district(key: str):
    """(schools, the workbook as uploaded, with the demo's own Proposed sheet if any, which the export replaces)."""
    data = demo_workbook(key, YEAR)
    out = io.BytesIO()
    write_workbook(out, data)
    return data.schools, out.getvalue()


@st.composite
def moves(draw, schools: list[SchoolRow]) -> MoveStudents:
    """A zone change; a third of them state the students moved by group (up to what the school has)."""
    ids = [s.school_id for s in schools] + [NEW.school_id]
    src = draw(st.sampled_from(schools))
    dst = draw(st.sampled_from(ids))
    if draw(st.integers(0, 2)) == 0:
        comp = {g: draw(st.integers(0, min(getattr(src, g), 60))) for g in RACE_GROUPS}
        total = sum(comp.values())
        ed = draw(st.one_of(st.none(), st.integers(0, min(total, src.econ_disadvantaged))))
        return MoveStudents(src.school_id, dst, total, ed, comp)
    return MoveStudents(src.school_id, dst, draw(st.integers(0, 300)), draw(st.one_of(st.none(), st.integers(0, 120))))


@st.composite
def centers(draw, schools: list[SchoolRow]) -> GradeCenter:
    """Two or three schools of one band, their grades cut into as many consecutive spans."""
    band = draw(st.sampled_from([b for b in BANDS if sum(s.band == b for s in schools) >= 2]))
    members = draw(st.lists(st.sampled_from([s for s in schools if s.band == band]), min_size=2, max_size=3,
                            unique_by=lambda s: s.school_id))
    served = sorted({g for s in members for g in range(GRADE_INDEX[s.grade_low], GRADE_INDEX[s.grade_high] + 1)})
    k = min(len(members), len(served))
    cuts = sorted(draw(st.lists(st.sampled_from(served[1:]), min_size=k - 1, max_size=k - 1, unique=True)))
    edges = [served[0], *cuts, served[-1] + 1]
    spans = tuple((GRADES[lo], GRADES[hi - 1]) for lo, hi in zip(edges, edges[1:]))
    return GradeCenter(tuple(s.school_id for s in members[:k]), spans)


def plans(key: str):
    schools, _ = district(key)
    ids = [s.school_id for s in schools]
    closes = st.builds(CloseSchool, st.sampled_from(ids),
                       st.lists(st.sampled_from(ids), max_size=2, unique=True).map(tuple))
    lotteries = st.builds(Lottery, st.sampled_from(ids), st.integers(1, 200), st.floats(0, 1),
                          st.integers(0, 200), st.integers(0, 200))
    lever = st.one_of(moves(schools), moves(schools), centers(schools), closes, st.just(NEW), lotteries)
    return st.lists(lever, min_size=1, max_size=6)


def _int05(findings):
    return sorted((f["scope"], f["band"] or "", f["evidence"]["measure"], f["severity"], f["message"])
                  for f in findings if f["rule"] == "INT-05")


def check_plan(key: str, levers) -> None:
    schools, original = district(key)
    base = Baseline.of(schools, default_params())
    try:
        effect = plan_effect(base, levers)
    except PlanError:
        return  # an impossible plan is refused on the page and never exported
    blob = proposed_workbook(original, effect.proposed, "What-if plan")
    out = evaluate_path(blob, rule_set=builtin_rule_set(), guarded=False)
    assert [p for p in out.result["problems"] if p["severity"] == "error"] == []
    measures = out.result["measures"]
    if not effect.proposed:
        assert "proposed" not in measures  # an empty Proposed sheet counts as absent
        assert effect.int05 == [] and effect.verdict == "none"
        return
    proposed = measures["proposed"]
    assert proposed["district"] == effect.after["district"]
    for band in BANDS:
        assert proposed["bands"][band] == effect.after["bands"][band]
    assert _int05(out.result["findings"]) == _int05([f.as_json() for f in effect.int05])
    changed = {s["school_id"]: s["change"] for s in proposed["schools"]}
    assert changed == effect.changes


SMALL = ("zoned", "grade_center", "lottery")


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(SMALL).flatmap(lambda key: plans(key).map(lambda p: (key, p))))
def test_planner_equals_evaluate_on_exported_workbook(case):
    check_plan(*case)


@pytest.mark.django_db
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans("large"))
def test_planner_equals_evaluate_on_the_320_school_district(levers):
    check_plan("large", levers)


@pytest.mark.parametrize("key", [*SMALL, "large"])
def test_the_strategies_reach_every_lever_and_stated_compositions(key):
    """The draws are not all refused: each demo yields applicable plans with a stated composition and a center."""
    base = Baseline.of(district(key)[0])
    seen: set[str] = set()

    # Derandomized: the same draws every run, so the check says whether the strategies CAN reach
    # every lever, not whether this run happened to.
    @settings(max_examples=150, deadline=None, database=None, derandomize=True)
    @given(plans(key))
    def collect(levers):
        try:
            plan_effect(base, levers)
        except PlanError:
            return
        for lv in levers:
            seen.add("composition" if getattr(lv, "composition", None) else lv.kind)

    collect()
    assert {"composition", "move", "grade_center", "close", "open", "lottery"} <= seen
