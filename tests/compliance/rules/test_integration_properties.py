"""INT-01..03 and the Proposed fast path against a naive, exact (Fraction) reading of the spec."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.rules.integration import apply_proposed, evaluate_integration, proposed_table
from compliance.rules.measures import school_table
from compliance.rules.model import RACE_GROUPS, ProposedRow, SchoolRow, WorkbookData

SPANS = [("PK", "5"), ("K", "2"), ("6", "8"), ("9", "12"), ("K", "8"), ("5", "6")]
BAND = Fraction(15, 100)
MIN_SHARE = Fraction(5, 100)
THRESHOLD = Fraction(90, 100)


@st.composite
def counts(draw, size: dict[str, int]) -> dict[str, int]:
    """A school's counts; size caps each group (0: absent; small caps make groups under 5%)."""
    kind = draw(st.integers(0, 8))
    if kind == 0:
        return {g: 0 for g in RACE_GROUPS}
    cap = 3 if kind <= 2 else 60  # some tiny schools, where one student of a rare group is a big share
    return {g: draw(st.integers(0, min(cap, size.get(g, 60)))) for g in RACE_GROUPS}


@st.composite
def districts(draw):
    size = {g: draw(st.sampled_from([0, 2, 6, 60, 60])) for g in RACE_GROUPS}
    rows = []
    for i in range(draw(st.integers(1, 10))):
        c = draw(counts(size))
        t = sum(c.values())
        lo, hi = draw(st.sampled_from(SPANS))
        rows.append(SchoolRow(f"S{i}", f"School {i}", lo, hi, False, "attendance_zone", t, **c,
                              econ_disadvantaged=draw(st.integers(0, t))))
    return rows


def naive_flags(rows: list[SchoolRow]) -> dict[str, set[tuple[str, str]]]:
    """Each rule's flagged (school id, group) pairs, school by school in exact arithmetic."""
    flags: dict[str, set[tuple[str, str]]] = {"INT-01": set(), "INT-02": set(), "INT-03": set()}

    def shares(r):
        t = r.enrollment_total
        out = {g: Fraction(getattr(r, g), t) for g in RACE_GROUPS}
        out["students_of_color"] = Fraction(t - r.white, t)
        out["ed"] = Fraction(r.econ_disadvantaged, t)
        return out

    enrolled = [r for r in rows if r.enrollment_total > 0]
    for r in enrolled:
        mine = shares(r)
        band_rows = [b for b in enrolled if b.band == r.band]
        T = sum(b.enrollment_total for b in band_rows)
        band = {g: Fraction(sum(getattr(b, g) for b in band_rows), T) for g in RACE_GROUPS}
        band["students_of_color"] = Fraction(sum(b.enrollment_total - b.white for b in band_rows), T)
        band["ed"] = Fraction(sum(b.econ_disadvantaged for b in band_rows), T)
        groups = ["students_of_color"] + [g for g in RACE_GROUPS if band[g] >= MIN_SHARE]
        flags["INT-01"] |= {(r.school_id, g) for g in groups if abs(mine[g] - band[g]) > BAND}
        flags["INT-02"] |= {(r.school_id, g) for g in ("students_of_color", *RACE_GROUPS) if mine[g] >= THRESHOLD}
        if abs(mine["ed"] - band["ed"]) > BAND:
            flags["INT-03"].add((r.school_id, "ed"))
    return flags


@settings(max_examples=100, deadline=None)
@given(districts())
def test_school_rules_match_exact_reading(rows):
    _, findings = evaluate_integration(WorkbookData(schools=rows), None)
    got = {
        "INT-01": {(f.school_id, d["group"]) for f in findings if f.rule == "INT-01" for d in f.evidence["deviations"]},
        "INT-02": {(f.school_id, g) for f in findings if f.rule == "INT-02" for g in f.evidence["groups"]},
        "INT-03": {(f.school_id, "ed") for f in findings if f.rule == "INT-03"},
    }
    assert got == naive_flags(rows)
    # One finding per flagged school and rule.
    for rule in ("INT-01", "INT-02", "INT-03"):
        assert len([f for f in findings if f.rule == rule]) == len({sid for sid, _ in got[rule]})


@settings(max_examples=60, deadline=None)
@given(districts(), st.data())
def test_proposed_fast_path_matches_apply_proposed(rows, data):
    proposal = []
    for r in rows:
        if data.draw(st.booleans()):
            c = data.draw(counts({}))
            t = sum(c.values())
            span = data.draw(st.sampled_from([(None, None), *SPANS]))
            proposal.append(ProposedRow(r.school_id, t, **c, econ_disadvantaged=data.draw(st.integers(0, t)),
                                        grade_low=span[0], grade_high=span[1]))
    for j in range(data.draw(st.integers(0, 2))):
        span = data.draw(st.sampled_from([(None, None), *SPANS]))
        proposal.append(ProposedRow(f"NEW{j}", 50, 0, 0, 0, 20, 0, 30, 0, 25, grade_low=span[0], grade_high=span[1]))
    applied = apply_proposed(rows, proposal)
    slow = school_table(applied)
    fast, changes = proposed_table(school_table(rows), rows, proposal)
    assert fast.school_ids == slow.school_ids and changes == [s.change for s in applied]
    for attr in ("counts", "enrollment", "ed", "band"):
        assert np.array_equal(getattr(fast, attr), getattr(slow, attr))
