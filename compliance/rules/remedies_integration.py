"""The integration remedy: the fewest student reassignments within a grade band, as a linear program (HiGHS).

docs/recommendations.md, "Remedy estimates": the smallest number of reassignments among the
schools of one grade band that brings every school within the INT-01 / INT-03 bands, keeping
each school's enrollment or respecting its ``capacity``. Every student who changes school
counts once, so a swap (one student each way) is two reassignments.

Formulation: one pair of variables (students in, students out) per school and cell;
conservation per cell; the objective is total students out. Every optimal solution
decomposes into flows between pairs of schools with the same total (done greedily, largest
first, per cell), so the pairwise formulation is not needed and the LP stays at
2 x schools x cells variables however large the band. Fixed-enrollment schools get
whole-student share bounds (ceil/floor); a school so small that no whole number of students
fits its band is reported as not reachable.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.optimize import OptimizeResult, linprog
from scipy.sparse import coo_matrix

from .model import RACE_GROUPS, SchoolRow

_EPS = 1e-9  # float slack when turning a share bound into whole students
_FLOW_TOL = 1e-7  # LP values below this are solver noise, not students

# A race class: its label and the race groups it counts; a cell: a race class and ED or not.
_Class = tuple[str, tuple[str, ...]]
_Cell = tuple[str, tuple[str, ...], bool]
# A constrained group: its name, its cells' indices, the band's share of it, the half-width.
_Group = tuple[str, list[int], float, float]


def integration_remedy(
    schools: Sequence[SchoolRow],
    *,
    band: float | None = 0.15,
    ed_band: float | None = 0.15,
    use_capacity: bool = True,
    single_group_min_share: float | None = None,
    joint: str = "independence",
    margin: float | Mapping[str, float] = 0.0,
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

    ``margin`` (default 0, the report's program) aims each school that much inside its bands
    (each half-width less ``margin``, or less ``margin[school_id]``, 0 for a school not in the
    mapping), so a plan rounded to whole students still lands inside.
    """
    if joint not in ("independence", "bounds"):
        raise ValueError("joint must be 'independence' or 'bounds'")
    rows = [s for s in schools if s.enrollment_total > 0]  # docs/measures.md: 0-enrollment left out
    total = sum(s.enrollment_total for s in rows)
    classes = _race_classes(single_group_min_share is not None and band is not None)
    cells = [(label, members, ed) for label, members in classes for ed in (True, False)]
    method = _method_text(len(rows), joint, use_capacity and any(s.capacity for s in rows))
    result_base: dict[str, Any] = {"method": method, "schools": len(rows), "band_enrollment": total}
    if not rows or total == 0:
        return {**result_base, "reachable": True, "students_moved": 0, "share_of_band": 0.0,
                "largest_flows": [], "flows": []}
    groups = _constrained_groups(rows, total, cells, band, ed_band, single_group_min_share)
    variable = [bool(use_capacity and s.capacity) for s in rows]
    try:
        int_bounds = _whole_student_bounds(rows, groups, variable, margin)
    except _Unreachable as exc:
        return {**result_base, "reachable": False, "reason": str(exc)}
    prog = _Program(len(rows), len(cells), joint)
    for i, s in enumerate(rows):
        _add_school(prog, i, s, classes, cells, groups, variable[i], int_bounds, margin)
    for k in range(len(cells)):  # every student who leaves a school arrives at another one
        prog.eq.add({prog.inn(i, k): 1.0 for i in range(prog.n)} | {prog.out(i, k): -1.0 for i in range(prog.n)}, 0.0)
    res = prog.solve()
    if res.status != 0:
        return {
            **result_base,
            "reachable": False,
            "reason": "not reachable within the band by reassigning students among its schools"
            + (" (the linear program reports it infeasible)" if res.status == 2 else f" ({res.message})"),
        }
    return {**result_base, **_plan(res.x, prog, rows, cells, groups, total)}


def _narrowed(b: float, s: SchoolRow, margin: float | Mapping[str, float]) -> float:
    """The half-width school ``s`` is held to: the band's less its margin."""
    m = margin if isinstance(margin, (int, float)) else margin.get(s.school_id, 0.0)
    return max(0.0, b - m)


def _race_classes(single_groups: bool) -> list[_Class]:
    # Race classes: each race group separately when single groups are constrained, else the
    # two classes students of color / white (fewer cells, readable flows).
    if single_groups:
        return [(g, (g,)) for g in RACE_GROUPS]
    return [("students_of_color", tuple(g for g in RACE_GROUPS if g != "white")), ("white", ("white",))]


def _constrained_groups(rows: list[SchoolRow], total: int, cells: list[_Cell], band: float | None,
                        ed_band: float | None, single_group_min_share: float | None) -> list[_Group]:
    """The groups each school must be within the band of: students of color (and, with
    ``single_group_min_share``, each large enough race group) and ED students."""
    groups: list[_Group] = []
    if band is not None:
        white = sum(s.white for s in rows)
        soc_cells = [k for k, (_, members, _) in enumerate(cells) if "white" not in members]
        groups.append(("students_of_color", soc_cells, (total - white) / total, band))
        if single_group_min_share is not None:
            for g in RACE_GROUPS:
                share = sum(getattr(s, g) for s in rows) / total
                # Same 1e-12 slack as the INT-01 rule's eligibility test.
                if share >= single_group_min_share - 1e-12 and share > 0:
                    groups.append((g, [k for k, c in enumerate(cells) if c[0] == g], share, band))
    if ed_band is not None:
        ed_total = sum(s.econ_disadvantaged for s in rows)
        groups.append(("econ_disadvantaged", [k for k, c in enumerate(cells) if c[2]], ed_total / total, ed_band))
    return groups


def _count(s: SchoolRow, name: str) -> int:
    if name == "students_of_color":
        return s.enrollment_total - s.white
    return getattr(s, name)


class _Unreachable(Exception):
    """No plan can exist; the message says why."""


def _whole_student_bounds(rows: list[SchoolRow], groups: list[_Group], variable: list[bool],
                          margin: float | Mapping[str, float]) -> dict[tuple[int, str], tuple[int, int]]:
    """(school, group) -> the whole numbers of the group's students a fixed-enrollment school
    may have; :class:`_Unreachable` when a school has no such number."""
    int_bounds: dict[tuple[int, str], tuple[int, int]] = {}
    for i, s in enumerate(rows):
        if variable[i]:
            continue
        t = s.enrollment_total
        for name, _, p, band in groups:
            b = _narrowed(band, s, margin)
            lo = max(0, math.ceil((p - b) * t - _EPS))
            hi = min(t, math.floor((p + b) * t + _EPS))
            if lo > hi:
                raise _Unreachable(
                    f"not reachable within the band: {s.school_name} ({s.school_id}) has "
                    f"{t} students, and no whole number of {name.replace('_', ' ')} puts it "
                    f"within {b * 100:g} points of the band's {p * 100:.1f}%"
                )
            int_bounds[(i, name)] = (lo, hi)
    return int_bounds


class _Rows:
    """Sparse constraint rows (coefficients by variable, right-hand side), one added at a time."""

    def __init__(self) -> None:
        self.r: list[int] = []
        self.c: list[int] = []
        self.v: list[float] = []
        self.b: list[float] = []

    def add(self, coefs: dict[int, float], rhs: float) -> None:
        r = len(self.b)
        for c, v in coefs.items():
            self.r.append(r)
            self.c.append(c)
            self.v.append(v)
        self.b.append(rhs)

    def matrix(self, n_var: int) -> tuple[Any, Any]:
        if not self.b:
            return None, None
        return coo_matrix((self.v, (self.r, self.c)), shape=(len(self.b), n_var)).tocsr(), np.array(self.b)


class _Program:
    """The LP: variables out[i,k], then in[i,k], then (bounds mode) cell[i,k] for school i, cell k."""

    def __init__(self, n: int, n_cells: int, joint: str) -> None:
        self.n, self.k, self.joint = n, n_cells, joint
        self.n_flow = n * n_cells
        self.n_var = 2 * self.n_flow + (self.n_flow if joint == "bounds" else 0)
        self.bounds: list[tuple[float, float | None]] = [(0.0, None)] * self.n_var
        self.ub = _Rows()  # rows of A_ub x <= b_ub
        self.eq = _Rows()  # rows of A_eq x = b_eq

    def out(self, i: int, k: int) -> int:
        return i * self.k + k

    def inn(self, i: int, k: int) -> int:
        return self.n_flow + i * self.k + k

    def cell(self, i: int, k: int) -> int:
        return 2 * self.n_flow + i * self.k + k

    def solve(self) -> OptimizeResult:
        """Minimize the students out (every reassignment once)."""
        cost = np.zeros(self.n_var)
        cost[: self.n_flow] = 1.0
        a_ub, b_ub = self.ub.matrix(self.n_var)
        a_eq, b_eq = self.eq.matrix(self.n_var)
        return linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=self.bounds, method="highs")


def _add_school(prog: _Program, i: int, s: SchoolRow, classes: list[_Class], cells: list[_Cell],
                groups: list[_Group], variable: bool, int_bounds: dict[tuple[int, str], tuple[int, int]],
                margin: float | Mapping[str, float]) -> None:
    """School i's constraints: what each cell can send, its enrollment, its groups' bands."""
    _add_supply(prog, i, s, classes, cells)
    t = s.enrollment_total
    net_all = {prog.inn(i, k): 1.0 for k in range(prog.k)} | {prog.out(i, k): -1.0 for k in range(prog.k)}
    if variable:
        prog.ub.add(net_all, float(max(s.capacity or 0, t) - t))  # enrollment after <= capacity
    else:
        prog.eq.add(net_all, 0.0)  # enrollment kept
    for name, ks, p, b in groups:
        g0 = _count(s, name)
        net_g = {prog.inn(i, k): 1.0 for k in ks} | {prog.out(i, k): -1.0 for k in ks}
        if not variable:
            lo, hi = int_bounds[(i, name)]
            prog.ub.add(net_g, float(hi - g0))
            prog.ub.add({c: -v for c, v in net_g.items()}, float(g0 - lo))
            continue
        # g' <= (p+b) t'  and  g' >= (p-b) t', with g' = g0 + net_g, t' = t + net_all.
        b = _narrowed(b, s, margin)
        for sign, width in ((1.0, p + b), (-1.0, p - b)):
            coefs: dict[int, float] = defaultdict(float)
            for c, v in net_g.items():
                coefs[c] += sign * v
            for c, v in net_all.items():
                coefs[c] -= sign * width * v
            prog.ub.add(dict(coefs), sign * (width * t - g0))


def _add_supply(prog: _Program, i: int, s: SchoolRow, classes: list[_Class], cells: list[_Cell]) -> None:
    """At most the students school i has in a cell leave it: estimated by independence, or
    (bounds mode) a cell table the LP chooses within the school's race and ED margins."""
    ed_share = s.econ_disadvantaged / s.enrollment_total
    for k, (_, members, ed) in enumerate(cells):
        race_count = sum(getattr(s, g) for g in members)
        if prog.joint == "independence":
            prog.bounds[prog.out(i, k)] = (0.0, race_count * (ed_share if ed else 1.0 - ed_share))
        else:
            prog.bounds[prog.cell(i, k)] = (0.0, float(race_count))
            prog.ub.add({prog.out(i, k): 1.0, prog.cell(i, k): -1.0}, 0.0)  # out <= cell supply
    if prog.joint == "bounds":
        # The school's cells must add up to its race counts and to its ED count.
        for label, members in classes:
            ks = [k for k, c in enumerate(cells) if c[0] == label]
            prog.eq.add({prog.cell(i, k): 1.0 for k in ks}, float(sum(getattr(s, g) for g in members)))
        prog.eq.add({prog.cell(i, k): 1.0 for k, c in enumerate(cells) if c[2]}, float(s.econ_disadvantaged))


def _ceil_students(x: float) -> int:
    """Whole students needed for a (possibly fractional) LP amount; solver noise is ignored."""
    return max(0, math.ceil(x - 1e-4))  # a ten-thousandth of a student is solver noise


def _plan(x: Any, prog: _Program, rows: list[SchoolRow], cells: list[_Cell], groups: list[_Group],
          total: int) -> dict[str, Any]:
    """The solved program as a plan: students moved, the flows between schools, each school after."""
    flows: list[dict[str, Any]] = []
    for k, (label, _, ed) in enumerate(cells):
        sources = [(float(x[prog.out(i, k)]), i) for i in range(prog.n) if x[prog.out(i, k)] > _FLOW_TOL]
        sinks = [(float(x[prog.inn(i, k)]), i) for i in range(prog.n) if x[prog.inn(i, k)] > _FLOW_TOL]
        for src, dst, amount in _decompose(sources, sinks):
            flows.append({"from": rows[src].school_id, "to": rows[dst].school_id,
                          "group": label, "ed": ed, "students": amount})
    students_moved = _ceil_students(float(sum(x[: prog.n_flow])))
    return {
        "reachable": True,
        "students_moved": students_moved,
        "share_of_band": students_moved / total,
        "band_share": {name: p for name, _, p, _ in groups},
        "largest_flows": _largest_flows(flows),
        "flows": [{**f, "students": round(f["students"], 6)} for f in flows],
        "after": _after(x, prog, rows, cells),
    }


def _largest_flows(flows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The five largest flows, ED and not-ED merged per (from, to, race class) for readability."""
    merged: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for f in flows:
        m = merged[(f["from"], f["to"], f["group"])]
        m[0] += f["students"]
        m[1] += f["students"] if f["ed"] else 0.0
    largest = sorted(merged.items(), key=lambda kv: (-kv[1][0], kv[0]))[:5]
    return [
        {"from": a, "to": b, "group": g, "students": _ceil_students(tot),
         "econ_disadvantaged": min(_ceil_students(tot), round(ed))}
        for (a, b, g), (tot, ed) in largest
    ]


def _after(x: Any, prog: _Program, rows: list[SchoolRow], cells: list[_Cell]) -> dict[str, dict[str, float | None]]:
    """Each school's enrollment and shares once the plan is carried out (no shares if it closes)."""
    after: dict[str, dict[str, float | None]] = {}
    for i, s in enumerate(rows):
        net = [float(x[prog.inn(i, k)] - x[prog.out(i, k)]) for k in range(prog.k)]
        t_after = s.enrollment_total + sum(net)
        soc_after = (s.enrollment_total - s.white) + sum(
            net[k] for k, c in enumerate(cells) if "white" not in c[1])
        ed_after = s.econ_disadvantaged + sum(net[k] for k, c in enumerate(cells) if c[2])
        after[s.school_id] = {
            "enrollment": round(t_after, 4),
            "students_of_color_share": round(soc_after / t_after, 6) if t_after > 0 else None,
            "ed_share": round(ed_after / t_after, 6) if t_after > 0 else None,
        }
    return after


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
