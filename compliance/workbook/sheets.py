"""Each template sheet's own checks: District (field/value pairs), Schools, Budget, Proposed, Lottery.

The table sheets' checks that need no other sheet (:func:`local_checks`) may run before
Schools is read; the rest take what they need from Schools as arguments
(docs/workbook.md, a section per sheet).
"""
from __future__ import annotations

import operator
from typing import Any

from compliance.rules.model import BudgetRow, DistrictInfo, LotteryRow, ProposedRow, SchoolRow

from . import schema
from .cells import (
    BLANK,
    EMAIL,
    cell_text,
    comma_fix,
    conv_id,
    conv_int,
    conv_text,
    excerpt,
    too_long,
    too_long_text,
    valid_year,
)
from .package import SheetScan
from .problem_log import ProblemLog
from .schema import Column, normalize_name
from .tables import (
    Columns,
    KnownIds,
    Table,
    and_list,
    build_rows,
    check_duplicates,
    check_grade_order,
    check_known_ids,
    check_race_sum,
    column_letter,
    columns_with_values,
    convert_columns,
    report_unknown_id,
    unread_column_lead,
)

# What a school the Proposed sheet opens must say about itself.
_NEW_SCHOOL_FIELDS = ("school_name", "grade_low", "grade_high", "assignment_method")
_IDENTITY_FIELDS = ("district_id", "district_name", "school_year")


def school_rows(t: Table, problems: ProblemLog) -> tuple[list[SchoolRow], KnownIds]:
    """The Schools sheet's rows, and every id on it (broken rows included) with the rows repeating one."""
    cols = convert_columns(t, problems)
    c = cols.values
    ids = c["school_id"]
    repeats = check_duplicates(t, ids, cols.complete, problems)
    check_grade_order(t, c["grade_low"], c["grade_high"], {"grade_low", "grade_high"} <= cols.complete, problems)
    check_race_sum(t, cols, problems)
    return build_rows(SchoolRow, t, cols), KnownIds({i for i in ids if i is not None}, repeats)


def local_checks(t: Table, problems: ProblemLog) -> Columns:
    """The checks of Budget, Proposed or Lottery that need no other sheet (converting the
    columns, repeated ids); run ahead while Schools is still being parsed, or when needed."""
    cols = convert_columns(t, problems)
    check_duplicates(t, cols.values["school_id"], cols.complete, problems)
    return cols


def budget_rows(t: Table, cols: Columns, known: KnownIds | None, problems: ProblemLog) -> list[BudgetRow]:
    """``known``: the Schools sheet's ids, or None when it could not be read (nothing to check against)."""
    if known is not None:
        check_known_ids(t, cols.values["school_id"], known, problems)
    return build_rows(BudgetRow, t, cols)


def lottery_rows(t: Table, cols: Columns, known: KnownIds | None, problems: ProblemLog) -> list[LotteryRow]:
    c = cols.values
    if known is not None:
        check_known_ids(t, c["school_id"], known, problems)
    admitted = c["admitted_ed"], c["admitted_non_ed"]
    seats_col = c["seats"]
    if {"seats", "admitted_ed", "admitted_non_ed"} <= cols.complete and not any(
        map(operator.gt, map(operator.add, *admitted), seats_col)
    ):
        seats_col = []  # nothing over: skip the row loop
    for k, (seats, a, b) in enumerate(zip(seats_col, *admitted)):
        if seats is not None and a is not None and b is not None and a + b > seats:
            problems.add("DATA-39", t.sheet.name, t.rownums[k], "seats", seats,
                    f"admitted_ed + admitted_non_ed = {a + b} is more than the {seats} seats offered.")
    if "target_ed_share" not in cols.complete:
        # docs/workbook.md, "Sheet `Lottery`": a blank target_ed_share is 0.5.
        c["target_ed_share"] = [0.5 if v is None else v for v in c["target_ed_share"]]
    return build_rows(LotteryRow, t, cols)


def proposed_rows(t: Table, cols: Columns, known: KnownIds | None, schools: dict[str, SchoolRow],
                  problems: ProblemLog) -> list[ProposedRow]:
    c = cols.values
    ids = c["school_id"]
    if known is not None:  # which schools the change opens is known only against a readable Schools sheet
        _check_new_schools(t, c, known, problems)
    # Compare grades, taking a blank one from the Schools sheet.
    lows, highs = c["grade_low"], c["grade_high"]
    eff_low = lows if "grade_low" in cols.complete else [
        lo if lo is not None else (schools[s].grade_low if s in schools else None) for lo, s in zip(lows, ids)]
    eff_high = highs if "grade_high" in cols.complete else [
        hi if hi is not None else (schools[s].grade_high if s in schools else None) for hi, s in zip(highs, ids)]
    check_grade_order(t, eff_low, eff_high, None not in eff_low and None not in eff_high, problems,
                      typed=(lows, highs))
    check_race_sum(t, cols, problems)
    return build_rows(ProposedRow, t, cols)


def _check_new_schools(t: Table, c: dict[str, list[Any]], known: KnownIds, problems: ProblemLog) -> None:
    """A school the change opens (not on the Schools sheet) needs everything that says what it is.

    When the Schools sheet repeats an id, a row lacking some of it is more likely a school whose
    Schools row got a mistyped id: one problem pointing there, not one blank per field of a
    school that exists (docs/workbook.md, "What a broken workbook gets")."""
    new_ids = set(c["school_id"]) - known.ids - {None}
    if not new_ids:
        return
    for k, sid in enumerate(c["school_id"]):
        if sid not in new_ids:
            continue
        missing = _missing_new_school_fields(t, c, k)
        if missing and known.repeats:
            report_unknown_id(t, k, sid, known.repeats, problems,
                              otherwise=f"fill in {and_list(missing)}: it is then a school the change opens")
            continue
        for name in missing:
            problems.add("DATA-21", t.sheet.name, t.rownums[k], name, None,
                         f"school_id {sid!r} is not on the Schools sheet, so it is a school the change "
                         f"opens and needs {name}.")


def _missing_new_school_fields(t: Table, c: dict[str, list[Any]], k: int) -> list[str]:
    """The fields a new school needs that row ``k`` leaves blank (a bad value has its own problem)."""
    missing = []
    for name in _NEW_SCHOOL_FIELDS:
        j = t.index.get(name)
        raw = t.rows[k][j] if j is not None else ""
        if c[name][k] is None and (raw == "" or j is None):
            missing.append(name)
    return missing


# -- District ----------------------------------------------------------------------------


def district_info(grid: list[list[Any]], scan: SheetScan, problems: ProblemLog, expected_ids: set[str] | None,
                  expected_year: str | None) -> tuple[DistrictInfo | None, dict[str, int], dict[str, Any]]:
    """The District sheet: its info (None when a required field is missing or bad), the Excel
    row of each field, and its identity fields as far as they could be read."""
    values, rows_of = _district_fields(grid, scan, problems)
    sheet = schema.DISTRICT.name
    for col in schema.DISTRICT.columns:
        if not col.required or values.get(col.name) is not None:
            continue
        if col.name not in rows_of:
            problems.add("DATA-30", sheet, None, col.name, None, f"The required field {col.name!r} is missing.")
        elif not problems.on_row(sheet, rows_of[col.name]):
            problems.add("DATA-30", sheet, rows_of[col.name], col.name, None,
                         f"The required field {col.name!r} is blank.")
    identity = {k: values.get(k) for k in _IDENTITY_FIELDS}
    # Checked on what could be read, whatever else is wrong on the sheet: a district fixing a bad
    # e-mail address should learn in the same pass that the file is another district's or year's.
    _check_expected(identity, rows_of, problems, expected_ids, expected_year)
    if any(values.get(c.name) is None for c in schema.DISTRICT.columns if c.required):
        return None, rows_of, identity
    info = DistrictInfo(
        district_id=values["district_id"],
        district_name=values["district_name"],
        school_year=values["school_year"],
        template_version=values["template_version"],
        contact_name=values["contact_name"],
        contact_email=values["contact_email"],
        proposed_change_description=values.get("proposed_change_description"),
    )
    return info, rows_of, identity


def _district_fields(grid: list[list[Any]], scan: SheetScan,
                     problems: ProblemLog) -> tuple[dict[str, Any], dict[str, int]]:
    """Field name -> converted value (None when blank or bad), and field name -> Excel row."""
    sheet = schema.DISTRICT.name
    fields = {normalize_name(c.name): c for c in schema.DISTRICT.columns}
    nonblank, fcol, vcol = _field_value_columns(grid)
    _other_district_columns(grid, fcol, vcol, problems)
    values: dict[str, Any] = {}
    rows_of: dict[str, int] = {}
    for i, r in nonblank:
        excel_row = i + 1
        name_raw = r[fcol] if fcol < len(r) else ""
        raw = r[vcol] if vcol < len(r) else ""
        if name_raw == "":
            continue
        col = fields.get(normalize_name(cell_text(name_raw)))
        if col is None:
            text = cell_text(name_raw)
            problems.add("DATA-19", sheet, excel_row, text, raw,
                         f"The field {text!r} is not part of the template and was not read.")
        elif col.name in values:
            problems.add("DATA-20", sheet, excel_row, col.name, raw,
                         f"The field {col.name!r} appears twice; only row {rows_of[col.name]} was read.")
        else:
            rows_of[col.name] = excel_row
            values[col.name] = _formula_problem(col, raw, (excel_row, vcol), scan, problems)
    return values, rows_of


def _field_value_columns(grid: list[list[Any]]) -> tuple[list[tuple[int, list[Any]]], int, int]:
    """The non-blank rows below a "field | value" header row (if there is one), and the
    positions of the two columns (the first two when there is no header)."""
    nonblank = [(i, r) for i, r in enumerate(grid) if r.count("") != len(r)]
    if nonblank:
        heads = [normalize_name(cell_text(v)) if v != "" else "" for v in nonblank[0][1]]
        if "field" in heads and "value" in heads:
            return nonblank[1:], heads.index("field"), heads.index("value")
    return nonblank, 0, 1


def _other_district_columns(grid: list[list[Any]], fcol: int, vcol: int, problems: ProblemLog) -> None:
    """Values beside the field and value columns are not read: reported, never silently dropped,
    each column once, on its first value (the cell the district typed, which has no header to fix)."""
    width = len(grid[0]) if grid else 0
    others = [j for j in range(width) if j not in (fcol, vcol)]
    f, v = column_letter(fcol), column_letter(vcol)
    for j, i, value in columns_with_values(grid, others):
        letter = column_letter(j)
        problems.add("DATA-19", schema.DISTRICT.name, i + 1, letter, value,
                     f"{unread_column_lead(letter)}, but the District sheet is read only from its field "
                     f"column {f} and value column {v}, so it was not read.",
                     f"Put each value in column {v} beside its field name in column {f}, or delete what is in "
                     f"column {letter}.")


def _formula_problem(col: Column, raw: Any, cell: tuple[int, int], scan: SheetScan, problems: ProblemLog) -> Any:
    """The field's value; a blank that is an Excel error or an unsaved formula is reported as such."""
    row = cell[0]
    if raw == "" and cell in scan.errors:
        problems.add("DATA-25", schema.DISTRICT.name, row, col.name, scan.errors[cell],
                     f"the cell holds the Excel error {scan.errors[cell]}.")
        return None
    if raw == "" and cell in scan.uncached:
        problems.add("DATA-25", schema.DISTRICT.name, row, col.name, None,
                     "the cell holds a formula with no saved result.")
        return None
    return _district_value(col, raw, row, problems)


def _district_value(col: Column, raw: Any, row: int, problems: ProblemLog) -> Any:
    s = schema.DISTRICT.name
    if raw == "":
        return None
    if col.kind == schema.INT:
        return _template_version(col, raw, row, problems)
    vals, bad, _ = (conv_id if col.kind == schema.ID else conv_text)([raw])
    if bad:
        problems.add("DATA-22", s, row, col.name, raw, bad[0][1])
        return None
    v = vals[0]
    if v is BLANK:
        return None
    if col.char_limit and too_long([v], col.char_limit):
        problems.add("DATA-23", s, row, col.name, excerpt(v), too_long_text(col, v))
        return None
    if col.kind == schema.YEAR and not valid_year(v):
        problems.add("DATA-32", s, row, col.name, v, f"{v!r} is not a school year written as YYYY-YY, e.g. 2026-27.")
        return None
    if col.kind == schema.EMAIL and not EMAIL.match(v):
        problems.add("DATA-35", s, row, col.name, v, f"{v!r} is not a valid email address.")
        return None
    return v


def _template_version(col: Column, raw: Any, row: int, problems: ProblemLog) -> Any:
    """The District sheet's one whole-number field, which must name the template read here."""
    vals, bad, _ = conv_int([raw])
    if bad:
        problems.add("DATA-22", schema.DISTRICT.name, row, col.name, raw, bad[0][1], comma_fix(raw, col.kind))
        return None
    v = vals[0]
    if col.name == "template_version" and v != schema.TEMPLATE_VERSION:
        problems.add("DATA-31", schema.DISTRICT.name, row, col.name, v,
                f"template_version is {v}; this system reads template version {schema.TEMPLATE_VERSION}.")
        return None
    return v


def _check_expected(identity: dict[str, Any], rows_of: dict[str, int], problems: ProblemLog,
                    expected_ids: set[str] | None, expected_year: str | None) -> None:
    """The district is one the uploader may submit for, and the year is the cycle's (each as far
    as it could be read: a blank or bad value has its own problem)."""
    sheet = schema.DISTRICT.name
    district_id, school_year = identity.get("district_id"), identity.get("school_year")
    if expected_ids is not None and district_id is not None and district_id not in expected_ids:
        problems.add("DATA-34", sheet, rows_of["district_id"], "district_id", district_id,
                f"district_id {district_id!r} is not a district you may submit for"
                + (f" (expected {', '.join(sorted(expected_ids))})." if len(expected_ids) <= 5 else "."))
    if expected_year is not None and school_year is not None and school_year != expected_year:
        problems.add("DATA-33", sheet, rows_of["school_year"], "school_year", school_year,
                f"school_year {school_year} is not this cycle's school year {expected_year}.")
