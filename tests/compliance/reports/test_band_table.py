"""Appendix B's grade-band table counts the schools INT-01 flags, as the findings chapters list them.

The schools are the hand-made district of factories.py plus two the old count missed:

- Fir Elementary, 15 students (13 white, 2 Black). Its 2 students of color are a small count,
  so its share prints as "<67%" (100 x 10 / 15, rounded up): a range that overlaps the band
  although the school lies 39.6 points from it.
- Hawthorne Middle, 400 students, half of them students of color (inside the band) but 45%
  Hispanic against the band's 24.4%: INT-01 flags it for a single race group.

Worked by hand (INT-01 band +/-15 points; a single group counts where its band share is >= 5%):

Elementary, 1,912 students, 1,013 of color: band share 52.98%.
  Adams 262/412 = 63.6% (10.6 points), Brook 50/380 = 13.2% (39.8), Cedar 225/455 = 49.5% (3.5),
  Dogwood 294/300 = 98.0% (45.0), Elm 180/350 = 51.4% (1.6), Fir 2/15 = 13.3% (39.6).
  Groups >= 5%: Hispanic 440/1912 = 23.0%, Black 399/1912 = 20.9%, white 899/1912 = 47.0% (Asian
  87/1912 = 4.6% and the rest are below). Adams, Cedar and Elm stay within 15 points on each
  (largest: Adams white 36.4% against 47.0%, 10.6 points). Flagged: Brook, Dogwood, Fir = 3.
Middle, 1,560 students, 725 of color: band share 46.47%.
  Franklin 370/620 = 59.7% (13.2 points), Grant 155/540 = 28.7% (17.8), Hawthorne 200/400 = 50.0% (3.5).
  Groups >= 5%: Hispanic 380/1560 = 24.4%, Black 210/1560 = 13.5%, white 835/1560 = 53.5% (Asian
  75/1560 = 4.8% is below). Franklin: Hispanic 22.6%, Black 25.8% (12.3 points), white 40.3% (13.2):
  inside. Hawthorne: Hispanic 45.0%, 20.6 points: flagged. Flagged: Grant, Hawthorne = 2.
High: Jefferson is the band's only school, equal to its band: 0.
"""
from __future__ import annotations

from collections import Counter

import pytest

from compliance.reports import build
from compliance.reports.render import render_report_html
from compliance.rules.evaluate import RuleSetRef, evaluate_workbook
from compliance.rules.model import DistrictInfo, SchoolRow, WorkbookData
from compliance.rules.ruleset import default_params

from .factories import make_context, school_rows

#                id      name            lo   hi  title_i  method   total hisp ai asian black pi white two ed
FIR = SchoolRow("E6", "Fir Elementary", "K", "5", False, "attendance_zone", 15, 0, 0, 0, 2, 0, 13, 0, 5)
HAWTHORNE = SchoolRow("M3", "Hawthorne Middle", "6", "8", False, "attendance_zone", 400, 180, 0, 5, 10, 0, 200, 5,
                      150)


def _context(params: dict | None = None):
    params = params or default_params()
    wb = WorkbookData(
        district=DistrictInfo("2800960", "Magnolia County Schools", "2026-27", 1, "Director", "d@example.org"),
        schools=[*school_rows(), FIR, HAWTHORNE],
    )
    result = evaluate_workbook(wb, rule_set=RuleSetRef("State default", "1", params), state="MS")
    return make_context(evaluation=result, schools=wb.schools, rule_params=params)


@pytest.fixture(scope="module")
def ctx():
    return _context()


def _int01_column(ctx) -> dict[str, str]:
    return {row["band"]: row["int01_flagged"] for row in build.build_view(ctx).data["bands"]}


def test_fir_is_flagged_but_its_printed_share_overlaps_the_band(ctx):
    view = build.build_view(ctx)
    fir = next(r for r in view.data["rows"] if r["id"] == "E6")
    assert fir["soc"] == "<67%"  # could be anything from 0 to 66%: the band is 38.0% to 68.0%
    int01 = {f["school_id"] for f in ctx.evaluation["findings"] if f["rule"] == "INT-01"}
    assert int01 == {"E2", "E4", "E6", "M2", "M3"}


def test_band_table_counts_the_schools_int01_flags(ctx):
    assert _int01_column(ctx) == {"Elementary (PK\u20135)": "3", "Middle (6\u20138)": "2", "High (9\u201312)": "0"}


def test_the_count_agrees_with_the_int01_findings_of_each_band(ctx):
    """One INT-01 finding per school (the rule names every deviating group in it), so the
    count of findings per band is the count of flagged schools."""
    findings = Counter(f["band"] for f in ctx.evaluation["findings"] if f["rule"] == "INT-01")
    assert findings == {"elementary": 3, "middle": 2}
    column = _int01_column(ctx)
    labels = {"elementary": "Elementary (PK\u20135)", "middle": "Middle (6\u20138)"}
    assert {band: int(column[label]) for band, label in labels.items()} == findings


def test_a_school_with_two_int01_findings_is_counted_once():
    """Older evaluations (the factory's) give Brook Elementary one INT-01 finding per group."""
    ctx = make_context()
    brook = [f for f in ctx.evaluation["findings"] if f["rule"] == "INT-01" and f["school_id"] == "E2"]
    assert len(brook) == 2
    assert _int01_column(ctx)["Elementary (PK\u20135)"] == "2"  # Brook and Dogwood


def test_the_header_says_what_is_counted(ctx):
    html = render_report_html(ctx)
    assert '<th scope="col" class="num">Schools flagged by INT-01</th>' in html
    assert "outside INT-01 band" not in html


def test_int01_turned_off_reads_not_applicable_not_zero():
    params = default_params()
    params["INT-01"]["enabled"] = False
    assert set(_int01_column(_context(params)).values()) == {"not applicable"}
