"""The report over the real rules' output (the zoned demo district), not a hand-made dict.

Guards the evidence shapes the rules actually produce (INT-01's "deviations", lottery and
resource evidence, recommendation estimates with flows) and the suppression on them.
"""
from __future__ import annotations

import re

import pytest

from compliance.demo import demo_workbook
from compliance.reports.render import render_report_html
from compliance.rules.evaluate import RuleSetRef, evaluate_workbook
from compliance.rules.ruleset import default_params

from .factories import make_context


@pytest.fixture(scope="module")
def zoned():
    wb = demo_workbook("zoned", "2026-27")
    result = evaluate_workbook(wb, rule_set=RuleSetRef("State default", "1", default_params()), state="MS")
    ctx = make_context(evaluation=result, schools=wb.schools, district_name=wb.district.district_name,
                       district_id=wb.district.district_id)
    return wb, result, render_report_html(ctx)


def test_every_finding_is_numbered_in_the_report(zoned):
    _, result, html = zoned
    assert len(result["findings"]) > 20
    for n in range(1, len(result["findings"]) + 1):
        assert re.search(rf'<td class="num">{n}</td>|Finding {n} &middot;|Finding {n}<br>', html), n


def test_douglass_hidden_white_count_stays_hidden(zoned):
    wb, result, html = zoned
    douglass = next(s for s in wb.schools if s.school_name == "Douglass Elementary")
    assert douglass.white == 6 and douglass.enrollment_total == 380
    soc = (douglass.enrollment_total - douglass.white) / douglass.enrollment_total  # 98.4%
    text = re.sub(r"<[^>]+>", " ", html)
    for leak in (f"{soc * 100:.1f}%", f"{(1 - soc) * 100:.1f}%"):
        assert not re.search(rf"(?<![\d.]){re.escape(leak)}", text), leak  # not inside another school's "41.6%"
    assert not re.search(r"(?<![\d,.])6 white", text)
    finding = next(f for f in result["findings"] if f["rule"] == "INT-01" and f["school_id"] == douglass.school_id)
    assert f"{abs(finding['evidence']['difference']) * 100:.1f} points" in finding["message"]  # the raw message has it
    assert "Douglass Elementary (0317) is racially identifiable: &gt;97% students of color" in html
    assert "a difference of * points" in html


def test_recommendations_are_grouped_with_their_flows(zoned):
    wb, result, html = zoned
    assert html.count("Redraw attendance zones or adopt controlled choice") >= 1
    assert "<caption>Largest enrollment changes between schools</caption>" in html  # pairs of schools
    names = {s.school_id: s.school_name for s in wb.schools}
    largest = result["remedies"]["integration"]["elementary"]["pairs"][0]
    assert f"{names[largest['from']]}</td><td>{names[largest['to']]}</td>" in html  # school ids mapped to names
    # A change between two schools prints how many students, never the race of those who move.
    assert "Of them white" not in html and "Of them students of color" not in html
    assert "<th scope=\"col\">From</th><th scope=\"col\">To</th><th scope=\"col\">Students</th></tr>" in html
