"""Integration measures (measures.md, "Evenness and exposure"), vectorized with numpy.

The school rows are turned once into a columnar :class:`SchoolTable` (an n x 7 count
matrix plus enrollment, ED and band-index vectors); every measure is then a handful of
array operations over a boolean mask (the whole district, or one grade band). Nothing
loops over schools in Python except building the table and the per-school JSON list.

Undefined values (a zero denominator, an absent group) are ``None``, never NaN or 0.
No Django here: this module is pure Python + numpy.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from operator import attrgetter
from typing import Any, Protocol, cast

import numpy as np

from .model import BANDS, GRADE_INDEX, GRADES, RACE_GROUPS, school_band

# Column positions in SchoolTable.counts.
_IDX = {g: i for i, g in enumerate(RACE_GROUPS)}
WHITE, BLACK, HISPANIC = _IDX["white"], _IDX["black"], _IDX["hispanic"]

# The pairs reported for dissimilarity and exposure ("a_b": a measured against b).
TWO_GROUP_PAIRS: tuple[str, ...] = ("black_white", "hispanic_white", "students_of_color_white", "ed_not_ed")
# The groups reported for isolation and normalized exposure.
FOCUS_GROUPS: tuple[str, ...] = ("black", "hispanic", "students_of_color", "ed")
# Keys of every "share" dict: the two composite groups, then the seven race groups.
SHARE_KEYS: tuple[str, ...] = ("students_of_color", "ed", *RACE_GROUPS)
# school_shares spells these keys out literally, for speed.
if SHARE_KEYS != ("students_of_color", "ed", "hispanic", "american_indian", "asian", "black",
                  "pacific_islander", "white", "two_or_more"):
    raise ImportError("RACE_GROUPS changed: update the literal keys in school_shares")

NO_BAND = -1  # band index of a school whose grades are unknown (a new Proposed school without grades)

_numbers_of = attrgetter(*RACE_GROUPS, "enrollment_total", "econ_disadvantaged")
_grade_low_of, _grade_high_of = attrgetter("grade_low"), attrgetter("grade_high")


class SchoolLike(Protocol):
    """What the table needs from a row: SchoolRow, or a Proposed row applied to Schools."""

    school_id: str
    enrollment_total: int
    econ_disadvantaged: int
    hispanic: int
    american_indian: int
    asian: int
    black: int
    pacific_islander: int
    white: int
    two_or_more: int

    # Read-only, so that a row whose grades are always known (SchoolRow: str) fits too.
    @property
    def grade_low(self) -> str | None: ...

    @property
    def grade_high(self) -> str | None: ...


@dataclass(slots=True)
class SchoolTable:
    """Columnar view of the school rows, every school kept (``active`` marks enrollment > 0)."""

    school_ids: list[str]
    counts: np.ndarray  # (n, 7) float64, columns in RACE_GROUPS order
    enrollment: np.ndarray  # (n,) float64
    ed: np.ndarray  # (n,) float64
    band: np.ndarray  # (n,) int64: index into BANDS, or NO_BAND

    @property
    def active(self) -> np.ndarray:
        """Schools that count in the measures: enrollment_total 0 is left out (measures.md)."""
        return self.enrollment > 0

    def __len__(self) -> int:
        return len(self.school_ids)


_band_cache: dict[tuple[str | None, str | None], int] = {}


def band_index(grade_low: str | None, grade_high: str | None) -> int:
    """Index into BANDS (cached: at most 14 x 14 grade pairs), NO_BAND if the grades are unknown."""
    key = (grade_low, grade_high)
    found = _band_cache.get(key)
    if found is None:
        if grade_low in GRADE_INDEX and grade_high in GRADE_INDEX:
            found = BANDS.index(school_band(grade_low, grade_high))
        else:
            found = NO_BAND
        _band_cache[key] = found
    return found


# BAND_OF[i, j]: band index of grades GRADES[i]..GRADES[j]; the extra last row and column
# stand for a missing or unknown grade (NO_BAND).
_UNKNOWN = len(GRADES)
BAND_OF = np.array(
    [[band_index(lo, hi) for hi in (*GRADES, None)] for lo in (*GRADES, None)], dtype=np.int64
)


# GRADE_INDEX.get as band_indices calls it: a missing grade (None) is simply not a key, so
# it gets the default like any unknown text.
_grade_index_or = cast("Callable[[str | None, int], int]", GRADE_INDEX.get)


def band_indices(lows: Iterable[str | None], highs: Iterable[str | None], n: int) -> np.ndarray:
    """band_index of each (grade_low, grade_high) pair, as an int64 array: one table look-up."""
    lo = np.fromiter(map(_grade_index_or, lows, repeat(_UNKNOWN)), dtype=np.int64, count=n)
    hi = np.fromiter(map(_grade_index_or, highs, repeat(_UNKNOWN)), dtype=np.int64, count=n)
    return BAND_OF[lo, hi]


def school_table(rows: Sequence[SchoolLike]) -> SchoolTable:
    n, k = len(rows), len(RACE_GROUPS)
    # One flat pass over (seven counts, enrollment, ED) of every row: the quickest way from
    # 10,000 objects to numpy; the columns are then copied out contiguous.
    flat = np.fromiter(chain.from_iterable(map(_numbers_of, rows)), dtype=np.float64, count=n * (k + 2))
    matrix = flat.reshape(n, k + 2)
    counts = np.ascontiguousarray(matrix[:, :k])
    enrollment, ed = matrix[:, k].copy(), matrix[:, k + 1].copy()
    band = band_indices(map(_grade_low_of, rows), map(_grade_high_of, rows), n)
    return SchoolTable([r.school_id for r in rows], counts, enrollment, ed, band)


# ---------------------------------------------------------------------------
# The indices, on plain arrays of the schools in one area (all with t_i > 0).


def _num(x: float) -> float | None:
    """A finite float, or None: the JSON never carries NaN or infinity."""
    x = float(x)
    return x if math.isfinite(x) else None


def two_group_dissimilarity(a: np.ndarray, b: np.ndarray) -> float | None:
    """D = 1/2 sum_i |a_i/A - b_i/B|; None if A or B is 0."""
    A, B = float(a.sum()), float(b.sum())
    if A <= 0 or B <= 0:
        return None
    return _num(0.5 * np.abs(a / A - b / B).sum())


def multigroup_dissimilarity(counts: np.ndarray, t: np.ndarray) -> float | None:
    """Reardon & Firebaugh's D over the groups present; None if fewer than two are present."""
    T = float(t.sum())
    if T <= 0:
        return None
    C = counts.sum(axis=0)
    present = C > 0
    P = C[present] / T
    interaction = float((P * (1.0 - P)).sum())
    if interaction <= 0:
        return None
    # sum_m sum_i t_i |p_im - P_m| = sum_m sum_i |c_im - t_i P_m|, computed in place.
    dev = t[:, None] * P
    np.subtract(counts if present.all() else counts[:, present], dev, out=dev)
    deviation = np.abs(dev, out=dev).sum()
    return _num(deviation / (2.0 * T * interaction))


def _entropy_terms(p: np.ndarray) -> np.ndarray:
    """p ln(1/p) elementwise, with 0 ln(1/0) = 0."""
    logs = np.log(p, out=np.zeros_like(p), where=p > 0)
    np.multiply(p, logs, out=logs)
    return np.negative(logs, out=logs)  # -(p ln p): the same bits as (-p) ln p


def theil_h(counts: np.ndarray, t: np.ndarray) -> float | None:
    """Theil's information index H; None if the area has one group only (E = 0)."""
    T = float(t.sum())
    if T <= 0:
        return None
    C = counts.sum(axis=0)
    present = C > 0
    E = float(_entropy_terms(C[present] / T).sum())
    if E <= 0:
        return None
    E_i = _entropy_terms((counts if present.all() else counts[:, present]) / t[:, None]).sum(axis=1)
    return _num((t * (E - E_i)).sum() / (T * E))


def exposure(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> float | None:
    """Exposure of a to b: sum_i (a_i/A)(b_i/t_i); isolation is exposure(a, a, t). None if A is 0."""
    A = float(a.sum())
    if A <= 0:
        return None
    return _num(((a / A) * (b / t)).sum())


def normalized_exposure(isolation: float | None, a_total: float, T: float) -> float | None:
    """Variance ratio (isolation_a - P_a) / (1 - P_a); None if undefined or everyone is in group a."""
    if isolation is None or T <= 0:
        return None
    P = a_total / T
    if P >= 1.0:
        return None
    return _num((isolation - P) / (1.0 - P))


# ---------------------------------------------------------------------------
# One area (district or band) and the whole result.


def _shares(numerators: np.ndarray, denominator: float) -> dict[str, float | None]:
    """SHARE_KEYS -> share, from a 9-vector of counts (students_of_color, ed, seven race groups)."""
    if denominator <= 0:
        return {k: None for k in SHARE_KEYS}
    return {k: float(v) for k, v in zip(SHARE_KEYS, numerators / denominator)}


def share_numerators(counts: np.ndarray, enrollment: np.ndarray, ed: np.ndarray) -> np.ndarray:
    """(n, 9) matrix of the SHARE_KEYS counts per school."""
    return np.column_stack((enrollment - counts[:, WHITE], ed, counts))


def empty_area() -> dict[str, Any]:
    """The measures of an area without enrolled schools: every index None."""
    return {
        "dissimilarity": {"multigroup": None, **{p: None for p in TWO_GROUP_PAIRS}},
        "theil_h": None,
        "isolation": {g: None for g in FOCUS_GROUPS},
        "exposure": {p: None for p in TWO_GROUP_PAIRS},
        "normalized_exposure": {g: None for g in FOCUS_GROUPS},
        "share": {k: None for k in SHARE_KEYS},
        "enrollment_total": 0,
        "schools": 0,
    }


def area_measures(counts: np.ndarray, t: np.ndarray, ed: np.ndarray) -> dict[str, Any]:
    """Every integration measure of one area, given only its enrolled schools (t > 0)."""
    T = float(t.sum())
    if t.size == 0 or T <= 0:
        return empty_area()
    white = counts[:, WHITE]
    focus = {
        "black": counts[:, BLACK],
        "hispanic": counts[:, HISPANIC],
        "students_of_color": t - white,
        "ed": ed,
    }
    # The comparison group of each pair.
    pairs = {
        "black_white": (focus["black"], white),
        "hispanic_white": (focus["hispanic"], white),
        "students_of_color_white": (focus["students_of_color"], white),
        "ed_not_ed": (ed, t - ed),
    }
    isolation = {g: exposure(a, a, t) for g, a in focus.items()}
    totals = share_numerators(counts, t, ed).sum(axis=0)
    return {
        "dissimilarity": {
            "multigroup": multigroup_dissimilarity(counts, t),
            **{p: two_group_dissimilarity(a, b) for p, (a, b) in pairs.items()},
        },
        "theil_h": theil_h(counts, t),
        "isolation": isolation,
        "exposure": {p: exposure(a, b, t) for p, (a, b) in pairs.items()},
        "normalized_exposure": {
            g: normalized_exposure(isolation[g], float(a.sum()), T) for g, a in focus.items()
        },
        "share": _shares(totals, T),
        "enrollment_total": int(round(T)),
        "schools": int(t.size),
    }


def table_areas(table: SchoolTable) -> dict[str, Any]:
    """{"district": area, "bands": {band: area}} of a table: the measures without the school list."""
    active = table.active
    result: dict[str, Any] = {
        "district": area_measures(table.counts[active], table.enrollment[active], table.ed[active]),
        "bands": {},
    }
    for b, name in enumerate(BANDS):
        m = active & (table.band == b)
        result["bands"][name] = area_measures(table.counts[m], table.enrollment[m], table.ed[m])
    return result


def table_measures(table: SchoolTable) -> dict[str, Any]:
    """District, band and per-school measures of a table (see :func:`integration_measures`)."""
    result = table_areas(table)
    result["schools"] = school_shares(table)
    return result


_BAND_NAMES = np.array([*BANDS, None], dtype=object)  # by band index; NO_BAND (-1) picks None


def school_share_matrix(table: SchoolTable) -> np.ndarray:
    """(n, 9) shares of every school, SHARE_KEYS columns; 0 for a school with no enrollment."""
    num = share_numerators(table.counts, table.enrollment, table.ed)
    return np.divide(num, table.enrollment[:, None], out=np.zeros_like(num), where=table.active[:, None])


def school_shares(
    table: SchoolTable, rows: np.ndarray | None = None, shares: np.ndarray | None = None
) -> list[dict[str, Any]]:
    """One entry per school, input order (only the given row indices, in their order, if
    ``rows`` is passed); a school with no enrollment has every share None. ``shares`` may
    pass school_share_matrix(table), as floats or as an object array of Python floats (whose
    float objects the entries then share)."""
    enrollment, band = table.enrollment, table.band
    ids: Sequence[str] = table.school_ids
    if shares is None:
        shares = school_share_matrix(table)
    if rows is not None:
        enrollment, band, shares = enrollment[rows], band[rows], shares[rows]
        ids = [ids[i] for i in rows.tolist()]
    active = enrollment > 0
    # A dict literal is about twice as fast as dict(zip(...)) at 10,000 schools; keys as SHARE_KEYS.
    # int(t) of a count is the same int as astype(int64): both truncate.
    out = [
        {
            "school_id": sid,
            "band": b,
            "enrollment_total": t,
            "share": {
                "students_of_color": soc, "ed": ed_share, "hispanic": hispanic, "american_indian": american_indian,
                "asian": asian, "black": black, "pacific_islander": pacific_islander, "white": white,
                "two_or_more": two_or_more,
            },
        }
        for sid, b, t, (soc, ed_share, hispanic, american_indian, asian, black, pacific_islander, white, two_or_more)
        in zip(ids, _BAND_NAMES[band].tolist(), enrollment.astype(np.int64).tolist(), shares.tolist())
    ]
    for i in np.flatnonzero(~active).tolist():
        out[i]["share"] = dict.fromkeys(SHARE_KEYS)
    return out


def integration_measures(rows: Sequence[SchoolLike]) -> dict[str, Any]:
    """{"district": area, "bands": {band: area}, "schools": [...]} for the given school rows.

    An area is {"dissimilarity": {"multigroup", "black_white", "hispanic_white",
    "students_of_color_white", "ed_not_ed"}, "theil_h", "isolation": {black, hispanic,
    students_of_color, ed}, "exposure": {the four pairs: exposure of the first group to the
    second}, "normalized_exposure": {black, hispanic, students_of_color, ed}, "share":
    {students_of_color, ed, seven race groups}, "enrollment_total", "schools"}. Every band is
    present; a band with no enrolled schools has None everywhere and "schools": 0.
    """
    return table_measures(school_table(rows))
