"""The marked workbook: the district's upload with every problem cell filled and commented, plus a Problems sheet.

Opened with openpyxl only when the file passed intake (no DATA-01..14 refusal): such a file
already passed the zip checks (entry count, sizes, ratios) and was parsed. A refused file is
never opened again; its marked workbook is the Problems sheet alone.
"""
from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from .schema import normalize_name
from .tables import names_unread_column

logger = logging.getLogger(__name__)

# DATA-01..14 refuse the whole file (workbook.md): nothing in it was read, so nothing is opened.
FILE_REFUSAL_CODES = frozenset(f"DATA-{n:02d}" for n in range(1, 15))
_HEADER_SEARCH_ROWS = 20  # as the reader: a title block above the header row is at most this tall
FILLS = {"error": "FFC7CE", "warning": "FFEB9C"}  # Excel's own "bad" red and "neutral" yellow
PROBLEMS_SHEET = "Problems"
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PROBLEM_COLUMNS = ("Cell", "Severity", "Code", "Sheet", "Row", "Column", "Value", "Problem", "How to fix it")

Positions = dict[str, tuple[str, dict[str, int]]]  # normalized sheet -> (its title, {normalized header: column})


class ProblemLike(Protocol):
    code: str
    severity: str
    sheet: str
    row: int | None
    column: str
    value: str
    message: str
    fix: str


def file_was_refused(problems: Iterable[ProblemLike]) -> bool:
    return any(p.code in FILE_REFUSAL_CODES for p in problems)


def _header_row(rows: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    # The first row with any text is the header (a title row has one cell; the header many).
    texts = [r for r in rows if sum(1 for v in r if isinstance(v, str) and v.strip()) >= 2]
    return texts[0] if texts else ()


def header_positions(workbook) -> Positions:
    """Where each sheet's headers stand, read from the top rows of an openpyxl workbook."""
    positions: Positions = {}
    for ws in workbook.worksheets:
        rows = list(ws.iter_rows(min_row=1, max_row=_HEADER_SEARCH_ROWS, values_only=True))
        columns: dict[str, int] = {}
        for j, value in enumerate(_header_row(rows), start=1):
            if isinstance(value, str) and value.strip():
                columns.setdefault(normalize_name(value), j)
        positions[normalize_name(ws.title)] = (ws.title, columns)
    return positions


def cell_of(problem: ProblemLike, positions: Positions) -> str | None:
    """``Schools!K4`` for a problem with a sheet, row and column found in the file, else None."""
    found = positions.get(normalize_name(problem.sheet or ""))
    if found is None or not problem.row or not problem.column:
        return None
    title, columns = found
    j = _column_of(problem, columns)
    if j is None:
        return None
    from openpyxl.utils import get_column_letter, quote_sheetname  # openpyxl only when a file is marked

    # The template's plain names read as Excel writes them (Schools!K4); others are quoted.
    sheet = title if _PLAIN_NAME.fullmatch(title) else quote_sheetname(title)
    return f"{sheet}!{get_column_letter(j)}{problem.row}"


def _column_of(problem: ProblemLike, columns: dict[str, int]) -> int | None:
    """The 1-based column of the problem's cell: its header's. A column the reader could name
    only by its letter (DATA-19: values under a blank header, or beside the District sheet's
    field and value columns) is that letter's. On a sheet of fields (the District sheet: name
    in "field", value in "value") a field's problem marks the value's cell."""
    j = columns.get(normalize_name(problem.column))
    if j is None and names_unread_column(problem.code, problem.column, problem.message):
        from openpyxl.utils import column_index_from_string  # openpyxl only when a file is marked

        return column_index_from_string(problem.column)
    return j or (columns.get("value") if "field" in columns else None)


def problem_cells(data: bytes | None, problems: Sequence[ProblemLike]) -> list[str | None]:
    """The cell reference of each problem (None where it names no cell), read from the stored upload."""
    workbook = None if data is None or file_was_refused(problems) else _open(data, read_only=True)
    if workbook is None:
        return [None] * len(problems)
    try:
        positions = header_positions(workbook)
    finally:
        workbook.close()
    return [cell_of(p, positions) for p in problems]


def _mark_cells(workbook, problems: Sequence[ProblemLike], cells: list[str | None]) -> None:
    from openpyxl.comments import Comment  # openpyxl only when a file is marked
    from openpyxl.styles import PatternFill

    notes: dict[str, list[ProblemLike]] = {}
    for problem, ref in zip(problems, cells):
        if ref:
            notes.setdefault(ref, []).append(problem)
    for ref, here in notes.items():
        title, coordinate = ref.rsplit("!", 1)
        cell = workbook[title.strip("'").replace("''", "'")][coordinate]
        worst = "error" if any(p.severity == "error" for p in here) else "warning"
        colour = FILLS.get(worst, FILLS["warning"])
        cell.fill = PatternFill(fill_type="solid", start_color=colour, end_color=colour)
        text = "\n\n".join(f"{p.code} ({p.severity}): {p.message}\nFix: {p.fix}" for p in here)
        cell.comment = Comment(text, "Equity compliance checker", width=320, height=160)


def _problems_sheet(workbook, problems: Sequence[ProblemLike], cells: list[str | None]) -> None:
    from openpyxl.styles import Font  # openpyxl only when a file is marked
    from openpyxl.worksheet.hyperlink import Hyperlink

    ws = workbook.create_sheet(PROBLEMS_SHEET, 0)
    ws.append(PROBLEM_COLUMNS)
    for c in ws[1]:
        c.font = Font(bold=True)
    for i, (p, ref) in enumerate(zip(problems, cells), start=2):
        values = [ref or "", p.severity, p.code, p.sheet, p.row, p.column, p.value, p.message, p.fix]
        for j, value in enumerate(values, start=1):
            cell = ws.cell(row=i, column=j, value=value)
            # Text from the upload is stored as text, never as a formula, whatever it begins with.
            if isinstance(value, str):
                cell.data_type = "s"
        if ref:
            # An internal link (location), not a URL: Excel and LibreOffice jump to the cell.
            ws.cell(row=i, column=1).hyperlink = Hyperlink(ref=f"A{i}", location=ref, tooltip="Go to the cell")
            ws.cell(row=i, column=1).style = "Hyperlink"
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHI", (18, 9, 9, 12, 6, 24, 20, 60, 60)):
        ws.column_dimensions[letter].width = width


def _open(data: bytes, *, read_only: bool = False):
    """The upload as an openpyxl workbook, or None when openpyxl cannot read what calamine could."""
    import openpyxl  # here, not with the module: every command loads this one (0.2 s)

    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=read_only, data_only=read_only)
    except Exception:  # any parser failure: the district still gets the Problems sheet
        logger.warning("marked workbook: openpyxl could not open the stored upload", exc_info=True)
        return None


def marked_workbook(data: bytes | None, problems: Sequence[ProblemLike]) -> bytes:
    """The upload with each problem cell filled by severity and commented, and a first Problems sheet
    linking to them; for a refused (or missing) file, a new workbook with the Problems sheet alone."""
    workbook = None if data is None or file_was_refused(problems) else _open(data)
    if workbook is None:
        from openpyxl import Workbook  # openpyxl only when a file is marked

        workbook = Workbook()
        workbook.remove(workbook.active)
        _problems_sheet(workbook, problems, [None] * len(problems))
    else:
        positions = header_positions(workbook)
        cells = [cell_of(p, positions) for p in problems]
        _mark_cells(workbook, problems, cells)
        _problems_sheet(workbook, problems, cells)
        workbook.active = 0
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
