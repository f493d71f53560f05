"""One evaluation, from a parsed workbook to the JSON of evaluate-cli.md.

The worker and ``manage.py evaluate`` both call :func:`evaluate_workbook`; nothing here
touches Django, files or the database.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from .integration import evaluate_integration
from .model import WorkbookData
from .recommendation_json import compact
from .recommendations import DEFAULT_EAC_REGIONS, DEFAULT_LIBRARY, recommend
from .resources import evaluate_resources


@dataclass(frozen=True)
class RuleSetRef:
    name: str
    version: str
    params: dict[str, Any]


@dataclass
class EvaluationOutput:
    result: dict[str, Any]
    workbook: WorkbookData
    timings: dict[str, float] = field(default_factory=dict)


def _district_json(wb: WorkbookData) -> dict[str, Any] | None:
    if wb.district is None:
        # A District sheet with errors: what could be read of it (null where a field could not be).
        return dict(wb.district_identity) if any(wb.district_identity.values()) else None
    return {
        "district_id": wb.district.district_id,
        "district_name": wb.district.district_name,
        "school_year": wb.district.school_year,
    }


def evaluate_workbook(
    wb: WorkbookData,
    *,
    rule_set: RuleSetRef,
    previous_enrollment: dict[str, int] | None = None,
    state: str | None = None,
    library: Any = None,
    eac_regions: Any = None,
    timings: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Measures, findings and recommendations; with blocking errors, only the problems."""
    timings = timings if timings is not None else {}
    problems = list(wb.problems)
    result: dict[str, Any] = {
        "template_version": 1,
        "district": _district_json(wb),
        "rule_set": {"name": rule_set.name, "version": rule_set.version},
        "problems": [],
        "measures": {},
        "findings": [],
    }
    if wb.has_errors:
        result["problems"] = [p.as_json() for p in problems]
        return result

    params = rule_set.params
    t0 = time.perf_counter()
    int_measures, int_findings = evaluate_integration(wb, params)
    t1 = time.perf_counter()
    res_measures, res_findings, plausibility = evaluate_resources(wb, params, previous_enrollment=previous_enrollment)
    t2 = time.perf_counter()
    findings = [*int_findings, *res_findings]
    remedies = recommend(
        wb,
        findings,
        params,
        library=library if library is not None else DEFAULT_LIBRARY,
        eac_regions=eac_regions if eac_regions is not None else DEFAULT_EAC_REGIONS,
        state=state,
        timings=timings,
    )
    t3 = time.perf_counter()
    result["measures"] = finite(merge_measures(int_measures, res_measures, wb))
    result["problems"] = [p.as_json() for p in [*problems, *plausibility]]
    result["findings"] = _finite_findings([f.as_json() for f in findings])
    # Each band's whole reassignment plan once (every pair, every school after it), and each
    # finding's reassignment estimate naming it rather than repeating its method, shares and
    # largest changes (recommendation_json; docs/evaluate-cli.md: keys may be added).
    result["remedies"] = finite(remedies)
    compact(result["findings"], result["remedies"])
    timings.update(integration=round(t1 - t0, 4), resources=round(t2 - t1, 4), recommendations=round(t3 - t2, 4),
                   to_json=round(time.perf_counter() - t3, 4))
    return result


def _finite_findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """finite() where a finding can hold a computed number, its evidence and its estimates (the
    rest is text the rules wrote), each shared estimate once."""
    seen: set[int] = set()
    for f in findings:
        f["evidence"] = finite(f["evidence"], seen)
        for rec in f["recommendations"]:
            rec["estimate"] = finite(rec["estimate"], seen)
    return findings


def finite(value: Any, seen: set[int] | None = None) -> Any:
    """``value`` with any NaN or infinity replaced by None, in place: JSON and reports never see one.

    The reader refuses non-finite cells, so this is a last guard, not the way undefined
    measures become null (the measures return None themselves). Leaves are checked where
    they sit and a dict or list met again (a band's estimate shared by its findings) is
    walked once (``seen``: the ids of those walked already): a large district's findings hold
    over a million values.
    """
    seen = set() if seen is None else seen

    def fix(x: Any) -> Any:
        if type(x) is float or isinstance(x, float):
            return float(x) if math.isfinite(x) else None  # float(): a numpy float becomes a plain one
        if isinstance(x, (dict, list)) and id(x) not in seen:
            seen.add(id(x))
            walk(x)
        return x

    def walk(v: dict | list) -> None:
        pairs = v.items() if isinstance(v, dict) else enumerate(v)
        for k, x in pairs:
            t = type(x)
            if t is str or t is int or t is bool or x is None:
                continue
            if t is float and x - x == 0.0:  # finite (inf - inf and nan - nan are nan)
                continue
            v[k] = fix(x)

    return fix(value)


def merge_measures(integration: dict[str, Any], resources: dict[str, Any], wb: WorkbookData) -> dict[str, Any]:
    """Integration measures with each district/band's ``resources`` and each school's money."""
    measures = dict(integration)
    district = dict(measures.get("district") or {})
    district["resources"] = resources.get("district")
    measures["district"] = district
    bands = {}
    for band, values in (measures.get("bands") or {}).items():
        merged = dict(values or {})
        merged["resources"] = (resources.get("bands") or {}).get(band)
        bands[band] = merged
    measures["bands"] = bands
    per_school = resources.get("schools") or {}
    names = {s.school_id: s.school_name for s in wb.schools}
    schools = []
    for entry in measures.get("schools") or []:
        money = per_school.get(entry["school_id"], {})
        schools.append(
            {
                **entry,
                "school_name": names.get(entry["school_id"]),
                "ppe_state_local": money.get("ppe_state_local"),
                "students_per_teacher": money.get("students_per_teacher"),
            }
        )
    measures["schools"] = schools
    return measures
