"""A realistic report context built by hand: 8 schools in three bands, findings, remedies.

The evaluation dict follows docs/evaluate-cli.md; school shares are computed from the counts
so the report's printed numbers can be checked against them.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from compliance.reports.context import ReportContext
from compliance.rules.model import RACE_GROUPS, SchoolRow
from compliance.rules.ruleset import default_params

# (id, name, grade_low, grade_high, title_i, enrollment, hisp, am_ind, asian, black, pac_isl, white, two+, ed, ppe, spt)
SCHOOLS: list[tuple[Any, ...]] = [
    ("E1", "Adams Elementary", "PK", "5", True, 412, 120, 3, 15, 110, 0, 150, 14, 260, 9120.5, 14.2),
    ("E2", "Brook Elementary", "K", "5", False, 380, 20, 0, 12, 7, 0, 330, 11, 60, 10210.0, 13.1),
    ("E3", "Cedar Elementary", "K", "5", True, 455, 90, 2, 30, 80, 1, 230, 22, 200, 9480.0, 15.0),
    ("E4", "Dogwood Elementary", "PK", "5", True, 300, 150, 0, 5, 130, 0, 6, 9, 270, 8615.0, 16.5),
    ("E5", "Elm Elementary", "K", "5", False, 350, 60, 4, 25, 70, 0, 170, 21, 150, 9875.0, 13.0),
    ("M1", "Franklin Middle", "6", "8", True, 620, 140, 5, 40, 160, 2, 250, 23, 300, 9300.0, 15.5),
    ("M2", "Grant Middle", "6", "8", False, 540, 60, 3, 30, 40, 0, 385, 22, 120, 9950.0, 14.0),
    ("H1", "Jefferson High", "9", "12", True, 1200, 260, 8, 70, 280, 4, 540, 38, 500, 9700.0, 17.1),
]


def school_rows() -> list[SchoolRow]:
    rows = []
    for s in SCHOOLS:
        sid, name, lo, hi, t1, total, *groups, ed, _ppe, _spt = s
        rows.append(SchoolRow(sid, name, lo, hi, t1, "attendance_zone", total, *groups, ed))
    return rows


def school_measures() -> list[dict[str, Any]]:
    out = []
    for row, s in zip(school_rows(), SCHOOLS):
        t = row.enrollment_total
        share = {g: getattr(row, g) / t for g in RACE_GROUPS}
        share["students_of_color"] = (t - row.white) / t
        share["ed"] = row.econ_disadvantaged / t
        out.append({"school_id": row.school_id, "school_name": row.school_name, "band": row.band,
                    "enrollment_total": t, "share": share, "ppe_state_local": s[-2], "students_per_teacher": s[-1]})
    return out


def _block(multigroup: float, soc: float, ed: float, ppe: float, prog: float | None, cv: float) -> dict[str, Any]:
    return {
        "dissimilarity": {"multigroup": multigroup, "black_white": soc + 0.05, "hispanic_white": soc - 0.08,
                          "students_of_color_white": soc, "ed_not_ed": ed},
        "theil_h": round(multigroup * 0.45, 4),
        "isolation": {"black": 0.31, "hispanic": 0.28, "students_of_color": 0.62, "ed": 0.55},
        "exposure": {"black": 0.4, "hispanic": 0.42, "students_of_color": 0.38, "ed": 0.45},
        "normalized_exposure": {"black": 0.11, "hispanic": 0.09, "students_of_color": 0.21, "ed": 0.14},
        "resources": {"ppe_mean": ppe, "cv": cv, "mcloone": 0.962, "verstegen": 1.041,
                      "federal_range_ratio": 0.183, "progressivity": prog,
                      "inexperienced_gap_poverty": 0.072, "inexperienced_gap_students_of_color": 0.048,
                      "p5": 8615.0, "p50": 9480.0, "p95": 10210.0},
    }


def evaluation() -> dict[str, Any]:
    flows = [{"from": "Dogwood Elementary", "to": "Brook Elementary", "students": 104},
             {"from": "Brook Elementary", "to": "Dogwood Elementary", "students": 98}]
    integration_rec = {
        "key": "controlled_choice", "title": "Attendance-zone redrawing and controlled choice",
        "estimate": {"students_to_reassign": 202, "share_of_band_enrollment": 0.1065, "largest_flows": flows},
        "body": "Redraw the elementary attendance zones or let families rank schools with a diversity goal.\n\n"
                "The Equity Assistance Center-South serves Mississippi and can help plan the change.",
        "sources": ["Equity Assistance Center-South, Southern Education Foundation"],
    }
    return {
        "template_version": 1,
        "district": {"district_id": "2800960", "district_name": "Magnolia County Schools", "school_year": "2026-27"},
        "rule_set": {"name": "State default", "version": "3"},
        "problems": [
            {"code": "DATA-12", "severity": "warning", "sheet": "Schools", "row": 1, "column": "notes",
             "value": "notes", "message": "Unknown column \u201cnotes\u201d is ignored.", "fix": "Delete the column."},
        ],
        "measures": {
            "district": _block(0.412, 0.471, 0.293, 9541.25, 0.93, 0.121),
            "bands": {"elementary": _block(0.455, 0.52, 0.351, 9420.0, 0.91, 0.126),
                      "middle": _block(0.208, 0.23, 0.19, 9600.0, None, 0.034),
                      "high": _block(0.0, 0.0, 0.0, 9700.0, None, 0.0)},
            "schools": school_measures(),
            "proposed": {"district": _block(0.377, 0.43, 0.281, 9541.25, 0.93, 0.121), "bands": {}},
        },
        "findings": [
            {"rule": "INT-01", "severity": "finding", "scope": "school", "school_id": "E2", "band": "elementary",
             "message": "Brook Elementary: 13.2% students of color against 53.3% in elementary schools.",
             "evidence": {"group": "students_of_color", "school_share": 50 / 380, "band_share": 1011 / 1897,
                          "difference": 50 / 380 - 1011 / 1897, "band": 0.15},
             "recommendations": [integration_rec]},
            {"rule": "INT-01", "severity": "finding", "scope": "school", "school_id": "E2", "band": "elementary",
             "message": "Brook Elementary: 1.8% Black students (7 students) against 20.9% in elementary schools.",
             "evidence": {"group": "black", "school_share": 7 / 380, "band_share": 397 / 1897,
                          "difference": 7 / 380 - 397 / 1897, "black_count": 7, "band": 0.15},
             "recommendations": [integration_rec]},
            {"rule": "INT-01", "severity": "finding", "scope": "school", "school_id": "E4", "band": "elementary",
             "message": "Dogwood Elementary: 98.0% students of color against 53.3% in elementary schools.",
             "evidence": {"group": "students_of_color", "school_share": 294 / 300, "band_share": 1011 / 1897,
                          "difference": 294 / 300 - 1011 / 1897, "band": 0.15},
             "recommendations": [integration_rec]},
            {"rule": "INT-02", "severity": "finding", "scope": "school", "school_id": "E4", "band": "elementary",
             "message": "Dogwood Elementary is intensely segregated: 98.0% students of color.",
             "evidence": {"group": "students_of_color", "school_share": 294 / 300, "threshold": 0.9},
             "recommendations": [integration_rec]},
            {"rule": "INT-03", "severity": "finding", "scope": "school", "school_id": "E4", "band": "elementary",
             "message": "Dogwood Elementary: 90.0% ED against 49.6% in elementary schools.",
             "evidence": {"school_share": 270 / 300, "band_share": 940 / 1897, "difference": 0.9 - 940 / 1897,
                          "band": 0.15},
             "recommendations": []},
            {"rule": "INT-04", "severity": "warning", "scope": "district", "school_id": None, "band": None,
             "message": "Multigroup dissimilarity across the district is 0.412, a moderate level.",
             "evidence": {"measure": "multigroup", "value": 0.412, "warning_at": 0.3, "finding_at": 0.6},
             "recommendations": []},
            {"rule": "RES-01", "severity": "finding", "scope": "school", "school_id": "E4", "band": "elementary",
             "message": ("Dogwood Elementary (Title I) has 16.5 students per state/local teacher, "
                         "125% of the non-Title I ratio of 13.2."),
             "evidence": {"students_per_teacher": 16.5, "non_title_i_ratio": 13.2, "ratio": 1.25, "limit": 1.1},
             "recommendations": [{"key": "weighted_staffing", "title": "Weighted or equalized staffing",
                                  "estimate": {"fte_to_add": 3.2, "dollars_to_add": 214000},
                                  "body": "Allocate state and local teacher positions by need.", "sources": []}]},
            {"rule": "RES-03", "severity": "finding", "scope": "district", "school_id": None, "band": None,
             "message": ("The highest-poverty quartile receives 0.93 times the state/local spending per pupil "
                         "of the lowest."),
             "evidence": {"progressivity": 0.93, "min_ratio": 1.0, "high_poverty_ppe": 9100.0,
                          "low_poverty_ppe": 9785.0},
             "recommendations": [{"key": "weighted_budgeting", "title": "Weighted student funding",
                                  "estimate": {"dollars_to_move": 412000},
                                  "body": "Move state and local dollars toward the highest-poverty schools.",
                                  "sources": ["measures.md, Progressivity"]}]},
            {"rule": "RES-05", "severity": "warning", "scope": "district", "school_id": None, "band": None,
             "message": "Spending per pupil varies more than the rule set allows (CV 0.121).",
             "evidence": {"cv": 0.121, "max_cv": 0.1, "mcloone": 0.962, "min_mcloone": 0.95},
             "recommendations": []},
            {"rule": "DATA-20", "severity": "warning", "scope": "school", "school_id": "H1", "band": "high",
             "message": "Jefferson High: enrollment changed by 34% since the last accepted submission.",
             "evidence": {"previous_enrollment": 896, "enrollment_total": 1200, "change_share": 0.34,
                          "max_enrollment_change": 0.3},
             "recommendations": []},
        ],
    }


def make_context(**overrides: Any) -> ReportContext:
    values: dict[str, Any] = dict(
        evaluation=evaluation(), schools=school_rows(), district_name="Magnolia County Schools",
        district_id="2800960", state="MS", cycle="2026-27", submission_version=2, status="Under review",
        workbook_sha256="9f2c" + "ab" * 30, rule_set_name="State default", rule_set_version="3",
        rule_params=default_params(), generated_at=datetime(2026, 11, 22, 15, 30, tzinfo=UTC),
    )
    values.update(overrides)
    return ReportContext(**values)


DECISION = {"outcome": "Corrective action required", "decided_by": "Dana Whitfield",
            "decided_at": datetime(2026, 12, 1, 14, 0, tzinfo=UTC),
            "note": "Submit a corrective action plan for the elementary zones by March 1."}
COMMENTS = [{"author": "Dana Whitfield", "created_at": datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
             "body": "Brook Elementary has only 7 Black students; please confirm the count.", "finding": 1},
            {"author": "Lee Ortega", "created_at": datetime(2026, 11, 30, 10, 0, tzinfo=UTC),
             "body": "The district plans to redraw zones next year."}]
