"""INT-01, INT-02, INT-03: the per-school checks, vectorized, and the findings of flagged schools."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat

import numpy as np

from .integration_base import AREA_LABELS, BAND_NAMES, EPS, RULE_VERSION, pct, pts
from .labels import group_noun
from .measures import NO_BAND, SHARE_KEYS, SchoolTable, share_numerators
from .model import BANDS, RACE_GROUPS, RuleFinding

# Columns of the (n, 9) share matrix (see measures.SHARE_KEYS).
_SOC, _ED = 0, 1
_RACE_COLS = np.arange(2, 2 + len(RACE_GROUPS))
# INT-01 and INT-02 look at students_of_color and each race group.
_RACIAL_COLS = np.concatenate(([_SOC], _RACE_COLS))
_RACIAL_KEYS = [SHARE_KEYS[c] for c in _RACIAL_COLS]
_RACIAL_KEY_ARRAY = np.array(_RACIAL_KEYS, dtype=object)


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

    def band_share_objects(self, rows: np.ndarray, cols: np.ndarray | int) -> list[float]:
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

_RACIAL_BITS = 1 << np.arange(len(_RACIAL_KEYS))  # a school's flagged groups as one int


# "%.1f" of x for x in [0, 1000]: the text of round(10 x) / 10, looked up rather than formatted.
_ONE_DECIMAL = np.array([f"{q // 10}.{q % 10}" for q in range(10_001)], dtype=object)


def fmt1(x: np.ndarray) -> list[str]:
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


def school_findings(
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
    suffix = {m: " Also outside the band: " + ", ".join(group_noun(g) for g in _groups_of(m)) + "."
              for m in set(others) if m}
    suffix[0] = ""

    # The head's entry of "deviations" comes first, then the parameters and every deviation.
    bounds = starts.tolist() + [len(deviations)]
    min_share = p01["single_group_min_band_share"]
    extra = [{"single_group_min_band_share": min_share, "deviations": deviations[lo:hi]}
             for lo, hi in zip(bounds, bounds[1:])]
    groups = _RACIAL_KEY_ARRAY[head_col].tolist()
    return _band_findings(
        "INT-01", "racially identifiable", p01, table, names, rows, groups, [group_noun(g) for g in groups],
        [sh_objects[h] for h in head_pairs], [bs_objects[h] for h in head_pairs],
        [diff_objects[h] for h in head_pairs], (head_sh, head_band, head_diff), extra, [suffix[o] for o in others],
    )


def _band_findings(
    code: str, verb: str, p: dict, table: SchoolTable, names: Sequence[str], rows: np.ndarray,
    groups: Iterable[str], words: Iterable[str], school_share: list[float], band_share: list[float],
    difference: list[float], arrays: tuple[np.ndarray, np.ndarray, np.ndarray],
    extra: Iterable[dict], suffixes: Iterable[str],
) -> list[RuleFinding]:
    """INT-01 and INT-03: a school's share against its band's, one finding per flagged row.

    ``arrays`` are the same school share, band share and difference as numpy arrays, for the
    message text; ``extra`` is each finding's evidence after the band (INT-01's cut-off and
    deviations). The messages are f-strings: about twice as fast as %-formatting here.
    """
    allowed = pts(p["band"])
    severity, band_p = p["severity"], p["band"]
    ids = table.school_ids
    sh_a, bs_a, d_a = arrays
    return [
        RuleFinding(
            code, severity, "school",
            f"{names[i]} ({ids[i]}) is {verb}: {sh_text}% {w} against {bs_text}% in "
            f"{AREA_LABELS[b]}, a difference of {d_text} points, more than the allowed ±{allowed}.{sfx}",
            {"group": g, "school_share": sh, "band_share": bs, "difference": d, "band": band_p, **x},
            ids[i], BAND_NAMES[b], RULE_VERSION, [],
        )
        for i, b, g, w, sh, bs, d, sh_text, bs_text, d_text, x, sfx in zip(
            rows.tolist(), table.band[rows].tolist(), groups, words, school_share, band_share, difference,
            fmt1(sh_a * 100), fmt1(bs_a * 100), fmt1(np.abs(d_a) * 100), extra, suffixes,
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

    at_or_above = pct(p02["threshold"])
    severity, threshold = p02["severity"], p02["threshold"]
    ids = table.school_ids
    return [
        RuleFinding(
            "INT-02", severity, "school",
            f"{names[i]} ({ids[i]}) is intensely segregated: {group_noun(key)} are {pct}% of its enrollment, "
            f"at or above {at_or_above}.",
            {"group": key, "school_share": sh, "threshold": threshold, "groups": groups[m][:],
             "students_of_color_share": soc},
            ids[i], BAND_NAMES[b], RULE_VERSION, [],
        )
        for i, b, key, sh, pct, soc, m in zip(
            rows.tolist(), table.band[rows].tolist(), [_RACIAL_KEYS[k] for k in head.tolist()],
            checks.share_objects[rows, _RACIAL_COLS[head]].tolist(), fmt1(head_sh * 100),
            checks.share_objects[rows, _SOC].tolist(), masks,
        )
    ]


def _int03_findings(checks: SchoolChecks, table: SchoolTable, names: Sequence[str], p03: dict) -> list[RuleFinding]:
    """INT-03: the ED share against the band's."""
    rows = np.flatnonzero(checks.int03)
    if rows.size == 0:
        return []
    s, b = checks.share[rows, _ED], checks.band_share[rows, _ED]
    n = rows.size
    return _band_findings(
        "INT-03", "economically identifiable", p03, table, names, rows, repeat("ed", n),
        repeat("economically disadvantaged", n), checks.share_objects[rows, _ED].tolist(),
        checks.band_share_objects(rows, _ED), (s - b).tolist(), (s, b, s - b), repeat({}, n), repeat("", n),
    )
