"""The PDF's comparability worksheet: what it prints for a hand-worked district, shortened for large districts."""
from __future__ import annotations

import re
from dataclasses import replace

import pytest
from django.utils import timezone

from compliance.demo import demo_workbook
from compliance.pipeline import builtin_rule_set
from compliance.reports import comparability as report
from compliance.reports.comparability import worksheet
from compliance.reports.generate import SubmissionFacts, report_context
from compliance.rules.evaluate import evaluate_workbook
from compliance.rules.ruleset import default_params
from tests.compliance.rules.worksheet_district import district

from .factories import make_context

COLUMNS = ("name", "title_i", "enrollment", "fte", "ratio", "ratio_limit", "staff_ok", "ppe", "ppe_limit", "spend_ok")


def _sheet(params=None):
    schools, budgets = district()
    return worksheet(make_context(schools=schools, budget=budgets, rule_params=params or default_params(),
                                  generated_at=timezone.now()))


def _cells(band) -> list[tuple[str, ...]]:
    return [tuple(row[k] for k in COLUMNS) for row in band["rows"]]


def test_every_school_with_its_figures_limits_and_status():
    sheet = _sheet()
    assert sheet is not None
    elementary, middle, high = sheet["bands"]
    assert _cells(elementary) == [  # Title I schools first, then the comparison schools, by name
        ("Teak Elementary", "yes", "250", "10", "25.0", "\u2264 22.0", "no", "$8,000", "\u2265 $8,520", "no"),
        ("Thistle Elementary", "yes", "120", "0", "no teachers", "\u2264 22.0", "no",
         "$10,000", "\u2265 $8,520", "yes"),
        # 8 pupils: printed as <10, and its pupils per teacher (8 x 1 FTE would give them away) as *.
        ("Thyme Elementary", "yes", "<10", "1", "*", "\u2014", "exempt (under 100)",
         "$5,000", "\u2014", "exempt (under 100)"),
        ("Tulip Elementary", "yes", "300", "15", "20.0", "\u2264 22.0", "yes", "$9,500", "\u2265 $8,520", "yes"),
        ("Aspen Elementary", "no", "400", "20", "20.0", "\u2014", "comparison", "$9,000", "\u2014", "comparison"),
        ("Birch Elementary", "no", "200", "10", "20.0", "\u2014", "comparison", "$10,000", "\u2014", "comparison"),
        ("Cedar Elementary", "no", "150", "0", "no teachers", "\u2014", "left out (no teachers)",
         "$10,000", "\u2014", "comparison"),
        ("Sumac Elementary", "no", "60", "2", "30.0", "\u2014", "exempt (under 100)",
         "$15,000", "\u2014", "exempt (under 100)"),
    ]
    assert elementary["groups"] == [
        "Staff compared with the band\u2019s non-Title I schools: 2 schools, 20.00 pupils per teacher pooled",
        "Spending compared with the band\u2019s non-Title I schools: 3 schools, $9,467 per pupil pooled",
    ]
    assert elementary["statement"] == ("2 of 3 tested Title I schools of the elementary band are not comparable: "
                                       "Teak Elementary (staff and spending); Thistle Elementary (staff).")
    assert elementary["caption"] == "Elementary (PK\u20135): each school"
    # 1.1 x 800 / 35 = 25.14; 0.9 x 9,250 = 8,325.
    assert _cells(middle)[:2] == [
        ("Magnolia Middle", "yes", "300", "10", "30.0", "\u2264 25.1", "no", "$8,000", "\u2265 $8,325", "no"),
        ("Maple Middle", "yes", "500", "25", "20.0", "\u2264 25.1", "yes", "$10,000", "\u2265 $8,325", "yes"),
    ]
    assert middle["groups"][0] == ("Staff compared with every school of the band (all are Title I): 2 schools, "
                                   "22.86 pupils per teacher pooled")
    assert middle["statement"] == ("1 of 2 tested Title I schools of the middle band is not comparable: "
                                   "Magnolia Middle (staff and spending).")
    assert _cells(high) == [("Hawthorn High", "yes", "900", "30", "30.0", "\u2014", "exempt (only school)",
                             "$9,000", "\u2014", "exempt (only school)")]
    assert high["groups"] == []
    assert high["statement"] == "Exempt: the high band has one school, so there is nothing to compare with."
    assert sheet["verdict"] == ("The district does not meet comparability: 3 Title I schools are not comparable "
                                "(findings under RES-01 and RES-02).")


@pytest.mark.parametrize("threshold, shown", [
    (8_000.4, ("$8,000.00", "\u2265 $8,000.40")),  # whole dollars would read $8,000 against $8,000
    (8_000.0009, ("$8,000.0000", "\u2265 $8,000.0009")),  # so would cents
])
def test_a_figure_that_rounds_to_its_limit_shows_the_side_it_falls_on(threshold, shown):
    params = default_params()
    params["RES-02"]["limit"] = threshold / 9_250  # Magnolia Middle spends $8,000 per pupil; the pool $9,250
    middle = _sheet(params)["bands"][1]
    row = middle["rows"][0]
    assert (row["name"], row["ppe"], row["ppe_limit"], row["spend_ok"]) == ("Magnolia Middle", *shown, "no")
    assert (middle["rows"][1]["ppe"], middle["rows"][1]["ppe_limit"]) == ("$10,000", "\u2265 $8,000")


def test_rules_turned_off_and_untested_bands_say_so():
    params = default_params()
    params["RES-01"]["enabled"] = False
    params["RES-02"]["min_enrollment"] = 1000  # every Title I school exempt from spending
    sheet = _sheet(params)
    elementary = sheet["bands"][0]
    assert {row["staff_ok"] for row in elementary["rows"]} == {"not checked (rule off)"}
    assert elementary["groups"][0] == "Staff: not checked (RES-01 is turned off in this rule set)"
    assert elementary["statement"] == ("The elementary band\u2019s Title I schools are all exempt "
                                       "(under 1000 students): none is tested.")
    assert sheet["verdict"] == ("No Title I school is tested for comparability (each is exempt or has no "
                                "comparison figure).")
    assert "Staff (RES-01): turned off in this rule set." in sheet["limits"]
    assert "Schools under 100 students are exempt from the staff test, under 1000 from the spending test." in (
        sheet["limits"])
    params["RES-02"]["enabled"] = False
    sheet = _sheet(params)
    assert sheet["verdict"] == "Comparability is not checked: RES-01 and RES-02 are both turned off in this rule set."
    assert sheet["bands"][0]["statement"] == "Not determined: RES-01 and RES-02 are both turned off in this rule set."


def test_a_large_district_lists_the_furthest_below_first(monkeypatch):
    monkeypatch.setattr(report, "ROWS_MAX", 5)
    monkeypatch.setattr(report, "LISTED_MAX", 1)
    sheet = _sheet()
    elementary = sheet["bands"][0]
    # Thistle has no teachers at all: furthest from its limit; Teak is 25 / 22 - 1 = 14% over.
    assert [row["name"] for row in elementary["rows"]] == ["Thistle Elementary"]
    assert elementary["caption"] == ("Elementary (PK\u20135): the 1 Title I school furthest below their limits, "
                                     "of 2 not comparable (every school\u2019s figures are in the per-school and "
                                     "findings exports)")
    assert elementary["statement"] == ("2 of 3 tested Title I schools of the elementary band are not comparable: "
                                       "Thistle Elementary (staff); Teak Elementary (staff and spending).")
    assert sheet["bands"][2]["rows"] == []  # the one-school band has nothing failing to list
    assert sheet["verdict"].startswith("The district does not meet comparability: 3 Title I schools")


def test_the_large_demo_counts_every_failing_school_not_only_those_listed():
    wb = demo_workbook("large", "2026-27")
    rule_set = builtin_rule_set()
    result = evaluate_workbook(wb, rule_set=rule_set, state="MS")
    facts = SubmissionFacts(district_name="x", district_id="1", state="MS", cycle="2026-27", version=1,
                            status="Evaluated", workbook_sha256="0" * 64)
    sheet = worksheet(report_context(result=result, workbook=wb, facts=facts, rule_set=rule_set))
    assert sheet is not None
    band_of = {s.school_id: s.band for s in wb.schools}
    failing = {f["school_id"] for f in result["findings"] if f["rule"] in ("RES-01", "RES-02")}
    assert len(wb.schools) > report.ROWS_MAX and len(failing) > report.LISTED_MAX
    assert f": {len(failing)} Title I schools are not comparable" in sheet["verdict"]
    for band in sheet["bands"]:
        in_band = {sid for sid in failing if band["band"].lower().startswith(band_of[sid])}
        m = re.match(r"(\d+) of \d+ tested Title I schools", band["statement"])
        assert m is not None and int(m.group(1)) == len(in_band), band["statement"]
        assert len(band["rows"]) == min(len(in_band), report.LISTED_MAX)
        assert all(row["staff_ok"] == "no" or row["spend_ok"] == "no" for row in band["rows"])


def test_a_district_without_title_i_schools():
    schools, budgets = district()
    schools = [replace(s, title_i=False) for s in schools]
    sheet = worksheet(make_context(schools=schools, budget=budgets, rule_params=default_params()))
    assert sheet["verdict"] == "The district has no Title I school: comparability is not in question."
    elementary = sheet["bands"][0]
    assert elementary["statement"] == "The elementary band has no Title I school: comparability is not in question."
    # Nobody is compared with them: they read "not Title I", not "comparison".
    assert [(r["name"], r["staff_ok"], r["spend_ok"]) for r in elementary["rows"][:2]] == [
        ("Aspen Elementary", "not Title I", "not Title I"), ("Birch Elementary", "not Title I", "not Title I")]
    assert elementary["groups"][0] == ("Staff compared with the band\u2019s non-Title I schools: 4 schools, "
                                       "20.91 pupils per teacher pooled")  # A, B, T1, T2: 1,150 / 55


@pytest.mark.parametrize("enabled", [True, False])
def test_no_budget_sheet_no_worksheet(enabled):
    schools, _ = district()
    params = default_params()
    params["RES-01"]["enabled"] = enabled
    assert worksheet(make_context(schools=schools, budget=[], rule_params=params)) is None
