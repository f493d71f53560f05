"""Choosing recommendations for findings, the EAC table, and editing entries as JSON."""
from __future__ import annotations

import copy
import dataclasses

import pytest

from compliance.rules import recommendations as recs
from compliance.rules import remedies
from compliance.rules.model import BudgetRow, DistrictInfo, LotteryRow, RuleFinding, SchoolRow, WorkbookData
from compliance.rules.recommendations import (
    DEFAULT_EAC_REGIONS,
    DEFAULT_LIBRARY,
    entry_from_dict,
    entry_to_dict,
    recommend,
    validate_entry_dict,
)


def school(sid: str, n: int, soc: int, ed: int, *, method: str = "attendance_zone", title_i: bool = False,
           grades: tuple[str, str] = ("K", "5")) -> SchoolRow:
    return SchoolRow(
        school_id=sid, school_name=f"School {sid}", grade_low=grades[0], grade_high=grades[1],
        title_i=title_i, assignment_method=method, enrollment_total=n, hispanic=0, american_indian=0,
        asian=0, black=soc, pacific_islander=0, white=n - soc, two_or_more=0, econ_disadvantaged=ed,
    )


def district(name: str = "Clinton Public Schools") -> DistrictInfo:
    return DistrictInfo(district_id="2800930", district_name=name, school_year="2026-27", template_version=1,
                        contact_name="A. Person", contact_email="a@example.org")


def int01(sid: str = "A", band: str = "elementary", rule: str = "INT-01", severity: str = "finding") -> RuleFinding:
    return RuleFinding(rule=rule, severity=severity, scope="school", message="...", school_id=sid, band=band)


def keys(f: RuleFinding) -> list[str]:
    return [r.key for r in f.recommendations]


def small_district() -> WorkbookData:
    # Elementary: A 80% of color, B 20%, C 50%; band share 150/300 = 50%. A must reach <= 65,
    # B >= 35: 15 swaps between A and B = 30 reassignments, 10% of the band's 300 students.
    return WorkbookData(district=district(), schools=[
        school("A", 100, 80, 50), school("B", 100, 20, 50), school("C", 100, 50, 50),
        school("M", 300, 150, 150, grades=("6", "8")),
    ])


def test_recommendations_small_grade_band_district_mississippi():
    wb = small_district()
    f = int01()
    recommend(wb, [f], None, state="MS")
    assert keys(f) == ["grade-centers", "attendance-zones-controlled-choice", "equity-assistance-center"]
    grade, zones, eac = f.recommendations
    assert zones.estimate["students_moved"] == 30
    assert zones.estimate["share_of_band"] == pytest.approx(0.10)
    # Grade-center advice carries its own estimate, not the reassignment program's.
    assert "students_moved" not in grade.estimate and grade.estimate["clusters"] == 1
    assert "33 to 11 points" in grade.body
    assert "With 3 schools in the elementary band, Clinton Public Schools" in grade.body
    assert "about 30 student reassignments (10.0% of the band's 300 students)" in zones.body
    # Enrollment changes between a pair of schools, never students of one race moved.
    assert "30 students between School A and School B (15 students each way)" in zones.body
    # A ends at 65 students of color among its 100. Which ED cells the 30 students come from is
    # not settled by the program (every choice is 30 reassignments), so only the ED band is:
    # 50% +/- 15 points, and the share agrees with the count.
    after = zones.estimate["school_after"]
    assert {k: after[k] for k in ("enrollment_before", "enrollment", "students_of_color", "students_of_color_share")} \
        == {"enrollment_before": 100, "enrollment": 100, "students_of_color": 65, "students_of_color_share": 0.65}
    assert 35 <= after["econ_disadvantaged"] <= 65 and after["ed_share"] == after["econ_disadvantaged"] / 100
    assert "Black students from" not in zones.body and "white students from" not in zones.body
    assert any("hechingerreport.org" in s for s in grade.sources)
    assert eac.estimate is None
    assert eac.title == "Ask the Equity Assistance Center-South for technical assistance"
    assert "Region II, run by Southern Education Foundation" in eac.body
    assert "serves Mississippi" in eac.body


def test_recommendations_integration_lp_solved_once_per_band(monkeypatch):
    calls = []
    real = remedies.integration_remedy

    def counting(schools, **kw):
        calls.append(sorted(s.school_id for s in schools))
        return real(schools, **kw)

    monkeypatch.setattr(remedies, "integration_remedy", counting)
    wb = small_district()
    findings = [int01("A"), int01("B"), int01("A", rule="INT-03"), int01("M", band="middle")]
    plans = recommend(wb, findings, None, state="MS")
    assert calls == [["A", "B", "C"], ["M"]]
    zones = [f.recommendations[1] for f in findings]
    assert [z.key for z in zones] == ["attendance-zones-controlled-choice"] * 3 + ["equity-assistance-center"]
    assert zones[0].estimate["students_moved"] == 30
    assert zones[0].estimate["largest_changes"] == zones[2].estimate["largest_changes"]
    # Each finding carries its own school after the plan, not the whole table ...
    assert "pairs" not in zones[0].estimate and "schools_after" not in zones[0].estimate
    assert zones[0].estimate["school_after"]["students_of_color"] == 65
    assert zones[1].estimate["school_after"]["students_of_color"] == 35
    # ... which the evaluation gives once per band: every pair and every school.
    elementary = plans["integration"]["elementary"]
    assert {(p["from"], p["to"], p["students"]) for p in elementary["pairs"]} == {("A", "B", 15), ("B", "A", 15)}
    assert {a["school_id"]: a["students_of_color"] for a in elementary["schools_after"]} == {"A": 65, "B": 35, "C": 50}


def test_recommendations_large_district_gets_no_grade_centers():
    # 40 elementary schools, alternating 80% / 20% of color: still zoned, but too many for grade centers.
    schools = [school(f"E{i:02d}", 100, 80 if i % 2 else 20, 50) for i in range(40)]
    wb = WorkbookData(district=district("Big City ISD"), schools=schools)
    f = int01("E01")
    recommend(wb, [f], None, state="TX")
    assert keys(f) == ["attendance-zones-controlled-choice", "equity-assistance-center"]
    # 20 pairs of 15 swaps each: 600 reassignments, 15% of 4,000.
    assert f.recommendations[0].estimate["students_moved"] == 600
    # An administrator raising the limit to 50 schools in the band brings grade centers back.
    edited = tuple(dataclasses.replace(e, conditions={"max_schools_in_band": 50}, version=2)
                   if e.key == "grade-centers" else e for e in DEFAULT_LIBRARY)
    g = int01("E01")
    recommend(wb, [g], None, state="TX", library=edited)
    assert keys(g)[0] == "grade-centers"


def test_recommendations_lottery_finding_gets_two_pool_lottery():
    wb = WorkbookData(district=district(), schools=[
        school("L", 200, 100, 60, method="choice_lottery"), school("A", 300, 150, 150)],
        lottery=[LotteryRow(school_id="L", seats=100, applicants_ed=80, applicants_non_ed=200,
                            admitted_ed=30, admitted_non_ed=70)])
    f = RuleFinding(rule="INT-06", severity="finding", scope="lottery", message="...", school_id="L")
    recommend(wb, [f], None, state="TX")
    assert keys(f) == ["socioeconomic-lottery", "equity-assistance-center"]
    lottery = f.recommendations[0]
    assert "Dallas ISD" in lottery.body and lottery.estimate is None  # no seat numbers in the evidence
    assert "https://www.dallasisd.org/Page/77139" in lottery.sources


def test_recommendations_zoned_district_without_choice_gets_no_lottery():
    wb = small_district()
    f = int01()
    recommend(wb, [f], None, state="MS")
    assert "socioeconomic-lottery" not in keys(f)
    # A magnet school in the band makes the lottery fit.
    wb.schools.append(school("G", 100, 50, 50, method="magnet"))
    g = int01()
    recommend(wb, [g], None, state="MS")
    assert "socioeconomic-lottery" in keys(g)


def comparability_workbook() -> WorkbookData:
    # Title I A: 500 students, 25 FTE (20 per teacher), $4,000,000. Non-Title I B (400, 25 FTE)
    # and C (600, 37.5 FTE): pooled 16 per teacher, x 1.10 = 17.6; A needs 500 / 17.6 - 25 =
    # 3.41 FTE more, or 2.34 moved from B and C (see test_remedies).
    schools = [school("A", 500, 250, 400, title_i=True), school("B", 400, 100, 100), school("C", 600, 100, 100)]
    budget = [BudgetRow(school_id=sid, teacher_fte_state_local=fte, teacher_fte_inexperienced=0,
                        personnel_state_local=d, nonpersonnel_state_local=0, federal=0)
              for sid, fte, d in (("A", 25, 4_000_000), ("B", 25, 4_000_000), ("C", 37.5, 6_000_000))]
    return WorkbookData(district=district("Anytown USD"), schools=schools, budget=budget, has_budget_sheet=True)


def test_recommendations_res01_weighted_staffing_with_fte_estimate():
    f = RuleFinding(rule="RES-01", severity="finding", scope="school", message="...", school_id="A", band="elementary")
    recommend(comparability_workbook(), [f], None, state="CA")
    assert keys(f) == ["weighted-staffing-budgeting", "equity-assistance-center"]
    staffing = f.recommendations[0]
    assert staffing.estimate["fte_to_add"] == pytest.approx(500 / 17.6 - 25)
    assert staffing.estimate["fte_to_move_from_comparison"] == pytest.approx(2.34375)
    assert staffing.estimate["school_id"] == "A"
    assert "3.4 more state/local teacher FTE" in staffing.body
    assert "17.60 students per teacher (or 2.3 FTE moved" in staffing.body
    assert "WestEd" in f.recommendations[1].body


def test_recommendations_res02_dollars_and_res01_limit_from_params():
    # Stricter RES-01 limit 1.0: 500 / 16 - 25 = 6.25 FTE. RES-02: 0.9 x 10,000 - 8,000 = $1,000
    # per pupil x 500 = $500,000.
    params = {"RES-01": {"limit": 1.0}}
    f1 = RuleFinding(rule="RES-01", severity="finding", scope="school", message="...", school_id="A")
    f2 = RuleFinding(rule="RES-02", severity="finding", scope="school", message="...", school_id="A")
    recommend(comparability_workbook(), [f1, f2], params, state="CA")
    assert f1.recommendations[0].estimate["fte_to_add"] == pytest.approx(6.25)
    assert f2.recommendations[0].estimate["dollars_to_add"] == pytest.approx(500_000)
    assert "$500,000 more state/local spending" in f2.recommendations[0].body


def test_recommendations_res03_res04_estimates():
    # Quartiles by ED share: lowest L1 + L2 (200 pupils, $2.4M, 3 of 30 FTE inexperienced),
    # highest H (200 pupils, $2M, 6 of 20). Ratio 10,000 / 12,000; moving $200,000 evens them.
    # Teacher gap 30% - 10% = 20 points; swap y = 0.15 x 20 x 30 / 50 = 1.8 FTE.
    def b(sid, fte, d, inexp):
        return BudgetRow(school_id=sid, teacher_fte_state_local=fte, teacher_fte_inexperienced=inexp,
                         personnel_state_local=d, nonpersonnel_state_local=0, federal=0)
    wb = WorkbookData(district=district(), schools=[
        school("L1", 100, 10, 10), school("L2", 100, 20, 20), school("M1", 100, 40, 40),
        school("M2", 100, 60, 60), school("H", 200, 180, 180)],
        budget=[b("L1", 10, 1_200_000, 1), b("L2", 20, 1_200_000, 2), b("M1", 10, 1_000_000, 0),
                b("M2", 10, 1_000_000, 0), b("H", 20, 2_000_000, 6)])
    f3 = RuleFinding(rule="RES-03", severity="finding", scope="district", message="...")
    f4 = RuleFinding(rule="RES-04", severity="finding", scope="district", message="...",
                 evidence={"quartiles_by": "poverty"})
    recommend(wb, [f3, f4], None, state="IN")
    assert keys(f3) == ["weighted-staffing-budgeting", "equity-assistance-center"]
    assert f3.recommendations[0].estimate["dollars_to_move"] == pytest.approx(200_000)
    assert "moving $200,000 of state/local spending" in f3.recommendations[0].body
    assert keys(f4) == ["teacher-placement-incentives", "equity-assistance-center"]
    assert f4.recommendations[0].estimate["poverty"]["fte_to_swap"] == pytest.approx(1.8)
    assert "students_of_color" not in f4.recommendations[0].estimate  # the finding names its quartiles
    assert "swapping 1.8 inexperienced teacher FTE" in f4.recommendations[0].body
    assert "Midwest and Plains Equity Assistance Center" in f4.recommendations[1].title


def test_recommendations_commendation_gets_only_eac_without_estimate():
    f = int01(rule="INT-05", severity="info")
    f.band = None
    recommend(small_district(), [f], None, state="MS")
    assert keys(f) == ["equity-assistance-center"]
    assert f.recommendations[0].estimate is None


def test_recommendations_unknown_state_gets_generic_ta_and_no_duplicates():
    wb = small_district()
    f = int01()
    recommend(wb, [f], None)
    assert keys(f)[-1] == "state-technical-assistance"
    recommend(wb, [f], None)  # a second call adds nothing already there
    assert keys(f) == ["grade-centers", "attendance-zones-controlled-choice", "state-technical-assistance"]
    g = int01()
    recommend(wb, [g], None, state="zz")
    assert keys(g)[-1] == "state-technical-assistance"


def test_recommendations_eac_table():
    states = {"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
              "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
              "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
              "WV", "WI", "WY"}
    assert len(states) == 51 and states <= set(DEFAULT_EAC_REGIONS)
    by_region: dict[str, set[str]] = {}
    for st, info in DEFAULT_EAC_REGIONS.items():
        if st in states:
            by_region.setdefault(info["region"], set()).add(st)
    assert by_region["II"] == {"AL", "AR", "FL", "GA", "LA", "MS", "NC", "SC", "TN", "TX", "VA", "DC"}
    assert len(by_region["III"]) == 13 and {"IL", "IN", "IA", "KS", "MI", "OH", "WI"} <= by_region["III"]
    assert DEFAULT_EAC_REGIONS["MS"] == {"region": "II", "center": "Equity Assistance Center-South",
                                         "operator": "Southern Education Foundation"}
    assert DEFAULT_EAC_REGIONS["NY"]["center"] == "Center for Education Equity"
    assert DEFAULT_EAC_REGIONS["CA"]["operator"] == "WestEd"


def test_recommendations_library_round_trips_as_json():
    for entry in DEFAULT_LIBRARY:
        d = entry_to_dict(entry)
        assert validate_entry_dict(d) == [], entry.key
        assert entry_from_dict(copy.deepcopy(d)) == entry
    assert len({e.key for e in DEFAULT_LIBRARY}) == len(DEFAULT_LIBRARY)


def test_recommendations_validation_messages():
    good = entry_to_dict(DEFAULT_LIBRARY[0])
    bad = {**good, "key": "Grade Centers", "rule_codes": ["INT-99"], "body": "Ask {center.__class__}.",
           "conditions": {"max_schools_in_band": -1, "colour": "red",
                          "assignment_methods_any": ["busing"], "any": [{"has_lottery": "yes"}]},
           "sources": [""], "extra": 1}
    errors = validate_entry_dict(bad)
    expected = [
        "extra: unknown field",
        "key: required; lower-case letters",
        "body: unknown placeholder(s) {center.__class__}",
        "rule_codes: unknown code(s) INT-99",
        "conditions.max_schools_in_band: must be a whole number, 0 or more.",
        "conditions.colour: unknown condition",
        "conditions.assignment_methods_any: unknown value(s) busing",
        "conditions.any[0].has_lottery: must be true or false.",
        "sources: must be a list of non-empty texts",
    ]
    for prefix in expected:
        assert any(e.startswith(prefix) for e in errors), (prefix, errors)
    assert len(errors) == len(expected)
    with pytest.raises(ValueError, match="unknown condition"):
        entry_from_dict(bad)
    assert validate_entry_dict({**good, "conditions": {"min_schools_in_band": 7, "max_schools_in_band": 6}}) == [
        "conditions: min_schools_in_band must not be above max_schools_in_band."]
    assert validate_entry_dict([]) != []


def test_recommendations_placeholders_are_plain_substitution():
    entry = entry_from_dict({"key": "x", "title": "For {district_name}", "body": "{band} {state}",
                             "rule_codes": ["*"], "conditions": {}, "sources": []})
    f = int01()
    recommend(small_district(), [f], None, library=(entry,), state="VA")
    assert f.recommendations[0].title == "For Clinton Public Schools"
    assert f.recommendations[0].body == "elementary Virginia"
    assert recs.PLACEHOLDERS  # the documented vocabulary exists
