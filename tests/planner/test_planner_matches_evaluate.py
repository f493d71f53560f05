"""Property: the planner's measures and INT-05 findings for any plan equal evaluate's on the exported workbook."""
from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.demo import demo_workbook
from compliance.pipeline import builtin_rule_set, evaluate_path
from compliance.rules.planner import CloseSchool, GradeCenter, Lottery, MoveStudents, OpenSchool, PlanError
from compliance.rules.planner_effect import Baseline, plan_effect
from compliance.rules.ruleset import default_params
from compliance.workbook.template import write_workbook
from planner.exports import proposed_workbook

ZONED = demo_workbook("zoned", "2026-27")
IDS = [s.school_id for s in ZONED.schools]
ELEM = [s.school_id for s in ZONED.schools if s.band == "elementary"]
MIDDLE = [s.school_id for s in ZONED.schools if s.band == "middle"]


def _original() -> bytes:
    out = io.BytesIO()
    write_workbook(out, ZONED)  # with the demo's own Proposed sheet, which the export must replace
    return out.getvalue()


ORIGINAL = _original()

moves = st.builds(MoveStudents, st.sampled_from(IDS + ["9001"]), st.sampled_from(IDS + ["9001"]),
                  st.integers(0, 300), st.one_of(st.none(), st.integers(0, 120)))
centers = st.sampled_from([
    GradeCenter((ELEM[0], ELEM[-1]), (("K", "2"), ("3", "5"))),
    GradeCenter((ELEM[1], ELEM[4], ELEM[5]), (("K", "1"), ("2", "3"), ("4", "5"))),
    GradeCenter((MIDDLE[0], MIDDLE[1]), (("6", "6"), ("7", "8"))),
])
closes = st.builds(CloseSchool, st.sampled_from(ELEM),
                   st.lists(st.sampled_from(ELEM), max_size=2, unique=True).map(tuple))
opens = st.just(OpenSchool("9001", "New Elementary", "K", "5"))
lotteries = st.builds(Lottery, st.sampled_from(IDS), st.integers(1, 200), st.floats(0, 1),
                      st.integers(0, 200), st.integers(0, 200))
plans = st.lists(st.one_of(moves, centers, closes, opens, lotteries), min_size=1, max_size=5)


def _int05(findings):
    return sorted((f["scope"], f["band"] or "", f["evidence"]["measure"], f["severity"], f["message"])
                  for f in findings if f["rule"] == "INT-05")


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans)
def test_planner_equals_evaluate_on_exported_workbook(levers):
    base = Baseline.of(ZONED.schools, default_params())
    try:
        effect = plan_effect(base, levers)
    except PlanError:
        return  # an impossible plan is refused on the page and never exported
    blob = proposed_workbook(ORIGINAL, effect.proposed, "What-if plan")
    out = evaluate_path(blob, rule_set=builtin_rule_set(), guarded=False)
    assert [p for p in out.result["problems"] if p["severity"] == "error"] == []
    measures = out.result["measures"]
    if not effect.proposed:
        assert "proposed" not in measures  # an empty Proposed sheet counts as absent
        assert effect.int05 == [] and effect.verdict == "none"
        return
    proposed = measures["proposed"]
    assert proposed["district"] == {k: v for k, v in effect.after["district"].items()}
    for band in ("elementary", "middle", "high"):
        assert proposed["bands"][band] == effect.after["bands"][band]
    assert _int05(out.result["findings"]) == _int05([f.as_json() for f in effect.int05])
    changed = {s["school_id"]: s["change"] for s in proposed["schools"]}
    assert changed == effect.changes
