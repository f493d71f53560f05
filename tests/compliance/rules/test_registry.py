"""The rule registry declares every evidence key the rules emit, in the unit the values have,
and suppression follows the declared unit whatever a key is called."""
from __future__ import annotations

import dataclasses

import pytest

from compliance.demo import BUILDERS, demo_workbook
from compliance.reports.evidence import EvidenceFormatter, finding_for_export
from compliance.reports.suppression import suppress_school
from compliance.rules import registry
from compliance.rules.evaluate import RuleSetRef, evaluate_workbook
from compliance.rules.model import BudgetRow, LotteryRow, SchoolRow
from compliance.rules.registry import NAMED_GROUP, Field
from compliance.rules.ruleset import default_params
from tests.compliance.workbook.helpers import sample_data, school

RULE_CODES = [f"INT-0{n}" for n in range(1, 7)] + [f"RES-0{n}" for n in range(1, 6)]


def _workbooks():
    yield from (demo_workbook(key, "2026-27") for key in BUILDERS)
    yield sample_data()
    # A Title I school with no state/local teachers (RES-01 with no ratio) and a lottery that
    # both misses its target and leaves seats empty (both INT-06 checks on one row).
    wb = sample_data()
    wb.budget[0] = dataclasses.replace(wb.budget[0], teacher_fte_state_local=0.0)
    wb.schools.append(school("0104", "Dale Elementary", "K", "5", row=5))  # a non-Title I school to compare with
    wb.budget.append(BudgetRow("0104", 6.0, 1.0, 600_000.0, 30_000.0, 0.0, None, row=5))
    wb.lottery = [LotteryRow("0203", 120, 80, 200, 20, 80, 0.5, row=2)]
    yield wb


@pytest.fixture(scope="module")
def findings():
    out = []
    for wb in _workbooks():
        result = evaluate_workbook(wb, rule_set=RuleSetRef("State default", "1", default_params()), state="MS")
        out += result["findings"]
    return out


def test_every_rule_is_exercised(findings):
    # Otherwise the check below would pass for a rule by never seeing its evidence.
    assert {f["rule"] for f in findings} >= set(RULE_CODES)
    assert any(f["rule"] == "RES-01" and f["evidence"]["students_per_teacher"] is None for f in findings)
    assert {f["evidence"]["check"] for f in findings if f["rule"] == "INT-06"} == {"ed_share", "empty_seats"}


def test_every_evidence_key_is_declared_in_its_unit(findings):
    problems = {f"{f['rule']} {p}" for f in findings for p in registry.undeclared(f["rule"], f["evidence"])}
    assert problems == set()


def test_every_estimate_key_is_declared_in_its_unit(findings):
    estimates = [r["estimate"] for f in findings for r in f["recommendations"] if r["estimate"]]
    assert len(estimates) > 20
    problems = {p for e in estimates for p in registry.undeclared_estimate(e)}
    assert problems == set()


def test_the_check_catches_an_undeclared_key_and_a_wrong_type():
    evidence = {"group": "black", "school_share": "40%", "band_share": 0.2, "pupils_in_group": 7,
                "deviations": [{"group": "black", "difference": 3}]}
    assert sorted(registry.undeclared("INT-01", evidence)) == [
        "pupils_in_group: not declared", "school_share: str, not share"]
    assert registry.undeclared("INT-05", {"measure": "flagged_schools", "current": 0.4}) == [
        "current: float, not schools"]
    assert registry.undeclared("INT-05", {"measure": "multigroup", "current": 0.4, "commendation": True}) == []
    assert registry.undeclared("RES-03", {"schools_highest_poverty_quartile": True}) == [
        "schools_highest_poverty_quartile: bool, not schools"]


def _brook() -> SchoolRow:
    # 380 students, 7 Black: a small cell (and 11 of two or more races hidden beside it).
    return SchoolRow("E2", "Brook Elementary", "K", "5", False, "attendance_zone", 380,
                     20, 0, 12, 7, 0, 330, 11, 60)


def test_a_declared_count_is_suppressed_whatever_its_key_is_called():
    mask = suppress_school(_brook(), 10)
    assert mask.is_hidden("black")
    fields = {
        # Spelled like a share, declared a count of Black students at the school.
        "black_share": Field("students", group="black", at_school=True),
        "q": Field("students", group=NAMED_GROUP, at_school=True),
        # Spelled like a count, declared a count of schools: printed as is.
        "black_students": Field("schools"),
    }
    ev = EvidenceFormatter(mask, 10, fields=fields)
    evidence = {"group": "black", "black_share": 7, "q": 7, "black_students": 7}
    values, thresholds = ev.rows(evidence)
    assert dict(values) == {"Group": "Black", "Black share": "<10", "Q": "<10", "Black students": "7"}
    assert thresholds == []
    # The same count unsuppressed on screen.
    assert EvidenceFormatter(None, 0, suppress=False, fields=fields).value("q", 7, evidence) == "7"


def test_a_declared_share_and_its_distance_are_hidden_by_the_group_the_evidence_names():
    mask = suppress_school(_brook(), 10)
    finding = {"rule": "INT-01", "scope": "school", "school_id": "E2", "message": "",
               "evidence": {"group": "black", "school_share": 7 / 380, "band_share": 0.209,
                            "difference": 7 / 380 - 0.209, "band": 0.15, "single_group_min_band_share": 0.05}}
    out = finding_for_export(finding, mask, 10)
    # 7 of 380 is 1.8%: printed as the share range <3%; its difference to the printed 20.9% is hidden.
    assert out["evidence"] == "Group: Black; School share: <3%; Band share: 20.9%; Difference: *"
    assert out["threshold"] == "Band: \u00b115.0 points; Smallest band share a group is checked at: 5.0%"
    finding["evidence"]["group"] = "white"  # 330 white students: nothing to hide
    out = finding_for_export(finding, mask, 10)
    assert "School share: 1.8%" in out["evidence"] and "Difference: \u221219.1 points" in out["evidence"]


def test_a_lottery_count_is_suppressed_as_declared():
    finding = {"rule": "INT-06", "scope": "lottery", "school_id": "L1", "message": "",
               "evidence": {"seats": 40, "applicants_ed": 30, "applicants_non_ed": 60, "admitted_ed": 4,
                            "admitted_non_ed": 36, "target_ed_share": 0.5, "check": "ed_share",
                            "admitted_ed_share": 0.1, "difference": -0.4, "tolerance": 0.05}}
    out = finding_for_export(finding, None, 10)
    # 4 ED students admitted of 40: the count, its share and its distance to the printed target are hidden,
    # and the 36 others, which are the admitted total less the 4, are top-coded. The 26 not admitted
    # are a cell of the ED pool though unprinted (30 - 4), so the applicants are hidden with the 4.
    assert "ED admitted: <10" in out["evidence"] and "Others admitted: >30" in out["evidence"]
    assert "ED applicants: *" in out["evidence"]
    assert "Admitted ED share: <25%" in out["evidence"] and "Difference: *" in out["evidence"]
    assert "Seats: 40" in out["evidence"] and "Target ED share: 50.0%" in out["threshold"]


def test_units_format_as_declared():
    ev = EvidenceFormatter(None, 10, "RES-02")
    assert ev.value("limit", 0.9) == "90%"
    assert ev.value("threshold", 4069.18) == "$4,069"
    ev = EvidenceFormatter(None, 10, "INT-05")
    assert ev.value("change", 2, {"measure": "flagged_schools"}) == "+2"
    assert ev.value("change", -0.012, {"measure": "multigroup"}) == "\u22120.012"
    assert ev.value("tolerance", 0, {"measure": "flagged_schools"}) == "\u00b10"
    assert ev.value("measure", "flagged_schools") == "identifiable or segregated schools"
    assert EvidenceFormatter(None, 10, "INT-06").value("max_empty_seats", 0) == "0"


def test_threshold_text_reads_the_rule_sets_parameters():
    params = default_params()
    params["RES-01"] = {**params["RES-01"], "limit": 1.2, "enabled": False}
    assert registry.threshold_text("RES-01", params) == (
        "each Title I school's students per teacher at most 120% of the non-Title I pooled ratio of its band "
        "(schools under 100 students exempt) (rule turned off in this rule set)")
    assert registry.threshold_text("INT-03", default_params()) == (
        "a school's ED share within \u00b115 points of its grade band's ED share; severity finding")
    assert registry.threshold_text("DATA-40", default_params()) == ""


def test_names():
    assert [registry.rule_name(c) for c in ("INT-04", "DATA-41", "XYZ")] == [
        "District evenness (dissimilarity)", "Data check", "XYZ"]
    assert set(registry.RULE_NAMES) == set(RULE_CODES)
    # What ranks a rule's findings is one of its declared distances or measures.
    ranked = {code: registry.rank_field(code) for code in RULE_CODES}
    assert {code: r[0] for code, r in ranked.items() if r} == {
        "INT-01": "difference", "INT-02": "school_share", "INT-03": "difference", "INT-04": "value",
        "INT-06": "difference", "RES-04": "gap"}
    assert ranked["INT-06"][1].reference == "target_ed_share" and ranked["INT-01"][1].reference == "band_share"


def test_a_lottery_pool_cannot_be_worked_out_from_its_applicants():
    finding = {"rule": "INT-06", "scope": "lottery", "school_id": "L1", "message": "",
               "evidence": {"seats": 50, "applicants_ed": 30, "applicants_non_ed": 60, "admitted_ed": 4,
                            "admitted_non_ed": 36, "target_ed_share": 0.5, "check": "empty_seats", "empty_seats": 10,
                            "unadmitted_ed": 26, "unadmitted_non_ed": 24, "max_empty_seats": 0}}
    out = finding_for_export(finding, None, 10)
    # 30 applicants less 26 not admitted would give the 4 away: the 30 is hidden (a pool's applicants
    # go before its parts); the 36 other admissions are top-coded (40 - 36 = 4), so 60 applicants
    # less 24 would give them away: the 60 is hidden.
    assert "ED admitted: <10" in out["evidence"] and "ED applicants: *" in out["evidence"]
    assert "Others admitted: >30" in out["evidence"] and "Other applicants: *" in out["evidence"]
    assert "ED applicants not admitted: 26" in out["evidence"]
    assert "Other applicants not admitted: 24" in out["evidence"]
    assert "Empty seats: 10" in out["evidence"]
    assert out["threshold"] == "Target ED share: 50.0%; Most empty seats allowed: 0"
