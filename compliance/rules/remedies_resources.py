"""The resource remedies: teacher FTE and dollars that would resolve RES-01..RES-04, in closed form.

docs/recommendations.md, "Remedy estimates": what a flagged Title I school needs to meet
comparability (RES-01 staff, RES-02 spending, from the pools and figures of the rules' own
comparability worksheet, never worked out again), the dollars to move between poverty quartiles
for progressivity (RES-03), and the inexperienced-teacher FTE to swap between quartiles for
teacher equity (RES-04). Each figure assumes the schools it does not name unchanged.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .comparability import TESTED, BandSheet, Status, Test
from .model import BudgetRow, SchoolRow, WorkbookData
from .resource_measures import quartile_labels
from .resources import comparability

_Pair = tuple[SchoolRow, BudgetRow]


def fte_to_meet_ratio(enrollment: float, current_fte: float, comparison_ratio: float, limit: float) -> float:
    """FTE to add so that enrollment / FTE <= limit x comparison_ratio (comparison unchanged)."""
    return max(0.0, enrollment / (limit * comparison_ratio) - current_fte)


def dollars_to_meet_ppe(enrollment: float, school_ppe: float, comparison_ppe: float, limit: float) -> float:
    """Dollars to add so that the school's ppe >= limit x comparison_ppe (comparison unchanged)."""
    return max(0.0, (limit * comparison_ppe - school_ppe) * enrollment)


def _budget_map(wb: WorkbookData) -> dict[str, BudgetRow]:
    """Each school's Budget row; of duplicate rows the first, as the rules count it (resources.py)."""
    out: dict[str, BudgetRow] = {}
    for b in wb.budget:
        out.setdefault(b.school_id, b)
    return out


def _dollars(b: BudgetRow) -> float:
    return b.personnel_state_local + b.nonpersonnel_state_local


# ------------------------------------------------------------------ RES-01 / RES-02

# What the estimate calls each comparison group of the worksheet.
_COMPARISON = {
    "non_title_i": "non-Title I schools in the band",
    "band": "all schools in the band (every school is Title I)",
}


class ComparabilityIndex:
    """One workbook's comparability worksheet, the very one RES-01/RES-02 judge by
    (:func:`.resources.comparability`), with where each counted school sits in it: a flagged
    school's remedy reads its band's pool and pooled totals, and costs no pass over the district."""

    def __init__(self, wb: WorkbookData, params: dict | None) -> None:
        sheet = comparability(wb, params)
        self._where: dict[str, tuple[BandSheet, int]] = {}
        for band in sheet.bands if sheet else ():
            for i, school_id in enumerate(band.arrays.school_id[band.members].tolist()):
                # Of duplicate school_ids (the reader's error to report) the first.
                self._where.setdefault(school_id, (band, i))

    def place(self, school_id: str) -> tuple[BandSheet, int] | None:
        """The school's band worksheet and its position there; None when the rules do not count it."""
        return self._where.get(school_id)


def comparability_remedy(
    wb: WorkbookData,
    school_id: str,
    *,
    params: dict | None = None,
    index: ComparabilityIndex | None = None,
) -> dict[str, Any] | None:
    """FTE (RES-01) and dollars (RES-02) to bring one Title I school to comparability.

    Everything the rules decide is read from their worksheet (:mod:`.comparability`): which
    schools are counted (pupils and a Budget row, the first of duplicate rows), the comparison
    pool of the band under each rule (with its own ``min_enrollment``; for staff, only schools
    with state/local teachers), the pooled figure, the limit and threshold, and whether the
    school is comparable. So ``res01``/``res02`` is given exactly when the rules make a RES-01/
    RES-02 finding of the school, and ``None`` when it is comparable or has no comparison figure.
    A pool of one school is a comparison like any other: a non-Title I pool of one is the
    yardstick; an all-Title I band whose only school above the minimum is this one compares it
    with itself, so it is comparable and gets no remedy.

    Two ways are given for each: adding to the school with the comparison unchanged, and
    moving from the comparison schools (which also moves the comparison figure, solved
    exactly). When the school is in its own comparison group (all Title I), adding to it
    moves the pooled figure too; that is solved exactly as well. Each school's figure
    assumes the other schools unchanged.

    ``None`` when neither rule tests the school against a comparison (not counted, not Title I,
    exempt, alone in its band, rule off). ``index`` (built once per workbook with the same
    ``params``) spares a pass over the district for each school.
    """
    index = index if index is not None else ComparabilityIndex(wb, params)
    place = index.place(school_id)
    if place is None:
        return None
    sheet, i = place
    tested = [t for t in sheet.tests if t.status_of(i) in TESTED]
    if not tested:
        return None
    return {
        **_about(sheet, i, tested[0]),
        "comparison_schools": tested[0].pool_size,
        "res01": _remedy(sheet, i, sheet.staff),
        "res02": _remedy(sheet, i, sheet.spending),
    }


def comparability_estimate(index: ComparabilityIndex, school_id: str, code: str) -> dict[str, Any] | None:
    """The estimate of a RES-01 (staff) or RES-02 (spending) finding of ``school_id``: None
    unless the rules find the school not comparable under ``code``."""
    place = index.place(school_id)
    if place is None:
        return None
    sheet, i = place
    test = sheet.staff if code == "RES-01" else sheet.spending
    part = _remedy(sheet, i, test)
    return None if part is None else {**_about(sheet, i, test), **part}


def _about(sheet: BandSheet, i: int, test: Test) -> dict[str, Any]:
    school, _ = sheet.arrays.rows[int(sheet.members[i])]
    return {"school_id": school.school_id, "band": sheet.band, "enrollment": school.enrollment_total,
            "comparison": _COMPARISON[test.group] if test.group else ""}


def _remedy(sheet: BandSheet, i: int, test: Test) -> dict[str, Any] | None:
    """The remedy of the school at position ``i`` under ``test``; None unless the test finds it not comparable."""
    if test.status_of(i) is not Status.NOT_COMPARABLE:
        return None
    assert test.pooled is not None  # a school is only judged against a pooled figure
    school, budget = sheet.arrays.rows[int(sheet.members[i])]
    solve = _staff_remedy if test.rule.staff else _spending_remedy
    return solve(float(school.enrollment_total), budget, test, test.pooled, bool(test.pool[i]))


def _at_least_zero(x: float | None) -> float | None:
    return max(0.0, x) if x is not None else None


def _staff_remedy(n: float, b: BudgetRow, test: Test, pooled: float, in_pool: bool) -> dict[str, Any]:
    """RES-01, students per state/local teacher: the FTE to add, or to move from the comparison."""
    f, L = b.teacher_fte_state_local, test.rule.limit
    pn, pf = test.pupils, test.amount
    move: float | None = None
    if test.group == "band":
        # n/(f+x) <= L*pn/(pf+x), the school counted in the pool: a school without teachers is
        # out of the staff pool, and joins it, pupils and all, with its first FTE.
        if not in_pool:
            pn, pf = pn + n, pf + f
        denom = L * pn - n
        add = (n * pf - L * pn * f) / denom if denom > 0 else None
    else:
        add = fte_to_meet_ratio(n, f, pooled, L)
        # n/(f+x) <= L*pn/(pf-x): FTE taken from the comparison schools (always less than pf).
        move = (n * pf - L * pn * f) / (n + L * pn)
    return {
        "students_per_teacher": n / f if f > 0 else None,
        "comparison_ratio": pooled,
        "limit": L,
        "target_ratio": L * pooled,
        "current_fte": f,
        "fte_to_add": _at_least_zero(add),
        "fte_to_move_from_comparison": _at_least_zero(move),
    }


def _spending_remedy(n: float, b: BudgetRow, test: Test, pooled: float, in_pool: bool) -> dict[str, Any]:
    """RES-02, state/local per-pupil expenditure: the dollars to add, or to move from the comparison."""
    d, L = _dollars(b), test.rule.limit
    pn, pd = test.pupils, test.amount
    move: float | None = None
    if test.group == "band":
        # (d+x)/n >= L*(pd+x)/pn, the school's own x counted in the pool (a tested school is in
        # it already: the band's pool is every school above the minimum).
        if not in_pool:
            pn, pd = pn + n, pd + d
        denom = pn - L * n
        add = (L * n * pd - pn * d) / denom if denom > 0 else None
    else:
        add = dollars_to_meet_ppe(n, d / n, pooled, L)
        # (d+x)/n >= L*(pd-x)/pn: dollars taken from the comparison schools.
        move = (L * n * pd - pn * d) / (pn + L * n)
    return {
        "ppe": d / n,
        "comparison_ppe": pooled,
        "limit": L,
        "target_ppe": L * pooled,
        "dollars_to_add": _at_least_zero(add),
        "dollars_to_move_from_comparison": _at_least_zero(move),
    }


# ------------------------------------------------------------------ RES-03 / RES-04


def _share(s: SchoolRow, by: str) -> float:
    num = s.econ_disadvantaged if by == "poverty" else s.enrollment_total - s.white
    return num / s.enrollment_total


def quartiles(wb: WorkbookData, *, by: str = "poverty", band: str | None = None) -> list[list[_Pair]] | None:
    """Schools with a Budget row (and enrollment > 0) in four groups, lowest share first.

    docs/measures.md, "Resource measures": ranked by ED share (``by="poverty"``) or
    students_of_color share (``by="students_of_color"``), ties by school_id, four groups of as
    equal a count as possible, the first groups taking the extra schools. Ranking is
    ascending, so the first group is the lowest-poverty quartile. ``None`` with fewer than 4
    schools.
    """
    if by not in ("poverty", "students_of_color"):
        raise ValueError("by must be 'poverty' or 'students_of_color'")
    budgets = _budget_map(wb)
    pairs = [
        (s, budgets[s.school_id])
        for s in wb.schools
        if s.enrollment_total > 0 and s.school_id in budgets and (band is None or s.band == band)
    ]
    # The rules' own quartiles (resource_measures), so a remedy always answers its finding.
    labels = quartile_labels([_share(s, by) for s, _ in pairs], [s.school_id for s, _ in pairs])
    if labels is None:
        return None
    groups: list[list[_Pair]] = [[], [], [], []]
    for pair, label in sorted(zip(pairs, labels.tolist()), key=lambda x: (_share(x[0][0], by), x[0][0].school_id)):
        groups[label].append(pair)
    return groups


def dollars_to_reach_ratio(
    low_dollars: float, low_pupils: float, high_dollars: float, high_pupils: float, min_ratio: float
) -> float:
    """Dollars X moved from the low to the high group so that
    (high_dollars + X) / high_pupils >= min_ratio * (low_dollars - X) / low_pupils.

    Solving for X: X >= (m*Nh*Dl - Nl*Dh) / (Nl + m*Nh); 0 when the ratio is already met.
    """
    x = (min_ratio * high_pupils * low_dollars - low_pupils * high_dollars) / (low_pupils + min_ratio * high_pupils)
    return max(0.0, x)


def progressivity_remedy(wb: WorkbookData, *, min_ratio: float = 1.0, band: str | None = None) -> dict[str, Any] | None:
    """Dollars to move from the lowest- to the highest-poverty quartile to reach ``min_ratio``.

    Also gives the alternative of adding dollars to the highest-poverty quartile alone.
    ``None`` when quartiles are undefined (fewer than 4 schools) or a quartile has no pupils.
    """
    qs = quartiles(wb, by="poverty", band=band)
    if qs is None:
        return None
    low, high = qs[0], qs[-1]
    ln = float(sum(s.enrollment_total for s, _ in low))
    hn = float(sum(s.enrollment_total for s, _ in high))
    ld = float(sum(_dollars(b) for _, b in low))
    hd = float(sum(_dollars(b) for _, b in high))
    if ln <= 0 or hn <= 0 or ld <= 0:
        return None
    ratio = (hd / hn) / (ld / ln)
    move = dollars_to_reach_ratio(ld, ln, hd, hn, min_ratio)
    return {
        "band": band,
        "low_quartile_ppe": ld / ln,
        "high_quartile_ppe": hd / hn,
        "ratio": ratio,
        "min_ratio": min_ratio,
        "low_quartile_schools": [s.school_id for s, _ in low],
        "high_quartile_schools": [s.school_id for s, _ in high],
        "dollars_to_move": move,
        "dollars_to_add_to_high": max(0.0, min_ratio * (ld / ln) * hn - hd),
        "ppe_after_move": (hd + move) / hn,
    }


def fte_swap_to_reach_gap(
    high_inexperienced: float, high_fte: float, low_inexperienced: float, low_fte: float, max_gap: float
) -> float:
    """Inexperienced FTE y swapped (y inexperienced high->low, y experienced low->high, so each
    quartile keeps its FTE) so that (Ih - y)/Fh - (Il + y)/Fl <= max_gap.

    y = (gap - max_gap) * Fh * Fl / (Fh + Fl); 0 when the gap is already met.
    """
    gap = high_inexperienced / high_fte - low_inexperienced / low_fte
    return max(0.0, (gap - max_gap) * high_fte * low_fte / (high_fte + low_fte))


def teacher_equity_remedy(
    wb: WorkbookData,
    *,
    max_gap: float = 0.05,
    band: str | None = None,
    by: Sequence[str] = ("poverty", "students_of_color"),
) -> dict[str, Any] | None:
    """The inexperienced-teacher FTE swap between the high and low quartiles (RES-04), for
    each quartile definition in ``by``; an entry is ``None`` when that gap is already within
    ``max_gap`` or undefined. ``None`` overall when no quartiles can be formed.
    """
    out: dict[str, Any] = {"band": band, "max_gap": max_gap}
    any_quartiles = False
    for key in by:
        qs = quartiles(wb, by=key, band=band)
        any_quartiles = any_quartiles or qs is not None
        out[key] = None if qs is None else _teacher_swap(qs[0], qs[-1], max_gap)
    return out if any_quartiles else None


def _teacher_swap(low: list[_Pair], high: list[_Pair], max_gap: float) -> dict[str, Any] | None:
    """The swap for one quartile definition; None when its gap is within ``max_gap`` or undefined."""
    lf = sum(b.teacher_fte_state_local for _, b in low)
    hf = sum(b.teacher_fte_state_local for _, b in high)
    li = sum(b.teacher_fte_inexperienced for _, b in low)
    hi = sum(b.teacher_fte_inexperienced for _, b in high)
    if lf <= 0 or hf <= 0:
        return None
    gap = hi / hf - li / lf
    if gap <= max_gap + 1e-12:
        return None
    y = fte_swap_to_reach_gap(hi, hf, li, lf, max_gap)
    # The swap needs that many inexperienced teachers in the high group and experienced
    # ones in the low group.
    feasible = y <= hi + 1e-9 and y <= (lf - li) + 1e-9
    return {
        "high_rate": hi / hf,
        # The one-sided alternative: replace inexperienced teachers of the high quartile
        # with experienced ones from outside both quartiles (the low rate unchanged).
        "fte_to_replace_in_high": (gap - max_gap) * hf,
        "low_rate": li / lf,
        "gap": gap,
        "fte_to_swap": y,
        "reassignments": 2 * y,
        "reachable": feasible,
        "high_quartile_schools": [s.school_id for s, _ in high],
        "low_quartile_schools": [s.school_id for s, _ in low],
    }
