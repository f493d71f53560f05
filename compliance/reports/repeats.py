"""Findings that say the same thing twice, and grade bands too small for a measure to mean anything."""
from __future__ import annotations

import json
from collections import Counter
from typing import Any

from .context import ReportContext

ONE_SCHOOL = "not applicable (one school)"


def _signature(f: dict[str, Any]) -> str:
    return json.dumps([f.get("rule"), f.get("severity"), f.get("evidence")], sort_keys=True, default=str)


def repeats(ctx: ReportContext) -> dict[int, int]:
    """Band findings that repeat a district finding word for word: band finding index -> district's.

    In a district whose schools all sit in one grade band (or whose other bands have no budget
    rows) the band's measure *is* the district's: the same rule, severity and evidence. The
    report prints it once, as the district's, and counts it once.
    """
    if ctx.repeats is not None:
        return ctx.repeats
    findings = ctx.evaluation.get("findings") or []
    district: dict[str, int] = {}
    for i, f in enumerate(findings):
        if f.get("scope") == "district" and not f.get("school_id"):
            district.setdefault(_signature(f), i)
    out: dict[int, int] = {}
    if district:
        for i, f in enumerate(findings):
            if f.get("scope") == "band" and not f.get("school_id"):
                j = district.get(_signature(f))
                if j is not None:
                    out[i] = j
    ctx.repeats = out
    return out


def distinct_findings(ctx: ReportContext) -> list[tuple[int, dict[str, Any]]]:
    """(index, finding) of every finding the report prints, repeats left out."""
    skip = repeats(ctx)
    return [(i, f) for i, f in enumerate(ctx.evaluation.get("findings") or []) if i not in skip]


def repeated_by(ctx: ReportContext) -> dict[int, list[int]]:
    """District finding index -> the band findings that repeat it."""
    out: dict[int, list[int]] = {}
    for band_index, district_index in repeats(ctx).items():
        out.setdefault(district_index, []).append(band_index)
    return out


def schools_per_band(measures: dict[str, Any]) -> Counter[str]:
    """Schools with students per grade band, as an evaluation's measures count them."""
    schools = measures.get("schools") or []
    return Counter(str(s.get("band")) for s in schools
                   if s.get("band") and isinstance(s.get("enrollment_total"), (int, float))
                   and s["enrollment_total"] > 0)


def one_school_bands(measures: dict[str, Any]) -> frozenset[str]:
    """Bands with exactly one school: their evenness and spread measures are 0 by construction
    (the report and the screen's key measures say so instead of printing them)."""
    return frozenset(b for b, n in schools_per_band(measures).items() if n == 1)
