"""Turn a ReportContext into the plain view model the template prints.

All decisions (what to say, how to round, what to suppress, when to summarize) are made
here in Python; the template only lays things out. Every school-level number goes
through the school's ``CellMask`` (suppression.py) before it becomes text.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
import json
import re
from typing import Any

from compliance.rules import ruleset
from compliance.rules.model import RACE_GROUPS, SchoolRow

from . import charts
from . import formatting as fmt
from .context import ReportContext
from .suppression import (
    CellMask,
    mask_counts,
    rule_description,
    scrub_small_counts,
    scrub_text,
    suppress_count,
    suppress_school,
)

# Above this many schools the data appendix gives band summaries, not every school (the
# per-school export has them all): a 2,000-row table is unreadable in print, and laying
# it out costs more than the rest of the report together (bench/report.py).
FULL_TABLE_MAX = 250
# A rule with more school findings than this lists the reviewed ones and the most extreme
# ones up to this many, with a count per band; the findings export lists them all.
TABLE_MAX = 40
MAX_PROBLEMS = 200

SEVERITY_ORDER = ("error", "finding", "warning", "info")
SEVERITY_LABELS = {"error": "Errors", "finding": "Findings", "warning": "Warnings", "info": "Notes"}
AREAS = (
    ("integration", "Integration", "Assignment policies and how students are spread between schools."),
    ("resources", "Resource equity", "State and local staff and dollars across schools."),
    ("data", "Data", "Problems in the workbook and plausibility checks."),
)
RULE_NAMES = {
    "INT-01": "Racially identifiable schools",
    "INT-02": "Intensely segregated schools",
    "INT-03": "Economically identifiable schools",
    "INT-04": "District evenness (dissimilarity)",
    "INT-05": "Proposed assignment change",
    "INT-06": "Socioeconomic lottery",
    "RES-01": "Comparability of staff",
    "RES-02": "Comparability of spending",
    "RES-03": "Progressivity of spending",
    "RES-04": "Teacher equity",
    "RES-05": "Horizontal equity of spending",
}
SHORT_GROUPS = {
    "hispanic": "Hisp.",
    "american_indian": "Am. Ind.",
    "asian": "Asian",
    "black": "Black",
    "pacific_islander": "Pac. Isl.",
    "white": "White",
    "two_or_more": "Two+",
}
STUDENT_COUNT_KEYS = set(RACE_GROUPS) | {
    "students_of_color", "ed", "econ_disadvantaged", "not_ed", "enrollment", "enrollment_total",
    "students", "count", "n", "english_learners", "students_with_disabilities",
}
THRESHOLD_WORDS = ("threshold", "limit", "tolerance", "target", "max_", "min_", "allowed")


def area_of(rule: str) -> str:
    if rule.startswith("INT"):
        return "integration"
    if rule.startswith("RES"):
        return "resources"
    return "data"


# ---------------------------------------------------------------- evidence formatting

def _is_student_count(key: str) -> bool:
    k = key.lower()
    if "school" in k or "flagged" in k or "rule" in k or "seat" in k:
        return False
    return (
        k in STUDENT_COUNT_KEYS
        or k.endswith(("_count", "_students", "_enrollment"))
        or k.startswith(("applicants", "admitted", "unadmitted", "count_"))
    )


def _group_in_key(key: str) -> str | None:
    k = key.lower()
    for group in ("students_of_color", "not_ed", "econ_disadvantaged", *RACE_GROUPS):
        if group in k:
            return group
    if k == "ed" or k.startswith("ed_") or k.endswith("_ed") or "_ed_" in k:
        return "econ_disadvantaged"
    return None


def _is_threshold(key: str) -> bool:
    k = key.lower()
    return any(w in k for w in THRESHOLD_WORDS) or k.endswith("_at") or k in ("band_width", "width", "band")


MONEY_WORDS = ("ppe", "expenditure", "spending", "dollar", "cost", "usd", "amount", "budget", "per_pupil")
INDEX_LABELS = {
    "multigroup": "multigroup D (race)", "black_white": "D, Black vs white", "hispanic_white": "D, Hispanic vs white",
    "students_of_color_white": "D, students of color vs white", "ed_not_ed": "D, ED vs not ED",
    "flagged_schools": "identifiable or segregated schools",
}


@dataclass
class EvidenceFormatter:
    """Formats one finding's evidence; knows the school's mask when the finding is about one.

    Units come from the key's name (share, gap, ppe, fte, ...), as the rules name them;
    anything about a school's students goes through the school's ``CellMask``.
    """

    mask: CellMask | None
    min_cell: int
    default_group: str | None = None
    suppress: bool = True
    names: dict[str, str] = field(default_factory=dict)  # school_id -> name
    about_shares: bool = False  # the evidence compares shares: bare tolerances are points
    money_context: bool = False  # the evidence is about dollars: a bare threshold is dollars

    def _cell(self, k: str, context_group: str | None) -> str | None:
        if self.mask is not None:
            for candidate in (k, k.removesuffix("_share"), k.removesuffix("_count")):
                if candidate in self.mask.counts:
                    return candidate
        return _group_in_key(k) or context_group or self.default_group

    def value(self, key: str, value: Any, context_group: str | None = None) -> str:
        k = key.lower()
        if value is None:
            return fmt.NA
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, str):
            if value in self.names and (k in ("from", "to") or "school" in k):
                return self.names[value]
            if value in fmt.GROUP_LABELS:
                return fmt.group_label(value)
            if value in INDEX_LABELS:
                return INDEX_LABELS[value]
            if re.fullmatch(r"[a-z0-9]+(?:_[a-z0-9]+)+", value):  # a code such as non_title_i
                return fmt.humanize(value).lower().replace("title i", "Title I")
            return value
        if isinstance(value, dict):
            group = value.get("group") if isinstance(value.get("group"), str) else context_group
            # children take their unit from the parent's name ("band_share": {"black": 0.4})
            return "; ".join(
                f"{self.names.get(k2) or (fmt.group_label(k2).capitalize() if k2 in fmt.GROUP_LABELS else fmt.humanize(k2))}: "
                f"{self.value(k2 if _has_unit(k2) else f'{k}_{k2}', v2, group)}"
                for k2, v2 in value.items()
            )
        if isinstance(value, (list, tuple)):
            items = [self.value(key, v, context_group) for v in value[:12]]
            more = len(value) - len(items)
            sep = " | " if any(isinstance(v, dict) for v in value) else ", "
            return sep.join(items) + (f"{sep}and {more} more" if more > 0 else "")
        if not isinstance(value, (int, float)):
            return str(value)
        cell = self._cell(k, context_group)
        if "share" in k or "rate" in k or k == "proportion":
            about_school = not any(w in k for w in ("band", "district", "target", "threshold", "mean", "quartile",
                                                    "proposed", "after"))
            if self.suppress and self.mask is not None and about_school and cell and self.mask.is_hidden(cell):
                return self.mask.share(cell, 1)
            return fmt.pct(value)
        if any(w in k for w in ("gap", "difference", "deviation", "diff", "points")):
            if self.suppress and self.mask is not None and cell and self.mask.is_hidden(cell) \
                    and not any(w in k for w in ("band", "district", "quartile")):
                return "*"  # the school's share is hidden: its distance to the band share would give it away
            return fmt.points(value, signed=any(w in k for w in ("difference", "deviation", "diff")))
        if k == "change" or k.endswith("_change"):
            return (f"{value:+,}" if isinstance(value, int) else f"{value:+.3f}").replace("-", "\u2212")
        if k in ("band", "band_width", "width", "tolerance") or k.endswith("_tolerance"):
            if isinstance(value, int):
                return f"\u00b1{value}"
            return "\u00b1" + fmt.points(value) if self.about_shares else "\u00b1" + fmt.index(value)
        if any(w in k for w in MONEY_WORDS) or k in ("p5", "p50", "p95") \
                or (self.money_context and k == "threshold"):
            return fmt.money(value)
        if "fte" in k:
            return fmt.number(value, 1)
        if isinstance(value, int):
            if self.suppress and _is_student_count(k):
                if self.mask is not None and cell in self.mask.counts and self.mask.counts[cell] == value:
                    return self.mask.count(cell)
                return suppress_count(value, self.min_cell)
            return f"{value:,}"
        if abs(value) < 10:
            return fmt.index(value)
        return fmt.number(value)

    def rows(self, evidence: dict[str, Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(measure rows, threshold rows), labels humanized, values formatted; lists of dicts left out."""
        group = evidence.get("group") if isinstance(evidence.get("group"), str) else None
        self.about_shares = any("share" in k.lower() for k in evidence)
        self.money_context = any(any(w in k.lower() for w in MONEY_WORDS) for k in evidence)
        values, thresholds = [], []
        for key, value in evidence.items():
            if key in ("school_id", "school_name") or _is_record_list(value):
                continue
            is_threshold = _is_threshold(key) and not isinstance(value, str)
            if (is_threshold and self.about_shares and "ratio" not in key
                    and key not in ("band", "band_width", "tolerance")
                    and isinstance(value, (int, float)) and 0 <= value <= 1):
                text = fmt.pct(value)  # a share threshold (INT-02's 90%), not an index
            else:
                text = self.value(key, value, group)
            (thresholds if is_threshold else values).append((fmt.humanize(key), text))
        return values, thresholds

    def records(self, evidence: dict[str, Any]) -> list[list[tuple[str, str]]]:
        """Lists of dicts in the evidence (INT-01's "deviations"): one row of (label, value) each."""
        out = []
        for value in evidence.values():
            if _is_record_list(value):
                for record in value:
                    sub = EvidenceFormatter(self.mask, self.min_cell, self.default_group, self.suppress, self.names)
                    out.append(sub.rows(record)[0])
        return out


def _has_unit(key: str) -> bool:
    k = key.lower()
    return k.endswith("students") or any(w in k for w in ("share", "rate", "gap", "difference", "fte", "enrollment",
                                                          *MONEY_WORDS))


def _is_record_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def finding_for_export(finding: dict[str, Any], mask: CellMask | None, min_cell: int) -> dict[str, str]:
    """One finding as printable text (message and evidence suppressed like the PDF), for CSV exports.

    ``mask`` is the school's (``suppress_school(row, min_cell)``) for a school finding, else None.
    """
    group = {"INT-03": "econ_disadvantaged", "INT-01": "students_of_color", "INT-02": "students_of_color"}.get(
        str(finding.get("rule")))
    evidence = finding.get("evidence") if isinstance(finding.get("evidence"), dict) else {}
    if finding.get("scope") == "lottery":
        mask = _lottery_mask(evidence, min_cell)
    ev = EvidenceFormatter(mask, min_cell, group)
    values, thresholds = ev.rows(evidence)
    values += [(label, "; ".join(f"{k} {v}" for k, v in record)) for label, record in
               (("Also", r) for r in ev.records(evidence))]
    return {
        "rule": str(finding.get("rule") or ""),
        "severity": str(finding.get("severity") or ""),
        "school_id": str(finding.get("school_id") or ""),
        "band": str(finding.get("band") or ""),
        "message": scrub_text(str(finding.get("message") or ""), mask),
        "evidence": "; ".join(f"{k}: {v}" for k, v in values),
        "threshold": "; ".join(f"{k}: {v}" for k, v in thresholds),
    }


# ---------------------------------------------------------------- thresholds of the rule set

def threshold_text(code: str, params: dict[str, Any]) -> str:
    p = ruleset.section(params, code) if code in ruleset.DEFAULT_PARAMS else {}
    if not p:
        return ""
    pts = lambda v: f"{v * 100:g}"  # noqa: E731 - fractions to points
    texts = {
        "INT-01": lambda: f"a school's share of students of color within \u00b1{pts(p['band'])} points of its grade band's share; "
                          f"also each race group with a band share of at least {pts(p['single_group_min_band_share'])}%",
        "INT-02": lambda: f"students of color, and each race group, below {pts(p['threshold'])}% of a school's enrollment",
        "INT-03": lambda: f"a school's ED share within \u00b1{pts(p['band'])} points of its grade band's ED share",
        "INT-04": lambda: f"dissimilarity below {p['warning_at']:g}; warning from {p['warning_at']:g} (moderate), finding from {p['finding_at']:g} (high)",
        "INT-05": lambda: f"no rise in multigroup D or ED D of more than {p['tolerance']:g}, nor in the number of flagged schools",
        "INT-06": lambda: f"admitted ED share within \u00b1{pts(p['tolerance'])} points of the target; no empty seat while a pool waits",
        "RES-01": lambda: f"each Title I school's students per teacher at most {pts(p['limit'])}% of the non-Title I pooled ratio of its band "
                          f"(schools under {p['min_enrollment']} students exempt)",
        "RES-02": lambda: f"each Title I school's per-pupil spending at least {pts(p['limit'])}% of the non-Title I pooled figure of its band "
                          f"(schools under {p['min_enrollment']} students exempt)",
        "RES-03": lambda: f"highest- over lowest-poverty quartile spending per pupil at least {p['min_ratio']:.2f}",
        "RES-04": lambda: f"inexperienced-teacher rate gap at most {pts(p['max_gap'])} points",
        "RES-05": lambda: f"CV at most {p['max_cv']:g}, McLoone at least {p['min_mcloone']:g}, federal range ratio at most {p['max_range_ratio']:g}",
        "PLAUSIBILITY": lambda: f"enrollment change at most {pts(p['max_enrollment_change'])}%; spending per pupil at most {p['max_ppe_over_median']:g} times the median",
        "PRIVACY": lambda: f"counts below {p['min_cell']} students suppressed",
    }
    text = texts.get(code, lambda: "")()
    if text and p.get("enabled") is False:
        text += " (rule turned off in this rule set)"
    elif text and p.get("severity"):
        text += f"; severity {p['severity']}"
    return text


# ---------------------------------------------------------------- view model

@dataclass
class SchoolInfo:
    school_id: str
    name: str
    band: str | None
    mask: CellMask | None
    measures: dict[str, Any]


def _reconstruct_mask(m: dict[str, Any], min_cell: int) -> CellMask | None:
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
    return mask_counts(counts, min_cell)


def _schools(ctx: ReportContext) -> dict[str, SchoolInfo]:
    measures = {s.get("school_id"): s for s in (ctx.evaluation.get("measures") or {}).get("schools") or []}
    rows: dict[str, SchoolRow] = {r.school_id: r for r in ctx.schools}
    out: dict[str, SchoolInfo] = {}
    for sid in list(rows) + [s for s in measures if s not in rows]:
        row, m = rows.get(sid), measures.get(sid) or {}
        mask = suppress_school(row, ctx.min_cell) if row else _reconstruct_mask(m, ctx.min_cell)
        name = (row.school_name if row else None) or m.get("school_name") or str(sid)
        band = m.get("band") or (row.band if row else None)
        out[str(sid)] = SchoolInfo(str(sid), name, band, mask, m)
    return out


def _finding_label(f: dict[str, Any], schools: dict[str, SchoolInfo]) -> str:
    if f.get("school_id") and str(f["school_id"]) in schools:
        return schools[str(f["school_id"])].name
    if f.get("school_id"):
        return str(f["school_id"])
    if f.get("band"):
        return fmt.band_label(f["band"])
    return "District"


def _review(ctx: ReportContext, index: int) -> str:
    review = ctx.finding_reviews.get(index) or ctx.finding_reviews.get(str(index))  # type: ignore[call-overload]
    if not review:
        return ""
    text = str(review.get("status", "")).capitalize()
    return f"{text}: {review['note']}" if review.get("note") else text


REC_BLOCKS_MAX = 12  # recommendation blocks printed per rule; the export has the rest
REC_MEMBERS_MAX = 12  # school-specific lines printed per block


def _split_body(body: str, min_cell: int) -> tuple[str, str]:
    """(general advice, the finding-specific estimate sentence(s)), split at "Estimate:"."""
    head, sep, tail = scrub_small_counts(body, min_cell).partition("Estimate:")
    return head.strip(), (sep + tail).strip() if sep else ""


def _recommendations(items: list[tuple[str, str | None, dict[str, Any]]], est: EvidenceFormatter
                     ) -> tuple[list[dict[str, Any]], int]:
    """A rule's recommendations, one block per (recommendation, grade band).

    What all findings of a block share (the advice, the band's remedy estimate) is printed
    once; what differs (a school's own estimate) is listed by school. Returns the blocks and
    how many were left out.
    """
    groups: dict[tuple[str, str, str], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for label, band, rec in items:
        key = (str(rec.get("key") or ""), str(rec.get("title") or ""), band or "")
        groups[key].append((label, rec))
    blocks = []
    for (key, title, band), members in groups.items():
        labels = list(dict.fromkeys(label for label, _ in members))
        bodies = [_split_body(str(rec.get("body") or ""), est.min_cell) for _, rec in members]
        general = bodies[0][0] if all(b[0] == bodies[0][0] for b in bodies) else ""
        specifics = list(dict.fromkeys((label, b[1]) for (label, _), b in zip(members, bodies) if b[1]))
        estimates = [rec.get("estimate") if isinstance(rec.get("estimate"), dict) else {} for _, rec in members]
        keys = list(dict.fromkeys(k for e in estimates for k in e))
        common = {k: estimates[0].get(k) for k in keys
                  if all(json.dumps(e.get(k), sort_keys=True, default=str) ==
                         json.dumps(estimates[0].get(k), sort_keys=True, default=str) for e in estimates)}
        varying = [k for k in keys if k not in common and k not in ("school_id", "band")]
        one_specific = len({text for _, text in specifics}) == 1
        block = {
            "title": title or fmt.humanize(key),
            "band": fmt.band_label(band).split(" (")[0].lower() if band else "",
            "applies_to": ", ".join(labels[:10]) + (f" and {len(labels) - 10} more" if len(labels) > 10 else ""),
            "paragraphs": [p.strip() for p in general.split("\n\n") if p.strip()] if general else [],
            "specifics": [] if one_specific else [{"label": lbl, "text": text} for lbl, text in specifics[:REC_MEMBERS_MAX]],
            "specifics_more": 0 if one_specific else max(0, len(specifics) - REC_MEMBERS_MAX),
            "sources": [str(x) for x in members[0][1].get("sources") or []],
            "estimate": _estimate(common, est),
            "sig": json.dumps([key, title, general, common], sort_keys=True, default=str),
        }
        if one_specific and specifics:
            block["paragraphs"].append(specifics[0][1])
        if not general and not specifics:  # bodies differ with no estimate sentence: list them all
            block["specifics"] = [{"label": lbl, "text": scrub_small_counts(str(rec.get("body") or ""), est.min_cell)}
                                  for lbl, rec in members[:REC_MEMBERS_MAX]]
        if varying and not block["specifics"]:  # e.g. each school's enrollment after the band's reassignment
            block["by_school"] = {
                "columns": [fmt.humanize(k) for k in varying],
                "rows": [(label, [est.value(k, e.get(k)) for k in varying])
                         for (label, _), e in list(zip(members, estimates))[:REC_MEMBERS_MAX]],
            }
        blocks.append(block)
    return blocks[:REC_BLOCKS_MAX], max(0, len(blocks) - REC_BLOCKS_MAX)


def _estimate(estimate: Any, est: EvidenceFormatter) -> dict[str, Any] | None:
    """A remedy estimate: scalar rows, tables for lists of records, the method as a note."""
    if not estimate:
        return None
    if not isinstance(estimate, dict):
        return {"rows": [("Estimate", str(estimate))], "tables": [], "method": ""}
    rows, tables = [], []
    for key, value in estimate.items():
        if key in ("method", "school_id", "band"):  # the method is a note; school and band head the block
            continue
        if _is_record_list(value):
            columns = list(dict.fromkeys(k for record in value for k in record))
            tables.append({
                "caption": fmt.humanize(key),
                "columns": [fmt.humanize(c) for c in columns],
                "rows": [[est.value(c, record.get(c)) for c in columns] for record in value[:12]],
            })
        else:
            rows.append((fmt.humanize(key), est.value(key, value)))
    return {"rows": rows, "tables": tables, "method": str(estimate.get("method") or "")}


def _lottery_mask(evidence: dict[str, Any], min_cell: int) -> CellMask | None:
    """A lottery's applicant and admission counts, suppressed like a school's cells."""
    counts = {k: v for k, v in evidence.items()
              if isinstance(v, int) and not isinstance(v, bool) and _is_student_count(k)}
    if "admitted_ed" not in counts or "admitted_non_ed" not in counts:
        return None
    counts["enrollment_total"] = counts["admitted_ed"] + counts["admitted_non_ed"]
    return mask_counts(counts, min_cell)


def _extremeness(evidence: dict[str, Any], mask: CellMask | None, group: str | None) -> float:
    """How far a finding is from its threshold, for choosing which to list when there are many.

    For a school whose share is hidden, only what its printed range allows is used (the
    distance of the range's nearer end), so being listed reveals nothing more than the range.
    """
    if mask is not None and group and mask.is_hidden(group):
        rng, band_share = mask.share_range(group), evidence.get("band_share")
        if rng is None or not isinstance(band_share, (int, float)):
            return 0.0
        lo, hi = rng
        return 0.0 if lo <= band_share <= hi else min(abs(lo - band_share), abs(hi - band_share))
    for key in ("difference", "deviation", "gap", "ratio", "school_share", "value"):
        value = evidence.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return abs(value - 1) if key == "ratio" else abs(value)
    return 0.0


def _select(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """All of them if few; else the reviewed ones and the most extreme, most extreme first."""
    if len(items) <= TABLE_MAX:
        return items, 0
    reviewed = [e for e in items if e["review"]]
    rest = sorted((e for e in items if not e["review"]), key=lambda e: (-e["extremeness"], e["number"]))
    chosen = reviewed + rest[: max(0, TABLE_MAX - len(reviewed))]
    # Listed in finding order: an order by exact distance would rank hidden shares among exact ones.
    return sorted(chosen, key=lambda e: e["number"]), len(items) - len(chosen)


def _table(entries: list[dict[str, Any]], first: str, has_reviews: bool) -> dict[str, Any]:
    """One table for many findings of a rule: evidence columns, threshold, optional review."""
    listed, omitted = _select(entries)
    columns: list[str] = []
    for e in listed:
        for label, _ in [*e["values"], *(pair for sub in e["records"] for pair in sub)]:
            if label not in columns and label != "Band":
                columns.append(label)
    rows = []
    for e in listed:
        vals = dict(e["values"])
        subs = [dict(sub) for sub in e["records"]]
        # INT-01 lists every deviating group; the headline group is already the row itself
        subs = [sub for sub in subs if any(vals.get(k) != v for k, v in sub.items())]
        rows.append({
            "number": e["number"], "severity": e["severity"], "school": e["scope_label"],
            "band": e["band"].split(" (")[0] or "District",
            "cells": [vals.get(c, "") for c in columns],
            "subrows": [[sub.get(c, "") for c in columns] for sub in subs],
            "threshold": _threshold_cell(e["thresholds"]),
            "message": e["message"], "review": e["review"],
        })
    numeric = [all((cells[j] or "0")[:1] in "0123456789<>$\u2212+*\u00b1-"
                   for r in rows for cells in (r["cells"], *r["subrows"])) for j in range(len(columns))]
    for r in rows:
        r["typed"] = list(zip(r["cells"], numeric))
        r["subtyped"] = [list(zip(sub, numeric)) for sub in r["subrows"]]
    by_band = Counter(e["band_key"] or "district" for e in entries)
    order = ("elementary", "middle", "high", "district")
    return {
        "first": first, "columns": columns, "header": list(zip(columns, numeric)), "rows": rows,
        "with_message": not omitted, "with_review": has_reviews, "span": len(columns) + 2 + has_reviews,
        "total": len(entries), "omitted": omitted,
        "by_band": ", ".join(f"{fmt.band_label(b).split(' (')[0].lower()} {n:,}"
                             for b, n in sorted(by_band.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 9)),
    }


def _threshold_cell(thresholds: list[tuple[str, str]]) -> str:
    """The threshold a row was held to: the one named "Threshold" if the rule gives it, else all."""
    named = [v for k, v in thresholds if k == "Threshold"]
    if named:
        return named[0]
    return "; ".join(v if len(thresholds) == 1 else f"{k} {v}" for k, v in thresholds) or "\u2014"


BLOCKS_MAX = 3  # more district/band findings of one rule than this go into a table...
TABLE_COLUMNS_MAX = 6  # ...unless their evidence has more columns than fit a portrait page


def _width(entries: list[dict[str, Any]]) -> int:
    return len({label for e in entries for label, _ in e["values"]} - {"Band"})


def _rule_sections(ctx: ReportContext, schools: dict[str, SchoolInfo]) -> dict[str, list[dict[str, Any]]]:
    findings = ctx.evaluation.get("findings") or []
    by_rule: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for i, f in enumerate(findings):
        by_rule[str(f.get("rule") or "UNKNOWN")].append((i, f))
    has_reviews = bool(ctx.finding_reviews)
    names = {s.school_id: s.name for s in schools.values()}
    areas: dict[str, list[dict[str, Any]]] = defaultdict(list)
    printed: dict[str, str] = {}  # recommendation signature -> rule code it is printed under
    default_groups = {"INT-03": "econ_disadvantaged", "INT-01": "students_of_color", "INT-02": "students_of_color"}
    for code in sorted(by_rule):
        items = by_rule[code]
        school_items, other_items, rec_items = [], [], []
        for i, f in items:
            evidence = f.get("evidence") if isinstance(f.get("evidence"), dict) else {}
            school = schools.get(str(f.get("school_id"))) if f.get("school_id") else None
            mask = _lottery_mask(evidence, ctx.min_cell) if f.get("scope") == "lottery" else (school.mask if school else None)
            group = evidence.get("group") if isinstance(evidence.get("group"), str) else default_groups.get(code)
            ev = EvidenceFormatter(mask, ctx.min_cell, default_groups.get(code), names=names)
            label = _finding_label(f, schools)
            for rec in f.get("recommendations") or []:
                rec_items.append((label, f.get("band"), rec))
            values, thresholds = ev.rows(evidence)
            entry = {
                "number": i + 1,
                "severity": f.get("severity") or "finding",
                "scope_label": label,
                "band": fmt.band_label(f.get("band")) if f.get("band") else "",
                "message": scrub_text(str(f.get("message") or ""), mask),
                "values": values,
                "records": ev.records(evidence),
                # INT-01's threshold list also carries the single-group cut-off: in the rule text already
                "thresholds": [t for t in thresholds if t[0] != "Single group min band share"],
                "review": _review(ctx, i),
                "extremeness": _extremeness(evidence, mask, group),
                "band_key": f.get("band"),
            }
            (school_items if f.get("school_id") else other_items).append(entry)
        tables, blocks = [], []
        for entries, first in ((school_items, "School"), (other_items, "Scope")):
            if not entries:
                continue
            # Few findings or a wide evidence: one block each reads better than a cramped table.
            few = first == "Scope" and len(entries) <= BLOCKS_MAX
            if few or (len(entries) <= TABLE_MAX and _width(entries) > TABLE_COLUMNS_MAX):
                blocks.extend(entries)
            else:
                tables.append(_table(entries, first, has_reviews))
        blocks.sort(key=lambda e: e["number"])
        severities = Counter(f.get("severity") or "finding" for _, f in items)
        est_fmt = EvidenceFormatter(None, ctx.min_cell, names=names)
        recs, recs_omitted = _recommendations(rec_items, est_fmt)
        for n, block in enumerate(recs):
            if block["sig"] in printed:  # the same advice under several rules: print it once, point to it
                recs[n] = {"title": block["title"], "band": block["band"], "see": printed[block["sig"]],
                           "applies_to": block["applies_to"]}
            else:
                printed[block["sig"]] = code
        areas[area_of(code)].append({
            "code": code,
            "anchor": "rule-" + code.lower(),
            "name": RULE_NAMES.get(code, "Data check" if area_of(code) == "data" else code),
            "threshold": threshold_text(code, ctx.rule_params),
            "counts": ", ".join(f"{severities[s]} {SEVERITY_LABELS[s].lower() if severities[s] != 1 else s}"
                                 for s in SEVERITY_ORDER if severities[s]),
            "blocks": blocks,
            "tables": tables,
            "recommendations": recs,
            "recommendations_omitted": recs_omitted,
        })
    return areas


def _problem_school(message: str, schools: dict[str, SchoolInfo]) -> SchoolInfo | None:
    """The school a plausibility message is about: the rules name it as "Name (school_id)"."""
    for sid, school in schools.items():
        if f"({sid})" in message or f"({sid}," in message:
            return school
    return None


def _problems(ctx: ReportContext, schools: dict[str, SchoolInfo]) -> dict[str, Any]:
    problems = ctx.evaluation.get("problems") or []
    rows = []
    for p in problems[:MAX_PROBLEMS]:
        value = p.get("value")
        column = str(p.get("column") or "")
        message = str(p.get("message") or "")
        shown = "" if value is None else str(value)
        school = _problem_school(message, schools)
        if school is not None:  # e.g. a Title I check quoting the school's ED share
            message = scrub_text(message, school.mask)
        if _is_student_count(column) and isinstance(value, (int, float)) and not isinstance(value, bool) \
                and 0 < value < ctx.min_cell:
            shown = f"<{ctx.min_cell}"
            mask = mask_counts({"enrollment_total": 10**9, column: int(value)}, ctx.min_cell)
            message = scrub_text(message, mask)
        rows.append({
            "code": p.get("code") or "", "severity": p.get("severity") or "", "sheet": p.get("sheet") or "",
            "row": p.get("row") or "", "column": column, "value": shown, "message": message,
            "fix": p.get("fix") or "",
        })
    counts = Counter(p.get("severity") for p in problems)
    return {"rows": rows, "total": len(problems), "more": max(0, len(problems) - MAX_PROBLEMS),
            "errors": counts.get("error", 0), "warnings": counts.get("warning", 0)}


def _measure_block(measures: dict[str, Any], band: str | None) -> dict[str, Any]:
    if band is None:
        return measures.get("district") or {}
    return (measures.get("bands") or {}).get(band) or {}


def _get(block: dict[str, Any], *path: str) -> Any:
    cur: Any = block
    for p in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


MEASURE_ROWS: list[tuple[str, tuple[str, ...], str]] = [
    ("Multigroup dissimilarity D (race)", ("dissimilarity", "multigroup"), "index"),
    ("D, students of color vs white", ("dissimilarity", "students_of_color_white"), "index"),
    ("D, Black vs white", ("dissimilarity", "black_white"), "index"),
    ("D, Hispanic vs white", ("dissimilarity", "hispanic_white"), "index"),
    ("D, ED vs not ED", ("dissimilarity", "ed_not_ed"), "index"),
    ("Theil's H (race)", ("theil_h",), "index"),
    ("Isolation, students of color", ("isolation", "students_of_color"), "index"),
    ("Isolation, ED", ("isolation", "ed"), "index"),
    ("Normalized exposure, students of color", ("normalized_exposure", "students_of_color"), "index"),
    ("Normalized exposure, ED", ("normalized_exposure", "ed"), "index"),
    ("Spending per pupil, pupil-weighted mean", ("resources", "ppe_mean"), "money"),
    ("Coefficient of variation (CV)", ("resources", "cv"), "index"),
    ("McLoone index", ("resources", "mcloone"), "index"),
    ("Verstegen index", ("resources", "verstegen"), "index"),
    ("Federal range ratio", ("resources", "federal_range_ratio"), "index"),
    ("Progressivity", ("resources", "progressivity"), "index"),
    ("Inexperienced-teacher gap, poverty quartiles", ("resources", "inexperienced_gap_poverty"), "points"),
    ("Inexperienced-teacher gap, students-of-color quartiles", ("resources", "inexperienced_gap_students_of_color"), "points"),
]
KEY_MEASURES = {0, 1, 4, 11, 12, 14, 15, 16}


def _fmt_measure(kind: str, value: Any) -> str:
    return {"index": fmt.index, "money": fmt.money, "points": fmt.points}[kind](value)


def _measures_table(ctx: ReportContext, only_key: bool) -> dict[str, Any]:
    measures = ctx.evaluation.get("measures") or {}
    bands = [b for b in ("elementary", "middle", "high") if (measures.get("bands") or {}).get(b)]
    columns = ["District"] + [fmt.band_label(b).split(" (")[0] for b in bands]
    proposed = measures.get("proposed") or None
    proposed_district = proposed.get("district", proposed) if isinstance(proposed, dict) else None
    if proposed_district:
        columns.append("Proposed (district)")
    rows = []
    for i, (label, path, kind) in enumerate(MEASURE_ROWS):
        if only_key and i not in KEY_MEASURES:
            continue
        cells = [_fmt_measure(kind, _get(_measure_block(measures, None), *path))]
        cells += [_fmt_measure(kind, _get(_measure_block(measures, b), *path)) for b in bands]
        if proposed_district:
            cells.append(_fmt_measure(kind, _get(proposed_district, *path)))
        rows.append({"label": label, "cells": cells})
    return {"columns": columns, "rows": rows}


def _band_width(ctx: ReportContext) -> float:
    return float(ruleset.section(ctx.rule_params, "INT-01")["band"])


def _charts(ctx: ReportContext, schools: dict[str, SchoolInfo]) -> dict[str, list[charts.Chart]]:
    """Charts by where they go: "summary", "integration", "resources"."""
    measures = ctx.evaluation.get("measures") or {}
    int04 = ruleset.section(ctx.rule_params, "INT-04")
    out: dict[str, list[charts.Chart]] = {"summary": [], "integration": [], "resources": []}
    rows = [("District", _get(measures.get("district") or {}, "dissimilarity", "multigroup"),
             _get(measures.get("district") or {}, "dissimilarity", "ed_not_ed"))]
    for b in ("elementary", "middle", "high"):
        block = (measures.get("bands") or {}).get(b)
        if block:
            rows.append((fmt.band_label(b).split(" (")[0], _get(block, "dissimilarity", "multigroup"),
                         _get(block, "dissimilarity", "ed_not_ed")))
    if any(r[1] is not None or r[2] is not None for r in rows):
        out["summary"].append(charts.dissimilarity_chart(rows, float(int04["warning_at"]), float(int04["finding_at"])))
    width = _band_width(ctx)
    for b in ("elementary", "middle", "high"):
        members = [s for s in schools.values() if s.band == b and s.mask is not None]
        band_share = _band_share(ctx, schools, b, "students_of_color")
        if not members or band_share is None:
            continue
        points, not_shown = [], 0
        for s in members:
            rng = s.mask.share_range("students_of_color")
            if rng is None:
                not_shown += 1
                continue
            points.append(charts.SharePoint(s.name, rng[0], rng[1], s.mask.share("students_of_color")))
        out["integration"].append(charts.composition_chart(b, band_share, width, points, not_shown))
    spend = []
    for s in schools.values():
        ppe = s.measures.get("ppe_state_local")
        if s.mask is None or not isinstance(ppe, (int, float)):
            continue
        rng = s.mask.share_range("econ_disadvantaged")
        if rng is None:
            continue
        spend.append(charts.SpendingPoint(s.name, charts.SharePoint(s.name, rng[0], rng[1], s.mask.share("ed")),
                                          float(ppe), s.mask.total))
    if spend:
        res = _get(measures.get("district") or {}, "resources") or {}
        out["resources"].append(charts.spending_chart(spend, res.get("ppe_mean"), res.get("progressivity")))
    return out


def _band_share(ctx: ReportContext, schools: dict[str, SchoolInfo], band: str, cell: str) -> float | None:
    """A band's pooled share, from raw counts (band-level shares are printed as computed)."""
    tot = num = 0
    for s in schools.values():
        if s.band == band and s.mask is not None:
            tot += s.mask.total
            num += s.mask.counts.get(cell, 0)
    return num / tot if tot else None


def _summary(ctx: ReportContext, schools: dict[str, SchoolInfo], problems: dict[str, Any]) -> dict[str, Any]:
    findings = ctx.evaluation.get("findings") or []
    counts = {a: Counter() for a, _, _ in AREAS}
    for f in findings:
        counts[area_of(str(f.get("rule") or ""))][f.get("severity") or "finding"] += 1
    counts["data"]["error"] += problems["errors"]
    counts["data"]["warning"] += problems["warnings"]
    table = [{"area": name, "cells": [counts[a][s] for s in SEVERITY_ORDER], "total": sum(counts[a].values())}
             for a, name, _ in AREAS]
    totals = [sum(counts[a][s] for a, _, _ in AREAS) for s in SEVERITY_ORDER]
    measures = ctx.evaluation.get("measures") or {}
    district = measures.get("district") or {}
    int04 = ruleset.section(ctx.rule_params, "INT-04")
    w, fnd = float(int04["warning_at"]), float(int04["finding_at"])
    sentences = []
    total_findings = totals[1]
    sentences.append(
        f"This report checks the {ctx.cycle} submission of {ctx.district_name} (version {ctx.submission_version}) "
        f"against the rule set \u201c{ctx.rule_set_name}\u201d, version {ctx.rule_set_version}. It records "
        f"{total_findings} finding{'s' if total_findings != 1 else ''} (noncompliance that needs a corrective action), "
        f"{totals[2]} warning{'s' if totals[2] != 1 else ''} (concerns the district must explain) and "
        f"{totals[3]} note{'s' if totals[3] != 1 else ''}."
    )
    if problems["errors"]:
        sentences.append(f"The workbook has {problems['errors']} blocking data error(s): the district must correct "
                         "them and resubmit before the results below can be relied on.")
    soc_d = _get(district, "dissimilarity", "students_of_color_white")
    multi = _get(district, "dissimilarity", "multigroup")
    if soc_d is not None:
        how = {"low": "only slightly", "moderate": "moderately", "high": "highly"}[fmt.reading_of_d(soc_d, w, fnd)]
        sentences.append(
            f"Students of color and white students are spread {how} unevenly across the district\u2019s schools "
            f"(dissimilarity {fmt.index(soc_d)}): about {soc_d * 100:.0f}% of either group would have to change "
            "schools for every school to mirror the district."
        )
    if multi is not None:
        sentences.append(f"Across all seven race groups the multigroup dissimilarity is {fmt.index(multi)}, "
                         f"a {fmt.reading_of_d(multi, w, fnd)} level on the usual reading (moderate from {w:g}, high from {fnd:g}).")
    flagged = {str(f.get("school_id")) for f in findings if f.get("rule") in ("INT-01", "INT-02", "INT-03")
               and f.get("school_id") and f.get("severity") in ("finding", "warning")}
    if schools:
        sentences.append(f"{len(flagged)} of {len(schools)} schools are racially or economically identifiable "
                         f"or intensely segregated under rules INT-01 to INT-03 "
                         f"(band \u00b1{_band_width(ctx) * 100:g} points).")
    res = district.get("resources") or {}
    prog = res.get("progressivity")
    if prog is not None:
        need = float(ruleset.section(ctx.rule_params, "RES-03")["min_ratio"])
        verdict = "meets" if prog >= need else "falls short of"
        sentences.append(f"Schools in the highest-poverty quarter receive ${prog:.2f} in state and local money "
                         f"per pupil for every $1.00 in the lowest-poverty quarter "
                         f"(progressivity {fmt.index(prog, 2)}), which {verdict} the required {need:.2f}.")
    if res.get("cv") is not None or res.get("mcloone") is not None:
        sentences.append(f"Spending per pupil averages {fmt.money(res.get('ppe_mean'))}, with a coefficient of variation "
                         f"of {fmt.index(res.get('cv'))} and a McLoone index of {fmt.index(res.get('mcloone'))}.")
    gap = res.get("inexperienced_gap_poverty")
    if gap is not None:
        sentences.append(f"The share of teachers in their first or second year is {fmt.points(abs(gap))} "
                         f"{'higher' if gap >= 0 else 'lower'} in the highest-poverty quarter of schools than in the "
                         "lowest-poverty quarter.")
    return {"table": table, "totals": totals, "grand_total": sum(totals), "headers": [SEVERITY_LABELS[s] for s in SEVERITY_ORDER],
            "sentences": sentences, "key_measures": _measures_table(ctx, only_key=True)}


def _data_appendix(ctx: ReportContext, schools: dict[str, SchoolInfo], flagged_rules: dict[str, list[str]]) -> dict[str, Any]:
    full = len(schools) <= FULL_TABLE_MAX
    chosen = list(schools.values()) if full else []
    order = {"elementary": 0, "middle": 1, "high": 2}
    chosen.sort(key=lambda s: (order.get(s.band or "", 3), s.name))
    rows = []
    for s in chosen:
        m, mask = s.measures, s.mask
        share = (lambda c: mask.share(c)) if mask else (lambda c: fmt.NA)  # noqa: E731
        rows.append({
            "name": s.name, "id": s.school_id, "band": {"elementary": "Elem.", "middle": "Mid.", "high": "High"}.get(s.band or "", ""),
            "enrollment": mask.count("enrollment_total") if mask else fmt.number(m.get("enrollment_total")),
            "soc": share("students_of_color"), "ed": share("econ_disadvantaged"),
            "groups": [share(g) for g in RACE_GROUPS],
            "ppe": fmt.money(m.get("ppe_state_local")),
            "spt": fmt.number(m.get("students_per_teacher"), 1),
            "rules": ", ".join(flagged_rules.get(s.school_id, [])),
        })
    measures = ctx.evaluation.get("measures") or {}
    width = _band_width(ctx)
    bands = []
    for b in ("elementary", "middle", "high"):
        members = [s for s in schools.values() if s.band == b and s.mask is not None]
        if not members:
            continue
        soc = _band_share(ctx, schools, b, "students_of_color")
        ed = _band_share(ctx, schools, b, "econ_disadvantaged")
        outside = sum(1 for s in members if soc is not None and (r := s.mask.share_range("students_of_color"))
                      and (r[1] < soc - width or r[0] > soc + width))
        res = _get(_measure_block(measures, b), "resources") or {}
        bands.append({
            "band": fmt.band_label(b), "schools": f"{len(members):,}",
            "enrollment": f"{sum(s.mask.total for s in members):,}",
            "soc": fmt.pct(soc), "ed": fmt.pct(ed), "outside": f"{outside:,}",
            "ppe": fmt.money(res.get("ppe_mean")),
            "p5": fmt.money(res.get("p5")), "p50": fmt.money(res.get("p50")), "p95": fmt.money(res.get("p95")),
        })
    return {"rows": rows, "full": full, "total": len(schools), "total_text": f"{len(schools):,}", "bands": bands,
            "group_headers": [SHORT_GROUPS[g] for g in RACE_GROUPS], "all_measures": _measures_table(ctx, only_key=False)}


def _suppression_summary(schools: dict[str, SchoolInfo]) -> str:
    masked = [s for s in schools.values() if s.mask is not None and s.mask.hidden]
    cells = sum(len(s.mask.hidden) for s in masked)  # type: ignore[union-attr]
    if not masked:
        return "No school in this submission has a count that needed suppression."
    return (f"In this report {cells} count(s) at {len(masked)} of {len(schools)} schools are suppressed "
            "(primary and complementary together).")


def _comments(ctx: ReportContext, schools: dict[str, SchoolInfo]) -> list[dict[str, str]]:
    findings = ctx.evaluation.get("findings") or []
    out = []
    for c in ctx.comments:
        ref, mask = "", None
        idx = c.get("finding")
        if isinstance(idx, int) and 0 <= idx < len(findings):
            f = findings[idx]
            ref = f"On finding {idx + 1} ({f.get('rule')}, {_finding_label(f, schools)})"
            if f.get("school_id") and str(f["school_id"]) in schools:
                mask = schools[str(f["school_id"])].mask
        out.append({"author": str(c.get("author") or ""), "when": fmt.when(c.get("created_at")), "ref": ref,
                    "paragraphs": [p for p in scrub_text(str(c.get("body") or ""), mask).split("\n\n") if p.strip()]})
    return out


def _methodology(ctx: ReportContext, schools: dict[str, SchoolInfo]) -> dict[str, Any]:
    thresholds = []
    for code in ruleset.DEFAULT_PARAMS:
        text = threshold_text(code, ctx.rule_params)
        if text:
            is_rule = code[:3] in ("INT", "RES")
            thresholds.append({"code": code if is_rule else "\u2014", "name": RULE_NAMES.get(code, code.capitalize()),
                               "text": text})
    return {
        "thresholds": thresholds,
        "suppression": rule_description(ctx.min_cell),
        "suppression_summary": _suppression_summary(schools),
        "min_cell": ctx.min_cell,
    }


@dataclass
class ReportView:
    title: str
    ctx: ReportContext
    cover: list[tuple[str, str]]
    summary: dict[str, Any]
    charts: dict[str, list[charts.Chart]]
    areas: list[dict[str, Any]]
    problems: dict[str, Any]
    methodology: dict[str, Any]
    data: dict[str, Any]
    decision: list[tuple[str, str]] | None
    comments: list[dict[str, str]] = field(default_factory=list)


def build_view(ctx: ReportContext) -> ReportView:
    schools = _schools(ctx)
    problems = _problems(ctx, schools)
    by_area = _rule_sections(ctx, schools)
    flagged: dict[str, list[str]] = defaultdict(list)
    for f in ctx.evaluation.get("findings") or []:
        sid = f.get("school_id")
        if sid and f.get("rule") not in flagged[str(sid)]:
            flagged[str(sid)].append(str(f.get("rule")))
    figures = _charts(ctx, schools)
    areas = []
    for key, name, blurb in AREAS:
        areas.append({"key": key, "name": name, "blurb": blurb, "rules": by_area.get(key, []),
                      "problems": problems if key == "data" else None, "charts": figures.get(key, [])})
    cover = [
        ("District", f"{ctx.district_name} ({ctx.district_id})" + (f", {ctx.state}" if ctx.state else "")),
        ("School year", ctx.cycle),
        ("Submission", f"version {ctx.submission_version}"),
        ("Status", ctx.status),
        ("Rule set", f"{ctx.rule_set_name}, version {ctx.rule_set_version}"),
        ("Workbook SHA-256", ctx.workbook_sha256),
        ("Generated", fmt.when(ctx.generated_at)),
    ]
    decision = None
    if ctx.decision:
        d = ctx.decision
        decision = [("Outcome", str(d.get("outcome") or "")), ("Decided by", str(d.get("decided_by") or "")),
                    ("Date", fmt.when(d.get("decided_at")))]
        if d.get("note"):
            decision.append(("Note", str(d["note"])))
    return ReportView(
        title=f"Equity compliance findings: {ctx.district_name}, {ctx.cycle}",
        ctx=ctx,
        cover=cover,
        summary=_summary(ctx, schools, problems),
        charts=figures,
        areas=areas,
        problems=problems,
        methodology=_methodology(ctx, schools),
        data=_data_appendix(ctx, schools, flagged),
        decision=decision,
        comments=_comments(ctx, schools),
    )
