"""Builders shared by the workbook tests: a valid submission and ways to damage it."""
from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

from compliance.rules.model import (
    BudgetRow,
    DistrictInfo,
    LotteryRow,
    ProposedRow,
    SchoolRow,
    WorkbookData,
)
from compliance.workbook.template import write_workbook


def school(sid: str, name: str, low: str = "K", high: str = "5", *, title_i: bool = False,
           method: str = "attendance_zone", races: tuple[int, ...] = (10, 1, 5, 20, 0, 60, 4),
           ed: int = 30, el: int | None = 3, swd: int | None = 7, capacity: int | None = 150,
           row: int | None = None) -> SchoolRow:
    return SchoolRow(sid, name, low, high, title_i, method, sum(races), *races, ed, el, swd, capacity, row)


def sample_data(*, proposed: bool = True, lottery: bool = True) -> WorkbookData:
    """A small, fully valid submission. Row numbers are those write_workbook produces."""
    schools = [
        school("0101", "Adams Elementary", "PK", "5", title_i=True, races=(40, 2, 3, 80, 1, 20, 4), ed=120, row=2),
        school("0102", "Baker Middle", "6", "8", method="grade_center", races=(30, 0, 10, 50, 0, 100, 10), ed=70,
               el=None, swd=None, row=3),
        school("0203", "Cole High", "9", "12", method="magnet", races=(25, 1, 30, 40, 2, 150, 12), ed=55,
               capacity=None, row=4),
    ]
    budget = [
        BudgetRow("0101", 12.5, 3.0, 1_234_567.5, 80_000.0, 250_000.0, 1.0, row=2),
        BudgetRow("0102", 14.0, 2.5, 1_500_000.0, 90_000.25, 60_000.0, None, row=3),
        BudgetRow("0203", 20.0, 4.0, 2_100_000.0, 120_000.0, 30_000.0, 0.0, row=4),
    ]
    data = WorkbookData(
        district=DistrictInfo("000123", "Springfield Unified", "2026-27", 1, "Pat Doe", "pat.doe@springfield.k12.us",
                              "Redraw the Adams/Baker attendance zones." if proposed else None),
        schools=schools,
        budget=budget,
        has_budget_sheet=True,
    )
    if proposed:
        data.proposed = [
            ProposedRow("0101", 140, 35, 2, 4, 60, 1, 34, 4, 100, row=2),
            ProposedRow("0300", 90, 10, 0, 5, 30, 0, 40, 5, 40, school_name="New Academy", grade_low="K",
                        grade_high="8", title_i=False, assignment_method="choice_lottery", row=3),
        ]
    if lottery:
        data.lottery = [LotteryRow("0203", 100, 80, 200, 48, 52, 0.5, row=2)]
    return data


def write(path: Path, data: WorkbookData | None = None) -> Path:
    write_workbook(path, data if data is not None else sample_data())
    return path


def header_col(ws: Any, name: str) -> int:
    for cell in ws[1]:
        if cell.value == name:
            return cell.column
    raise KeyError(name)


def edit(path: Path, changes: list[tuple[str, int, str, Any]]) -> Path:
    """Set cells by (sheet, excel row, column header, value); for District the header is the field."""
    wb = openpyxl.load_workbook(path)
    for sheet, row, column, value in changes:
        ws = wb[sheet]
        if sheet == "District":
            for r in range(2, ws.max_row + 1):
                if ws.cell(r, 1).value == column:
                    ws.cell(r, 2).value = value
                    break
            else:
                raise KeyError(column)
        else:
            ws.cell(row, header_col(ws, column)).value = value
    wb.save(path)
    return path


def rewrite_zip(src: bytes, change: Callable[[str, bytes], bytes | None],
                extra: dict[str, bytes] | None = None) -> bytes:
    """Copy a zip, passing each member through ``change`` (None drops it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return out.getvalue()


def sheet_member(xlsx: bytes, sheet: str) -> str:
    """The zip member holding a sheet, found through workbook.xml and its relationships."""
    from compliance.workbook.package import Limits, open_package

    return open_package(xlsx, None, Limits()).sheet_paths[sheet]


def codes(data: WorkbookData) -> list[str]:
    return [p.code for p in data.problems]


def only(data: WorkbookData, code: str) -> Any:
    found = [p for p in data.problems if p.code == code]
    assert len(found) == 1, (code, data.problems)
    return found[0]
