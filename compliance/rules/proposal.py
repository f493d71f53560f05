"""The proposed assignment change: the Proposed sheet applied to Schools, and INT-05."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np

from .integration_base import EPS, RULE_VERSION, area_label, areas
from .labels import DISSIMILARITY
from .measures import NO_BAND, SchoolTable, band_indices, school_shares
from .model import BANDS, RACE_GROUPS, ProposedRow, RuleFinding, SchoolRow


@dataclass(slots=True)
class AppliedSchool:
    """A school after the proposed change; ``change`` is unchanged/changed/opened/closed."""

    school_id: str
    school_name: str
    grade_low: str | None
    grade_high: str | None
    title_i: bool | None
    assignment_method: str | None
    enrollment_total: int
    hispanic: int
    american_indian: int
    asian: int
    black: int
    pacific_islander: int
    white: int
    two_or_more: int
    econ_disadvantaged: int
    change: str


_COUNT_FIELDS = ("enrollment_total", *RACE_GROUPS, "econ_disadvantaged")
# A row's nine counts, in AppliedSchool's field order.
_counts_of: Callable[[Any], tuple[int, int, int, int, int, int, int, int, int]] = attrgetter(*_COUNT_FIELDS)
_numbers_of = attrgetter(*RACE_GROUPS, "enrollment_total", "econ_disadvantaged")


def apply_proposed(schools: Sequence[SchoolRow], proposed: Sequence[ProposedRow]) -> list[AppliedSchool]:
    """Schools after the change: an absent school is unchanged, a new id opens, enrollment 0 closes.

    Blank (None) name, grades, Title I flag and method keep the current value. Current schools
    come first in their order, then opened schools in Proposed order. A new school without
    grades has no band: it counts in the district measures only.
    """
    by_id = {p.school_id: p for p in proposed}  # duplicates are a DATA problem; last one wins
    out: list[AppliedSchool] = []
    for s in schools:
        p = by_id.get(s.school_id)
        if p is None:
            out.append(AppliedSchool(
                s.school_id, s.school_name, s.grade_low, s.grade_high, s.title_i, s.assignment_method,
                *_counts_of(s), "unchanged",
            ))
            continue
        out.append(AppliedSchool(
            s.school_id,
            p.school_name or s.school_name,
            p.grade_low or s.grade_low,
            p.grade_high or s.grade_high,
            s.title_i if p.title_i is None else p.title_i,
            p.assignment_method or s.assignment_method,
            *_counts_of(p),
            "closed" if p.enrollment_total == 0 else "changed",
        ))
    current = {s.school_id for s in schools}
    for p in by_id.values():
        if p.school_id in current:
            continue
        out.append(AppliedSchool(
            p.school_id, p.school_name or p.school_id, p.grade_low, p.grade_high, p.title_i,
            p.assignment_method, *_counts_of(p),
            "closed" if p.enrollment_total == 0 else "opened",
        ))
    return out


def proposed_table(
    current: SchoolTable, schools: Sequence[SchoolRow], proposed: Sequence[ProposedRow]
) -> tuple[SchoolTable, list[str]]:
    """The table after the change, and each school's change; the same result as
    ``school_table(apply_proposed(schools, proposed))`` but touching only the Proposed rows,
    so a 10,000-school district with a small rezoning does not rebuild 10,000 objects.
    """
    by_id = {p.school_id: p for p in proposed}
    position = dict(zip(current.school_ids, range(len(current))))
    changed = [p for p in by_id.values() if p.school_id in position]
    opened = [p for p in by_id.values() if p.school_id not in position]
    n, k = len(current), len(opened)
    counts = np.vstack((current.counts, np.zeros((k, current.counts.shape[1]))))
    enrollment = np.concatenate((current.enrollment, np.zeros(k)))
    ed = np.concatenate((current.ed, np.zeros(k)))
    band = np.concatenate((current.band, np.full(k, NO_BAND, dtype=current.band.dtype)))
    changes = ["unchanged"] * n + [""] * k

    rows = [position[p.school_id] for p in changed] + list(range(n, n + k))
    listed = changed + opened
    if listed:
        idx = np.array(rows, dtype=np.int64)
        numbers = np.array(list(map(_numbers_of, listed)), dtype=np.float64).reshape(len(listed), -1)
        counts[idx], enrollment[idx], ed[idx] = numbers[:, :-2], numbers[:, -2], numbers[:, -1]
        before = [schools[i] for i in rows[: len(changed)]]
        band[idx] = band_indices(
            [p.grade_low or s.grade_low for p, s in zip(changed, before)] + [p.grade_low for p in opened],
            [p.grade_high or s.grade_high for p, s in zip(changed, before)] + [p.grade_high for p in opened],
            len(listed),
        )
        for i, p in zip(rows, listed):
            changes[i] = "closed" if p.enrollment_total == 0 else ("changed" if i < n else "opened")
    table = SchoolTable(current.school_ids + [p.school_id for p in opened], counts, enrollment, ed, band)
    return table, changes


def proposed_schools(table: SchoolTable, changes: list[str]) -> list[dict[str, Any]]:
    """The "schools" list of the proposed measures: only the schools the change touches.

    evaluate-cli.md gives "proposed" the shape of "district" and "bands"; listing each school
    the change opens, closes or changes (with its "change") tells a reader where it acts without
    repeating 10,000 unchanged entries that equal the current ones.
    """
    fresh = np.array([i for i, c in enumerate(changes) if c != "unchanged"], dtype=np.int64)
    out = school_shares(table, fresh)
    for i, entry in zip(fresh.tolist(), out):
        entry["change"] = changes[i]
    return out



def flag_counts(table: SchoolTable, flags: np.ndarray) -> dict[str | None, int]:
    counts: dict[str | None, int] = {None: int(flags.sum())}
    per_band = np.bincount(table.band[flags & (table.band != NO_BAND)], minlength=len(BANDS))
    counts.update({b: int(c) for b, c in zip(BANDS, per_band.tolist())})
    return counts


def proposal_findings(
    current: dict[str, Any], proposed: dict[str, Any],
    current_flags: dict[str | None, int], proposed_flags: dict[str | None, int], p05: dict,
) -> list[RuleFinding]:
    if not p05["enabled"]:
        return []
    tol = p05["tolerance"]
    findings: list[RuleFinding] = []
    cur_areas, new_areas = dict(areas(current)), dict(areas(proposed))
    for band in (None, *BANDS):
        scope = "district" if band is None else "band"
        for index in ("multigroup", "ed_not_ed"):
            before = cur_areas[band]["dissimilarity"][index]
            after = new_areas[band]["dissimilarity"][index]
            if before is None or after is None:
                continue  # a band that opens or closes entirely has nothing to compare
            change = after - before
            if change > tol + EPS:
                severity, verb = p05["severity"], "raises"
            elif change < -tol - EPS:
                severity, verb = "info", "lowers"
            else:
                continue
            findings.append(RuleFinding(
                rule="INT-05", severity=severity, scope=scope, band=band, rule_version=RULE_VERSION,
                message=(
                    f"The proposed change {verb} {DISSIMILARITY[index].noun.lower()} in {area_label(band)} "
                    f"from {before:.3f} to {after:.3f} (tolerance {tol:g})."
                    + (" Commendation: it advances integration." if severity == "info" else "")
                ),
                evidence={
                    "measure": index, "current": before, "proposed": after, "change": change,
                    "tolerance": tol, "commendation": severity == "info",
                },
            ))
        before_n, after_n = current_flags[band], proposed_flags[band]
        if before_n != after_n:
            raised = after_n > before_n
            findings.append(RuleFinding(
                rule="INT-05", severity=p05["severity"] if raised else "info", scope=scope, band=band,
                rule_version=RULE_VERSION,
                message=(
                    f"The proposed change {'raises' if raised else 'lowers'} the number of racially or "
                    f"economically identifiable or intensely segregated schools in {area_label(band)} "
                    f"from {before_n} to {after_n}."
                    + ("" if raised else " Commendation: it advances integration.")
                ),
                evidence={
                    "measure": "flagged_schools", "current": before_n, "proposed": after_n,
                    "change": after_n - before_n, "tolerance": 0, "commendation": not raised,
                },
            ))
    return findings

