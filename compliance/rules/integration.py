"""The integration rules INT-01..INT-06 (rules.md, "Integration"), on top of measures.py.

Boundaries, as the spec reads them:
- "differs by more than the band" (INT-01, INT-03) is strictly greater: a difference of
  exactly the band passes;
- ">= 90%" (INT-02) and ">= 0.3" / ">= 0.6" (INT-04) are inclusive;
- INT-05 and INT-06 tolerances are inclusive: a change of exactly the tolerance passes.
Every comparison allows EPS of float error (integration_base.py).

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

The rules live in school_rules.py (INT-01..03), district_rules.py (INT-04, INT-06) and
proposal.py (the Proposed sheet, INT-05); this module runs them. No Django here: pure Python + numpy.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .district_rules import evenness_findings, lottery_findings
from .integration_base import BAND_NAMES, EPS, RULE_VERSION
from .measures import school_shares, school_table, table_areas
from .model import RuleFinding, WorkbookData
from .proposal import AppliedSchool, apply_proposed, flag_counts, proposal_findings, proposed_schools, proposed_table
from .ruleset import section
from .school_rules import SchoolChecks, fmt1, school_checks, school_findings

# Other modules and tests import these from here.
__all__ = [
    "EPS", "RULE_VERSION", "AppliedSchool", "SchoolChecks", "apply_proposed", "evaluate_integration",
    "evenness_findings", "lottery_findings", "proposal_findings", "proposed_schools", "proposed_table",
    "school_checks",
]
_fmt1 = fmt1  # the property tests check the fast formatter against Python's

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
    findings = school_findings(checks, table, names, p01, p02, p03)
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
                flag_counts(table, checks.flagged(p01, p02, p03)),
                flag_counts(new_table, new_checks.flagged(p01, p02, p03)),
                p05,
            )

    if wb.lottery:
        wanted = {lot.school_id for lot in wb.lottery}
        found = [i for i, sid in enumerate(table.school_ids) if sid in wanted]
        bands = {table.school_ids[i]: BAND_NAMES[b] for i, b in zip(found, table.band[found].tolist())}
        findings += lottery_findings(wb.lottery, p06, bands, {table.school_ids[i]: names[i] for i in found})
    return measures, findings
