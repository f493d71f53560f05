"""The one-page PDF summary of a plan: the verdict, totals per band, the largest changes, the first changes."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from compliance.reports.suppression import (
    DEFAULT_MIN_CELL,
    SUPPRESSED,
    below_threshold,
    scrub_small_counts,
    suppress_after,
    suppress_change,
    suppress_count,
)
from compliance.rules.model import BANDS, LotteryRow, SchoolRow, school_band
from compliance.rules.planner import Lever, MoveStudents
from compliance.rules.planner_effect import PlanEffect

from .presenters import MEASURES, VERDICTS, fmt_measure, get_measure, lever_text


@dataclass(frozen=True)
class Detail:
    """How much of the plan's lists one page prints: changes in words, schools, lotteries."""

    levers: int
    schools: int
    lotteries: int


# Fullest first: the PDF prints the first that fits one page (exports.summary_pdf).
DETAILS = (Detail(8, 10, 5), Detail(5, 6, 3), Detail(3, 3, 1), Detail(0, 0, 0))

_KIND_WORDS = {
    "move": ("move", "moves"), "close": ("closure", "closures"), "open": ("new school", "new schools"),
    "grade_center": ("grade-center pairing", "grade-center pairings"), "lottery": ("lottery", "lotteries"),
}


def _moved(lever: Lever) -> int:
    if isinstance(lever, MoveStudents):
        return (lever.total if lever.total is not None else lever.ed) or 0
    return 0


def _students_moved(levers: list[Lever], listed: list[Lever], min_cell: int) -> str:
    """The students all moves take, as printed beside the moves listed in words.

    The total less the moves printed exactly gives the rest (the small moves, and those not
    listed): when the rest is 1 to 9 students the total is hidden too, as the report hides a whole
    whose hidden parts hold fewer than 10 (complementary suppression).
    """
    total = sum(_moved(lv) for lv in levers)
    exact = sum(m for m in (_moved(lv) for lv in listed) if not below_threshold(m, min_cell))
    if not below_threshold(total, min_cell) and below_threshold(total - exact, min_cell):
        return SUPPRESSED
    return suppress_count(total, min_cell)


def plan_sentence(levers: list[Lever], listed: list[Lever], min_cell: int = DEFAULT_MIN_CELL) -> str:
    """'430 changes: 428 moves (5,210 students), 1 closure, 1 lottery.' beside the ``listed`` ones."""
    if not levers:
        return "No changes."
    kinds = Counter(lv.kind for lv in levers)
    parts = []
    for kind, (one, many) in _KIND_WORDS.items():
        n = kinds.get(kind, 0)
        if n:
            part = f"{n:,} {one if n == 1 else many}"
            if kind == "move":
                part += f" ({_students_moved(levers, listed, min_cell)} students)"
            parts.append(part)
    return f"{len(levers):,} change{'s' if len(levers) != 1 else ''}: " + ", ".join(parts) + "."


def school_deltas(effect: PlanEffect, schools: list[SchoolRow], names: dict[str, str]) -> list[dict[str, Any]]:
    """Each school the plan changes: its band after the plan, enrollment now and after, the change."""
    now = {s.school_id: s for s in schools}
    out = []
    for r in effect.proposed:
        before = now.get(r.school_id)
        lo = r.grade_low or (before.grade_low if before else "")
        hi = r.grade_high or (before.grade_high if before else "")
        was = before.enrollment_total if before else 0
        regraded = before is not None and (lo, hi) != (before.grade_low, before.grade_high)
        out.append({
            "school_id": r.school_id, "name": r.school_name or names.get(r.school_id, r.school_id),
            "band": school_band(lo, hi) if lo and hi else None,
            "change": effect.changes.get(r.school_id, "changed") + (f", grades {lo}-{hi}" if regraded else ""),
            "now": was, "after": r.enrollment_total, "delta": r.enrollment_total - was,
        })
    return out


def _after_and_change(now: int, after: int, min_cell: int) -> tuple[str, str]:
    """A school's enrollment after the plan and its change, as the table prints them.

    A change of 1 to 9 students is itself a small count: it prints "<10", and the enrollment after
    is hidden ("*"), since after less now would give it back.
    """
    shown_after, change = suppress_after(after, now, min_cell), suppress_change(now, after, min_cell)
    if change != SUPPRESSED and below_threshold(abs(after - now), min_cell):
        return SUPPRESSED, suppress_count(abs(after - now), min_cell)
    return shown_after, change


def largest_changes(deltas: list[dict[str, Any]], limit: int, min_cell: int = DEFAULT_MIN_CELL) -> list[dict[str, Any]]:
    ranked = sorted(deltas, key=lambda d: (-abs(d["delta"]), d["name"], d["school_id"]))[:limit]
    out = []
    for d in ranked:
        after, change = _after_and_change(d["now"], d["after"], min_cell)
        out.append({**d, "band_label": (d["band"] or "no band").capitalize(), "now": suppress_count(d["now"], min_cell),
                    "after": after, "delta": change})
    return out


def _gained(deltas: list[dict[str, Any]], exact: set[str], min_cell: int) -> str:
    """Students gained by the schools that grow, hidden ("*") when it less the gains the largest-changes
    table prints exactly (the schools ``exact``) would give back the 1 to 9 it hides or leaves out."""
    total = sum(d["delta"] for d in deltas if d["delta"] > 0)
    printed = sum(d["delta"] for d in deltas if d["delta"] > 0 and d["school_id"] in exact)
    if not below_threshold(total, min_cell) and below_threshold(total - printed, min_cell):
        return SUPPRESSED
    return suppress_count(total, min_cell)


def area_table(effect: PlanEffect, deltas: list[dict[str, Any]], exact: set[str], min_cell: int) -> dict[str, Any]:
    """District and bands as columns; schools changed, students gained, flags and measures as rows.

    ``exact``: the schools whose change the largest-changes table prints as a number.
    """
    areas: list[tuple[str, str | None]] = [("District", None), *((b.title(), b) for b in BANDS)]
    rows: list[tuple[str, list[str]]] = []
    mine = [[d for d in deltas if band is None or d["band"] == band] for _, band in areas]
    rows.append(("Schools the plan changes", [f"{len(m):,}" for m in mine]))
    gained = [_gained(m, exact, min_cell) for m in mine]
    if SUPPRESSED in gained[1:]:
        gained[0] = SUPPRESSED  # the district less the other bands would give a hidden band back
    rows.append(("Students gained by the schools that grow", gained))
    rows.append(("Schools flagged by INT-01/02/03", [
        f"{len(effect.flagged_before[band])} \u2192 {len(effect.flagged_after[band])}" for _, band in areas]))
    for name, path in MEASURES:
        cells = []
        for _, band in areas:
            before = effect.current["district"] if band is None else effect.current["bands"][band]
            after = effect.after["district"] if band is None else effect.after["bands"][band]
            cells.append(f"{fmt_measure(get_measure(before, path))} \u2192 {fmt_measure(get_measure(after, path))}")
        rows.append((name, cells))
    return {"headers": [label for label, _ in areas], "rows": rows}


def listed_levers(levers: list[Lever], limit: int) -> list[Lever]:
    """The changes printed in words: those that are not moves, in plan order, then the largest moves."""
    others = [lv for lv in levers if not isinstance(lv, MoveStudents)]
    moves = sorted((lv for lv in levers if isinstance(lv, MoveStudents)), key=_moved, reverse=True)
    return [*others, *moves][:limit]


def lottery_text(lot: LotteryRow, names: dict[str, str], min_cell: int = DEFAULT_MIN_CELL) -> str:
    return (f"{names.get(lot.school_id, lot.school_id)}: {suppress_count(lot.seats, min_cell)} seats; the draw "
            f"admits {suppress_count(lot.admitted_ed, min_cell)} economically disadvantaged and "
            f"{suppress_count(lot.admitted_non_ed, min_cell)} other applicants.")


def summary_context(effect: PlanEffect, levers: list[Lever], names: dict[str, str], schools: list[SchoolRow],
                    detail: Detail, *, min_cell: int) -> dict[str, Any]:
    """The PDF's context; ``min_cell``: the threshold of the rule set of the plan's cycle
    (compliance.reports.suppression.privacy_min_cell, as the report reads it)."""
    deltas = school_deltas(effect, schools, names)
    title, text = VERDICTS[effect.verdict]
    shown = listed_levers(levers, detail.levers)
    largest = largest_changes(deltas, detail.schools, min_cell)
    exact = {r["school_id"] for r in largest if r["delta"] != SUPPRESSED and not r["delta"].startswith("<")}
    return {
        "min_cell": min_cell, "verdict": effect.verdict, "verdict_title": title, "verdict_text": text,
        "int05": effect.int05,
        "plan_sentence": plan_sentence(levers, shown, min_cell), "areas": area_table(effect, deltas, exact, min_cell),
        "largest": largest, "schools_changed": len(deltas),
        "levers": [lever_text(lv, names, min_cell=min_cell) for lv in shown],
        "levers_total": len(levers), "levers_more": len(levers) - len(shown),
        "lotteries": [lottery_text(lot, names, min_cell) for lot in effect.lotteries[: detail.lotteries]],
        "lotteries_more": len(effect.lotteries) - detail.lotteries,
        "int06": [scrub_small_counts(f.message, min_cell) for f in effect.int06[: detail.lotteries]],
        "int06_more": len(effect.int06) - detail.lotteries, "any_lottery": bool(effect.lotteries),
    }
