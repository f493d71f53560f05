"""The district's proposed change (sheet Proposed): its description, before and after per school, INT-05.

The schools' flags before and after come from the evaluation's own checks (school_rules,
proposal.proposed_table), so this page agrees with INT-05's counts.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from compliance.rules.planner_effect import Baseline
from compliance.rules.proposal import proposed_table
from compliance.rules.ruleset import section
from compliance.rules.school_rules import school_checks

from . import formatting as fmt
from .context import ReportContext
from .repeats import ONE_SCHOOL, distinct_findings, one_school_bands
from .suppression import CellMask, mask_counts, school_counts
from .view_schools import band_short
from .view_schools import get as _get

SCHOOLS_MAX = 60  # affected schools listed in print; the marked workbook lists every one
_CHANGE_WORDS = {"changed": "changed", "opened": "opens", "closed": "closes"}
_RULES = ("INT-01", "INT-02", "INT-03")


def _rules_flagging(ctx: ReportContext, table) -> list[list[str]]:
    """Per school of ``table``, the enabled rules among INT-01/02/03 that flag it."""
    p = [section(ctx.rule_params, code) for code in _RULES]
    checks = school_checks(table, *p)
    per_rule = [checks.int01.any(axis=1), checks.int02.any(axis=1), checks.int03]
    matrix = np.column_stack([flags & bool(q["enabled"]) for flags, q in zip(per_rule, p)])
    return [[code for code, on in zip(_RULES, row) if on] for row in matrix.tolist()]


def _mask(row: Any, min_cell: int) -> CellMask | None:
    return mask_counts(school_counts(row), min_cell) if row is not None and row.enrollment_total > 0 else None


def _shares(mask: CellMask | None) -> tuple[str, str, str]:
    if mask is None:
        return "\u2014", "\u2014", "\u2014"
    return mask.count("enrollment_total"), mask.share("students_of_color"), mask.share("econ_disadvantaged")


def _school_rows(ctx: ReportContext) -> tuple[list[dict[str, Any]], int]:
    assert ctx.proposed is not None
    base = Baseline.of(ctx.schools, ctx.rule_params)
    table, changes = proposed_table(base.table, base.schools, ctx.proposed)
    before, after = _rules_flagging(ctx, base.table), _rules_flagging(ctx, table)
    current = {s.school_id: s for s in ctx.schools}
    proposed = {p.school_id: p for p in ctx.proposed}
    rows = []
    for i, (sid, change) in enumerate(zip(table.school_ids, changes)):
        if change == "unchanged":
            continue
        now, then = current.get(sid), proposed.get(sid)
        name = (now.school_name if now else None) or (then.school_name if then else None) or sid
        rows.append({"name": name, "id": sid, "change": _CHANGE_WORDS.get(change, change),
                     "before": _shares(_mask(now, ctx.min_cell)),
                     "after": _shares(_mask(then, ctx.min_cell)) if change != "closed" else ("0", "\u2014", "\u2014"),
                     "flags_before": ", ".join(before[i]) if i < len(before) else "\u2014",
                     "flags_after": ", ".join(after[i]) or "none"})
        rows[-1]["flags_before"] = rows[-1]["flags_before"] or ("none" if now else "\u2014")
    return rows[:SCHOOLS_MAX], max(0, len(rows) - SCHOOLS_MAX)


def _measures(ctx: ReportContext) -> dict[str, Any]:
    """Multigroup D, ED D and flagged schools now and as proposed, for the district and each band."""
    measures = ctx.evaluation.get("measures") or {}
    proposed = measures.get("proposed") or {}
    flagged = {}
    for _, f in distinct_findings(ctx):
        ev = f.get("evidence") or {}
        if f.get("rule") == "INT-05" and ev.get("measure") == "flagged_schools":
            flagged[f.get("band")] = (ev.get("current"), ev.get("proposed"))
    single = one_school_bands(ctx.evaluation.get("measures") or {})
    rows, skipped = [], []
    for band in (None, "elementary", "middle", "high"):
        now = measures.get("district") if band is None else (measures.get("bands") or {}).get(band)
        then = proposed.get("district") if band is None else (proposed.get("bands") or {}).get(band)
        if not now and not then:
            continue
        if band in single:
            skipped.append(f"{fmt.band_label(band)}: {ONE_SCHOOL}")
            continue
        cells = []
        for path in (("dissimilarity", "multigroup"), ("dissimilarity", "ed_not_ed")):
            for block in (now, then):
                cells.append(fmt.index(_get(block or {}, *path)))
        counts = flagged.get(band)
        cells += [str(counts[0]), str(counts[1])] if counts else ["\u2014", "\u2014"]
        rows.append({"label": "District" if band is None else band_short(band), "cells": cells})
    return {"columns": ["Multigroup D now", "Multigroup D proposed", "ED D now", "ED D proposed",
                        "Flagged schools now", "Flagged schools proposed"], "rows": rows, "note": "; ".join(skipped)}


def _verdict(ctx: ReportContext) -> tuple[str, str]:
    """("finding" | "commendation" | "neutral", the sentence) from INT-05's findings."""
    int05 = [f for _, f in distinct_findings(ctx) if f.get("rule") == "INT-05"]
    tolerance = section(ctx.rule_params, "INT-05")["tolerance"]
    if any(f.get("severity") == "finding" for f in int05):
        return "finding", ("INT-05 finds against the change: it would raise segregation or the number of "
                           "identifiable or segregated schools, overall or in a grade band (findings below).")
    if int05:
        return "commendation", ("Commendation: the change lowers segregation and raises no measure INT-05 "
                                f"watches by more than its tolerance ({tolerance:g} on D).")
    return "neutral", ("The change moves no measure INT-05 watches by more than its tolerance "
                       f"({tolerance:g} on D, or any new flagged school): it meets the rule.")


def proposal(ctx: ReportContext) -> dict[str, Any] | None:
    """The proposed change's own section; None without a Proposed sheet."""
    if not ctx.proposed:
        return None
    verdict, sentence = _verdict(ctx)
    rows, omitted = _school_rows(ctx)
    return {
        "description": ctx.proposed_description_printed or (
            "The workbook does not describe the change (District sheet, proposed_change_description)."),
        "verdict": verdict, "verdict_text": sentence, "measures": _measures(ctx),
        "schools": rows, "omitted": omitted, "affected": len(rows) + omitted,
    }
