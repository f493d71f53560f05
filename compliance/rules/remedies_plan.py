"""The integration remedy's solution as a plan: flows between schools, pairs in whole students, each school after.

The program (:mod:`.remedies_integration`) says how many students of each cell leave and
enter each school. Here that becomes (1) flows between two schools per cell, by matching the
sorted outflows with the sorted inflows in one pass (the north-west corner rule on cumulative
sums: linear after the sort, at most sources + sinks - 1 flows per cell); (2) enrollment
changes between pairs of schools in whole students, with the composition that moves, rounded
so that every school's net change stays what the program says (a rounding of a network flow
keeps its balances, solved as a tiny integral program); (3) each school's resulting
composition. Plans are changes between schools (zones, programs, grade spans), never moves of
students of one race (docs/recommendations.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix

from . import highs
from .model import RACE_GROUPS, SchoolRow

_FLOW_TOL = 1e-7  # LP values below this are solver noise, not students
_WHITE = RACE_GROUPS.index("white")


# One cell's flows: sending schools, receiving schools, students (arrays of the same length).
Flows = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Cell:
    """A cell of the program: a race class (its label and RACE_GROUPS indices) and ED status (None: both).

    ``by_group``: the class stands for several groups whose flows are reported per group.
    """

    label: str
    members: tuple[int, ...]
    ed: bool | None
    by_group: bool = False


def decompose(out: np.ndarray, inn: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One cell's outflows and inflows (per school) as flows (from, to, amount), largest first.

    Both sides sorted largest first and laid end to end; each stretch between two cumulative
    sums is one flow from the source whose stretch holds it to the sink whose stretch holds it.
    The totals per school are kept exactly; the largest outflows meet the largest inflows.
    """
    src = np.flatnonzero(out > _FLOW_TOL)
    dst = np.flatnonzero(inn > _FLOW_TOL)
    if not len(src) or not len(dst):
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int), np.zeros(0)
    src = src[np.lexsort((src, -out[src]))]
    dst = dst[np.lexsort((dst, -inn[dst]))]
    s_cum, d_cum = np.cumsum(out[src]), np.cumsum(inn[dst])
    top = min(s_cum[-1], d_cum[-1])
    ends = np.union1d(s_cum, d_cum)
    ends = ends[ends <= top + _FLOW_TOL]
    starts = np.concatenate([[0.0], ends[:-1]])
    amounts = ends - starts
    keep = amounts > _FLOW_TOL
    mids = (starts + ends)[keep] / 2
    i = np.minimum(np.searchsorted(s_cum, mids), len(src) - 1)
    j = np.minimum(np.searchsorted(d_cum, mids), len(dst) - 1)
    f, t, a = src[i], dst[j], amounts[keep]
    same = f != t  # cannot happen at an optimum; guard anyway
    return f[same], t[same], a[same]


def round_keeping_balances(src: np.ndarray, dst: np.ndarray, x: np.ndarray, n: int) -> np.ndarray:
    """Whole numbers for the amounts ``x`` on arcs src -> dst, each rounded down or up, so that
    every node's net outflow is its fractional net rounded down or up (a circulation stays one).

    The fractional parts are themselves such a choice, and the node-arc matrix is totally
    unimodular, so an integral one exists; the small program picks the one closest to ``x``.
    """
    base = np.floor(x + 1e-6)
    frac = x - base
    frac[frac < 1e-6] = 0.0
    f = np.flatnonzero(frac > 0)
    if not len(f):
        return base.astype(int)
    balance = np.bincount(src[f], frac[f], n) - np.bincount(dst[f], frac[f], n)
    lo, hi = np.floor(balance + 1e-6), np.ceil(balance - 1e-6)
    arcs = np.arange(len(f))
    a = coo_matrix((np.concatenate([np.ones(len(f)), -np.ones(len(f))]),
                    (np.concatenate([src[f], dst[f]]), np.concatenate([arcs, arcs]))), shape=(n, len(f))).tocsc()
    cost, lo, hi = 1.0 - 2.0 * frac[f], np.minimum(lo, hi), np.maximum(lo, hi)
    zeros, ones = np.zeros(len(f)), np.ones(len(f))
    # Without presolve HiGHS's simplex ends on a vertex, integral here; the integral program
    # is the guard should it ever not (it costs several times more).
    res = highs.solve(cost, a, zeros, ones, lo, hi, solver="simplex", presolve=False)
    if res.x is None or np.abs(res.x - np.round(res.x)).max() > 1e-6:
        res = highs.solve(cost, a, zeros, ones, lo, hi, integral=True)
    up = np.round(res.x) if res.x is not None else np.round(frac[f])
    base[f] += up
    return base.astype(int)


def group_after(counts: np.ndarray, cells: list[Cell], flows: list[Flows], group: int) -> np.ndarray:
    """Each school's count of one race group after the flows, a class of several groups split
    by each sending school's own mix of them."""
    after = counts[:, group].copy()
    for cell, (f, t, a) in zip(cells, flows):
        if group not in cell.members:
            continue
        of_class = counts[np.ix_(f, np.array(cell.members, dtype=int))].sum(axis=1)
        moved = a * np.divide(counts[f, group], of_class, out=np.zeros(len(f)), where=of_class > 0)
        after -= np.bincount(f, moved, len(after))
        after += np.bincount(t, moved, len(after))
    return after


def plan_from_solution(rows: list[SchoolRow], counts: np.ndarray, cells: list[Cell], flows_per_cell: list[Flows],
                       *, flows: bool = True) -> dict[str, Any]:
    """The plan: pairs in whole students, each school after, and (``flows``) the program's own flows."""
    n = len(rows)
    ed_share = np.array([s.econ_disadvantaged / s.enrollment_total for s in rows])
    parts = [(k, *fl) for k, fl in enumerate(flows_per_cell)]
    plan: dict[str, Any] = {}
    if flows:
        flow_list = _flow_records(rows, counts, cells, ed_share, parts)
        plan["largest_flows"] = _largest_flows(flow_list)
        plan["flows"] = flow_list
    pairs = _pairs(n, cells, ed_share, parts)
    plan["pairs"] = [
        {"from": rows[a].school_id, "to": rows[b].school_id, "students": int(t), "students_of_color": int(c),
         "white": int(t - c), "econ_disadvantaged": int(e)}
        for a, b, t, c, e in zip(*pairs) if t > 0
    ]
    plan["after"] = _after(rows, pairs)
    return plan


def _flow_records(rows: list[SchoolRow], counts: np.ndarray, cells: list[Cell], ed_share: np.ndarray,
                  parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]) -> list[dict[str, Any]]:
    """The flows per race group and ED status: a class of several groups is split by the sending
    school's own mix of them, a cell of both ED statuses by the sending school's ED share."""
    records: list[dict[str, Any]] = []
    for k, f, t, a in parts:
        cell = cells[k]
        mix = counts[np.ix_(f, np.array(cell.members, dtype=int))]
        total = mix.sum(axis=1, keepdims=True)
        mix = np.divide(mix, total, out=np.zeros_like(mix), where=total > 0)
        eds = ((True, ed_share[f]), (False, 1.0 - ed_share[f])) if cell.ed is None else ((cell.ed, np.ones(len(f))),)
        for gi, g in enumerate(cell.members if cell.by_group else cell.members[:1]):
            share = mix[:, gi] if cell.by_group else np.ones(len(f))
            for ed, part in eds:
                amounts = a * share * part
                for src, dst, amount in zip(f.tolist(), t.tolist(), amounts.tolist()):
                    if amount > _FLOW_TOL:
                        records.append({"from": rows[src].school_id, "to": rows[dst].school_id,
                                        "group": RACE_GROUPS[g] if cell.by_group else cell.label, "ed": ed,
                                        "students": round(amount, 6)})
    return records


def _largest_flows(flows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The five largest flows, ED and not-ED merged per (from, to, race class) for readability."""
    merged: dict[tuple[str, str, str], list[float]] = {}
    for f in flows:
        m = merged.setdefault((f["from"], f["to"], f["group"]), [0.0, 0.0])
        m[0] += f["students"]
        m[1] += f["students"] if f["ed"] else 0.0
    largest = sorted(merged.items(), key=lambda kv: (-kv[1][0], kv[0]))[:5]
    return [
        {"from": a, "to": b, "group": g, "students": _ceil(tot), "econ_disadvantaged": min(_ceil(tot), round(ed))}
        for (a, b, g), (tot, ed) in largest
    ]


def _ceil(x: float) -> int:
    return max(0, int(np.ceil(x - 1e-4)))


def _pairs(n: int, cells: list[Cell], ed_share: np.ndarray,
           parts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, ...]:
    """(from, to, students, students of color, ED) per pair of schools, whole, largest first."""
    if not any(len(p[1]) for p in parts):
        return tuple(np.zeros(0, dtype=int) for _ in range(5))
    f = np.concatenate([p[1] for p in parts])
    t = np.concatenate([p[2] for p in parts])
    a = np.concatenate([p[3] for p in parts])
    k = np.concatenate([np.full(len(p[1]), p[0]) for p in parts])
    soc = np.array([_WHITE not in c.members for c in cells])[k]
    ed = np.array([1.0 if c.ed else (0.0 if c.ed is False else -1.0) for c in cells])[k]
    ed_amount = np.where(ed < 0, a * ed_share[f], a * ed)
    keys, inverse = np.unique(f * n + t, return_inverse=True)
    src, dst = keys // n, keys % n
    total = round_keeping_balances(src, dst, np.bincount(inverse, a, len(keys)), n)
    of_color = np.minimum(total, round_keeping_balances(src, dst, np.bincount(inverse, a * soc, len(keys)), n))
    ed_whole = np.minimum(total, round_keeping_balances(src, dst, np.bincount(inverse, ed_amount, len(keys)), n))
    order = np.lexsort((dst, src, -total))
    return src[order], dst[order], total[order], of_color[order], ed_whole[order]


def _after(rows: list[SchoolRow], pairs: tuple[np.ndarray, ...]) -> dict[str, dict[str, Any]]:
    """Each school's enrollment and composition once the whole-student pairs are carried out."""
    n = len(rows)
    src, dst, total, soc, ed = pairs
    net = np.bincount(dst, total, n) - np.bincount(src, total, n)
    net_soc = np.bincount(dst, soc, n) - np.bincount(src, soc, n)
    net_ed = np.bincount(dst, ed, n) - np.bincount(src, ed, n)
    after: dict[str, dict[str, Any]] = {}
    for i, s in enumerate(rows):
        t = s.enrollment_total + int(net[i])
        c = min(t, max(0, s.enrollment_total - s.white + int(net_soc[i])))
        e = min(t, max(0, s.econ_disadvantaged + int(net_ed[i])))
        after[s.school_id] = {
            "enrollment_before": s.enrollment_total, "enrollment": t, "students_of_color": c,
            "econ_disadvantaged": e, "students_of_color_share": round(c / t, 6) if t > 0 else None,
            "ed_share": round(e / t, 6) if t > 0 else None,
        }
    return after
