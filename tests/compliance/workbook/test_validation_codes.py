"""Every sheet-, cell- and cross-sheet DATA code, triggered by editing a valid workbook.

Each test damages one thing and checks the exact code, sheet, Excel row, column and
value; the valid sample itself reads with no problems at all.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from compliance.workbook.problem_codes import DATA_CODES
from compliance.workbook.reader import read_workbook

from .helpers import codes, edit, only, rewrite_zip, sample_data, sheet_member, write


@pytest.fixture
def xlsx(tmp_path: Path) -> Path:
    return write(tmp_path / "s.xlsx")


def read(path: Path, **kw) -> object:
    return read_workbook(path, **kw)


def where(p) -> tuple:
    return (p.code, p.severity, p.sheet, p.row, p.column, p.value)


def delete_column(path: Path, sheet: str, header: str) -> None:
    """The template with one column of a sheet taken out, as a district might."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    ws.delete_cols([c.column for c in ws[1] if c.value == header][0])
    wb.save(path)


def test_valid_sample_has_no_problems(xlsx: Path) -> None:
    data = read(xlsx, expected_district_ids={"000123"}, expected_school_year="2026-27")
    assert data.problems == []
    expected = sample_data()
    assert data == expected or (data.schools, data.budget, data.lottery, data.proposed, data.district) == (
        expected.schools, expected.budget, expected.lottery, expected.proposed, expected.district)


# --- sheets and columns ---------------------------------------------------------------


def _drop_sheet(path: Path, name: str) -> Path:
    wb = openpyxl.load_workbook(path)
    del wb[name]
    wb.save(path)
    return path


@pytest.mark.parametrize("sheet", ["District", "Schools"])
def test_data_15_required_sheet_missing(xlsx: Path, sheet: str) -> None:
    data = read(_drop_sheet(xlsx, sheet))
    p = only(data, "DATA-15")
    assert where(p) == ("DATA-15", "error", sheet, None, None, None)
    assert repr(sheet) in p.message


def test_data_15_schools_without_rows(tmp_path: Path) -> None:
    d = sample_data(proposed=False, lottery=False)
    d.schools, d.budget = [], []
    data = read(write(tmp_path / "e.xlsx", d))
    assert where(only(data, "DATA-15"))[:3] == ("DATA-15", "error", "Schools")
    assert "no rows" in only(data, "DATA-15").message


def test_data_16_budget_missing_is_a_warning(xlsx: Path) -> None:
    data = read(_drop_sheet(xlsx, "Budget"))
    p = only(data, "DATA-16")
    assert where(p) == ("DATA-16", "warning", "Budget", None, None, None)
    assert "resource-equity rules" in p.message
    assert not data.has_errors and data.has_budget_sheet is False and data.budget == []
    assert len(data.schools) == 3


def test_data_16_budget_with_only_prefilled_ids(tmp_path: Path) -> None:
    d = sample_data()
    d.budget = []
    path = write(tmp_path / "b.xlsx", d)
    # The template prefills ids and names; nothing else filled in means "no budget".
    edit(path, [("Budget", 2, "school_id", "0101"), ("Budget", 2, "school_name", "Adams Elementary")])
    data = read(path)
    assert codes(data) == ["DATA-16"] and data.has_budget_sheet is False


def test_data_17_unknown_sheet_warning(xlsx: Path) -> None:
    wb = openpyxl.load_workbook(xlsx)
    wb.create_sheet("Notes")["A1"] = "hello"
    wb.save(xlsx)
    p = only(read(xlsx), "DATA-17")
    assert where(p) == ("DATA-17", "warning", "Notes", None, None, None)


def test_data_18_required_column_missing(xlsx: Path) -> None:
    delete_column(xlsx, "Schools", "black")
    data = read(xlsx)
    assert where(only(data, "DATA-18")) == ("DATA-18", "error", "Schools", 1, "black", None)
    assert data.schools == []


def test_an_unreadable_schools_sheet_is_the_only_problem_not_every_id_elsewhere(xlsx: Path) -> None:
    # With Schools unreadable, the Budget, Proposed and Lottery ids cannot be checked against it:
    # calling each of them "not on the Schools sheet" (or a school the change opens) would send
    # the district to fix rows that are right.
    delete_column(xlsx, "Schools", "black")
    data = read(xlsx)
    assert [where(p) for p in data.problems] == [("DATA-18", "error", "Schools", 1, "black", None)]
    assert sample_data().budget and sample_data().proposed and sample_data().lottery  # there were ids to check


def test_a_budget_value_over_an_out_of_range_cap_is_not_reported_twice(xlsx: Path) -> None:
    edit(xlsx, [("Budget", 2, "teacher_fte_state_local", -3)])
    data = read(xlsx)
    assert [p.code for p in data.problems] == ["DATA-23"]


def test_data_19_unknown_column_and_field_are_warnings(xlsx: Path) -> None:
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["Schools"]
    ws.cell(1, ws.max_column + 1, "Principal")
    ws.cell(2, ws.max_column, "Ms. Lee")
    dist = wb["District"]
    dist.append(["superintendent", "Dr. Who"])
    wb.save(xlsx)
    data = read(xlsx)
    found = sorted((where(p) for p in data.problems), key=str)
    assert found == [
        ("DATA-19", "warning", "District", 9, "superintendent", "Dr. Who"),
        ("DATA-19", "warning", "Schools", 1, "Principal", "Principal"),
    ]
    assert not data.has_errors and len(data.schools) == 3


def test_data_20_duplicate_column(xlsx: Path) -> None:
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["Schools"]
    ws.cell(1, ws.max_column + 1, "Enrollment Total")
    wb.save(xlsx)
    assert where(only(read(xlsx), "DATA-20")) == ("DATA-20", "error", "Schools", 1, "enrollment_total",
                                                  "Enrollment Total")


# --- cells ----------------------------------------------------------------------------


def test_data_21_required_blank(xlsx: Path) -> None:
    edit(xlsx, [("Schools", 3, "title_i", None), ("Budget", 4, "federal", "  ")])
    data = read(xlsx)
    assert sorted((where(p) for p in data.problems), key=str) == [
        ("DATA-21", "error", "Budget", 4, "federal", None),
        ("DATA-21", "error", "Schools", 3, "title_i", None),
    ]
    assert [s.school_id for s in data.schools] == ["0101", "0203"]  # the broken row is left out


def test_data_21_proposed_new_school_needs_grades_and_method(xlsx: Path) -> None:
    edit(xlsx, [("Proposed", 3, "grade_high", None), ("Proposed", 3, "assignment_method", None)])
    data = read(xlsx)
    found = sorted((where(p) for p in data.problems), key=str)
    assert found == [
        ("DATA-21", "error", "Proposed", 3, "assignment_method", None),
        ("DATA-21", "error", "Proposed", 3, "grade_high", None),
    ]
    assert "opens" in data.problems[0].message


def test_proposed_blank_means_unchanged_for_existing_school(xlsx: Path) -> None:
    data = read(xlsx)
    row = data.proposed[0]
    assert ((row.school_id, row.school_name, row.grade_low, row.assignment_method, row.title_i)
            == ("0101", None, None, None, None))


@pytest.mark.parametrize("value, message",
                         [("12a", "not a number"), (12.5, "not a whole number"), (True, "not a number")])
def test_data_22_not_a_whole_number(xlsx: Path, value, message: str) -> None:
    edit(xlsx, [("Schools", 4, "black", value)])
    p = only(read(xlsx), "DATA-22")
    assert where(p)[:5] == ("DATA-22", "error", "Schools", 4, "black")
    assert p.value == value and message in p.message


def test_data_22_money_not_a_number(xlsx: Path) -> None:
    edit(xlsx, [("Budget", 2, "personnel_state_local", "about a million")])
    assert where(only(read(xlsx), "DATA-22")) == ("DATA-22", "error", "Budget", 2, "personnel_state_local",
                                                  "about a million")


@pytest.mark.parametrize(
    "sheet, row, column, value",
    [("Schools", 2, "english_learners", -1), ("Schools", 3, "capacity", 0), ("Lottery", 2, "target_ed_share", 1.5),
     ("Budget", 3, "federal", "-$5.00")],
)
def test_data_23_out_of_range(xlsx: Path, sheet: str, row: int, column: str, value) -> None:
    edit(xlsx, [(sheet, row, column, value)])
    p = only(read(xlsx), "DATA-23")
    expected = -5.0 if value == "-$5.00" else value
    assert where(p) == ("DATA-23", "error", sheet, row, column, expected)


@pytest.mark.parametrize("column, value", [("grade_low", "13"), ("title_i", "maybe"), ("assignment_method", "bus")])
def test_data_24_not_an_allowed_code(xlsx: Path, column: str, value: str) -> None:
    edit(xlsx, [("Schools", 3, column, value)])
    p = only(read(xlsx), "DATA-24")
    assert where(p) == ("DATA-24", "error", "Schools", 3, column, value)
    assert "use one of" in p.message


def test_data_25_formula_without_cached_value(xlsx: Path) -> None:
    # openpyxl saves formulas without a calculated result, like a file never opened in Excel.
    edit(xlsx, [("Schools", 2, "enrollment_total", "=SUM(H2:N2)")])
    p = only(read(xlsx), "DATA-25")
    assert where(p) == ("DATA-25", "error", "Schools", 2, "enrollment_total", None)
    assert "formula" in p.message


def test_data_25_excel_error_cell(xlsx: Path) -> None:
    blob = xlsx.read_bytes()
    member = sheet_member(blob, "Budget")

    def patch(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        # Replace the federal cell of row 3 (column H) with a #DIV/0! result.
        import re
        return re.sub(rb'<c r="H3"[^>]*>.*?</c>', b'<c r="H3" t="e"><f>1/0</f><v>#DIV/0!</v></c>', data)

    path = xlsx.with_name("err.xlsx")
    path.write_bytes(rewrite_zip(blob, patch))
    p = only(read(path), "DATA-25")
    assert where(p) == ("DATA-25", "error", "Budget", 3, "federal", "#DIV/0!")


def test_data_26_duplicate_school_id(xlsx: Path) -> None:
    edit(xlsx, [("Schools", 4, "school_id", "0101")])
    data = read(xlsx)
    p = only(data, "DATA-26")
    assert where(p) == ("DATA-26", "error", "Schools", 4, "school_id", "0101")
    assert "row 2" in p.message


def test_data_27_grade_low_above_grade_high(xlsx: Path) -> None:
    edit(xlsx, [("Schools", 3, "grade_low", "9")])
    assert where(only(read(xlsx), "DATA-27")) == ("DATA-27", "error", "Schools", 3, "grade_low", "9")


def test_data_27_proposed_blank_grade_taken_from_schools(xlsx: Path) -> None:
    # Adams serves PK..5; a proposed grade_low of 6 with grade_high unchanged is inverted.
    edit(xlsx, [("Proposed", 2, "grade_low", "6")])
    p = only(read(xlsx), "DATA-27")
    assert where(p) == ("DATA-27", "error", "Proposed", 2, "grade_low", "6")
    assert p.message.endswith(
        ": grade_low 6 is above grade_high 5, which the blank grade_high takes from the Schools sheet.")


def test_data_27_sits_on_the_typed_cell_when_the_blank_one_is_grade_low(xlsx: Path) -> None:
    # Adams now K..5 on Schools; the Proposed row types only grade_high PK: its blank grade_low is K.
    # The problem is the typed PK, not the blank cell (which holds nothing to fix).
    edit(xlsx, [("Schools", 2, "grade_low", "K"), ("Proposed", 2, "grade_high", "PK")])
    p = only(read(xlsx), "DATA-27")
    assert where(p) == ("DATA-27", "error", "Proposed", 2, "grade_high", "PK")
    assert p.message.endswith(
        ": grade_high PK is below grade_low K, which the blank grade_low takes from the Schools sheet.")


def test_data_28_races_do_not_add_up(xlsx: Path) -> None:
    edit(xlsx, [("Schools", 2, "white", 21)])  # was 20; enrollment_total 150
    p = only(read(xlsx), "DATA-28")
    assert where(p) == ("DATA-28", "error", "Schools", 2, "enrollment_total", 150)
    assert "151" in p.message


def test_data_29_subgroup_above_total(xlsx: Path) -> None:
    edit(xlsx, [("Schools", 3, "econ_disadvantaged", 201), ("Proposed", 2, "econ_disadvantaged", 141)])
    data = read(xlsx)
    assert sorted((where(p) for p in data.problems), key=str) == [
        ("DATA-29", "error", "Proposed", 2, "econ_disadvantaged", 141),
        ("DATA-29", "error", "Schools", 3, "econ_disadvantaged", 201),
    ]


# --- District sheet ---------------------------------------------------------------------


def test_data_30_field_missing_and_blank(xlsx: Path) -> None:
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["District"]
    ws.delete_rows(3)  # district_name
    ws["B5"] = None  # contact_name (moved up a row)
    wb.save(xlsx)
    data = read(xlsx)
    assert sorted((where(p) for p in data.problems), key=str) == [
        ("DATA-30", "error", "District", 5, "contact_name", None),
        ("DATA-30", "error", "District", None, "district_name", None),
    ]
    assert data.district is None


def test_data_31_template_version(xlsx: Path) -> None:
    edit(xlsx, [("District", 0, "template_version", 2)])
    assert where(only(read(xlsx), "DATA-31")) == ("DATA-31", "error", "District", 5, "template_version", 2)


@pytest.mark.parametrize("year", ["2026-2027", "2026-28", "26-27"])
def test_data_32_school_year_format(xlsx: Path, year: str) -> None:
    edit(xlsx, [("District", 0, "school_year", year)])
    assert where(only(read(xlsx), "DATA-32")) == ("DATA-32", "error", "District", 4, "school_year", year)


def test_data_33_and_34_expected_cycle_and_district(xlsx: Path) -> None:
    data = read(xlsx, expected_district_ids={"000999"}, expected_school_year="2027-28")
    assert sorted((where(p) for p in data.problems), key=str) == [
        ("DATA-33", "error", "District", 4, "school_year", "2026-27"),
        ("DATA-34", "error", "District", 2, "district_id", "000123"),
    ]


@pytest.mark.parametrize("broken", [
    ("contact_email", "pat at springfield", ("DATA-35", "error", "District", 7, "contact_email", "pat at springfield")),
    ("contact_name", None, ("DATA-30", "error", "District", 6, "contact_name", None)),
])
def test_data_33_and_34_are_reported_beside_another_district_sheet_problem(xlsx: Path, broken) -> None:
    # One pass tells the district everything: a bad e-mail or a blank contact does not hide that the
    # file is another district's, for another year.
    field, value, problem = broken
    edit(xlsx, [("District", 0, field, value)])
    data = read(xlsx, expected_district_ids={"000999"}, expected_school_year="2027-28")
    assert sorted((where(p) for p in data.problems), key=str) == sorted([
        ("DATA-33", "error", "District", 4, "school_year", "2026-27"),
        ("DATA-34", "error", "District", 2, "district_id", "000123"),
        problem,
    ], key=str)
    assert data.district is None


def test_a_blank_or_bad_district_id_or_year_is_its_own_problem_not_a_mismatch(xlsx: Path) -> None:
    edit(xlsx, [("District", 0, "district_id", None), ("District", 0, "school_year", "26-27")])
    data = read(xlsx, expected_district_ids={"000999"}, expected_school_year="2027-28")
    assert sorted((where(p) for p in data.problems), key=str) == [
        ("DATA-30", "error", "District", 2, "district_id", None),
        ("DATA-32", "error", "District", 4, "school_year", "26-27"),
    ]


def test_data_35_email(xlsx: Path) -> None:
    edit(xlsx, [("District", 0, "contact_email", "pat at springfield")])
    assert where(only(read(xlsx), "DATA-35")) == ("DATA-35", "error", "District", 7, "contact_email",
                                                  "pat at springfield")


def test_data_36_proposed_needs_description(xlsx: Path) -> None:
    edit(xlsx, [("District", 0, "proposed_change_description", None)])
    data = read(xlsx)
    assert where(only(data, "DATA-36")) == ("DATA-36", "error", "District", 8, "proposed_change_description", None)


# --- across sheets ----------------------------------------------------------------------


def test_data_37_unknown_school_in_budget_and_lottery(xlsx: Path) -> None:
    edit(xlsx, [("Budget", 3, "school_id", "9999"), ("Lottery", 2, "school_id", "203")])
    data = read(xlsx)
    assert sorted((where(p) for p in data.problems), key=str) == [
        ("DATA-37", "error", "Budget", 3, "school_id", "9999"),
        ("DATA-37", "error", "Lottery", 2, "school_id", "203"),
    ]
    # No repeated id on Schools: nothing to point at, the code's own fix.
    assert {(p.message.split(": ", 1)[1], p.fix) for p in data.problems} == {
        ("school_id '9999' is not on the Schools sheet.", DATA_CODES["DATA-37"].fix),
        ("school_id '203' is not on the Schools sheet.", DATA_CODES["DATA-37"].fix),
    }


def test_a_repeated_schools_id_is_named_once_on_each_row_it_leaves_unknown(xlsx: Path) -> None:
    # Cole High (0203) typed as 0101 on Schools row 4: 0101 is repeated, and 0203 is missing from
    # Schools, so its Budget, Lottery and (now) Proposed rows are unknown. Each gets one DATA-37
    # pointing at row 4; the Proposed row is not told it opens a school needing a name and grades.
    edit(xlsx, [("Schools", 4, "school_id", "0101"), ("Proposed", 2, "school_id", "0203")])
    data = read(xlsx)
    message = ("school_id '0203' is not on the Schools sheet, and Schools row 4 repeats '0101' (already on row 2): "
               "a mistyped id there may have left this school off the sheet.")
    fix = "If Schools row 4 is this school, correct its school_id there; otherwise {}."
    assert [(*where(p), p.message, p.fix) for p in data.problems] == [
        ("DATA-26", "error", "Schools", 4, "school_id", "0101",
         "Schools, row 4, school_id: school_id '0101' is already on row 2.",
         "Give each school one row; remove or correct the duplicate."),
        ("DATA-37", "error", "Budget", 4, "school_id", "0203", f"Budget, row 4, school_id: {message}",
         fix.format("use the school's id exactly as on the Schools sheet, or add the school there")),
        ("DATA-37", "error", "Proposed", 2, "school_id", "0203", f"Proposed, row 2, school_id: {message}",
         fix.format("fill in school_name, grade_low, grade_high and assignment_method: it is then a school "
                    "the change opens")),
        ("DATA-37", "error", "Lottery", 2, "school_id", "0203", f"Lottery, row 2, school_id: {message}",
         fix.format("use the school's id exactly as on the Schools sheet, or add the school there")),
    ]
    # Proposed row 3 (0300) names itself, its grades and its method: still a school the change opens.
    assert [p.school_id for p in data.proposed] == ["0203", "0300"]


def test_a_proposed_row_missing_some_new_school_fields_names_only_those_beside_a_repeat(xlsx: Path) -> None:
    # 0300 is not on Schools and leaves grade_high blank, while Schools row 3 repeats 0101.
    edit(xlsx, [("Schools", 3, "school_id", "0101"), ("Proposed", 3, "grade_high", None)])
    data = read(xlsx)
    proposed = [p for p in data.problems if p.sheet == "Proposed"]
    assert [(where(p), p.fix) for p in proposed] == [
        (("DATA-37", "error", "Proposed", 3, "school_id", "0300"),
         "If Schools row 3 is this school, correct its school_id there; otherwise fill in grade_high: it is then "
         "a school the change opens."),
    ]
    # Baker Middle (0102) lost its id to the repeat: its Budget row points at Schools row 3 too.
    assert [where(p) for p in data.problems if p.sheet == "Budget"] == [
        ("DATA-37", "error", "Budget", 3, "school_id", "0102")]


def test_several_repeated_schools_ids_are_named_by_their_rows(xlsx: Path) -> None:
    # Schools rows 3 and 4 both repeat 0101: 0102 and 0203 are gone from the sheet.
    edit(xlsx, [("Schools", 3, "school_id", "0101"), ("Schools", 4, "school_id", "0101")])
    data = read(xlsx)
    budget = [p for p in data.problems if p.sheet == "Budget"]
    assert [(p.row, p.value, p.message, p.fix) for p in budget] == [
        (row, sid, f"Budget, row {row}, school_id: school_id {sid!r} is not on the Schools sheet, and Schools rows "
         "3 and 4 repeat ids already on the sheet: a mistyped id there may have left this school off the sheet.",
         "If one of Schools rows 3 and 4 is this school, correct its school_id there; otherwise use the school's "
         "id exactly as on the Schools sheet, or add the school there.")
        for row, sid in ((3, "0102"), (4, "0203"))
    ]


def test_many_repeated_rows_are_named_up_to_three() -> None:
    from compliance.workbook.tables import Repeat, _repeats_text

    repeats = tuple(Repeat(row, "0101", 2) for row in (7, 9, 12, 15, 20))
    assert _repeats_text(repeats) == "Schools rows 7, 9, 12 and 2 more repeat ids already on the sheet"
    assert _repeats_text(repeats[:3]) == "Schools rows 7, 9 and 12 repeat ids already on the sheet"


def test_the_mistakes_sample_gets_one_problem_per_mistake(tmp_path: Path) -> None:
    # The demo's broken workbook: Schools row 7 repeats 0311 where Carver Elementary's 0316 was meant.
    # Carver's Budget row (7) and Proposed row (7) get one problem each, not five between them.
    from compliance.demo import demo_workbook, write_mistakes_sample

    path = tmp_path / "zoned-2611-with-mistakes.xlsx"
    write_mistakes_sample(path, demo_workbook("zoned", "2026-27"))
    data = read(path)
    assert [(p.code, p.sheet, p.row, p.column, p.value) for p in data.problems] == [
        ("DATA-35", "District", 7, "contact_email", "programs at riverside"),
        ("DATA-22", "Schools", 4, "black", "12a"),
        ("DATA-28", "Schools", 5, "enrollment_total", 430),
        ("DATA-27", "Schools", 6, "grade_low", "5"),
        ("DATA-26", "Schools", 7, "school_id", "0311"),
        ("DATA-38", "Budget", 3, "teacher_fte_inexperienced", 33.8),
        ("DATA-37", "Budget", 7, "school_id", "0316"),
        ("DATA-37", "Budget", 12, "school_id", "9999"),
        ("DATA-27", "Proposed", 6, "grade_high", "K"),
        ("DATA-37", "Proposed", 7, "school_id", "0316"),
    ]
    assert "Schools row 7 repeats '0311' (already on row 2)" in data.problems[-1].message


def test_data_38_teacher_fte_subsets(xlsx: Path) -> None:
    edit(xlsx, [("Budget", 2, "teacher_fte_inexperienced", 13), ("Budget", 4, "teacher_fte_out_of_field", 20.5)])
    assert sorted((where(p) for p in read(xlsx).problems), key=str) == [
        ("DATA-38", "error", "Budget", 2, "teacher_fte_inexperienced", 13.0),
        ("DATA-38", "error", "Budget", 4, "teacher_fte_out_of_field", 20.5),
    ]


def test_data_39_lottery_admissions(xlsx: Path) -> None:
    # 81 admitted from 80 ED applicants; 81 + 52 = 133 > 100 seats.
    edit(xlsx, [("Lottery", 2, "admitted_ed", 81)])
    assert sorted((where(p) for p in read(xlsx).problems), key=str) == [
        ("DATA-39", "error", "Lottery", 2, "admitted_ed", 81),
        ("DATA-39", "error", "Lottery", 2, "seats", 100),
    ]


def test_all_problems_in_one_pass(xlsx: Path) -> None:
    edit(xlsx, [("Schools", 2, "black", "x"), ("Schools", 4, "grade_low", "Z"), ("Budget", 3, "federal", -1),
                ("District", 0, "contact_email", "nope")])
    assert sorted(codes(read(xlsx))) == ["DATA-22", "DATA-23", "DATA-24", "DATA-35"]


def test_budget_missing_a_column_is_an_error_without_the_empty_warning(xlsx: Path) -> None:
    delete_column(xlsx, "Budget", "federal")
    data = read(xlsx)
    assert [where(p) for p in data.problems] == [("DATA-18", "error", "Budget", 1, "federal", None)]
    assert data.budget == [] and data.has_budget_sheet is False


def test_data_23_an_overlong_name_is_refused_with_its_length(xlsx: Path) -> None:
    # A pasted 32,767-character school name (Excel's cell maximum) took WeasyPrint ten minutes to
    # lay out in the report's tables; no school's name runs past 200 characters.
    edit(xlsx, [("Schools", 3, "school_name", "Lincoln " * 4095), ("District", 0, "district_name", "D" * 201)])
    data = read(xlsx)
    found = sorted(((p.code, p.sheet, p.column, p.value, p.message.split(": ", 1)[-1]) for p in data.problems), key=str)
    assert found == [
        ("DATA-23", "District", "district_name", "D" * 40 + "\u2026",
         "the text is 201 characters long; district_name takes at most 200 characters."),
        ("DATA-23", "Schools", "school_name", ("Lincoln " * 5)[:40] + "\u2026",
         "the text is 32,759 characters long; school_name takes at most 200 characters."),  # trailing space trimmed
    ]
    assert data.has_errors


def test_an_invisible_character_pasted_into_an_id_is_dropped(xlsx: Path) -> None:
    # "0312\u200b" (a zero-width space from a web page) is school 0312: the Budget row naming it
    # finds it, rather than "school_id '0312' is not on the Schools sheet" on a row that is right.
    school = sample_data().schools[1].school_id
    edit(xlsx, [("Schools", 3, "school_id", "\u200b" + school + "\u200b\ufeff")])
    data = read(xlsx)
    assert data.problems == [] and data.schools[1].school_id == school


def test_a_huge_number_is_quoted_short(xlsx: Path) -> None:
    edit(xlsx, [("Schools", 2, "black", 1e308)])
    messages = [p.message for p in read(xlsx).problems if p.column == "black"]
    assert messages and all("1e+308" in m and "000000" not in m for m in messages), messages


def test_ids_equal_once_invisible_characters_are_dropped_are_duplicates(xlsx: Path) -> None:
    first, second = sample_data().schools[0].school_id, sample_data().schools[1].school_id
    edit(xlsx, [("Schools", 3, "school_id", first + "\u200b")])
    assert second != first and [p.code for p in read(xlsx).problems if p.sheet == "Schools"] == ["DATA-26"]


def test_an_id_of_invisible_characters_only_is_blank(xlsx: Path) -> None:
    edit(xlsx, [("Schools", 3, "school_id", "\u200b\ufeff")])
    assert ("DATA-21", "Schools", 3, "school_id") in [(p.code, p.sheet, p.row, p.column) for p in read(xlsx).problems]


# Excel's "Save As > Strict Open XML Spreadsheet" writes the same parts under other namespaces.
_STRICT = [
    (b"http://schemas.openxmlformats.org/spreadsheetml/2006/main", b"http://purl.oclc.org/ooxml/spreadsheetml/main"),
    (b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
     b"http://purl.oclc.org/ooxml/officeDocument/relationships"),
]


def _strict(blob: bytes) -> bytes:
    def change(name: str, data: bytes) -> bytes:
        if name.endswith((".xml", ".rels")):
            for transitional, strict in _STRICT:
                data = data.replace(transitional, strict)
        return data

    return rewrite_zip(blob, change)


def test_strict_open_xml_gets_the_same_cell_problems(xlsx: Path) -> None:
    blob = xlsx.read_bytes()
    member = sheet_member(blob, "Schools")

    def patch(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        import re
        # english_learners of row 2 (P2) and enrollment_total of row 3 (G3): formulas never calculated;
        # capacity of row 2 (R2): an Excel error.
        data = re.sub(rb'<c r="P2"[^>]*?(/>|>.*?</c>)', b'<c r="P2"><f>H2*2</f></c>', data, count=1)
        data = re.sub(rb'<c r="G3"[^>]*?(/>|>.*?</c>)', b'<c r="G3"><f>SUM(H3:N3)</f></c>', data, count=1)
        return re.sub(rb'<c r="R2"[^>]*?(/>|>.*?</c>)', b'<c r="R2" t="e"><v>#DIV/0!</v></c>', data, count=1)

    transitional = rewrite_zip(blob, patch)
    strict = _strict(transitional)
    with zipfile.ZipFile(io.BytesIO(strict)) as z:
        assert b"purl.oclc.org/ooxml/officeDocument/relationships" in z.read("xl/workbook.xml")
        assert b"schemas.openxmlformats.org/spreadsheetml" not in z.read(member)
    expected = [
        ("DATA-25", "error", "Schools", 2, "capacity", "#DIV/0!"),
        ("DATA-25", "error", "Schools", 2, "english_learners", None),
        ("DATA-25", "error", "Schools", 3, "enrollment_total", None),
    ]
    for blob_ in (transitional, strict):
        path = xlsx.with_name("f.xlsx")
        path.write_bytes(blob_)
        data = read(path)
        assert sorted(where(p) for p in data.problems) == expected


def test_strict_open_xml_sheet_size_is_checked(xlsx: Path) -> None:
    blob = xlsx.read_bytes()
    member = sheet_member(blob, "Schools")

    def far_row(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        return data.replace(b"</sheetData>",
                            b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')

    path = xlsx.with_name("strict.xlsx")
    path.write_bytes(_strict(rewrite_zip(blob, far_row)))
    data = read(path)
    assert [where(p) for p in data.problems] == [("DATA-13", "error", "Schools", None, None, None)]
    assert data.problems[0].message == (
        "The Schools sheet has 1,048,576 rows; at most 20,000 rows of data are allowed.")
    # Untouched, the Strict copy reads exactly like the Transitional one.
    path.write_bytes(_strict(blob))
    data = read(path)
    assert data.problems == [] and data.schools == sample_data().schools


def test_data_22_decimal_comma_is_not_read_as_thousands(xlsx: Path) -> None:
    edit(xlsx, [("Schools", 3, "econ_disadvantaged", "1,06"),
                ("Budget", 2, "teacher_fte_out_of_field", "1,4"),
                ("Budget", 3, "teacher_fte_state_local", "31,8"),
                ("Budget", 4, "federal", "30,000"),  # thousands grouping: read as 30000, as before
                ("Budget", 4, "personnel_state_local", "$2,100,000.00")])
    data = read(xlsx)
    note = "is not a number: a comma read as a decimal mark is not accepted."
    fix = "Type the number with a point for decimals ({}), or as a plain number."
    assert [(*where(p), p.message, p.fix) for p in data.problems] == [
        ("DATA-22", "error", "Schools", 3, "econ_disadvantaged", "1,06",
         f"Schools, row 3, econ_disadvantaged: '1,06' {note}", fix.format("1.06")),
        ("DATA-22", "error", "Budget", 2, "teacher_fte_out_of_field", "1,4",
         f"Budget, row 2, teacher_fte_out_of_field: '1,4' {note}", fix.format("1.4")),
        ("DATA-22", "error", "Budget", 3, "teacher_fte_state_local", "31,8",
         f"Budget, row 3, teacher_fte_state_local: '31,8' {note}", fix.format("31.8")),
    ]
    assert [(b.federal, b.personnel_state_local) for b in data.budget if b.school_id == "0203"] == [
        (30000.0, 2100000.0)]


def test_data_19_values_under_a_blank_header(xlsx: Path) -> None:
    from compliance.workbook.tables import column_letter

    assert [column_letter(j) for j in (0, 19, 25, 26, 27, 99)] == ["A", "T", "Z", "AA", "AB", "CV"]
    # The Schools header runs A..R. S stays empty, T and AB hold values, U holds only spaces.
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["Schools"]
    ws["T2"] = "data under no header"
    ws["T3"] = 5
    ws["U3"] = "   "
    ws["AB4"] = 7
    wb.save(xlsx)
    data = read(xlsx)
    fix = "Give column {0} the template's header in row 1 if it holds template data, or delete the column."
    assert [(*where(p), p.message, p.fix) for p in data.problems] == [
        ("DATA-19", "warning", "Schools", 1, "T", "data under no header",
         "Schools, row 1, T: The column T has values but no header in row 1, so it was not read.", fix.format("T")),
        ("DATA-19", "warning", "Schools", 1, "AB", 7.0,
         "Schools, row 1, AB: The column AB has values but no header in row 1, so it was not read.", fix.format("AB")),
    ]
    assert data.schools == sample_data().schools


def test_blank_header_over_an_empty_column_is_no_problem(xlsx: Path) -> None:
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["Schools"]
    ws["A1"].value, ws["B1"].value = "school_id", None  # a blank header, over school names: reported
    ws["T4"] = ""  # a formatted but empty cell far right: not
    ws["T4"].number_format = "0.00"
    wb.save(xlsx)
    data = read(xlsx)
    assert [where(p) for p in data.problems] == [
        ("DATA-19", "warning", "Schools", 1, "B", "Adams Elementary"),
        ("DATA-18", "error", "Schools", 1, "school_name", None),
    ]


def test_data_19_district_values_beside_the_field_and_value_columns(xlsx: Path) -> None:
    # The District sheet is read from A (field) and B (value). C3 and C6 hold notes, D8 a number,
    # E2 only spaces: C and D are reported once each, on their first value; E is nothing.
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["District"]
    ws["C3"] = "ask for Pat"
    ws["C6"] = "second note"
    ws["D8"] = 42
    ws["E2"] = "   "
    wb.save(xlsx)
    data = read(xlsx)
    fix = "Put each value in column B beside its field name in column A, or delete what is in column {0}."
    assert [(*where(p), p.message, p.fix) for p in data.problems] == [
        ("DATA-19", "warning", "District", 3, "C", "ask for Pat",
         "District, row 3, C: The column C has values, but the District sheet is read only from its field column "
         "A and value column B, so it was not read.", fix.format("C")),
        ("DATA-19", "warning", "District", 8, "D", 42.0,
         "District, row 8, D: The column D has values, but the District sheet is read only from its field column "
         "A and value column B, so it was not read.", fix.format("D")),
    ]
    assert data.district == sample_data().district


def test_data_19_district_names_the_columns_its_header_row_chose(xlsx: Path) -> None:
    # The field and value columns moved to B and C (a column inserted before them): a note in
    # the new column A is the one not read, and the fix names B and C.
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["District"]
    ws.insert_cols(1)
    ws["A4"] = "checked by the superintendent"
    wb.save(xlsx)
    data = read(xlsx)
    assert [(*where(p), p.fix) for p in data.problems] == [
        ("DATA-19", "warning", "District", 4, "A", "checked by the superintendent",
         "Put each value in column C beside its field name in column B, or delete what is in column A."),
    ]
    assert data.district == sample_data().district
