"""The comparability worksheet (RES-01 staff, RES-02 spending) as state forms lay it out, per grade band.

It follows the rules' own determination (compliance.rules.resources): the schools counted are
those with pupils and a Budget row; a band needs two of them; schools under the rule's minimum
enrollment are exempt and left out of the comparison group; Title I schools are compared with
the band's other schools, or with every school of the band when all are Title I; a school
without state/local teachers is left out of the pooled staff ratio. The same limits and float
guard as the rules decide "comparable?" (a test checks that the worksheet's "no" are exactly
the RES-01/RES-02 findings).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compliance.rules.limits import above, below
from compliance.rules.model import BANDS, BudgetRow, SchoolRow
from compliance.rules.resource_measures import per_pupil_expenditure, students_per_teacher
from compliance.rules.ruleset import section

from . import formatting as fmt
from .context import ReportContext
from .suppression import suppress_count

# Districts with more schools than this print, per band, only Title I schools not comparable, at most
# LISTED_MAX of them, furthest below their limit first (as the data appendix summarizes such districts):
# the findings export lists every one.
ROWS_MAX = 250
LISTED_MAX = 8
NAMED_MAX = 8  # schools named in a band's determination


@dataclass(frozen=True, slots=True)
class _Rule:
    """One of the two tests, with the rule set's parameters."""

    code: str
    limit: float
    min_enrollment: int
    enabled: bool

    @classmethod
    def of(cls, ctx: ReportContext, code: str) -> _Rule:
        p = section(ctx.rule_params, code)
        return cls(code, float(p["limit"]), int(p["min_enrollment"]), bool(p.get("enabled", True)))


def _pairs(ctx: ReportContext) -> list[tuple[SchoolRow, BudgetRow]]:
    """The schools the resource rules count: pupils and a Budget row (the first, as the rules take it)."""
    budget: dict[str, BudgetRow] = {}
    for b in ctx.budget:
        budget.setdefault(b.school_id, b)
    return sorted(((s, budget[s.school_id]) for s in ctx.schools
                   if s.enrollment_total > 0 and s.school_id in budget), key=lambda p: p[0].school_id)


def _pooled(pairs: list[tuple[SchoolRow, BudgetRow]], staff: bool) -> float | None:
    if staff:
        pairs = [(s, b) for s, b in pairs if b.teacher_fte_state_local > 0]
        fte = sum(b.teacher_fte_state_local for _, b in pairs)
        return sum(s.enrollment_total for s, _ in pairs) / fte if fte > 0 else None
    pupils = sum(s.enrollment_total for s, _ in pairs)
    dollars = sum(b.personnel_state_local + b.nonpersonnel_state_local for _, b in pairs)
    return dollars / pupils if pupils > 0 else None


def _comparison(pairs: list[tuple[SchoolRow, BudgetRow]], rule: _Rule) -> tuple[list[tuple[SchoolRow, BudgetRow]], str]:
    """The band's comparison schools for a rule, and what they are in words."""
    eligible = [(s, b) for s, b in pairs if s.enrollment_total >= rule.min_enrollment]
    others = [(s, b) for s, b in eligible if not s.title_i]
    if others:
        return others, "the band\u2019s non-Title I schools"
    return eligible, "every school of the band (all are Title I)"


def _test(s: SchoolRow, b: BudgetRow, rule: _Rule, pooled: float | None) -> tuple[str, str, str]:
    """(the school's figure, its limit, "yes"/"no"/why not tested) for one rule."""
    staff = rule.code == "RES-01"
    value = (students_per_teacher(s.enrollment_total, b.teacher_fte_state_local) if staff
             else per_pupil_expenditure(b, s.enrollment_total))
    shown = (fmt.number(value, 1) if value is not None else "no teachers") if staff else fmt.money(value)
    if not rule.enabled:
        return shown, "\u2014", "not checked"
    if s.enrollment_total < rule.min_enrollment:
        return shown, "\u2014", f"exempt (under {rule.min_enrollment})"
    if not s.title_i:
        return shown, "\u2014", "\u2014"
    if pooled is None:
        return shown, "\u2014", "no comparison figure"
    threshold = rule.limit * pooled
    if staff:
        ok = value is not None and not above(value, threshold)
        return shown, f"\u2264 {fmt.number(threshold, 1)}", "yes" if ok else "no"
    ok = value is not None and not below(value, threshold)
    return shown, f"\u2265 {fmt.money(threshold)}", "yes" if ok else "no"


def _row(s: SchoolRow, b: BudgetRow, rules: tuple[_Rule, _Rule], pooled: tuple[float | None, float | None],
         min_cell: int) -> dict[str, Any]:
    staff, spend = (_test(s, b, rule, p) for rule, p in zip(rules, pooled))
    return {"name": s.school_name, "id": s.school_id, "title_i": "yes" if s.title_i else "no",
            "enrollment": suppress_count(s.enrollment_total, min_cell), "fte": fmt.number(b.teacher_fte_state_local, 1),
            "ratio": staff[0], "ratio_limit": staff[1], "staff_ok": staff[2],
            "ppe": spend[0], "ppe_limit": spend[1], "spend_ok": spend[2]}


def _failed_tests(row: dict[str, Any]) -> str:
    return " and ".join(word for word, key in (("staff", "staff_ok"), ("spending", "spend_ok")) if row[key] == "no")


def _determination(band_name: str, rows: list[dict[str, Any]]) -> str:
    title_i = [r for r in rows if r["title_i"] == "yes" and "exempt" not in r["staff_ok"] + r["spend_ok"]]
    failing = [r for r in title_i if "no" in (r["staff_ok"], r["spend_ok"])]
    if not title_i:
        return f"The {band_name} band has no Title I school to test: comparability is not in question."
    if not failing:
        return (f"All {len(title_i)} tested Title I school{'s' if len(title_i) != 1 else ''} of the {band_name} "
                "band are comparable in staff and in spending.")
    names = "; ".join(f"{r['name']} ({_failed_tests(r)})" for r in failing[:NAMED_MAX])
    more = f"; and {len(failing) - NAMED_MAX} more" if len(failing) > NAMED_MAX else ""
    return (f"{len(failing)} of {len(title_i)} tested Title I schools of the {band_name} band are not "
            f"comparable: {names}{more}.")


def _band(band: str, pairs: list[tuple[SchoolRow, BudgetRow]], rules: tuple[_Rule, _Rule], min_cell: int,
          every: bool) -> dict[str, Any]:
    band_name = fmt.band_label(band).split(" (")[0].lower()
    if len(pairs) < 2:
        return {"band": fmt.band_label(band), "rows": [], "omitted": 0, "groups": [],
                "statement": f"Exempt: the {band_name} band has one school, so there is nothing to compare with."}
    comparisons = [_comparison(pairs, rule) for rule in rules]
    pooled = (_pooled(comparisons[0][0], staff=True), _pooled(comparisons[1][0], staff=False))
    # Title I schools first, as the state forms list them, then the comparison schools.
    ordered = sorted(pairs, key=lambda p: (not p[0].title_i, p[0].school_name))
    rows = [_row(s, b, rules, pooled, min_cell) for s, b in ordered]
    groups = [f"Staff: {comparisons[0][1]}, {fmt.number(pooled[0], 2)} pupils per teacher pooled"
              if pooled[0] is not None else "Staff: no comparison figure (no teachers reported)",
              f"Spending: {comparisons[1][1]}, {fmt.money(pooled[1])} per pupil pooled"]
    statement = _determination(band_name, rows)
    listed = rows if every else [r for r in rows if "no" in (r["staff_ok"], r["spend_ok"])][:LISTED_MAX]
    return {"band": fmt.band_label(band), "rows": listed, "omitted": len(rows) - len(listed),
            "groups": groups, "statement": statement}


def worksheet(ctx: ReportContext) -> dict[str, Any] | None:
    """Per band, every counted school with both tests; None without budget data."""
    pairs = _pairs(ctx)
    if not pairs:
        return None
    rules = (_Rule.of(ctx, "RES-01"), _Rule.of(ctx, "RES-02"))
    every = len(pairs) <= ROWS_MAX
    bands = [_band(band, [p for p in pairs if p[0].band == band], rules, ctx.min_cell, every)
             for band in BANDS if any(p[0].band == band for p in pairs)]
    failing = sum(r["staff_ok"] == "no" or r["spend_ok"] == "no" for b in bands for r in b["rows"])
    limits = (f"Staff (RES-01): a Title I school\u2019s pupils per state/local-funded teacher at most "
              f"{rules[0].limit * 100:g}% of the comparison schools\u2019 pooled ratio. Spending (RES-02): its "
              f"state/local spending per pupil at least {rules[1].limit * 100:g}% of their pooled figure. Schools "
              f"under {rules[0].min_enrollment} students are exempt.")
    verdict = ("The district meets comparability: every tested Title I school is comparable." if not failing else
               f"The district does not meet comparability: {failing} Title I school"
               f"{'s are' if failing != 1 else ' is'} not comparable (findings under RES-01 and RES-02).")
    return {"bands": bands, "limits": limits, "verdict": verdict}
