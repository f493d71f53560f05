"""read_workbook_guarded: the same result in a child, and one clear error past its limits."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from compliance.workbook import read_workbook_guarded
from compliance.workbook.package import Limits

from .helpers import sample_data, school, write


def test_guarded_returns_the_same_data(tmp_path: Path) -> None:
    path = write(tmp_path / "s.xlsx")
    data = read_workbook_guarded(path, limits=Limits(), timeout_seconds=30, memory_bytes=512 * 1024 * 1024,
                                 expected_school_year="2026-27")
    assert data.problems == []
    assert data.schools == sample_data().schools
    assert data.district.school_year == "2026-27"


def test_guarded_passes_keyword_checks_through(tmp_path: Path) -> None:
    data = read_workbook_guarded(write(tmp_path / "s.xlsx"), timeout_seconds=30, memory_bytes=512 * 1024 * 1024,
                                 expected_school_year="2030-31")
    assert [(p.code, p.row, p.column) for p in data.problems] == [("DATA-33", 4, "school_year")]


def _big(tmp_path: Path, n: int) -> Path:
    d = sample_data(proposed=False, lottery=False)
    d.budget = []
    d.schools = [school(f"{i:05d}", f"School {i}") for i in range(n)]
    return write(tmp_path / "big.xlsx", d)


def test_guarded_timeout_is_one_clear_error(tmp_path: Path) -> None:
    path = _big(tmp_path, 3000)
    t0 = time.perf_counter()
    data = read_workbook_guarded(path, timeout_seconds=0.01, memory_bytes=512 * 1024 * 1024)
    assert time.perf_counter() - t0 < 3
    assert [(p.code, p.severity) for p in data.problems] == [("DATA-14", "error")]
    assert "longer than 0.01 seconds" in data.problems[0].message


def test_guarded_memory_cap_is_one_clear_error(tmp_path: Path) -> None:
    path = _big(tmp_path, 3000)
    # 3,000 schools need far more than 2 MB on top of the process. Run from a fresh
    # interpreter: a long test session's parent holds freed heap the child could reuse
    # without growing its address space, which would make the cap meaningless here.
    code = (
        "import sys; from compliance.workbook.guarded import read_workbook_guarded as r; "
        "d = r(sys.argv[1], timeout_seconds=30, memory_bytes=2 * 1024 * 1024); "
        "print([(p.code, p.severity) for p in d.problems]); print(d.problems[0].message if d.problems else '')"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], cwd=Path(__file__).resolve().parents[3],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    problems, message = out.stdout.splitlines()[:2]
    assert problems == "[('DATA-14', 'error')]"
    assert "memory" in message


def _in_daemon(conn, path: str) -> None:
    data = read_workbook_guarded(path, timeout_seconds=30, memory_bytes=512 * 1024 * 1024)
    conn.send([s.school_id for s in data.schools])
    conn.close()


def test_guarded_works_inside_a_daemonic_process(tmp_path: Path) -> None:
    # Celery's prefork pool runs tasks in daemonic processes, which multiprocessing
    # forbids from having children; the guard forks directly, so it still works there.
    import multiprocessing as mp

    path = write(tmp_path / "s.xlsx")
    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_in_daemon, args=(send, str(path)), daemon=True)
    proc.start()
    assert recv.poll(30)
    assert recv.recv() == ["0101", "0102", "0203"]
    proc.join(10)
