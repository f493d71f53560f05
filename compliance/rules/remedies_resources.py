"""The resource remedies: teacher FTE and dollars that would resolve RES-01..RES-04, in closed form.

docs/recommendations.md, "Remedy estimates": what a flagged Title I school needs to meet
comparability (RES-01 staff, RES-02 spending), the dollars to move between poverty quartiles
for progressivity (RES-03), and the inexperienced-teacher FTE to swap between quartiles for
teacher equity (RES-04). Each figure assumes the schools it does not name unchanged.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .model import BudgetRow, SchoolRow, WorkbookData
from .resource_measures import quartile_labels

_Pair = tuple[SchoolRow, BudgetRow]


def fte_to_meet_ratio(enrollment: float, current_fte: float, comparison_ratio: float, limit: float) -> float:
    """FTE to add so that enrollment / FTE <= limit x comparison_ratio (comparison unchanged)."""
    return max(0.0, enrollment / (limit * comparison_ratio) - current_fte)


def dollars_to_meet_ppe(enrollment: float, school_ppe: float, comparison_ppe: float, limit: float) -> float:
    """Dollars to add so that the school's ppe >= limit x comparison_ppe (comparison unchanged)."""
    return max(0.0, (limit * comparison_ppe - school_ppe) * enrollment)


def _budget_map(wb: WorkbookData) -> dict[str, BudgetRow]:
    return {b.school_id: b for b in wb.budget}


def _dollars(b: BudgetRow) -> float:
    return b.personnel_state_local + b.nonpersonnel_state_local


class _Pool:
    """A band's comparison schools with their pooled figures, worked out once for all its schools."""

    def __init__(self, schools: list[SchoolRow], budgets: dict[str, BudgetRow], self_pool: bool) -> None:
        self.schools = schools
        self.self_pool = self_pool
        staffed = [s for s in schools if budgets[s.school_id].teacher_fte_state_local > 0]
        self.staffed = bool(staffed)
        self.staffed_pupils = float(sum(s.enrollment_total for s in staffed))
        self.staffed_fte = float(sum(budgets[s.school_id].teacher_fte_state_local for s in staffed))
        self.pupils = float(sum(s.enrollment_total for s in schools))
        self.dollars = float(sum(_dollars(budgets[s.school_id]) for s in schools))


class ComparabilityIndex:
    """One workbook's schools, budgets and comparison pools, so that each flagged school's
    remedy costs no pass over the district (pools are built on first use, per band)."""

    def __init__(self, wb: WorkbookData) -> None:
        self.budgets = _budget_map(wb)
        self.schools = {s.school_id: s for s in wb.schools}
        self.band_of = {s.school_id: s.band for s in wb.schools}
        self._in_band: dict[str, list[SchoolRow]] = {}
        for s in wb.schools:
            if s.enrollment_total > 0 and s.school_id in self.budgets:
                self._in_band.setdefault(self.band_of[s.school_id], []).append(s)
        self._pools: dict[tuple[str, int], _Pool | None] = {}

    def pool(self, band: str, min_enrollment: int) -> _Pool | None:
        """The band's comparison schools (None when it has none)."""
        key = (band, min_enrollment)
        if key not in self._pools:
            self._pools[key] = self._make_pool(band, min_enrollment)
        return self._pools[key]

    def _make_pool(self, band: str, min_enrollment: int) -> _Pool | None:
        # A band "with more than one school" counts the schools with pupils and a Budget row.
        in_band = self._in_band.get(band, [])
        if len(in_band) < 2:
            return None
        eligible = [s for s in in_band if s.enrollment_total >= min_enrollment]
        non_title = [s for s in eligible if not s.title_i]
        self_pool = not non_title
        pool = eligible if self_pool else non_title
        if not pool or (self_pool and len(pool) < 2):
            return None
        return _Pool(pool, self.budgets, self_pool)


def comparability_remedy(
    wb: WorkbookData,
    school_id: str,
    *,
    res01_limit: float = 1.10,
    res02_limit: float = 0.90,
    min_enrollment: int = 100,
    index: ComparabilityIndex | None = None,
) -> dict[str, Any] | None:
    """FTE (RES-01) and dollars (RES-02) to bring one Title I school to comparability.

    Comparison group (docs/rules.md, "Resource equity"): the non-Title I schools of the
    school's band; if every school of the band is Title I, all the band's schools (the school
    included). Schools under ``min_enrollment`` and schools without a Budget row are left out
    of the comparison, as they are exempt; for the staffing ratio, schools with no state/local
    FTE are left out too (their ratio is undefined).

    Two ways are given for each: adding to the school with the comparison unchanged, and
    moving from the comparison schools (which also moves the comparison figure, solved
    exactly). When the school is in its own comparison group (all Title I), adding to it
    moves the pooled figure too; that is solved exactly as well. Each school's figure
    assumes the other schools unchanged.

    ``None`` when the school is exempt or has no comparison; ``res01``/``res02`` are ``None``
    when that measure already meets the limit or is undefined. ``index`` (built once per
    workbook) spares a pass over the district for each school.
    """
    index = index or ComparabilityIndex(wb)
    school = index.schools.get(school_id)
    b = index.budgets.get(school_id)
    if school is None or b is None or school.enrollment_total < min_enrollment:
        return None
    pool = index.pool(index.band_of[school_id], min_enrollment)
    if pool is None:
        return None
    return {
        "school_id": school_id,
        "band": index.band_of[school_id],
        "enrollment": school.enrollment_total,
        "comparison": "all schools in the band (every school is Title I)" if pool.self_pool
        else "non-Title I schools in the band",
        "comparison_schools": len(pool.schools),
        "res01": _staff_remedy(school, b, pool, res01_limit),
        "res02": _spending_remedy(school, b, pool, res02_limit),
    }


def _staff_remedy(school: SchoolRow, b: BudgetRow, pool: _Pool, limit: float) -> dict[str, Any] | None:
    """RES-01, students per state/local teacher: the FTE to add, or to move from the comparison."""
    if not pool.staffed:
        return None
    n = float(school.enrollment_total)
    f = b.teacher_fte_state_local
    pn, pf = pool.staffed_pupils, pool.staffed_fte
    pooled = pn / pf
    L = limit
    if not (f <= 0 or n / f > L * pooled + 1e-12):
        return None  # already comparable
    if pool.self_pool:
        # n/(f+x) <= L*pn/(pf+x), the school's own x counted in the pool.
        denom = L * pn - n
        add = (n * pf - L * pn * f) / denom if denom > 0 else None
        move = None
    else:
        add = fte_to_meet_ratio(n, f, pooled, L)
        # n/(f+x) <= L*pn/(pf-x): FTE taken from the comparison schools.
        move = (n * pf - L * pn * f) / (n + L * pn)
        if move > pf:
            move = None
    return {
        "students_per_teacher": n / f if f > 0 else None,
        "comparison_ratio": pooled,
        "limit": L,
        "target_ratio": L * pooled,
        "current_fte": f,
        "fte_to_add": max(0.0, add) if add is not None else None,
        "fte_to_move_from_comparison": max(0.0, move) if move is not None else None,
    }


def _spending_remedy(school: SchoolRow, b: BudgetRow, pool: _Pool, limit: float) -> dict[str, Any] | None:
    """RES-02, state/local per-pupil expenditure: the dollars to add, or to move from the comparison."""
    n = float(school.enrollment_total)
    d = _dollars(b)
    pn, pd = pool.pupils, pool.dollars
    pooled_ppe = pd / pn
    L = limit
    if not d / n < L * pooled_ppe - 1e-9:
        return None  # already comparable
    if pool.self_pool:
        # (d+x)/n >= L*(pd+x)/pn, the school's own x counted in the pool.
        denom = pn - L * n
        add = (L * n * pd - pn * d) / denom if denom > 0 else None
        move = None
    else:
        add = dollars_to_meet_ppe(n, d / n, pooled_ppe, L)
        # (d+x)/n >= L*(pd-x)/pn: dollars taken from the comparison schools.
        move = (L * n * pd - pn * d) / (pn + L * n)
    return {
        "ppe": d / n,
        "comparison_ppe": pooled_ppe,
        "limit": L,
        "target_ppe": L * pooled_ppe,
        "dollars_to_add": max(0.0, add) if add is not None else None,
        "dollars_to_move_from_comparison": max(0.0, move) if move is not None else None,
    }


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
