"""The problems one workbook read finds, each told where it is (sheet, row, column)."""
from __future__ import annotations

from typing import Any

from compliance.rules.model import DataProblem

from . import schema
from .cells import BLANK
from .problem_codes import DATA_CODES


class ProblemLog:
    """Collects the problems of one read, in the order they are found; handed to every check."""

    __slots__ = ("problems",)

    def __init__(self) -> None:
        self.problems: list[DataProblem] = []

    def add(self, code: str, sheet: str | None, row: int | None, column: str | None, value: Any, message: str,
            fix: str | None = None, severity: str | None = None) -> None:
        """One problem; the message is prefixed with where it is, the fix defaults to the code's."""
        dc = DATA_CODES[code]
        if value == "" or value is BLANK:
            value = None
        where = _where(sheet, row, column)
        self.problems.append(DataProblem(code, severity or dc.severity, sheet, row, column, value,
                                         f"{where}{message}", fix or dc.fix))

    def on_row(self, sheet: str, row: int) -> bool:
        """Whether a problem was already reported on this row (so a blank is not reported twice)."""
        return any(p.sheet == sheet and p.row == row for p in self.problems)

    def has(self, sheet: str, code: str) -> bool:
        return any(p.sheet == sheet and p.code == code for p in self.problems)

    def in_reading_order(self) -> list[DataProblem]:
        """Sheet by sheet in template order, then row by row (the sort is stable)."""
        order = {s.name: i for i, s in enumerate(schema.SHEETS)}
        return sorted(self.problems, key=lambda p: (order.get(p.sheet or "", -1), p.row or 0))


def _where(sheet: str | None, row: int | None, column: str | None) -> str:
    if sheet is None:
        return ""
    parts = [sheet]
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(column)
    return ", ".join(parts) + ": "
