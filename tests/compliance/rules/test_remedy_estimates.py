"""Issue 13 item 3: pairwise enrollment changes, grade-center and lottery-seat estimates, worked out by hand."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.rules.district_rules import lottery_findings
from compliance.rules.model import LotteryRow, RuleFinding, SchoolRow, WorkbookData
from compliance.rules.recommendations import recommend
from compliance.rules.remedies import integration_remedy
from compliance.rules.remedies_levers import grade_center_remedy, lottery_seats_remedy
from compliance.rules.ruleset import section

from .test_recommendations import district, keys, school


def int01(sid: str, band: str = "elementary") -> RuleFinding:
    return RuleFinding(rule="INT-01", severity="finding", scope="school", message="...", school_id=sid, band=band)


# ---------------------------------------------------------------- every band gets its reassignment estimate


def test_band_of_other_schools_gets_the_reassignment_estimate():
    # Eight elementary schools assigned by "other" methods, alternating 80% and 20% of color,
    # 100 students each: band share 50%, so each 80% school must reach 65 and each 20% school 35.
    # Enrollment is kept: each of the four pairs swaps 15 and 15, 30 reassignments a pair,
    # 120 in all, 15% of 800. Before, only "ask for technical assistance" fitted such a band.
    schools = [school(f"E{i}", 100, 80 if i % 2 else 20, 50, method="other") for i in range(8)]
    wb = WorkbookData(district=district("Pine Bluff"), schools=schools)
    f = int01("E1")
    recommend(wb, [f], None, state="AR")
    assert keys(f) == ["rebalance-enrollment", "equity-assistance-center"]
    rebalance = f.recommendations[0]
    assert rebalance.title == "Rebalance enrollment among the elementary schools"
    assert rebalance.estimate["students_moved"] == 120
    assert rebalance.estimate["share_of_band"] == pytest.approx(0.15)
    assert rebalance.estimate["school_after"]["students_of_color"] == 65
    assert "about 120 student reassignments (15.0% of the band's 800 students)" in rebalance.body
    # A band with zones gets the zone advice carrying the same estimate, not both.
    zoned = [school(f"E{i}", 100, 80 if i % 2 else 20, 50) for i in range(8)]
    g = int01("E1")
    recommend(WorkbookData(district=district(), schools=zoned), [g], None, state="AR")
    assert keys(g) == ["attendance-zones-controlled-choice", "equity-assistance-center"]
    assert g.recommendations[0].estimate["students_moved"] == 120


# ---------------------------------------------------------------- pairs in whole students


def test_pairs_are_whole_students_with_the_composition_that_moves():
    # A 100 (80 of color, 40 ED), B 100 (20 of color, 60 ED), band 50% / 50%: A sends 15 of color,
    # B sends 15 white (the ED band is met already whatever ED status the movers have, and the
    # program moves the fewest). The pairs say how many change school and what moves; the after
    # table is the before plus what arrives less what leaves.
    a, b = school("A", 100, 80, 40), school("B", 100, 20, 60)
    r = integration_remedy([a, b], ed_band=None)
    assert sorted((p["from"], p["to"], p["students"], p["students_of_color"], p["white"]) for p in r["pairs"]) == [
        ("A", "B", 15, 15, 0), ("B", "A", 15, 0, 15)]
    assert r["after"]["A"] == {"enrollment_before": 100, "enrollment": 100, "students_of_color": 65,
                               "econ_disadvantaged": r["after"]["A"]["econ_disadvantaged"],
                               "students_of_color_share": 0.65, "ed_share": r["after"]["A"]["ed_share"]}
    # ED follows each mover's school ED share (independence): 15 x 0.4 = 6 leave A, 15 x 0.6 = 9 arrive.
    assert r["after"]["A"]["econ_disadvantaged"] == 40 - 6 + 9


@st.composite
def bands(draw):
    rows = []
    for i in range(draw(st.integers(min_value=3, max_value=7))):
        t = draw(st.integers(min_value=40, max_value=500))
        soc = draw(st.integers(min_value=0, max_value=t))
        rows.append(school(f"S{i}", t, soc, draw(st.integers(0, t))))
    return rows


@settings(max_examples=40, deadline=None)
@given(bands())
def test_pairs_keep_every_school_enrollment_and_add_up(schools):
    r = integration_remedy(schools, single_group_min_share=0.05)
    if not r["reachable"]:
        return
    moved = sum(p["students"] for p in r["pairs"])
    # Each pair rounded down or up, each school's net change kept: within a student per pair.
    assert abs(moved - r["students_moved"]) <= len(r["pairs"])
    for s in schools:
        after = r["after"][s.school_id]
        out = [p for p in r["pairs"] if p["from"] == s.school_id]
        inn = [p for p in r["pairs"] if p["to"] == s.school_id]
        assert after["enrollment"] == s.enrollment_total  # no capacity: enrollment kept exactly
        soc = s.enrollment_total - s.white
        assert after["students_of_color"] == soc - sum(p["students_of_color"] for p in out) + sum(
            p["students_of_color"] for p in inn)
        for p in out + inn:
            assert p["students"] == p["students_of_color"] + p["white"]
            assert 0 <= p["econ_disadvantaged"] <= p["students"]


# ---------------------------------------------------------------- grade centers


def middle_band() -> list[SchoolRow]:
    g = ("6", "8")
    return [school("P", 300, 270, 240, grades=g), school("Q", 300, 30, 60, grades=g),
            school("R", 150, 120, 90, grades=g), school("S", 150, 15, 30, grades=g)]


def test_grade_centers_pair_schools_when_there_are_more_schools_than_grades():
    # Grades 6-8 (three) and four schools: two clusters. Ranked by share of color P 90%, R 80%,
    # Q 10%, S 10% and dealt 1, 2, 2, 1: {P, S} and {R, Q}. In each, the larger school takes 6-7
    # and the smaller 8. {P, S}: 450 students, 285 of color, 270 ED; P serves 6-7, the students of
    # 6-7 in both schools (200 + 100 = 300) with the pooled mix, 190 of color and 180 ED; S gets
    # grade 8, 150 students, 95 of color and 90 ED. {R, Q}: 450, 150 of color, 150 ED; Q (6-7)
    # 300 with 100 of color and 100 ED; R (8) 150 with 50 and 50. P keeps its 200 students of
    # grades 6-7, S its 50 of grade 8, Q 200 and R 50: 400 of 900 change building.
    r = grade_center_remedy(middle_band())
    assert r["reachable"] and r["clusters"] == 2
    got = {c["school_id"]: (c["cluster"], c["grade_low"], c["grade_high"], c["enrollment"], c["students_of_color"],
                            c["econ_disadvantaged"]) for c in r["centers"]}
    assert got == {"P": (1, "6", "7", 300, 190, 180), "S": (1, "8", "8", 150, 95, 90),
                   "Q": (2, "6", "7", 300, 100, 100), "R": (2, "8", "8", 150, 50, 50)}
    assert r["students_changing_school"] == 400 and r["share_of_band"] == pytest.approx(400 / 900)


def test_grade_center_advice_carries_the_grade_center_estimate():
    wb = WorkbookData(district=district(), schools=middle_band())
    f = int01("P", band="middle")
    recommend(wb, [f], None, state="MS")
    grade = f.recommendations[0]
    assert grade.key == "grade-centers" and grade.estimate["band"] == "middle"
    assert grade.estimate["centers"][0]["school_id"] == "P"
    assert ("Estimate: as 2 clusters of grade centers (School P (6-7) and School S (8); School Q (6-7) and "
            "School R (8)), each school would have its cluster's mix, from 33% to 63% students of color; about "
            "400 students (44% of the band's 900) would attend another building.") in grade.body
    # The zone advice of the same finding keeps the reassignment estimate.
    assert f.recommendations[1].estimate["students_moved"] > 0


def test_grade_centers_one_center_per_school_when_grades_allow():
    # K-5 (six grades), three schools of 100: one cluster, spans of two grades each; every
    # school gets the pooled 150 of color out of 300, 50 each; each keeps a third of its
    # students, so 200 of 300 change building.
    r = grade_center_remedy([school("A", 100, 80, 50), school("B", 100, 20, 50), school("C", 100, 50, 50)])
    assert r["clusters"] == 1
    assert [(c["grade_low"], c["grade_high"], c["students_of_color"]) for c in r["centers"]] == [
        ("K", "1", 50), ("2", "3", 50), ("4", "5", 50)]
    assert r["students_changing_school"] == 200


def test_grade_centers_not_possible_with_more_schools_than_grades_each():
    r = grade_center_remedy([school("A", 100, 80, 50, grades=("9", "9")), school("B", 100, 20, 50, grades=("9", "9"))])
    assert r["reachable"] is False and "one span per school" in r["reason"]


# ---------------------------------------------------------------- lottery seats


def test_lottery_seats_when_the_ed_pool_was_under_admitted():
    # 120 seats, half reserved for ED (60); 150 ED and 300 other applicants, both pools enough.
    # Admitted 42 ED and 78 others; as INT-06 expects, 60 and 60: 18 more seats for ED, 18 fewer.
    est = lottery_seats_remedy(LotteryRow("L", 120, 150, 300, 42, 78))
    assert (est["reserved_seats_ed"], est["expected_admitted_ed"], est["expected_admitted_non_ed"]) == (60, 60, 60)
    assert (est["more_seats_ed"], est["more_seats_non_ed"]) == (18, -18)
    assert est["applicants_needed_ed"] == 0 and est["applicants_needed_non_ed"] == 0


def test_lottery_advice_carries_seat_numbers_for_a_short_pool():
    # Issue 13 item 11's case: 120 seats, 60 reserved for ED, only 40 ED applicants of whom 4 were
    # admitted, 116 others. The ED pool must admit all 40 (36 more); the others get the rest, 80
    # (36 fewer); 20 more ED applicants would fill the 60 reserved seats.
    lot = LotteryRow("L", seats=120, applicants_ed=40, applicants_non_ed=200, admitted_ed=4, admitted_non_ed=116)
    findings = lottery_findings([lot], section(None, "INT-06"), {"L": "elementary"}, {"L": "Lakeside Magnet"})
    assert [f.evidence["check"] for f in findings] == ["short_pool_ed"]
    wb = WorkbookData(district=district(), schools=[school("L", 400, 200, 150, method="magnet")], lottery=[lot])
    recommend(wb, findings, None, state="TX")
    lottery = findings[0].recommendations[0]
    assert lottery.key == "socioeconomic-lottery"
    assert (lottery.estimate["more_seats_ed"], lottery.estimate["more_seats_non_ed"]) == (36, -36)
    assert lottery.estimate["applicants_needed_ed"] == 20
    assert ("Estimate: admitting as the two pools require would give economically disadvantaged applicants 40 of "
            "the 120 seats (36 more than admitted) and the other applicants 80 (36 fewer); 20 more economically "
            "disadvantaged applicants would fill that pool's 60 reserved seats.") in lottery.body


def test_findings_json_never_carries_a_non_finite_number():
    from compliance.rules.evaluate import _finite_findings

    shared = {"students_moved": 3, "share_of_band": float("nan")}
    findings = [{"rule": "INT-01", "evidence": {"difference": float("inf"), "deviations": [{"x": float("-inf")}]},
                 "recommendations": [{"key": "a", "estimate": shared}, {"key": "b", "estimate": None}]},
                {"rule": "INT-03", "evidence": {}, "recommendations": [{"key": "a", "estimate": shared}]}]
    out = _finite_findings(findings)
    assert out[0]["evidence"] == {"difference": None, "deviations": [{"x": None}]}
    assert out[0]["recommendations"][0]["estimate"] == {"students_moved": 3, "share_of_band": None}
    assert out[1]["recommendations"][0]["estimate"]["share_of_band"] is None
    assert out[0]["recommendations"][1]["estimate"] is None


def test_a_real_district_assigned_by_other_methods_gets_its_reassignment_estimate():
    # NCES CCD 2000-01, LEA 0804800 (97 primary schools), every school's method "other" as in the
    # issue's 209-school district. The extract has no ED counts: ED is derived as a share of
    # Black and Hispanic students (a test choice, not data). Every INT-01 finding gets the
    # rebalance advice carrying the band's reassignment estimate.
    import csv
    from pathlib import Path

    from compliance.rules.evaluate import RuleSetRef, evaluate_workbook
    from compliance.rules.ruleset import default_params

    path = Path(__file__).resolve().parents[2] / "data" / "ccd" / "primary_schools_2000_01.csv"
    with path.open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["leaid"] == "0804800"]
    schools = []
    for r in rows:
        c = {g: int(r[g]) for g in ("hispanic", "american_indian", "asian", "black", "white")}
        total = sum(c.values())
        schools.append(SchoolRow(r["ncessch"], f"School {r['ncessch'][-4:]}", "K", "5", False, "other", total,
                                 c["hispanic"], c["american_indian"], c["asian"], c["black"], 0, c["white"], 0,
                                 round(0.8 * (c["black"] + c["hispanic"]) + 0.1 * total)))
    wb = WorkbookData(district=district("Adams-Arapahoe"), schools=schools)
    result = evaluate_workbook(wb, rule_set=RuleSetRef("State default", "1", default_params()), state="CO")
    int01 = [f for f in result["findings"] if f["rule"] == "INT-01"]
    assert len(rows) == 97 and int01
    plan = result["remedies"]["integration"]["elementary"]
    assert plan["reachable"] and plan["students_moved"] > 0
    for f in int01:
        rebalance = next(r for r in f["recommendations"] if r["key"] == "rebalance-enrollment")
        assert rebalance["estimate"]["students_moved"] == plan["students_moved"]
        assert rebalance["estimate"]["school_after"]["enrollment"] > 0
        assert f"about {plan['students_moved']:,} student reassignments" in rebalance["body"]
    # The whole plan once: every school of the band after it, the pairs adding up school by school.
    assert len(plan["schools_after"]) == 97
    net = {s.school_id: 0 for s in schools}
    for p in plan["pairs"]:
        net[p["from"]] -= p["students"]
        net[p["to"]] += p["students"]
    assert all(a["enrollment"] - a["enrollment_before"] == net[a["school_id"]] for a in plan["schools_after"])
