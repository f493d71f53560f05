"""A plan's downloads: the district's workbook with the plan as its Proposed sheet, and a one-page PDF."""
from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from django.template.loader import render_to_string
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from compliance.rules.model import ProposedRow
from compliance.workbook import schema
from compliance.workbook.template import _header, _set  # the template's own cell writers

_MAX_HEADER_SCAN = 5  # the reader tolerates a title row above the header row; look a little further


def _header_row(ws: Worksheet, first: str) -> int | None:
    for r in range(1, _MAX_HEADER_SCAN + 1):
        value = ws.cell(row=r, column=1).value
        if isinstance(value, str) and value.strip().lower() == first:
            return r
    return None


def _proposed_sheet(book) -> tuple[Worksheet, int, dict[str, int]]:
    """The Proposed sheet emptied below its header (made from the schema if absent), its header row
    and each column's position as the district's workbook has it."""
    sheet = schema.PROPOSED
    if sheet.name in book.sheetnames:
        ws = book[sheet.name]
        header = _header_row(ws, sheet.columns[0].name)
    else:
        ws, header = book.create_sheet(sheet.name), None
    if header is None:
        ws.delete_rows(1, ws.max_row)
        for i, col in enumerate(sheet.columns, start=1):
            _header(ws, i, col.name, col.help, col.required, upright=True)
        header = 1
    elif ws.max_row > header:
        ws.delete_rows(header + 1, ws.max_row - header)
    positions = {}
    for c in range(1, ws.max_column + 1):
        value = ws.cell(row=header, column=c).value
        if isinstance(value, str):
            positions[value.strip().lower()] = c
    next_col = ws.max_column + 1
    for col in sheet.columns:  # a column the district deleted comes back at the end
        if col.name not in positions:
            _header(ws, next_col, col.name, col.help, col.required, upright=True)
            positions[col.name], next_col = next_col, next_col + 1
    return ws, header, positions


def _describe(book, text: str) -> None:
    """Fill District's proposed_change_description when blank: the reader requires it with Proposed rows."""
    if schema.DISTRICT.name not in book.sheetnames:
        return
    ws = book[schema.DISTRICT.name]
    column = schema.DISTRICT.column("proposed_change_description")
    for r in range(1, ws.max_row + 1):
        if str(ws.cell(row=r, column=1).value or "").strip().lower() == column.name:
            if not str(ws.cell(row=r, column=2).value or "").strip():
                _set(ws, r, 2, text, column)
            return
    _set(ws, ws.max_row + 1, 2, text, column)
    ws.cell(row=ws.max_row, column=1, value=column.name)


def proposed_workbook(original: bytes, rows: list[ProposedRow], description: str) -> bytes:
    """The district's uploaded workbook with the Proposed sheet replaced by ``rows`` (one schema: schema.PROPOSED)."""
    book = load_workbook(io.BytesIO(original))
    ws, header, positions = _proposed_sheet(book)
    for r, row in enumerate(rows, start=header + 1):
        for col in schema.PROPOSED.columns:
            value = getattr(row, col.name)
            if value is not None:
                _set(ws, r, positions[col.name], value, col)
    if rows:
        _describe(book, description)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def summary_pdf(contexts: Iterable[dict[str, Any]], base_url: str) -> bytes:
    """The summary as a tagged PDF/UA-1, the way compliance/reports/render.py renders reports, on one page:
    ``contexts`` go from the fullest to the barest, and the first that fits one page is printed."""
    from weasyprint import HTML  # heavy import: only when a PDF is asked for

    document = None
    for context in contexts:
        html = render_to_string("planner/summary_pdf.html", context)
        document = HTML(string=html, base_url=base_url).render(pdf_variant="pdf/ua-1")
        if len(document.pages) == 1:
            break
    if document is None:
        raise ValueError("No summary to print.")
    return document.write_pdf(pdf_variant="pdf/ua-1")
