"""The comparability worksheet (RES-01 staff, RES-02 spending) as state forms lay it out, per grade band.

Every figure and every "comparable?" comes from the rules' own worksheet
(``compliance.rules.comparability``), from which the RES-01/RES-02 findings are derived: this
module only words, rounds, suppresses and shortens it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from compliance.rules.comparability import TESTED, BandSheet, Row, Rule, Status, Test, Worksheet
from compliance.rules.model import WorkbookData
from compliance.rules.resources import comparability

from . import formatting as fmt
from .context import ReportContext
from .suppression import suppress_count, suppress_ratio

# Districts with more schools than this print, per band, only Title I schools not comparable, at most
# LISTED_MAX of them, furthest below their limit first (as the data appendix summarizes such districts):
# the findings export lists every one.
ROWS_MAX = 250
LISTED_MAX = 8
NAMED_MAX = 8  # schools named in a band's determination
DASH = "\u2014"
AT_MOST, AT_LEAST = "\u2264", "\u2265"

# The "Comparable?" cell of each status (a comparison school reads "comparison"; see _status_words).
_WORDS = {
    Status.COMPARABLE: "yes",
    Status.NOT_COMPARABLE: "no",
    Status.EXEMPT_ALONE: "exempt (only school)",
    Status.NO_COMPARISON: "no comparison figure",
    Status.RULE_OFF: "not checked (rule off)",
}
_TEST_WORDS = {"RES-01": "staff", "RES-02": "spending"}


def _status_words(status: Status, test: Test, in_pool: bool) -> str:
    if status is Status.EXEMPT_SMALL:
        return f"exempt (under {test.rule.min_enrollment})"
    if status is Status.NOT_TITLE_I:
        if not test.has(Status.COMPARABLE).any() and not test.has(Status.NOT_COMPARABLE).any():
            return "not Title I"  # no Title I school is compared with it
        # Out of the pool only for staff, when the school reports no state/local teachers.
        return "comparison" if in_pool else "left out (no teachers)"
    return _WORDS[status]


def _figure(value: float | None, staff: bool, digits: int) -> str:
    """A school's figure or its limit at ``digits`` decimals (money: whole dollars unless asked for more)."""
    if value is None:
        return "no teachers"
    if staff:
        return fmt.number(value, digits)
    return f"${value:,.{digits}f}" if digits else fmt.money(value)


def _test_cells(row: Row, test: Test, min_cell: int) -> tuple[str, str, str]:
    """(figure, limit, comparable?) of one school under one test."""
    staff = test.rule.staff
    status = row.staff if staff else row.spending
    value = row.students_per_teacher if staff else row.ppe
    limit = test.threshold if status in TESTED else None
    digits = 1 if staff else 0
    shown, limit_shown = _figure(value, staff, digits), _figure(limit, staff, digits) if limit is not None else ""
    while shown == limit_shown and digits < 6:  # rounds to its limit: enough decimals to see which side it is on
        digits += 2
        shown, limit_shown = _figure(value, staff, digits), _figure(limit, staff, digits)
    if staff:
        shown = suppress_ratio(value, shown, row.school.enrollment_total, min_cell)
    limit_text = f"{AT_MOST if staff else AT_LEAST} {limit_shown}" if limit_shown else DASH
    return shown, limit_text, _status_words(status, test, row.in_staff_pool if staff else row.in_spending_pool)


def _row(row: Row, sheet: BandSheet, min_cell: int) -> dict[str, Any]:
    s = row.school
    ratio, ratio_limit, staff_ok = _test_cells(row, sheet.staff, min_cell)
    ppe, ppe_limit, spend_ok = _test_cells(row, sheet.spending, min_cell)
    return {"name": s.school_name, "id": s.school_id, "title_i": "yes" if s.title_i else "no",
            "enrollment": suppress_count(s.enrollment_total, min_cell),
            "fte": fmt.number(row.budget.teacher_fte_state_local, 1),
            "ratio": ratio, "ratio_limit": ratio_limit, "staff_ok": staff_ok,
            "ppe": ppe, "ppe_limit": ppe_limit, "spend_ok": spend_ok}


def _failed_words(row: Row) -> str:
    return " and ".join(_TEST_WORDS[code] for code in row.failed)


def _pool_line(test: Test) -> str:
    """What a band's pool is for one test, and its pooled figure."""
    rule, what = test.rule, _TEST_WORDS[test.rule.code].capitalize()
    if not rule.enabled:
        return f"{what}: not checked ({rule.code} is turned off in this rule set)"
    if test.pooled is None:
        return f"{what} compared with {test.pool_words}: no comparison figure (none reports state/local teachers)"
    figure = (f"{fmt.number(test.pooled, 2)} pupils per teacher" if rule.staff
              else f"{fmt.money(test.pooled)} per pupil")
    n = test.pool_size
    return f"{what} compared with {test.pool_words}: {n} school{'s' if n != 1 else ''}, {figure} pooled"


def _not_tested(band_name: str, sheet: BandSheet) -> str:
    """The determination of a band none of whose Title I schools is tested."""
    title_i = sheet.title_i
    if not title_i.any():
        return f"The {band_name} band has no Title I school: comparability is not in question."
    on = [t for t in sheet.tests if t.rule.enabled]
    if all(t.has(Status.EXEMPT_SMALL)[title_i].all() for t in on):
        under = min(t.rule.min_enrollment for t in on)
        return f"The {band_name} band\u2019s Title I schools are all exempt (under {under} students): none is tested."
    return f"No Title I school of the {band_name} band can be tested: the comparison schools give no pooled figure."


def _determination(band_name: str, sheet: BandSheet, failing: list[Row]) -> str:
    if len(sheet) < 2:
        return f"Exempt: the {band_name} band has one school, so there is nothing to compare with."
    if not any(t.rule.enabled for t in sheet.tests):
        return "Not determined: RES-01 and RES-02 are both turned off in this rule set."
    tested = int(sheet.tested().sum())
    if not tested:
        return _not_tested(band_name, sheet)
    if not failing:
        ran = [_TEST_WORDS[t.rule.code] for t in sheet.tests if t.threshold is not None]
        return (f"All {tested} tested Title I school{'s' if tested != 1 else ''} of the {band_name} band "
                f"{'are' if tested != 1 else 'is'} comparable in {' and in '.join(ran)}.")
    names = "; ".join(f"{r.school.school_name} ({_failed_words(r)})" for r in failing[:NAMED_MAX])
    more = f"; and {len(failing) - NAMED_MAX} more" if len(failing) > NAMED_MAX else ""
    return (f"{len(failing)} of {tested} tested Title I school{'s' if tested != 1 else ''} of the {band_name} "
            f"band {'are' if len(failing) != 1 else 'is'} not comparable: {names}{more}.")


def _band(sheet: BandSheet, min_cell: int, every: bool) -> dict[str, Any]:
    band_name = fmt.band_label(sheet.band).split(" (")[0].lower()
    failing_at = np.flatnonzero(sheet.failing())
    if every:
        # Title I schools first, as the state forms list them, then the comparison schools.
        rows = sorted(sheet.rows(), key=lambda r: (not r.school.title_i, r.school.school_name))
        failing = [r for r in rows if r.failed]
    else:
        # Furthest below the limit first, so that the shortened list holds the worst cases.
        failing = sorted(sheet.rows(failing_at), key=lambda r: (-r.shortfall, r.school.school_name))
        rows = failing[:LISTED_MAX]
    label = fmt.band_label(sheet.band)
    caption = f"{label}: each school" if every else (
        f"{label}: the {len(rows)} Title I school{'s' if len(rows) != 1 else ''} furthest below their limits, of "
        f"{len(failing)} not comparable (every school\u2019s figures are in the per-school and findings exports)")
    return {"band": label, "caption": caption, "rows": [_row(r, sheet, min_cell) for r in rows],
            "groups": [_pool_line(t) for t in sheet.tests] if len(sheet) > 1 else [],
            "statement": _determination(band_name, sheet, failing), "failing": len(failing_at)}


def _limits(rules: tuple[Rule, Rule]) -> str:
    staff, spending = rules
    parts = [
        f"Staff (RES-01): a Title I school\u2019s pupils per state/local-funded teacher at most "
        f"{staff.limit * 100:g}% of the comparison schools\u2019 pooled ratio." if staff.enabled else
        "Staff (RES-01): turned off in this rule set.",
        f"Spending (RES-02): its state/local spending per pupil at least {spending.limit * 100:g}% of their "
        "pooled figure." if spending.enabled else "Spending (RES-02): turned off in this rule set.",
    ]
    if staff.min_enrollment == spending.min_enrollment:
        parts.append(f"Schools under {staff.min_enrollment} students are exempt.")
    else:
        parts.append(f"Schools under {staff.min_enrollment} students are exempt from the staff test, under "
                     f"{spending.min_enrollment} from the spending test.")
    parts.append("A \u201ccomparison\u201d school\u2019s figures make its band\u2019s pooled figure; it is not "
                 "tested itself.")
    return " ".join(parts)


def _verdict(sheet: Worksheet, failing: int, tested: int) -> str:
    if not any(r.enabled for r in sheet.rules):
        return "Comparability is not checked: RES-01 and RES-02 are both turned off in this rule set."
    if not any(b.title_i.any() for b in sheet.bands):
        return "The district has no Title I school: comparability is not in question."
    if not tested:
        return "No Title I school is tested for comparability (each is exempt or has no comparison figure)."
    if not failing:
        return "The district meets comparability: every tested Title I school is comparable."
    return (f"The district does not meet comparability: {failing} Title I school"
            f"{'s are' if failing != 1 else ' is'} not comparable (findings under RES-01 and RES-02).")


def worksheet(ctx: ReportContext) -> dict[str, Any] | None:
    """Per band, every counted school with both tests; None without budget data."""
    sheet = comparability(WorkbookData(schools=ctx.schools, budget=ctx.budget, has_budget_sheet=bool(ctx.budget)),
                          ctx.rule_params)
    if sheet is None:
        return None
    every = sum(len(b) for b in sheet.bands) <= ROWS_MAX
    bands = [_band(b, ctx.min_cell, every) for b in sheet.bands]
    tested = sum(int(b.tested().sum()) for b in sheet.bands)
    return {"bands": bands, "limits": _limits(sheet.rules),
            "verdict": _verdict(sheet, sum(b["failing"] for b in bands), tested)}
