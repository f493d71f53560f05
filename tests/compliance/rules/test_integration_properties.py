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


# ---------------------------------------------------------------------------
# The vectorized findings build the same text as formatting each finding on its own.

_LABEL = {
    "students_of_color": "students of color", "hispanic": "Hispanic students",
    "american_indian": "American Indian students", "asian": "Asian students", "black": "Black students",
    "pacific_islander": "Pacific Islander students", "white": "white students",
    "two_or_more": "students of two or more races",
}


def _area(band):
    return "the district" if band is None else f"the district's {band} schools"


@given(st.lists(st.one_of(
    st.floats(0, 1000, allow_nan=False),
    st.integers(0, 20000).map(lambda k: k / 20),  # exact halves of a tenth: ties for "%.1f"
    st.integers(0, 10000).map(lambda k: k / 10),
    st.sampled_from([0.0, -0.0, 0.05, 0.15, 0.25, 1e-300, 5e-324, 999.95, 1000.0, 1000.05, 5000.0, -1.25,
                     float("nan"), float("inf")]),
), max_size=200))
def test_fmt1_is_python_formatting(values):
    from compliance.rules.integration import _fmt1

    x = np.array(values, dtype=np.float64)
    assert _fmt1(x) == [f"{v:.1f}" for v in x.tolist()]
    assert _fmt1(x * 100) == [f"{v * 100:.1f}" for v in x.tolist()]


@settings(max_examples=100, deadline=None)
@given(districts(), st.sampled_from([None, {"INT-01": {"band": 0.05, "single_group_min_band_share": 0.0},
                                            "INT-02": {"threshold": 0.5}, "INT-03": {"band": 0.02}}]))
def test_school_messages_are_the_per_finding_text(rows, params):
    _, findings = evaluate_integration(WorkbookData(schools=rows), params)
    names = {r.school_id: r.school_name for r in rows}
    p01, p02, p03 = (params or {}).get("INT-01", {}), (params or {}).get("INT-02", {}), (params or {}).get("INT-03", {})
    lists = []
    for f in findings:
        e, label = f.evidence, f"{names.get(f.school_id)} ({f.school_id})"
        if f.rule == "INT-01":
            band = p01.get("band", 0.15)
            head = e["deviations"][0]
            if head["group"] != "students_of_color" and len(e["deviations"]) > 1:
                head = max(e["deviations"], key=lambda d: abs(d["difference"]))
            assert {k: e[k] for k in head} == head
            text = (
                f"{label} is racially identifiable: {head['school_share'] * 100:.1f}% {_LABEL[head['group']]} "
                f"against {head['band_share'] * 100:.1f}% in {_area(f.band)}, a difference of "
                f"{abs(head['difference']) * 100:.1f} points, more than the allowed ±{band * 100:.1f} points."
            )
            others = [d["group"] for d in e["deviations"] if d is not head]
            if others:
                text += " Also outside the band: " + ", ".join(_LABEL[g] for g in others) + "."
            assert f.message == text
            lists.append(e["deviations"])
        elif f.rule == "INT-02":
            assert f.message == (
                f"{label} is intensely segregated: {_LABEL[e['group']]} are {e['school_share'] * 100:.1f}% "
                f"of its enrollment, at or above {p02.get('threshold', 0.9) * 100:.1f}%."
            )
            lists.append(e["groups"])
        elif f.rule == "INT-03":
            s, b = e["school_share"], e["band_share"]
            assert e["difference"] == s - b
            assert f.message == (
                f"{label} is economically identifiable: {s * 100:.1f}% economically disadvantaged against "
                f"{b * 100:.1f}% in {_area(f.band)}, a difference of {abs(s - b) * 100:.1f} points, more than "
                f"the allowed ±{p03.get('band', 0.15) * 100:.1f} points."
            )
        assert f.recommendations == []
    assert len({id(x) for x in lists}) == len(lists)  # no list shared between findings


@settings(max_examples=60, deadline=None)
@given(districts(), st.data())
def test_proposed_school_entries_match_a_full_recomputation(rows, data):
    from compliance.rules.measures import school_shares

    proposal = []
    for r in rows:
        if data.draw(st.booleans()):
            c = data.draw(counts({}))
            proposal.append(ProposedRow(r.school_id, sum(c.values()), **c, econ_disadvantaged=0))
    if data.draw(st.booleans()):
        proposal.append(ProposedRow("NEW", 50, 0, 0, 0, 20, 0, 30, 0, 25, grade_low="K", grade_high="5"))
    measures, _ = evaluate_integration(WorkbookData(schools=rows, proposed=proposal), None)
    new_table, changes = proposed_table(school_table(rows), rows, proposal)
    # Only the schools the change touches, each equal to a full recomputation.
    expected = [{**e, "change": c} for e, c in zip(school_shares(new_table), changes) if c != "unchanged"]
    assert measures["proposed"]["schools"] == expected
    assert [list(e) for e in measures["proposed"]["schools"]] == [list(e) for e in expected]  # key order
    touched = {r.school_id for r in proposal} - {r.school_id for r, c in zip(rows, changes) if c == "unchanged"}
    assert {e["school_id"] for e in measures["proposed"]["schools"]} == touched
