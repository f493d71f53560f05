"""The findings report, read back from the PDF the way a reader (or a screen reader) gets it."""
from __future__ import annotations

import re
import subprocess
import zlib
from pathlib import Path

import pytest

from compliance.reports.render import html_to_pdf, render_report_html

from .factories import COMMENTS, DECISION, evaluation, make_context


def _pdf_objects(raw: bytes) -> bytes:
    """The PDF with every Flate stream inflated (object streams hide the catalog)."""
    parts = [raw]
    for m in re.finditer(rb"stream\r?\n", raw):
        try:
            parts.append(zlib.decompressobj().decompress(raw[m.end():m.end() + 2_000_000]))
        except zlib.error:
            continue
    return b"\n".join(parts)


def _pdftotext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    """One PDF with a decision, comments and a review, rendered once for the module."""
    ctx = make_context(decision=DECISION, comments=COMMENTS,
                       finding_reviews={0: {"status": "confirmed", "note": "Checked against the October count."}})
    html = render_report_html(ctx)
    pdf = tmp_path_factory.mktemp("report") / "report.pdf"
    pdf.write_bytes(html_to_pdf(html, ctx))
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return {"html": html, "pdf": pdf, "text": _pdftotext(pdf), "info": info}


def _school_table_line(text: str, name: str) -> str:
    """The per-school data appendix row of a school (the line that starts with its name and id)."""
    lines = [ln for ln in text.splitlines() if re.match(rf"\s*{re.escape(name)} \w+\d\s", ln)]
    assert len(lines) == 1, lines
    return lines[0]


def test_pdf_is_tagged_with_title_and_language(reviewed):
    info = reviewed["info"]
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert re.search(r"^Title:\s+Equity compliance findings: Magnolia County Schools, 2026-27$", info, re.M)
    assert re.search(r"^PDF version:\s+1\.7$", info, re.M)
    objects = _pdf_objects(reviewed["pdf"].read_bytes())
    assert b"/Lang (en)" in objects  # document language, from <html lang="en">
    assert b"/DisplayDocTitle true" in objects  # viewers show the title, not the file name
    assert b"pdfuaid:part" in objects  # PDF/UA identification in the XMP metadata
    # The dissimilarity chart, the elementary and middle compositions (the high band's one school has
    # nothing to compare with) and the spending scatter.
    assert objects.count(b"/S /Figure") == 4 and b"/Alt (Bar chart: share of students of color" in objects


def test_cover_and_page_numbers(reviewed):
    text = reviewed["text"]
    pages = int(re.search(r"^Pages:\s+(\d+)$", reviewed["info"], re.M).group(1))
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert "9f2c" + "ab" * 30 in text  # workbook SHA-256, whole
    assert "State default, version 3" in text
    assert "version 2" in text and "Under review" in text
    assert "November 22, 2026" in text


def test_numbers_match_the_evaluation(reviewed):
    text = reviewed["text"]
    ev = evaluation()
    multigroup = ev["measures"]["district"]["dissimilarity"]["multigroup"]
    assert f"{multigroup:.3f}" in text  # "0.412", indices to 3 decimals
    assert "multigroup dissimilarity is 0.412, a moderate level" in text
    # Adams Elementary: 262 students of color of 412 = 63.6% -> "64%" in the data appendix
    adams = _school_table_line(text, "Adams Elementary")
    assert re.search(r"\s412\s+64%\s+63%\s", adams), adams  # enrollment, students of color, ED (260/412)
    assert "$9,120" in adams and "14.2" in adams
    # Finding 1's evidence: school 13.2% vs band 53.3%, difference -40.1 points, threshold +/-15.0 points
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("1 ") and "Brook Elementary" in ln)
    assert re.search(r"13\.2%\s+53\.3%\s+\u221240\.1\s.*\u00b115\.0 points", line), line
    assert "progressivity 0.93" in text and "falls short of the required 1.00" in text
    assert "Not applicable".lower() in text.lower()  # middle/high progressivity is null
    # District, elementary, middle, proposed: the high band's one school has no column, "0.000" would be a
    # measure of nothing; the caption says why.
    assert re.search(r"Multigroup dissimilarity D \(race\)\s+0\.412\s+0\.455\s+0\.208\s+0\.377", text)
    assert "High (9\u201312): not applicable (one school)" in " ".join(text.split())
    assert "0.000" not in text


def test_small_counts_never_reach_the_pdf(reviewed):
    text = reviewed["text"]
    brook = _school_table_line(text, "Brook Elementary")
    cells = brook.split()
    # Brook has 7 Black students of 380: printed "<3%", never 7, 1.8% or 2%
    assert "<3%" in cells
    assert not {"7", "1.8%", "2%", "7%"} & set(cells), brook
    assert "*" in cells  # complementary suppression (two or more races: 11)
    for leak in ("7 students", "(7 ", "1.8%", "only 7 Black"):
        assert leak not in text
    assert "<3% Black students (<10 students)" in text
    # Dogwood has 6 white students: students of color is top-coded, 98.0% never printed
    assert "98.0%" not in text and "98%" not in text
    dogwood = _school_table_line(text, "Dogwood Elementary")
    assert ">96%" in dogwood.split()
    assert "In this report" in text and "suppressed" in text  # methodology states what was hidden


def test_decision_comments_and_reviews_when_present(reviewed):
    text = reviewed["text"]
    assert "Reviewer\u2019s decision and comments" in text
    assert "Corrective action required" in text and "Dana Whitfield" in text
    assert "Submit a corrective action plan for the elementary zones by March 1." in text
    assert "On finding 2 (INT-01, Brook Elementary)" in text
    assert "The district plans to redraw zones next year." in text
    # Finding 1's review, on a line of its own under its row (a narrow column would break the note up).
    lines = text.splitlines()
    row = next(i for i, ln in enumerate(lines) if ln.strip().startswith("1 ") and "Brook Elementary" in ln)
    review = next(ln for ln in lines[row:row + 6] if "Review:" in ln)
    assert "Review: Confirmed: Checked against the October count." in review


def test_no_review_section_before_a_decision():
    html = render_report_html(make_context())
    assert "Reviewer\u2019s decision" not in html and "Reviewer&rsquo;s decision" not in html
    assert "Corrective action required" not in html and "Review</th>" not in html


def test_charts_have_descriptive_alt_text(reviewed):
    html = reviewed["html"]
    alts = re.findall(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="([^"]+)"', html)
    assert len(alts) == 4  # dissimilarity, elementary and middle (the high band has one school), spending
    elementary = next(a for a in alts if "elementary schools" in a)
    assert elementary.startswith("Bar chart: share of students of color at each of the 5 elementary schools")
    assert "band&#x27;s 53%" in elementary
    assert "2 of 5 lie outside the 38% to 68% range: Dogwood Elementary (&gt;96%); Brook Elementary (13%)" in elementary
    spending = next(a for a in alts if a.startswith("Scatter plot"))
    assert "at 8 schools" in spending and "$8,615 (Dogwood Elementary, 90% ED)" in spending
    assert "Spending falls with poverty" in spending
    assert any("multigroup 0.412 (moderate)" in a for a in alts)


def test_evidence_threshold_and_recommendations(reviewed):
    text = reviewed["text"]
    assert "Rule set threshold: a school's share of students of color within ±15 points" in text
    assert re.search(r"Progressivity\s+0\.930\s+Required at least: 1\.000", text)
    assert "Students to reassign" in text and "202" in text
    # Issue 13: one action plan, no "same as above" stubs; each rule links to its actions.
    assert "same recommendation" not in text and "Action plan" in text
    assert "Recommended actions: action 1," in text
    assert "$214,000" in text


def test_hidden_share_is_not_given_away_by_its_difference(reviewed):
    text = reviewed["text"]
    row = next(ln for ln in text.splitlines() if ln.strip().startswith("2 ") and "Brook Elementary" in ln)
    cells = row.split()
    assert "<3%" in cells and "20.9%" in cells and "<10" in cells  # share range, band share, count
    assert "\u221219.1" not in row and "*" in cells  # 20.9% - 1.8% would give the count away


def test_blocked_evaluation_with_missing_measures_still_renders():
    ev = {"template_version": 1, "findings": [],
          "measures": {"district": {"dissimilarity": {"multigroup": None}}, "schools": []},
          "problems": [{"code": "DATA-03", "severity": "error", "sheet": "Schools", "row": 7, "column": "black",
                        "value": 7, "message": "The seven groups add up to 405, not 412 (black is 7).",
                        "fix": "Correct the counts."}]}
    html = render_report_html(make_context(evaluation=ev, schools=[]))
    assert "1 blocking data error(s)" in html
    assert "Multigroup dissimilarity D (race)</th><td class=\"num\">not applicable</td>" in html
    assert "(black is &lt;10)" in html and "<td>&lt;10</td>" in html  # the raw value 7 is a small count
    assert "No findings, warnings or notes in this area." in html
    assert "<img" not in html  # nothing to chart


def test_large_district_is_summarized_not_dumped():
    from compliance.reports import build
    from compliance.rules.model import SchoolRow

    rows, schools, findings = [], [], []
    for i in range(build.FULL_TABLE_MAX + 50):
        white = 40 + (i * 37) % 500
        r = SchoolRow(f"S{i:04d}", f"School {i:04d}", "K", "5", False, "attendance_zone", white + 300,
                      100, 0, 50, 150, 0, white, 0, 200)
        rows.append(r)
        t = r.enrollment_total
        schools.append({"school_id": r.school_id, "band": "elementary", "enrollment_total": t,
                        "share": {"students_of_color": 300 / t, "ed": 200 / t}, "ppe_state_local": 9000.0 + i,
                        "students_per_teacher": 14.0})
        findings.append({"rule": "INT-01", "severity": "finding", "scope": "school", "school_id": r.school_id,
                         "band": "elementary", "message": "x", "recommendations": [],
                         "evidence": {"group": "students_of_color", "school_share": 300 / t,
                                      "band_share": 0.5, "difference": 300 / t - 0.5, "band": 0.15}})
    ev = {"findings": findings, "problems": [], "measures": {"schools": schools}}
    view = build.build_view(make_context(evaluation=ev, schools=rows))
    assert view.data["full"] is False and view.data["rows"] == []
    assert view.data["bands"][0]["schools"] == f"{len(rows):,}"
    table = view.areas[0]["rules"][0]["tables"][0]
    assert len(table["rows"]) == build.TABLE_MAX and table["omitted"] == len(rows) - build.TABLE_MAX
    # the listed ones are the furthest from the band share: the smallest schools (300 of 340 students of color)
    listed = {r["school"] for r in table["rows"]}
    furthest = sorted(rows, key=lambda r: -abs(300 / r.enrollment_total - 0.5))[: build.TABLE_MAX]
    assert listed == {r.school_name for r in furthest}
    numbers = [r["number"] for r in table["rows"]]
    assert numbers == sorted(numbers)
    composition = view.charts["integration"][0]
    assert composition.alt.startswith(f"Histogram: share of students of color at the {len(rows)} elementary schools")


def test_plausibility_message_about_a_school_is_suppressed():
    from .factories import school_rows

    ev = evaluation()
    rows = school_rows()
    rows[1].econ_disadvantaged = 4  # Brook: 4 ED students of 380 = 1.1%
    ev["problems"] = [{"code": "DATA-42", "severity": "warning", "sheet": "Schools", "row": 3, "column": "title_i",
                       "value": "Y", "message": "Brook Elementary (E2) is flagged Title I but 1.1% of its students "
                                                "are economically disadvantaged, below the district's 49.6%.",
                       "fix": "Check the title_i flag."}]
    html = render_report_html(make_context(evaluation=ev, schools=rows))
    assert "Brook Elementary (E2) is flagged Title I but &lt;3% of its students" in html
    assert "1.1%" not in html


def test_names_cannot_break_out_of_the_page_css_or_the_charts():
    ctx = make_context(district_name='Evil "ISD" </style><script>x</script>')
    ctx.schools[0].school_name = "Adams $x^2$ Elementary"
    html = render_report_html(ctx)
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "<" not in style and '\\"ISD\\"' in style  # the running header string stays a CSS string
    assert "<script>" not in html
    assert "Adams $x^2$ Elementary" in html  # printed as written, and the chart still rendered
