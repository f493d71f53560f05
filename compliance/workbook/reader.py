"""Reads and validates a submission workbook (template v1) into :class:`WorkbookData`.

Order: size and magic bytes, zip-level checks (:mod:`.package`), bounded scans of the
sheet XML, then python-calamine for the cells. Validation is column-wise: each
column is converted with C-level fast paths (``map``/``set``/``min``) and only falls
back to per-cell Python when something in it is off, so a clean 10,000-school
workbook costs little more than calamine's own reading.

calamine (which releases the GIL) parses the sheets in a worker thread, each one only
after its XML scan has passed, while this thread scans the next sheet and checks the
ones already parsed; the cyclic garbage collector is off during the read. The result,
including which refusal wins when several apply, is that of a read in template order.

``read_workbook`` never raises for a bad file: fatal problems come back as a
``WorkbookData`` holding one error.
"""
from __future__ import annotations

import datetime as _dt
import gc
import io
import logging
import math
import os
import queue
import re
import threading
from dataclasses import dataclass
import operator
from operator import itemgetter
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from python_calamine import CalamineWorkbook

from compliance.rules.model import (
    GRADE_INDEX,
    GRADES,
    RACE_GROUPS,
    BudgetRow,
    DistrictInfo,
    LotteryRow,
    DataProblem,
    ProposedRow,
    SchoolRow,
    WorkbookData,
)

from . import schema
from .package import Limits, Package, Rejected, SheetScan, file_problem, open_package, reject, scan_sheet, sniff
from .schema import DATA_CODES, Column, Sheet, normalize_name

log = logging.getLogger(__name__)

__all__ = ["Limits", "read_workbook"]

_BLANK = object()  # marks a blank cell during conversion (None marks "bad value")


def read_workbook(
    source: str | Path | bytes,
    *,
    limits: Limits = Limits(),
    expected_district_ids: set[str] | None = None,
    expected_school_year: str | None = None,
    filename: str | None = None,
) -> WorkbookData:
    """Read, check and normalize a workbook. ``filename`` (the upload's name) lets the
    extension count too when ``source`` is bytes."""
    try:
        if isinstance(source, (str, Path)):
            path = Path(source)
            filename = filename or path.name
            size = path.stat().st_size
            if size > limits.max_upload_bytes:  # refuse before reading it into memory
                raise reject("DATA-02", f"The file is {size / 1048576:.1f} MB; the upload limit is "
                             f"{limits.max_upload_bytes / 1048576:.1f} MB.")
            blob = path.read_bytes()
        else:
            blob = bytes(source)
        sniff(blob, filename, limits)
        pkg = open_package(blob, filename, limits)
        # The read allocates a million short-lived objects and makes no cycles: the cyclic
        # collector would only walk them over and over (a third of the time of a large read).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            return _Reader(pkg, blob, limits, expected_district_ids, expected_school_year).run()
        finally:
            if gc_was_enabled:
                gc.enable()
    except Rejected as r:
        return WorkbookData(problems=[r.problem])
    except MemoryError:
        raise
    except Exception as exc:  # a parser bug or a file shape nobody foresaw: still one clear error
        log.exception("workbook could not be read")
        return WorkbookData(problems=[file_problem("DATA-09", f"The file cannot be read as an Excel workbook ({type(exc).__name__}: {exc}).")])


# ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Table:
    """One table sheet after header mapping: the data rows and their Excel row numbers."""

    sheet: Sheet
    rows: list[list[Any]]
    rownums: list[int]
    header_row: int
    index: dict[str, int]  # canonical column -> 0-based column index
    scan: SheetScan


class _Reader:
    def __init__(
        self,
        pkg: Package,
        blob: bytes,
        limits: Limits,
        expected_district_ids: set[str] | None,
        expected_school_year: str | None,
    ) -> None:
        self.pkg = pkg
        self.blob = blob
        self.limits = limits
        self.expected_ids = expected_district_ids
        self.expected_year = expected_school_year
        self.problems: list[DataProblem] = []
        self.district_identity: dict[str, Any] = {}  # what the District sheet says, even with errors
        self.complete: set[str] = set()  # of the table being converted
        self._ahead: dict[str, tuple[dict[str, list[Any]], set[str]]] = {}  # sheet -> (columns, complete)

    # -- helpers ---------------------------------------------------------------------------
    def add(self, code: str, sheet: str | None, row: int | None, column: str | None, value: Any, message: str,
            fix: str | None = None, severity: str | None = None) -> None:
        dc = DATA_CODES[code]
        if value == "" or value is _BLANK:
            value = None
        where = _where(sheet, row, column)
        self.problems.append(DataProblem(code, severity or dc.severity, sheet, row, column, value, f"{where}{message}", fix or dc.fix))

    # -- main ------------------------------------------------------------------------------
    def run(self) -> WorkbookData:
        try:
            wb = CalamineWorkbook.from_filelike(io.BytesIO(self.blob))
        except Exception as exc:
            raise reject("DATA-09", f"The workbook cannot be opened ({exc}).") from None
        found: dict[str, str] = {}
        for name in wb.sheet_names:
            key = normalize_name(name)
            if key in found:
                self.add("DATA-20", name, None, None, name, f"The sheets {found[key]!r} and {name!r} have the same name once case and spacing are ignored; {name!r} was not read.")
                continue
            found[key] = name
            if key not in schema.SHEETS_BY_KEY and key != normalize_name(schema.INSTRUCTIONS_SHEET):
                self.add("DATA-17", name, None, None, None, f"The sheet {name!r} is not part of the template and was not read.")

        for sheet in (schema.DISTRICT, schema.SCHOOLS):
            if normalize_name(sheet.name) not in found:
                self.add("DATA-15", sheet.name, None, None, None, f"The workbook has no sheet named {sheet.name!r}.")

        actual_of = {s.name: found[normalize_name(s.name)] for s in schema.SHEETS if normalize_name(s.name) in found}
        # calamine parses each sheet in a worker thread (it releases the GIL), so that it
        # works on the next sheet while this thread scans and checks. A sheet is handed to
        # it only once its XML scan has passed: calamine never sees an unchecked sheet.
        # A second worker opens the workbook again (shared strings, styles): only worth it,
        # and only bounded in memory, when the parts besides the sheets are small.
        sheet_parts = set(self.pkg.sheet_paths.values())
        rest = sum(i.file_size for i in self.pkg.zf.infolist() if i.filename not in sheet_parts)
        loader = _Loader(wb, self.blob, workers=_WORKERS if rest <= _SECOND_OPEN_MAX_BYTES else 1)
        try:
            # Scan every template sheet's XML before calamine builds its grid for it.
            scans: dict[str, SheetScan] = {}
            refused: dict[str, Rejected] = {}
            for sheet in _PARSE_ORDER:
                if sheet.name in actual_of:
                    try:
                        scans[sheet.name] = scan_sheet(self.pkg, actual_of[sheet.name], self.limits)
                    except Rejected as exc:
                        refused[sheet.name] = exc  # keep scanning: the first sheet in template order wins
                    if not refused:
                        loader.request(actual_of[sheet.name])
            if refused:
                raise next(refused[s.name] for s in schema.SHEETS if s.name in refused)
            return self._read_sheets(actual_of, scans, loader)
        finally:
            loader.close()

    def _read_sheets(self, actual_of: dict[str, str], scans: dict[str, SheetScan], loader: "_Loader") -> WorkbookData:
        """Check and convert the sheets as calamine delivers them.

        Refusals keep the precedence of a read in template order (every scan, then every
        sheet's width in template order, then the first table with too many rows): a sheet
        is converted only while no refusal is pending, and a refusal found later still
        wins, since it discards all problems."""
        grids: dict[str, list[list[Any]]] = {}
        tables: dict[str, _Table] = {}
        too_wide: dict[str, Exception] = {}  # or unreadable
        too_many: dict[str, _Table] = {}
        data = WorkbookData()
        state: dict[str, Any] = {"district_rows": {}, "school_ids": set(), "schools_by_id": {}}

        def arrive(sheet: Sheet) -> None:
            if sheet.name not in actual_of:
                return
            try:
                grid = loader.result(actual_of[sheet.name]).to_python(skip_empty_area=False)
            except Exception as exc:  # calamine could not read it: raised in template order below
                too_wide[sheet.name] = exc
                return
            if grid and len(grid[0]) > self.limits.max_columns:
                too_wide[sheet.name] = reject(
                    "DATA-12", f"The {sheet.name} sheet is {len(grid[0])} columns wide; the template needs at most {self.limits.max_columns}.", sheet=sheet.name)
                return
            grids[sheet.name] = grid
            if sheet is not schema.DISTRICT:
                t = self._table(sheet, grid, scans[sheet.name])
                if t is not None:
                    tables[sheet.name] = t
                    # One clear error for too many rows, whatever else is wrong.
                    if len(t.rows) > self.limits.max_school_rows:
                        too_many[sheet.name] = t

        # Sheets are taken as calamine delivers them (_PARSE_ORDER); the steps that need
        # another sheet run in template order, each as soon as what it needs is there.
        arrived: set[Sheet] = set()
        checked = 0  # how many sheets of _CHECK_ORDER are fully checked
        for sheet in _PARSE_ORDER:
            arrive(sheet)
            arrived.add(sheet)
            if too_wide or too_many:
                continue
            t = tables.get(sheet.name)
            if sheet in _AHEAD and t is not None and t.rows:
                self.prepare(t)
            while checked < len(_CHECK_ORDER) and _CHECK_ORDER[checked] in arrived:
                self._check_sheet(_CHECK_ORDER[checked], grids, tables, scans, data, state)
                checked += 1
        if too_wide:
            raise next(too_wide[s.name] for s in schema.SHEETS if s.name in too_wide)
        if too_many:
            t = next(too_many[s.name] for s in schema.SHEETS if s.name in too_many)
            raise reject(
                "DATA-13",
                f"The {t.sheet.name} sheet has {len(t.rows):,} rows of data; at most {self.limits.max_school_rows:,} are allowed.",
                sheet=t.sheet.name,
            )

        # Report in reading order: sheet by sheet, then row by row (the sort is stable).
        order = {s.name: i for i, s in enumerate(schema.SHEETS)}
        self.problems.sort(key=lambda p: (order.get(p.sheet or "", -1), p.row or 0))
        data.problems = self.problems
        return data

    def _check_sheet(self, sheet: Sheet, grids: dict[str, list[list[Any]]], tables: dict[str, _Table],
                     scans: dict[str, SheetScan], data: WorkbookData, state: dict[str, Any]) -> None:
        """One sheet's checks, once the sheets before it in template order are checked."""
        if sheet is schema.DISTRICT:
            if sheet.name in grids:
                data.district, state["district_rows"] = self._district(grids[sheet.name], scans[sheet.name])
                data.district_identity = self.district_identity
        elif sheet is schema.SCHOOLS:
            if "Schools" in tables:
                data.schools = self._schools(tables["Schools"])
                state["school_ids"] = set(self._ids_seen)  # every id on the sheet, broken rows included
                state["schools_by_id"] = {s.school_id: s for s in data.schools}
        elif sheet is schema.BUDGET:
            if "Budget" in tables and tables["Budget"].rows:
                data.budget = self._budget(tables["Budget"], state["school_ids"])
                data.has_budget_sheet = True
            elif not any(p.sheet == "Budget" and p.code == "DATA-18" for p in self.problems):
                # (A Budget sheet missing a column already has its errors; no warning on top.)
                why = "is empty" if "Budget" in grids else "is missing"
                self.add("DATA-16", "Budget", None, None, None, f"The Budget sheet {why}, so the resource-equity rules (RES-01..RES-05) cannot run.")
        elif sheet is schema.PROPOSED:
            if "Proposed" in tables and tables["Proposed"].rows:
                data.proposed = self._proposed(tables["Proposed"], state["school_ids"], state["schools_by_id"])
                desc = data.district.proposed_change_description if data.district else None
                if data.district is not None and not desc:
                    self.add("DATA-36", "District", state["district_rows"].get("proposed_change_description"), "proposed_change_description", None,
                             "The Proposed sheet has rows, so proposed_change_description must describe the change.")
        elif sheet is schema.LOTTERY:
            if "Lottery" in tables:
                data.lottery = self._lottery(tables["Lottery"], state["school_ids"])

    # -- table plumbing ----------------------------------------------------------------------
    def _table(self, sheet: Sheet, grid: list[list[Any]], scan: SheetScan) -> _Table | None:
        # The header is the first row naming the key column (a title row above it is
        # ignored); failing that, the first row with anything in it.
        key = normalize_name(sheet.columns[0].name)
        header_i = next(
            (i for i, r in enumerate(grid[:20]) if any(type(v) is str and normalize_name(v) == key for v in r)),
            None,
        )
        if header_i is None:
            header_i = next((i for i, r in enumerate(grid[:20]) if r.count("") != len(r)), None)
        if header_i is None:
            if sheet.required:
                self.add("DATA-15", sheet.name, None, None, None, f"The {sheet.name} sheet is empty: it has no header row and no schools.")
            return None
        header_row = header_i + 1
        known = {normalize_name(c.name): c for c in sheet.columns}
        index: dict[str, int] = {}
        for j, h in enumerate(grid[header_i]):
            if h == "" or h is None:
                continue
            text = _cell_text(h)
            key = normalize_name(text)
            col = known.get(key)
            if col is None:
                self.add("DATA-19", sheet.name, header_row, text, text, f"The column {text!r} is not part of the template and was not read.")
            elif col.name in index:
                self.add("DATA-20", sheet.name, header_row, col.name, text, f"The column {col.name!r} appears twice; only the first one was read.")
            else:
                index[col.name] = j
        missing = [c for c in sheet.columns if c.required and c.name not in index]
        for c in missing:
            self.add("DATA-18", sheet.name, header_row, c.name, None, f"The required column {c.name!r} is missing from the header row.")
        if missing:
            return None

        body = grid[header_i + 1 :]
        width = len(grid[header_i])
        pre = {index.get(p) for p in sheet.prefilled}
        # A row with a value in the first required, non-prefilled column is not blank;
        # only the others need a full look (C-speed probe, then a loop over few rows).
        probe_j = next(index[c.name] for c in sheet.columns if c.required and c.name not in sheet.prefilled)
        probe = list(map(itemgetter(probe_j), body))
        first = header_i + 2  # Excel row number of body[0]
        if "" not in probe:
            rows, rownums = body, list(range(first, first + len(body)))
        else:
            # A prefilled row (school id and name only) holds no data: look only at the other cells.
            other = [j for j in range(width) if j not in pre]
            keep = [i for i, v in enumerate(probe) if v != "" or any(body[i][j] != "" for j in other)]
            rows = [body[i] for i in keep]
            rownums = [first + i for i in keep]
        t = _Table(sheet, rows, rownums, header_row, index, scan)
        if sheet.required and not rows:
            self.add("DATA-15", sheet.name, None, None, None, f"The {sheet.name} sheet has no rows of data.")
        return t

    def _columns(self, t: _Table) -> dict[str, list[Any]]:
        """Convert every known column of the table; blanks and bad values become None."""
        out: dict[str, list[Any]] = {}
        # Columns with a value in every row: the cross-column checks take C-speed paths on them.
        self.complete = complete = set()
        n = len(t.rows)
        transposed = list(zip(*t.rows)) if t.rows else []
        for col in t.sheet.columns:
            j = t.index.get(col.name)
            if j is None or not transposed:
                out[col.name] = [None] * n
                continue
            vals, full = self._convert(t, col, j, transposed[j])
            out[col.name] = vals
            if full:
                complete.add(col.name)
        # Ranges bounded by another column of the row.
        for col in t.sheet.columns:
            if col.at_most_column and col.name in t.index:
                vals, caps = out[col.name], out[col.at_most_column]
                if col.name in complete and col.at_most_column in complete and not any(map(operator.gt, vals, caps)):
                    continue
                for k, (v, cap) in enumerate(zip(vals, caps)):
                    if v is not None and cap is not None and v > cap:
                        self.add(col.at_most_code, t.sheet.name, t.rownums[k], col.name, v,
                                 f"{_fmt(v)} is more than {col.at_most_column} ({_fmt(cap)}).")
        return out

    def _convert(self, t: _Table, col: Column, j: int, raw: Sequence[Any]) -> tuple[list[Any], bool]:
        """The converted column, and whether every row has a value."""
        bounds = None
        if col.kind == schema.INT:
            vals, bad, blanks, bounds = _conv_int_bounded(raw)
        else:
            vals, bad, blanks = _CONVERTERS[col.kind](raw)
        sheet = t.sheet.name
        if bad:
            for k, why in bad:
                self.add(_BAD_CODE[col.kind], sheet, t.rownums[k], col.name, raw[k], why)
        # Blanks: required ones are errors; a blank from a formula without value or an
        # Excel error is an error in any column.
        if blanks:
            scan = t.scan
            if not col.required and not scan.errors and not scan.uncached:
                vals = [None if v is _BLANK else v for v in vals]  # optional blanks: nothing to report
            for k, v in enumerate(vals if _BLANK in vals else ()):
                if v is _BLANK:
                    vals[k] = None
                    key = (t.rownums[k], j)
                    if key in scan.errors:
                        self.add("DATA-25", sheet, key[0], col.name, scan.errors[key], f"the cell holds the Excel error {scan.errors[key]}.")
                    elif key in scan.uncached:
                        self.add("DATA-25", sheet, key[0], col.name, None, "the cell holds a formula with no saved result.")
                    elif col.required:
                        self.add("DATA-21", sheet, key[0], col.name, None, f"{col.name} is required.")
        full = not bad and not blanks
        if col.minimum is not None or col.maximum is not None:
            self._check_range(t, col, vals, full, bounds if full else None)
        return vals, full

    def _check_range(self, t: _Table, col: Column, vals: list[Any], full: bool,
                     bounds: tuple[Any, Any] | None = None) -> None:
        if bounds is not None:
            lo, hi = bounds
        else:
            present = vals if full else [v for v in vals if v is not None]
            if not present:
                return
            lo, hi = min(present), max(present)
        ok_lo = col.minimum is None or (lo > col.minimum if col.min_exclusive else lo >= col.minimum)
        ok_hi = col.maximum is None or hi <= col.maximum
        if ok_lo and ok_hi:
            return
        for k, v in enumerate(vals):
            if v is None:
                continue
            if col.minimum is not None and (v <= col.minimum if col.min_exclusive else v < col.minimum) or (
                col.maximum is not None and v > col.maximum
            ):
                self.add("DATA-23", t.sheet.name, t.rownums[k], col.name, v, f"{_fmt(v)} is out of range; it must be {col.range_text()}.")

    def _duplicates(self, t: _Table, ids: list[str | None]) -> set[int]:
        """Report repeated ids; return the positions of the repeats."""
        present = ids if "school_id" in self.complete else [i for i in ids if i is not None]
        if len(set(present)) == len(present):
            return set()
        first: dict[str, int] = {}
        dup: set[int] = set()
        for k, sid in enumerate(ids):
            if sid is None:
                continue
            if sid in first:
                dup.add(k)
                self.add("DATA-26", t.sheet.name, t.rownums[k], "school_id", sid, f"school_id {sid!r} is already on row {t.rownums[first[sid]]}.")
            else:
                first[sid] = k
        return dup

    def _enrollment_checks(self, t: _Table, c: dict[str, list[Any]]) -> None:
        totals = c["enrollment_total"]
        races = [c[r] for r in RACE_GROUPS]
        if {"enrollment_total", *RACE_GROUPS} <= self.complete:
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
                self.add("DATA-28", t.sheet.name, t.rownums[k], "enrollment_total", total,
                         f"the seven race columns add up to {_fmt(s)} but enrollment_total is {_fmt(total)}.")

    def _grade_order(self, t: _Table, lows: list[Any], highs: list[Any], full: bool) -> None:
        if full:
            idx = GRADE_INDEX.__getitem__
            if not any(map(operator.gt, map(idx, lows), map(idx, highs))):
                return
        for k, (lo, hi) in enumerate(zip(lows, highs)):
            if lo is not None and hi is not None and GRADE_INDEX[lo] > GRADE_INDEX[hi]:
                self.add("DATA-27", t.sheet.name, t.rownums[k], "grade_low", lo, f"grade_low {lo} is above grade_high {hi}.")

    def _unknown_ids(self, t: _Table, ids: list[str | None], known: set[str]) -> set[int]:
        bad: set[int] = set()
        if not set(ids) - known - {None}:
            return bad
        for k, sid in enumerate(ids):
            if sid is not None and sid not in known:
                bad.add(k)
                self.add("DATA-37", t.sheet.name, t.rownums[k], "school_id", sid, f"school_id {sid!r} is not on the Schools sheet.")
        return bad

    # -- sheets ------------------------------------------------------------------------------
    _ids_seen: list[str]

    def _schools(self, t: _Table) -> list[SchoolRow]:
        c = self._columns(t)
        ids = c["school_id"]
        self._ids_seen = [i for i in ids if i is not None]
        self._duplicates(t, ids)
        self._grade_order(t, c["grade_low"], c["grade_high"], {"grade_low", "grade_high"} <= self.complete)
        self._enrollment_checks(t, c)
        names = [f for f in SchoolRow.__dataclass_fields__ if f != "row"]  # field order of the dataclass
        return _build(SchoolRow, names, c, t.rownums, [col.name for col in t.sheet.columns if col.required], self.complete)

    def _local(self, t: _Table) -> dict[str, list[Any]]:
        """The checks of Budget, Proposed or Lottery that need no other sheet (converting the
        columns, repeated ids); done ahead while Schools is still being parsed, or now."""
        if t.sheet.name not in self._ahead:
            self.prepare(t)
        c, self.complete = self._ahead.pop(t.sheet.name)
        return c

    def prepare(self, t: _Table) -> None:
        c = self._columns(t)
        self._duplicates(t, c["school_id"])
        self._ahead[t.sheet.name] = (c, self.complete)

    def _budget(self, t: _Table, school_ids: set[str]) -> list[BudgetRow]:
        c = self._local(t)
        ids = c["school_id"]
        self._unknown_ids(t, ids, school_ids)
        names = [f for f in BudgetRow.__dataclass_fields__ if f != "row"]
        return _build(BudgetRow, names, c, t.rownums, [col.name for col in t.sheet.columns if col.required], self.complete)

    def _lottery(self, t: _Table, school_ids: set[str]) -> list[LotteryRow]:
        c = self._local(t)
        ids = c["school_id"]
        self._unknown_ids(t, ids, school_ids)
        admitted = c["admitted_ed"], c["admitted_non_ed"]
        seats_col = c["seats"]
        if {"seats", "admitted_ed", "admitted_non_ed"} <= self.complete and not any(
            map(operator.gt, map(operator.add, *admitted), seats_col)
        ):
            seats_col = []  # nothing over: skip the row loop
        for k, (seats, a, b) in enumerate(zip(seats_col, *admitted)):
            if seats is not None and a is not None and b is not None and a + b > seats:
                self.add("DATA-39", t.sheet.name, t.rownums[k], "seats", seats,
                         f"admitted_ed + admitted_non_ed = {a + b} is more than the {seats} seats offered.")
        if "target_ed_share" not in self.complete:
            c["target_ed_share"] = [0.5 if v is None else v for v in c["target_ed_share"]]
        names = [f for f in LotteryRow.__dataclass_fields__ if f != "row"]
        return _build(LotteryRow, names, c, t.rownums, [col.name for col in t.sheet.columns if col.required], self.complete)

    def _proposed(self, t: _Table, school_ids: set[str], schools: dict[str, SchoolRow]) -> list[ProposedRow]:
        c = self._local(t)
        ids = c["school_id"]
        lows, highs = c["grade_low"], c["grade_high"]
        new_ids = set(ids) - school_ids - {None}
        for k, sid in enumerate(ids if new_ids else ()):
            if sid not in new_ids:
                continue
            if sid not in school_ids:
                # A school the change opens: it needs everything that says what it is.
                for name in ("school_name", "grade_low", "grade_high", "assignment_method"):
                    j = t.index.get(name)
                    raw = t.rows[k][j] if j is not None else ""
                    if c[name][k] is None and (raw == "" or j is None):
                        self.add("DATA-21", t.sheet.name, t.rownums[k], name, None,
                                 f"school_id {sid!r} is not on the Schools sheet, so it is a school the change opens and needs {name}.")
        # Compare grades, taking a blank one from the Schools sheet.
        eff_low = lows if "grade_low" in self.complete else [
            lo if lo is not None else (schools[s].grade_low if s in schools else None) for lo, s in zip(lows, ids)]
        eff_high = highs if "grade_high" in self.complete else [
            hi if hi is not None else (schools[s].grade_high if s in schools else None) for hi, s in zip(highs, ids)]
        self._grade_order(t, eff_low, eff_high, None not in eff_low and None not in eff_high)
        self._enrollment_checks(t, c)
        names = [f for f in ProposedRow.__dataclass_fields__ if f != "row"]
        return _build(ProposedRow, names, c, t.rownums, [col.name for col in t.sheet.columns if col.required], self.complete)

    def _district(self, grid: list[list[Any]], scan: SheetScan) -> tuple[DistrictInfo | None, dict[str, int]]:
        sheet = schema.DISTRICT
        fields = {normalize_name(c.name): c for c in sheet.columns}
        nonblank = [(i, r) for i, r in enumerate(grid) if r.count("") != len(r)]
        fcol, vcol = 0, 1
        if nonblank:
            i0, r0 = nonblank[0]
            heads = [normalize_name(_cell_text(v)) if v != "" else "" for v in r0]
            if "field" in heads and "value" in heads:
                fcol, vcol = heads.index("field"), heads.index("value")
                nonblank = nonblank[1:]
        values: dict[str, Any] = {}
        rows_of: dict[str, int] = {}
        for i, r in nonblank:
            excel_row = i + 1
            name_raw = r[fcol] if fcol < len(r) else ""
            raw = r[vcol] if vcol < len(r) else ""
            if name_raw == "":
                continue
            key = normalize_name(_cell_text(name_raw))
            col = fields.get(key)
            if col is None:
                text = _cell_text(name_raw)
                self.add("DATA-19", sheet.name, excel_row, text, raw, f"The field {text!r} is not part of the template and was not read.")
                continue
            if col.name in values:
                self.add("DATA-20", sheet.name, excel_row, col.name, raw, f"The field {col.name!r} appears twice; only row {rows_of[col.name]} was read.")
                continue
            rows_of[col.name] = excel_row
            if raw == "" and (excel_row, vcol) in scan.errors:
                self.add("DATA-25", sheet.name, excel_row, col.name, scan.errors[(excel_row, vcol)], f"the cell holds the Excel error {scan.errors[(excel_row, vcol)]}.")
                values[col.name] = None
                continue
            if raw == "" and (excel_row, vcol) in scan.uncached:
                self.add("DATA-25", sheet.name, excel_row, col.name, None, "the cell holds a formula with no saved result.")
                values[col.name] = None
                continue
            values[col.name] = self._district_value(col, raw, excel_row)
        for col in sheet.columns:
            if col.required and values.get(col.name) is None and col.name not in rows_of:
                self.add("DATA-30", sheet.name, None, col.name, None, f"The required field {col.name!r} is missing.")
            elif col.required and col.name in rows_of and values.get(col.name) is None and not self._reported(sheet.name, rows_of[col.name]):
                self.add("DATA-30", sheet.name, rows_of[col.name], col.name, None, f"The required field {col.name!r} is blank.")
        self.district_identity = {k: values.get(k) for k in ("district_id", "district_name", "school_year")}
        if any(values.get(c.name) is None for c in sheet.columns if c.required):
            return None, rows_of
        info = DistrictInfo(
            district_id=values["district_id"],
            district_name=values["district_name"],
            school_year=values["school_year"],
            template_version=values["template_version"],
            contact_name=values["contact_name"],
            contact_email=values["contact_email"],
            proposed_change_description=values.get("proposed_change_description"),
        )
        if self.expected_ids is not None and info.district_id not in self.expected_ids:
            self.add("DATA-34", sheet.name, rows_of["district_id"], "district_id", info.district_id,
                     f"district_id {info.district_id!r} is not a district you may submit for"
                     + (f" (expected {', '.join(sorted(self.expected_ids))})." if len(self.expected_ids) <= 5 else "."))
        if self.expected_year is not None and info.school_year != self.expected_year:
            self.add("DATA-33", sheet.name, rows_of["school_year"], "school_year", info.school_year,
                     f"school_year {info.school_year} is not this cycle's school year {self.expected_year}.")
        return info, rows_of

    def _reported(self, sheet: str, row: int) -> bool:
        return any(p.sheet == sheet and p.row == row for p in self.problems)

    def _district_value(self, col: Column, raw: Any, row: int) -> Any:
        s = "District"
        if raw == "":
            return None
        if col.kind == schema.INT:
            vals, bad, _ = _conv_int([raw])
            if bad:
                self.add("DATA-22", s, row, col.name, raw, bad[0][1])
                return None
            v = vals[0]
            if col.name == "template_version" and v != schema.TEMPLATE_VERSION:
                self.add("DATA-31", s, row, col.name, v, f"template_version is {v}; this system reads template version {schema.TEMPLATE_VERSION}.")
                return None
            return v
        if col.kind == schema.ID:
            vals, bad, _ = _conv_id([raw])
        else:
            vals, bad, _ = _conv_text([raw])
        if bad:
            self.add("DATA-22", s, row, col.name, raw, bad[0][1])
            return None
        v = vals[0]
        if v is _BLANK:
            return None
        if col.kind == schema.YEAR and not _valid_year(v):
            self.add("DATA-32", s, row, col.name, v, f"{v!r} is not a school year written as YYYY-YY, e.g. 2026-27.")
            return None
        if col.kind == schema.EMAIL and not _EMAIL.match(v):
            self.add("DATA-35", s, row, col.name, v, f"{v!r} is not a valid email address.")
            return None
        return v


class _Loader:
    """Runs ``get_sheet_by_name`` for the requested sheets in worker threads, each sheet
    once, in request order; ``result(name)`` waits for one (re-raising calamine's error).

    With more than one core a second worker, with its own CalamineWorkbook on the same
    bytes, parses another sheet at the same time. Without threads it parses in place."""

    def __init__(self, wb: CalamineWorkbook, blob: bytes, workers: int = 1) -> None:
        self._wb = wb
        self._blob = blob
        self._todo: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._done: dict[str, queue.SimpleQueue[tuple[bool, Any]]] = {}
        self._threads: list[threading.Thread] = []
        self._inline = False
        self._fatal: BaseException | None = None
        self._max_workers = max(1, min(workers, _cpus()))

    def request(self, name: str) -> None:
        self._done[name] = queue.SimpleQueue()
        if not self._inline and len(self._threads) < min(self._max_workers, len(self._done)):
            # The first worker uses the open workbook; a second one opens its own.
            thread = threading.Thread(target=self._work, args=(self._wb if not self._threads else None,),
                                      name="calamine", daemon=True)
            try:
                thread.start()
            except RuntimeError:  # no thread to be had (process limits)
                if not self._threads:
                    self._inline = True  # parse right here
                self._max_workers = len(self._threads)
            else:
                self._threads.append(thread)
        self._todo.put(name)
        if self._inline:
            self._todo.put(None)
            self._work(self._wb)

    def result(self, name: str) -> Any:
        done = self._done[name]
        while True:
            try:
                ok, value = done.get(timeout=0.1)
                break
            except queue.Empty:
                # A worker that died (a MemoryError under a memory cap) will never answer.
                if self._fatal is not None:
                    raise self._fatal from None
                if not any(t.is_alive() for t in self._threads):
                    raise MemoryError("the calamine worker stopped") from None
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """Stop after the sheets in hand (never parse more than was requested) and wait."""
        if self._threads:
            while True:  # drop what no worker has started
                try:
                    self._todo.get_nowait()
                except queue.Empty:
                    break
            for _ in self._threads:
                self._todo.put(None)
            for thread in self._threads:
                thread.join()
            self._threads = []

    def _work(self, wb: CalamineWorkbook | None) -> None:
        if wb is None:
            try:
                wb = CalamineWorkbook.from_filelike(io.BytesIO(self._blob))
            except Exception:  # (it opened once already) leave the sheets to the first worker
                return
        try:
            while (name := self._todo.get()) is not None:
                try:
                    self._done[name].put((True, wb.get_sheet_by_name(name)))
                except BaseException as exc:  # handed to the reading thread
                    self._done[name].put((False, exc))
        except BaseException as exc:  # could not even hand it over: result() raises it
            self._fatal = exc


_WORKERS = 2
_SECOND_OPEN_MAX_BYTES = 4 * 1024 * 1024


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


# calamine parses a small table first, so that it can start early (Budget: its scan is
# short), and last the sheet that is quickest to check (Lottery), so that little is left
# to do once calamine is done; the checks run in template order, which is also their
# dependency order (Schools before the sheets that refer to it).
_PARSE_ORDER = (schema.DISTRICT, schema.BUDGET, schema.SCHOOLS, schema.PROPOSED, schema.LOTTERY)
_CHECK_ORDER = schema.SHEETS
# Their checks that need no other sheet run as soon as they arrive (Reader.prepare).
_AHEAD = (schema.BUDGET, schema.PROPOSED, schema.LOTTERY)
assert set(_PARSE_ORDER) == set(_CHECK_ORDER) == set(schema.SHEETS)


# ---------------------------------------------------------------------------------------
# Converters: list of raw calamine values -> (converted list, [(position, reason)]).
# Converted lists hold _BLANK for blank cells and None for bad values.
# ---------------------------------------------------------------------------------------

# (values, [(position, reason)], whether any cell was blank)
Converted = tuple[list[Any], list[tuple[int, str]], bool]


def _conv_int(raw: Sequence[Any]) -> Converted:
    return _conv_int_bounded(raw)[:3]  # type: ignore[return-value]


def _conv_int_bounded(raw: Sequence[Any]) -> tuple[list[Any], list[tuple[int, str]], bool, tuple[int, int] | None]:
    """As _conv_int, plus (min, max) of the column when every cell converted (from numpy,
    so that the range check need not walk the list again); else None."""
    if set(map(type, raw)) == {float}:
        # All numeric cells: check wholeness and convert in numpy, 3x faster than per-item Python.
        arr = np.fromiter(raw, dtype=np.float64, count=len(raw))
        with np.errstate(invalid="ignore"):
            ints = arr.astype(np.int64)
        if len(arr) and bool(np.isfinite(arr).all()) and bool((ints == arr).all()) and bool(np.abs(arr).max() < 2**53):
            return ints.tolist(), [], False, (int(ints.min()), int(ints.max()))
    out: list[Any] = []
    bad: list[tuple[int, str]] = []
    for k, v in enumerate(raw):
        x = _number(v)
        if x is _BLANK:
            out.append(_BLANK)
        elif x is None:
            out.append(None)
            bad.append((k, f"{_show(v)} is not a number."))
        elif not x.is_integer():
            out.append(None)
            bad.append((k, f"{_show(v)} is not a whole number."))
        elif abs(x) >= 2**53:
            out.append(None)
            bad.append((k, f"{_show(v)} is too large to be a count of students."))
        else:
            out.append(int(x))
    return out, bad, _BLANK in out, None


def _conv_float(raw: list[Any], what: str = "number") -> Converted:
    # NaN and infinity can be stored in a cell (or come from 1e400); they are no amount.
    if set(map(type, raw)) == {float} and bool(
        (np.abs(np.fromiter(raw, dtype=np.float64, count=len(raw))) < _TOO_LARGE).all()  # False for NaN too
    ):
        return list(raw), [], False
    out: list[Any] = []
    bad: list[tuple[int, str]] = []
    for k, v in enumerate(raw):
        x = _number(v, money=what == "money")
        if x is _BLANK:
            out.append(_BLANK)
        elif x is None:
            out.append(None)
            bad.append((k, f"{_show(v)} is not {'an amount of money' if what == 'money' else 'a number'}."))
        elif abs(x) >= _TOO_LARGE:
            out.append(None)
            bad.append((k, f"{_show(v)} is too large to be real (at most {_TOO_LARGE:,.0f})."))
        else:
            out.append(float(x))
    return out, bad, _BLANK in out


def _conv_money(raw: list[Any]) -> Converted:
    return _conv_float(raw, "money")


def _conv_id(raw: Sequence[Any]) -> Converted:
    if set(map(type, raw)) == {str}:
        out: list[Any] = list(map(str.strip, raw))
        if "" in out:
            return [_BLANK if v == "" else v for v in out], [], True
        return out, [], False
    out = []
    bad: list[tuple[int, str]] = []
    for k, v in enumerate(raw):
        t = type(v)
        if t is str:
            s = v.strip()
            out.append(s if s else _BLANK)
        elif t is float:
            # A numeric id cell (12.0) reads as "12"; leading zeros were lost in Excel already.
            out.append(str(int(v)) if v.is_integer() else repr(v))
        elif t is int:
            out.append(str(v))
        else:
            out.append(None)
            bad.append((k, f"{_show(v)} is not a valid id; ids are text."))
    return out, bad, _BLANK in out


def _conv_text(raw: list[Any]) -> Converted:
    out: list[Any] = []
    if set(map(type, raw)) == {str}:
        out = list(map(str.strip, raw))
        if "" in out:
            return [_BLANK if v == "" else v for v in out], [], True
        return out, [], False
    for v in raw:
        t = type(v)
        if t is str:
            s = v.strip()
            out.append(s if s else _BLANK)
        elif t is float:
            out.append(str(int(v)) if v.is_integer() else repr(v))
        elif t is bool:
            out.append("TRUE" if v else "FALSE")
        elif isinstance(v, (_dt.date, _dt.time, _dt.timedelta)):
            out.append(v.isoformat() if hasattr(v, "isoformat") else str(v))
        else:
            out.append(str(v))
    return out, [], _BLANK in out


def _coded(lookup: dict[Any, Any], allowed: tuple[str, ...], label: str) -> Callable[[list[Any]], Converted]:
    """A converter for a coded column: exact lookups first (C speed), normalizing only misses."""
    allowed_text = ", ".join(allowed)

    def conv(raw: list[Any]) -> Converted:
        # Keys are all strings, so a float or bool cell misses here and is handled below.
        out = list(map(lookup.get, raw))
        if None not in out:
            return out, [], _BLANK in out
        bad: list[tuple[int, str]] = []
        for k, v in enumerate(raw):
            if out[k] is not None:
                continue
            t = type(v)
            if t is str:
                key = normalize_name(v)
                if key == "":
                    out[k] = _BLANK
                    continue
                hit = lookup.get(key)
                if hit is None and key.isdigit():
                    hit = lookup.get(str(int(key)))
            elif t is float and v.is_integer():
                hit = lookup.get(str(int(v)))
            elif t is bool:
                hit = lookup.get("y" if v else "n") if label == "Y/N" else None
            else:
                hit = None
            if hit is None:
                bad.append((k, f"{_show(v)} is not an allowed {label}; use one of {allowed_text}."))
            out[k] = hit
        return out, bad, _BLANK in out

    return conv


def _lookup(pairs: dict[str, Any]) -> dict[Any, Any]:
    """Exact spellings and their normalized keys -> canonical value."""
    d: dict[Any, Any] = {"": _BLANK}
    for text, value in pairs.items():
        d[text] = value
        d[normalize_name(text)] = value
        d[text.upper()] = value
        d[text.lower()] = value
    return d


_GRADE_LOOKUP = _lookup({g: g for g in GRADES})
_YN_LOOKUP = _lookup({"Y": True, "N": False, "Yes": True, "No": False})
_METHOD_LOOKUP = _lookup({m: m for m in schema.CODES[schema.METHOD]})

_CONVERTERS: dict[str, Callable[[list[Any]], Converted]] = {
    schema.ID: _conv_id,
    schema.TEXT: _conv_text,
    schema.EMAIL: _conv_text,
    schema.YEAR: _conv_text,
    schema.INT: _conv_int,
    schema.NUMBER: _conv_float,
    schema.MONEY: _conv_money,
    schema.GRADE: _coded(_GRADE_LOOKUP, GRADES, "grade"),
    schema.YN: _coded(_YN_LOOKUP, ("Y", "N"), "Y/N"),
    schema.METHOD: _coded(_METHOD_LOOKUP, schema.CODES[schema.METHOD], "assignment method"),
}
_BAD_CODE: dict[str, str] = {
    schema.ID: "DATA-22",
    schema.TEXT: "DATA-22",
    schema.EMAIL: "DATA-35",
    schema.YEAR: "DATA-32",
    schema.INT: "DATA-22",
    schema.NUMBER: "DATA-22",
    schema.MONEY: "DATA-22",
    schema.GRADE: "DATA-24",
    schema.YN: "DATA-24",
    schema.METHOD: "DATA-24",
}

_NUM_CLEAN = re.compile(r"[\s,]")
# No school has a quadrillion dollars or teachers: such a value is a typo, and would overflow
# the spending measures.
_TOO_LARGE = 1e15
_MONEY_CLEAN = re.compile(r"[\s,$]|USD", re.IGNORECASE)


def _number(v: Any, money: bool = False) -> Any:
    """float for a number or numeric text, _BLANK for blank, None for anything else."""
    t = type(v)
    if t is float:
        return v if math.isfinite(v) else None
    if t is int:
        return float(v)
    if t is str:
        s = v.strip()
        if not s:
            return _BLANK
        neg = money and s.startswith("(") and s.endswith(")")  # accounting style (1,234.00)
        # A share typed as text with its percent sign ("50%"), as Excel shows a formatted 0.5.
        percent = not money and s.endswith("%")
        s = (_MONEY_CLEAN if money else _NUM_CLEAN).sub("", s.strip("()") if neg else s.rstrip("%"))
        try:
            x = float(s) / 100 if percent else float(s)
        except ValueError:
            return None
        if not math.isfinite(x):
            return None
        return -x if neg else x
    return None  # bool, dates, times: not numbers


def _build(cls: type, names: list[str], cols: dict[str, list[Any]], rownums: list[int], required: list[str],
           complete: set[str]) -> list[Any]:
    """Rows whose required values all converted become dataclasses; the others are left out
    (their problems are errors, so evaluation is blocked anyway)."""
    series = [cols[n] if n in cols else [None] * len(rownums) for n in names]
    req = [cols[n] for n in required if n in cols and n not in complete]
    if not req:
        return list(map(cls, *series, rownums))
    out = []
    bad = {k for r in req for k, v in enumerate(r) if v is None}
    for k, values in enumerate(zip(*series, rownums)):
        if k not in bad:
            out.append(cls(*values))
    return out


_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def _valid_year(v: str) -> bool:
    m = _YEAR.match(v)
    return bool(m) and (int(m.group(1)) + 1) % 100 == int(m.group(2))


def _cell_text(v: Any) -> str:
    if type(v) is float and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _show(v: Any) -> str:
    if isinstance(v, str):
        return repr(v.strip()) if len(v) <= 60 else repr(v[:57] + "...")
    if isinstance(v, (_dt.date, _dt.time, _dt.timedelta)):
        return f"the date/time {v}"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    return _fmt(v)


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _where(sheet: str | None, row: int | None, column: str | None) -> str:
    if sheet is None:
        return ""
    parts = [sheet]
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(column)
    return ", ".join(parts) + ": "
