"""The data problems as a district works them: sorted, each with its cell, exported as CSV or XLSX."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.db.models.expressions import OrderBy

from compliance import permissions
from compliance.models import Problem, Submission
from compliance.reports.cycle_export import write_csv, write_xlsx
from compliance.workbook.marked import PROBLEM_COLUMNS
from districts.models import User

from .downloads import XLSX, base_name, submission_problem_cells

# Errors before warnings: what blocks the submission comes first.
_SEVERITY_RANK = Case(When(severity="error", then=Value(0)), When(severity="warning", then=Value(1)),
                      default=Value(2), output_field=IntegerField())
# Each sort key, then the keys that break its ties (a sheet's problems read top to bottom).
SORTS: dict[str, tuple[Any, ...]] = {
    "sheet": (F("sheet"), F("row"), F("code")),
    "row": (F("row"), F("sheet"), F("code")),
    "code": (F("code"), F("sheet"), F("row")),
    "severity": (_SEVERITY_RANK, F("sheet"), F("row")),
}
EXPORT_FORMATS = ("csv", "xlsx")


def problem_sort(value: str | None) -> str:
    """The sort asked for ("code", "-row", ...), or "" (the order the checks found them) if unknown."""
    value = (value or "").strip()
    return value if value.lstrip("-") in SORTS else ""


def problems_sorted(problems: QuerySet[Problem], sort: str) -> QuerySet[Problem]:
    """``sort`` is a key of SORTS, "-" first for descending; ties keep the other keys ascending."""
    sort = problem_sort(sort)
    if not sort:
        return problems.order_by("pk")
    first, *rest = SORTS[sort.lstrip("-")]
    # Problems about the whole file have no sheet or row: they come last either way.
    order: list[OrderBy] = [first.desc(nulls_last=True) if sort.startswith("-") else first.asc(nulls_last=True)]
    order += [key.asc(nulls_last=True) for key in rest]
    return problems.order_by(*order, "pk")


def problem_rows(*, submission: Submission, problems) -> list[tuple[Problem, str | None]]:
    """Each problem with its cell reference (``Schools!K4``) in the stored upload, where it names one."""
    problems = list(problems)
    return list(zip(problems, submission_problem_cells(submission=submission, problems=problems)))


def _export_row(problem: Problem, cell: str | None) -> dict[str, Any]:
    values = (cell or "", problem.severity, problem.code, problem.sheet, problem.row, problem.column,
              problem.value, problem.message, problem.fix)
    return dict(zip(PROBLEM_COLUMNS, values))


def problems_export(*, submission: Submission, user: User, problems, fmt: str) -> tuple[bytes, str, str]:
    """(bytes, content type, file name) of the problems given, in their order: text never a formula."""
    if not permissions.can_download(user, submission):
        raise PermissionDenied("You may not download this submission's problems.")
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}.")
    rows = [_export_row(p, cell) for p, cell in problem_rows(submission=submission, problems=problems)]
    name = f"{base_name(submission)}-problems.{fmt}"
    if fmt == "csv":
        return write_csv(rows, PROBLEM_COLUMNS), "text/csv; charset=utf-8", name
    return write_xlsx([("Problems", rows, PROBLEM_COLUMNS)]), XLSX, name
