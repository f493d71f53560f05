"""Choosing the library entries that fit each finding, filling in the district's numbers, and the estimate sentences.

docs/recommendations.md: each recommendation is chosen for the district's own situation and
says, with its numbers, what a remedy would take; the numbers come from
:mod:`compliance.rules.remedies`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import remedies
from .labels import group_noun
from .model import RuleFinding, RuleRecommendation, SchoolRow, WorkbookData
from .recommendation_library import (
    DEFAULT_EAC_REGIONS,
    DEFAULT_LIBRARY,
    LibraryEntry,
    fill_placeholders,
    state_values,
)
from .ruleset import section


class _Context:
    """What the conditions and estimates need about one workbook, computed once."""

    def __init__(self, wb: WorkbookData, params: dict | None, eac: dict[str, str] | None, state: str | None):
        self.wb = wb
        self.params = params
        self.eac = eac
        self.state = state
        self.schools = [s for s in wb.schools if s.enrollment_total > 0]
        self.by_id = {s.school_id: s for s in wb.schools}
        self.band_schools: dict[str, list[SchoolRow]] = {}
        for s in self.schools:
            self.band_schools.setdefault(s.band, []).append(s)
        existing = {s.school_id for s in self.schools}
        self.opens_schools = bool(wb.proposed) and any(
            p.school_id not in existing and p.enrollment_total > 0 for p in wb.proposed or [])
        self._integration: dict[str, dict[str, Any]] = {}  # band -> its solved LP

    def band_of(self, f: RuleFinding) -> str | None:
        if f.band:
            return f.band
        school = self.by_id.get(f.school_id) if f.school_id else None
        return school.band if school else None

    def schools_in_band(self, f: RuleFinding) -> int:
        band = self.band_of(f)
        if band is None:
            return max((len(v) for v in self.band_schools.values()), default=0)
        return len(self.band_schools.get(band, []))

    def methods(self, f: RuleFinding) -> set[str]:
        band = self.band_of(f)
        scope = self.schools if band is None else self.band_schools.get(band, [])
        return {s.assignment_method for s in scope}

    def integration(self, band: str) -> dict[str, Any]:
        """The band's integration LP, solved once and shared by its INT-01/INT-03 findings."""
        if band not in self._integration:
            int01 = section(self.params, "INT-01")
            int03 = section(self.params, "INT-03")
            int01_on = int01.get("enabled", True)
            self._integration[band] = remedies.integration_remedy(
                self.band_schools.get(band, []),
                band=int01["band"] if int01_on else None,
                ed_band=int03["band"] if int03.get("enabled", True) else None,
                single_group_min_share=int01.get("single_group_min_band_share") if int01_on else None,
            )
        return self._integration[band]


def _integration_estimate(f: RuleFinding, ctx: _Context) -> dict[str, Any] | None:
    band = ctx.band_of(f)
    if not band:
        return None
    full = ctx.integration(band)
    # The full flow list and per-school table stay out of the report (they would be
    # repeated on every finding of the band); the finding's own school is kept.
    est = {k: v for k, v in full.items() if k not in ("flows", "after")}
    if f.school_id and f.school_id in full.get("after", {}):
        est["school_after"] = full["after"][f.school_id]
    return est


def _comparability_estimate(f: RuleFinding, ctx: _Context) -> dict[str, Any] | None:
    if not f.school_id:
        return None
    r1, r2 = section(ctx.params, "RES-01"), section(ctx.params, "RES-02")
    comp = remedies.comparability_remedy(
        ctx.wb, f.school_id, res01_limit=r1["limit"], res02_limit=r2["limit"],
        min_enrollment=r1["min_enrollment"] if f.rule == "RES-01" else r2["min_enrollment"],
    )
    if comp is None:
        return None
    part = comp["res01" if f.rule == "RES-01" else "res02"]
    if part is None:
        return None
    return {k: comp[k] for k in ("school_id", "band", "enrollment", "comparison")} | part


def _progressivity_estimate(f: RuleFinding, ctx: _Context) -> dict[str, Any] | None:
    return remedies.progressivity_remedy(ctx.wb, min_ratio=section(ctx.params, "RES-03")["min_ratio"], band=f.band)


def _teacher_estimate(f: RuleFinding, ctx: _Context) -> dict[str, Any] | None:
    # The RES-04 rule writes one finding per quartile definition and names it in
    # evidence["quartiles_by"]; without it, both definitions are estimated.
    by = f.evidence.get("quartiles_by")
    return remedies.teacher_equity_remedy(
        ctx.wb, max_gap=section(ctx.params, "RES-04")["max_gap"], band=f.band,
        by=(by,) if by in ("poverty", "students_of_color") else ("poverty", "students_of_color"))


_ESTIMATES: dict[str, Callable[[RuleFinding, _Context], dict[str, Any] | None]] = {
    "INT-01": _integration_estimate,
    "INT-03": _integration_estimate,
    "RES-01": _comparability_estimate,
    "RES-02": _comparability_estimate,
    "RES-03": _progressivity_estimate,
    "RES-04": _teacher_estimate,
}


def _holds(cond: dict[str, Any], f: RuleFinding, ctx: _Context) -> bool:
    """Whether every condition of an entry holds for this finding (the vocabulary is
    documented in :mod:`compliance.rules.recommendations`)."""
    for name, value in cond.items():
        if name == "min_schools_in_band" and ctx.schools_in_band(f) < value:
            return False
        if name == "max_schools_in_band" and ctx.schools_in_band(f) > value:
            return False
        if name == "min_district_schools" and len(ctx.schools) < value:
            return False
        if name == "max_district_schools" and len(ctx.schools) > value:
            return False
        if name == "assignment_methods_any" and not (ctx.methods(f) & set(value)):
            return False
        if name == "rules_any" and f.rule not in value:
            return False
        if name == "has_lottery" and bool(ctx.wb.lottery) != value:
            return False
        if name == "proposed_opens_schools" and ctx.opens_schools != value:
            return False
        if name == "eac_region_known" and (ctx.eac is not None) != value:
            return False
        if name == "any" and not any(_holds(sub, f, ctx) for sub in value):
            return False
    return True


_fill = fill_placeholders


def _money(x: float) -> str:
    return f"${x:,.0f}"


def _integration_sentence(est: dict[str, Any], ctx: _Context) -> str:
    if not est.get("reachable"):
        return f"Estimate: {est.get('reason', 'not reachable within the band')}."
    if est["students_moved"] == 0:
        return "Estimate: no reassignment is needed to bring the band's schools within the bands."
    names = {s.school_id: s.school_name for s in ctx.wb.schools}
    flows = "; ".join(
        f"{fl['students']} {group_noun(fl['group'])} from {names.get(fl['from'], fl['from'])} "
        f"to {names.get(fl['to'], fl['to'])}" for fl in est["largest_flows"][:3])
    return (
        f"Estimate: about {est['students_moved']} student reassignments "
        f"({est['share_of_band'] * 100:.1f}% of the band's {est['band_enrollment']} students) "
        f"would bring every school of the band within the bands; largest moves: {flows}."
    )


def _comparability_sentence(add: float | None, move: float | None, amount: Callable[[float], str], more: str,
                            target: Callable[[], str], moved_unit: str) -> str:
    """RES-01/RES-02: what adding to the school, or moving from the comparison schools, takes."""
    if add is None:
        return ""
    text = f"Estimate: {amount(add)} more state/local {more} at this school would bring it to {target()}"
    return text + (f" (or {amount(move)}{moved_unit} moved from the comparison schools)." if move is not None else ".")


def _staff_sentence(est: dict[str, Any], ctx: _Context) -> str:
    return _comparability_sentence(
        est.get("fte_to_add"), est.get("fte_to_move_from_comparison"), lambda x: f"{x:.1f}", "teacher FTE",
        lambda: f"{est['target_ratio']:.2f} students per teacher", " FTE")


def _spending_sentence(est: dict[str, Any], ctx: _Context) -> str:
    return _comparability_sentence(
        est.get("dollars_to_add"), est.get("dollars_to_move_from_comparison"), _money, "spending",
        lambda: f"{_money(est['target_ppe'])} per pupil", "")


def _progressivity_sentence(est: dict[str, Any], ctx: _Context) -> str:
    if est["dollars_to_move"] <= 0:
        return ""
    return (f"Estimate: moving {_money(est['dollars_to_move'])} of state/local spending from the "
            f"lowest-poverty to the highest-poverty quartile would bring the ratio to "
            f"{est['min_ratio']:.2f} (or adding {_money(est['dollars_to_add_to_high'])} to the "
            f"highest-poverty quartile).")


def _teacher_sentence(est: dict[str, Any], ctx: _Context) -> str:
    parts = []
    for key, label in (("poverty", "poverty"), ("students_of_color", "students-of-color")):
        item = est.get(key)
        if item:
            parts.append(f"swapping {item['fte_to_swap']:.1f} inexperienced teacher FTE for experienced "
                         f"ones between the highest- and lowest-{label} quartiles (or replacing "
                         f"{item['fte_to_replace_in_high']:.1f} inexperienced FTE in the highest quartile "
                         f"with experienced teachers)")
    if not parts:
        return ""
    return f"Estimate: {' and '.join(parts)} would bring the gap to {est['max_gap'] * 100:g} points."


# One sentence with the estimate's numbers, appended to the entry's body.
_SENTENCES: dict[str, Callable[[dict[str, Any], _Context], str]] = {
    "INT-01": _integration_sentence,
    "INT-03": _integration_sentence,
    "RES-01": _staff_sentence,
    "RES-02": _spending_sentence,
    "RES-03": _progressivity_sentence,
    "RES-04": _teacher_sentence,
}


def recommend(
    wb: WorkbookData,
    findings: list[RuleFinding],
    params: dict | None,
    *,
    library: tuple[LibraryEntry, ...] = DEFAULT_LIBRARY,
    eac_regions: dict[str, dict[str, str]] = DEFAULT_EAC_REGIONS,
    state: str | None = None,
) -> None:
    """Attach the fitting recommendations, with estimates, to each finding (in place).

    Entries are added in library order after any the finding already has (a key already
    present is not added twice). Info-severity findings (commendations) get only the
    every-rule entries (the Equity Assistance Center or state TA) and no estimate. The
    integration estimate is solved once per band and shared.
    """
    code = state.strip().upper() if state else None
    ctx = _Context(wb, params, eac_regions.get(code) if code else None, code)
    for f in findings:
        _recommend_one(f, library, ctx, _placeholder_values(f, ctx))


def _placeholder_values(f: RuleFinding, ctx: _Context) -> dict[str, str]:
    """What each placeholder of an entry's title and body reads as for this finding."""
    band = ctx.band_of(f)
    school = ctx.by_id.get(f.school_id) if f.school_id else None
    code, eac = ctx.state, ctx.eac
    return {
        "district_name": ctx.wb.district.district_name if ctx.wb.district else "The district",
        "band": band or "largest",  # a district-wide finding counts its largest band
        "schools_in_band": str(ctx.schools_in_band(f)),
        "district_schools": str(len(ctx.schools)),
        "school_id": f.school_id or "",
        "school_name": school.school_name if school else "",
        **state_values(code, eac),
    }


def _recommend_one(f: RuleFinding, library: tuple[LibraryEntry, ...], ctx: _Context, values: dict[str, str]) -> None:
    commendation = f.severity == "info"
    have = {r.key for r in f.recommendations}
    estimate: dict[str, Any] | None = None
    estimated = False  # the estimate is worked out once, for the first entry that needs it
    for entry in library:
        if entry.key in have:
            continue
        every_rule = "*" in entry.rule_codes
        if not every_rule and (commendation or f.rule not in entry.rule_codes):
            continue
        if not _holds(entry.conditions, f, ctx):
            continue
        body = _fill(entry.body, values)
        est = None
        if not every_rule:
            if not estimated:
                estimate, estimated = _estimate(f, ctx), True
            est = estimate
            sentence = _SENTENCES[f.rule](est, ctx) if est and f.rule in _SENTENCES else ""
            if sentence:
                body = f"{body} {sentence}"
        f.recommendations.append(RuleRecommendation(
            key=entry.key, title=_fill(entry.title, values), estimate=est, body=body, sources=list(entry.sources)))
        have.add(entry.key)


def _estimate(f: RuleFinding, ctx: _Context) -> dict[str, Any] | None:
    """The remedy estimate of the finding's rule; None for a rule without one."""
    estimator = _ESTIMATES.get(f.rule)
    return estimator(f, ctx) if estimator else None
