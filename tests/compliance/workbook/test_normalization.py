"""What the spec promises about reading leniently: names, order, codes, ids, numbers, formulas."""
from __future__ import annotations

import re
from pathlib import Path

import openpyxl

from compliance.rules.model import BudgetRow, DistrictInfo, SchoolRow
from compliance.workbook.reader import read_workbook

from .helpers import rewrite_zip, sample_data, sheet_member, write

RACES = ["Hispanic", "American Indian", "ASIAN", "black", "Pacific-Islander", "White", "two_or_more"]


def _messy(path: Path) -> Path:
    wb = openpyxl.Workbook()
    d = wb.active
    d.title = " district "
    d.append(["Field ", "VALUE"])
    d.append(["District ID", 123.0])  # a numeric id cell
    d.append(["district-name", "  Springfield  "])
    d.append(["School Year", "2026-27"])
    d.append(["Template_Version", "1"])  # a number stored as text
    d.append(["Contact Name", "Pat"])
    d.append(["contact email", "pat@example.org"])

    s = wb.create_sheet("SCHOOLS")
    # Column order is free and headers vary in case, spacing and separators.
    s.append(["Econ Disadvantaged", *RACES, " School ID ", "school-name", "Grade Low", "GRADE_HIGH", "Title I",
              "Assignment Method", "Enrollment Total", "Capacity"])
    s.append([600.0, 100, 0, " 100 ", 400, 0, 500, 100, "007", "Lincoln", " k ", 5, "y", "Grade Center", "1,200", 1300])
    s.append([None] * 16)  # blank rows are skipped
    s.append([0, 0, 0, 0, 5, 0, 5, 0, 12.0, "Twelve High", "9", "12", "N", "MAGNET", 10, None])
    s.append([])
    s.append([1, 1, 0, 0, "12a", 0, 0, 0, "0300", "Broken", "PK", "pk", "n", "other", 1, None])

    b = wb.create_sheet("budget")
    b.append(["school_id", "Teacher FTE State Local", "teacher-fte-inexperienced", "personnel_state_local",
              "Nonpersonnel State Local", "FEDERAL"])
    b.append(["007", "12.5", 2, "$1,234.50", " $ 99 ", 5000])
    wb.save(path)
    return path


def test_lenient_names_order_codes_ids_and_numbers(tmp_path: Path) -> None:
    data = read_workbook(_messy(tmp_path / "messy.xlsx"))
    assert data.district == DistrictInfo("123", "Springfield", "2026-27", 1, "Pat", "pat@example.org", None)
    assert data.schools == [
        SchoolRow("007", "Lincoln", "K", "5", True, "grade_center", 1200, 100, 0, 100, 400, 0, 500, 100, 600,
                  None, None, 1300, row=2),
        SchoolRow("12", "Twelve High", "9", "12", False, "magnet", 10, 0, 0, 0, 5, 0, 5, 0, 0, None, None, None, row=4),
    ]
    assert all(type(getattr(s, f)) is int
               for s in data.schools for f in ("enrollment_total", "black", "econ_disadvantaged"))
    assert data.budget == [BudgetRow("007", 12.5, 2.0, 1234.5, 99.0, 5000.0, None, row=2)]
    # The only problems: the broken row (Excel row 6, after two skipped blank rows) and
    # the optional sheets' absence is fine.
    assert [(p.code, p.sheet, p.row, p.column, p.value) for p in data.problems] == [
        ("DATA-22", "Schools", 6, "black", "12a"),
    ]


def test_formula_read_by_cached_value(tmp_path: Path) -> None:
    path = write(tmp_path / "f.xlsx")
    blob = path.read_bytes()
    member = sheet_member(blob, "Schools")

    def change(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        # enrollment_total of row 2 (column G) as a calculated formula with its saved result.
        return re.sub(rb'<c r="G2"[^>]*>.*?</c>', b'<c r="G2"><f>SUM(H2:N2)</f><v>150</v></c>', data)

    path.write_bytes(rewrite_zip(blob, change))
    data = read_workbook(path)
    assert data.problems == []
    assert data.schools[0].enrollment_total == 150
    assert data.schools == sample_data().schools


def test_bytes_source_and_leading_zero_ids(tmp_path: Path) -> None:
    blob = write(tmp_path / "b.xlsx").read_bytes()
    data = read_workbook(blob)
    assert [s.school_id for s in data.schools] == ["0101", "0102", "0203"]
    assert data.district.district_id == "000123"


def test_title_row_above_the_header(tmp_path: Path) -> None:
    path = write(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Schools"].insert_rows(1)
    wb["Schools"]["A1"] = "Springfield schools, fall count"
    wb.save(path)
    data = read_workbook(path)
    assert data.problems == []
    assert [s.row for s in data.schools] == [3, 4, 5]  # Excel rows, shifted by the title


def test_limits_from_settings() -> None:
    from types import SimpleNamespace

    from compliance.workbook.package import Limits

    s = SimpleNamespace(WORKBOOK_MAX_UPLOAD_BYTES=1000, WORKBOOK_MAX_UNCOMPRESSED_BYTES=5000,
                        WORKBOOK_MAX_COMPRESSION_RATIO=7, WORKBOOK_MAX_ENTRIES=9, WORKBOOK_MAX_SCHOOL_ROWS=11)
    assert Limits.from_settings(s) == Limits(max_upload_bytes=1000, max_uncompressed_bytes=5000,
                                             max_entry_uncompressed_bytes=5000, max_compression_ratio=7,
                                             max_entries=9, max_school_rows=11, max_columns=100)


def test_share_typed_as_percent_text(tmp_path: Path) -> None:
    from compliance.rules.model import LotteryRow

    data = sample_data()
    path = write(tmp_path / "pct.xlsx", data)
    wb = openpyxl.load_workbook(path)
    lottery = wb["Lottery"]
    header = [str(c.value).strip().lower() for c in lottery[1]]
    lottery.cell(2, header.index("target_ed_share") + 1).value = " 40 % "  # what Excel shows for 0.4
    wb.save(path)
    read = read_workbook(path)
    assert not [p for p in read.problems if p.sheet == "Lottery"]
    assert isinstance(read.lottery[0], LotteryRow) and read.lottery[0].target_ed_share == 0.4


def test_non_finite_and_absurd_numbers_are_data_errors(tmp_path: Path) -> None:
    """NaN, infinity and 1e400 can sit in a cell's XML; they must be refused, never reach a measure."""
    path = write(tmp_path / "v.xlsx", sample_data())
    member = sheet_member(path.read_bytes(), "Budget")
    values = iter([b"NaN", b"INF", b"1e400", b"2e15"])

    def change(name: str, data: bytes) -> bytes:
        if name != member:
            return data

        def sub(m: re.Match) -> bytes:
            v = next(values, None)
            return m.group(0) if v is None else m.group(1) + v + b"</v>"

        # The first four numeric cells of the first data row.
        return re.sub(rb'(<c r="[A-Z]+[2-9]"[^>]*><v>)[^<]*</v>', sub, data, count=4)

    broken = rewrite_zip(path.read_bytes(), change)
    data = read_workbook(broken)
    bad = [(p.code, p.sheet, p.severity) for p in data.problems]
    assert bad and all(b == ("DATA-22", "Budget", "error") for b in bad), data.problems
    assert [(p.row, p.column, p.message.split(": ", 1)[1]) for p in data.problems] == [
        (2, "teacher_fte_state_local", "nan is not a number."),
        (2, "teacher_fte_inexperienced", "inf is not a number."),
        (2, "teacher_fte_out_of_field", "inf is not a number."),  # 1e400 is read as infinity
        (2, "personnel_state_local", "2000000000000000 is too large to be real (at most 1,000,000,000,000,000)."),
    ]


def test_separators_at_either_end_of_names_and_codes_are_ignored(tmp_path: Path) -> None:
    from dataclasses import replace

    from compliance.workbook.schema import normalize_name

    assert [normalize_name(t) for t in ("Schools_", " school_id_ ", "_other_", "-Grade Center-", "a__b")] == [
        "schools", "school_id", "other", "grade_center", "a_b"]
    path = write(tmp_path / "edges.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Schools"].title = "Schools_"
    wb["Budget"].title = "-Budget "
    ws = wb["Schools_"]
    heads = {c.value: c for c in ws[1]}
    heads["school_id"].value = "school_id_"
    heads["assignment_method"].value = "_Assignment Method"
    ws.cell(2, heads["assignment_method"].column).value = "_other_"
    ws.cell(3, heads["title_i"].column).value = "-N-"
    wb["District"]["A2"].value = "_district_id_"
    wb.save(path)
    data = read_workbook(path)
    assert data.problems == []
    expected = sample_data().schools
    expected[0] = replace(expected[0], assignment_method="other")
    assert data.schools == expected
    assert data.budget == sample_data().budget and data.district == sample_data().district
