"""Remedy estimates: what it would take, in the district's own numbers, to resolve a finding.

Four estimates (recommendations.md, "Remedy estimates"):

* :func:`integration_remedy` -- the fewest student reassignments among the schools of one
  grade band that bring every school within the INT-01 / INT-03 bands (a linear program
  solved with HiGHS through ``scipy.optimize.linprog``);
* :func:`comparability_remedy` -- the state/local teacher FTE and dollars a flagged Title I
  school needs to meet RES-01 / RES-02;
* :func:`progressivity_remedy` -- the dollars to move from the lowest- to the highest-poverty
  quartile so that RES-03's ratio is reached;
* :func:`teacher_equity_remedy` -- the inexperienced-teacher FTE to swap between quartiles so
  that RES-04's gap is reached.

Every result is a plain JSON-ready dict (Python floats/ints only). Pure Python + numpy/scipy:
no Django here.

Counting convention for reassignments: every student who changes school counts once, so a
swap (one student each way) is two reassignments.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from .model import RACE_GROUPS, BudgetRow, SchoolRow, WorkbookData
from .resource_measures import quartile_labels

__all__ = [
    "integration_remedy",
    "comparability_remedy",
    "fte_to_meet_ratio",
    "dollars_to_meet_ppe",
    "quartiles",
    "progressivity_remedy",
    "dollars_to_reach_ratio",
    "teacher_equity_remedy",
    "fte_swap_to_reach_gap",
]

_EPS = 1e-9  # float slack when turning a share bound into whole students
_FLOW_TOL = 1e-7  # LP values below this are solver noise, not students

# --------------------------------------------------------------------------------------
# Integration: minimum reassignments (INT-01 / INT-03)
# --------------------------------------------------------------------------------------


def _ceil_students(x: float) -> int:
    """Whole students needed for a (possibly fractional) LP amount; solver noise is ignored."""
    return max(0, math.ceil(x - 1e-4))  # a ten-thousandth of a student is solver noise


def integration_remedy(
    schools: Sequence[SchoolRow],
    *,
    band: float | None = 0.15,
    ed_band: float | None = 0.15,
    use_capacity: bool = True,
    single_group_min_share: float | None = None,
    joint: str = "independence",
) -> dict[str, Any]:
    """Fewest reassignments among ``schools`` (one grade band) that bring every school within
    ``band`` of the band's students_of_color share and within ``ed_band`` of its ED share.

    ``band``/``ed_band`` ``None`` drops that constraint. ``single_group_min_share`` (INT-01's
    ``single_group_min_band_share``) also holds each single race group whose band share is at
    least that value within ``band``; ``None`` leaves single groups out.

    The unknown race x ED joint distribution: students are moved as cells (race class x
    ED/not ED), each cell a separate flow, each school able to send at most the students it
    has in that cell. ``joint="independence"`` (default) estimates a school's cells as its race
    counts times its ED share; ``joint="bounds"`` lets the LP choose any joint table consistent
    with the school's margins, which gives a lower bound (the most favourable case).

    Enrollment: each school keeps its enrollment; where ``capacity`` is given and
    ``use_capacity``, that school's enrollment may instead vary between 0 and
    ``max(capacity, current enrollment)`` (an overcrowded school is never forced to shed
    students just to meet its capacity).

    Formulation: one pair of variables (students in, students out) per school and cell;
    conservation per cell; the objective is total students out. Every optimal solution
    decomposes into flows between pairs of schools with the same total (done greedily,
    largest first, per cell), so the pairwise formulation is not needed and the LP stays at
    2 x schools x cells variables however large the band.

    Fixed-enrollment schools get whole-student share bounds (ceil/floor); a school so small
    that no whole number of students fits its band is reported as not reachable.
    """
    if joint not in ("independence", "bounds"):
        raise ValueError("joint must be 'independence' or 'bounds'")
    rows = [s for s in schools if s.enrollment_total > 0]  # measures.md: 0-enrollment left out
    total = sum(s.enrollment_total for s in rows)
    n = len(rows)

    # Race classes: each race group separately when single groups are constrained, else the
    # two classes students of color / white (fewer cells, readable flows).
    race_totals = {g: sum(getattr(s, g) for s in rows) for g in RACE_GROUPS}
    if single_group_min_share is not None and band is not None:
        classes: list[tuple[str, tuple[str, ...]]] = [(g, (g,)) for g in RACE_GROUPS]
    else:
        classes = [
            ("students_of_color", tuple(g for g in RACE_GROUPS if g != "white")),
            ("white", ("white",)),
        ]
    cells = [(label, members, ed) for label, members in classes for ed in (True, False)]
    K = len(cells)

    method = _method_text(n, joint, use_capacity and any(s.capacity for s in rows))
    result_base: dict[str, Any] = {"method": method, "schools": n, "band_enrollment": total}
    if n == 0 or total == 0:
        return {**result_base, "reachable": True, "students_moved": 0, "share_of_band": 0.0,
                "largest_flows": [], "flows": []}

    # Constrained groups: (name, cell indices, target share, half-width).
    groups: list[tuple[str, list[int], float, float]] = []
    if band is not None:
        soc_cells = [k for k, (label, members, _) in enumerate(cells) if "white" not in members]
        groups.append(("students_of_color", soc_cells, (total - race_totals["white"]) / total, band))
        if single_group_min_share is not None:
            for g in RACE_GROUPS:
                share = race_totals[g] / total
                # Same 1e-12 slack as the INT-01 rule's eligibility test.
                if share >= single_group_min_share - 1e-12 and share > 0:
                    groups.append((g, [k for k, c in enumerate(cells) if c[0] == g], share, band))
    if ed_band is not None:
        ed_total = sum(s.econ_disadvantaged for s in rows)
        groups.append(("econ_disadvantaged", [k for k, c in enumerate(cells) if c[2]], ed_total / total, ed_band))

    def count(s: SchoolRow, name: str) -> int:
        if name == "students_of_color":
            return s.enrollment_total - s.white
        return getattr(s, name)

    variable = [bool(use_capacity and s.capacity) for s in rows]
    cap = [max(s.capacity or 0, s.enrollment_total) for s in rows]

    # Whole-student bounds for fixed-enrollment schools; an empty range is unreachable.
    int_bounds: dict[tuple[int, str], tuple[int, int]] = {}
    for i, s in enumerate(rows):
        if variable[i]:
            continue
        t = s.enrollment_total
        for name, _, p, b in groups:
            lo = max(0, math.ceil((p - b) * t - _EPS))
            hi = min(t, math.floor((p + b) * t + _EPS))
            if lo > hi:
                return {
                    **result_base,
                    "reachable": False,
                    "reason": (
                        f"not reachable within the band: {s.school_name} ({s.school_id}) has "
                        f"{t} students, and no whole number of {name.replace('_', ' ')} puts it "
                        f"within {b * 100:g} points of the band's {p * 100:.1f}%"
                    ),
                }
            int_bounds[(i, name)] = (lo, hi)

    # Variables: out[i,k] at i*K+k, in[i,k] at n*K + i*K+k, then (bounds mode) cell[i,k].
    n_flow = n * K
    n_var = 2 * n_flow + (n_flow if joint == "bounds" else 0)

    def v_out(i: int, k: int) -> int:
        return i * K + k

    def v_in(i: int, k: int) -> int:
        return n_flow + i * K + k

    def v_cell(i: int, k: int) -> int:
        return 2 * n_flow + i * K + k

    ub_r: list[int] = []
    ub_c: list[int] = []
    ub_v: list[float] = []
    ub_b: list[float] = []
    eq_r: list[int] = []
    eq_c: list[int] = []
    eq_v: list[float] = []
    eq_b: list[float] = []

    def add_ub(coefs: dict[int, float], rhs: float) -> None:
        r = len(ub_b)
        for c, v in coefs.items():
            ub_r.append(r), ub_c.append(c), ub_v.append(v)
        ub_b.append(rhs)

    def add_eq(coefs: dict[int, float], rhs: float) -> None:
        r = len(eq_b)
        for c, v in coefs.items():
            eq_r.append(r), eq_c.append(c), eq_v.append(v)
        eq_b.append(rhs)

    bounds: list[tuple[float, float | None]] = [(0.0, None)] * n_var
    for i, s in enumerate(rows):
        t = s.enrollment_total
        ed_share = s.econ_disadvantaged / t
        for k, (_, members, ed) in enumerate(cells):
            race_count = sum(getattr(s, g) for g in members)
            if joint == "independence":
                supply = race_count * (ed_share if ed else 1.0 - ed_share)
                bounds[v_out(i, k)] = (0.0, supply)
            else:
                bounds[v_cell(i, k)] = (0.0, float(race_count))
                add_ub({v_out(i, k): 1.0, v_cell(i, k): -1.0}, 0.0)  # out <= cell supply
        if joint == "bounds":
            # The school's cells must add up to its race counts and to its ED count.
            for label, members in classes:
                ks = [k for k, c in enumerate(cells) if c[0] == label]
                add_eq({v_cell(i, k): 1.0 for k in ks}, float(sum(getattr(s, g) for g in members)))
            add_eq({v_cell(i, k): 1.0 for k, c in enumerate(cells) if c[2]}, float(s.econ_disadvantaged))

        net_all = {v_in(i, k): 1.0 for k in range(K)} | {v_out(i, k): -1.0 for k in range(K)}
        if variable[i]:
            add_ub(net_all, float(cap[i] - t))  # enrollment after <= capacity
        else:
            add_eq(net_all, 0.0)  # enrollment kept
        for name, ks, p, b in groups:
            g0 = count(s, name) if name != "econ_disadvantaged" else s.econ_disadvantaged
            net_g = {v_in(i, k): 1.0 for k in ks} | {v_out(i, k): -1.0 for k in ks}
            if not variable[i]:
                lo, hi = int_bounds[(i, name)]
                add_ub(net_g, float(hi - g0))
                add_ub({c: -v for c, v in net_g.items()}, float(g0 - lo))
            else:
                # g' <= (p+b) t'  and  g' >= (p-b) t', with g' = g0 + net_g, t' = t + net_all.
                for sign, width in ((1.0, p + b), (-1.0, p - b)):
                    coefs: dict[int, float] = defaultdict(float)
                    for c, v in net_g.items():
                        coefs[c] += sign * v
                    for c, v in net_all.items():
                        coefs[c] -= sign * width * v
                    add_ub(dict(coefs), sign * (width * t - g0))
    for k in range(K):  # every student who leaves a school arrives at another one
        add_eq({v_in(i, k): 1.0 for i in range(n)} | {v_out(i, k): -1.0 for i in range(n)}, 0.0)

    cost = np.zeros(n_var)
    cost[:n_flow] = 1.0
    a_ub = coo_matrix((ub_v, (ub_r, ub_c)), shape=(len(ub_b), n_var)).tocsr() if ub_b else None
    a_eq = coo_matrix((eq_v, (eq_r, eq_c)), shape=(len(eq_b), n_var)).tocsr() if eq_b else None
    res = linprog(
        cost,
        A_ub=a_ub,
        b_ub=np.array(ub_b) if ub_b else None,
        A_eq=a_eq,
        b_eq=np.array(eq_b) if eq_b else None,
        bounds=bounds,
        method="highs",
    )
    if res.status != 0:
        return {
            **result_base,
            "reachable": False,
            "reason": "not reachable within the band by reassigning students among its schools"
            + (" (the linear program reports it infeasible)" if res.status == 2 else f" ({res.message})"),
        }

    x = res.x
    flows: list[dict[str, Any]] = []
    for k, (label, _, ed) in enumerate(cells):
        sources = [(float(x[v_out(i, k)]), i) for i in range(n) if x[v_out(i, k)] > _FLOW_TOL]
        sinks = [(float(x[v_in(i, k)]), i) for i in range(n) if x[v_in(i, k)] > _FLOW_TOL]
        for src, dst, amount in _decompose(sources, sinks):
            flows.append({"from": rows[src].school_id, "to": rows[dst].school_id,
                          "group": label, "ed": ed, "students": amount})

    moved = float(sum(x[:n_flow]))
    students_moved = _ceil_students(moved)

    # Largest flows, ED and not-ED merged per (from, to, race class) for readability.
    merged: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for f in flows:
        m = merged[(f["from"], f["to"], f["group"])]
        m[0] += f["students"]
        m[1] += f["students"] if f["ed"] else 0.0
    largest = sorted(merged.items(), key=lambda kv: (-kv[1][0], kv[0]))[:5]
    largest_flows = [
        {"from": a, "to": b, "group": g, "students": _ceil_students(tot),
         "econ_disadvantaged": min(_ceil_students(tot), round(ed))}
        for (a, b, g), (tot, ed) in largest
    ]

    after: dict[str, dict[str, float]] = {}
    for i, s in enumerate(rows):
        net = [float(x[v_in(i, k)] - x[v_out(i, k)]) for k in range(K)]
        t_after = s.enrollment_total + sum(net)
        soc_after = (s.enrollment_total - s.white) + sum(
            net[k] for k, c in enumerate(cells) if "white" not in c[1])
        ed_after = s.econ_disadvantaged + sum(net[k] for k, c in enumerate(cells) if c[2])
        after[s.school_id] = {
            "enrollment": round(t_after, 4),
            "students_of_color_share": round(soc_after / t_after, 6) if t_after > 0 else None,
            "ed_share": round(ed_after / t_after, 6) if t_after > 0 else None,
        }

    return {
        **result_base,
        "reachable": True,
        "students_moved": students_moved,
        "share_of_band": students_moved / total,
        "band_share": {name: p for name, _, p, _ in groups},
        "largest_flows": largest_flows,
        "flows": [{**f, "students": round(f["students"], 6)} for f in flows],
        "after": after,
    }


def _decompose(sources: list[tuple[float, int]], sinks: list[tuple[float, int]]) -> list[tuple[int, int, float]]:
    """Split one cell's outflows and inflows into school-to-school flows, largest first.

    Matching the largest remaining surplus with the largest remaining deficit keeps the
    number of pairs small and the top flows large; the total is unchanged.
    """
    src = sorted(sources, key=lambda t: (-t[0], t[1]))
    dst = sorted(sinks, key=lambda t: (-t[0], t[1]))
    src_left = [a for a, _ in src]
    dst_left = [a for a, _ in dst]
    out: list[tuple[int, int, float]] = []
    while True:
        si = max(range(len(src)), key=lambda j: src_left[j], default=None)
        di = max(range(len(dst)), key=lambda j: dst_left[j], default=None)
        if si is None or di is None or src_left[si] <= _FLOW_TOL or dst_left[di] <= _FLOW_TOL:
            break
        amount = min(src_left[si], dst_left[di])
        src_left[si] -= amount
        dst_left[di] -= amount
        if src[si][1] != dst[di][1]:  # cannot happen at an optimum; guard anyway
            out.append((src[si][1], dst[di][1], amount))
    return out


def _method_text(n: int, joint: str, capacity: bool) -> str:
    cells = (
        "each school's race x ED cells estimated by independence (race counts x the school's ED share)"
        if joint == "independence"
        else "each school's race x ED cells chosen by the program within its margins (a lower bound)"
    )
    enrollment = (
        "schools with a capacity may change enrollment up to it, the others keep theirs"
        if capacity
        else "every school keeps its enrollment"
    )
    return (
        f"Linear program solved with HiGHS (scipy.optimize.linprog): fewest student reassignments "
        f"among the {n} schools of the band; {cells}; {enrollment}; every student who changes school "
        f"counts once (a swap is two reassignments); fractional solutions rounded up."
    )


# --------------------------------------------------------------------------------------
# Comparability (RES-01 / RES-02)
# --------------------------------------------------------------------------------------


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


def comparability_remedy(
    wb: WorkbookData,
    school_id: str,
    *,
    res01_limit: float = 1.10,
    res02_limit: float = 0.90,
    min_enrollment: int = 100,
) -> dict[str, Any] | None:
    """FTE (RES-01) and dollars (RES-02) to bring one Title I school to comparability.

    Comparison group (rules.md): the non-Title I schools of the school's band; if every
    school of the band is Title I, all the band's schools (the school included). Schools
    under ``min_enrollment`` and schools without a Budget row are left out of the comparison,
    as they are exempt; for the staffing ratio, schools with no state/local FTE are left out
    too (their ratio is undefined).

    Two ways are given for each: adding to the school with the comparison unchanged, and
    moving from the comparison schools (which also moves the comparison figure, solved
    exactly). When the school is in its own comparison group (all Title I), adding to it
    moves the pooled figure too; that is solved exactly as well. Each school's figure
    assumes the other schools unchanged.

    ``None`` when the school is exempt or has no comparison; ``res01``/``res02`` are ``None``
    when that measure already meets the limit or is undefined.
    """
    budgets = _budget_map(wb)
    by_id = {s.school_id: s for s in wb.schools}
    school = by_id.get(school_id)
    b = budgets.get(school_id)
    if school is None or b is None or school.enrollment_total < min_enrollment:
        return None
    band = school.band
    # A band "with more than one school" counts the schools with pupils and a Budget row.
    in_band = [s for s in wb.schools if s.band == band and s.enrollment_total > 0 and s.school_id in budgets]
    if len(in_band) < 2:
        return None
    eligible = [s for s in in_band if s.enrollment_total >= min_enrollment and s.school_id in budgets]
    non_title = [s for s in eligible if not s.title_i]
    self_pool = not non_title
    pool = eligible if self_pool else non_title
    if not pool or (self_pool and len(pool) < 2):
        return None

    n = float(school.enrollment_total)
    f = b.teacher_fte_state_local
    d = _dollars(b)
    result: dict[str, Any] = {
        "school_id": school_id,
        "band": band,
        "enrollment": school.enrollment_total,
        "comparison": "all schools in the band (every school is Title I)" if self_pool
        else "non-Title I schools in the band",
        "comparison_schools": len(pool),
        "res01": None,
        "res02": None,
    }

    # RES-01: students per state/local teacher.
    staffed = [s for s in pool if budgets[s.school_id].teacher_fte_state_local > 0]
    if staffed:
        pn = float(sum(s.enrollment_total for s in staffed))
        pf = float(sum(budgets[s.school_id].teacher_fte_state_local for s in staffed))
        pooled = pn / pf
        L = res01_limit
        if f <= 0 or n / f > L * pooled + 1e-12:
            if self_pool:
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
            result["res01"] = {
                "students_per_teacher": n / f if f > 0 else None,
                "comparison_ratio": pooled,
                "limit": L,
                "target_ratio": L * pooled,
                "current_fte": f,
                "fte_to_add": max(0.0, add) if add is not None else None,
                "fte_to_move_from_comparison": max(0.0, move) if move is not None else None,
            }

    # RES-02: state/local per-pupil expenditure.
    pn = float(sum(s.enrollment_total for s in pool))
    pd = float(sum(_dollars(budgets[s.school_id]) for s in pool))
    pooled_ppe = pd / pn
    L = res02_limit
    if d / n < L * pooled_ppe - 1e-9:
        if self_pool:
            # (d+x)/n >= L*(pd+x)/pn, the school's own x counted in the pool.
            denom = pn - L * n
            add = (L * n * pd - pn * d) / denom if denom > 0 else None
            move = None
        else:
            add = dollars_to_meet_ppe(n, d / n, pooled_ppe, L)
            # (d+x)/n >= L*(pd-x)/pn: dollars taken from the comparison schools.
            move = (L * n * pd - pn * d) / (pn + L * n)
        result["res02"] = {
            "ppe": d / n,
            "comparison_ppe": pooled_ppe,
            "limit": L,
            "target_ppe": L * pooled_ppe,
            "dollars_to_add": max(0.0, add) if add is not None else None,
            "dollars_to_move_from_comparison": max(0.0, move) if move is not None else None,
        }
    return result


# --------------------------------------------------------------------------------------
# Quartiles, progressivity (RES-03) and teacher equity (RES-04)
# --------------------------------------------------------------------------------------


def quartiles(
    wb: WorkbookData, *, by: str = "poverty", band: str | None = None
) -> list[list[tuple[SchoolRow, BudgetRow]]] | None:
    """Schools with a Budget row (and enrollment > 0) in four groups, lowest share first.

    measures.md: ranked by ED share (``by="poverty"``) or students_of_color share
    (``by="students_of_color"``), ties by school_id, four groups of as equal a count as
    possible, the first groups taking the extra schools. Ranking is ascending, so the first
    group is the lowest-poverty quartile. ``None`` with fewer than 4 schools.
    """
    if by not in ("poverty", "students_of_color"):
        raise ValueError("by must be 'poverty' or 'students_of_color'")
    budgets = _budget_map(wb)
    pairs = [
        (s, budgets[s.school_id])
        for s in wb.schools
        if s.enrollment_total > 0 and s.school_id in budgets and (band is None or s.band == band)
    ]
    def share(s: SchoolRow) -> float:
        num = s.econ_disadvantaged if by == "poverty" else s.enrollment_total - s.white
        return num / s.enrollment_total

    # The rules' own quartiles (resource_measures), so a remedy always answers its finding.
    labels = quartile_labels([share(s) for s, _ in pairs], [s.school_id for s, _ in pairs])
    if labels is None:
        return None
    groups: list[list[tuple[SchoolRow, BudgetRow]]] = [[], [], [], []]
    for pair, label in sorted(zip(pairs, labels.tolist()), key=lambda x: (share(x[0][0]), x[0][0].school_id)):
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
        if qs is None:
            out[key] = None
            continue
        any_quartiles = True
        low, high = qs[0], qs[-1]
        lf = sum(b.teacher_fte_state_local for _, b in low)
        hf = sum(b.teacher_fte_state_local for _, b in high)
        li = sum(b.teacher_fte_inexperienced for _, b in low)
        hi = sum(b.teacher_fte_inexperienced for _, b in high)
        if lf <= 0 or hf <= 0:
            out[key] = None
            continue
        gap = hi / hf - li / lf
        if gap <= max_gap + 1e-12:
            out[key] = None
            continue
        y = fte_swap_to_reach_gap(hi, hf, li, lf, max_gap)
        # The swap needs that many inexperienced teachers in the high group and experienced
        # ones in the low group.
        feasible = y <= hi + 1e-9 and y <= (lf - li) + 1e-9
        out[key] = {
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
    return out if any_quartiles else None
