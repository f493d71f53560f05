"""Estimates for the grade-center and lottery recommendations, by the planner's own levers.

* :func:`grade_center_remedy` -- which schools of a band would be combined as grade centers
  (the Clinton model), the grade span each would serve, and the resulting composition, applied
  with :class:`.planner.GradeCenter` (so the planner and the report cannot disagree);
* :func:`lottery_seats_remedy` -- the seats each pool of a two-pool lottery would get if it
  admitted as INT-06 expects (:func:`.planner.lottery_admissions`), against what it did.

Plain JSON-ready dicts; no Django.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .model import GRADE_INDEX, GRADES, LotteryRow, SchoolRow
from .planner import GradeCenter, Lottery, PlanError, apply_levers, lottery_admissions

GRADE_CENTER_METHOD = (
    "Grade centers as the planner builds them: the band's schools (paired or clustered when there are "
    "more schools than grades) pool their students and each serves one grade span; each grade is taken "
    "to hold an equal share of a school's students (the workbook has no counts by grade), so every "
    "center gets its cluster's pooled mix; students whose grade moves to another building change school."
)


def _grades(s: SchoolRow) -> range:
    return range(GRADE_INDEX[s.grade_low], GRADE_INDEX[s.grade_high] + 1)


def _clusters(members: list[SchoolRow], n_grades: int) -> list[list[SchoolRow]]:
    """The schools in as few clusters as each fits its grades, each mixing high- and low-share schools.

    Ranked by share of students of color and dealt out back and forth (1, 2, ..., k, k, ..., 1),
    so each cluster pairs schools from both ends of the band.
    """
    k = math.ceil(len(members) / max(1, n_grades))
    ranked = sorted(members, key=lambda s: (-(s.enrollment_total - s.white) / s.enrollment_total, s.school_id))
    clusters: list[list[SchoolRow]] = [[] for _ in range(k)]
    for i, s in enumerate(ranked):
        lap, pos = divmod(i, k)
        clusters[pos if lap % 2 == 0 else k - 1 - pos].append(s)
    return [c for c in clusters if c]


def _spans(cluster: list[SchoolRow]) -> list[tuple[str, str]] | None:
    """A grade span for each school of the cluster (larger schools take the longer spans), or None
    when the grades the cluster serves cannot be cut into one contiguous span per school."""
    grades = sorted({g for s in cluster for g in _grades(s)})
    n = len(cluster)
    if len(grades) < n:
        return None
    size, extra = divmod(len(grades), n)
    chunks, at = [], 0
    for i in range(n):
        step = size + (1 if i < extra else 0)
        chunk = grades[at: at + step]
        at += step
        if chunk[-1] - chunk[0] + 1 != len(chunk):
            return None  # the cluster's grades have a gap inside this span
        chunks.append((GRADES[chunk[0]], GRADES[chunk[-1]]))
    by_size = sorted(range(n), key=lambda i: (-cluster[i].enrollment_total, i))
    order = sorted(range(n), key=lambda j: (-(GRADE_INDEX[chunks[j][1]] - GRADE_INDEX[chunks[j][0]]), j))
    spans: list[tuple[str, str]] = [("", "")] * n
    for school_i, chunk_j in zip(by_size, order):
        spans[school_i] = chunks[chunk_j]
    return spans


def _staying(s: SchoolRow, span: tuple[str, str]) -> float:
    """The school's students whose grade it still serves (each grade an equal share)."""
    own = _grades(s)
    lo, hi = GRADE_INDEX[span[0]], GRADE_INDEX[span[1]]
    overlap = max(0, min(own[-1], hi) - max(own[0], lo) + 1)
    return s.enrollment_total * overlap / len(own)


def grade_center_remedy(schools: Sequence[SchoolRow]) -> dict[str, Any]:
    """The band's schools (``schools``, one band) organized as grade centers: the clusters, each
    school's span and composition after, and the students who would attend another building."""
    members = [s for s in schools if s.enrollment_total > 0]
    total = sum(s.enrollment_total for s in members)
    base: dict[str, Any] = {"method": GRADE_CENTER_METHOD, "schools": len(members), "band_enrollment": total}
    if len(members) < 2:
        return {**base, "reachable": False, "reason": "grade centers need two or more schools in the band"}
    n_grades = len({g for s in members for g in _grades(s)})
    clusters = _clusters(members, n_grades)
    spans = [_spans(cluster) for cluster in clusters]
    if any(sp is None for sp in spans) or all(len(c) < 2 for c in clusters):
        return {**base, "reachable": False,
                "reason": "the grades these schools serve cannot be split into one span per school"}
    # A school left alone in its cluster keeps its grades and its students.
    levers = [GradeCenter(tuple(s.school_id for s in c), tuple(sp)) for c, sp in zip(clusters, spans)
              if sp is not None and len(c) > 1]
    try:
        state = apply_levers(members, levers)
    except PlanError as exc:
        return {**base, "reachable": False, "reason": str(exc)}
    centers: list[dict[str, Any]] = []
    staying = 0.0
    for c, (cluster, cluster_spans) in enumerate(zip(clusters, spans), start=1):
        for s, span in zip(cluster, cluster_spans or ()):
            w = state.schools[s.school_id]
            t = w.total
            soc = t - w.counts["white"]
            staying += _staying(s, span)
            centers.append({"school_id": s.school_id, "cluster": c, "grade_low": span[0], "grade_high": span[1],
                            "enrollment_before": s.enrollment_total, "enrollment": t, "students_of_color": soc,
                            "econ_disadvantaged": w.ed, "students_of_color_share": round(soc / t, 6) if t else None,
                            "ed_share": round(w.ed / t, 6) if t else None})
    centers.sort(key=lambda c: (c["cluster"], GRADE_INDEX[c["grade_low"]]))
    moving = round(total - staying)
    return {**base, "reachable": True, "clusters": len(clusters), "centers": centers,
            "students_changing_school": moving, "share_of_band": moving / total if total else 0.0}


def lottery_seats_remedy(row: LotteryRow) -> dict[str, Any]:
    """What admitting as INT-06 expects would change at one lottery: seats per pool, and the
    applicants a pool short of its reserved seats would need to fill them."""
    lever = Lottery(row.school_id, row.seats, row.target_ed_share, row.applicants_ed, row.applicants_non_ed)
    expected = lottery_admissions(lever)
    reserved_ed = round(row.target_ed_share * row.seats)
    reserved_non_ed = row.seats - reserved_ed
    return {
        "school_id": row.school_id,
        "seats": row.seats,
        "target_ed_share": row.target_ed_share,
        "reserved_seats_ed": reserved_ed,
        "reserved_seats_non_ed": reserved_non_ed,
        "admitted_ed": row.admitted_ed,
        "admitted_non_ed": row.admitted_non_ed,
        "expected_admitted_ed": expected.admitted_ed,
        "expected_admitted_non_ed": expected.admitted_non_ed,
        "more_seats_ed": expected.admitted_ed - row.admitted_ed,
        "more_seats_non_ed": expected.admitted_non_ed - row.admitted_non_ed,
        "applicants_needed_ed": max(0, reserved_ed - row.applicants_ed),
        "applicants_needed_non_ed": max(0, reserved_non_ed - row.applicants_non_ed),
    }
