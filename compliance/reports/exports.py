"""CSV exports that go with the PDF: every school and every finding, suppressed like the PDF.

The PDF summarizes large districts and long lists and points readers here; the same
small-cell rule applies, so an export is as safe to publish as the report.
"""
from __future__ import annotations

import csv
import io
from typing import Any

from compliance.rules.model import SchoolRow

from .evidence import finding_for_export
from .spreadsheet_safety import safe_cell
from .suppression import school_display_row, scrub_small_counts, suppress_ratio, suppress_school

EXPORT_KINDS = ("schools", "findings")


def _csv(rows: list[dict[str, str]], fieldnames: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fieldnames, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    # School names and messages come from the district's workbook: never let one be a formula.
    writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 correctly


def _number(value: Any, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def schools_csv(*, evaluation: dict[str, Any], schools: list[SchoolRow], min_cell: int) -> bytes:
    """One row per school: suppressed counts and shares, band, spending per pupil, staffing."""
    per_school = {s["school_id"]: s for s in (evaluation.get("measures") or {}).get("schools") or []}
    rows, fields = [], ["school_id", "school_name", "band", "title_i", "assignment_method"]
    for school in schools:
        display = school_display_row(school, min_cell)
        for key in display:
            if key not in fields:
                fields.append(key)
        measures = per_school.get(school.school_id, {})
        spt = measures.get("students_per_teacher")
        rows.append({
            **display,
            "band": measures.get("band") or school.band,
            "title_i": "Y" if school.title_i else "N",
            "assignment_method": school.assignment_method,
            "ppe_state_local": _number(measures.get("ppe_state_local"), 2),
            # As the PDF prints it: a school under the threshold gets "*" (with its FTE, the ratio
            # would give its enrollment back).
            "students_per_teacher": suppress_ratio(spt, _number(spt, 2), school.enrollment_total, min_cell),
        })
    return _csv(rows, [*fields, "ppe_state_local", "students_per_teacher"])


def findings_csv(*, evaluation: dict[str, Any], schools: list[SchoolRow], min_cell: int) -> bytes:
    """One row per finding: message, evidence and threshold, and its recommendations with estimates."""
    masks = {s.school_id: suppress_school(s, min_cell) for s in schools}
    rows = []
    for number, finding in enumerate(evaluation.get("findings") or [], start=1):
        mask = masks.get(finding.get("school_id") or "") if finding.get("scope") == "school" else None
        row = {"number": str(number), **finding_for_export(finding, mask, min_cell)}
        advice = []
        for rec in finding.get("recommendations") or []:
            # As the PDF prints it: numbers of students by their place in the sentence. Matching digits
            # against the school's hidden counts rewrote grade spans and names, and the digits it
            # rewrote gave those counts away.
            body = scrub_small_counts(str(rec.get("body") or ""), min_cell)
            advice.append(f"{rec.get('title')}: {body}".strip())
        row["recommendations"] = " | ".join(advice)
        rows.append(row)
    fields = ["number", "rule", "severity", "school_id", "band", "message", "evidence", "threshold",
              "recommendations"]
    return _csv(rows, fields)
