"""A rule's recommendations as blocks, for the PDF and the screen: one grouping, two layouts.

Findings of one rule often carry the same recommendation; each is printed once, with what
all its findings share (the advice) said once and what differs (each school's estimate)
listed by school.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from compliance.rules.recommendation_library import EAC_KEY
from compliance.rules.registry import ESTIMATE

from . import formatting as fmt
from .evidence import EvidenceFormatter, is_record_list, label_of
from .suppression import scrub_small_counts, suppress_after, suppress_share

REC_BLOCKS_MAX = 12  # recommendation blocks printed per rule in the PDF; the export has the rest
PLAN_BLOCKS_MAX = 30  # actions in the report's one action plan (recommendations x bands)
REC_MEMBERS_MAX = 6  # school-specific lines printed per block
_ESTIMATE_HEADS = ("method", "school_id", "band")  # the method is a note; school and band head the block


def split_body(body: str) -> tuple[str, str]:
    """(the general advice, the finding's own estimate sentence without "Estimate:")."""
    head, sep, tail = body.partition("Estimate:")
    return head.strip(), tail.strip() if sep else ""


_ALTERNATIVE = re.compile(r" \(or [^)]*\)")  # "(or 1.5 FTE moved from the comparison schools)"


def headline(sentence: str, school: str | None) -> str:
    """An estimate sentence's quantity (its first clause, before what it "would" achieve), naming
    the school it is about: "1.9 more state/local teacher FTE at Southgate Elementary"."""
    head = _ALTERNATIVE.sub("", sentence.split("; ")[0].split(" would ")[0]).strip().rstrip(".")
    if not head:
        return ""
    if school:
        head = head.replace("at this school", f"at {school}").replace("this school", school)
    return f"{head[0].upper()}{head[1:]}."


@dataclass
class AdviceGroup:
    """One recommendation (in one band, for the PDF) and the findings that carry it."""

    key: str
    title: str
    band: str
    members: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (finding label, recommendation)

    @property
    def labels(self) -> list[str]:
        return list(dict.fromkeys(label for label, _ in self.members))

    def bodies(self, scrub: Callable[[str], str]) -> list[tuple[str, str]]:
        # Hundreds of findings of a band share a handful of texts: each is scrubbed and split once.
        done: dict[str, tuple[str, str]] = {}
        return [done.get(body) or done.setdefault(body, split_body(scrub(body)))
                for body in (str(rec.get("body") or "") for _, rec in self.members)]

    @property
    def sources(self) -> list[str]:
        return [str(x) for x in self.members[0][1].get("sources") or []]


def group_advice(items: Iterable[tuple[str, str | None, dict[str, Any]]], *, by_band: bool) -> list[AdviceGroup]:
    """(finding label, band, recommendation) triples grouped by recommendation (and band)."""
    groups: dict[tuple[str, str, str], AdviceGroup] = {}
    for label, band, rec in items:
        key, title = str(rec.get("key") or ""), str(rec.get("title") or "")
        where = advice_key(rec, band)[2] if by_band else ""
        group = groups.setdefault((key, title, where), AdviceGroup(key, title, where))
        group.members.append((label, rec))
    return list(groups.values())


# ---------------------------------------------------------------- the PDF


def pdf_blocks(items: list[tuple[str, str | None, dict[str, Any]]], est: EvidenceFormatter,
               limit: int = REC_BLOCKS_MAX) -> tuple[list[dict[str, Any]], int]:
    """A rule's recommendations in the PDF, one block per (recommendation, grade band).

    What all findings of a block share (the advice, the band's remedy estimate) is printed
    once; what differs (a school's own estimate) is listed by school. Returns the blocks and
    how many were left out.
    """
    blocks = [_pdf_block(group, est) for group in group_advice(items, by_band=True)]
    return blocks[:limit], max(0, len(blocks) - limit)


def advice_key(rec: dict[str, Any], band: str | None) -> tuple[str, str, str]:
    """The (recommendation, band) a recommendation is grouped under in the PDF: as ``group_advice``."""
    key = str(rec.get("key") or "")
    # The district has one Equity Assistance Center, whatever the band: one action, not one per band.
    return key, str(rec.get("title") or ""), "" if key == EAC_KEY else band or ""


_NO_ESTIMATE: dict[str, Any] = {}  # one shared empty estimate (never changed): compared once, not per finding


def _by_text(specifics: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Each different estimate sentence once, with the findings (labels) it is for."""
    grouped: dict[str, list[str]] = {}
    for label, text in specifics:
        grouped.setdefault(text, []).append(label)
    return [{"label": ", ".join(labels[:4]) + (f" and {len(labels) - 4} more" if len(labels) > 4 else ""),
             "text": text} for text, labels in grouped.items()]


def _applies_to(labels: list[str]) -> str:
    """Whom an action is for: every name when few, a count when many (the findings name them all)."""
    if len(labels) <= 10:
        return ", ".join(labels)
    return f"{len(labels):,} schools and grade bands (the findings it answers name each one)"


def _common(estimates: list[dict[str, Any]]) -> dict[str, Any]:
    """The estimate values every finding of a block shares.

    A band's estimate rides on every finding of the band: values are compared once per distinct
    estimate object, as JSON-like values (==, which stops at the first difference).
    """
    distinct = list({id(e): e for e in estimates}.values())
    keys = list(dict.fromkeys(k for e in distinct for k in e))
    first = distinct[0]
    return {k: first.get(k) for k in keys if all(e.get(k) == first.get(k) for e in distinct)}


def _pdf_block(group: AdviceGroup, est: EvidenceFormatter) -> dict[str, Any]:
    members, labels = group.members, group.labels
    bodies = group.bodies(lambda text: scrub_small_counts(text, est.min_cell))
    general = bodies[0][0] if all(b[0] == bodies[0][0] for b in bodies) else ""
    specifics = list(dict.fromkeys((label, f"Estimate: {b[1]}") for (label, _), b in zip(members, bodies) if b[1]))
    estimates: list[dict[str, Any]] = [e if isinstance(e := rec.get("estimate"), dict) else _NO_ESTIMATE
                                       for _, rec in members]
    keys = list(dict.fromkeys(k for e in {id(e): e for e in estimates}.values() for k in e))
    common = _common(estimates)
    varying = [k for k in keys if k not in common and k not in ("school_id", "band")]
    one_specific = len({text for _, text in specifics}) == 1
    block: dict[str, Any] = {
        "title": group.title or fmt.humanize(group.key),
        "band": fmt.band_label(group.band).split(" (")[0].lower() if group.band else "",
        "applies_to": _applies_to(labels),
        "paragraphs": [p.strip() for p in general.split("\n\n") if p.strip()] if general else [],
        "specifics": [] if one_specific else _by_text(specifics)[:REC_MEMBERS_MAX],
        "specifics_more": 0 if one_specific else max(0, len(_by_text(specifics)) - REC_MEMBERS_MAX),
        "sources": group.sources,
        "estimate": _estimate(common, est),
        "sig": json.dumps([group.key, group.title, general, common], sort_keys=True, default=str),
    }
    if one_specific and specifics:
        block["estimate_text"] = specifics[0][1].removeprefix("Estimate: ")
    first = next(((label, b[1]) for (label, _), b in zip(members, bodies) if b[1]), None)
    block["headline"] = block["headline_plain"] = headline(first[1], first[0]) if first else ""
    block["headline_more"] = 0 if one_specific else max(0, len({t for _, t in specifics}) - 1)
    if not general and not specifics:  # bodies differ with no estimate sentence: list them all
        block["specifics"] = [{"label": lbl, "text": scrub_small_counts(str(rec.get("body") or ""), est.min_cell)}
                              for lbl, rec in members[:REC_MEMBERS_MAX]]
    if varying and not block["specifics"]:
        distinct = _distinct_estimates(members, estimates)
        if len(distinct) <= DISTINCT_ESTIMATES_MAX:  # e.g. the band's race and its ED reassignment
            block["estimate"] = None
            block["by_school"] = _schools_after(members, estimates, est)
            block["estimates"] = [{"for": _estimate_for(lbls, group.band), "estimate": _estimate(e, est)}
                                  for lbls, e in distinct]
        else:  # e.g. each school's enrollment after the band's reassignment
            block["by_school"] = _by_school(members, estimates, varying, est)
    return block


def _estimate_for(labels: list[str], band: str) -> str:
    """Whom an estimate is for: its band, else the findings' labels."""
    if band:
        return f"the {fmt.band_label(band).split(' (')[0].lower()} band"
    return ", ".join(labels[:6]) + (f" and {len(labels) - 6} more" if len(labels) > 6 else "")


DISTINCT_ESTIMATES_MAX = 4  # whole estimates printed one after another under one action
SCHOOLS_AFTER_MAX = 12  # a band with more flagged schools than this gets no school-by-school table
# Estimate keys about the finding's own school: shown per school, not as a different estimate.
_PER_SCHOOL = ("school_id", "band", "school_after")


def _schools_after(members: list[tuple[str, dict[str, Any]]], estimates: list[dict[str, Any]],
                   est: EvidenceFormatter) -> dict[str, Any] | None:
    """Each school's composition after the band's reassignment, in whole students, once per school."""
    spec = ESTIMATE.get("school_after")
    fields = (spec.fields if spec is not None else None) or {}
    rows: dict[str, list[str]] = {}
    for (label, _), e in zip(members, estimates):
        after = e.get("school_after")
        if isinstance(after, dict) and label not in rows:
            # Each cell by the school's own numbers, as in every other table of schools after a change.
            rows[label] = [_record_cell(est, fields.get(c), c, after)
                           for c in ("enrollment", "students_of_color_share", "ed_share")]
    # Every school of the band, or none: six schools picked from hundreds would tell a reader nothing.
    if not rows or len(rows) > SCHOOLS_AFTER_MAX:
        return None
    return {"columns": ["Enrollment after", "Students of color after", "ED after"],
            "rows": list(rows.items())}


def _distinct_estimates(members: list[tuple[str, dict[str, Any]]], estimates: list[dict[str, Any]]
                        ) -> list[tuple[list[str], dict[str, Any]]]:
    """Each different estimate once, with the findings (labels) it is for."""
    out: list[tuple[list[str], dict[str, Any]]] = []
    group_of: dict[int, list[str] | None] = {}  # estimate object -> the labels of its group
    for (label, _), e in zip(members, estimates):
        # The same band estimate reached from several schools' findings is one estimate.
        if id(e) not in group_of:
            core = {k: v for k, v in e.items() if k not in _PER_SCHOOL}
            same = next((labels for labels, c in out if c == core), None) if core else None
            if core and same is None:
                out.append(([], core))
                same = out[-1][0]
            group_of[id(e)] = same
        labels = group_of[id(e)]
        if labels is not None and label not in labels:
            labels.append(label)
    return out


BY_SCHOOL_COLUMNS_MAX = 3  # more differing estimate values than this do not fit a portrait table


def _by_school(members: list[tuple[str, dict[str, Any]]], estimates: list[dict[str, Any]], varying: list[str],
               est: EvidenceFormatter) -> dict[str, Any] | None:
    """The estimate values that differ between a block's findings, one row per finding label.

    A label (a school with several findings) is listed once; estimates that differ in whole
    tables or in many values (a lottery's and a band's estimate under one advice) are left to
    the findings export rather than squeezed into unreadable columns.
    """
    if len(varying) > BY_SCHOOL_COLUMNS_MAX or any(is_record_list(e.get(k)) for e in estimates for k in varying):
        return None
    rows: dict[str, list[str]] = {}
    for (label, _), e in zip(members, estimates):
        rows.setdefault(label, [est.estimate_value(k, e.get(k)) for k in varying])
    return {"columns": [label_of(ESTIMATE.get(k), k) for k in varying], "rows": list(rows.items())[:REC_MEMBERS_MAX]}


# Estimate keys that restate the rule set's standard: an estimate of nothing else says nothing.
_STANDARD_KEYS = frozenset({"max_gap", "min_ratio", "limit"})


def _estimate(estimate: Any, est: EvidenceFormatter) -> dict[str, Any] | None:
    """A remedy estimate: scalar rows, tables for lists of records, the method as a note."""
    if not estimate or (isinstance(estimate, dict) and set(estimate) <= _STANDARD_KEYS | set(_ESTIMATE_HEADS)):
        return None
    if not isinstance(estimate, dict):
        return {"rows": [("Estimate", str(estimate))], "tables": [], "method": ""}
    rows, tables = [], []
    for key, value in estimate.items():
        if key in _ESTIMATE_HEADS or _SHORTER.get(key) in estimate:
            continue
        if is_record_list(value):
            tables.append(_estimate_table(key, value, est))
        else:
            rows.append((label_of(ESTIMATE.get(key), key), est.estimate_value(key, value)))
    # Two facts a line: the estimate's numbers take half the height of a page.
    pairs = [(*rows[i], *(rows[i + 1] if i + 1 < len(rows) else ("", ""))) for i in range(0, len(rows), 2)]
    return {"rows": rows, "pairs": pairs, "tables": tables, "method": str(estimate.get("method") or "")}


# The columns a table of records prints. A remedy moves enrollment between schools (zones, programs,
# grade spans), never students of one race: a change prints how many students, and each school its
# composition after, not the race of the students who move (Parents Involved, 2007).
_RECORD_COLUMNS: dict[str, tuple[str, ...]] = {
    "largest_changes": ("from", "to", "students"),
    "pairs": ("from", "to", "students"),
    "schools_after": ("school_id", "enrollment_before", "enrollment", "students_of_color_share", "ed_share"),
    "centers": ("school_id", "cluster", "grade_low", "grade_high", "enrollment_before", "enrollment",
                "students_of_color_share", "ed_share"),
}
# A table left out when a shorter one says it: every pair when the largest are printed.
_SHORTER = {"pairs": "largest_changes"}


def _estimate_table(key: str, records: list[dict[str, Any]], est: EvidenceFormatter) -> dict[str, Any]:
    spec = ESTIMATE.get(key)
    fields = (spec.fields if spec is not None else None) or {}
    columns = list(dict.fromkeys(k for record in records for k in record))
    if key in _RECORD_COLUMNS:
        columns = [c for c in _RECORD_COLUMNS[key] if c in columns]
    if len({r.get("cluster") for r in records}) == 1:
        columns = [c for c in columns if c != "cluster"]  # one cluster: the column would say nothing
    if "grade_low" in columns and "grade_high" in columns:
        return _grades_merged(key, records, columns, est)
    return {
        "caption": label_of(spec, key),
        "columns": [label_of(fields.get(c), c) for c in columns],
        "rows": [[_record_cell(est, fields.get(c), c, record) for c in columns] for record in records[:12]],
    }


# A school's composition in a record (after a plan, a grade center): each share and its count.
_SHARE_COUNTS = {"students_of_color_share": "students_of_color", "ed_share": "econ_disadvantaged"}


def _record_cell(est: EvidenceFormatter, spec: Any, column: str, record: dict[str, Any]) -> str:
    """One cell of a record about a school, suppressed by that school's own numbers.

    The finding's mask is another school's: a record's enrollment under the threshold, or a
    share whose count (or complement) is, is printed as suppressed from the record itself.
    """
    value = record.get(column)
    if est.suppress and value is not None and "enrollment" in record:
        total = record.get("enrollment")
        if column in ("enrollment", "enrollment_before") and isinstance(value, (int, float)):
            before = record.get("enrollment_before")
            return suppress_after(round(value), before if isinstance(before, (int, float)) else None, est.min_cell)
        if column in _SHARE_COUNTS and isinstance(total, int):
            count = record.get(_SHARE_COUNTS[column])
            if not isinstance(count, int):
                count = round(float(value) * total)
            return suppress_share(count, total, est.min_cell, decimals=1)
    return est.text(spec, value, record)


def _grades_merged(key: str, records: list[dict[str, Any]], columns: list[str], est: EvidenceFormatter
                   ) -> dict[str, Any]:
    """A grade center's grades in one column: "6\u20137", or "8" for one grade."""
    spec = ESTIMATE.get(key)
    fields = (spec.fields if spec is not None else None) or {}
    rest = [c for c in columns if c not in ("grade_low", "grade_high")]
    at = rest.index("school_id") + 1 if "school_id" in rest else 0
    heads = [label_of(fields.get(c), c) for c in rest]
    heads.insert(at, "Grades")
    rows = []
    for record in records[:12]:
        lo, hi = record.get("grade_low"), record.get("grade_high")
        cells = [_record_cell(est, fields.get(c), c, record) for c in rest]
        cells.insert(at, str(lo) if lo == hi else f"{lo}\u2013{hi}")
        rows.append(cells)
    return {"caption": label_of(spec, key), "columns": heads, "rows": rows}


# ---------------------------------------------------------------- the screen


def estimate_text(estimate: Any, ev: EvidenceFormatter) -> str:
    """An estimate's scalar values in one line, when its recommendation has no estimate sentence."""
    if not isinstance(estimate, dict):
        return ""
    return "; ".join(
        f"{label_of(ESTIMATE.get(k), k)}: {ev.estimate_value(k, v)}" for k, v in estimate.items()
        if k not in _ESTIMATE_HEADS and (v is None or isinstance(v, (int, float, str)))
    )


def screen_blocks(items: list[tuple[str, dict[str, Any]]], names: dict[str, str]) -> list[dict[str, Any]]:
    """A rule group's recommendations on screen, each once: its title and advice, then the
    estimates that differ between findings, each with the schools (or bands) it is for."""
    ev = EvidenceFormatter(None, 0, suppress=False, names=names)
    blocks = []
    for group in group_advice(((label, None, rec) for label, rec in items), by_band=False):
        paragraphs: list[str] = []
        estimates: dict[str, list[str]] = {}
        for (label, rec), (general, specific) in zip(group.members, group.bodies(str)):
            if general and general not in paragraphs:
                paragraphs.append(general)
            specific = specific[:1].upper() + specific[1:] if specific else estimate_text(rec.get("estimate"), ev)
            if specific and label not in estimates.setdefault(specific, []):
                estimates[specific].append(label)
        blocks.append({
            "title": group.title or fmt.humanize(group.key or "recommendation"),
            "paragraphs": paragraphs,
            "estimates": [{"for": ", ".join(labels), "text": text} for text, labels in estimates.items()],
            "labels": group.labels,
            "sources": [{"text": x, "url": x.startswith(("https://", "http://"))} for x in group.sources],
        })
    return blocks
