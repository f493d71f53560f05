"""The template as the coordinator who fills it sees it: alerts, prompts, print setup, prefill, examples."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import timezone

from compliance.workbook import definitions, guidance, problem_codes, reference_docs, schema
from compliance.workbook.reader import read_workbook
from compliance.workbook.template import TEMPLATE_ROWS, build_template

ROOT = Path(__file__).resolve().parents[3]
GRADES = '"PK,K,1,2,3,4,5,6,7,8,9,10,11,12"'
METHODS = '"attendance_zone,grade_center,choice_lottery,magnet,controlled_choice,other"'
ANY = (None, None, None, None)  # no rule: the prompt only

# (type, operator, formula1, formula2) each column's validation must have, worked out from
# docs/workbook-columns.md rather than from the code that writes them.
EXPECTED_RULES: dict[str, dict[str, tuple[str | None, ...]]] = {
    "Schools": {
        "school_id": ANY, "school_name": ANY,
        "grade_low": ("list", None, GRADES, None), "grade_high": ("list", None, GRADES, None),
        "title_i": ("list", None, '"Y,N"', None), "assignment_method": ("list", None, METHODS, None),
        **{c: ("whole", "greaterThanOrEqual", "0", None) for c in (
            "enrollment_total", "hispanic", "american_indian", "asian", "black", "pacific_islander", "white",
            "two_or_more", "econ_disadvantaged", "english_learners", "students_with_disabilities")},
        "capacity": ("whole", "greaterThan", "0", None),
    },
    "Budget": {
        "school_id": ANY, "school_name": ANY,
        **{c: ("decimal", "greaterThanOrEqual", "0", None) for c in (
            "teacher_fte_state_local", "teacher_fte_inexperienced", "teacher_fte_out_of_field",
            "personnel_state_local", "nonpersonnel_state_local", "federal")},
    },
    "Proposed": {
        "school_id": ANY, "school_name": ANY,
        "grade_low": ("list", None, GRADES, None), "grade_high": ("list", None, GRADES, None),
        "title_i": ("list", None, '"Y,N"', None), "assignment_method": ("list", None, METHODS, None),
        **{c: ("whole", "greaterThanOrEqual", "0", None) for c in (
            "enrollment_total", "hispanic", "american_indian", "asian", "black", "pacific_islander", "white",
            "two_or_more", "econ_disadvantaged")},
    },
    "Lottery": {
        "school_id": ANY,
        "seats": ("whole", "greaterThan", "0", None),
        **{c: ("whole", "greaterThanOrEqual", "0", None) for c in (
            "applicants_ed", "applicants_non_ed", "admitted_ed", "admitted_non_ed")},
        "target_ed_share": ("decimal", "between", "0", "1"),
    },
}


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("template") / "blank.xlsx"
    build_template(out)
    return out


def _validations(ws) -> dict[str, object]:
    return {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}


@pytest.mark.parametrize("sheet_name", list(EXPECTED_RULES))
def test_each_column_has_a_prompt_and_a_stop_alert_for_its_rule(blank: Path, sheet_name: str) -> None:
    ws = openpyxl.load_workbook(blank)[sheet_name]
    dvs = _validations(ws)
    headers = [c.value for c in ws[1]]
    assert set(headers) == set(EXPECTED_RULES[sheet_name])
    assert len(dvs) == len(headers)  # one validation per column, nothing else
    for j, name in enumerate(headers):
        letter = openpyxl.utils.get_column_letter(j + 1)
        dv = dvs[f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"]
        assert (dv.type, dv.operator, dv.formula1, dv.formula2) == EXPECTED_RULES[sheet_name][name], name
        # Every cell tells what it holds when selected.
        assert dv.showInputMessage is True and dv.promptTitle == name
        assert dv.prompt.startswith(schema.SHEETS_BY_KEY[sheet_name.lower()].column(name).help)
        assert dv.allow_blank is True  # a blank is the reader's one DATA-21, not an Excel alert
        if dv.type is None:
            assert not dv.showErrorMessage and dv.error is None
            continue
        assert dv.showErrorMessage is True and dv.errorStyle == "stop", name
        assert dv.errorTitle == name and name in dv.error


def test_alert_texts_say_what_is_allowed(blank: Path) -> None:
    wb = openpyxl.load_workbook(blank)
    schools = {dv.promptTitle: dv for dv in wb["Schools"].data_validations.dataValidation}
    assert schools["grade_low"].error == (
        "grade_low must be one of: PK, K, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12. "
        "Pick one of the allowed values from the cell's drop-down list."
    )
    assert schools["black"].error == "black must be a whole number, 0 or more, without letters or notes."
    assert schools["capacity"].error == "capacity must be a whole number, greater than 0, without letters or notes."
    assert "At most enrollment_total." in schools["econ_disadvantaged"].prompt
    # The count columns point to the count-date definition, the spending columns to theirs.
    assert '"Count date"' in schools["enrollment_total"].prompt
    budget = {dv.promptTitle: dv for dv in wb["Budget"].data_validations.dataValidation}
    assert '"Personnel spending"' in budget["personnel_state_local"].prompt
    assert '"First- or second-year teachers"' in budget["teacher_fte_inexperienced"].prompt
    lottery = {dv.promptTitle: dv for dv in wb["Lottery"].data_validations.dataValidation}
    assert lottery["target_ed_share"].error == (
        "target_ed_share must be a number (decimals allowed), from 0 to 1 (0.5 or 50% for half), "
        "without letters or notes."
    )


def test_district_fields_have_prompts_and_alerts(blank: Path) -> None:
    ws = openpyxl.load_workbook(blank)["District"]
    dvs = _validations(ws)
    fields = [ws.cell(row=r, column=1).value for r in range(2, 9)]
    assert set(dvs) == {f"B{r}" for r in range(2, 9)}
    for r, name in enumerate(fields, start=2):
        dv = dvs[f"B{r}"]
        assert dv.showInputMessage and dv.promptTitle == name
        assert dv.prompt.startswith(schema.DISTRICT.column(name).help)
    row = {name: r for r, name in enumerate(fields, start=2)}
    year, version = dvs[f"B{row['school_year']}"], dvs[f"B{row['template_version']}"]
    email = dvs[f"B{row['contact_email']}"]
    assert (year.type, year.operator, year.formula1, year.errorStyle) == ("textLength", "equal", "7", "stop")
    assert (version.type, version.operator, version.formula1, version.errorStyle) == ("whole", "equal", "1", "stop")
    at_sign = f'ISNUMBER(SEARCH("@",B{row["contact_email"]}))'
    assert (email.type, email.formula1, email.errorStyle) == ("custom", at_sign, "stop")
    # The alerts give the advice of the problem code the reader would report.
    assert version.showErrorMessage and version.error == problem_codes.DATA_CODES["DATA-31"].fix
    codes = problem_codes.DATA_CODES
    assert year.error == codes["DATA-32"].fix and email.error == codes["DATA-35"].fix
    for name in ("district_id", "district_name", "contact_name", "proposed_change_description"):
        assert dvs[f"B{row[name]}"].type is None and not dvs[f"B{row[name]}"].showErrorMessage


def test_prompt_and_alert_texts_fit_excel_limits() -> None:
    # Excel reports the whole file as damaged when one of these is longer.
    for sheet in schema.SHEETS:
        for col in sheet.columns:
            assert len(col.name) <= 32
            assert len(guidance.input_prompt(col)) <= 255, col.name
            assert len(guidance.error_alert(col) or "") <= 225, col.name


def test_print_setup_and_frozen_school_columns(blank: Path) -> None:
    wb = openpyxl.load_workbook(blank)
    frozen = {"Instructions": None, "District": "B2", "Schools": "C2", "Budget": "C2", "Proposed": "C2",
              "Lottery": "B2"}
    for ws in wb.worksheets:
        ps = ws.page_setup
        assert (ps.orientation, ps.fitToWidth, ps.fitToHeight) == ("landscape", 1, 0), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert (ws.oddFooter.left.text, ws.oddFooter.right.text) == ("&A", "Page &P of &N")
        assert ws.freeze_panes == frozen[ws.title]
        if ws.title == "Instructions":
            assert ws.print_title_rows is None and ws.print_options.gridLines is False
        else:
            assert ws.print_title_rows == "$1:$1" and ws.print_options.gridLines is True
    # Instructions: every text cell wraps, and merged paragraph rows carry their own height.
    ins = wb["Instructions"]
    texts = [c for row in ins.iter_rows() for c in row if isinstance(c.value, str)]
    assert texts and all(c.alignment.wrap_text for c in texts)
    for rng in ins.merged_cells.ranges:
        assert ins.row_dimensions[rng.min_row].height >= 15
    # Printed, each sheet's table starts a new page, right above its heading.
    headings = [c.row for c in ins["A"] if str(c.value).startswith("Sheet ")]
    assert [b.id + 1 for b in ins.row_breaks.brk] == headings and len(headings) == len(schema.SHEETS)


@pytest.mark.django_db
def test_make_template_prefills_grades_and_the_cycles_school_year(tmp_path: Path, cycle) -> None:
    from districts.models import District, School

    d = District.objects.create(state_id="0042", name="Lakeside ISD", state="MS")
    # Directories often write grade 9 as 09: the template writes the code the reader takes.
    School.objects.create(district=d, school_id="007", name="Lakeside High", grade_low="09", grade_high="12")
    School.objects.create(district=d, school_id="003", name="Lakeside Elementary", grade_low="PK", grade_high="5")
    School.objects.create(district=d, school_id="005", name="New School", grade_low="", grade_high="")
    out = tmp_path / "lakeside.xlsx"
    call_command("make_template", str(out), "--district", "0042")

    wb = openpyxl.load_workbook(out)
    rows = [[c.value for c in r[:5]] for r in wb["Schools"].iter_rows(min_row=2)]
    assert rows == [["003", "Lakeside Elementary", "PK", "5", None], ["005", "New School", None, None, None],
                    ["007", "Lakeside High", "9", "12", None]]
    assert wb["Schools"]["D4"].number_format == "@"  # "12" stays text, like "K"
    budget = [[c.value for c in r[:3]] for r in wb["Budget"].iter_rows(min_row=2)]
    assert budget == [["003", "Lakeside Elementary", None], ["005", "New School", None], ["007", "Lakeside High", None]]
    district = {r[0].value: r[1].value for r in wb["District"].iter_rows(min_row=2)}
    identity = (district["district_id"], district["district_name"], district["school_year"])
    assert identity == ("0042", "Lakeside ISD", "2026-27")  # the year of the `cycle` fixture, open today

    # The reader takes the prefilled grades; only the directory school without them lacks them.
    data = read_workbook(out, expected_district_ids={"0042"}, expected_school_year="2026-27")
    blank_grades = {(p.row, p.column) for p in data.problems if p.code == "DATA-21" and p.column.startswith("grade")}
    assert blank_grades == {(3, "grade_low"), (3, "grade_high")}
    assert not any(p.code in ("DATA-24", "DATA-27", "DATA-33") for p in data.problems)


@pytest.mark.django_db
def test_make_template_year_falls_back_to_the_latest_cycle_and_yields_to_the_option(tmp_path: Path, rule_set) -> None:
    from compliance.models import ReportingCycle
    from districts.models import District

    District.objects.create(state_id="0042", name="Lakeside ISD", state="MS")
    past = timezone.localdate() - timedelta(days=400)
    ReportingCycle.objects.create(school_year="2024-25", rule_set=rule_set, opens_on=past,
                                  due_on=past + timedelta(days=30), closes_on=past + timedelta(days=60))
    for extra, expected in (([], "2024-25"), (["--school-year", "2027-28"], "2027-28")):
        out = tmp_path / f"t{len(extra)}.xlsx"
        call_command("make_template", str(out), "--district", "0042", *extra)
        district = {r[0].value: r[1].value for r in openpyxl.load_workbook(out)["District"].iter_rows(min_row=2)}
        assert district["school_year"] == expected


def test_examples_are_on_the_instructions_sheet_only(blank: Path) -> None:
    wb = openpyxl.load_workbook(blank)
    for name in ("Schools", "Budget", "Proposed", "Lottery"):
        assert wb[name].max_row == 1, name  # the header row and nothing else
    district = {r[0].value: r[1].value for r in wb["District"].iter_rows(min_row=2)}
    assert {k: v for k, v in district.items() if v is not None} == {"template_version": 1}

    # On Instructions each sheet's table lists its columns with the example rows beside them.
    ins = [[c.value for c in row] for row in wb["Instructions"].iter_rows()]
    schools_at = next(i for i, r in enumerate(ins) if str(r[0]).startswith("Sheet Schools"))
    head = ins[schools_at + 1]
    assert head == ["column", "type", "required", "what it holds", "example row 2", "example row 3"]
    by_column = {r[0]: r for r in ins[schools_at + 2 : schools_at + 2 + len(schema.SCHOOLS.columns)]}
    assert by_column["school_id"][4:] == ["0110", "0120"]
    assert by_column["assignment_method"][4:] == ["attendance_zone", "magnet"]
    assert by_column["enrollment_total"][4:] == [412, 538]
    assert by_column["english_learners"][4:] == [37, None]  # optional, left blank in row 3
    district_at = next(i for i, r in enumerate(ins) if str(r[0]).startswith("Sheet District"))
    assert ins[district_at + 2][:1] + ins[district_at + 2][4:5] == ["district_id", "2800470"]

    # The reader ignores the Instructions sheet: a blank template has no rows, whatever the examples.
    data = read_workbook(blank)
    assert data.schools == [] and data.budget == [] and data.proposed is None and data.lottery == []
    assert sorted({p.code for p in data.problems}) == ["DATA-15", "DATA-16", "DATA-30"]


def test_the_examples_are_a_valid_submission(blank: Path, tmp_path: Path) -> None:
    """Copied into the data sheets, the examples read back without one problem."""
    wb = openpyxl.load_workbook(blank)
    for r in range(2, 2 + len(schema.DISTRICT.columns)):
        field = wb["District"].cell(row=r, column=1).value
        wb["District"].cell(row=r, column=2, value=guidance.EXAMPLE_DISTRICT[field])
    for name, rows in guidance.EXAMPLE_ROWS.items():
        ws = wb[name]
        headers = [c.value for c in ws[1]]
        for i, row in enumerate(rows, start=2):
            for j, h in enumerate(headers, start=1):
                ws.cell(row=i, column=j, value=row.get(h))
    filled = tmp_path / "example.xlsx"
    wb.save(filled)
    data = read_workbook(filled, expected_district_ids={"2800470"}, expected_school_year="2025-26")
    assert data.problems == []
    # 58 + 3 + 11 + 187 + 0 + 139 + 14 = 412; 41 + 2 + 25 + 146 + 1 + 301 + 22 = 538.
    schools = [(s.school_id, s.enrollment_total, s.title_i) for s in data.schools]
    assert schools == [("0110", 412, True), ("0120", 538, False)]
    budget = [(b.school_id, b.teacher_fte_state_local, b.federal) for b in data.budget]
    assert budget == [("0110", 27.5, 402115.5), ("0120", 33.0, 188460.0)]
    assert [(p.school_id, p.enrollment_total) for p in data.proposed] == [("0110", 430), ("0130", 200)]
    assert [(x.school_id, x.admitted_ed + x.admitted_non_ed, x.seats) for x in data.lottery] == [("0120", 120, 120)]


def test_definitions_are_in_the_instructions_and_in_docs(blank: Path) -> None:
    committed = (ROOT / "docs" / "workbook-definitions.md").read_text(encoding="utf-8")
    assert committed == reference_docs.definitions_markdown(), (
        "docs/workbook-definitions.md is stale: regenerate it with "
        "python -c 'from compliance.workbook.reference_docs import definitions_markdown; "
        "print(definitions_markdown(), end=\"\")' "
        "> docs/workbook-definitions.md"
    )
    ins = {c.value for row in openpyxl.load_workbook(blank)["Instructions"].iter_rows() for c in row if c.value}
    for d in definitions.DEFINITIONS:
        assert d.term in ins and d.text in ins and d.text in committed
    text = {d.term: d.text for d in definitions.DEFINITIONS}
    assert "October 1" in text["Count date"]
    assert "teachers of record" in text["Teachers"] and "state and local funds" in text["Teachers"]
    assert "salaries and benefits" in text["Personnel spending"]
    assert "first or second year of teaching anywhere" in text["First- or second-year teachers"]
    # Every column a definition names exists in the schema.
    names = {c.name for s in schema.SHEETS for c in s.columns}
    assert {c for d in definitions.DEFINITIONS for c in d.columns} <= names
