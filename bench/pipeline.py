"""Benchmark: the whole offline evaluation, stage by stage, against a bare read of the same workbook.

    .venv/bin/python bench/pipeline.py [--sizes 100,320,1000,2000,10000] [--pdf-max 2000] [--repeat 1]
        [--keep DIR]

For each generated district (bench/districts.py: shaped like real districts of the NCES data
in tests/data/ccd/), side by side in one run:
  1. python-calamine merely reading every sheet of the workbook (best of 3): the yardstick;
  2. the whole command as an analyst runs it, ``manage.py evaluate WB --json OUT`` in a fresh
     process (wall time, peak memory of the process), and that command's fixed cost (Django
     and imports, measured as a run on a missing file) for the growth from 1,000 to 10,000;
  3. the same evaluation in a fresh process, stage by stage (read + validate in the guarded
     child, measures and rules, recommendations, the remedy programs with their size and
     HiGHS's own solve time, the evaluation to JSON, writing the JSON, the PDF report up to
     ``--pdf-max`` schools), each stage's time as a ratio to the calamine read and the peak
     memory of each part.
Targets (issue 15): at 10,000 schools the whole command <= 30x calamine, everything but the
linear program <= 3x, growth 1,000 -> 10,000 <= 12x, peak < 600 MB; building and decomposing
the program <= half of HiGHS's solve time. Not a test; prints tables and RATIO lines.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STAGES = (("parse", "read + validate (guarded child)"), ("integration", "measures + INT rules"),
          ("resources", "resource measures + RES rules"), ("recommendations_other", "recommendations, estimates"),
          ("remedy_programs", "remedy programs (LP, wall)"), ("to_json", "evaluation to JSON objects"),
          ("json_write", "JSON written (orjson)"), ("pdf", "PDF report"))
NON_LP = ("parse", "integration", "resources", "recommendations_other", "to_json", "json_write")


def _env(tmp: str) -> dict[str, str]:
    # As an analyst runs it: no dev profile needed, no broker, an empty (unmigrated) database.
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_DEV", "SECRET_KEY", "CELERY_BROKER_URL"}}
    env.update(DATABASE_URL=f"sqlite:///{tmp}/none.sqlite3", PYTHONPATH=str(ROOT))
    return env


def calamine_read(path: Path) -> float:
    from python_calamine import CalamineWorkbook

    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()
        best = min(best, time.perf_counter() - started)
    return best


def run(argv: list[str], env: dict[str, str]) -> str:
    """Run a fresh process to the end; its standard output."""
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return done.stdout


def whole_command(path: Path, out: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall time and peak memory of ``manage.py evaluate WB --json OUT`` in a fresh process."""
    argv = [sys.executable, str(ROOT / "bench" / "pipeline.py"), "--measure-child", "--",
            sys.executable, "manage.py", "evaluate", str(path), "--json", str(out)]
    child = json.loads(run(argv, env).strip().splitlines()[-1])
    return child["wall"], child["peak_mb"]


def measure_child(argv: list[str]) -> None:
    """Run ``argv`` as our only child and print its wall time and peak RSS as JSON (ru_maxrss of
    RUSAGE_CHILDREN is then that process's own peak, not a sibling's)."""
    import resource

    started = time.perf_counter()
    code = subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "peak_mb": peak, "code": code}))


def stages(path: Path, env: dict[str, str], pdf: bool) -> dict[str, float]:
    """The stage-by-stage evaluation in a fresh process (see :func:`stage_child`)."""
    argv = [sys.executable, str(ROOT / "bench" / "pipeline.py"), "--stages", str(path)]
    argv += ["--pdf"] if pdf else []
    return json.loads(run(argv, env).strip().splitlines()[-1])


def _hwm_mb() -> float:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM")) / 1024


def _reset_hwm() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # Linux: reset the peak RSS to the current RSS
    except OSError:
        pass


def stage_child(path: Path, pdf: bool) -> None:
    """Evaluate as the command does (compliance.pipeline.evaluate_path), then write the JSON and the
    PDF, printing each stage's seconds and the peak memory of each part as one JSON line."""
    import resource

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_OFFLINE_COMMAND"] = "1"  # as manage.py evaluate runs: no secret key needed
    django.setup()
    from compliance.management.commands.evaluate import write_json
    from compliance.pipeline import builtin_rule_set, evaluate_path
    out: dict[str, float] = {"peak_imports_mb": _hwm_mb()}
    _reset_hwm()
    started = time.perf_counter()
    output = evaluate_path(path, rule_set=builtin_rule_set(), guarded=True, state="CO")
    out["evaluate_wall"] = time.perf_counter() - started
    out.update({k: float(v) for k, v in output.timings.items()})
    out["peak_evaluate_mb"] = _hwm_mb()
    out["peak_read_child_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out["findings"] = len(output.result["findings"])
    _reset_hwm()
    started = time.perf_counter()
    with tempfile.TemporaryFile() as fh:
        write_json(output.result, fh)
        out["json_mb"] = fh.tell() / 1e6
    out["json_write"] = time.perf_counter() - started
    out["peak_json_mb"] = _hwm_mb()
    if pdf:
        from compliance.reports.generate import report_pdf_offline

        _reset_hwm()
        started = time.perf_counter()
        report_pdf_offline(result=output.result, workbook=output.workbook, rule_set=builtin_rule_set(),
                           workbook_bytes=path.read_bytes(), state="CO")
        out["pdf"] = time.perf_counter() - started
        out["peak_pdf_mb"] = _hwm_mb()
    print(json.dumps(out))


# ---------------------------------------------------------------- the run and its tables


def build(folder: Path, n: int) -> Path:
    from bench.districts import district
    from compliance.workbook.template import write_workbook

    path = folder / f"district-{n}.xlsx"
    if not path.exists():
        write_workbook(path, district(n))
    return path


def measure(n: int, folder: Path, env: dict[str, str], pdf_max: int, repeat: int) -> dict[str, float]:
    """One size: calamine, the whole command and the stages, interleaved ``repeat`` times (medians)."""
    path = build(folder, n)
    runs: list[dict[str, float]] = []
    for _ in range(repeat):
        row = {"calamine": calamine_read(path)}
        row["command"], row["command_peak_mb"] = whole_command(path, folder / f"out-{n}.json", env)
        row.update(stages(path, env, pdf=n <= pdf_max))
        runs.append(row)
    return {k: statistics.median(r[k] for r in runs if k in r) for k in runs[0]} | {"schools": n}


def fixed_cost(folder: Path, env: dict[str, str]) -> float:
    """The command's time before any workbook work: Django, imports, a missing file refused."""
    argv = [sys.executable, str(ROOT / "bench" / "pipeline.py"), "--measure-child", "--",
            sys.executable, "manage.py", "evaluate", str(folder / "missing.xlsx")]
    return min(json.loads(run(argv, env).strip().splitlines()[-1])["wall"] for _ in range(3))


def print_tables(rows: list[dict[str, float]], startup: float) -> list[str]:
    lines = ["", f"whole command: manage.py evaluate WB --json OUT (fixed cost: {startup:.2f} s)",
             f"{'schools':>8}{'calamine s':>12}{'command s':>11}{'x cal':>8}{'non-LP x':>9}{'LP s':>8}"
             f"{'HiGHS s':>9}{'LP vars':>9}{'LP rows':>9}{'peak MB':>9}{'findings':>9}{'JSON MB':>9}"]
    for r in rows:
        non_lp = sum(r.get(k, 0.0) for k in NON_LP)
        lines.append(f"{int(r['schools']):>8}{r['calamine']:>12.3f}{r['command']:>11.2f}"
                     f"{r['command'] / r['calamine']:>8.1f}{non_lp / r['calamine']:>9.2f}{r['remedy_programs']:>8.2f}"
                     f"{r['lp_solve']:>9.2f}{int(r['lp_variables']):>9}{int(r['lp_constraints']):>9}"
                     f"{max(r['command_peak_mb'], r['peak_evaluate_mb'], r['peak_json_mb']):>9.0f}"
                     f"{int(r['findings']):>9}{r['json_mb']:>9.1f}")
    lines += ["", "stages: seconds (x calamine)", f"{'stage':<36}" + "".join(f"{int(r['schools']):>16}" for r in rows)]
    for key, label in STAGES:
        cells = "".join(f"{r[key]:>8.2f} ({r[key] / r['calamine']:>5.1f})" if key in r else f"{'-':>16}"
                        for r in rows)
        lines.append(f"{label:<36}{cells}")
    lines.append(f"{'LP build / HiGHS solve / plan s':<36}" + "".join(
        f"{r['lp_build']:>5.2f}/{r['lp_solve']:>5.2f}/{r['lp_plan']:>4.2f}" for r in rows))
    lines.append(f"{'peak MB read child / evaluate / PDF':<36}" + "".join(
        f"{r['peak_read_child_mb']:>5.0f}/{r['peak_evaluate_mb']:>4.0f}/{r.get('peak_pdf_mb', 0):>4.0f}  "
        for r in rows))
    return lines


def verdicts(rows: list[dict[str, float]], startup: float) -> list[str]:
    by = {int(r["schools"]): r for r in rows}
    lines: list[str] = []
    top = by.get(max(by))
    if top:
        non_lp = sum(top.get(k, 0.0) for k in NON_LP)
        lp_own = top["lp_build"] + top["lp_plan"]
        peak = max(top["command_peak_mb"], top["peak_evaluate_mb"], top["peak_json_mb"])
        n = int(top["schools"])
        lines += [_ratio(f"{n:,} schools: whole evaluate --json / calamine", top["command"] / top["calamine"], 30),
                  _ratio(f"{n:,} schools: everything but the LP / calamine", non_lp / top["calamine"], 3),
                  _ratio(f"{n:,} schools: peak memory MB", peak, 600),
                  _ratio(f"{n:,} schools: LP build + decompose / HiGHS solve",
                         lp_own / max(top["lp_solve"], 1e-9), 0.5)]
    if 1000 in by and 10000 in by:
        growth = (by[10000]["command"] - startup) / max(by[1000]["command"] - startup, 1e-9)
        evaluation = by[10000]["evaluate_wall"] / by[1000]["evaluate_wall"]
        lines.append(_ratio("growth 1,000 -> 10,000 schools, whole command less its fixed cost", growth, 12))
        lines.append(f"  (the evaluation alone, read to JSON objects: {evaluation:.1f}x)")
    return lines


def _ratio(label: str, value: float, target: float) -> str:
    return f"RATIO|{label}|{value:.2f}|<= {target:g}|{'OK' if value <= target else 'OVER'}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="100,320,1000,2000,10000")
    p.add_argument("--pdf-max", type=int, default=2000, help="write the PDF up to this many schools")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--keep", type=Path, help="folder for the workbooks (kept and reused)")
    args = p.parse_args(argv)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    folder.mkdir(parents=True, exist_ok=True)
    env = _env(str(folder))
    startup = fixed_cost(folder, env)
    rows = []
    for n in (int(x) for x in args.sizes.split(",")):
        rows.append(measure(n, folder, env, args.pdf_max, args.repeat))
        print(f"{n:,} schools: command {rows[-1]['command']:.2f} s, calamine {rows[-1]['calamine']:.3f} s", flush=True)
    lines = print_tables(rows, startup) + [""] + verdicts(rows, startup)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure-child"]:
        measure_child(sys.argv[3:])
    elif sys.argv[1:2] == ["--stages"]:
        stage_child(Path(sys.argv[2]), "--pdf" in sys.argv)
    else:
        sys.exit(main())
