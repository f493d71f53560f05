"""Resource-equity rules RES-01..RES-05 (the plausibility warnings DATA-40..44 are in plausibility.py).

Entry point: :func:`evaluate_resources`. Pure Python + numpy (no Django).

Decisions where the spec is silent (also in the final report to the lead):
- RES-01/RES-02 (determined in comparability.py): schools under ``min_enrollment`` are exempt AND left out
  of the pooled comparison group (ESEA 1118(c)(4): an LEA need not include unusually small
  schools in comparability determinations). "Every school in the band is Title I" is judged
  on the non-exempt schools; then the band's pooled figure (non-exempt schools) is used.
- RES-01: schools with zero state/local teacher FTE are left out of the pooled ratio (they
  would inflate it and flatter Title I schools). A non-exempt Title I school with zero FTE
  and pupils is a finding (no state/local-funded teachers at all); every zero-FTE school also
  gets DATA-44.
- A band "with more than one school" counts the schools with pupils and a Budget row.
- A school with pupils but no Budget row is left out of every resource measure and named in
  a DATA-43 warning (only when the Budget sheet has rows at all).
- RES-03 and RES-04 are checked for the district and for each band where computable
  (at least 4 counted schools); RES-05 for the district and each band with a counted school.
  An undefined measure gives no finding.
- DATA-41 compares with the district's pupil-weighted median ppe (P50 of measures.md).
- Out-of-field gaps are measured (when every school of both compared quartiles gives the
  column) but no rule checks them: RES-04 names inexperienced teachers only.
"""
from __future__ import annotations

import numpy as np

from .comparability import Worksheet, comparability_findings, comparability_worksheet
from .limits import RULE_VERSION, above, below, money, pct
from .model import BANDS, BudgetRow, DataProblem, RuleFinding, SchoolRow, WorkbookData
from .plausibility import enrollment_changes, missing_budget, no_students, ppe_outliers, title_i_low_ed, zero_fte
from .resource_measures import (
    GroupResources,
    QuartileGap,
    ResourceArrays,
    empty_resources,
    group_resources,
    per_pupil_expenditure,
    students_per_teacher,
)
from .ruleset import section


def _where(band: str | None) -> str:
    return f"the {band} band" if band else "the district"


# ------------------------------------------------------------------------------ entry point


def evaluate_resources(
    wb: WorkbookData,
    params: dict | None,
    *,
    previous_enrollment: dict[str, int] | None = None,
) -> tuple[dict, list[RuleFinding], list[DataProblem]]:
    """Resource measures, RES-01..RES-05 findings and plausibility warnings of one workbook.

    Returns ``({"district": resources, "bands": {band: resources}, "schools": {school_id:
    {"ppe_state_local", "students_per_teacher"}}}, findings, problems)``.
    """
    findings: list[RuleFinding] = []
    plaus = section(params, "PLAUSIBILITY")

    schools_out, pairs, problems = _counted_schools(wb)
    if plaus.get("enabled", True):
        problems.extend(enrollment_changes(wb.schools, previous_enrollment, plaus["max_enrollment_change"]))
        problems.extend(title_i_low_ed(wb.schools))
        problems.extend(no_students(wb.schools))

    if not pairs:
        bands_out = {band: empty_resources() for band in BANDS}
        return {"district": empty_resources(), "bands": bands_out, "schools": schools_out}, findings, problems

    arr = ResourceArrays.build(pairs)
    everyone = np.ones(len(arr), dtype=bool)
    district = group_resources(arr, everyone)
    bands = {band: group_resources(arr, arr.band == band) for band in BANDS}
    measures = {
        "district": district.measures,
        "bands": {band: g.measures for band, g in bands.items()},
        "schools": schools_out,
    }

    if plaus.get("enabled", True):
        problems.extend(ppe_outliers(arr, district.measures["p50"], plaus["max_ppe_over_median"]))

    findings.extend(comparability_findings(comparability_worksheet(arr, params)))
    groups: list[tuple[str | None, GroupResources]] = [(None, district)] + list(bands.items())
    for band, g in groups:
        findings.extend(_progressivity(band, g, params))
        findings.extend(_teacher_equity(band, g, params))
        findings.extend(_horizontal_equity(band, g, params))
    return measures, findings, problems


def comparability(wb: WorkbookData, params: dict | None) -> Worksheet | None:
    """The comparability worksheet of a workbook, the very one RES-01/RES-02 judge by; None without budget data."""
    _, pairs, _ = _counted_schools(wb)
    return comparability_worksheet(ResourceArrays.build(pairs), params) if pairs else None


_Counted = tuple[dict[str, dict[str, float | None]], list[tuple[SchoolRow, BudgetRow]], list[DataProblem]]


def _counted_schools(wb: WorkbookData) -> _Counted:
    """Each school's money measures, the (school, budget) pairs the resource rules count, and
    the DATA-43 / DATA-44 warnings about the schools left out."""
    budget_by_id: dict[str, BudgetRow] = {}
    for row in wb.budget:
        budget_by_id.setdefault(row.school_id, row)  # duplicates are the reader's error to report
    have_budget = wb.has_budget_sheet and bool(wb.budget)
    problems: list[DataProblem] = []
    schools_out: dict[str, dict[str, float | None]] = {}
    pairs: list[tuple[SchoolRow, BudgetRow]] = []
    for s in wb.schools:
        b = budget_by_id.get(s.school_id) if have_budget else None
        schools_out[s.school_id] = {
            "ppe_state_local": per_pupil_expenditure(b, s.enrollment_total) if b else None,
            "students_per_teacher": students_per_teacher(s.enrollment_total, b.teacher_fte_state_local) if b else None,
        }
        if s.enrollment_total <= 0 or not have_budget:
            continue
        if b is None:
            problems.append(missing_budget(s))
            continue
        pairs.append((s, b))
        if b.teacher_fte_state_local <= 0:
            problems.append(zero_fte(s, b))
    return schools_out, pairs, problems


# ------------------------------------------------------------------------------- RES-03


def _scope(band: str | None) -> str:
    return "band" if band else "district"


def _progressivity(band: str | None, g: GroupResources, params: dict | None) -> list[RuleFinding]:
    p = section(params, "RES-03")
    q = g.poverty
    if not p.get("enabled", True) or q is None or q.progressivity is None:
        return []
    ratio, min_ratio = q.progressivity, float(p["min_ratio"])
    if not below(ratio, min_ratio):
        return []
    assert q.ppe_high is not None and q.ppe_low is not None
    # Dollars to move from the lowest- to the highest-poverty quartile so that the ratio reaches min_ratio:
    # (H + d) / nH = r (L - d) / nL.
    to_move = (min_ratio * q.pupils_high * q.dollars_low - q.dollars_high * q.pupils_low) / (
        q.pupils_low + min_ratio * q.pupils_high
    )
    message = (
        f"In {_where(band)}, the highest-poverty quartile of schools spends {money(q.ppe_high)} per pupil from "
        f"state and local funds and the lowest-poverty quartile {money(q.ppe_low)}: a ratio of {ratio:.3f}, "
        f"below the required {min_ratio:.2f}. Moving about {money(to_move)} from the lowest- to the "
        f"highest-poverty schools would reach it."
    )
    return [RuleFinding(
        rule="RES-03", severity=p["severity"], scope=_scope(band), band=band, message=message,
        rule_version=RULE_VERSION,
        evidence={
            "progressivity": ratio,
            "min_ratio": min_ratio,
            "ppe_highest_poverty_quartile": q.ppe_high,
            "ppe_lowest_poverty_quartile": q.ppe_low,
            "schools_highest_poverty_quartile": q.schools_high,
            "schools_lowest_poverty_quartile": q.schools_low,
            "dollars_to_move": to_move,
        },
    )]


# ------------------------------------------------------------------------------- RES-04


def _teacher_equity(band: str | None, g: GroupResources, params: dict | None) -> list[RuleFinding]:
    p = section(params, "RES-04")
    if not p.get("enabled", True):
        return []
    max_gap = float(p["max_gap"])
    out: list[RuleFinding] = []
    by: tuple[tuple[str, str, QuartileGap | None], ...] = (
        ("poverty", "poverty", g.poverty),
        ("students_of_color", "students-of-color", g.students_of_color),
    )
    for key, words, q in by:
        gap = q.inexperienced_gap if q is not None else None
        if q is None or gap is None or not above(gap, max_gap):
            continue
        assert q.inexperienced_rate_high is not None and q.inexperienced_rate_low is not None
        # Inexperienced FTE to swap out of the high quartile (for experienced teachers) so the gap meets the limit.
        fte_to_swap = max(0.0, (gap - max_gap) * q.fte_high)
        message = (
            f"In {_where(band)}, {pct(q.inexperienced_rate_high)} of state/local teacher FTE are in their first or "
            f"second year in the quartile of schools with the highest {words} share against "
            f"{pct(q.inexperienced_rate_low)} in the quartile with the lowest: a gap of {gap * 100:.1f} points, "
            f"above the limit of {max_gap * 100:.1f} points. "
            f"About {fte_to_swap:.1f} inexperienced FTE in the highest quartile would need to be experienced teachers."
        )
        out.append(RuleFinding(
            rule="RES-04", severity=p["severity"], scope=_scope(band), band=band, message=message,
            rule_version=RULE_VERSION,
            evidence={
                "quartiles_by": key,
                "gap": gap,
                "max_gap": max_gap,
                "inexperienced_rate_highest_quartile": q.inexperienced_rate_high,
                "inexperienced_rate_lowest_quartile": q.inexperienced_rate_low,
                "teacher_fte_highest_quartile": q.fte_high,
                "teacher_fte_lowest_quartile": q.fte_low,
                "schools_highest_quartile": q.schools_high,
                "schools_lowest_quartile": q.schools_low,
                "inexperienced_fte_to_swap": fte_to_swap,
            },
        ))
    return out


# ------------------------------------------------------------------------------- RES-05


def _horizontal_equity(band: str | None, g: GroupResources, params: dict | None) -> list[RuleFinding]:
    p = section(params, "RES-05")
    if not p.get("enabled", True):
        return []
    m = g.measures
    max_cv, min_mc, max_rr = float(p["max_cv"]), float(p["min_mcloone"]), float(p["max_range_ratio"])
    failed: list[str] = []
    parts: list[str] = []
    if m["cv"] is not None and above(m["cv"], max_cv):
        failed.append("cv")
        parts.append(f"coefficient of variation {m['cv']:.3f} (at most {max_cv:.2f})")
    if m["mcloone"] is not None and below(m["mcloone"], min_mc):
        failed.append("mcloone")
        parts.append(f"McLoone index {m['mcloone']:.3f} (at least {min_mc:.2f})")
    if m["federal_range_ratio"] is not None and above(m["federal_range_ratio"], max_rr):
        failed.append("federal_range_ratio")
        parts.append(
            f"federal range ratio {m['federal_range_ratio']:.3f} = ({money(m['p95'])} - {money(m['p5'])}) / "
            f"{money(m['p5'])} (at most {max_rr:.2f})"
        )
    if not failed:
        return []
    message = (
        f"State and local per-pupil spending is uneven across the schools of {_where(band)}: "
        + "; ".join(parts) + "."
    )
    return [RuleFinding(
        rule="RES-05", severity=p["severity"], scope=_scope(band), band=band, message=message,
        rule_version=RULE_VERSION,
        evidence={
            "failed": failed,
            "cv": m["cv"], "max_cv": max_cv,
            "mcloone": m["mcloone"], "min_mcloone": min_mc,
            "federal_range_ratio": m["federal_range_ratio"], "max_range_ratio": max_rr,
            "p5": m["p5"], "p50": m["p50"], "p95": m["p95"],
            "ppe_mean": m["ppe_mean"],
            "schools_counted": m["schools_counted"],
        },
    )]
