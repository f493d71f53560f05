"""Reads and validates a submission workbook (template v1) into :class:`WorkbookData`.

Order: size and magic bytes, zip-level checks (:mod:`.package`),
bounded scans of the sheet XML, then python-calamine for the cells (:mod:`.calamine_loader`).
Validation is column-wise (:mod:`.cells`, :mod:`.tables`, :mod:`.sheets`): each column is
converted with C-level fast paths and only falls back to per-cell Python when something in it
is off, so a clean 10,000-school workbook costs little more than calamine's own reading.

calamine (which releases the GIL) parses the sheets in a worker thread, each one only
after its XML scan has passed, while this thread scans the next sheet and checks the
ones already parsed; the cyclic garbage collector is off during the read. The result,
including which refusal wins when several apply, is that of a read in template order.

``read_workbook`` never raises for a bad file: fatal problems come back as a
``WorkbookData`` holding one error (docs/workbook.md, "What a broken workbook gets").
"""
from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_calamine import CalamineError

from compliance.rules.model import SchoolRow, WorkbookData

from . import schema
from .calamine_loader import CalamineLoader, open_calamine
from .calamine_loader import available_cpus as _cpus  # looked up per read, so a test can pretend 2 cores
from .package import Limits, Package, Rejected, SheetScan, file_problem, open_package, reject, scan_sheet, sniff
from .problem_log import ProblemLog
from .schema import Sheet, normalize_name
from .sheets import budget_rows, district_info, local_checks, lottery_rows, proposed_rows, school_rows
from .tables import Columns, KnownIds, Table, find_table

log = logging.getLogger(__name__)

__all__ = ["Limits", "read_workbook"]

_DEFAULT_LIMITS = Limits()

# A second calamine worker opens the workbook again (shared strings, styles): only worth it,
# and only bounded in memory, when the parts besides the sheets are small.
_WORKERS = 2
_SECOND_OPEN_MAX_BYTES = 4 * 1024 * 1024

# calamine parses a small table first, so that it can start early (Budget: its scan is
# short), and last the sheet that is quickest to check (Lottery), so that little is left
# to do once calamine is done; the checks run in template order, which is also their
# dependency order (Schools before the sheets that refer to it).
_PARSE_ORDER = (schema.DISTRICT, schema.BUDGET, schema.SCHOOLS, schema.PROPOSED, schema.LOTTERY)
_CHECK_ORDER = schema.SHEETS
# Their checks that need no other sheet run as soon as they arrive (sheets.local_checks).
_AHEAD = (schema.BUDGET, schema.PROPOSED, schema.LOTTERY)
assert set(_PARSE_ORDER) == set(_CHECK_ORDER) == set(schema.SHEETS)


def read_workbook(
    source: str | Path | bytes,
    *,
    limits: Limits = _DEFAULT_LIMITS,
    expected_district_ids: set[str] | None = None,
    expected_school_year: str | None = None,
    filename: str | None = None,
) -> WorkbookData:
    """Read, check and normalize a workbook. ``filename`` (the upload's name) lets the
    extension count too when ``source`` is bytes."""
    try:
        blob, filename = _bytes_of(source, filename, limits)
        sniff(blob, filename, limits)
        pkg = open_package(blob, filename, limits)
        # The read allocates a million short-lived objects and makes no cycles: the cyclic
        # collector would only walk them over and over (a third of the time of a large read).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            return _read(pkg, blob, limits, _Expected(expected_district_ids, expected_school_year))
        finally:
            if gc_was_enabled:
                gc.enable()
    except Rejected as r:
        return WorkbookData(problems=[r.problem])
    except MemoryError:
        raise
    except Exception as exc:  # a parser bug or a file shape nobody foresaw: still one clear error
        log.exception("workbook could not be read")
        why = f"The file cannot be read as an Excel workbook ({type(exc).__name__}: {exc})."
        return WorkbookData(problems=[file_problem("DATA-09", why)])


def _bytes_of(source: str | Path | bytes, filename: str | None, limits: Limits) -> tuple[bytes, str | None]:
    """The file's bytes and the name whose extension counts; a path too large is refused unread."""
    if not isinstance(source, (str, Path)):
        return bytes(source), filename
    path = Path(source)
    size = path.stat().st_size
    if size > limits.max_upload_bytes:  # refuse before reading it into memory
        raise reject("DATA-02", f"The file is {size / 1048576:.1f} MB; the upload limit is "
                     f"{limits.max_upload_bytes / 1048576:.1f} MB.")
    return path.read_bytes(), filename or path.name


@dataclass(frozen=True, slots=True)
class _Expected:
    """What the District sheet must say for this upload (None: anything)."""

    district_ids: set[str] | None
    school_year: str | None


@dataclass(slots=True)
class _Progress:
    """One read so far: the sheets calamine delivered, their tables, the refusals pending, and
    what the later sheets' checks need from the earlier ones."""

    scans: dict[str, SheetScan]
    grids: dict[str, list[list[Any]]] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    prepared: dict[str, Columns] = field(default_factory=dict)  # sheets.local_checks run ahead
    too_wide: dict[str, Exception] = field(default_factory=dict)  # or unreadable
    too_many: dict[str, Table] = field(default_factory=dict)
    data: WorkbookData = field(default_factory=WorkbookData)
    district_rows: dict[str, int] = field(default_factory=dict)
    # Every id on Schools, broken rows included, and the rows repeating one; None while the sheet
    # could not be read (missing, a required column missing, too large): then no other sheet's id
    # is called unknown, as the Schools sheet's own problem is the one to fix (and the ids may
    # well be there).
    known_ids: KnownIds | None = None
    schools_by_id: dict[str, SchoolRow] = field(default_factory=dict)


def _read(pkg: Package, blob: bytes, limits: Limits, expected: _Expected) -> WorkbookData:
    """The read past the zip checks: the sheets named, scanned, then parsed and checked."""
    problems = ProblemLog()
    wb = open_calamine(blob)
    actual_of = _template_sheets(wb.sheet_names, problems)
    loader = CalamineLoader(wb, blob, workers=_workers(pkg))
    try:
        scans = _scan_sheets(pkg, actual_of, limits, loader)
        return _read_sheets(actual_of, _Progress(scans), loader, limits, expected, problems)
    finally:
        loader.close()


def _template_sheets(sheet_names: list[str], problems: ProblemLog) -> dict[str, str]:
    """Template sheet name -> the workbook's own spelling of it; other sheets are reported."""
    found: dict[str, str] = {}
    instructions = normalize_name(schema.INSTRUCTIONS_SHEET)
    for name in sheet_names:
        key = normalize_name(name)
        if key in found:
            problems.add("DATA-20", name, None, None, name,
                         f"The sheets {found[key]!r} and {name!r} have the same name once case and spacing "
                         f"are ignored; {name!r} was not read.")
            continue
        found[key] = name
        if key not in schema.SHEETS_BY_KEY and key != instructions:
            problems.add("DATA-17", name, None, None, None,
                         f"The sheet {name!r} is not part of the template and was not read.")
    for sheet in (schema.DISTRICT, schema.SCHOOLS):
        if normalize_name(sheet.name) not in found:
            problems.add("DATA-15", sheet.name, None, None, None, f"The workbook has no sheet named {sheet.name!r}.")
    return {s.name: found[normalize_name(s.name)] for s in schema.SHEETS if normalize_name(s.name) in found}


def _workers(pkg: Package) -> int:
    """How many calamine workers: a second only with a core for it and small non-sheet parts."""
    sheet_parts = set(pkg.sheet_paths.values())
    rest = sum(i.file_size for i in pkg.zf.infolist() if i.filename not in sheet_parts)
    return min(_WORKERS if rest <= _SECOND_OPEN_MAX_BYTES else 1, _cpus())


def _scan_sheets(pkg: Package, actual_of: dict[str, str], limits: Limits,
                 loader: CalamineLoader) -> dict[str, SheetScan]:
    """Scan every template sheet's XML, handing each to calamine once it (and all before it) passed."""
    scans: dict[str, SheetScan] = {}
    refused: dict[str, Rejected] = {}
    for sheet in _PARSE_ORDER:
        if sheet.name in actual_of:
            try:
                scans[sheet.name] = scan_sheet(pkg, actual_of[sheet.name], limits)
            except Rejected as exc:
                refused[sheet.name] = exc  # keep scanning: the first sheet in template order wins
            if not refused:
                loader.request(actual_of[sheet.name])
    if refused:
        raise next(refused[s.name] for s in schema.SHEETS if s.name in refused)
    return scans


def _read_sheets(actual_of: dict[str, str], read: _Progress, loader: CalamineLoader, limits: Limits,
                 expected: _Expected, problems: ProblemLog) -> WorkbookData:
    """Check and convert the sheets as calamine delivers them.

    Refusals keep the precedence of a read in template order (every scan, then every
    sheet's width in template order, then the first table with too many rows): a sheet
    is converted only while no refusal is pending, and a refusal found later still
    wins, since it discards all problems."""
    # Sheets are taken as calamine delivers them (_PARSE_ORDER); the steps that need
    # another sheet run in template order, each as soon as what it needs is there.
    arrived: set[Sheet] = set()
    checked = 0  # how many sheets of _CHECK_ORDER are fully checked
    for sheet in _PARSE_ORDER:
        _arrive(sheet, actual_of, loader, limits, read, problems)
        arrived.add(sheet)
        if read.too_wide or read.too_many:
            continue
        t = read.tables.get(sheet.name)
        if sheet in _AHEAD and t is not None and t.rows:
            read.prepared[sheet.name] = local_checks(t, problems)
        while checked < len(_CHECK_ORDER) and _CHECK_ORDER[checked] in arrived:
            _CHECKS[_CHECK_ORDER[checked]](read, expected, problems)
            checked += 1
    _raise_refusal(read, limits)
    read.data.problems = problems.in_reading_order()
    return read.data


def _arrive(sheet: Sheet, actual_of: dict[str, str], loader: CalamineLoader, limits: Limits, read: _Progress,
            problems: ProblemLog) -> None:
    """Take one sheet from calamine: its grid, its table, or the refusal it earns."""
    if sheet.name not in actual_of:
        return
    try:
        grid = loader.result(actual_of[sheet.name]).to_python(skip_empty_area=False)
    except CalamineError as exc:  # malformed XML (an undeclared entity, say): the file is damaged
        read.too_wide[sheet.name] = reject(
            "DATA-09", f"The file is damaged: its {sheet.name} sheet cannot be read ({exc}).", sheet=sheet.name)
        return
    except Exception as exc:  # calamine could not read it: raised in template order later
        read.too_wide[sheet.name] = exc
        return
    if grid and len(grid[0]) > limits.max_columns:
        read.too_wide[sheet.name] = reject(
            "DATA-12",
            f"The {sheet.name} sheet is {len(grid[0])} columns wide; the template needs at most {limits.max_columns}.",
            sheet=sheet.name)
        return
    read.grids[sheet.name] = grid
    if sheet is not schema.DISTRICT:
        t = find_table(sheet, grid, read.scans[sheet.name], problems)
        if t is not None:
            read.tables[sheet.name] = t
            # One clear error for too many rows, whatever else is wrong.
            if len(t.rows) > limits.max_school_rows:
                read.too_many[sheet.name] = t


def _raise_refusal(read: _Progress, limits: Limits) -> None:
    """The refusal a read in template order would have met first, if any."""
    if read.too_wide:
        raise next(read.too_wide[s.name] for s in schema.SHEETS if s.name in read.too_wide)
    if read.too_many:
        t = next(read.too_many[s.name] for s in schema.SHEETS if s.name in read.too_many)
        raise reject(
            "DATA-13",
            f"The {t.sheet.name} sheet has {len(t.rows):,} rows of data; "
            f"at most {limits.max_school_rows:,} are allowed.",
            sheet=t.sheet.name,
        )


# -- each sheet's checks, once the sheets before it in template order are checked ------------


def _prepared(t: Table, read: _Progress, problems: ProblemLog) -> Columns:
    """The sheet's local checks: those run ahead, or run now."""
    cols = read.prepared.pop(t.sheet.name, None)
    return cols if cols is not None else local_checks(t, problems)


def _check_district(read: _Progress, expected: _Expected, problems: ProblemLog) -> None:
    name = schema.DISTRICT.name
    if name in read.grids:
        read.data.district, read.district_rows, read.data.district_identity = district_info(
            read.grids[name], read.scans[name], problems, expected.district_ids, expected.school_year)


def _check_schools(read: _Progress, expected: _Expected, problems: ProblemLog) -> None:
    t = read.tables.get(schema.SCHOOLS.name)
    if t is not None:
        read.data.schools, read.known_ids = school_rows(t, problems)
        read.schools_by_id = {s.school_id: s for s in read.data.schools}


def _check_budget(read: _Progress, expected: _Expected, problems: ProblemLog) -> None:
    name = schema.BUDGET.name
    t = read.tables.get(name)
    if t is not None and t.rows:
        read.data.budget = budget_rows(t, _prepared(t, read, problems), read.known_ids, problems)
        read.data.has_budget_sheet = True
    elif not problems.has(name, "DATA-18"):
        # (A Budget sheet missing a column already has its errors; no warning on top.)
        why = "is empty" if name in read.grids else "is missing"
        problems.add("DATA-16", name, None, None, None,
                     f"The Budget sheet {why}, so the resource-equity rules (RES-01..RES-05) cannot run.")


def _check_proposed(read: _Progress, expected: _Expected, problems: ProblemLog) -> None:
    t = read.tables.get(schema.PROPOSED.name)
    if t is None or not t.rows:
        return
    read.data.proposed = proposed_rows(t, _prepared(t, read, problems), read.known_ids, read.schools_by_id, problems)
    district = read.data.district
    if district is not None and not district.proposed_change_description:
        problems.add("DATA-36", schema.DISTRICT.name, read.district_rows.get("proposed_change_description"),
                     "proposed_change_description", None,
                     "The Proposed sheet has rows, so proposed_change_description must describe the change.")


def _check_lottery(read: _Progress, expected: _Expected, problems: ProblemLog) -> None:
    t = read.tables.get(schema.LOTTERY.name)
    if t is not None:
        read.data.lottery = lottery_rows(t, _prepared(t, read, problems), read.known_ids, problems)


_CHECKS: dict[Sheet, Callable[[_Progress, _Expected, ProblemLog], None]] = {
    schema.DISTRICT: _check_district,
    schema.SCHOOLS: _check_schools,
    schema.BUDGET: _check_budget,
    schema.PROPOSED: _check_proposed,
    schema.LOTTERY: _check_lottery,
}
assert set(_CHECKS) == set(schema.SHEETS)
