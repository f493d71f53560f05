"""The schema is the single source: docs, template and codes all follow it."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from compliance.rules.model import ASSIGNMENT_METHODS, GRADES
from compliance.workbook import problem_codes, reference_docs, schema
from compliance.workbook.reader import read_workbook
from compliance.workbook.template import TEMPLATE_ROWS, build_template

ROOT = Path(__file__).resolve().parents[3]


def test_committed_column_reference_is_the_generated_one() -> None:
    committed = (ROOT / "docs" / "workbook-columns.md").read_text(encoding="utf-8")
    assert committed == reference_docs.columns_markdown(), (
        "docs/workbook-columns.md is stale: regenerate it with "
        "python -c 'from compliance.workbook.reference_docs import columns_markdown; "
        "print(columns_markdown(), end=\"\")' "
        "> docs/workbook-columns.md"
    )


def test_codes_are_data_01_to_39_each_documented() -> None:
    assert list(problem_codes.DATA_CODES) == [f"DATA-{i:02d}" for i in range(1, 40)]
    for dc in problem_codes.DATA_CODES.values():
        assert dc.severity in ("error", "warning")
        assert dc.title and dc.fix
    warnings = {c for c, dc in problem_codes.DATA_CODES.items() if dc.severity == "warning"}
    assert warnings == {"DATA-16", "DATA-17", "DATA-19"}
    md = reference_docs.columns_markdown()
    for code in problem_codes.DATA_CODES:
        assert f"| {code} |" in md


def test_schema_matches_the_spec_columns() -> None:
    assert [s.name for s in schema.SHEETS] == ["District", "Schools", "Budget", "Proposed", "Lottery"]
    schools = [c.name for c in schema.SCHOOLS.columns]
    assert schools[:7] == ["school_id", "school_name", "grade_low", "grade_high", "title_i", "assignment_method",
                           "enrollment_total"]
    assert schools[7:14] == ["hispanic", "american_indian", "asian", "black", "pacific_islander", "white",
                             "two_or_more"]
    # Proposed: the Schools columns from school_id through econ_disadvantaged.
    assert [c.name for c in schema.PROPOSED.columns] == schools[: schools.index("econ_disadvantaged") + 1]
    assert schema.LOTTERY.column("target_ed_share").default == 0.5


@pytest.mark.parametrize("text, key", [("Econ Disadvantaged", "econ_disadvantaged"),
                                       ("  econ-disadvantaged ", "econ_disadvantaged"),
                                       ("ECON__DISADVANTAGED", "econ_disadvantaged"), ("Grade Center", "grade_center")])
def test_normalize_name(text: str, key: str) -> None:
    assert schema.normalize_name(text) == key


def test_blank_template_layout(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    build_template(out, district_id="000123", district_name="Springfield", school_year="2026-27",
                   schools=[("0101", "Adams"), ("0102", "Baker")])
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Instructions", "District", "Schools", "Budget", "Proposed", "Lottery"]
    assert "template version 1" in wb["Instructions"]["A1"].value

    ws = wb["Schools"]
    assert [c.value for c in ws[1]] == [c.name for c in schema.SCHOOLS.columns]
    assert ws.freeze_panes == "C2"  # school_id and school_name stay in view
    # Header comments carry the help text from the schema.
    assert ws["A1"].comment.text.startswith(schema.SCHOOLS.column("school_id").help)
    # Prefilled ids stay text with a text format, leading zeros intact.
    assert (ws["A2"].value, ws["B2"].value, ws["A3"].value) == ("0101", "Adams", "0102")
    assert ws["A2"].number_format == "@"
    assert ws.column_dimensions["A"].number_format == "@"
    # Drop-downs for every coded column, with the schema's codes.
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert lists[f"C2:C{TEMPLATE_ROWS + 1}"] == '"' + ",".join(GRADES) + '"'
    assert lists[f"D2:D{TEMPLATE_ROWS + 1}"] == '"' + ",".join(GRADES) + '"'
    assert lists[f"E2:E{TEMPLATE_ROWS + 1}"] == '"Y,N"'
    assert lists[f"F2:F{TEMPLATE_ROWS + 1}"] == '"' + ",".join(ASSIGNMENT_METHODS) + '"'

    budget = wb["Budget"]
    assert [budget["A2"].value, budget["B2"].value] == ["0101", "Adams"]
    money_col = [c.column_letter for c in budget[1] if c.value == "federal"][0]
    assert budget.column_dimensions[money_col].number_format == '"$"#,##0.00'

    district = {r[0].value: r[1].value for r in wb["District"].iter_rows(min_row=2)}
    assert district["district_id"] == "000123"
    assert district["school_year"] == "2026-27"
    assert district["template_version"] == 1
    assert list(district) == [c.name for c in schema.DISTRICT.columns]


def test_blank_template_reads_back_with_only_the_blanks_reported(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    build_template(out, district_id="000123", district_name="Springfield", school_year="2026-27",
                   schools=[("0101", "Adams")])
    data = read_workbook(out)
    # Contacts blank; the prefilled school needs its data; Budget holds only prefilled ids.
    assert sorted({p.code for p in data.problems}) == ["DATA-16", "DATA-21", "DATA-30"]
    assert {p.column for p in data.problems if p.code == "DATA-30"} == {"contact_name", "contact_email"}
    missing = {p.column for p in data.problems if p.code == "DATA-21"}
    assert missing == {c.name for c in schema.SCHOOLS.columns if c.required} - {"school_id", "school_name"}
    assert all(p.row == 2 for p in data.problems if p.code == "DATA-21")
    assert data.proposed is None and data.lottery == []


def test_every_code_has_a_test_that_names_it() -> None:
    here = Path(__file__).parent
    text = "".join(p.read_text(encoding="utf-8") for p in here.glob("test_*.py") if p.name != Path(__file__).name)
    untested = [c for c in problem_codes.DATA_CODES if f'"{c}"' not in text]
    assert untested == []


def test_an_id_the_reader_accepts_fits_every_record_that_keeps_it() -> None:
    # A longer id would pass the reader and fail the insert on PostgreSQL (SQLite does not check).
    from compliance.models import Finding
    from compliance.workbook import schema
    from districts.models import District, School

    limits = {Finding._meta.get_field("school_id").max_length, School._meta.get_field("school_id").max_length,
              District._meta.get_field("state_id").max_length}
    assert limits == {schema.MAX_CHARS[schema.ID]}
    assert schema.SCHOOLS.column("school_name").char_limit == School._meta.get_field("name").max_length
    assert schema.BUDGET.column("school_name").char_limit is None  # never read, never refused
