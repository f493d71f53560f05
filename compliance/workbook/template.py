"""Writes the blank template v1 (and filled copies of it) from :mod:`.schema`."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields as dc_fields
from pathlib import Path
from typing import IO, Any, NamedTuple

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from compliance.rules.model import WorkbookData

from . import schema
from .guidance import error_alert, input_prompt
from .schema import Column, Sheet
from .template_instructions import page_setup, write_instructions

# Rows covered by drop-downs and column formats in the blank template.
TEMPLATE_ROWS = 5000

_TEXT_FORMAT = "@"
_MONEY_FORMAT = '"$"#,##0.00'
_NUMBER_FORMAT = "0.00"
_INT_FORMAT = "0"
_HEADER_FONT = Font(name="Calibri", bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")

_FORMATS: dict[str, str] = {
    schema.ID: _TEXT_FORMAT,
    schema.TEXT: _TEXT_FORMAT,
    schema.EMAIL: _TEXT_FORMAT,
    schema.YEAR: _TEXT_FORMAT,
    # Grades are text so that "1" and "K" look alike in the cell; the reader takes both.
    schema.GRADE: _TEXT_FORMAT,
    schema.YN: _TEXT_FORMAT,
    schema.METHOD: _TEXT_FORMAT,
    schema.INT: _INT_FORMAT,
    schema.NUMBER: "General",
    schema.MONEY: _MONEY_FORMAT,
}


class DirectorySchool(NamedTuple):
    """A school as the state's directory knows it; blank grades are left for the district."""

    school_id: str
    name: str
    grade_low: str = ""
    grade_high: str = ""


def build_template(
    out: str | Path | IO[bytes],
    *,
    district_id: str | None = None,
    district_name: str | None = None,
    school_year: str | None = None,
    schools: Sequence[Sequence[str]] | None = None,
) -> None:
    """Write the blank template; with ``schools`` ((id, name) or (id, name, grade_low,
    grade_high), as :class:`DirectorySchool`) the Schools sheet is prefilled with them and
    the Budget sheet with their ids and names."""
    wb = _new_workbook()
    district_values: dict[str, Any] = {
        "district_id": district_id,
        "district_name": district_name,
        "school_year": school_year,
    }
    _fill_district(wb["District"], district_values)
    directory = [DirectorySchool(*s) for s in schools or []]
    rows = [
        {"school_id": str(s.school_id), "school_name": s.name,
         "grade_low": _grade_code(s.grade_low), "grade_high": _grade_code(s.grade_high)}
        for s in directory
    ]
    _fill_dicts(wb["Schools"], schema.SCHOOLS, rows)
    # Budget holds only the ids and names (its prefilled columns), so an untouched row reads as empty.
    _fill_dicts(wb["Budget"], schema.BUDGET, [{k: r[k] for k in schema.BUDGET.prefilled} for r in rows])
    _save(wb, out)


def write_workbook(out: str | Path | IO[bytes], data: WorkbookData) -> None:
    """Fill the template with ``data`` (tests, the demo seed, round trips)."""
    wb = _new_workbook()
    if data.district is not None:
        _fill_district(wb["District"], {f.name: getattr(data.district, f.name) for f in dc_fields(data.district)})
    _fill_table(wb["Schools"], schema.SCHOOLS, data.schools)
    _fill_table(wb["Budget"], schema.BUDGET, data.budget)
    _fill_table(wb["Proposed"], schema.PROPOSED, data.proposed or [])
    _fill_table(wb["Lottery"], schema.LOTTERY, data.lottery)
    _save(wb, out)


# ---------------------------------------------------------------------------------------


def _save(wb: Workbook, out: str | Path | IO[bytes]) -> None:
    wb.save(str(out) if isinstance(out, Path) else out)


def _grade_code(grade: str | None) -> str | None:
    """A directory's grade as the template writes it: directories often say 09 for grade 9."""
    text = (grade or "").strip().upper()
    if text.isdigit():
        text = str(int(text))
    return text or None


def _col_index(sheet: Sheet) -> dict[str, int]:
    return {c.name: i for i, c in enumerate(sheet.columns, start=1)}


def _set(ws: Worksheet, row: int, col: int, value: Any, column: Column) -> None:
    cell = ws.cell(row=row, column=col)
    if column.kind == schema.YN and isinstance(value, bool):
        value = "Y" if value else "N"
    if column.kind in (schema.ID, schema.TEXT, schema.GRADE) and value is not None:
        value = str(value)
    cell.value = value
    if isinstance(value, str):
        # A directory name such as "=HYPERLINK(...)" stays text: never a formula (and no apostrophe
        # is added, so the name reads back unchanged when the district uploads the workbook).
        cell.data_type = "s"
    cell.number_format = _FORMATS[column.kind]


def _fill_district(ws: Worksheet, values: dict[str, Any]) -> None:
    for r, col in enumerate(schema.DISTRICT.columns, start=2):
        value = values.get(col.name)
        if col.name == "template_version":
            value = schema.TEMPLATE_VERSION
        if value is not None:
            _set(ws, r, 2, value, col)


def _fill_dicts(ws: Worksheet, sheet: Sheet, rows: list[dict[str, Any]]) -> None:
    idx = _col_index(sheet)
    for r, values in enumerate(rows, start=2):
        for name, value in values.items():
            if value is not None:
                _set(ws, r, idx[name], value, sheet.column(name))


def _fill_table(ws: Worksheet, sheet: Sheet, rows: list[Any]) -> None:
    idx = _col_index(sheet)
    for r, obj in enumerate(rows, start=2):
        for col in sheet.columns:
            if not hasattr(obj, col.name):
                continue  # e.g. school_name on Budget: not part of BudgetRow
            value = getattr(obj, col.name)
            if value is not None:
                _set(ws, r, idx[col.name], value, col)


def _new_workbook() -> Workbook:
    wb = Workbook()
    ins = wb.active
    ins.title = schema.INSTRUCTIONS_SHEET
    write_instructions(ins, _FORMATS)
    for sheet in schema.SHEETS:
        ws = wb.create_sheet(sheet.name)
        if sheet.layout == "fields":
            _layout_fields(ws, sheet)
        else:
            _layout_table(ws, sheet)
        page_setup(ws, title_rows="1:1")
    return wb


def _header(ws: Worksheet, col: int, text: str, help_text: str, required: bool, *, upright: bool = False) -> None:
    cell = ws.cell(row=1, column=col, value=text)
    cell.font = _HEADER_FONT
    cell.fill = _REQUIRED_FILL if required else _HEADER_FILL
    if upright:
        cell.alignment = Alignment(horizontal="center", vertical="bottom", text_rotation=90)
    else:
        cell.alignment = Alignment(horizontal="center", vertical="center")
    comment = Comment(help_text + (" (required)" if required else " (optional)"), "Template")
    comment.width, comment.height = 300, 110
    cell.comment = comment


def _layout_fields(ws: Worksheet, sheet: Sheet) -> None:
    _header(ws, 1, "field", "The name of the field; do not change.", True)
    _header(ws, 2, "value", "The value of the field.", True)
    for r, col in enumerate(sheet.columns, start=2):
        name = ws.cell(row=r, column=1, value=col.name)
        name.comment = Comment(col.help + (" (required)" if col.required else " (optional)"), "Template")
        name.fill = _REQUIRED_FILL if col.required else _HEADER_FILL
        value = ws.cell(row=r, column=2)
        value.number_format = _FORMATS[col.kind]
        value.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
        _validate(ws, col, f"B{r}")
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 80
    ws.freeze_panes = "B2"


def _layout_table(ws: Worksheet, sheet: Sheet) -> None:
    last = TEMPLATE_ROWS + 1
    for i, col in enumerate(sheet.columns, start=1):
        _header(ws, i, col.name, col.help, col.required, upright=True)
        letter = get_column_letter(i)
        dim = ws.column_dimensions[letter]
        dim.width = _width(col)
        dim.number_format = _FORMATS[col.kind]
        _validate(ws, col, f"{letter}2:{letter}{last}")
    # Headers stand upright (a column is as wide as its values, not its name); bold 11-point
    # text needs about 6 points a character in Calibri, 7 in the wider fonts that replace it.
    ws.row_dimensions[1].height = max(len(c.name) for c in sheet.columns) * 7 + 8
    ws.freeze_panes = ws.cell(row=2, column=_frozen_columns(sheet) + 1).coordinate


def _width(col: Column) -> float:
    """Room for the values, not the (upright) header: a printed sheet one page wide then
    stays legible. A school's name, the longest code, a dollar amount, FTE like 27.5, a
    count up to 99,999."""
    if col.name == "school_name":
        return 26
    if col.name == "school_id":
        return 11
    if col.codes:
        return max(6, max(len(c) for c in col.codes) + 1)
    return {schema.MONEY: 14, schema.NUMBER: 9}.get(col.kind, 8)


def _frozen_columns(sheet: Sheet) -> int:
    """How many leading columns identify the school (school_id, school_name): they stay in view."""
    n = 0
    for col in sheet.columns:
        if col.name not in ("school_id", "school_name"):
            break
        n += 1
    return n


def _validate(ws: Worksheet, col: Column, cells: str) -> None:
    """The cell's input prompt and, where Excel can check the rule, a stop alert.

    A soft guard only (pasting bypasses it); the reader checks everything again."""
    dv = _rule(col, cells.split(":")[0])
    dv.allow_blank = True  # a blank required cell is the reader's DATA-21, said once per cell
    dv.showInputMessage = True
    dv.promptTitle = col.name
    dv.prompt = input_prompt(col)
    error = error_alert(col)
    if error is not None:
        dv.showErrorMessage = True
        dv.errorStyle = "stop"
        dv.errorTitle = col.name
        dv.error = error
    dv.add(cells)
    ws.add_data_validation(dv)


def _rule(col: Column, first_cell: str) -> DataValidation:
    """The Excel rule of the column; a formula refers to the range's first cell (Excel shifts it)."""
    codes = col.codes
    if codes:
        return DataValidation(type="list", formula1='"' + ",".join(codes) + '"')
    if col.kind == schema.YEAR:
        return DataValidation(type="textLength", operator="equal", formula1="7")
    if col.kind == schema.EMAIL:
        return DataValidation(type="custom", formula1=f'ISNUMBER(SEARCH("@",{first_cell}))')
    if col.name == "template_version":
        return DataValidation(type="whole", operator="equal", formula1=str(schema.TEMPLATE_VERSION))
    if col.kind in (schema.INT, schema.NUMBER, schema.MONEY) and col.minimum is not None:
        dv_type = "whole" if col.kind == schema.INT else "decimal"
        if col.maximum is not None:
            return DataValidation(type=dv_type, operator="between", formula1=_n(col.minimum), formula2=_n(col.maximum))
        op = "greaterThan" if col.min_exclusive else "greaterThanOrEqual"
        return DataValidation(type=dv_type, operator=op, formula1=_n(col.minimum))
    return DataValidation()  # any value: the prompt only


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
