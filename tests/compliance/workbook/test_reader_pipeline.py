"""The reader hands sheets to calamine in a worker thread, smallest first, and switches the
cyclic garbage collector off while it reads. None of that may show: refusals keep the
precedence of a read in template order, the thread is gone when read_workbook returns,
and the collector is on again."""
from __future__ import annotations

import gc
import re
import threading
from pathlib import Path

import pytest

from compliance.workbook.package import Limits
from compliance.workbook.reader import read_workbook

from .helpers import rewrite_zip, sample_data, sheet_member, write


@pytest.fixture()
def valid(tmp_path: Path) -> bytes:
    return write(tmp_path / "valid.xlsx").read_bytes()


def _far_cell(valid: bytes, sheets: set[str]) -> bytes:
    """Put a cell in column XFD on each of ``sheets``."""
    members = {sheet_member(valid, s) for s in sheets}

    def change(name: str, data: bytes) -> bytes:
        if name in members:
            return data.replace(b"</row>", b'<c r="XFD1" t="inlineStr"><is><t>x</t></is></c></row>', 1)
        return data

    return rewrite_zip(valid, change)


def _calamine_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "calamine"]


def test_valid_read_leaves_no_thread_and_gc_on(valid: bytes) -> None:
    assert gc.isenabled()
    data = read_workbook(valid)
    assert data.problems == []
    assert len(data.schools) == 3 and len(data.lottery) == 1 and len(data.proposed or []) == 2
    assert _calamine_threads() == []
    assert gc.isenabled()


def test_gc_left_off_if_caller_had_it_off(valid: bytes) -> None:
    gc.disable()
    try:
        read_workbook(valid)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_scan_refusal_names_first_sheet_in_template_order(valid: bytes) -> None:
    # Budget is scanned before Schools (it is parsed first), yet Schools is reported.
    data = read_workbook(_far_cell(valid, {"Schools", "Budget"}))
    assert [p.code for p in data.problems] == ["DATA-12"]
    assert data.problems[0].sheet == "Schools"
    assert _calamine_threads() == []


def test_scan_refusal_on_later_sheet_after_others_were_handed_over(valid: bytes) -> None:
    # Lottery is scanned last, once calamine has the other sheets in hand.
    data = read_workbook(_far_cell(valid, {"Lottery"}))
    assert [p.code for p in data.problems] == ["DATA-12"]
    assert data.problems[0].sheet == "Lottery" and "XFD" in data.problems[0].message
    assert _calamine_threads() == []
    assert gc.isenabled()


def test_too_many_rows_names_first_table_in_template_order(tmp_path: Path) -> None:
    from compliance.rules.model import LotteryRow

    from .helpers import school

    d = sample_data(proposed=False)
    d.budget = []
    d.schools = [school(f"{i:04d}", f"School {i}") for i in range(6)]
    d.lottery = [LotteryRow(f"{i:04d}", 100, 80, 200, 48, 52, 0.5) for i in range(6)]
    data = read_workbook(write(tmp_path / "six.xlsx", d), limits=Limits(max_school_rows=5))
    assert [p.code for p in data.problems] == ["DATA-13"]
    assert data.problems[0].sheet == "Schools"


def test_calamine_error_in_one_sheet_is_one_clear_error(valid: bytes) -> None:
    member = sheet_member(valid, "Budget")

    def change(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        # A numeric cell whose value is not a number: calamine cannot parse the sheet.
        return re.sub(rb"<v>[0-9.]+</v>", b"<v>not-a-number</v>", data, count=1)

    data = read_workbook(rewrite_zip(valid, change))
    assert [p.code for p in data.problems] == ["DATA-09"]
    assert _calamine_threads() == []
    assert gc.isenabled()


def test_problems_stay_in_template_order(valid: bytes, tmp_path: Path) -> None:
    # Errors on several sheets (checked out of template order) come back sheet by sheet.
    from .helpers import edit

    path = tmp_path / "bad.xlsx"
    path.write_bytes(valid)
    edit(path, [("Lottery", 2, "seats", "many"), ("Budget", 2, "federal", "lots"), ("Schools", 2, "asian", "x"),
                ("Proposed", 2, "hispanic", "y")])
    data = read_workbook(path)
    sheets = [p.sheet for p in data.problems if p.code == "DATA-22"]
    assert sheets == ["Schools", "Budget", "Proposed", "Lottery"]


def test_reads_without_a_thread_when_none_can_be_started(valid: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    data = read_workbook(valid)
    assert data.problems == []
    assert len(data.schools) == 3 and len(data.budget) == 3 and len(data.lottery) == 1
    assert read_workbook(_far_cell(valid, {"Schools", "Budget"})).problems[0].sheet == "Schools"


@pytest.mark.parametrize("workers", [1, 2])
def test_same_result_with_one_or_two_calamine_workers(valid: bytes, tmp_path: Path, workers: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from compliance.workbook import reader

    from .helpers import edit

    path = tmp_path / "bad.xlsx"
    path.write_bytes(valid)
    edit(path, [("Lottery", 2, "seats", "many"), ("Budget", 3, "federal", -5), ("Schools", 2, "asian", None)])
    expected = read_workbook(path)
    monkeypatch.setattr(reader, "_WORKERS", workers)
    monkeypatch.setattr(reader, "_cpus", lambda: 2)
    assert read_workbook(path) == expected
    assert [p.sheet for p in expected.problems] == ["Schools", "Budget", "Lottery"]
    assert _calamine_threads() == []
