"""Benchmark: reading a 10,000-school workbook.

    .venv/bin/python bench/parse.py [--schools 10000] [--repeat 3]

Builds a workbook with every sheet filled (Schools, Budget, Lottery, Proposed), then
times, side by side: python-calamine merely reading every sheet (``to_python``), our
``read_workbook`` (read + validate), and openpyxl in read-only mode reading every cell.
The three are interleaved (calamine, ours, openpyxl, calamine, ...) so that load from
other processes hits them alike, and the median of the runs is compared.
Targets: ours <= 1.5x calamine, >= 10x faster than openpyxl, peak memory < 300 MB.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compliance.rules.model import (  # noqa: E402
    ASSIGNMENT_METHODS,
    BudgetRow,
    DistrictInfo,
    LotteryRow,
    ProposedRow,
    SchoolRow,
    WorkbookData,
)
from compliance.workbook.reader import read_workbook  # noqa: E402
from compliance.workbook.template import write_workbook  # noqa: E402


def build(path: Path, n: int) -> None:
    rnd = random.Random(2026)
    schools, budget, proposed, lottery = [], [], [], []
    for i in range(n):
        sid = f"{i:06d}"
        races = [rnd.randint(0, 120) for _ in range(7)]
        total = sum(races)
        low, high = rnd.choice([("PK", "5"), ("K", "5"), ("6", "8"), ("9", "12"), ("K", "8")])
        schools.append(SchoolRow(sid, f"School {i}", low, high, rnd.random() < 0.5, rnd.choice(ASSIGNMENT_METHODS),
                                 total, *races, rnd.randint(0, total), rnd.randint(0, total), rnd.randint(0, total),
                                 total + 50))
        fte = round(total / 15 + 1, 1)
        budget.append(BudgetRow(sid, fte, round(fte / 4, 1), round(fte * 61234.5, 2), 12000.0 + i, 3000.25 * (i % 7),
                                round(fte / 10, 1)))
        p_races = [max(0, r + rnd.randint(-5, 5)) for r in races]
        proposed.append(ProposedRow(sid, sum(p_races), *p_races, rnd.randint(0, sum(p_races))))
        seats = 100
        lottery.append(LotteryRow(sid, seats, 120, 150, 50, 50, 0.5))
    data = WorkbookData(
        district=DistrictInfo("000123", "Bench District", "2026-27", 1, "Pat", "pat@example.org", "Bench change"),
        schools=schools, budget=budget, proposed=proposed, lottery=lottery,
    )
    write_workbook(path, data)


def calamine_read(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    cells = 0
    for name in wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        cells += sum(len(r) for r in rows)
    return cells


def ours(path: Path) -> int:
    data = read_workbook(path)
    assert not data.problems, data.problems[:5]
    return len(data.schools) + len(data.budget) + len(data.lottery) + len(data.proposed or [])


def openpyxl_read(path: Path) -> int:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    cells = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            cells += len(row)
    wb.close()
    return cells


def timed(fn: Callable[[Path], int], path: Path) -> float:
    t0 = time.perf_counter()
    fn(path)
    return time.perf_counter() - t0


def peak_memory_mb(path: Path) -> tuple[float, float]:
    """Peak RSS (VmHWM) of a fresh interpreter that reads the workbook, and of one that only
    imports the reader. VmHWM belongs to the new process image, so the parent's memory at
    fork time does not count (ru_maxrss would carry it over)."""
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "from compliance.workbook.reader import read_workbook\n"
        "%s\n"
        "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1])\n"
    )
    root = str(Path(__file__).resolve().parents[1])
    full = subprocess.run([sys.executable, "-c", code % (root, f"read_workbook({str(path)!r})")],
                          capture_output=True, text=True, check=True)
    base = subprocess.run([sys.executable, "-c", code % (root, "pass")], capture_output=True, text=True, check=True)
    return int(full.stdout.split()[-1]) / 1024, int(base.stdout.split()[-1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--schools", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=9, help="runs of calamine and of read_workbook")
    ap.add_argument("--openpyxl-repeat", type=int, default=3, help="runs of openpyxl (slow), interleaved")
    ap.add_argument("--keep", type=Path, help="also save the generated workbook here")
    ap.add_argument("--workbook", type=Path, help="time this workbook instead of building one (e.g. an earlier --keep)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.xlsx"
        t0 = time.perf_counter()
        if args.workbook:
            path = args.workbook
            print(f"using {path}, {os.path.getsize(path) / 1048576:.1f} MB")
        else:
            build(path, args.schools)
            print(f"built {args.schools:,} schools x 4 sheets in {time.perf_counter() - t0:.1f} s, "
                  f"{os.path.getsize(path) / 1048576:.1f} MB")
        if args.keep:
            args.keep.write_bytes(path.read_bytes())
        ours(path)  # warm imports and caches once
        calamine_read(path)
        # Interleaved, so that load from other processes hits all three alike; median of N each.
        times: dict[str, list[float]] = {"calamine": [], "ours": [], "openpyxl": []}
        for i in range(args.repeat):
            times["calamine"].append(timed(calamine_read, path))
            times["ours"].append(timed(ours, path))
            if i < args.openpyxl_repeat:
                times["openpyxl"].append(timed(openpyxl_read, path))
        peak, base = peak_memory_mb(path)

    t_cal, t_ours, t_opx = (statistics.median(times[k]) for k in ("calamine", "ours", "openpyxl"))
    ratio, speedup = t_ours / t_cal, t_opx / t_ours
    ok = lambda good: "ok" if good else "MISSED"  # noqa: E731
    print(f"median of {args.repeat} runs (openpyxl: {len(times['openpyxl'])}), interleaved; min in brackets")
    print(f"calamine to_python (all sheets): {t_cal * 1000:6.0f} ms  [{min(times['calamine']) * 1000:.0f}]")
    print(f"read_workbook (read + validate): {t_ours * 1000:6.0f} ms  [{min(times['ours']) * 1000:.0f}]   "
          f"{ratio:.2f}x calamine      (target <= 1.5x)  {ok(ratio <= 1.5)}")
    print(f"openpyxl read_only (all cells):  {t_opx * 1000:6.0f} ms  [{min(times['openpyxl']) * 1000:.0f}]   "
          f"ours is {speedup:.1f}x faster (target >= 10x)  {ok(speedup >= 10)}")
    print(f"peak RSS of a child running read_workbook: {peak:.0f} MB (imports alone: {base:.0f} MB; target < 300 MB)  "
          f"{ok(peak < 300)}")


if __name__ == "__main__":
    main()
