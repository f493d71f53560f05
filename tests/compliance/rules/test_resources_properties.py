"""Properties of the resource measures: invariance under spending scale and row order."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.rules.resources import evaluate_resources

from .test_resources import budget, school, workbook

SCALE_FREE = ("cv", "mcloone", "verstegen", "federal_range_ratio", "progressivity")
BAND_NAMES = ("elementary", "middle", "high")


@st.composite
def districts(draw):
    n = draw(st.integers(min_value=1, max_value=24))
    schools, budgets = [], []
    for i in range(n):
        enrollment = draw(st.integers(min_value=1, max_value=2000))
        ed = draw(st.integers(min_value=0, max_value=enrollment))
        white = draw(st.integers(min_value=0, max_value=enrollment))
        fte = draw(st.sampled_from([0.0, 1.0, 12.5, 30.0, 61.2]))
        sid = f"S{draw(st.integers(0, 10**6)):07d}-{i}"  # unique
        schools.append(school(sid, enrollment, ed=ed, white=white, title_i=draw(st.booleans()),
                              band=draw(st.sampled_from(BAND_NAMES))))
        budgets.append(budget(
            sid, fte=fte, inexperienced=fte * draw(st.sampled_from([0.0, 0.1, 0.5])),
            dollars=draw(st.floats(min_value=1_000, max_value=5e7)),
            nonpersonnel=draw(st.floats(min_value=0, max_value=1e7)),
        ))
    return schools, budgets


@settings(max_examples=100, deadline=None)
@given(districts(), st.floats(min_value=0.01, max_value=100.0))
def test_scaling_spending_leaves_relative_measures_unchanged(district, factor):
    schools, budgets = district
    scaled = [budget(b.school_id, fte=b.teacher_fte_state_local, inexperienced=b.teacher_fte_inexperienced,
                     dollars=b.personnel_state_local * factor, nonpersonnel=b.nonpersonnel_state_local * factor)
              for b in budgets]
    before, _, _ = evaluate_resources(workbook(schools, budgets), None)
    after, _, _ = evaluate_resources(workbook(schools, scaled), None)
    for group in ("district", *BAND_NAMES):
        a = before["district"] if group == "district" else before["bands"][group]
        b = after["district"] if group == "district" else after["bands"][group]
        for key in SCALE_FREE:
            if a[key] is None:
                assert b[key] is None, key
            else:
                assert b[key] == pytest.approx(a[key], rel=1e-9, abs=1e-12), key
        if a["ppe_mean"] is not None:
            assert b["ppe_mean"] == pytest.approx(a["ppe_mean"] * factor, rel=1e-9)
        # staffing does not depend on dollars at all
        assert b["students_per_teacher_pooled"] == a["students_per_teacher_pooled"]
        assert b["inexperienced_gap_poverty"] == a["inexperienced_gap_poverty"]


@settings(max_examples=100, deadline=None)
@given(districts(), st.randoms(use_true_random=False))
def test_row_order_changes_nothing(district, rnd: random.Random):
    schools, budgets = district
    measures, findings, problems = evaluate_resources(workbook(schools, budgets), None)
    schools2, budgets2 = schools[:], budgets[:]
    rnd.shuffle(schools2)
    rnd.shuffle(budgets2)
    measures2, findings2, problems2 = evaluate_resources(workbook(schools2, budgets2), None)
    # bit-for-bit: every sum runs in school_id order whatever the row order
    assert measures2["district"] == measures["district"]
    assert measures2["bands"] == measures["bands"]
    assert measures2["schools"] == measures["schools"]
    assert [f.as_json() for f in findings2] == [f.as_json() for f in findings]
    key = lambda p: (p.code, str(p.value), p.message)  # noqa: E731
    assert sorted(map(key, problems2)) == sorted(map(key, problems))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.just(0.0), st.floats(0.01, 1e5)), st.integers(1, 500)), min_size=1, max_size=30))
def test_mcloone_and_verstegen_bracket_one(pairs):
    from compliance.rules.resource_measures import mcloone_index, pupil_weighted_percentile, verstegen_index

    values, weights = zip(*pairs)
    median = pupil_weighted_percentile(values, weights, 0.5)
    if median == 0:  # undefined, not 0 or NaN
        assert mcloone_index(values, weights) is None
        return
    # everyone below the median spends at most it, so McLoone <= 1 <= Verstegen
    assert mcloone_index(values, weights) <= 1 + 1e-12
    assert verstegen_index(values, weights) >= 1 - 1e-12
