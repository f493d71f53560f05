"""The template's Instructions sheet (columns, definitions, filled examples) and its print setup."""
from __future__ import annotations

import math
from typing import Any

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from . import schema
from .definitions import DEFINITIONS
from .guidance import EXAMPLE_DISTRICT, EXAMPLE_ROWS
from .schema import Sheet

# Instructions columns: name, type, required, meaning, then one column per example row.
_WIDTHS = (28, 22, 10, 52, 20, 20)
_LAST = get_column_letter(len(_WIDTHS))
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_BOLD = Font(name="Calibri", bold=True)
_TABLE_FILL = PatternFill("solid", fgColor="DDEBF7")
_EXAMPLE_FILL = PatternFill("solid", fgColor="E2EFDA")
_THIN = Side(style="thin", color="A6A6A6")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
# Calibri 11 averages about 0.85 of a width unit per character; a line is 15 points high.
_CHARS_PER_UNIT = 1.1
_LINE_POINTS = 15

GENERAL = (
    "Fill in one workbook per district per reporting cycle and upload it as .xlsx (not .xls, .xlsm or .csv).",
    "Keep the header row of each sheet and do not rename headers; column order does not matter. Select a cell "
    "to see what it holds; coded columns have drop-down lists, and Excel refuses a value that breaks the "
    "column's rule. Pasted values are not checked by Excel, but every value is checked again on upload.",
    "Orange headers are required columns, blue headers optional ones.",
    "Keep school ids as text so that leading zeros survive. Cells with formulas are read by their last "
    "calculated value: save the file in Excel before uploading.",
    "The examples below show filled-in rows; they are not read. Enter your data on the District, Schools, "
    "Budget, Proposed and Lottery sheets.",
)

_PRESENCE = {"required": "required", "resources": "recommended", "optional": "optional"}


def write_instructions(ws: Worksheet, formats: dict[str, str]) -> None:
    """Title, general rules, definitions, then each sheet's columns beside a filled example."""
    for i, width in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    title = f"Equity compliance submission workbook, template version {schema.TEMPLATE_VERSION}"
    _paragraph(ws, 1, title, font=Font(name="Calibri", bold=True, size=14))
    r = 3
    for text in GENERAL:
        _paragraph(ws, r, text)
        r += 1
    r = _definitions(ws, r + 1)
    for sheet in schema.SHEETS:
        # Printed, each sheet's table starts a page: its header row is then on that page.
        ws.row_breaks.append(Break(id=r))
        r = _sheet_table(ws, r + 1, sheet, formats)
    page_setup(ws, title_rows=None, grid=False)


def page_setup(ws: Worksheet, *, title_rows: str | None, grid: bool = True) -> None:
    """Landscape, one page wide, header row on every page, sheet name and page in the footer;
    ``grid``: print the cell grid (a data sheet's cells; the Instructions' tables have borders)."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_LETTER
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = grid
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.right.text = "Page &P of &N"


def _paragraph(ws: Worksheet, row: int, text: str, *, first: int = 1, font: Font | None = None) -> None:
    """Text over the merged columns ``first``..last, wrapped; Excel does not size merged rows itself."""
    cell = ws.cell(row=row, column=first, value=text)
    cell.alignment = _WRAP_TOP
    if font is not None:
        cell.font = font
    ws.merge_cells(f"{get_column_letter(first)}{row}:{_LAST}{row}")
    size = font.size if font is not None and font.size else 11
    _fit_height(ws, row, [(text, sum(_WIDTHS[first - 1 :]) * 11 / size)])


def _fit_height(ws: Worksheet, row: int, cells: list[tuple[str, float]]) -> None:
    """Set the row's height to its tallest wrapped cell (LibreOffice keeps the default otherwise)."""
    lines = max(_lines(text, width) for text, width in cells)
    ws.row_dimensions[row].height = lines * _LINE_POINTS + 3


def _lines(text: str, width: float) -> int:
    """Lines ``text`` takes when wrapped at word boundaries in a column ``width`` units wide."""
    per_line = max(1, math.floor(width * _CHARS_PER_UNIT) - 1)
    lines, used = 1, 0
    for word in text.split():
        n = len(word)
        if used and used + 1 + n > per_line:
            lines, used = lines + 1, 0
        while n > per_line:  # a word longer than the line breaks inside it
            lines, n = lines + 1, n - per_line
        used = used + 1 + n if used else n
    return lines


def _definitions(ws: Worksheet, r: int) -> int:
    _paragraph(ws, r, "Definitions", font=Font(name="Calibri", bold=True, size=12))
    r += 1
    for d in DEFINITIONS:
        term = ws.cell(row=r, column=1, value=d.term)
        term.font, term.alignment = _BOLD, _WRAP_TOP
        _paragraph(ws, r, d.text, first=2)
        r += 1
    return r


def _sheet_table(ws: Worksheet, r: int, sheet: Sheet, formats: dict[str, str]) -> int:
    """The sheet's columns, one per row, with the example's values to the right."""
    heading = f"Sheet {sheet.name} ({_PRESENCE[sheet.presence]}): {sheet.help}"
    _paragraph(ws, r, heading, font=Font(name="Calibri", bold=True, size=12))
    r += 1
    examples = _examples(sheet)
    first = "field" if sheet.layout == "fields" else "column"
    if sheet.layout == "fields":
        labels = ["example value"]
    else:
        labels = [f"example row {i}" for i in range(2, 2 + len(examples))]
    head = [first, "type", "required", "what it holds", *labels]
    for j, text in enumerate(head, start=1):
        cell = ws.cell(row=r, column=j, value=text)
        cell.font, cell.alignment, cell.border = _BOLD, _WRAP_TOP, _BOX
        cell.fill = _EXAMPLE_FILL if j > 4 else _TABLE_FILL
    _fit_height(ws, r, [(t, w) for t, w in zip(head, _WIDTHS)])
    for col in sheet.columns:
        r += 1
        rule = "; ".join(x for x in (col.range_text(), col.rule) if x)
        meaning = col.help + (f" Rule: {rule}." if rule else "")
        texts = (col.name, schema.KIND_LABELS[col.kind].replace("`", ""), "yes" if col.required else "no", meaning)
        for j, text in enumerate(texts, start=1):
            cell = ws.cell(row=r, column=j, value=text)
            cell.alignment, cell.border = _WRAP_TOP, _BOX
        for j, example in enumerate(examples, start=5):
            cell = ws.cell(row=r, column=j, value=example.get(col.name))
            cell.number_format = formats[col.kind]
            cell.alignment, cell.border, cell.fill = _WRAP_TOP, _BOX, _EXAMPLE_FILL
        shown = [str(e.get(col.name, "")) for e in examples]
        _fit_height(ws, r, [(t, w) for t, w in zip([*texts, *shown], _WIDTHS)])
    for rule in sheet.rules:
        r += 1
        _paragraph(ws, r, f"Rule: {rule}")
    return r + 1


def _examples(sheet: Sheet) -> tuple[dict[str, Any], ...]:
    if sheet.layout == "fields":
        return (EXAMPLE_DISTRICT,)
    return EXAMPLE_ROWS[sheet.name]
