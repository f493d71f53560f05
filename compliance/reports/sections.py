"""The findings sections of the report: per area, per rule, the findings as blocks or a table.

A rule with many school findings is a table that lists the reviewed and the most extreme
ones; every number goes through the school's (or lottery's) mask first.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from compliance.rules.registry import default_group, rank_field, rule_name, threshold_text

from . import formatting as fmt
from .advice import advice_key
from .context import ReportContext
from .evidence import EvidenceFormatter, evidence_of, finding_mask
from .repeats import distinct_findings, repeated_by
from .suppression import CellMask, scrub_small_counts, scrub_text
from .view_schools import SchoolInfo, band_short, finding_label

# A rule with more school findings than this lists the reviewed ones and the most extreme
# ones up to this many, with a count per band; the findings export lists them all.
TABLE_MAX = 20
BLOCKS_MAX = 3  # more district/band findings of one rule than this go into a table...
TABLE_COLUMNS_MAX = 7  # ...unless their evidence has more columns than fit a portrait page...
MESSAGES_MAX = 12  # a table of more findings than this prints no message rows
MATRIX_MAX = 6  # ...then up to this many side by side, a column each (RES-03, RES-04 by band)

SEVERITY_ORDER = ("error", "finding", "warning", "info")
SEVERITY_LABELS = {"error": "Errors", "finding": "Findings", "warning": "Warnings", "info": "Notes"}
# The areas of the decision page, in its order; each is a chapter of findings.
AREAS = (
    ("integration", "Integration", "How students are spread between the schools of each grade band."),
    ("proposed", "Proposed change", "The assignment change the district proposes (sheet Proposed), judged "
                                    "against today\u2019s schools."),
    ("lottery", "Lottery admissions", "Admission lotteries with two pools (sheet Lottery)."),
    ("resources", "Resource equity", "State and local staff and dollars across schools."),
    ("data", "Data", "Problems in the workbook and plausibility checks."),
)
_AREA_OF_RULE = {"INT-05": "proposed", "INT-06": "lottery"}


def area_of(rule: str) -> str:
    if rule in _AREA_OF_RULE:
        return _AREA_OF_RULE[rule]
    if rule.startswith("INT"):
        return "integration"
    if rule.startswith("RES"):
        return "resources"
    return "data"


def _review(ctx: ReportContext, index: int) -> str:
    review = ctx.review(index)
    if not review:
        return ""
    text = str(review.get("status", "")).capitalize()
    # The reviewer's note is free text like a comment: its numbers of students hidden the same way.
    return f"{text}: {scrub_small_counts(str(review['note']), ctx.min_cell)}" if review.get("note") else text


def _extremeness(code: str, evidence: dict[str, Any], mask: CellMask | None) -> float:
    """How far a finding is from its threshold (the registry's ``rank_by``), for choosing which
    to list when there are many.

    For a school whose share is hidden, only what its printed range allows is used (the
    distance of the range's nearer end from the reference), so being listed reveals nothing
    more than the range.
    """
    ranked = rank_field(code)
    if ranked is None:
        return 0.0
    key, spec = ranked
    group = spec.group_for(evidence, default_group(code))
    if spec.at_school and mask is not None and group and mask.is_hidden(group):
        rng = mask.share_range(group)
        reference = evidence.get(spec.reference) if spec.reference else None
        if rng is None or not isinstance(reference, (int, float)):
            return 0.0
        lo, hi = rng
        return 0.0 if lo <= reference <= hi else min(abs(lo - reference), abs(hi - reference))
    value = evidence.get(key)
    return abs(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _select(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """All of them if few; else the reviewed ones and the most extreme, most extreme first."""
    if len(items) <= TABLE_MAX:
        return items, 0
    reviewed = [e for e in items if e["review"]]
    rest = sorted((e for e in items if not e["review"]), key=lambda e: (-e["extremeness"], e["number"]))
    chosen = reviewed + rest[: max(0, TABLE_MAX - len(reviewed))]
    # Listed in finding order: an order by exact distance would rank hidden shares among exact ones.
    return sorted(chosen, key=lambda e: e["number"]), len(items) - len(chosen)


_NUMERIC_START = frozenset("0123456789<>$\u2212+*\u00b1-")


def _table(listed: list[dict[str, Any]], light: list[dict[str, Any]], first: str, has_reviews: bool
           ) -> dict[str, Any]:
    """One table for many findings of a rule: evidence columns, threshold, optional review.

    ``listed`` are the full entries printed; ``light`` every finding of the table (for the counts).
    """
    columns: list[str] = []
    for e in listed:
        for label, _ in [*e["values"], *(pair for sub in e["records"] for pair in sub)]:
            if label not in columns and label != "Band":
                columns.append(label)
    rows = [_table_row(e, columns) for e in listed]
    omitted = len(light) - len(listed)
    if omitted:
        _fold_subrows(rows, columns)
    numeric = [all((cells[j] or "0")[:1] in _NUMERIC_START for r in rows for cells in (r["cells"], *r["subrows"]))
               for j in range(len(columns))]
    columns, numeric, common = _drop_constant(rows, columns, numeric)
    for r in rows:
        r["typed"] = list(zip(r["cells"], numeric))
        r["subtyped"] = [list(zip(sub, numeric)) for sub in r["subrows"]]
    by_band = Counter(e["band_key"] or "district" for e in light)
    order = ("elementary", "middle", "high", "district")
    return {
        "first": first, "columns": columns, "header": list(zip(columns, numeric)), "rows": rows, "common": common,
        # A message restates its row in words: worth it for a short table, not for a long one.
        "with_message": not omitted and len(rows) <= MESSAGES_MAX, "with_review": has_reviews,
        "span": len(columns) + 2,
        "total": len(light), "omitted": omitted,
        "by_band": ", ".join(f"{band_short(b).lower()} {n:,}" for b, n in
                             sorted(by_band.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 9)),
    }


def _drop_constant(rows: list[dict[str, Any]], columns: list[str], numeric: list[bool]
                   ) -> tuple[list[str], list[bool], str]:
    """Text columns with one value in every row leave the table for its caption ("Group: ED")."""
    same = [j for j in range(len(columns)) if len(rows) > 1 and not numeric[j]
            and len({cells[j] for r in rows for cells in (r["cells"], *r["subrows"])}) == 1 and rows[0]["cells"][j]]
    if not same:
        return columns, numeric, ""
    common = "; ".join(f"{columns[j].lower()}: {rows[0]['cells'][j]}" for j in same)
    keep = [j for j in range(len(columns)) if j not in same]
    for r in rows:
        r["cells"] = [r["cells"][j] for j in keep]
        r["subrows"] = [[sub[j] for j in keep] for sub in r["subrows"]]
    return [columns[j] for j in keep], [numeric[j] for j in keep], common


def _fold_subrows(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """In a table that lists a selection, the other deviating groups of a row are named, not tabled:
    a summary of a large district reads one line per school (the findings export has the numbers)."""
    group = columns.index("Group") if "Group" in columns else None
    for r in rows:
        if group is not None and r["subrows"]:
            r["also"] = ", ".join(sub[group] for sub in r["subrows"])
        r["subrows"] = []


def _table_row(e: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    vals = dict(e["values"])
    # INT-01 lists every deviating group; the headline group is already the row itself
    subs = [sub for sub in (dict(r) for r in e["records"]) if any(vals.get(k) != v for k, v in sub.items())]
    return {
        "number": e["number"], "severity": e["severity"], "school": e["scope_label"],
        "band": e["band"].split(" (")[0] or "District",
        "cells": [vals.get(c, "") for c in columns],
        "subrows": [[sub.get(c, "") for c in columns] for sub in subs],
        "threshold": _threshold_cell(e["thresholds"]),
        "message": e["message"], "review": e["review"],
    }


def _threshold_cell(thresholds: list[tuple[str, str]]) -> str:
    """The threshold a row was held to: the one named "Threshold" if the rule gives it, else all."""
    named = [v for k, v in thresholds if k == "Threshold"]
    if named:
        return named[0]
    return "; ".join(v if len(thresholds) == 1 else f"{k} {v}" for k, v in thresholds) or "\u2014"


def _width(entries: list[dict[str, Any]]) -> int:
    return len({label for e in entries for label, _ in e["values"]} - {"Band"})


class _Entries:
    """A rule's findings as the template prints them; built in full only for the findings printed."""

    def __init__(self, ctx: ReportContext, schools: dict[str, SchoolInfo]) -> None:
        self.ctx, self.schools = ctx, schools
        self.names = {s.school_id: s.name for s in schools.values()}
        self.also = repeated_by(ctx)

    def _mask(self, f: dict[str, Any]) -> CellMask | None:
        school = self.schools.get(str(f.get("school_id"))) if f.get("school_id") else None
        return finding_mask(f, school.mask if school else None, self.ctx.min_cell)

    def light(self, i: int, f: dict[str, Any]) -> dict[str, Any]:
        """What choosing which findings to list needs: cheap, for thousands of findings."""
        code = str(f.get("rule") or "UNKNOWN")
        return {"index": i, "finding": f, "number": i + 1, "review": _review(self.ctx, i),
                "extremeness": _extremeness(code, evidence_of(f), self._mask(f)),
                "band_key": f.get("band"), "about_school": bool(f.get("school_id"))}

    def full(self, light: dict[str, Any]) -> dict[str, Any]:
        """One finding as printed, its numbers through its school's or lottery's mask."""
        i, f = light["index"], light["finding"]
        evidence = evidence_of(f)
        mask = self._mask(f)
        ev = EvidenceFormatter(mask, self.ctx.min_cell, str(f.get("rule") or "UNKNOWN"), names=self.names)
        values, thresholds = ev.rows(evidence)
        return {**light, "severity": f.get("severity") or "finding", "scope_label": self._label(i, f),
                "band": fmt.band_label(f.get("band")) if f.get("band") else "",
                "message": scrub_text(str(f.get("message") or ""), mask),
                "values": values, "records": ev.records(evidence), "thresholds": thresholds}

    def _label(self, i: int, f: dict[str, Any]) -> str:
        label = finding_label(f, self.schools)
        if i not in self.also:
            return label
        numbers = " and ".join(str(j + 1) for j in self.also[i])
        return f"{label} (also finding {numbers})"


def _matrix(full: list[dict[str, Any]]) -> dict[str, Any]:
    """District and band findings of one rule side by side: a column per finding, a row per evidence value."""
    labels: list[tuple[str, bool]] = []
    for e in full:
        for label, _ in e["values"]:
            if (label, False) not in labels:
                labels.append((label, False))
    for e in full:
        for label, _ in e["thresholds"]:
            if (label, True) not in labels:
                labels.append((label, True))
    cells = [{**dict(e["values"]), **{(k, True): v for k, v in e["thresholds"]}} for e in full]
    rows = [{"label": label, "threshold": thr,
             "cells": [c.get((label, True) if thr else label, "\u2014") for c in cells]} for label, thr in labels]
    return {"columns": [{"number": e["number"], "label": e["scope_label"], "severity": e["severity"],
                         "review": e["review"]} for e in full],
            "rows": rows, "messages": [(e["number"], e["message"]) for e in full]}


def _blocks_and_tables(entries: _Entries, light: list[dict[str, Any]], has_reviews: bool
                       ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """A rule's findings as blocks (one, or too wide and too many for anything else), matrices
    (a few district and band findings side by side) and tables (many)."""
    tables, blocks, matrices = [], [], []
    for first, items in (("School", [e for e in light if e["about_school"]]),
                         ("Scope", [e for e in light if not e["about_school"]])):
        if not items:
            continue
        listed, _ = _select(items)
        full = [entries.full(e) for e in listed]
        wide = _width(full) > TABLE_COLUMNS_MAX
        if first == "Scope" and 2 <= len(items) <= MATRIX_MAX and (wide or len(items) <= BLOCKS_MAX):
            matrices.append(_matrix(full))
        elif (first == "Scope" and len(items) <= BLOCKS_MAX) or (len(items) <= TABLE_MAX and wide):
            blocks.extend(full)  # one finding, or wide evidence: a block each reads better than a cramped table
        else:
            tables.append(_table(full, items, first, has_reviews))
    blocks.sort(key=lambda e: e["number"])
    return blocks, tables, matrices


def _actions_of(plan: list[dict[str, Any]], mine: set[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """The plan's actions a rule's findings lead to, each once, with the bands concerned."""
    out = []
    for action in plan:
        parts = [p for p in action["parts"] if p["key"] in mine]
        if parts:
            bands = [p["band"] for p in parts if p["band"]]
            out.append({"number": action["number"], "anchor": parts[0]["anchor"], "title": action["title"],
                        "band": " and ".join(bands)})
    return out


def _repeats_note(ctx: ReportContext, band_indices: list[int]) -> str:
    """Why a band's findings are not printed: they are the district's, word for word."""
    if not band_indices:
        return ""
    findings = ctx.evaluation["findings"]
    bands = sorted({band_short(findings[j].get("band")).lower() for j in band_indices})
    numbers = ", ".join(str(j + 1) for j in sorted(band_indices))
    return (f"The {' and '.join(bands)} band{'s' if len(bands) > 1 else ''} gave the same numbers as the district "
            f"(findings {numbers}): each is printed once, as the district\u2019s.")


def rule_sections(ctx: ReportContext, schools: dict[str, SchoolInfo], plan: list[dict[str, Any]]
                  ) -> dict[str, list[dict[str, Any]]]:
    """Per area key, one section per rule (in code order) with its findings and recommendations."""
    by_rule: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for i, f in distinct_findings(ctx):
        by_rule[str(f.get("rule") or "UNKNOWN")].append((i, f))
    entries = _Entries(ctx, schools)
    areas: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for code in sorted(by_rule):
        items = by_rule[code]
        blocks, tables, matrices = _blocks_and_tables(entries, [entries.light(i, f) for i, f in items],
                                                      bool(ctx.finding_reviews))
        severities = Counter(f.get("severity") or "finding" for _, f in items)
        mine = {advice_key(rec, f.get("band")) for _, f in items for rec in f.get("recommendations") or []}
        also = [j for i, _ in items for j in entries.also.get(i, [])]
        actions = _actions_of(plan, mine)
        areas[area_of(code)].append({
            "code": code,
            "anchor": "rule-" + code.lower(),
            "name": rule_name(code),
            "threshold": threshold_text(code, ctx.rule_params),
            "counts": ", ".join(f"{severities[s]} {SEVERITY_LABELS[s].lower() if severities[s] != 1 else s}"
                                 for s in SEVERITY_ORDER if severities[s]),
            "blocks": blocks,
            "tables": tables,
            "matrices": matrices,
            "repeats": _repeats_note(ctx, also),
            "actions": actions,
        })
    return areas
