"""Benchmark: the full findings PDF of the real 2,000-school evaluation against a bare tagged table.

    .venv/bin/python bench/report.py [--schools 2000] [--keep DIR]

The district is compliance.demo's large district generated at ``--schools`` schools, evaluated
by the real rules (remedies on, as in production). The report is the whole tagged PDF/UA-1
document the worker writes (decision page, action plan, findings, worksheet, charts and
appendices) from that evaluation and its parsed workbook. The bare table is the same number of
schools as one 14-column, tagged PDF/UA-1 WeasyPrint table (the per-school columns of the data
appendix, no styling beyond basics): the cost of printing every school. Both run side by side
in the same run, each in its own child process so that its peak memory (ru_maxrss, loading the
evaluation included) is its own. Targets (issue 15): report time at most 0.2x the bare table's,
report peak memory under 300 MB.
"""
from __future__ import annotations

import argparse
import html
import json
import os
import pickle
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEV", "1")
os.environ.setdefault("LOG_LEVEL", "WARNING")

GROUPS = ("hispanic", "american_indian", "asian", "black", "pacific_islander", "white", "two_or_more")
RATIO_TARGET = 0.2
MEMORY_TARGET_MB = 300


def evaluate(n: int, path: Path) -> dict:
    """The large demo district at ``n`` schools, evaluated; (workbook, result, rule set) pickled to ``path``."""
    import django

    django.setup()
    from compliance.demo import DEMO_DISTRICTS, large
    from compliance.pipeline import builtin_rule_set
    from compliance.rules.evaluate import evaluate_workbook

    district = next(d for d in DEMO_DISTRICTS if d.key == "large")
    workbook = large(district, "2026-27", n_schools=n)
    rule_set = builtin_rule_set()
    start = time.perf_counter()
    result = evaluate_workbook(workbook, rule_set=rule_set, state="MS")
    seconds = time.perf_counter() - start
    path.write_bytes(pickle.dumps((workbook, result, rule_set)))
    return {"seconds": seconds, "findings": len(result["findings"]), "schools": len(workbook.schools)}


def bare_table_html(workbook, result) -> str:
    """Every school in one 14-column table: name, band, enrollment, two shares, seven groups, money, ratio."""
    heads = ["School", "Band", "Enrollment", "Students of color", "ED", *GROUPS, "Spending per pupil",
             "Pupils per teacher"]
    measures = {s["school_id"]: s for s in result["measures"]["schools"]}
    out = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Bare table</title><style>",
           "@page{size:letter landscape;margin:0.6in} table{width:100%;border-collapse:collapse;font-size:7pt}"
           "td,th{padding:1.5pt 2.5pt;border-bottom:0.4pt solid #ccc}</style></head><body><table><thead><tr>",
           "".join(f"<th scope='col'>{h}</th>" for h in heads), "</tr></thead><tbody>"]
    for row in workbook.schools:
        m, t = measures.get(row.school_id, {}), row.enrollment_total
        cells = [f"{row.school_name} {row.school_id}", str(m.get("band") or ""), f"{t:,}",
                 f"{(t - row.white) / t:.0%}", f"{row.econ_disadvantaged / t:.0%}",
                 *[f"{getattr(row, g) / t:.0%}" for g in GROUPS],
                 f"${m.get('ppe_state_local') or 0:,.0f}", f"{m.get('students_per_teacher') or 0:.1f}"]
        out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table></body></html>")
    return "".join(out)


def child(kind: str, data: Path, keep: str | None) -> None:
    import django

    django.setup()
    workbook, result, rule_set = pickle.loads(data.read_bytes())
    # Rendering, not loading: both sides load WeasyPrint (and the report matplotlib) first, as a
    # worker does when it starts (compliance.reports.render.load_renderers).
    from compliance.reports.render import load_renderers

    load_renderers()
    start, cpu = time.perf_counter(), time.process_time()
    if kind == "report":
        from compliance.reports.generate import report_pdf_offline

        pdf = report_pdf_offline(result=result, workbook=workbook, rule_set=rule_set, workbook_bytes=b"bench",
                                 state="MS")
    else:
        from weasyprint import HTML

        pdf = HTML(string=bare_table_html(workbook, result)).write_pdf(pdf_variant="pdf/ua-1")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if keep:
        Path(keep, f"{kind}.pdf").write_bytes(pdf)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"kind": kind, "seconds": seconds, "cpu": cpu, "peak_mb": peak_mb, "bytes": len(pdf),
                      "pages": _pages(pdf)}))


def _pages(pdf: bytes) -> int:
    """Pages of a PDF, by poppler (page objects are inside compressed object streams)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(pdf)
        fh.flush()
        info = subprocess.run(["pdfinfo", fh.name], capture_output=True, text=True).stdout
    m = re.search(r"^Pages:\s+(\d+)", info, re.M)
    return int(m.group(1)) if m else 0


def _run(kind: str, data: Path, keep: str | None) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--data", str(data)] + (["--keep", keep] if keep else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=2000)
    parser.add_argument("--keep", help="directory to write report.pdf and bare.pdf into")
    parser.add_argument("--repeat", type=int, default=1,
                        help="render each this many times, alternating, and keep the fastest of each")
    parser.add_argument("--child", choices=("report", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.data), args.keep)
        return
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp, "evaluation.pickle")
        ev = evaluate(args.schools, data)
        runs: dict[str, list[dict]] = {"bare": [], "report": []}
        for _ in range(max(1, args.repeat)):  # alternating, so both see the same machine
            for kind in runs:
                runs[kind].append(_run(kind, data, args.keep))
        bare, report = (min(runs[kind], key=lambda r: r["seconds"]) for kind in ("bare", "report"))
    ratio, cpu_ratio = report["seconds"] / bare["seconds"], report["cpu"] / bare["cpu"]
    print(f"district: {ev['schools']:,} schools, {ev['findings']:,} findings (evaluated in {ev['seconds']:.1f} s)")
    for name, r in (("bare tagged table", bare), ("full report", report)):
        print(f"{name:<18}: {r['seconds']:6.2f} s ({r['cpu']:6.2f} s CPU), peak {r['peak_mb']:4.0f} MB, "
              f"{r['bytes'] / 1e6:.2f} MB PDF, {r['pages']} pages")
    # Wall time is the target; on a shared machine the CPU seconds are the steadier of the two ratios.
    print(f"ratio report/bare: {ratio:.2f} wall, {cpu_ratio:.2f} CPU (target <= {RATIO_TARGET}); "
          f"report peak {report['peak_mb']:.0f} MB (target < {MEMORY_TARGET_MB})")
    # The lines bench/run.py gathers into its table.
    for label, value, target, ok in (
            ("full PDF report / bare tagged table (CPU)", f"{cpu_ratio:.2f}", f"<= {RATIO_TARGET}",
             cpu_ratio <= RATIO_TARGET),
            ("full PDF report, peak MB", f"{report['peak_mb']:.0f}", f"< {MEMORY_TARGET_MB}",
             report["peak_mb"] < MEMORY_TARGET_MB)):
        print(f"RATIO|{label}|{value}|{target}|{'ok' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
