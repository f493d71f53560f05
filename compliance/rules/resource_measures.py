"""Resource-equity measures (measures.md, "Resource measures"): pure numpy, no Django.

All group measures work on :class:`ResourceArrays`, one entry per school that counts
(enrollment_total > 0 and a Budget row), held in a canonical order (sorted by school_id)
so that the order of the workbook's rows can never change a result, not even in the
last bit of a float sum. Undefined values are ``None``, never NaN or 0.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .model import BudgetRow, SchoolRow

# Cumulative pupil counts are exact integers, but p * W is not (0.05 * 60 = 3.0000000000000004):
# compare with a tolerance relative to W so that "at least p of all pupils" is exact.
_REL_TOL = 1e-9

RESOURCE_KEYS: tuple[str, ...] = (
    "schools_counted",
    "enrollment_counted",
    "ppe_mean",
    "p5",
    "p50",
    "p95",
    "cv",
    "mcloone",
    "verstegen",
    "federal_range_ratio",
    "students_per_teacher_pooled",
    "progressivity",
    "ppe_highest_poverty_quartile",
    "ppe_lowest_poverty_quartile",
    "inexperienced_gap_poverty",
    "inexperienced_gap_students_of_color",
    "out_of_field_gap_poverty",
    "out_of_field_gap_students_of_color",
)


def _num(x: Any) -> float | None:
    """A plain Python float, or None for anything undefined (None, NaN, inf)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


# --------------------------------------------------------------------------- per school


def per_pupil_expenditure(budget: BudgetRow, enrollment_total: int) -> float | None:
    """State and local dollars per pupil; None when the school has no pupils."""
    if enrollment_total <= 0:
        return None
    return (budget.personnel_state_local + budget.nonpersonnel_state_local) / enrollment_total


def students_per_teacher(enrollment_total: float, teacher_fte: float) -> float | None:
    """Students per state/local-funded teacher; None if FTE is 0 (or there are no pupils)."""
    if teacher_fte <= 0 or enrollment_total <= 0:
        return None
    return enrollment_total / teacher_fte


def pooled_students_per_teacher(enrollments: Sequence[float], ftes: Sequence[float]) -> float | None:
    """Sum of enrollment over sum of FTE, over the schools that report any teachers."""
    e = np.asarray(enrollments, dtype=float)
    f = np.asarray(ftes, dtype=float)
    keep = f > 0
    total_fte = float(f[keep].sum())
    return float(e[keep].sum()) / total_fte if total_fte > 0 else None


# ------------------------------------------------------------------- distribution measures


@dataclass(frozen=True, slots=True)
class _Sorted:
    """Values sorted ascending with their weights and cumulative sums (one sort per group)."""

    x: np.ndarray
    w: np.ndarray
    cum_w: np.ndarray
    cum_d: np.ndarray  # cumulative x * w
    total_w: float

    @classmethod
    def of(cls, values: np.ndarray, weights: np.ndarray) -> _Sorted:
        order = np.argsort(values, kind="stable")  # stable: ties keep the canonical order
        x = values[order]
        w = weights[order]
        cum_w = np.cumsum(w)
        return cls(x, w, cum_w, np.cumsum(x * w), float(cum_w[-1]) if len(w) else 0.0)

    def first_at_least(self, share: float) -> int:
        """Index of the first school at which the pupils at or below reach ``share`` of all."""
        target = share * self.total_w - _REL_TOL * self.total_w
        i = int(np.searchsorted(self.cum_w, target, side="left"))
        return min(i, len(self.x) - 1)

    def percentile(self, p: float) -> float | None:
        if self.total_w <= 0:
            return None
        return float(self.x[self.first_at_least(p)])

    def lower_half_dollars(self) -> float:
        """Spending on the lowest-spending half of the pupils; the straddling school gives a fraction."""
        half = self.total_w / 2.0
        k = self.first_at_least(0.5)
        below_w = float(self.cum_w[k - 1]) if k > 0 else 0.0
        below_d = float(self.cum_d[k - 1]) if k > 0 else 0.0
        return below_d + float(self.x[k]) * (half - below_w)


def pupil_weighted_percentile(values: Sequence[float], weights: Sequence[float], p: float) -> float | None:
    """The smallest value such that the pupils at or below it are at least ``p`` of all pupils."""
    x, w = _positive(values, weights)
    return _Sorted.of(x, w).percentile(p) if len(x) else None


def mcloone_index(values: Sequence[float], weights: Sequence[float]) -> float | None:
    """Spending on the lowest half of pupils over (half the pupils x pupil-weighted median)."""
    x, w = _positive(values, weights)
    return _distribution(x, w)["mcloone"] if len(x) else None


def verstegen_index(values: Sequence[float], weights: Sequence[float]) -> float | None:
    """Spending on the highest half of pupils over (half the pupils x pupil-weighted median)."""
    x, w = _positive(values, weights)
    return _distribution(x, w)["verstegen"] if len(x) else None


def _positive(values: Sequence[float], weights: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    keep = w > 0
    return x[keep], w[keep]


def _distribution(x: np.ndarray, w: np.ndarray) -> dict[str, float | None]:
    """Mean, CV, percentiles, McLoone, Verstegen and range ratio of ppe ``x`` weighted by pupils ``w``."""
    s = _Sorted.of(x, w)
    out: dict[str, float | None] = dict.fromkeys(
        ("ppe_mean", "p5", "p50", "p95", "cv", "mcloone", "verstegen", "federal_range_ratio")
    )
    if s.total_w <= 0:
        return out
    mean = float(s.cum_d[-1]) / s.total_w
    out["ppe_mean"] = mean
    if mean > 0:
        variance = float(np.sum(s.w * (s.x - mean) ** 2)) / s.total_w
        out["cv"] = math.sqrt(variance) / mean
    p5, p50, p95 = s.percentile(0.05), s.percentile(0.50), s.percentile(0.95)
    out.update(p5=p5, p50=p50, p95=p95)
    half = s.total_w / 2.0
    if p50 is not None and half * p50 > 0:
        low = s.lower_half_dollars()
        out["mcloone"] = low / (half * p50)
        out["verstegen"] = (float(s.cum_d[-1]) - low) / (half * p50)
    if p5 is not None and p95 is not None and p5 > 0:
        out["federal_range_ratio"] = (p95 - p5) / p5
    return out


def pupil_weighted_mean_and_cv(values: Sequence[float], weights: Sequence[float]) -> tuple[float | None, float | None]:
    x, w = _positive(values, weights)
    if not len(x):
        return None, None
    d = _distribution(x, w)
    return d["ppe_mean"], d["cv"]


def federal_range_ratio(values: Sequence[float], weights: Sequence[float]) -> float | None:
    """(P95 - P5) / P5 on pupil-weighted percentiles (not P95 / P5, which is one more)."""
    x, w = _positive(values, weights)
    return _distribution(x, w)["federal_range_ratio"] if len(x) else None


# ------------------------------------------------------------------------------ quartiles


def quartile_labels(shares: Sequence[float] | np.ndarray, school_ids: Sequence[str] | np.ndarray
                    ) -> np.ndarray | None:
    """Quartile 0 (lowest share) .. 3 (highest) of each school; None with fewer than 4 schools.

    Schools are ranked by share ascending, ties by school_id; the four groups are as equal
    in school count as possible and the first (lowest-share) groups take the extra schools.
    """
    n = len(shares)
    if n < 4:
        return None
    share = np.asarray(shares, dtype=float)
    ids = np.asarray(school_ids, dtype=str)
    order = np.lexsort((ids, share))  # last key is primary
    base, extra = divmod(n, 4)
    sizes = [base + (1 if q < extra else 0) for q in range(4)]
    labels = np.empty(n, dtype=np.int8)
    labels[order] = np.repeat(np.arange(4, dtype=np.int8), sizes)
    return labels


@dataclass(frozen=True, slots=True)
class QuartileGap:
    """Pupil-weighted ppe and teacher rates of the lowest and highest quartile of some share."""

    schools_low: int
    schools_high: int
    ppe_low: float | None
    ppe_high: float | None
    inexperienced_rate_low: float | None
    inexperienced_rate_high: float | None
    out_of_field_rate_low: float | None
    out_of_field_rate_high: float | None
    # sums, for remedy estimates in evidence
    dollars_low: float
    dollars_high: float
    pupils_low: float
    pupils_high: float
    fte_low: float
    fte_high: float
    fte_inexperienced_low: float
    fte_inexperienced_high: float

    @property
    def progressivity(self) -> float | None:
        if self.ppe_low is None or self.ppe_high is None or self.ppe_low <= 0:
            return None
        return self.ppe_high / self.ppe_low

    @property
    def inexperienced_gap(self) -> float | None:
        if self.inexperienced_rate_low is None or self.inexperienced_rate_high is None:
            return None
        return self.inexperienced_rate_high - self.inexperienced_rate_low

    @property
    def out_of_field_gap(self) -> float | None:
        if self.out_of_field_rate_low is None or self.out_of_field_rate_high is None:
            return None
        return self.out_of_field_rate_high - self.out_of_field_rate_low


def _ratio(a: float, b: float) -> float | None:
    return a / b if b > 0 else None


# --------------------------------------------------------------------------- the arrays


@dataclass(frozen=True, slots=True)
class ResourceArrays:
    """One entry per counted school (enrollment > 0 and a Budget row), sorted by school_id."""

    school_id: np.ndarray  # str
    band: np.ndarray  # str
    title_i: np.ndarray  # bool
    enrollment: np.ndarray  # float
    dollars: np.ndarray  # personnel + nonpersonnel state/local
    ppe: np.ndarray
    fte: np.ndarray
    fte_inexperienced: np.ndarray
    fte_out_of_field: np.ndarray  # NaN where not provided
    ed_share: np.ndarray
    soc_share: np.ndarray
    rows: tuple[tuple[SchoolRow, BudgetRow], ...]

    def __len__(self) -> int:
        return len(self.school_id)

    @classmethod
    def build(cls, pairs: Sequence[tuple[SchoolRow, BudgetRow]]) -> ResourceArrays:
        pairs = tuple(sorted(pairs, key=lambda p: p[0].school_id))
        enr = np.array([s.enrollment_total for s, _ in pairs], dtype=float)
        dollars = np.array([b.personnel_state_local + b.nonpersonnel_state_local for _, b in pairs], dtype=float)
        oof = [b.teacher_fte_out_of_field for _, b in pairs]
        with np.errstate(divide="ignore", invalid="ignore"):
            return cls(
                school_id=np.array([s.school_id for s, _ in pairs], dtype=str),
                band=np.array([s.band for s, _ in pairs], dtype=str),
                title_i=np.array([s.title_i for s, _ in pairs], dtype=bool),
                enrollment=enr,
                dollars=dollars,
                ppe=dollars / enr,
                fte=np.array([b.teacher_fte_state_local for _, b in pairs], dtype=float),
                fte_inexperienced=np.array([b.teacher_fte_inexperienced for _, b in pairs], dtype=float),
                fte_out_of_field=np.array([np.nan if v is None else v for v in oof], dtype=float),
                ed_share=np.array([s.econ_disadvantaged for s, _ in pairs], dtype=float) / enr,
                soc_share=np.array([s.enrollment_total - s.white for s, _ in pairs], dtype=float) / enr,
                rows=pairs,
            )

    def quartile_gap(self, mask: np.ndarray, share: np.ndarray) -> QuartileGap | None:
        """Lowest- vs highest-share quartile of the schools in ``mask``; None under 4 schools."""
        idx = np.flatnonzero(mask)
        labels = quartile_labels(share[idx], self.school_id[idx])
        if labels is None:
            return None
        low, high = idx[labels == 0], idx[labels == 3]

        def oof_rate(group: np.ndarray) -> float | None:
            values = self.fte_out_of_field[group]
            if np.isnan(values).any():  # only when every school compared provided it
                return None
            return _ratio(float(values.sum()), float(self.fte[group].sum()))

        sums = {
            name: (float(arr[low].sum()), float(arr[high].sum()))
            for name, arr in (
                ("dollars", self.dollars),
                ("pupils", self.enrollment),
                ("fte", self.fte),
                ("fte_inexperienced", self.fte_inexperienced),
            )
        }
        return QuartileGap(
            schools_low=len(low),
            schools_high=len(high),
            ppe_low=_ratio(sums["dollars"][0], sums["pupils"][0]),
            ppe_high=_ratio(sums["dollars"][1], sums["pupils"][1]),
            inexperienced_rate_low=_ratio(sums["fte_inexperienced"][0], sums["fte"][0]),
            inexperienced_rate_high=_ratio(sums["fte_inexperienced"][1], sums["fte"][1]),
            out_of_field_rate_low=oof_rate(low),
            out_of_field_rate_high=oof_rate(high),
            dollars_low=sums["dollars"][0],
            dollars_high=sums["dollars"][1],
            pupils_low=sums["pupils"][0],
            pupils_high=sums["pupils"][1],
            fte_low=sums["fte"][0],
            fte_high=sums["fte"][1],
            fte_inexperienced_low=sums["fte_inexperienced"][0],
            fte_inexperienced_high=sums["fte_inexperienced"][1],
        )


@dataclass(frozen=True, slots=True)
class GroupResources:
    """The measures of one group (district or band), with the quartile detail the rules need."""

    measures: dict[str, Any]
    poverty: QuartileGap | None
    students_of_color: QuartileGap | None


def empty_resources() -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(RESOURCE_KEYS)
    out["schools_counted"] = 0
    out["enrollment_counted"] = 0
    return out


def group_resources(arr: ResourceArrays, mask: np.ndarray) -> GroupResources:
    """Every resource measure of the counted schools selected by ``mask``."""
    out = empty_resources()
    n = int(mask.sum())
    if n == 0:
        return GroupResources(out, None, None)
    out["schools_counted"] = n
    out["enrollment_counted"] = int(arr.enrollment[mask].sum())
    out.update(_distribution(arr.ppe[mask], arr.enrollment[mask]))
    out["students_per_teacher_pooled"] = pooled_students_per_teacher(arr.enrollment[mask], arr.fte[mask])
    poverty = arr.quartile_gap(mask, arr.ed_share)
    soc = arr.quartile_gap(mask, arr.soc_share)
    if poverty is not None:
        out["progressivity"] = poverty.progressivity
        out["ppe_highest_poverty_quartile"] = poverty.ppe_high
        out["ppe_lowest_poverty_quartile"] = poverty.ppe_low
        out["inexperienced_gap_poverty"] = poverty.inexperienced_gap
        out["out_of_field_gap_poverty"] = poverty.out_of_field_gap
    if soc is not None:
        out["inexperienced_gap_students_of_color"] = soc.inexperienced_gap
        out["out_of_field_gap_students_of_color"] = soc.out_of_field_gap
    for key, value in out.items():
        if key not in ("schools_counted", "enrollment_counted"):
            out[key] = _num(value)
    return GroupResources(out, poverty, soc)
