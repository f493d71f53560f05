"""The schools of a report, each with its suppression mask, and lookups into measures blocks."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compliance.rules.model import RACE_GROUPS, SchoolRow

from . import formatting as fmt
from .context import ReportContext
from .suppression import CellMask, mask_counts, school_label, suppress_school


@dataclass
class SchoolInfo:
    school_id: str
    name: str
    band: str | None
    mask: CellMask | None
    measures: dict[str, Any]
    title_i: bool = False


def reconstruct_mask(m: dict[str, Any], min_cell: int) -> CellMask | None:
    """Counts from the evaluation's shares, for a school whose raw row was not passed in."""
    total = m.get("enrollment_total")
    share = m.get("share") or {}
    if not isinstance(total, int) or total <= 0:
        return None
    counts = {"enrollment_total": total}
    for group in RACE_GROUPS:
        if isinstance(share.get(group), (int, float)):
            counts[group] = round(share[group] * total)
    if isinstance(share.get("students_of_color"), (int, float)):
        counts["students_of_color"] = round(share["students_of_color"] * total)
    if isinstance(share.get("ed"), (int, float)):
        counts["econ_disadvantaged"] = round(share["ed"] * total)
        counts["not_ed"] = total - counts["econ_disadvantaged"]
    label = school_label(str(m.get("school_name") or ""), str(m.get("school_id") or ""))
    return mask_counts(counts, min_cell, label=label)


def schools_of(ctx: ReportContext) -> dict[str, SchoolInfo]:
    measures = {s.get("school_id"): s for s in (ctx.evaluation.get("measures") or {}).get("schools") or []}
    rows: dict[str, SchoolRow] = {r.school_id: r for r in ctx.schools}
    out: dict[str, SchoolInfo] = {}
    for sid in list(rows) + [s for s in measures if s not in rows]:
        row, m = rows.get(sid), measures.get(sid) or {}
        mask = suppress_school(row, ctx.min_cell) if row else reconstruct_mask(m, ctx.min_cell)
        name = (row.school_name if row else None) or m.get("school_name") or str(sid)
        band = m.get("band") or (row.band if row else None)
        out[str(sid)] = SchoolInfo(str(sid), name, band, mask, m, bool(row.title_i) if row else False)
    return out


def finding_label(f: dict[str, Any], schools: dict[str, SchoolInfo]) -> str:
    if f.get("school_id") and str(f["school_id"]) in schools:
        return schools[str(f["school_id"])].name
    if f.get("school_id"):
        return str(f["school_id"])
    if f.get("band"):
        return fmt.band_label(f["band"])
    return "District"



def measure_block(measures: dict[str, Any], band: str | None) -> dict[str, Any]:
    """The district's measures (band None) or a band's; {} when the evaluation has none."""
    if band is None:
        return measures.get("district") or {}
    return (measures.get("bands") or {}).get(band) or {}


def get(block: Any, *path: str) -> Any:
    """block[path[0]][path[1]]..., None where a step is missing or not a dict."""
    cur: Any = block
    for p in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


def band_short(band: str | None) -> str:
    """'Elementary' for a band, as a column heading; the district for none."""
    return fmt.band_label(band).split(" (")[0]
