"""The integration rules INT-01..INT-06 (rules.md, "Integration"), on top of measures.py.

Boundaries, as the spec reads them:
- "differs by more than the band" (INT-01, INT-03) is strictly greater: a difference of
  exactly the band passes;
- ">= 90%" (INT-02) and ">= 0.3" / ">= 0.6" (INT-04) are inclusive;
- INT-05 and INT-06 tolerances are inclusive: a change of exactly the tolerance passes.
Every comparison allows EPS of float error, so a hand-worked case sitting exactly on a
threshold (0.55 - 0.40 is 0.15000000000000002 in binary) behaves as written.

Other readings where the spec is silent:
- a school is compared with its band's share *including itself* (the whole band's enrolled
  schools); schools with enrollment 0 are neither checked nor counted;
- INT-01 gives one finding per school: the headline is students_of_color when it deviates,
  else the single race group that deviates most; evidence["deviations"] lists every group;
- INT-02 gives one finding per school; the headline is the largest single race group at or
  above the threshold (white included), else students_of_color;
- INT-04 and INT-05 skip a measure that is undefined (None) on either side;
- INT-05 counts distinct schools flagged by any *enabled* rule of INT-01/02/03;
- INT-06's ED-share check needs at least one admitted student; both checks can fire on one row.

No Django here: pure Python + numpy.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Iterator, Sequence

import numpy as np

from .measures import (
    NO_BAND,
    SHARE_KEYS,
    SchoolTable,
    band_index,
    school_table,
    share_numerators,
    table_measures,
)
from .model import BANDS, RACE_GROUPS, Finding, LotteryRow, ProposedRow, SchoolRow, WorkbookData
from .ruleset import section

EPS = 1e-12
RULE_VERSION = "1"

# Columns of the (n, 9) share matrix (see measures.SHARE_KEYS).
_SOC, _ED = 0, 1
_RACE_COLS = np.arange(2, 2 + len(RACE_GROUPS))
# INT-01 and INT-02 look at students_of_color and each race group.
_RACIAL_COLS = np.concatenate(([_SOC], _RACE_COLS))
_RACIAL_KEYS = [SHARE_KEYS[c] for c in _RACIAL_COLS]

_GROUP_LABEL = {
    "students_of_color": "students of color",
    "ed": "economically disadvantaged students",
    "hispanic": "Hispanic students",
    "american_indian": "American Indian students",
    "asian": "Asian students",
    "black": "Black students",
    "pacific_islander": "Pacific Islander students",
    "white": "white students",
    "two_or_more": "students of two or more races",
}
_INDEX_LABEL = {
    "multigroup": "Multigroup dissimilarity (all race groups)",
    "black_white": "Black-white dissimilarity",
    "hispanic_white": "Hispanic-white dissimilarity",
    "students_of_color_white": "Students of color-white dissimilarity",
    "ed_not_ed": "Economically disadvantaged vs. not dissimilarity",
}


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def _pts(x: float) -> str:
    return f"{x * 100:.1f} points"


def _area_label(band: str | None) -> str:
    return "the district" if band is None else f"the district's {band} schools"


# ---------------------------------------------------------------------------
# Applying the Proposed sheet to Schools.


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
_counts_of = attrgetter(*_COUNT_FIELDS)


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
                *_counts_of(s), change="unchanged",
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
            change="closed" if p.enrollment_total == 0 else "changed",
        ))
    current = {s.school_id for s in schools}
    for p in by_id.values():
        if p.school_id in current:
            continue
        out.append(AppliedSchool(
            p.school_id, p.school_name or p.school_id, p.grade_low, p.grade_high, p.title_i,
            p.assignment_method, *_counts_of(p),
            change="closed" if p.enrollment_total == 0 else "opened",
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
    position = {sid: i for i, sid in enumerate(current.school_ids)}
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
        counts[idx] = np.array([[getattr(p, g) for g in RACE_GROUPS] for p in listed], dtype=np.float64)
        enrollment[idx] = [p.enrollment_total for p in listed]
        ed[idx] = [p.econ_disadvantaged for p in listed]
        band[idx] = [
            band_index(p.grade_low or s.grade_low, p.grade_high or s.grade_high)
            for p, s in zip(changed, (schools[position[p.school_id]] for p in changed))
        ] + [band_index(p.grade_low, p.grade_high) for p in opened]
        for i, p in zip(rows, listed):
            changes[i] = "closed" if p.enrollment_total == 0 else ("changed" if i < n else "opened")
    table = SchoolTable(current.school_ids + [p.school_id for p in opened], counts, enrollment, ed, band)
    return table, changes


# ---------------------------------------------------------------------------
# INT-01, INT-02, INT-03: per-school checks, vectorized; findings built only for flagged schools.


@dataclass(slots=True)
class SchoolChecks:
    share: np.ndarray  # (n, 9) school shares, SHARE_KEYS columns (0 for unenrolled schools)
    band_share: np.ndarray  # (n, 9) the share in the school's band (NaN if no band)
    int01: np.ndarray  # (n, 8) bool: deviation per _RACIAL_KEYS group
    int02: np.ndarray  # (n, 8) bool: share >= threshold per _RACIAL_KEYS group
    int03: np.ndarray  # (n,) bool

    def flagged(self, p01: dict, p02: dict, p03: dict) -> np.ndarray:
        """Schools flagged by any enabled rule of INT-01/02/03 (for INT-05's counts)."""
        n = self.int03.shape[0]
        flags = np.zeros(n, dtype=bool)
        if p01["enabled"]:
            flags |= self.int01.any(axis=1)
        if p02["enabled"]:
            flags |= self.int02.any(axis=1)
        if p03["enabled"]:
            flags |= self.int03
        return flags


def school_checks(table: SchoolTable, p01: dict, p02: dict, p03: dict) -> SchoolChecks:
    n = len(table)
    active = table.active
    num = share_numerators(table.counts, table.enrollment, table.ed)
    share = np.divide(num, table.enrollment[:, None], out=np.zeros_like(num), where=active[:, None])

    # Band totals: one (3, 9) matrix, then each school looks up its own band's row.
    in_band = active & (table.band != NO_BAND)
    band_num = np.zeros((len(BANDS), num.shape[1]))
    np.add.at(band_num, table.band[in_band], num[in_band])
    band_t = np.bincount(table.band[in_band], weights=table.enrollment[in_band], minlength=len(BANDS))
    with np.errstate(invalid="ignore", divide="ignore"):
        band_shares = band_num / band_t[:, None]  # NaN for a band with no enrolled school
    band_share = np.full_like(share, np.nan)
    band_share[in_band] = band_shares[table.band[in_band]]

    diff = np.abs(share - band_share)
    with np.errstate(invalid="ignore"):
        # students_of_color always; a single race group only where its band share is >= the minimum.
        eligible = np.ones((n, len(_RACIAL_COLS)), dtype=bool)
        eligible[:, 1:] = band_share[:, _RACE_COLS] >= p01["single_group_min_band_share"] - EPS
        int01 = in_band[:, None] & eligible & (diff[:, _RACIAL_COLS] > p01["band"] + EPS)
        int03 = in_band & (diff[:, _ED] > p03["band"] + EPS)
    int02 = active[:, None] & (share[:, _RACIAL_COLS] >= p02["threshold"] - EPS)
    return SchoolChecks(share, band_share, int01, int02, int03)


def _school_findings(
    checks: SchoolChecks, table: SchoolTable, names: Sequence[str], p01: dict, p02: dict, p03: dict
) -> list[Finding]:
    """Findings for flagged schools only; numpy rows are turned into lists once (no per-cell indexing)."""
    findings: list[Finding] = []
    ids = table.school_ids
    band_of = table.band.tolist()

    def label(i: int) -> str:
        return f"{names[i]} ({ids[i]})"

    def band_name(i: int) -> str | None:
        return BANDS[band_of[i]] if band_of[i] != NO_BAND else None

    if p01["enabled"]:
        # (school, group) pairs outside the band, row-major so each school's pairs are contiguous.
        r, c = np.nonzero(checks.int01)
        share_cols = _RACIAL_COLS[c]
        school_sh = checks.share[r, share_cols]
        band_sh = checks.band_share[r, share_cols]
        pairs = list(zip(
            [_RACIAL_KEYS[k] for k in c.tolist()], school_sh.tolist(), band_sh.tolist(), (school_sh - band_sh).tolist()
        ))
        starts = np.flatnonzero(np.diff(r, prepend=-1)).tolist() + [len(pairs)]
        rows = r.tolist()
        allowed = _pts(p01["band"])
        also: dict[tuple[str, ...], str] = {}  # message suffix per set of other groups (few distinct sets)
        for lo, hi in zip(starts, starts[1:]):
            i = rows[lo]
            deviations = [
                {"group": g, "school_share": sh, "band_share": bs, "difference": d} for g, sh, bs, d in pairs[lo:hi]
            ]
            # One finding per school: the headline group is students_of_color when it deviates,
            # else the single group that deviates most; every deviating group is in the evidence.
            head = deviations[0]
            if head["group"] != "students_of_color" and hi - lo > 1:
                head = max(deviations, key=lambda d: abs(d["difference"]))
            band = band_name(i)
            msg = (
                f"{label(i)} is racially identifiable: {head['school_share'] * 100:.1f}% "
                f"{_GROUP_LABEL[head['group']]} against {head['band_share'] * 100:.1f}% in {_area_label(band)}, "
                f"a difference of {abs(head['difference']) * 100:.1f} points, more than the allowed ±{allowed}."
            )
            if hi - lo > 1:
                others = tuple(d["group"] for d in deviations if d is not head)
                suffix = also.get(others)
                if suffix is None:
                    suffix = also[others] = " Also outside the band: " + ", ".join(_GROUP_LABEL[g] for g in others) + "."
                msg += suffix
            findings.append(Finding(
                rule="INT-01", severity=p01["severity"], scope="school", school_id=ids[i],
                band=band, message=msg, rule_version=RULE_VERSION,
                evidence={
                    **head,
                    "band": p01["band"],
                    "single_group_min_band_share": p01["single_group_min_band_share"],
                    "deviations": deviations,
                },
            ))

    if p02["enabled"]:
        rows = np.flatnonzero(checks.int02.any(axis=1))
        flags = checks.int02[rows].tolist()
        shares = checks.share[rows][:, _RACIAL_COLS].tolist()
        at_least = _pct(p02["threshold"])
        for i, flag, share in zip(rows.tolist(), flags, shares):
            cols = [c for c in range(len(flag)) if flag[c]]
            # Headline: a single race group at or above the threshold if there is one, else students of color.
            race_cols = cols[1:] if cols[0] == 0 else cols
            c = max(race_cols, key=share.__getitem__) if race_cols else 0
            findings.append(Finding(
                rule="INT-02", severity=p02["severity"], scope="school", school_id=ids[i],
                band=band_name(i), rule_version=RULE_VERSION,
                message=(
                    f"{label(i)} is intensely segregated: {_GROUP_LABEL[_RACIAL_KEYS[c]]} are "
                    f"{share[c] * 100:.1f}% of its enrollment, at or above {at_least}."
                ),
                evidence={
                    "group": _RACIAL_KEYS[c],
                    "school_share": share[c],
                    "threshold": p02["threshold"],
                    "groups": [_RACIAL_KEYS[k] for k in cols],
                    "students_of_color_share": share[0],
                },
            ))

    if p03["enabled"]:
        rows = np.flatnonzero(checks.int03)
        shares = checks.share[rows, _ED].tolist()
        band_shares = checks.band_share[rows, _ED].tolist()
        allowed = _pts(p03["band"])
        for i, s, b in zip(rows.tolist(), shares, band_shares):
            band = band_name(i)
            findings.append(Finding(
                rule="INT-03", severity=p03["severity"], scope="school", school_id=ids[i],
                band=band, rule_version=RULE_VERSION,
                message=(
                    f"{label(i)} is economically identifiable: {s * 100:.1f}% economically disadvantaged "
                    f"against {b * 100:.1f}% in {_area_label(band)}, a difference of {abs(s - b) * 100:.1f} "
                    f"points, more than the allowed ±{allowed}."
                ),
                evidence={"group": "ed", "school_share": s, "band_share": b, "difference": s - b, "band": p03["band"]},
            ))
    return findings


# ---------------------------------------------------------------------------
# INT-04: evenness of the district and of each band.


def _areas(measures: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    return [(None, measures["district"])] + [(b, measures["bands"][b]) for b in BANDS]


def evenness_findings(measures: dict[str, Any], p04: dict) -> list[Finding]:
    if not p04["enabled"]:
        return []
    findings: list[Finding] = []
    for band, area in _areas(measures):
        for index, value in area["dissimilarity"].items():
            if value is None:
                continue
            if value >= p04["finding_at"] - EPS:
                severity, level, threshold = "finding", "high", p04["finding_at"]
            elif value >= p04["warning_at"] - EPS:
                severity, level, threshold = "warning", "moderate", p04["warning_at"]
            else:
                continue
            findings.append(Finding(
                rule="INT-04", severity=severity, scope="district" if band is None else "band", band=band,
                rule_version=RULE_VERSION,
                message=(
                    f"{_INDEX_LABEL[index]} in {_area_label(band)} is {value:.3f}, at or above "
                    f"{threshold:g}: {level} segregation."
                ),
                evidence={
                    "index": index, "value": value, "level": level, "threshold": threshold,
                    "warning_at": p04["warning_at"], "finding_at": p04["finding_at"],
                    "schools": area["schools"],
                },
            ))
    return findings


# ---------------------------------------------------------------------------
# INT-05: the proposed change against the current assignment.


def _flag_counts(table: SchoolTable, flags: np.ndarray) -> dict[str | None, int]:
    counts: dict[str | None, int] = {None: int(flags.sum())}
    per_band = np.bincount(table.band[flags & (table.band != NO_BAND)], minlength=len(BANDS))
    counts.update({b: int(c) for b, c in zip(BANDS, per_band.tolist())})
    return counts


def proposal_findings(
    current: dict[str, Any], proposed: dict[str, Any],
    current_flags: dict[str | None, int], proposed_flags: dict[str | None, int], p05: dict,
) -> list[Finding]:
    if not p05["enabled"]:
        return []
    tol = p05["tolerance"]
    findings: list[Finding] = []
    cur_areas, new_areas = dict(_areas(current)), dict(_areas(proposed))
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
            findings.append(Finding(
                rule="INT-05", severity=severity, scope=scope, band=band, rule_version=RULE_VERSION,
                message=(
                    f"The proposed change {verb} {_INDEX_LABEL[index].lower()} in {_area_label(band)} "
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
            findings.append(Finding(
                rule="INT-05", severity=p05["severity"] if raised else "info", scope=scope, band=band,
                rule_version=RULE_VERSION,
                message=(
                    f"The proposed change {'raises' if raised else 'lowers'} the number of racially or "
                    f"economically identifiable or intensely segregated schools in {_area_label(band)} "
                    f"from {before_n} to {after_n}."
                    + ("" if raised else " Commendation: it advances integration.")
                ),
                evidence={
                    "measure": "flagged_schools", "current": before_n, "proposed": after_n,
                    "change": after_n - before_n, "tolerance": 0, "commendation": not raised,
                },
            ))
    return findings


# ---------------------------------------------------------------------------
# INT-06: socioeconomic two-pool lotteries.


def lottery_findings(
    lottery: Sequence[LotteryRow], p06: dict, bands: dict[str, str], names: dict[str, str]
) -> list[Finding]:
    if not p06["enabled"]:
        return []
    tol = p06["tolerance"]
    findings: list[Finding] = []
    for lot in lottery:
        label = f"{names.get(lot.school_id, lot.school_id)} ({lot.school_id})"
        band = bands.get(lot.school_id)
        target = lot.target_ed_share
        admitted = lot.admitted_ed + lot.admitted_non_ed
        base = {
            "seats": lot.seats, "applicants_ed": lot.applicants_ed, "applicants_non_ed": lot.applicants_non_ed,
            "admitted_ed": lot.admitted_ed, "admitted_non_ed": lot.admitted_non_ed, "target_ed_share": target,
        }
        # The target binds only when both pools could fill their share of the seats.
        both_pools_enough = (
            lot.applicants_ed >= target * lot.seats - EPS
            and lot.applicants_non_ed >= (1.0 - target) * lot.seats - EPS
        )
        if both_pools_enough and admitted > 0:
            share = lot.admitted_ed / admitted
            if abs(share - target) > tol + EPS:
                findings.append(Finding(
                    rule="INT-06", severity=p06["severity"], scope="lottery", school_id=lot.school_id,
                    band=band, rule_version=RULE_VERSION,
                    message=(
                        f"The lottery at {label} admitted {_pct(share)} economically disadvantaged students "
                        f"({lot.admitted_ed} of {admitted}) against a target of {_pct(target)}, off by "
                        f"{_pts(abs(share - target))}, more than the allowed ±{_pts(tol)}, although both "
                        f"pools had enough applicants."
                    ),
                    evidence={**base, "check": "ed_share", "admitted_ed_share": share,
                              "difference": share - target, "tolerance": tol},
                ))
        empty = lot.seats - admitted
        waiting_ed = lot.applicants_ed - lot.admitted_ed
        waiting_non_ed = lot.applicants_non_ed - lot.admitted_non_ed
        if empty > 0 and (waiting_ed > 0 or waiting_non_ed > 0):
            findings.append(Finding(
                rule="INT-06", severity=p06["severity"], scope="lottery", school_id=lot.school_id,
                band=band, rule_version=RULE_VERSION,
                message=(
                    f"The lottery at {label} left {empty} of {lot.seats} seats empty while "
                    f"{waiting_ed} economically disadvantaged and {waiting_non_ed} other applicants "
                    f"were not admitted."
                ),
                evidence={**base, "check": "empty_seats", "empty_seats": empty,
                          "unadmitted_ed": waiting_ed, "unadmitted_non_ed": waiting_non_ed, "max_empty_seats": 0},
            ))
    return findings


# ---------------------------------------------------------------------------


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while tens of thousands of findings are built.

    Those allocations create no reference cycles, yet they trigger repeated full collections
    that walk every live object (10,000 school rows and their measures): about 40% of the run
    at 10,000 schools. The collector is restored on the way out, even on an exception, and
    left alone if something else had already turned it off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def evaluate_integration(wb: WorkbookData, params: dict | None = None) -> tuple[dict[str, Any], list[Finding]]:
    """Integration measures and INT-01..INT-06 findings of a workbook.

    The measures are {"district", "bands", "schools"} (measures.integration_measures), plus
    "proposed" of the same shape when the workbook has a Proposed sheet (its "schools" entries
    carry "change": unchanged/changed/opened/closed). INT-01..04 judge the current
    assignment; the proposed one is judged only through INT-05.
    """
    with _gc_paused():
        return _evaluate(wb, params)


def _evaluate(wb: WorkbookData, params: dict | None) -> tuple[dict[str, Any], list[Finding]]:
    p01, p02, p03 = section(params, "INT-01"), section(params, "INT-02"), section(params, "INT-03")
    p04, p05, p06 = section(params, "INT-04"), section(params, "INT-05"), section(params, "INT-06")

    table = school_table(wb.schools)
    measures = table_measures(table)
    checks = school_checks(table, p01, p02, p03)
    findings = _school_findings(checks, table, [s.school_name for s in wb.schools], p01, p02, p03)
    findings += evenness_findings(measures, p04)

    if wb.proposed is not None:
        new_table, changes = proposed_table(table, wb.schools, wb.proposed)
        proposed = table_measures(new_table)
        for entry, change in zip(proposed["schools"], changes):
            entry["change"] = change
        measures["proposed"] = proposed
        if p05["enabled"]:
            new_checks = school_checks(new_table, p01, p02, p03)
            findings += proposal_findings(
                measures, proposed,
                _flag_counts(table, checks.flagged(p01, p02, p03)),
                _flag_counts(new_table, new_checks.flagged(p01, p02, p03)),
                p05,
            )

    if wb.lottery:
        bands = {s["school_id"]: s["band"] for s in measures["schools"]}
        names = {s.school_id: s.school_name for s in wb.schools}
        findings += lottery_findings(wb.lottery, p06, bands, names)
    return measures, findings
