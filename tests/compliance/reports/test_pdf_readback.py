"""The demo districts' reports read back from the PDF (pdftotext, pdfinfo -struct-text), as issue 13 asks:
the decision page, one action plan, no repeated finding, tagged tables and figures, lottery privacy, the
proposed change and the comparability worksheet."""
from __future__ import annotations

import re
import subprocess
from dataclasses import replace

import pytest

from compliance.demo import demo_workbook
from compliance.pipeline import builtin_rule_set
from compliance.reports.generate import SubmissionFacts, report_context, report_pdf_offline
from compliance.reports.render import render_report_html
from compliance.rules.evaluate import evaluate_workbook
from compliance.rules.model import LotteryRow

from .factories import make_context

EAC = {"region": "II", "center": "Equity Assistance Center-South", "operator": "Southern Education Foundation"}


def _read(pdf: bytes, tmp_path) -> dict:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    struct = subprocess.run(["pdfinfo", "-struct-text", str(path)], check=True, capture_output=True, text=True).stdout
    return {"pages": [p for p in text.split("\f") if p.strip()], "text": text, "struct": struct}


def _report(wb, tmp_path) -> dict:
    rule_set = builtin_rule_set()
    result = evaluate_workbook(wb, rule_set=rule_set, state="MS")
    pdf = report_pdf_offline(result=result, workbook=wb, rule_set=rule_set, workbook_bytes=b"demo", state="MS",
                             assistance_center=EAC)
    return {"wb": wb, "result": result, "rule_set": rule_set, **_read(pdf, tmp_path)}


def _squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def zoned(tmp_path_factory):
    return _report(demo_workbook("zoned", "2026-27"), tmp_path_factory.mktemp("zoned"))


@pytest.fixture(scope="module")
def lottery(tmp_path_factory):
    wb = demo_workbook("lottery", "2026-27")
    # Issue 13: 47 ED applicants and 40 admitted would give away the 7 not admitted.
    wb.lottery = [LotteryRow("230", 100, 47, 200, 40, 50) if row.school_id == "230" else row for row in wb.lottery]
    return _report(wb, tmp_path_factory.mktemp("lottery"))


@pytest.fixture(scope="module")
def one_band(tmp_path_factory):
    """The zoned district's elementary schools alone: its only band's measures are the district's."""
    wb = demo_workbook("zoned", "2026-27")
    keep = {s.school_id for s in wb.schools if s.band == "elementary"}
    wb = replace(wb, schools=[s for s in wb.schools if s.school_id in keep],
                 budget=[b for b in wb.budget if b.school_id in keep], proposed=None)
    return _report(wb, tmp_path_factory.mktemp("one_band"))


def _failing(result: dict, rules: tuple[str, ...]) -> int:
    return sum(1 for f in result["findings"] if f["rule"] in rules and f["severity"] == "finding")


def test_first_page_carries_the_verdict_words_and_the_required_actions(zoned):
    first = _squash(zoned["pages"][0])
    result = zoned["result"]
    integration = _failing(result, ("INT-01", "INT-02", "INT-03", "INT-04"))
    resources = _failing(result, ("RES-01", "RES-02", "RES-03", "RES-04", "RES-05"))
    assert f"Integration not met: {integration} findings" in first
    assert "Proposed change met, with a commendation" in first
    assert "Lottery admissions not applicable (no admission lottery)" in first
    assert f"Resource equity not met: {resources} findings" in first
    assert "Required actions" in first and "1. Redraw attendance zones or adopt controlled choice" in first
    # The quantified remedy: the elementary band's reassignment estimate, in whole students.
    estimate = next(r["estimate"] for f in result["findings"] if f["rule"] == "INT-01" and f["band"] == "elementary"
                    for r in f["recommendations"] if r["key"] == "attendance-zones-controlled-choice")
    assert f"About {estimate['students_moved']:,} student reassignments" in first
    assert "Certified by not yet certified by the district" in first
    assert "Equity Assistance Center Region II, Equity Assistance Center-South" in first
    assert "Workbook SHA-256" not in first  # metadata is in the colophon
    assert zoned["pages"][1].lstrip().startswith(("Riverside County Schools", "Contents"))  # page 1 held it all


def test_one_action_plan_without_same_as_above_stubs(zoned, lottery):
    for report in (zoned, lottery):
        text = _squash(report["text"])
        assert "same recommendation" not in text and "given under" not in text and "same as above" not in text
        titles = re.findall(r"Action (\d+)\. ", text)
        assert titles and len(titles) == len(set(titles))  # each action once


def test_a_one_band_district_prints_each_finding_once(one_band):
    result = one_band["result"]
    text = _squash(one_band["text"])
    findings = result["findings"]
    district = {(f["rule"], str(f["evidence"])): i for i, f in enumerate(findings) if f["scope"] == "district"}
    repeats = [(i, district[(f["rule"], str(f["evidence"]))]) for i, f in enumerate(findings)
               if f["scope"] == "band" and (f["rule"], str(f["evidence"])) in district]
    assert len(repeats) >= 4  # INT-04's indices: the band's numbers are the district's
    for band_index, district_index in repeats:
        assert findings[band_index]["message"] not in text, findings[band_index]["message"]
        assert text.count(findings[district_index]["message"]) == 1
        # The rule's section says where the band's finding went.
        assert re.search(rf"The elementary band gave the same numbers as the district \(findings [\d, ]*\b"
                         rf"{band_index + 1}\b", text), band_index
    integration = _failing(result, ("INT-01", "INT-02", "INT-03", "INT-04"))
    merged = sum(1 for i, _ in repeats if findings[i]["rule"] in ("INT-01", "INT-02", "INT-03", "INT-04")
                 and findings[i]["severity"] == "finding")
    assert f"Integration not met: {integration - merged} findings" in _squash(one_band["pages"][0])


def test_table_cells_keep_their_headers(zoned):
    lines = [ln.strip() for ln in zoned["struct"].splitlines()]
    cells = [i for i, ln in enumerate(lines) if ln in ("TD", "TD:")]
    assert len(cells) > 300

    def attributes(i: int) -> list[str]:  # the "/Key value" lines under a cell
        out = []
        while lines[i + 1 + len(out)].startswith("/"):
            out.append(lines[i + 1 + len(out)])
        return out

    without = [i for i in cells if not any(a.startswith("/Headers [") for a in attributes(i))]
    assert without == []


def _tree(struct: str) -> list[tuple[int, str, list[str]]]:
    """(indent, element, ancestors) of every line of ``pdfinfo -struct-text``."""
    out, stack = [], []
    for line in struct.splitlines():
        indent, name = len(line) - len(line.lstrip()), line.strip()
        while stack and stack[-1][0] >= indent:
            stack.pop()
        out.append((indent, name, [n for _, n in stack]))
        stack.append((indent, name))
    return out


def test_each_figure_holds_its_caption_and_no_link_is_in_a_link(zoned):
    tree = _tree(zoned["struct"])
    figures = sum(1 for _, name, _ in tree if name.startswith("Figure"))
    in_figure = sum(1 for _, name, up in tree if name == "Caption" and up and up[-1].startswith("Figure"))
    assert figures >= 4 and in_figure == figures
    assert not any(name.startswith("Link") and any(a.startswith("Link") for a in up) for _, name, up in tree)
    # Every link annotation belongs to a Link element (the Contents' page numbers are outside the links).
    assert all(up and up[-1].startswith("Link") for _, name, up in tree if name.startswith("Object "))


def test_captions_do_not_repeat_the_alt_text():
    wb = demo_workbook("zoned", "2026-27")
    rule_set = builtin_rule_set()
    result = evaluate_workbook(wb, rule_set=rule_set, state="MS")
    facts = SubmissionFacts(district_name="Riverside County Schools", district_id="2611", state="MS",
                            cycle="2026-27", version=1, status="Evaluated", workbook_sha256="0" * 64)
    html = render_report_html(report_context(result=result, workbook=wb, facts=facts, rule_set=rule_set))
    figures = re.findall(r'alt="([^"]+)"[^>]*>\s*<figcaption><b>[^<]*</b>([^<]*)</figcaption>', html)
    assert len(figures) >= 4
    for alt, caption in figures:
        assert caption.strip() and caption.strip() not in alt and alt not in caption


_POOLS = ("ED applicants", "Other applicants", "ED admitted", "Others admitted", "ED applicants not admitted",
          "Other applicants not admitted", "Seats", "Empty seats")


def _lottery_tables(text: str) -> list[dict[str, str]]:
    """Each INT-06 finding's evidence, as printed: label -> value."""
    tables = []
    for block in text.split("Finding ")[1:]:
        if "What was checked" not in block.split("Recommended actions")[0]:
            continue
        values = {}
        for label in _POOLS:
            m = re.search(rf"^\s*{re.escape(label)}\s{{2,}}(\S+)", block, re.M)
            if m:
                values[label] = m.group(1)
        tables.append(values)
    return tables


def _number(value: str | None) -> int | None:
    return int(value.replace(",", "")) if value and re.fullmatch(r"[\d,]+", value) else None


def test_no_student_count_under_ten_is_printed_or_derivable_in_a_lottery_table(lottery):
    tables = _lottery_tables(lottery["text"])
    assert len(tables) >= 3
    for t in tables:
        n = {k: _number(v) for k, v in t.items()}
        for label in _POOLS[:6]:
            assert n.get(label) is None or not 0 < n[label] < 10, (label, t)
        for whole, part, other in (("ED applicants", "ED admitted", "ED applicants not admitted"),
                                   ("Other applicants", "Others admitted", "Other applicants not admitted")):
            for a in (part, other):
                if n.get(whole) is not None and n.get(a) is not None:
                    assert not 0 < n[whole] - n[a] < 10, (whole, a, t)
        if n.get("Seats") is not None and n.get("Empty seats") is not None:
            admitted = n["Seats"] - n["Empty seats"]
            for a in ("ED admitted", "Others admitted"):
                if n.get(a) is not None:
                    assert not 0 < admitted - n[a] < 10, (a, t)
    # The 47 ED applicants of whom 40 were admitted: printed, but never both beside each other.
    assert any(t.get("ED admitted") == "40" and t.get("ED applicants") == "*" for t in tables)


def test_the_proposed_change_has_its_section_and_its_before_after_table(zoned):
    text = _squash(zoned["text"])
    wb = zoned["wb"]
    assert "The proposed change" in text
    assert "The district\u2019s description: Pair the north and south elementary attendance zones (2027-28)." in text
    assert f"Each school the change touches ({len(wb.proposed)}): before and after" in text
    assert "INT-05: Commendation: the change lowers segregation" in text
    lines = zoned["text"].splitlines()
    now = {s.school_id: s for s in wb.schools}
    for p in wb.proposed:
        if now[p.school_id].white < 10:
            continue  # Douglass: its share of students of color is top-coded (6 white students)
        row = next(ln for ln in lines if now[p.school_id].school_name in ln and "changed" in ln)
        before, after = now[p.school_id], p
        expected = [f"{row.enrollment_total:,}" for row in (before, after)]
        expected += [f"{round(100 * (r.enrollment_total - r.white) / r.enrollment_total)}%" for r in (before, after)]
        cells = row.split()
        assert all(e in cells for e in expected), (row, expected)
    # In the summary as well: the proposed change's area has its own line in the results table.
    assert re.search(r"Proposed change\s+0\s+0\s+0\s+\d+\s+\d+", zoned["text"])


def test_the_one_school_band_is_not_applicable_not_zero(zoned):
    summary = _squash("\n".join(zoned["pages"][1:4]))
    assert "High (9\u201312): not applicable (one school)" in summary
    assert "High not applicable (one school)" in summary  # in the chart, where its bars would be
    assert "0.000" not in summary




def test_the_worksheet_prints_each_band_and_the_district_determination(zoned):
    text = _squash(zoned["text"])
    failing = {f["school_id"] for f in zoned["result"]["findings"] if f["rule"] in ("RES-01", "RES-02")}
    assert failing  # the zoned demo has Title I schools that are not comparable
    assert (f"The district does not meet comparability: {len(failing)} Title I schools are not comparable "
            "(findings under RES-01 and RES-02).") in text
    for band in ("Elementary (PK\u20135)", "Middle (6\u20138)", "High (9\u201312)"):
        assert f"{band}: each school" in text
    assert text.count("Determination:") == 3
    assert "Determination: Exempt: the high band has one school, so there is nothing to compare with." in text


def test_the_districts_description_of_the_change_prints_no_small_count(tmp_path):
    """The planner writes its changes into the District sheet ("1 Hispanic student"); a district may
    type "we will move 3 students". The workbook keeps them; the report prints them as "<10"."""
    wb = demo_workbook("zoned", "2026-27")
    said = ("Two moves: Move 40 students from North Hills Elementary to Carver Elementary; Move 1 Hispanic "
            "student from Lakeview Elementary to Pinecrest Elementary; we will move 3 students")
    wb = replace(wb, district=replace(wb.district, proposed_change_description=said))
    text = _squash(_report(wb, tmp_path)["text"])
    printed = ("Two moves: Move 40 students from North Hills Elementary to Carver Elementary; Move <10 Hispanic "
               "student from Lakeview Elementary to Pinecrest Elementary; we will move <10 students")
    assert f"The district\u2019s description: {printed}" in text
    assert f"The district proposes an assignment change (\u201c{printed}\u201d)" in text
    assert "1 Hispanic" not in text and "3 students" not in text


def test_the_description_is_scrubbed_with_the_reports_threshold():
    ctx = make_context(proposed_description=" We will move 15 students; 1 student returns. ", min_cell=20)
    assert ctx.proposed_description_printed == "We will move <20 students; <20 student returns."
