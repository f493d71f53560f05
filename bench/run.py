"""`make bench`: every benchmark in turn, its own output as it runs, then one table of ratios.

    .venv/bin/python bench/run.py [--only pipeline,worker] [--quick]

Each script measures side by side in its own run (see its docstring). Scripts of this folder
that print ``RATIO|label|value|target|verdict`` lines give their rows as they are; for the
others the table reads their summary line (a row says "see above" if the line changed).
``--quick`` runs the pipeline benchmark without its 10,000-school district and the web
benchmark for 10 s, for a look in a few minutes.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (script, extra arguments for --quick, patterns for scripts without RATIO lines: label, regex, target)
SCRIPTS: tuple[tuple[str, list[str], list[tuple[str, str, str]]], ...] = (
    ("parse.py", [], [("read + validate 10,000 schools / calamine", r"read_workbook[^\n]*?([\d.]+)x calamine",
                       "<= 1.5")]),
    ("measures.py", [], [("evaluate_integration 10,000 schools / calamine",
                          r"target evaluate_integration <= [\d.]+ x calamine read: ([\d.]+)", "<= 0.5")]),
    ("report.py", [], [("full PDF report / bare WeasyPrint table", r"ratio report/bare: ([\d.]+)", "see report.py")]),
    ("planner.py", [], [("planner: htmx change / healthz (median)", r"/ healthz median ratio: ([\d.]+)x",
                         "every change < 200 ms")]),
    ("pipeline.py", ["--sizes", "100,320,1000,2000", "--pdf-max", "320"], []),
    ("worker.py", ["--repeat", "1"], []),
    ("web.py", ["--duration", "10"], []),
)


def run(script: str, extra: list[str]) -> str:
    print(f"\n=== bench/{script} {' '.join(extra)}".rstrip(), flush=True)
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / script), *extra], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    if proc.wait() != 0:
        lines.append(f"RATIO|bench/{script} failed (exit {proc.returncode})|-|-|FAILED\n")
    return "".join(lines)


def rows(script: str, text: str, patterns: list[tuple[str, str, str]]) -> list[tuple[str, str, str, str]]:
    found = [tuple(line.split("|")[1:5]) for line in text.splitlines() if line.startswith("RATIO|")]
    for label, pattern, target in patterns:
        match = re.search(pattern, text)
        found.append((label, match.group(1) if match else "see above", target, ""))
    return [(f"{script}: {a}", b, c, d) for a, b, c, d in found]  # type: ignore[misc]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", help="comma-separated script names (without .py)")
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    wanted = set(args.only.split(",")) if args.only else None
    table: list[tuple[str, str, str, str]] = []
    for script, quick, patterns in SCRIPTS:
        if wanted and script.removesuffix(".py") not in wanted:
            continue
        table += rows(script, run(script, quick if args.quick else []), patterns)
    width = max((len(r[0]) for r in table), default=10)
    print(f"\n{'benchmark':<{width}}  {'value':>10}  {'target':<22}verdict")
    for label, value, target, verdict in table:
        print(f"{label:<{width}}  {value:>10}  {target:<22}{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
