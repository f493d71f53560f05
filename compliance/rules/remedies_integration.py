"""The integration remedy: the fewest student reassignments within a grade band, as a linear program (HiGHS).

docs/recommendations.md, "Remedy estimates": the smallest number of reassignments among the
schools of one grade band that brings every school within the INT-01 / INT-03 bands, keeping
each school's enrollment or respecting its ``capacity``. Every student who changes school
counts once, so a swap (one student each way) is two reassignments.

Formulation: one pair of variables (students in, students out) per school and cell (a race
class, split by ED when INT-03's band is on); conservation per cell; the objective is total
students out. Every optimal solution decomposes into flows between pairs of schools with the
same total (:mod:`.remedies_plan`), so the pairwise formulation is not needed and the LP stays
at 2 x schools x cells variables however large the band. The matrices are built with numpy
and scipy.sparse (no Python loop per school or cell). The program is kept small where that
changes nothing: race groups whose own band is not checked share one class (they meet the
constraints only through students of color), and so does a checked group no school breaks
now, unless the solution breaks it (then it gets its class and the program is solved again);
white students' band is the mirror of students of color's and is not repeated, empty classes
are left out, and a school's fixed-enrollment group row is dropped when it cannot bind.
Fixed-enrollment schools get whole-student share
bounds (ceil/floor); a school so small that no whole number of students fits its band is
reported as not reachable.
"""
from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix

from . import highs
from .integration_base import EPS
from .model import RACE_GROUPS, SchoolRow
from .remedies_plan import Cell, Flows, decompose, group_after, plan_from_solution

_EPS = 1e-9  # float slack when turning a share bound into whole students
_WHITE = RACE_GROUPS.index("white")


@dataclass(frozen=True)
class _Group:
    """A constrained group: its name, its race groups (RACE_GROUPS indices; none: ED students),
    the band's share of it, the half-width, and whether it is a single race group of color."""

    name: str
    members: tuple[int, ...]
    share: float
    band: float
    single: bool = False


# Rounds of "solve, round to whole students, check" before a plan is reported with the schools
# rounding leaves just outside (each round one program, so bounded). Only for bands up to
# _WHOLE_ROUNDS_SCHOOLS: there a round costs a fraction of a second and one or two clear every school
# (the demo districts). On bands of thousands of schools each round is another program of seconds,
# and the optimum holds hundreds of schools exactly on a boundary, which rounding tips over; so the
# program is solved once with every school aimed _LARGE_BAND_AIM students inside its bands (measured
# on generated bands of 2,000 and 6,000 schools: 622 and 1,902 schools left outside by rounding
# became 66 and 235, for 0.4% and 0.6% more reassignments), and those still outside are named.
_WHOLE_ROUNDS = 4
_WHOLE_ROUNDS_SCHOOLS = 500
_LARGE_BAND_AIM = 1.0


def integration_remedy(
    schools: Sequence[SchoolRow],
    *,
    band: float | None = 0.15,
    ed_band: float | None = 0.15,
    use_capacity: bool = True,
    single_group_min_share: float | None = None,
    joint: str = "independence",
    margin: float | Mapping[str, float] | None = None,
    flows: bool = True,
    stats: dict[str, float] | None = None,
) -> dict[str, Any]:
    """:func:`integration_program`, in whole students: with no ``margin`` given, a school that the
    plan's rounding to whole students leaves just outside its bands (a share a fraction of a
    student over) is aimed half a student further inside and the program solved again, up to
    ``_WHOLE_ROUNDS`` times; a band of more than ``_WHOLE_ROUNDS_SCHOOLS`` is solved once, every
    school aimed ``_LARGE_BAND_AIM`` students inside. The plan leaving fewest schools outside is
    returned, and any left are listed in ``outside_after_rounding``.
    A ``margin`` given is the caller's (the planner's own search): the program is solved once with it."""
    program = functools.partial(integration_program, schools, band=band, ed_band=ed_band, use_capacity=use_capacity,
                                single_group_min_share=single_group_min_share, joint=joint, flows=flows)
    if margin is not None:
        return program(margin=margin, stats=stats)
    enrollment = {s.school_id: s.enrollment_total for s in schools}
    solve = functools.partial(_solve_counted, program, stats)
    if len(enrollment) > _WHOLE_ROUNDS_SCHOOLS:
        result, aimed = _large_band(solve, enrollment)
    else:
        result, aimed = _rounds(solve, enrollment, band, ed_band)
    if not result.get("reachable"):
        return result
    outside = _outside_after(result, band, ed_band)
    if aimed:
        result["method"] += aimed
    if outside:
        result["outside_after_rounding"] = outside
    elif result.get("pairs") is not None and result.get("band_enrollment"):
        # The plan in whole students is what is counted: its reassignments, not the program's
        # fractional optimum rounded up (a whole plan inside the bands is never below it).
        result["students_moved"] = sum(p["students"] for p in result["pairs"])
        result["share_of_band"] = result["students_moved"] / result["band_enrollment"]
    return result


_Solve = Callable[[Mapping[str, float]], dict[str, Any]]  # one program, aimed so far inside per school


def _solve_counted(program: Callable[..., dict[str, Any]], stats: dict[str, float] | None,
                   margin: Mapping[str, float]) -> dict[str, Any]:
    """One program with ``margin``, its seconds and size added to ``stats``."""
    lap: dict[str, float] = {}
    result = program(margin=dict(margin), stats=lap)
    if stats is not None:
        _add_stats(stats, lap)
    return result


def _rounds(solve: _Solve, enrollment: dict[str, int], band: float | None, ed_band: float | None
            ) -> tuple[dict[str, Any], str]:
    """The band's own optimum, then schools rounding leaves outside aimed half a student further
    inside, round after round: the plan leaving fewest outside, and what the method adds."""
    aim: dict[str, float] = {}
    best: tuple[int, dict[str, Any]] | None = None
    for _ in range(_WHOLE_ROUNDS):
        result = solve(aim)
        if not result.get("reachable"):
            break  # narrower cannot be reachable either: keep the best so far
        outside = _outside_after(result, band, ed_band)
        if best is None or len(outside) < best[0]:
            best = (len(outside), result)
        if not outside:
            break
        for sid in outside:
            aim[sid] = aim.get(sid, 0.0) + 0.5 / max(1, enrollment.get(sid, 1))
    if best is None:
        return result, ""
    return best[1], (" Schools that rounding to whole students left just outside a band were aimed half a "
                     "student further inside, and the program solved again." if aim else "")


def _large_band(solve: _Solve, enrollment: dict[str, int]) -> tuple[dict[str, Any], str]:
    """One program, every school aimed ``_LARGE_BAND_AIM`` students inside its bands; where that
    is too narrow for some small school, the band's own program."""
    result = solve({sid: _LARGE_BAND_AIM / t for sid, t in enrollment.items() if t > 0})
    if result.get("reachable"):
        return result, (f" Every school was aimed {_LARGE_BAND_AIM:g} student inside its bands, so that "
                        "rounding to whole students leaves few just outside.")
    return solve({}), ""


def _add_stats(total: dict[str, float], lap: dict[str, float]) -> None:
    """Seconds add up over the rounds; the program's size is the last round's."""
    for key, value in lap.items():
        total[key] = total.get(key, 0.0) + value if key.endswith("_seconds") else value
    total["rounds"] = total.get("rounds", 0) + 1


def _outside_after(result: dict[str, Any], band: float | None, ed_band: float | None) -> list[str]:
    """The schools the whole-student plan leaves outside a band (the rules' own test: more than the
    half-width from the band's share)."""
    shares = result.get("band_share") or {}
    checks = [(key, shares[name], width) for key, name, width in (
        ("students_of_color", "students_of_color", band), ("econ_disadvantaged", "econ_disadvantaged", ed_band))
        if width is not None and name in shares]
    outside = []
    for sid, after in (result.get("after") or {}).items():
        t = after.get("enrollment") or 0
        if t > 0 and any(abs(after[key] / t - share) > width + EPS for key, share, width in checks):
            outside.append(sid)
    return sorted(outside)


def integration_program(
    schools: Sequence[SchoolRow],
    *,
    band: float | None = 0.15,
    ed_band: float | None = 0.15,
    use_capacity: bool = True,
    single_group_min_share: float | None = None,
    joint: str = "independence",
    margin: float | Mapping[str, float] = 0.0,
    flows: bool = True,
    stats: dict[str, float] | None = None,
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

    The result holds the plan in whole students (``pairs``: enrollment changes between two
    schools with the composition that moves; ``after``: each school's resulting composition)
    and, unless ``flows`` is False, the program's own fractional flows per race group and ED
    status (``flows``, ``largest_flows``). ``stats``, when given, receives the program's size
    and the seconds spent building, solving (HiGHS) and turning the solution into a plan.
    """
    if joint not in ("independence", "bounds"):
        raise ValueError("joint must be 'independence' or 'bounds'")
    started = time.perf_counter()
    rows = [s for s in schools if s.enrollment_total > 0]  # docs/measures.md: 0-enrollment left out
    data = _BandData(rows)
    total = int(data.t.sum())
    method = _method_text(len(rows), joint, use_capacity and any(s.capacity for s in rows))
    result_base: dict[str, Any] = {"method": method, "schools": len(rows), "band_enrollment": total}
    if not rows or total == 0:
        return {**result_base, "reachable": True, "students_moved": 0, "share_of_band": 0.0,
                "largest_flows": [], "flows": [], "pairs": [], "after": {}}
    groups = _constrained_groups(data, band, ed_band, single_group_min_share)
    variable = np.array([bool(use_capacity and s.capacity) for s in rows])
    widths = {g.name: _narrowed(g.band, rows, margin) for g in groups}
    unreachable = _unreachable(data, rows, groups, widths, variable)
    if unreachable:
        return {**result_base, "reachable": False, "reason": unreachable}
    timer = _Timer(started)
    setup = _Setup(data, groups, widths, variable, joint, single_group_min_share is not None and band is not None,
                   ed_band is not None or joint == "bounds")
    solved = setup.solve(timer)
    if isinstance(solved, str):
        return {**result_base, "reachable": False, "reason": solved}
    cells, out, parts = solved
    plan = plan_from_solution(rows, data.counts, cells, parts, flows=flows)
    timer.lap("plan_seconds")
    if stats is not None:
        stats.update(timer.seconds, variables=setup.size[0], constraints=setup.size[1], nonzeros=setup.size[2])
    students_moved = _ceil_students(float(out.sum()))
    return {**result_base, "reachable": True, "students_moved": students_moved,
            "share_of_band": students_moved / total, "band_share": {g.name: g.share for g in groups}, **plan}


class _BandData:
    """The band's schools as arrays: race counts (schools x RACE_GROUPS), totals, ED, capacities."""

    def __init__(self, rows: list[SchoolRow]) -> None:
        self.counts = np.array([[getattr(s, g) for g in RACE_GROUPS] for s in rows], dtype=float).reshape(
            len(rows), len(RACE_GROUPS))
        self.t = np.array([s.enrollment_total for s in rows], dtype=float)
        self.ed = np.array([s.econ_disadvantaged for s in rows], dtype=float)
        self.cap = np.array([max(s.capacity or 0, s.enrollment_total) for s in rows], dtype=float)


def _narrowed(b: float, rows: list[SchoolRow], margin: float | Mapping[str, float]) -> np.ndarray:
    """The half-width each school is held to: the band's less its margin."""
    if isinstance(margin, (int, float)):
        return np.full(len(rows), max(0.0, b - margin))
    return np.maximum(0.0, b - np.array([margin.get(s.school_id, 0.0) for s in rows], dtype=float))


def _constrained_groups(data: _BandData, band: float | None, ed_band: float | None,
                        min_share: float | None) -> list[_Group]:
    """The groups each school must be within the band of: students of color (and, with
    ``min_share``, each race group of color large enough) and ED students. White students'
    band would repeat students of color's (one is the other's complement), so it is not added."""
    total = float(data.t.sum())
    groups: list[_Group] = []
    if band is not None:
        of_color = tuple(i for i in range(len(RACE_GROUPS)) if i != _WHITE)
        groups.append(_Group("students_of_color", of_color, 1.0 - float(data.counts[:, _WHITE].sum()) / total, band))
        present = tuple(i for i in of_color if data.counts[:, i].sum() > 0)
        if min_share is not None:
            for i in of_color:
                share = float(data.counts[:, i].sum()) / total
                # Same 1e-12 slack as the INT-01 rule's eligibility test; a band whose students
                # of color are all of one group needs no second, identical row.
                if share >= min_share - 1e-12 and share > 0 and present != (i,):
                    groups.append(_Group(RACE_GROUPS[i], (i,), share, band, single=True))
    if ed_band is not None:
        groups.append(_Group("econ_disadvantaged", (), float(data.ed.sum()) / total, ed_band))
    return groups


def _group_counts(data: _BandData, group: _Group) -> np.ndarray:
    """Each school's current count of the group."""
    if not group.members:
        return data.ed
    return data.counts[:, list(group.members)].sum(axis=1)


def _cells(data: _BandData, own: list[int], singles: bool, split_ed: bool) -> list[Cell]:
    """The program's cells: race classes (split by ED status when ``split_ed``).

    Race classes: with single groups, each race group of color in ``own`` (those whose band is
    checked in the program), white, and one class for the other groups of color (they count
    only towards students of color, so moving one or another changes nothing the program
    checks); without, students of color and white. Classes no school of the band has are left out.
    """
    present = data.counts.sum(axis=0) > 0
    classes: list[tuple[str, tuple[int, ...], bool]] = []
    if singles:
        classes = [(RACE_GROUPS[i], (i,), False) for i in own if present[i]]
        rest = tuple(i for i in range(len(RACE_GROUPS)) if i != _WHITE and present[i] and i not in own)
        if rest:
            classes.append(("students_of_color", rest, True))  # reported per group in the plan
    else:
        soc = tuple(i for i in range(len(RACE_GROUPS)) if i != _WHITE and present[i])
        classes = [("students_of_color", soc, False)] if soc else []
    if present[_WHITE]:
        classes.append(("white", (_WHITE,), False))
    eds: tuple[bool | None, ...] = (True, False) if split_ed else (None,)
    return [Cell(label, members, ed, by_group) for label, members, by_group in classes for ed in eds]


def _group_cells(group: _Group, cells: list[Cell]) -> tuple[int, ...] | None:
    """The cells that count a group, or None when the cells do not separate it (a group of
    color merged with others into one class)."""
    if not group.members:
        return tuple(k for k, c in enumerate(cells) if c.ed)
    inside = tuple(k for k, c in enumerate(cells) if set(c.members) <= set(group.members))
    mixed = any(set(c.members) & set(group.members) and not set(c.members) <= set(group.members) for c in cells)
    return None if mixed else inside


def _whole_bounds(data: _BandData, group: _Group, width: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The whole numbers of the group's students each fixed-enrollment school may have."""
    lo = np.maximum(0.0, np.ceil((group.share - width) * data.t - _EPS))
    hi = np.minimum(data.t, np.floor((group.share + width) * data.t + _EPS))
    return lo, hi


def _outside(data: _BandData, group: _Group, width: np.ndarray, variable: np.ndarray, count: np.ndarray,
             t: np.ndarray) -> bool:
    """Whether some school with ``count`` of the group among ``t`` students breaks the group's band."""
    lo, hi = _whole_bounds(data, group, width)
    fixed = ~variable & ((count < lo - 1e-6) | (count > hi + 1e-6))
    loose = variable & (np.abs(count - group.share * t) > width * t + 1e-6)
    return bool(fixed.any() or loose.any())


def _unreachable(data: _BandData, rows: list[SchoolRow], groups: list[_Group], widths: dict[str, np.ndarray],
                 variable: np.ndarray) -> str | None:
    """Why no plan can exist (a fixed school with no whole number of a group within its band), or None."""
    bad = np.zeros((len(rows), len(groups)), dtype=bool)
    for j, g in enumerate(groups):
        lo, hi = _whole_bounds(data, g, widths[g.name])
        bad[:, j] = (lo > hi) & ~variable
    if not bad.any():
        return None
    i = int(np.flatnonzero(bad.any(axis=1))[0])
    g = groups[int(np.flatnonzero(bad[i])[0])]
    s = rows[i]
    return (f"not reachable within the band: {s.school_name} ({s.school_id}) has {s.enrollment_total} students, "
            f"and no whole number of {g.name.replace('_', ' ')} puts it within {widths[g.name][i] * 100:g} points "
            f"of the band's {g.share * 100:.1f}%")


class _Timer:
    """Seconds spent per part of the work, each lap charged to the part named."""

    def __init__(self, started: float) -> None:
        self.last = started
        self.seconds: dict[str, float] = {"build_seconds": 0.0, "solve_seconds": 0.0, "plan_seconds": 0.0}

    def lap(self, part: str) -> None:
        now = time.perf_counter()
        self.seconds[part] += now - self.last
        self.last = now


class _Setup:
    """The program, solved with the single race groups' bands that can bind: a group no school
    breaks now shares a class with the other groups of color and is checked on the solution;
    only a group the solution breaks gets its class and row, and the program is solved again.
    Leaving a row out can only lower the optimum, so a solution that keeps it anyway is optimal."""

    def __init__(self, data: _BandData, groups: list[_Group], widths: dict[str, np.ndarray], variable: np.ndarray,
                 joint: str, singles: bool, split_ed: bool) -> None:
        self.data, self.groups, self.widths, self.variable = data, groups, widths, variable
        self.joint, self.singles, self.split_ed = joint, singles, split_ed
        self.size = (0, 0, 0)
        self.own = [g.members[0] for g in groups if g.single and _outside(
            data, g, widths[g.name], variable, _group_counts(data, g), data.t)]

    def solve(self, timer: _Timer) -> str | tuple[list[Cell], np.ndarray, list[Flows]]:
        """(cells, outflows, flows per cell) of the optimum, or why there is none."""
        while True:
            cells = _cells(self.data, self.own, self.singles, self.split_ed)
            rows = [(g, ks) for g in self.groups if (ks := _group_cells(g, cells)) is not None]
            prog = _Program(self.data, cells, rows, self.widths, self.variable, self.joint)
            self.size = (prog.n_var, prog.n_rows, prog.nnz)
            timer.lap("build_seconds")
            res = prog.solve()
            timer.lap("solve_seconds")
            if res.status != 0:  # without some rows: with them it is not reachable either
                return ("not reachable within the band by reassigning students among its schools"
                        + (" (the linear program reports it infeasible)" if res.status == 2 else f" ({res.message})"))
            assert res.x is not None  # optimal: HiGHS gives the solution
            out, inn = prog.split(res.x)
            parts = [decompose(out[:, k], inn[:, k]) for k in range(len(cells))]
            broken = [g.members[0] for g in self.groups if g.single and g.members[0] not in self.own
                      and self._breaks(g, cells, out, inn, parts)]
            timer.lap("plan_seconds")
            if not broken:
                return cells, out, parts
            self.own += broken

    def _breaks(self, g: _Group, cells: list[Cell], out: np.ndarray, inn: np.ndarray, parts: list[Flows]) -> bool:
        """Whether the solution, its merged class split by each sending school's mix, breaks g's band."""
        count = group_after(self.data.counts, cells, parts, g.members[0])
        t = self.data.t + (inn - out).sum(axis=1)
        return _outside(self.data, g, self.widths[g.name], self.variable, count, t)


class _Program:
    """The LP: variables out[i,k], then in[i,k], then (bounds mode) cell[i,k] for school i, cell k,
    then each capacity school's enrollment after; constraint rows lb <= A x <= ub, built block by
    block as COO triplets."""

    def __init__(self, data: _BandData, cells: list[Cell], groups: list[tuple[_Group, tuple[int, ...]]],
                 widths: dict[str, np.ndarray], variable: np.ndarray, joint: str) -> None:
        self.n, self.k, self.joint = len(data.t), len(cells), joint
        self.n_flow = self.n * self.k
        self.var = np.flatnonzero(variable)
        # A capacity school's enrollment after is a variable of its own: its share rows then
        # read "group after <= share x enrollment after" with a few terms, not one per cell.
        self.t_col = 2 * self.n_flow + (self.n_flow if joint == "bounds" else 0)
        self.n_var = self.t_col + len(self.var)
        self._r: list[np.ndarray] = []
        self._c: list[np.ndarray] = []
        self._v: list[np.ndarray] = []
        self._lb: list[np.ndarray] = []
        self._ub: list[np.ndarray] = []
        self.n_rows = 0
        self.x_ub = np.full(self.n_var, np.inf)
        self._conservation()
        self._enrollment(data, variable)
        for g, ks in groups:
            self._group(data, g, ks, widths[g.name], variable)
        self._supply(data, cells)

    @property
    def nnz(self) -> int:
        return int(sum(len(v) for v in self._v))

    def _add(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> None:
        """Rows numbered from 0 within the block; appended after the rows so far."""
        self._r.append(rows + self.n_rows)
        self._c.append(cols)
        self._v.append(vals)
        self._lb.append(lb)
        self._ub.append(ub)
        self.n_rows += len(lb)

    def _net(self, schools: np.ndarray, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One row per school: sum over cells of coef[row, k] * (in[i,k] - out[i,k])."""
        r, k = np.nonzero(coef)
        flat = schools[r] * self.k + k
        v = coef[r, k]
        return np.concatenate([r, r]), np.concatenate([self.n_flow + flat, flat]), np.concatenate([v, -v])

    def _conservation(self) -> None:
        # Every student who leaves a school arrives at another one: per cell, sum in - out = 0.
        i, k = np.divmod(np.arange(self.n_flow), self.k)
        flat = i * self.k + k
        zeros = np.zeros(self.k)
        self._add(np.concatenate([k, k]), np.concatenate([self.n_flow + flat, flat]),
                  np.concatenate([np.ones(self.n_flow), -np.ones(self.n_flow)]), zeros, zeros)

    def _enrollment(self, data: _BandData, variable: np.ndarray) -> None:
        # Enrollment kept (fixed schools), or the enrollment after, between 0 and the capacity (the others).
        fixed = np.flatnonzero(~variable)
        rows, cols, vals = self._net(fixed, np.ones((len(fixed), self.k)))
        self._add(rows, cols, vals, np.zeros(len(fixed)), np.zeros(len(fixed)))
        if len(self.var):
            rows, cols, vals = self._net(self.var, np.ones((len(self.var), self.k)))
            after = np.arange(len(self.var))
            # net - after = -t
            self._add(np.concatenate([rows, after]), np.concatenate([cols, self.t_col + after]),
                      np.concatenate([vals, -np.ones(len(after))]), -data.t[self.var], -data.t[self.var])
            self.x_ub[self.t_col:] = data.cap[self.var]

    def _group(self, data: _BandData, g: _Group, ks: tuple[int, ...], width: np.ndarray, variable: np.ndarray) -> None:
        in_group = np.zeros(self.k)
        in_group[list(ks)] = 1.0
        g0 = _group_counts(data, g)
        fixed = np.flatnonzero(~variable)
        lo, hi = _whole_bounds(data, g, width)
        # A row that holds for any count between 0 and the enrollment cannot bind.
        fixed = fixed[(lo[fixed] > 0) | (hi[fixed] < data.t[fixed])]
        if len(fixed):
            rows, cols, vals = self._net(fixed, np.broadcast_to(in_group, (len(fixed), self.k)))
            self._add(rows, cols, vals, lo[fixed] - g0[fixed], hi[fixed] - g0[fixed])
        var = self.var
        if not len(var):
            return
        # g0 + net_g <= (p+b) T and g0 + net_g >= (p-b) T, T the enrollment after.
        after = np.arange(len(var))
        for sign, w in ((1.0, g.share + width[var]), (-1.0, g.share - width[var])):
            rows, cols, vals = self._net(var, np.broadcast_to(sign * in_group, (len(var), self.k)))
            self._add(np.concatenate([rows, after]), np.concatenate([cols, self.t_col + after]),
                      np.concatenate([vals, -sign * w]), np.full(len(var), -np.inf), -sign * g0[var])

    def _supply(self, data: _BandData, cells: list[Cell]) -> None:
        """At most the students school i has in a cell leave it: estimated by independence, or
        (bounds mode) a cell table the LP chooses within the school's race and ED margins."""
        ed_share = data.ed / data.t
        race = np.stack([data.counts[:, list(c.members)].sum(axis=1) for c in cells], axis=1)
        if self.joint == "independence":
            part = np.stack([ed_share if c.ed else (1.0 - ed_share if c.ed is False else np.ones(self.n))
                             for c in cells], axis=1)
            self.x_ub[: self.n_flow] = (race * part).ravel()
            return
        self.x_ub[2 * self.n_flow: 3 * self.n_flow] = race.ravel()
        flat = np.arange(self.n_flow)
        ones = np.ones(self.n_flow)
        # out[i,k] - cell[i,k] <= 0
        self._add(np.concatenate([flat, flat]), np.concatenate([flat, 2 * self.n_flow + flat]),
                  np.concatenate([ones, -ones]), np.full(self.n_flow, -np.inf), np.zeros(self.n_flow))
        # The school's cells add up to its race class counts and to its ED count.
        labels = list(dict.fromkeys(c.label for c in cells))
        for label in labels + ["econ_disadvantaged"]:
            ks = [k for k, c in enumerate(cells) if (c.ed if label == "econ_disadvantaged" else c.label == label)]
            rhs = data.ed if label == "econ_disadvantaged" else race[:, ks[0]]
            r, kk = np.divmod(np.arange(self.n * len(ks)), len(ks))
            cols = 2 * self.n_flow + r * self.k + np.array(ks)[kk]
            self._add(r, cols, np.ones(len(r)), rhs, rhs)

    def solve(self) -> highs.Solved:
        """Minimize the students out (every reassignment once).

        HiGHS's interior point method, then its crossover to a vertex: on bands of thousands of
        schools with capacities many times faster than its simplex (minutes to seconds), and the
        vertex keeps the plan sparse (few pairs of schools) as the simplex's does. Through
        :mod:`.highs`, which lets go of the GIL while it solves, so the bands of a district are
        solved side by side (the recommendation engine's ``solve_bands``).
        """
        cost = np.zeros(self.n_var)
        cost[: self.n_flow] = 1.0
        a = coo_matrix((np.concatenate(self._v), (np.concatenate(self._r), np.concatenate(self._c))),
                       shape=(self.n_rows, self.n_var)).tocsc()
        return highs.solve(cost, a, np.zeros(self.n_var), self.x_ub, np.concatenate(self._lb),
                           np.concatenate(self._ub), solver="ipm")

    def split(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The solution's outflows and inflows as (schools x cells) arrays, solver noise cleared."""
        out = np.clip(x[: self.n_flow], 0.0, None).reshape(self.n, self.k)
        inn = np.clip(x[self.n_flow: 2 * self.n_flow], 0.0, None).reshape(self.n, self.k)
        return out, inn


def _ceil_students(x: float) -> int:
    """Whole students needed for a (possibly fractional) LP amount; solver noise is ignored."""
    return max(0, math.ceil(x - 1e-4))  # a ten-thousandth of a student is solver noise


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
        f"Linear program solved with HiGHS (highspy): fewest student reassignments "
        f"among the {n} schools of the band; {cells}; {enrollment}; every student who changes school "
        f"counts once (a swap is two reassignments); fractional solutions rounded up; changes between "
        f"pairs of schools rounded to whole students so that each school's net change stays the program's."
    )
