"""The PDF names the technical assistance that fits the district: small bands versus a large district."""
from __future__ import annotations

import subprocess

import pytest

from compliance.demo import demo_workbook
from compliance.pipeline import builtin_rule_set
from compliance.reports.generate import report_pdf_offline
from compliance.rules.evaluate import evaluate_workbook


def pdf_text(key: str, keep: set[str] | None = None) -> tuple[str, dict]:
    wb = demo_workbook(key, "2026-27")
    if keep is not None:
        wb.schools = [s for s in wb.schools if s.school_id in keep]
        wb.budget = [b for b in wb.budget if b.school_id in keep]
        wb.proposed = None
    rule_set = builtin_rule_set()
    result = evaluate_workbook(wb, rule_set=rule_set, state="MS")
    pdf = report_pdf_offline(result=result, workbook=wb, rule_set=rule_set, workbook_bytes=b"x", state="MS")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return text.decode(), result


@pytest.fixture(scope="module")
def small():
    # Four segregated elementary zones, two middle, one high: a small grade-band district.
    return pdf_text("zoned", keep={"0311", "0312", "0315", "0316", "0321", "0322", "0331"})


@pytest.fixture(scope="module")
def large():
    return pdf_text("large")


def test_small_grade_band_district_is_pointed_to_grade_centers_and_its_center(small):
    text, result = small
    int01 = [f for f in result["findings"] if f["rule"] == "INT-01" and f["band"] == "elementary"]
    assert {f["school_id"] for f in int01} == {"0311", "0312", "0315", "0316"}
    assert "Grade-center assignment" in text and "Clinton" in text
    assert "Redraw attendance zones" in text
    assert "Equity Assistance Center-South" in text


def test_large_district_gets_zone_redrawing_but_not_grade_centers(large):
    text, result = large
    assert sum(f["rule"] == "INT-01" for f in result["findings"]) > 40
    assert "Redraw attendance zones" in text
    assert "Grade-center assignment" not in text
    assert "Equity Assistance Center-South" in text


def test_remedy_estimate_in_pdf_matches_the_evaluation(small):
    text, result = small
    estimate = next(r["estimate"] for f in result["findings"] if f["rule"] == "INT-01" and f["band"] == "elementary"
                    for r in f["recommendations"] if r["key"] == "attendance-zones-controlled-choice")
    assert estimate["reachable"] is True
    assert f"{estimate['students_moved']:,} student reassignments" in " ".join(text.split())
