"""Table sheets: finding the header row, converting the columns, and the row checks they share.

A table sheet (Schools, Budget, Proposed, Lottery) is converted column by column, empty rows
skipped and columns in any order (docs/workbook.md, its opening section). A column with a
value in every row is *complete*, and the cross-column checks take C-speed paths over
complete columns, walking rows only when something is off.
"""
from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from compliance.rules.model import GRADE_INDEX, RACE_GROUPS

from . import schema
from .cells import (
    BAD_CODE,
    BLANK,
    CONVERTERS,
    cell_text,
    comma_fix,
    conv_int_bounded,
    excerpt,
    fmt,
    too_long,
    too_long_text,
)
from .package import SheetScan
from .problem_log import ProblemLog
from .schema import Column, Sheet, normalize_name

_HEADER_SEARCH_ROWS = 20  # a title block above the header row is at most this tall


@dataclass(slots=True)
class Table:
    """One table sheet after header mapping: the data rows and their Excel row numbers."""

    sheet: Sheet
    rows: list[list[Any]]
    rownums: list[int]
    header_row: int
    index: dict[str, int]  # canonical column -> 0-based column index
    scan: SheetScan


@dataclass(slots=True)
class Columns:
    """A table's converted columns (blanks and bad values None), and which have a value in every row."""

    values: dict[str, list[Any]]
    complete: set[str]


def find_table(sheet: Sheet, grid: list[list[Any]], scan: SheetScan, problems: ProblemLog) -> Table | None:
    """The sheet's table, or None (with its problems logged) when it has no usable header row."""
    header_i = _header_index(sheet, grid)
    if header_i is None:
        if sheet.required:
            problems.add("DATA-15", sheet.name, None, None, None,
                         f"The {sheet.name} sheet is empty: it has no header row and no schools.")
        return None
    header_row = header_i + 1
    index = _map_header(sheet, grid[header_i], header_row, problems)
    _headless_columns(sheet, grid, header_i, problems)
    missing = [c for c in sheet.columns if c.required and c.name not in index]
    for c in missing:
        problems.add("DATA-18", sheet.name, header_row, c.name, None,
                     f"The required column {c.name!r} is missing from the header row.")
    if missing:
        return None
    rows, rownums = _data_rows(sheet, grid, header_i, index)
    if sheet.required and not rows:
        problems.add("DATA-15", sheet.name, None, None, None, f"The {sheet.name} sheet has no rows of data.")
    return Table(sheet, rows, rownums, header_row, index, scan)


def _header_index(sheet: Sheet, grid: list[list[Any]]) -> int | None:
    # The header is the first row naming the key column (a title row above it is
    # ignored); failing that, the first row with anything in it.
    key = normalize_name(sheet.columns[0].name)
    top = grid[:_HEADER_SEARCH_ROWS]
    found = next((i for i, r in enumerate(top) if any(type(v) is str and normalize_name(v) == key for v in r)), None)
    if found is None:
        found = next((i for i, r in enumerate(top) if r.count("") != len(r)), None)
    return found


def _map_header(sheet: Sheet, header: list[Any], header_row: int, problems: ProblemLog) -> dict[str, int]:
    """Canonical column name -> its position; unknown and repeated headers are reported."""
    known = {normalize_name(c.name): c for c in sheet.columns}
    index: dict[str, int] = {}
    for j, h in enumerate(header):
        if h == "" or h is None:
            continue
        text = cell_text(h)
        col = known.get(normalize_name(text))
        if col is None:
            problems.add("DATA-19", sheet.name, header_row, text, text,
                         f"The column {text!r} is not part of the template and was not read.")
        elif col.name in index:
            problems.add("DATA-20", sheet.name, header_row, col.name, text,
                         f"The column {col.name!r} appears twice; only the first one was read.")
        else:
            index[col.name] = j
    return index


def _headless_columns(sheet: Sheet, grid: list[list[Any]], header_i: int, problems: ProblemLog) -> None:
    """Columns with values below a blank header cell: not read, so reported, never silently dropped."""
    header_row = header_i + 1
    blank_headed = [j for j, h in enumerate(grid[header_i]) if h == "" or h is None]
    for j, _, value in columns_with_values(grid[header_i + 1 :], blank_headed):
        letter = column_letter(j)
        problems.add("DATA-19", sheet.name, header_row, letter, value,
                     f"{unread_column_lead(letter)} but no header in row {header_row}, so it was not read.",
                     f"Give column {letter} the template's header in row {header_row} if it holds template "
                     "data, or delete the column.")


def columns_with_values(rows: list[list[Any]], columns: Iterable[int]) -> Iterator[tuple[int, int, Any]]:
    """Of the 0-based ``columns`` of a rectangular grid, each that holds something besides blanks
    and spaces: its position, the index in ``rows`` of its first value, and that value as a
    problem shows it (the start of a long text)."""
    for j in columns:
        cells = list(map(itemgetter(j), rows))
        if cells.count("") == len(cells):
            continue  # the usual case: an empty column (C-speed count)
        first = next((i for i, v in enumerate(cells) if v is not None and not (type(v) is str and not v.strip())),
                     None)
        if first is not None:
            value = cells[first]
            yield j, first, excerpt(value) if type(value) is str else value


def unread_column_lead(letter: str) -> str:
    """How a problem about a column the reader can name only by its letter begins (DATA-19: values
    under a blank header, or beside the District sheet's field and value columns). The marked
    workbook reads it to tell such a letter from a District field typed as one ("LEA", "FAX")."""
    return f"The column {letter} has values"


def names_unread_column(code: str, column: str | None, message: str) -> bool:
    """Whether a problem's column is a letter of :func:`unread_column_lead`'s kind (its message, after
    the problem's place, says so)."""
    return code == "DATA-19" and bool(column) and unread_column_lead(column or "") in message


def column_letter(j: int) -> str:
    """The Excel letters of a 0-based column index (0 -> A, 19 -> T, 26 -> AA)."""
    letters = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _data_rows(sheet: Sheet, grid: list[list[Any]], header_i: int,
               index: dict[str, int]) -> tuple[list[list[Any]], list[int]]:
    """The rows below the header that hold data, and their Excel row numbers."""
    body = grid[header_i + 1 :]
    width = len(grid[header_i])
    pre = {index.get(p) for p in sheet.prefilled}
    # A row with a value in the first required, non-prefilled column is not blank;
    # only the others need a full look (C-speed probe, then a loop over few rows).
    probe_j = next(index[c.name] for c in sheet.columns if c.required and c.name not in sheet.prefilled)
    probe = list(map(itemgetter(probe_j), body))
    first = header_i + 2  # Excel row number of body[0]
    if "" not in probe:
        return body, list(range(first, first + len(body)))
    # A prefilled row (school id and name only) holds no data: look only at the other cells.
    other = [j for j in range(width) if j not in pre]
    keep = [i for i, v in enumerate(probe) if v != "" or any(body[i][j] != "" for j in other)]
    return [body[i] for i in keep], [first + i for i in keep]


def convert_columns(t: Table, problems: ProblemLog) -> Columns:
    """Convert every known column of the table, then check the columns bounded by another."""
    out: dict[str, list[Any]] = {}
    complete: set[str] = set()
    n = len(t.rows)
    transposed = list(zip(*t.rows)) if t.rows else []
    for col in t.sheet.columns:
        j = t.index.get(col.name)
        if j is None or not transposed:
            out[col.name] = [None] * n
            continue
        vals, full = _convert_column(t, col, j, transposed[j], problems)
        out[col.name] = vals
        if full:
            complete.add(col.name)
    _check_at_most(t, out, complete, problems)
    return Columns(out, complete)


def _check_at_most(t: Table, out: dict[str, list[Any]], complete: set[str], problems: ProblemLog) -> None:
    """Ranges bounded by another column of the row (e.g. ED at most the enrollment)."""
    for col in t.sheet.columns:
        if not (col.at_most_column and col.name in t.index):
            continue
        vals, caps = out[col.name], out[col.at_most_column]
        if col.name in complete and col.at_most_column in complete and not any(map(operator.gt, vals, caps)):
            continue
        cap_col = t.sheet.column(col.at_most_column)
        for k, (v, cap) in enumerate(zip(vals, caps)):
            # A cap outside its own range has its own problem; measuring against it would only
            # add a second, misleading one ("3.7 is more than teacher_fte_state_local (-3)").
            if v is not None and cap is not None and v > cap and _within(cap_col, cap):
                problems.add(col.at_most_code, t.sheet.name, t.rownums[k], col.name, v,
                        f"{fmt(v)} is more than {col.at_most_column} ({fmt(cap)}).")


def _within(col: Column, v: Any) -> bool:
    """Whether a converted value is inside its column's own range."""
    if col.minimum is not None and (v <= col.minimum if col.min_exclusive else v < col.minimum):
        return False
    return col.maximum is None or v <= col.maximum


def _convert_column(t: Table, col: Column, j: int, raw: Sequence[Any], problems: ProblemLog) -> tuple[list[Any], bool]:
    """The converted column, and whether every row has a value."""
    bounds = None
    if col.kind == schema.INT:
        vals, bad, blanks, bounds = conv_int_bounded(raw)
    else:
        vals, bad, blanks = CONVERTERS[col.kind](raw)
    for k, why in bad:
        problems.add(BAD_CODE[col.kind], t.sheet.name, t.rownums[k], col.name, raw[k], why, comma_fix(raw[k], col.kind))
    if col.char_limit:
        for k in too_long(vals, col.char_limit):
            bad.append((k, ""))
            problems.add("DATA-23", t.sheet.name, t.rownums[k], col.name, excerpt(vals[k]),
                         too_long_text(col, vals[k]))
            vals[k] = None
    if blanks:
        vals = _blank_cells(t, col, j, vals, problems)
    full = not bad and not blanks
    if col.minimum is not None or col.maximum is not None:
        _check_range(t, col, vals, full, bounds if full else None, problems)
    return vals, full


def _blank_cells(t: Table, col: Column, j: int, vals: list[Any], problems: ProblemLog) -> list[Any]:
    """Blanks become None. Required ones are errors; a blank from a formula without a value or
    from an Excel error is an error in any column."""
    scan = t.scan
    if not col.required and not scan.errors and not scan.uncached:
        return [None if v is BLANK else v for v in vals]  # optional blanks: nothing to report
    sheet = t.sheet.name
    for k, v in enumerate(vals):
        if v is not BLANK:
            continue
        vals[k] = None
        key = (t.rownums[k], j)
        if key in scan.errors:
            problems.add("DATA-25", sheet, key[0], col.name, scan.errors[key],
                         f"the cell holds the Excel error {scan.errors[key]}.")
        elif key in scan.uncached:
            problems.add("DATA-25", sheet, key[0], col.name, None, "the cell holds a formula with no saved result.")
        elif col.required:
            problems.add("DATA-21", sheet, key[0], col.name, None, f"{col.name} is required.")
    return vals


def _check_range(t: Table, col: Column, vals: list[Any], full: bool, bounds: tuple[Any, Any] | None,
                 problems: ProblemLog) -> None:
    if bounds is not None:
        lo, hi = bounds
    else:
        present = vals if full else [v for v in vals if v is not None]
        if not present:
            return
        lo, hi = min(present), max(present)
    if _within(col, lo) and _within(col, hi):  # the extremes inside: every value is
        return
    for k, v in enumerate(vals):
        if v is not None and not _within(col, v):
            problems.add("DATA-23", t.sheet.name, t.rownums[k], col.name, v,
                         f"{fmt(v)} is out of range; it must be {col.range_text()}.")


@dataclass(frozen=True, slots=True)
class Repeat:
    """A row whose school_id an earlier row of the same sheet already has (DATA-26)."""

    row: int
    school_id: str
    first_row: int


@dataclass(frozen=True, slots=True)
class KnownIds:
    """Every school_id on the Schools sheet (broken rows included), and the rows that repeat one:
    a repeat is often a mistyped id (0311 typed for 0316), which leaves its school off the sheet."""

    ids: set[str]
    repeats: tuple[Repeat, ...] = ()


def check_duplicates(t: Table, ids: list[str | None], complete: set[str], problems: ProblemLog) -> tuple[Repeat, ...]:
    """Report each repeat of an id, naming the row it first appears on; the repeats, in row order."""
    present = ids if "school_id" in complete else [i for i in ids if i is not None]
    if len(set(present)) == len(present):
        return ()
    first: dict[str, int] = {}
    repeats: list[Repeat] = []
    for k, sid in enumerate(ids):
        if sid is None:
            continue
        if sid in first:
            repeats.append(Repeat(t.rownums[k], sid, t.rownums[first[sid]]))
            problems.add("DATA-26", t.sheet.name, t.rownums[k], "school_id", sid,
                         f"school_id {sid!r} is already on row {t.rownums[first[sid]]}.")
        else:
            first[sid] = k
    return tuple(repeats)


def check_race_sum(t: Table, cols: Columns, problems: ProblemLog) -> None:
    """The seven race columns add up to enrollment_total (docs/workbook.md, "Sheet `Schools`")."""
    c = cols.values
    totals = c["enrollment_total"]
    races = [c[r] for r in RACE_GROUPS]
    if {"enrollment_total", *RACE_GROUPS} <= cols.complete:
        sums = races[0]
        for r in races[1:]:
            sums = list(map(operator.add, sums, r))
        if not any(map(operator.ne, sums, totals)):
            return
    for k, parts in enumerate(zip(*races)):
        total = totals[k]
        if total is None or None in parts:
            continue
        s = sum(parts)
        if s != total:
            problems.add("DATA-28", t.sheet.name, t.rownums[k], "enrollment_total", total,
                    f"the seven race columns add up to {fmt(s)} but enrollment_total is {fmt(total)}.")


def check_grade_order(t: Table, lows: list[Any], highs: list[Any], full: bool, problems: ProblemLog,
                      typed: tuple[list[Any], list[Any]] | None = None) -> None:
    """grade_low at most grade_high. ``typed``: the cells as written, where a blank one was taken
    from the Schools sheet (Proposed): the problem then sits on the cell the district typed."""
    if full:
        idx = GRADE_INDEX.__getitem__
        if not any(map(operator.gt, map(idx, lows), map(idx, highs))):
            return
    for k, (lo, hi) in enumerate(zip(lows, highs)):
        if lo is None or hi is None or GRADE_INDEX[lo] <= GRADE_INDEX[hi]:
            continue
        row = t.rownums[k]
        if typed is not None and typed[0][k] is None:
            problems.add("DATA-27", t.sheet.name, row, "grade_high", hi,
                         f"grade_high {hi} is below grade_low {lo}, which the blank grade_low takes from the "
                         "Schools sheet.")
        elif typed is not None and typed[1][k] is None:
            problems.add("DATA-27", t.sheet.name, row, "grade_low", lo,
                         f"grade_low {lo} is above grade_high {hi}, which the blank grade_high takes from the "
                         "Schools sheet.")
        else:
            problems.add("DATA-27", t.sheet.name, row, "grade_low", lo, f"grade_low {lo} is above grade_high {hi}.")


def check_known_ids(t: Table, ids: list[str | None], known: KnownIds, problems: ProblemLog) -> None:
    """Every school_id is one of the Schools sheet's; one that is not is one problem, which names a
    repeated id on the Schools sheet as the likely cause when there is one."""
    if not set(ids) - known.ids - {None}:
        return
    for k, sid in enumerate(ids):
        if sid is not None and sid not in known.ids:
            report_unknown_id(t, k, sid, known.repeats, problems)


_UNKNOWN_ID_OTHERWISE = "use the school's id exactly as on the Schools sheet, or add the school there"


def report_unknown_id(t: Table, k: int, sid: str, repeats: tuple[Repeat, ...], problems: ProblemLog,
                      otherwise: str = _UNKNOWN_ID_OTHERWISE) -> None:
    """DATA-37 for row ``k``. ``otherwise``: what to do when no repeated Schools row is this school."""
    message = f"school_id {sid!r} is not on the Schools sheet"
    if not repeats:
        problems.add("DATA-37", t.sheet.name, t.rownums[k], "school_id", sid, message + ".")
        return
    problems.add("DATA-37", t.sheet.name, t.rownums[k], "school_id", sid,
                 f"{message}, and {_repeats_text(repeats)}: a mistyped id there may have left this school off "
                 "the sheet.",
                 f"If {_which_row(repeats)} is this school, correct its school_id there; otherwise {otherwise}.")


_ROWS_NAMED = 3  # a few repeated rows are named; past that the message would be a list, not a pointer


def _repeats_text(repeats: tuple[Repeat, ...]) -> str:
    """'Schools row 7 repeats '0311' (already on row 2)', or the rows when several repeat an id."""
    if len(repeats) == 1:
        r = repeats[0]
        return f"Schools row {r.row} repeats {r.school_id!r} (already on row {r.first_row})"
    return f"Schools rows {_rows_text(repeats)} repeat ids already on the sheet"


def _which_row(repeats: tuple[Repeat, ...]) -> str:
    return f"Schools row {repeats[0].row}" if len(repeats) == 1 else f"one of Schools rows {_rows_text(repeats)}"


def _rows_text(repeats: tuple[Repeat, ...]) -> str:
    """'7 and 9', '7, 9 and 12', '7, 9, 12 and 2 more'."""
    rows = [str(r.row) for r in repeats]
    if len(rows) > _ROWS_NAMED:
        return f"{', '.join(rows[:_ROWS_NAMED])} and {len(rows) - _ROWS_NAMED} more"
    return and_list(rows)


def and_list(words: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def build_rows(cls: type, t: Table, cols: Columns) -> list[Any]:
    """Rows whose required values all converted become ``cls`` dataclasses (fields in the
    dataclass's order, then the row number); the others are left out (their problems are
    errors, so evaluation is blocked anyway)."""
    c = cols.values
    names = [f for f in cls.__dataclass_fields__ if f != "row"]  # type: ignore[attr-defined]
    series = [c[n] if n in c else [None] * len(t.rownums) for n in names]
    req = [c[col.name] for col in t.sheet.columns if col.required and col.name in c and col.name not in cols.complete]
    if not req:
        return list(map(cls, *series, t.rownums))
    bad = {k for r in req for k, v in enumerate(r) if v is None}
    return [cls(*values) for k, values in enumerate(zip(*series, t.rownums)) if k not in bad]
