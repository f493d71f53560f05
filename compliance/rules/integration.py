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
    band_indices,
    school_table,
    share_numerators,
    school_shares,
    table_areas,
)
from .model import BANDS, RACE_GROUPS, RuleFinding, LotteryRow, ProposedRow, SchoolRow, WorkbookData
from .ruleset import section

EPS = 1e-12
RULE_VERSION = "1"

# Columns of the (n, 9) share matrix (see measures.SHARE_KEYS).
_SOC, _ED = 0, 1
_RACE_COLS = np.arange(2, 2 + len(RACE_GROUPS))
# INT-01 and INT-02 look at students_of_color and each race group.
_RACIAL_COLS = np.concatenate(([_SOC], _RACE_COLS))
_RACIAL_KEYS = [SHARE_KEYS[c] for c in _RACIAL_COLS]
_RACIAL_KEY_ARRAY = np.array(_RACIAL_KEYS, dtype=object)

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


# ---------------------------------------------------------------------------
# INT-01, INT-02, INT-03: per-school checks, vectorized; findings built only for flagged schools.


@dataclass(slots=True)
class SchoolChecks:
    share: np.ndarray  # (n, 9) school shares, SHARE_KEYS columns (0 for unenrolled schools)
    band_share: np.ndarray  # (n, 9) the share in the school's band (NaN if no band)
    gap: np.ndarray  # (n, 8) |share - band_share| per _RACIAL_KEYS group (NaN if no band)
    int01: np.ndarray  # (n, 8) bool: deviation per _RACIAL_KEYS group
    int02: np.ndarray  # (n, 8) bool: share >= threshold per _RACIAL_KEYS group
    int03: np.ndarray  # (n,) bool
    band_row: np.ndarray  # (n,) row of band_shares for the school (the last, NaN, row if none)
    band_shares: np.ndarray  # (len(BANDS) + 1, 9) share of each band, then a NaN row

    @property
    def share_objects(self) -> np.ndarray:
        """``share`` as an object array of Python floats, made once (see _evaluate)."""
        if self._share_objects is None:
            self._share_objects = self.share.astype(object)
        return self._share_objects

    def band_share_objects(self, rows: np.ndarray, cols: np.ndarray) -> list[float]:
        """band_share[rows, cols].tolist(), as shared float objects: at most 27 distinct values."""
        if self._band_objects is None:
            self._band_objects = self.band_shares.astype(object)
        return self._band_objects[self.band_row[rows], cols].tolist()

    _share_objects: np.ndarray | None = None
    _band_objects: np.ndarray | None = None

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

    # Band totals: one (3, 9) matrix, then each school looks up its own band's row. bincount
    # adds in school order, as np.add.at did, and is several times faster.
    in_band = active & (table.band != NO_BAND)
    members, member_num = table.band[in_band], num[in_band]
    band_num = np.column_stack([
        np.bincount(members, weights=member_num[:, j], minlength=len(BANDS)) for j in range(num.shape[1])
    ])
    band_t = np.bincount(members, weights=table.enrollment[in_band], minlength=len(BANDS))
    with np.errstate(invalid="ignore", divide="ignore"):
        band_shares = band_num / band_t[:, None]  # NaN for a band with no enrolled school
    # An extra NaN row for the schools outside every band (or not enrolled): one gather.
    band_shares = np.vstack((band_shares, np.full(num.shape[1], np.nan)))
    band_row = np.where(in_band, table.band, len(BANDS))
    band_share = band_shares[band_row]

    diff = np.abs(share - band_share)
    gap = diff[:, _RACIAL_COLS]
    with np.errstate(invalid="ignore"):
        # students_of_color always; a single race group only where its band share is >= the minimum.
        eligible = np.ones((n, len(_RACIAL_COLS)), dtype=bool)
        eligible[:, 1:] = band_share[:, _RACE_COLS] >= p01["single_group_min_band_share"] - EPS
        int01 = in_band[:, None] & eligible & (gap > p01["band"] + EPS)
        int03 = in_band & (diff[:, _ED] > p03["band"] + EPS)
    int02 = active[:, None] & (share[:, _RACIAL_COLS] >= p02["threshold"] - EPS)
    return SchoolChecks(share, band_share, gap, int01, int02, int03, band_row, band_shares)


# Building the findings of the flagged schools is most of the run at 10,000 schools (about
# 16,000 findings), so every rule below works the same way: pick each finding's numbers with
# numpy, turn them into plain Python lists once (ndarray.tolist(): formatting numpy scalars
# is slow), then build messages with one %-format per finding and RuleFinding objects with
# positional arguments (recommendations: a fresh []) in a single list comprehension. The arithmetic is the same as the
# per-school reading (x * 100, abs(s - b), ...), elementwise, so the text is unchanged.

_BAND_NAMES: list[str | None] = [*BANDS, None]  # by band index; NO_BAND (-1) picks None
_AREA_LABELS: list[str] = [_area_label(b) for b in _BAND_NAMES]
_RACIAL_BITS = 1 << np.arange(len(_RACIAL_KEYS))  # a school's flagged groups as one int


# "%.1f" of x for x in [0, 1000]: the text of round(10 x) / 10, looked up rather than formatted.
_ONE_DECIMAL = np.array([f"{q // 10}.{q % 10}" for q in range(10_001)], dtype=object)


def _fmt1(x: np.ndarray) -> list[str]:
    """[f"{v:.1f}" for v in x.tolist()], exactly, without formatting a float per value.

    y = fl(10 x) is within 2e-12 of the exact 10 x for x <= 1000, so wherever y is more than
    1e-6 from a half-integer, rint(y) is the correctly rounded 10 x that "%.1f" prints; the
    rare values near a tie (and negative zero, NaN, out of range) are formatted by Python.
    """
    y = x * 10
    with np.errstate(invalid="ignore"):
        exact = (y >= 0) & (y <= 10_000) & (np.abs(y - np.floor(y) - 0.5) > 1e-6) & ~np.signbit(x)
    out = _ONE_DECIMAL[np.rint(np.where(exact, y, 0)).astype(np.int64)]
    for i in np.flatnonzero(~exact).tolist():
        out[i] = f"{x[i]:.1f}"
    return out.tolist()


def _bitmask(flags: np.ndarray) -> list[int]:
    """Each row of an (m, 8) bool matrix as an int, bit k for _RACIAL_KEYS[k]."""
    return (flags.astype(np.int64) @ _RACIAL_BITS).tolist()


def _groups_of(mask: int) -> list[str]:
    return [k for b, k in enumerate(_RACIAL_KEYS) if mask >> b & 1]


def _school_findings(
    checks: SchoolChecks, table: SchoolTable, names: Sequence[str], p01: dict, p02: dict, p03: dict
) -> list[RuleFinding]:
    """Findings for flagged schools only: INT-01, then INT-02, then INT-03, each in school order."""
    findings: list[RuleFinding] = []
    if p01["enabled"]:
        findings += _int01_findings(checks, table, names, p01)
    if p02["enabled"]:
        findings += _int02_findings(checks, table, names, p02)
    if p03["enabled"]:
        findings += _int03_findings(checks, table, names, p03)
    return findings


def _int01_findings(checks: SchoolChecks, table: SchoolTable, names: Sequence[str], p01: dict) -> list[RuleFinding]:
    """INT-01: one finding per school. The headline group is students_of_color when it deviates,
    else the single group that deviates most (the first on a tie); every deviating group is in
    evidence["deviations"], in _RACIAL_KEYS order."""
    # Every (school, group) pair outside the band, row-major: each school's pairs are contiguous.
    r, c = np.nonzero(checks.int01)
    if r.size == 0:
        return []
    cols = _RACIAL_COLS[c]
    school_sh, band_sh = checks.share[r, cols], checks.band_share[r, cols]
    diff = school_sh - band_sh
    keys = _RACIAL_KEY_ARRAY[c].tolist()
    sh_objects, bs_objects = checks.share_objects[r, cols].tolist(), checks.band_share_objects(r, cols)
    diff_objects = diff.tolist()
    deviations = [
        {"group": g, "school_share": sh, "band_share": bs, "difference": d}
        for g, sh, bs, d in zip(keys, sh_objects, bs_objects, diff_objects)
    ]
    starts = np.flatnonzero(np.diff(r, prepend=-1))  # first pair of each flagged school
    rows = r[starts]

    # The headline column of each school, then the position of its pair in `deviations`.
    flags = checks.int01[rows]
    largest = np.where(flags, checks.gap[rows], -np.inf).argmax(axis=1)
    head_col = np.where(flags[:, 0], 0, largest)
    head_of_school = np.zeros(len(table), dtype=np.int64)
    head_of_school[rows] = head_col
    heads = np.flatnonzero(c == head_of_school[r])  # exactly one pair per school
    head_sh, head_band, head_diff = school_sh[heads], band_sh[heads], diff[heads]
    head_pairs = heads.tolist()

    # " Also outside the band: ..." names the other deviating groups; few distinct sets occur.
    others = (np.array(_bitmask(flags), dtype=np.int64) & ~(1 << head_col)).tolist()
    suffix = {m: " Also outside the band: " + ", ".join(_GROUP_LABEL[g] for g in _groups_of(m)) + "."
              for m in set(others) if m}
    suffix[0] = ""

    allowed = _pts(p01["band"])  # messages are f-strings: about twice as fast as %-formatting here
    severity, band_p, min_share = p01["severity"], p01["band"], p01["single_group_min_band_share"]
    ids = table.school_ids
    bounds = starts.tolist() + [len(deviations)]
    return [
        RuleFinding(
            "INT-01", severity, "school",
            f"{names[i]} ({ids[i]}) is racially identifiable: {sh_text}% {_GROUP_LABEL[g]} against {bs_text}% in "
            f"{_AREA_LABELS[b]}, a difference of {d_text} points, more than the allowed ±{allowed}.{suffix[o]}",
            # The head's entry of "deviations", then the parameters (a literal: faster than {**head}).
            {"group": g, "school_share": sh, "band_share": bs, "difference": d,
             "band": band_p, "single_group_min_band_share": min_share, "deviations": deviations[lo:hi]},
            ids[i], _BAND_NAMES[b], RULE_VERSION, [],
        )
        for i, b, g, lo, hi, sh, bs, d, sh_text, bs_text, d_text, o in zip(
            rows.tolist(), table.band[rows].tolist(), _RACIAL_KEY_ARRAY[head_col].tolist(), bounds, bounds[1:],
            *([values[h] for h in head_pairs] for values in (sh_objects, bs_objects, diff_objects)),
            _fmt1(head_sh * 100), _fmt1(head_band * 100), _fmt1(np.abs(head_diff) * 100), others,
        )
    ]


def _int02_findings(checks: SchoolChecks, table: SchoolTable, names: Sequence[str], p02: dict) -> list[RuleFinding]:
    """INT-02: one finding per school; the headline is the largest single race group at or above
    the threshold (the first on a tie), else students_of_color."""
    rows = np.flatnonzero(checks.int02.any(axis=1))
    if rows.size == 0:
        return []
    flags = checks.int02[rows]
    share = checks.share[rows][:, _RACIAL_COLS]
    race_flags = flags[:, 1:]
    largest = np.where(race_flags, share[:, 1:], -np.inf).argmax(axis=1) + 1
    head = np.where(race_flags.any(axis=1), largest, 0)
    head_sh = share[np.arange(rows.size), head]
    masks = _bitmask(flags)
    groups = {m: _groups_of(m) for m in set(masks)}  # copied per finding below: no shared lists

    at_or_above = _pct(p02["threshold"])
    severity, threshold = p02["severity"], p02["threshold"]
    ids = table.school_ids
    return [
        RuleFinding(
            "INT-02", severity, "school",
            f"{names[i]} ({ids[i]}) is intensely segregated: {_GROUP_LABEL[key]} are {pct}% of its enrollment, "
            f"at or above {at_or_above}.",
            {"group": key, "school_share": sh, "threshold": threshold, "groups": groups[m][:],
             "students_of_color_share": soc},
            ids[i], _BAND_NAMES[b], RULE_VERSION, [],
        )
        for i, b, key, sh, pct, soc, m in zip(
            rows.tolist(), table.band[rows].tolist(), [_RACIAL_KEYS[k] for k in head.tolist()],
            checks.share_objects[rows, _RACIAL_COLS[head]].tolist(), _fmt1(head_sh * 100),
            checks.share_objects[rows, _SOC].tolist(), masks,
        )
    ]


def _int03_findings(checks: SchoolChecks, table: SchoolTable, names: Sequence[str], p03: dict) -> list[RuleFinding]:
    """INT-03: the ED share against the band's."""
    rows = np.flatnonzero(checks.int03)
    if rows.size == 0:
        return []
    s, b = checks.share[rows, _ED], checks.band_share[rows, _ED]
    allowed = _pts(p03["band"])
    severity, band_p = p03["severity"], p03["band"]
    ids = table.school_ids
    return [
        RuleFinding(
            "INT-03", severity, "school",
            f"{names[i]} ({ids[i]}) is economically identifiable: {s100}% economically disadvantaged against "
            f"{b100}% in {_AREA_LABELS[bi]}, a difference of {d100} points, more than the allowed ±{allowed}.",
            {"group": "ed", "school_share": si, "band_share": bsi, "difference": d, "band": band_p},
            ids[i], _BAND_NAMES[bi], RULE_VERSION, [],
        )
        for i, bi, si, bsi, d, s100, b100, d100 in zip(
            rows.tolist(), table.band[rows].tolist(), checks.share_objects[rows, _ED].tolist(),
            checks.band_share_objects(rows, _ED), (s - b).tolist(),
            _fmt1(s * 100), _fmt1(b * 100), _fmt1(np.abs(s - b) * 100),
        )
    ]


# ---------------------------------------------------------------------------
# INT-04: evenness of the district and of each band.


def _areas(measures: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]]:
    return [(None, measures["district"])] + [(b, measures["bands"][b]) for b in BANDS]


def evenness_findings(measures: dict[str, Any], p04: dict) -> list[RuleFinding]:
    if not p04["enabled"]:
        return []
    findings: list[RuleFinding] = []
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
            findings.append(RuleFinding(
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
) -> list[RuleFinding]:
    if not p05["enabled"]:
        return []
    tol = p05["tolerance"]
    findings: list[RuleFinding] = []
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
            findings.append(RuleFinding(
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
            findings.append(RuleFinding(
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
) -> list[RuleFinding]:
    if not p06["enabled"]:
        return []
    tol = p06["tolerance"]
    findings: list[RuleFinding] = []
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
                findings.append(RuleFinding(
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
            findings.append(RuleFinding(
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


def evaluate_integration(wb: WorkbookData, params: dict | None = None) -> tuple[dict[str, Any], list[RuleFinding]]:
    """Integration measures and INT-01..INT-06 findings of a workbook.

    The measures are {"district", "bands", "schools"} (measures.integration_measures), plus
    "proposed" of the same shape when the workbook has a Proposed sheet (its "schools" entries
    carry "change": unchanged/changed/opened/closed). INT-01..04 judge the current
    assignment; the proposed one is judged only through INT-05.
    """
    with _gc_paused():
        return _evaluate(wb, params)


def _evaluate(wb: WorkbookData, params: dict | None) -> tuple[dict[str, Any], list[RuleFinding]]:
    p01, p02, p03 = section(params, "INT-01"), section(params, "INT-02"), section(params, "INT-03")
    p04, p05, p06 = section(params, "INT-04"), section(params, "INT-05"), section(params, "INT-06")

    table = school_table(wb.schools)
    checks = school_checks(table, p01, p02, p03)
    measures = table_areas(table)
    # The per-school entries and the findings' evidence hold the same Python float objects:
    # fewer objects to make, and to free.
    measures["schools"] = school_shares(table, shares=checks.share_objects)
    names = [s.school_name for s in wb.schools]
    findings = _school_findings(checks, table, names, p01, p02, p03)
    findings += evenness_findings(measures, p04)

    if wb.proposed is not None:
        new_table, changes = proposed_table(table, wb.schools, wb.proposed)
        proposed = table_areas(new_table)
        proposed["schools"] = proposed_schools(new_table, changes)
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
        wanted = {lot.school_id for lot in wb.lottery}
        found = [i for i, sid in enumerate(table.school_ids) if sid in wanted]
        bands = {table.school_ids[i]: _BAND_NAMES[b] for i, b in zip(found, table.band[found].tolist())}
        findings += lottery_findings(wb.lottery, p06, bands, {table.school_ids[i]: names[i] for i in found})
    return measures, findings
