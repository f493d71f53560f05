"""Choosing the library entries that fit each finding, filling in the district's numbers, and attaching estimates.

docs/recommendations.md: each recommendation is chosen for the district's own situation and
says, with its numbers, what a remedy would take; the numbers come from
:mod:`compliance.rules.remedies` and :mod:`compliance.rules.remedies_levers`, the sentences from
:mod:`.recommendation_estimates`. Everything a finding's recommendations depend on is worked
out once per workbook, band or school and reused (conditions per entry, rule and band; filled
texts; one remedy program per band, solved before the findings are visited), so the work grows
with the findings, not findings x schools.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from . import remedies
from .model import BANDS, LotteryRow, RuleFinding, RuleRecommendation, SchoolRow, WorkbookData
from .recommendation_estimates import SENTENCES
from .recommendation_library import (
    DEFAULT_EAC_REGIONS,
    DEFAULT_LIBRARY,
    GRADE_CENTERS_KEY,
    LibraryEntry,
    fill_placeholders,
    state_values,
)
from .remedies_levers import grade_center_remedy, lottery_seats_remedy
from .remedies_resources import ComparabilityIndex, comparability_estimate
from .ruleset import section

_REASSIGNMENT_RULES = ("INT-01", "INT-03")
_GRADE_CENTER_RULES = ("INT-01", "INT-02", "INT-03", "INT-04")
_LOTTERY_FIELDS = ("seats", "applicants_ed", "applicants_non_ed", "admitted_ed", "admitted_non_ed", "target_ed_share")
_SCHOOL_PLACEHOLDERS = ("{school_id}", "{school_name}")


def estimate_kind(entry_key: str, rule: str) -> str | None:
    """Which estimate an entry carries for a finding of ``rule``: grade-center advice its own
    grade-center estimate, lottery advice on INT-06 the seats per pool, every other entry the
    rule's (the band's reassignments for INT-01/INT-03, the resource figures for RES-01..04)."""
    if entry_key == GRADE_CENTERS_KEY and rule in _GRADE_CENTER_RULES:
        return "grade_centers"
    if rule in _REASSIGNMENT_RULES:
        return "reassignment"
    if rule == "INT-06":
        return "lottery"
    return rule if rule in ("RES-01", "RES-02", "RES-03", "RES-04") else None


class _BandPlan:
    """One band's solved remedy program: the summary every finding quotes, and the whole plan once."""

    def __init__(self, band: str, full: dict[str, Any], stats: dict[str, float]) -> None:
        self.band = band
        self.stats = stats
        self.after: dict[str, dict[str, Any]] = full.get("after") or {}
        self.pairs: list[dict[str, Any]] = full.get("pairs") or []
        drop = ("pairs", "after", "flows", "largest_flows", "outside_after_rounding")
        self.summary = {"band": band, **{k: v for k, v in full.items() if k not in drop}}
        # Every finding of the band quotes the summary: the count, the schools once in the plan.
        self.outside: list[str] = full.get("outside_after_rounding") or []
        if self.outside:
            self.summary["schools_outside_after_rounding"] = len(self.outside)
        if full.get("reachable"):
            self.summary["largest_changes"] = self.pairs[:5]

    def as_json(self) -> dict[str, Any]:
        """The whole plan, once per evaluation: every pair and every school after it."""
        return {**self.summary, "pairs": self.pairs,
                "schools_after": [{"school_id": sid, **a} for sid, a in self.after.items()],
                **({"outside_after_rounding": self.outside} if self.outside else {})}


class _Context:
    """What the conditions and estimates need about one workbook, computed once, and the caches."""

    def __init__(self, wb: WorkbookData, params: dict | None, eac: dict[str, str] | None, state: str | None):
        self.wb = wb
        self.params = params
        self.eac = eac
        self.state = state
        self.schools = [s for s in wb.schools if s.enrollment_total > 0]
        self.by_id = {s.school_id: s for s in wb.schools}
        self.names = {s.school_id: s.school_name for s in wb.schools}
        self.band_schools: dict[str, list[SchoolRow]] = {}
        for s in self.schools:
            self.band_schools.setdefault(s.band, []).append(s)
        self.band_methods = {b: {s.assignment_method for s in rows} for b, rows in self.band_schools.items()}
        self.all_methods = {s.assignment_method for s in self.schools}
        sizes = {b: len(self.band_schools.get(b, [])) for b in BANDS}
        self.largest_band = max(BANDS, key=lambda b: sizes[b]) if self.band_schools else None
        existing = {s.school_id for s in self.schools}
        self.opens_schools = bool(wb.proposed) and any(
            p.school_id not in existing and p.enrollment_total > 0 for p in wb.proposed or [])
        self.plans: dict[str, _BandPlan] = {}
        self._comparability: ComparabilityIndex | None = None
        self._cache: dict[Hashable, Any] = {}

    def cached(self, key: Hashable, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def band_of(self, f: RuleFinding) -> str | None:
        if f.band:
            return f.band
        school = self.by_id.get(f.school_id) if f.school_id else None
        return school.band if school else None

    def schools_in_band(self, band: str | None) -> int:
        if band is None:  # a district-wide finding counts its largest band
            return max((len(v) for v in self.band_schools.values()), default=0)
        return len(self.band_schools.get(band, []))

    def methods(self, band: str | None) -> set[str]:
        return self.all_methods if band is None else self.band_methods.get(band, set())

    @property
    def comparability(self) -> ComparabilityIndex:
        if self._comparability is None:
            self._comparability = ComparabilityIndex(self.wb, self.params)
        return self._comparability

    def integration(self, band: str) -> _BandPlan:
        """The band's integration LP, solved once and shared by its INT-01/INT-03 findings."""
        if band not in self.plans:
            self.plans[band] = self._solve(band)
        return self.plans[band]

    def _solve(self, band: str) -> _BandPlan:
        int01, int03 = section(self.params, "INT-01"), section(self.params, "INT-03")
        int01_on = int01.get("enabled", True)
        stats: dict[str, float] = {}
        full = remedies.integration_remedy(
            self.band_schools.get(band, []),
            band=int01["band"] if int01_on else None,
            ed_band=int03["band"] if int03.get("enabled", True) else None,
            single_group_min_share=int01.get("single_group_min_band_share") if int01_on else None,
            flows=False, stats=stats,
        )
        return _BandPlan(band, full, stats)

    def solve_bands(self, bands: list[str]) -> None:
        """Solve the bands' programs up front, side by side: HiGHS lets go of the GIL while it
        solves, so on two cores the largest band's program takes the wall time of all of them."""
        todo = [b for b in bands if b not in self.plans]
        if len(todo) < 2:
            for band in todo:
                self.integration(band)
            return
        largest_first = sorted(todo, key=lambda b: -len(self.band_schools.get(b, [])))
        with ThreadPoolExecutor(max_workers=min(len(todo), os.cpu_count() or 1)) as pool:
            solved = dict(zip(largest_first, pool.map(self._solve, largest_first)))
        for band in todo:  # in the findings' order, whichever finished first
            self.plans[band] = solved[band]


def _holds(cond: dict[str, Any], rule: str, band: str | None, ctx: _Context) -> bool:
    """Whether every condition of an entry holds for a finding of ``rule`` in ``band`` (the
    vocabulary is documented in :mod:`compliance.rules.recommendations`)."""
    for name, value in cond.items():
        if name == "min_schools_in_band" and ctx.schools_in_band(band) < value:
            return False
        if name == "max_schools_in_band" and ctx.schools_in_band(band) > value:
            return False
        if name == "min_district_schools" and len(ctx.schools) < value:
            return False
        if name == "max_district_schools" and len(ctx.schools) > value:
            return False
        if name == "assignment_methods_any" and not (ctx.methods(band) & set(value)):
            return False
        if name == "assignment_methods_none" and ctx.methods(band) & set(value):
            return False
        if name == "rules_any" and rule not in value:
            return False
        if name == "has_lottery" and bool(ctx.wb.lottery) != value:
            return False
        if name == "proposed_opens_schools" and ctx.opens_schools != value:
            return False
        if name == "eac_region_known" and (ctx.eac is not None) != value:
            return False
        if name == "any" and not any(_holds(sub, rule, band, ctx) for sub in value):
            return False
    return True


def _integration_estimate(f: RuleFinding, band: str | None, ctx: _Context) -> dict[str, Any] | None:
    if not band:
        return None
    plan = ctx.integration(band)
    # The full pair list and per-school table are given once (the evaluation's "remedies");
    # each finding keeps the band's summary and its own school after the plan.
    est = dict(plan.summary)
    if f.school_id and f.school_id in plan.after:
        est["school_after"] = plan.after[f.school_id]
    return est


def _grade_center_estimate(f: RuleFinding, band: str | None, ctx: _Context) -> dict[str, Any] | None:
    band = band or ctx.largest_band  # a district-wide finding: its largest band, as the advice says
    if not band:
        return None
    return {"band": band, **grade_center_remedy(ctx.band_schools.get(band, []))}


def _lottery_estimate(f: RuleFinding, band: str | None, ctx: _Context) -> dict[str, Any] | None:
    ev = f.evidence
    if not f.school_id or any(not isinstance(ev.get(k), (int, float)) for k in _LOTTERY_FIELDS):
        return None
    row = LotteryRow(f.school_id, int(ev["seats"]), int(ev["applicants_ed"]), int(ev["applicants_non_ed"]),
                     int(ev["admitted_ed"]), int(ev["admitted_non_ed"]), float(ev["target_ed_share"]))
    return lottery_seats_remedy(row) if row.seats > 0 else None


def _comparability_estimate(f: RuleFinding, band: str | None, ctx: _Context) -> dict[str, Any] | None:
    # The rules' own worksheet (pool, pooled figure, limit, status): the estimate answers the finding.
    return comparability_estimate(ctx.comparability, f.school_id, f.rule) if f.school_id else None


def _progressivity_estimate(f: RuleFinding, band: str | None, ctx: _Context) -> dict[str, Any] | None:
    return remedies.progressivity_remedy(ctx.wb, min_ratio=section(ctx.params, "RES-03")["min_ratio"], band=f.band)


def _teacher_estimate(f: RuleFinding, band: str | None, ctx: _Context) -> dict[str, Any] | None:
    # The RES-04 rule writes one finding per quartile definition and names it in
    # evidence["quartiles_by"]; without it, both definitions are estimated.
    by = f.evidence.get("quartiles_by")
    return remedies.teacher_equity_remedy(
        ctx.wb, max_gap=section(ctx.params, "RES-04")["max_gap"], band=f.band,
        by=(by,) if by in ("poverty", "students_of_color") else ("poverty", "students_of_color"))


_Estimator = Callable[[RuleFinding, str | None, _Context], dict[str, Any] | None]
_ESTIMATES: dict[str, _Estimator] = {
    "reassignment": _integration_estimate,
    "grade_centers": _grade_center_estimate,
    "lottery": _lottery_estimate,
    "RES-01": _comparability_estimate,
    "RES-02": _comparability_estimate,
    "RES-03": _progressivity_estimate,
    "RES-04": _teacher_estimate,
}


def _estimate_key(kind: str, f: RuleFinding, band: str | None) -> Hashable:
    """What an estimate of this kind depends on: findings with the same key share one."""
    if kind == "reassignment":
        return (kind, band, f.school_id)
    if kind == "grade_centers":
        return (kind, band)
    if kind == "lottery":
        return (kind, f.school_id, *(f.evidence.get(k) for k in _LOTTERY_FIELDS))
    if kind == "RES-04":
        return (kind, f.band, f.evidence.get("quartiles_by"))
    return (kind, f.rule, f.school_id, f.band)


def recommend(
    wb: WorkbookData,
    findings: list[RuleFinding],
    params: dict | None,
    *,
    library: tuple[LibraryEntry, ...] = DEFAULT_LIBRARY,
    eac_regions: dict[str, dict[str, str]] = DEFAULT_EAC_REGIONS,
    state: str | None = None,
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Attach the fitting recommendations, with estimates, to each finding (in place).

    Entries are added in library order after any the finding already has (a key already
    present is not added twice). Info-severity findings (commendations) get only the
    every-rule entries (the Equity Assistance Center or state TA) and no estimate. The
    integration estimate is solved once per band and shared. Returns the evaluation's
    ``remedies``: each solved band's whole plan (every pair and every school after it), given
    once rather than with each finding. ``timings`` receives the programs' size and seconds.
    """
    code = state.strip().upper() if state else None
    ctx = _Context(wb, params, eac_regions.get(code) if code else None, code)
    started = time.perf_counter()
    ctx.solve_bands(_bands_to_solve(findings, library, ctx))
    solved = time.perf_counter()
    for f in findings:
        _recommend_one(f, library, ctx)
    if timings is not None:
        _record_timings(timings, ctx, solved - started, time.perf_counter() - solved)
    return {"integration": {band: plan.as_json() for band, plan in ctx.plans.items()}}


def _record_timings(timings: dict[str, float], ctx: _Context, programs: float, rest: float) -> None:
    """The remedy programs' wall time, HiGHS's part of it, their size, and the rest of the work."""
    stats = [p.stats for p in ctx.plans.values()]
    timings["remedy_programs"] = round(programs, 4)
    for key in ("build_seconds", "solve_seconds", "plan_seconds"):
        timings[f"lp_{key.split('_')[0]}"] = round(sum(s.get(key, 0.0) for s in stats), 4)
    for key in ("variables", "constraints", "nonzeros", "rounds"):
        timings[f"lp_{key}"] = sum(int(s.get(key, 0)) for s in stats)
    timings["recommendations_other"] = round(rest, 4)


def _bands_to_solve(findings: list[RuleFinding], library: tuple[LibraryEntry, ...], ctx: _Context) -> list[str]:
    """The bands whose INT-01/INT-03 findings carry an entry with the reassignment estimate."""
    bands: list[str] = []
    for f in findings:
        band = ctx.band_of(f)
        if f.severity == "info" or f.rule not in _REASSIGNMENT_RULES or not band or band in bands:
            continue
        if any(f.rule in e.rule_codes and estimate_kind(e.key, f.rule) == "reassignment"
               and _entry_holds(i, e, f.rule, band, ctx) for i, e in enumerate(library)):
            bands.append(band)
    return bands


def _entry_holds(i: int, entry: LibraryEntry, rule: str, band: str | None, ctx: _Context) -> bool:
    return bool(ctx.cached(("holds", i, rule, band), lambda: _holds(entry.conditions, rule, band, ctx)))


def _placeholder_values(f: RuleFinding, band: str | None, ctx: _Context) -> dict[str, str]:
    """What each placeholder of an entry's title and body reads as for this finding."""
    school = ctx.by_id.get(f.school_id) if f.school_id else None
    return {
        "district_name": ctx.wb.district.district_name if ctx.wb.district else "The district",
        "band": band or "largest",  # a district-wide finding counts its largest band
        "schools_in_band": str(ctx.schools_in_band(band)),
        "district_schools": str(len(ctx.schools)),
        "school_id": f.school_id or "",
        "school_name": school.school_name if school else "",
        **state_values(ctx.state, ctx.eac),
    }


def _fitting(library: tuple[LibraryEntry, ...], rule: str, commendation: bool, band: str | None,
             ctx: _Context) -> list[tuple[int, LibraryEntry, str | None, bool, list[str]]]:
    """The entries that fit findings of ``rule`` in ``band``, in library order: (index, entry,
    the kind of estimate it carries, whether its text names the school, its sources)."""
    fits = []
    for i, entry in enumerate(library):
        every_rule = "*" in entry.rule_codes
        if not every_rule and (commendation or rule not in entry.rule_codes):
            continue
        if not _entry_holds(i, entry, rule, band, ctx):
            continue
        per_school = any(p in entry.title or p in entry.body for p in _SCHOOL_PLACEHOLDERS)
        fits.append((i, entry, None if every_rule else estimate_kind(entry.key, rule), per_school, list(entry.sources)))
    return fits


def _texts(i: int, entry: LibraryEntry, f: RuleFinding, band: str | None, ctx: _Context, per_school: bool,
           said: Hashable, sentence: str) -> tuple[str, str]:
    """The entry's title and body filled in for the finding with the estimate's sentence, made
    once per band (or school, when the text names it) and sentence, so findings share the strings."""
    def make() -> tuple[str, str]:
        values = _placeholder_values(f, band, ctx)
        body = fill_placeholders(entry.body, values)
        return fill_placeholders(entry.title, values), f"{body} {sentence}" if sentence else body

    return ctx.cached(("texts", i, band, f.school_id if per_school else None, said), make)


def _recommend_one(f: RuleFinding, library: tuple[LibraryEntry, ...], ctx: _Context) -> None:
    commendation = f.severity == "info"
    have = {r.key for r in f.recommendations}
    band = ctx.band_of(f)
    fits = ctx.cached(("fits", f.rule, commendation, band), lambda: _fitting(library, f.rule, commendation, band, ctx))
    for i, entry, kind, per_school, sources in fits:
        if entry.key in have:
            continue
        est, said, sentence = _estimate(kind, f, band, ctx) if kind else (None, None, "")
        title, body = _texts(i, entry, f, band, ctx, per_school, said, sentence)
        # The sources list is the entry's, shared: nothing edits a recommendation once made.
        f.recommendations.append(RuleRecommendation(key=entry.key, title=title, estimate=est, body=body,
                                                    sources=sources))
        have.add(entry.key)


def _estimate(kind: str, f: RuleFinding, band: str | None,
              ctx: _Context) -> tuple[dict[str, Any] | None, Hashable, str]:
    """The finding's estimate of this kind, the key of its sentence and the sentence, each
    worked out once per key."""
    key = _estimate_key(kind, f, band)
    est = ctx.cached(key, lambda: _ESTIMATES[kind](f, band, ctx))
    if not est:
        return None, None, ""
    # The reassignment sentence is the band's, whichever school's finding asks.
    said = ("sentence", kind, band) if kind == "reassignment" else ("sentence", key)
    return est, said, ctx.cached(said, lambda: SENTENCES[kind](est, ctx.names))
