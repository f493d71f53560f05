"""The evaluation JSON names each band's plan in its findings' reassignment estimates, and every
reader that takes one finding at a time (reports, stored findings) gets the estimate whole."""
from __future__ import annotations

import copy

import orjson
import pytest

from compliance.demo import demo_workbook
from compliance.models import Evaluation
from compliance.reports.context import ReportContext
from compliance.rules import evaluate as evaluate_module
from compliance.rules.evaluate import RuleSetRef, evaluate_workbook
from compliance.rules.recommendation_json import expand
from compliance.rules.ruleset import default_params
from compliance.services.evaluation import _finding_rows

RULE_SET = RuleSetRef("State default", "1", default_params())


@pytest.fixture(scope="module")
def both():
    """The zoned demo district's evaluation as written, and the same with every estimate whole
    (the compaction switched off): the oracle is the rules' own estimates, untouched."""
    wb = demo_workbook("zoned", "2026-27")
    written = evaluate_workbook(wb, rule_set=RULE_SET, state="MS")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(evaluate_module, "compact", lambda findings, remedies: None)
        whole = evaluate_workbook(wb, rule_set=RULE_SET, state="MS")
    return written, whole


def _reassignment_recs(result):
    return [(f, r) for f in result["findings"] for r in f["recommendations"]
            if isinstance(r["estimate"], dict) and "students_moved" in r["estimate"]]


def test_a_reassignment_estimate_names_its_band_plan_and_keeps_its_own_numbers(both):
    written, whole = both
    recs = _reassignment_recs(written)
    assert len(recs) >= 10  # the zoned district: INT-01/INT-03 findings in two bands, 2-3 entries each
    for f, rec in recs:
        est, plan = rec["estimate"], written["remedies"]["integration"][f["band"]]
        assert est["plan"] == f["band"]
        assert not {"method", "band_share", "largest_changes"} & est.keys()  # once, in the plan
        assert est["students_moved"] == plan["students_moved"] and est["share_of_band"] == plan["share_of_band"]
        assert est["school_after"]["enrollment"] == next(
            s["enrollment"] for s in plan["schools_after"] if s["school_id"] == f["school_id"])
        assert plan["method"].startswith("Linear program") and plan["largest_changes"] == plan["pairs"][:5]
        assert rec["body"] and rec["sources"]  # the text stays with the finding
    assert not _reassignment_recs(whole)[0][1]["estimate"].get("plan")


def test_expanding_gives_back_every_estimate_whole(both):
    written, whole = both
    # Through orjson, as the command writes it and a reader loads it.
    loaded = orjson.loads(orjson.dumps(written))
    assert expand(loaded)["findings"] == orjson.loads(orjson.dumps(whole["findings"]))
    # The method paragraph once per band's plan, not once per recommendation quoting it.
    assert orjson.dumps(written).count(b"Linear program solved") == len(written["remedies"]["integration"]) == 2
    assert orjson.dumps(whole).count(b"Linear program solved") == 2 + len(_reassignment_recs(whole))


def test_an_evaluation_stored_with_whole_estimates_is_read_as_it_is(both):
    _, whole = both
    before = copy.deepcopy(whole)
    assert expand(whole)["findings"] == before["findings"]


def test_the_report_and_the_stored_findings_read_whole_estimates(both):
    written, whole = both
    ctx = ReportContext(evaluation=written, schools=[], district_name="", district_id="", state="MS", cycle="",
                        submission_version=1, status="", workbook_sha256="", rule_set_name="", rule_set_version="",
                        rule_params={}, generated_at=None)  # type: ignore[arg-type]
    assert ctx.evaluation["findings"] == whole["findings"]
    rows = _finding_rows(Evaluation(), written)
    assert [r.recommendations for r in rows] == [f["recommendations"] for f in whole["findings"]]
