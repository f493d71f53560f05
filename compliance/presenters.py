"""How evaluations read on screen: findings grouped by rule, numbers formatted as people read them.

Pure presentation over model instances and the evaluation JSON; the views pass the result to
templates. Numbers are formatted as in the PDF report (compliance.reports), without suppression:
district and state staff see their own data.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from .filters import FINDING_SEVERITIES
from .forms import FindingReviewForm
from .models import Finding, ReviewStatus
from .models import SubmissionStatus as S
from .reports import formatting as fmt
from .reports.advice import screen_blocks
from .reports.evidence import HEADING_KEYS, EvidenceFormatter
from .reports.repeats import ONE_SCHOOL, one_school_bands
from .reports.view_schools import band_short, get
from .rules.labels import DISSIMILARITY, group_noun
from .rules.registry import RULE_NAMES, threshold_text
from .selectors_review import status_shown_to

AREAS = {"INT": "Integration", "RES": "Resources"}


def ratio(value: Any) -> str:
    return fmt.number(value, 2)


def _index_rows() -> tuple[tuple[str, tuple[str, ...], Callable[[Any], str]], ...]:
    """The five dissimilarity indices, then Theil's H and the isolation indices."""
    dissimilarity = tuple((label.heading, ("dissimilarity", key), fmt.index) for key, label in DISSIMILARITY.items())
    isolation = tuple((f"Isolation of {group_noun(g)}", ("isolation", g), fmt.index)
                      for g in ("black", "hispanic", "students_of_color", "ed"))
    return (*dissimilarity, ("Theil's H (entropy index)", ("theil_h",), fmt.index), *isolation)


# (label, path into a measures block, formatter) in the order reviewers read them.
KEY_MEASURES: tuple[tuple[str, tuple[str, ...], Callable[[Any], str]], ...] = (
    *_index_rows(),
    ("Spending per pupil, state and local (pupil-weighted mean)", ("resources", "ppe_mean"), fmt.money),
    ("Spending, coefficient of variation", ("resources", "cv"), fmt.index),
    ("Spending, McLoone index", ("resources", "mcloone"), fmt.index),
    ("Spending, federal range ratio", ("resources", "federal_range_ratio"), fmt.index),
    ("Progressivity (highest- over lowest-poverty quartile spending)", ("resources", "progressivity"), ratio),
    ("Inexperienced-teacher gap, poverty quartiles", ("resources", "inexperienced_gap_poverty"), fmt.points),
    ("Enrolled students", ("enrollment_total",), fmt.number),
    ("Schools with enrollment", ("schools",), fmt.number),
)


BANDS = ("elementary", "middle", "high")


# Per rule: the evidence a reviewer compares (key, column header) and the standard it was
# held to ("{key}" placeholders; a part whose keys the evidence lacks is left out). Values
# are formatted as in the PDF report: one EvidenceFormatter, units from the rule registry.
RULE_COLUMNS: dict[str, tuple[tuple[tuple[str, str], ...], tuple[str, ...]]] = {
    "INT-01": ((("group", "Group"), ("school_share", "School share"), ("band_share", "Grade band share"),
                ("difference", "Difference")), ("within {band}", "within {tolerance}")),
    "INT-02": ((("group", "Group"), ("school_share", "School share")), ("below {threshold}",)),
    "INT-03": ((("school_share", "ED share, school"), ("band_share", "ED share, grade band"),
                ("difference", "Difference")), ("within {band}", "within {tolerance}")),
    "INT-04": ((("index", "Index"), ("value", "Value"), ("level", "Reading")),
               ("warning from {warning_at}", "finding from {finding_at}")),
    "INT-05": ((("measure", "Measure"), ("current", "Current"), ("proposed", "Proposed"), ("change", "Change")),
               ("tolerance {tolerance}",)),
    "INT-06": ((("admitted_ed_share", "ED share admitted"), ("target_ed_share", "Target ED share"),
                ("difference", "Difference"), ("empty_seats", "Empty seats"),
                ("reserved_seats", "Reserved seats"), ("unadmitted_ed", "ED applicants not admitted"),
                ("unadmitted_non_ed", "Other applicants not admitted")),
               ("within {tolerance}", "at most {max_empty_seats} empty seats")),
    "RES-01": ((("students_per_teacher", "Students per teacher"),
                ("comparison_pooled_students_per_teacher", "Non-Title I, pooled"),
                ("additional_fte_needed", "Teacher FTE to add")),
               ("at most {threshold} ({limit})",)),
    "RES-02": ((("ppe_state_local", "Spending per pupil"), ("comparison_pooled_ppe", "Non-Title I, pooled"),
                ("additional_dollars_needed", "Dollars to add")),
               ("at least {threshold} ({limit})",)),
    "RES-03": ((("ppe_highest_poverty_quartile", "Highest-poverty quartile"),
                ("ppe_lowest_poverty_quartile", "Lowest-poverty quartile"), ("progressivity", "Ratio"),
                ("dollars_to_move", "Dollars to move")),
               ("ratio at least {min_ratio}",)),
    "RES-04": ((("quartiles_by", "Quartiles by"),
                ("inexperienced_rate_highest_quartile", "Inexperienced, highest quartile"),
                ("inexperienced_rate_lowest_quartile", "Inexperienced, lowest quartile"), ("gap", "Gap")),
               ("gap at most {max_gap}",)),
    "RES-05": ((("cv", "CV"), ("mcloone", "McLoone"), ("federal_range_ratio", "Federal range ratio")),
               ("CV at most {max_cv}", "McLoone at least {min_mcloone}", "range ratio at most {max_range_ratio}")),
}


FALLBACK_COLUMNS_MAX = 4


def measures_table(measures: dict[str, Any]) -> dict[str, Any]:
    """Key measures: the district column, then one per grade band the evaluation has. A band with one
    school has no column, as in the report: how its schools differ is 0 by construction, so the
    note says once that its measures are not applicable."""
    present = [b for b in BANDS if ((measures.get("bands") or {}).get(b))]
    single = one_school_bands(measures)
    bands = [b for b in present if b not in single]
    blocks = [measures.get("district") or {}] + [measures["bands"][b] for b in bands]
    return {
        "columns": ["District"] + [band_short(b) for b in bands],
        "rows": [(label, [show(get(block, *path)) for block in blocks]) for label, path, show in KEY_MEASURES],
        "note": "; ".join(f"{fmt.band_label(b)}: {ONE_SCHOOL}" for b in present if b in single),
    }


def problem_summary(errors: int, warnings: int) -> str:
    parts = []
    if errors:
        parts.append(
            f"{errors} error{'s' if errors != 1 else ''} must be fixed before the state can review this"
        )
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return "; ".join(parts) if parts else "No data problems."


def rule_order(code: str) -> tuple[int, str]:
    return ({"INT": 0, "RES": 1}.get(code.split("-")[0], 2), code)


def evidence_texts(code: str, evidence: dict[str, Any], names: dict[str, str]):
    """(key -> text, measure rows, threshold rows, record rows) of one finding's evidence.

    Not suppressed: reviewers and the district's own staff see the real numbers; the public
    PDF is where small cells are hidden.
    """
    ev = EvidenceFormatter(None, 0, code, suppress=False, names=names)
    values, thresholds = ev.rows(evidence)
    return ev.texts(evidence), values, thresholds, ev.records(evidence)


def rule_layout(code: str, findings: list[Finding], names: dict[str, str]) -> dict[str, Any]:
    """The columns of a rule's table, from all its findings (not only the filtered ones), so a
    row swapped in by htmx lines up with the others.

    A column with one value for every finding of a rule (the group, the standard) is said
    once above the table instead of in every row.
    """
    texts = []
    for f in findings:
        evidence = f.evidence if isinstance(f.evidence, dict) else {}
        t, _, thresholds, _ = evidence_texts(code, evidence, names)
        t["standard"] = standard(code, t, thresholds)
        texts.append(t)
    if code in RULE_COLUMNS:
        candidates = [(k, label) for k, label in RULE_COLUMNS[code][0] if any(k in t for t in texts)]
    else:
        keys = list(dict.fromkeys(
            k for f in findings if isinstance(f.evidence, dict) for k, v in f.evidence.items()
            if isinstance(v, (int, float, str)) and not isinstance(v, bool) and k not in HEADING_KEYS
        ))
        candidates = [(k, fmt.humanize(k)) for k in keys[:FALLBACK_COLUMNS_MAX]]
    columns, constants = [], []
    for key, label in [*candidates, ("standard", "Standard")]:
        values = [t.get(key, "\u2014") for t in texts]
        numeric = all(v[:1] in "0123456789$\u2212+\u00b1" for v in values if v != "\u2014")
        # Only words (a group, a standard) are hoisted: equal numbers are a coincidence to show.
        if len(texts) > 1 and len(set(values)) == 1 and (not numeric or key == "standard"):
            constants.append((label, values[0]))
        elif key != "standard":
            columns.append((key, label, numeric))
    return {
        "columns": columns,
        "constants": constants,
        "show_standard": not any(label == "Standard" for label, _ in constants),
        "show_band": any(f.school_id for f in findings),
    }


def standard(code: str, texts: dict[str, str], thresholds: list[tuple[str, str]]) -> str:
    """The standard a finding was held to, in words; else its threshold rows as they are."""
    parts = []
    for template in RULE_COLUMNS.get(code, ((), ()))[1]:
        try:
            parts.append(template.format_map(texts))
        except KeyError:
            continue
    if not parts:
        parts = [f"{label.lower()} {value}" for label, value in thresholds]
    return "; ".join(parts) or "\u2014"


def scope_label(finding: Finding, names: dict[str, str]) -> str:
    if finding.school_id:
        name = names.get(finding.school_id)
        return f"{name} ({finding.school_id})" if name else f"School {finding.school_id}"
    if finding.band:
        return f"{band_short(finding.band)} schools"
    return "District"


def finding_context(finding: Finding, *, layout: dict[str, Any], names: dict[str, str], can_review: bool,
                     form: FindingReviewForm | None = None) -> dict[str, Any]:
    """One finding as a table row (a <tbody> the htmx review swaps) and its details."""
    evidence = finding.evidence if isinstance(finding.evidence, dict) else {}
    texts, values, thresholds, records = evidence_texts(finding.rule, evidence, names)
    # As in the PDF: the headline group need not come again among "every group outside the standard".
    headline = dict(values)
    records = [r for r in records if any(headline.get(k) != v for k, v in r)]
    record_columns = list(dict.fromkeys(label for record in records for label, _ in record))
    return {
        "finding": finding,
        "scope": scope_label(finding, names),
        "band": band_short(finding.band) if finding.band else "District",
        "show_band": layout["show_band"],
        "cells": [(texts.get(key, "\u2014"), numeric) for key, _, numeric in layout["columns"]],
        "show_standard": layout["show_standard"],
        "standard": standard(finding.rule, texts, thresholds),
        "severity": FINDING_SEVERITIES.get(finding.severity, finding.severity.capitalize()),
        "evidence_rows": values + thresholds,
        "record_columns": record_columns,
        "records": [[dict(record).get(c, "") for c in record_columns] for record in records],
        "can_review": can_review,
        "form": form or FindingReviewForm(auto_id=f"id_%s_f{finding.pk}"),
        "span": 1 + layout["show_band"] + len(layout["columns"]) + layout["show_standard"] + 2 + can_review,
    }


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def _area_items(area: str, items: list[Finding]) -> str:
    """"3 integration findings", or with warnings or notes among them "39 integration results
    (31 findings, 2 warnings, 6 notes)", so the line agrees with the status box's Findings count."""
    severities = Counter(f.severity for f in items)
    if set(severities) <= {"finding"}:
        return _plural(len(items), f"{area.lower()} finding")
    parts = [_plural(severities[s], label.lower()) for s, label in FINDING_SEVERITIES.items() if severities[s]]
    return f"{_plural(len(items), f'{area.lower()} result')} ({', '.join(parts)})"


def review_summary(findings: list[Finding]) -> list[str]:
    """"39 integration results (31 findings, 2 warnings, 6 notes): 12 confirmed, 2 dismissed,
    25 not yet reviewed", per area."""
    lines = []
    by_area: dict[str, list[Finding]] = {}
    for f in sorted(findings, key=lambda f: rule_order(f.rule)):
        by_area.setdefault(AREAS.get(f.rule.split("-")[0], "Other"), []).append(f)
    for area, items in by_area.items():
        counts = Counter(f.review_status for f in items)
        lines.append(
            f"{_area_items(area, items)}: "
            + ", ".join(f"{counts[s]} {label.lower()}" for s, label in
                        ((ReviewStatus.CONFIRMED, "confirmed"), (ReviewStatus.DISMISSED, "dismissed"),
                         (ReviewStatus.OPEN, "not yet reviewed")))
        )
    return lines


def finding_groups(all_findings: list[Finding], shown: list[Finding], names: dict[str, str], params: dict[str, Any],
                    can_review: bool) -> list[dict[str, Any]]:
    """Shown findings by area, then by rule (INT-01 ... RES-05, then any other code)."""
    by_rule: dict[str, list[Finding]] = {}
    for f in all_findings:
        by_rule.setdefault(f.rule, []).append(f)
    shown_by_rule: dict[str, list[Finding]] = {}
    for f in shown:
        shown_by_rule.setdefault(f.rule, []).append(f)
    areas: dict[str, dict[str, Any]] = {}
    for code in sorted(shown_by_rule, key=rule_order):
        layout = rule_layout(code, by_rule[code], names)
        rows = [finding_context(f, layout=layout, names=names, can_review=can_review) for f in shown_by_rule[code]]
        area_name = AREAS.get(code.split("-")[0], "Other")
        area = areas.setdefault(area_name, {"name": area_name, "count": 0, "rules": []})
        area["count"] += len(rows)
        area["rules"].append({
            "code": code,
            "name": RULE_NAMES.get(code, code),
            "anchor": "rule-" + code.lower(),
            "standard": threshold_text(code, params) if params else "",
            "columns": [(label, numeric) for _, label, numeric in layout["columns"]],
            # The rule text already states the standard: then only the other shared values.
            "constants": [(label, value) for label, value in layout["constants"]
                          if not (label == "Standard" and params and threshold_text(code, params))],
            "show_band": layout["show_band"],
            "show_standard": layout["show_standard"],
            "first": "School" if layout["show_band"] else "Scope",
            "rows": rows,
            "recommendations": screen_blocks(
                [(row["scope"], rec) for row in rows for rec in (row["finding"].recommendations or [])
                 if isinstance(rec, dict)], names),
        })
    return list(areas.values())


def status_label(value: str) -> str:
    return S(value).label if value in S.values else value


def event_label(event, user_or_audience) -> str:
    """A history line's "what", its statuses as ``user_or_audience`` is told them (``status_shown_to``)."""
    def shown(value: str) -> str:
        return status_shown_to(user_or_audience, status=value).label if value in S.values else value

    action = event.action.replace("status:", "").replace("_", " ")
    if event.from_status != event.to_status:
        before = shown(event.from_status) if event.from_status else "new"
        return f"{action.capitalize()}: {before} to {shown(event.to_status)}"
    return action.capitalize()
