"""Writes the blank template v1 (and filled copies of it) from :mod:`.schema`."""
from __future__ import annotations

from dataclasses import fields as dc_fields
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from compliance.rules.model import WorkbookData

from . import schema
from .schema import Column, Sheet

# Rows covered by drop-downs and column formats in the blank template.
TEMPLATE_ROWS = 5000

_TEXT_FORMAT = "@"
_MONEY_FORMAT = '"$"#,##0.00'
_NUMBER_FORMAT = "0.00"
_INT_FORMAT = "0"
_HEADER_FONT = Font(bold=True)
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


def build_template(
    out: str | Path | IO[bytes],
    *,
    district_id: str | None = None,
    district_name: str | None = None,
    school_year: str | None = None,
    schools: list[tuple[str, str]] | None = None,
) -> None:
    """Write the blank template; with ``schools`` (id, name) the Schools and Budget
    sheets are prefilled with them."""
    wb = _new_workbook()
    district_values: dict[str, Any] = {
        "district_id": district_id,
        "district_name": district_name,
        "school_year": school_year,
    }
    _fill_district(wb["District"], district_values)
    for sheet_name in ("Schools", "Budget"):
        ws = wb[sheet_name]
        sheet = schema.SHEETS_BY_KEY[sheet_name.lower()]
        idx = _col_index(sheet)
        for r, (sid, name) in enumerate(schools or [], start=2):
            _set(ws, r, idx["school_id"], str(sid), sheet.column("school_id"))
            _set(ws, r, idx["school_name"], name, sheet.column("school_name"))
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


def _col_index(sheet: Sheet) -> dict[str, int]:
    return {c.name: i for i, c in enumerate(sheet.columns, start=1)}


def _set(ws: Worksheet, row: int, col: int, value: Any, column: Column) -> None:
    cell = ws.cell(row=row, column=col)
    if column.kind == schema.YN and isinstance(value, bool):
        value = "Y" if value else "N"
    if column.kind in (schema.ID, schema.TEXT, schema.GRADE) and value is not None:
        value = str(value)
    cell.value = value
    cell.number_format = _FORMATS[column.kind]


def _fill_district(ws: Worksheet, values: dict[str, Any]) -> None:
    for r, col in enumerate(schema.DISTRICT.columns, start=2):
        value = values.get(col.name)
        if col.name == "template_version":
            value = schema.TEMPLATE_VERSION
        if value is not None:
            _set(ws, r, 2, value, col)


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
    _write_instructions(ins)
    for sheet in schema.SHEETS:
        ws = wb.create_sheet(sheet.name)
        if sheet.layout == "fields":
            _layout_fields(ws, sheet)
        else:
            _layout_table(ws, sheet)
    return wb


def _write_instructions(ws: Worksheet) -> None:
    lines: list[str] = [
        f"Equity compliance submission workbook, template version {schema.TEMPLATE_VERSION}",
        "",
        "Fill in one workbook per district per reporting cycle and upload it as .xlsx (not .xls, .xlsm or .csv).",
        "Keep the header row of each sheet. Column order does not matter; do not rename headers.",
        "Hover over a header to see what it means. Coded columns have drop-down lists.",
        "Keep school ids as text so that leading zeros survive.",
        "Cells with formulas are read by their last calculated value; save the file in Excel before uploading.",
        "",
    ]
    for sheet in schema.SHEETS:
        presence = {"required": "required", "resources": "needed for resource-equity rules", "optional": "optional"}[sheet.presence]
        lines.append(f"Sheet {sheet.name} ({presence}): {sheet.help}")
        for col in sheet.columns:
            rule = "; ".join(x for x in (col.range_text(), col.rule) if x)
            req = "required" if col.required else "optional"
            lines.append(f"    {col.name} [{schema.KIND_LABELS[col.kind].replace('`', '')}, {req}]: {col.help}" + (f" ({rule})" if rule else ""))
        for rule in sheet.rules:
            lines.append(f"    Rule: {rule}")
        lines.append("")
    for r, text in enumerate(lines, start=1):
        ws.cell(row=r, column=1, value=text)
    ws["A1"].font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 140


def _header(ws: Worksheet, col: int, text: str, help_text: str, required: bool) -> None:
    cell = ws.cell(row=1, column=col, value=text)
    cell.font = _HEADER_FONT
    cell.fill = _REQUIRED_FILL if required else _HEADER_FILL
    cell.alignment = Alignment(horizontal="center")
    comment = Comment(help_text + (" (required)" if required else " (optional)"), "Template")
    comment.width, comment.height = 300, 110
    cell.comment = comment


def _layout_fields(ws: Worksheet, sheet: Sheet) -> None:
    _header(ws, 1, "field", "The name of the field; do not change.", True)
    _header(ws, 2, "value", "The value of the field.", True)
    for r, col in enumerate(sheet.columns, start=2):
        name = ws.cell(row=r, column=1, value=col.name)
        name.comment = Comment(col.help + (" (required)" if col.required else " (optional)"), "Template")
        ws.cell(row=r, column=2).number_format = _FORMATS[col.kind]
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 60
    ws.freeze_panes = "A2"


def _layout_table(ws: Worksheet, sheet: Sheet) -> None:
    last = TEMPLATE_ROWS + 1
    for i, col in enumerate(sheet.columns, start=1):
        _header(ws, i, col.name, col.help, col.required)
        letter = get_column_letter(i)
        dim = ws.column_dimensions[letter]
        dim.width = max(12, len(col.name) + 4)
        dim.number_format = _FORMATS[col.kind]
        codes = col.codes
        rng = f"{letter}2:{letter}{last}"
        if codes:
            dv = DataValidation(type="list", formula1='"' + ",".join(codes) + '"', allow_blank=not col.required)
            dv.error = f"Choose one of: {', '.join(codes)}"
            dv.errorTitle = col.name
            dv.add(rng)
            ws.add_data_validation(dv)
        elif col.kind in (schema.INT, schema.NUMBER, schema.MONEY) and col.minimum is not None:
            # A soft guard in Excel; the reader checks everything again.
            dv_type = "whole" if col.kind == schema.INT else "decimal"
            if col.maximum is not None:
                dv = DataValidation(type=dv_type, operator="between", formula1=_n(col.minimum), formula2=_n(col.maximum))
            else:
                op = "greaterThan" if col.min_exclusive else "greaterThanOrEqual"
                dv = DataValidation(type=dv_type, operator=op, formula1=_n(col.minimum))
            dv.error = f"{col.name}: {col.range_text()}"
            dv.errorTitle = col.name
            dv.add(rng)
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
