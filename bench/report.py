"""Benchmark: the findings PDF of a 2,000-school district against a bare 2,000-row table.

    .venv/bin/python bench/report.py [--schools 2000] [--keep DIR]

Each rendering runs in its own child process so its peak memory (ru_maxrss) is its own.
The bare table has the per-school columns of the report's data appendix, one row per
school, and WeasyPrint's default options; the report is the full tagged PDF/UA document
(HTML building, charts and PDF). Targets: ratio <= 1.0, report peak memory < 500 MB.
"""
from __future__ import annotations

import argparse
import html
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEV", "1")
os.environ.setdefault("LOG_LEVEL", "WARNING")

GROUPS = ("hispanic", "american_indian", "asian", "black", "pacific_islander", "white", "two_or_more")


def synthetic_district(n: int, seed: int = 7) -> tuple[list[Any], dict[str, Any]]:
    """School rows and an evaluation dict shaped like docs/evaluate-cli.md, with realistic findings."""
    from compliance.rules.model import SchoolRow

    rng = random.Random(seed)
    rows: list[SchoolRow] = []
    spans = [("K", "5")] * 60 + [("6", "8")] * 22 + [("9", "12")] * 18
    for i in range(n):
        lo, hi = spans[i % len(spans)]
        total = rng.randint(150, 1800) if lo != "9" else rng.randint(600, 2800)
        soc = min(0.995, max(0.01, rng.betavariate(1.2, 1.2)))  # segregated: many schools far from the mean
        white = round(total * (1 - soc))
        rest = total - white
        weights = [rng.random() * w for w in (4, 0.15, 1, 4, 0.1, 0, 0.8)]
        s = sum(weights)
        counts = [int(rest * w / s) for w in weights]
        counts[0] += rest - sum(counts)
        counts[5] = white
        ed = min(total, round(total * min(0.98, max(0.02, soc * 0.8 + rng.uniform(-0.15, 0.15)))))
        rows.append(SchoolRow(f"S{i:05d}", f"School {i:04d} {rng.choice(['Oak', 'Pine', 'Elm', 'Lake', 'Hill'])}",
                              lo, hi, ed / total > 0.4, "attendance_zone", total, *counts, ed))
    schools, findings = [], []
    by_band: dict[str, list[SchoolRow]] = {}
    for r in rows:
        by_band.setdefault(r.band, []).append(r)
    band_total = {b: sum(r.enrollment_total for r in rs) for b, rs in by_band.items()}
    band_soc = {b: sum(r.enrollment_total - r.white for r in rs) / band_total[b] for b, rs in by_band.items()}
    band_ed = {b: sum(r.econ_disadvantaged for r in rs) / band_total[b] for b, rs in by_band.items()}
    for r in rows:
        t = r.enrollment_total
        share = {g: getattr(r, g) / t for g in GROUPS}
        share["students_of_color"] = (t - r.white) / t
        share["ed"] = r.econ_disadvantaged / t
        ppe = 9500 - 900 * share["ed"] + rng.gauss(0, 600)
        schools.append({"school_id": r.school_id, "school_name": r.school_name, "band": r.band, "enrollment_total": t,
                        "share": share, "ppe_state_local": round(ppe, 2),
                        "students_per_teacher": round(rng.uniform(11, 19), 1)})
        rec = {"key": "controlled_choice", "title": "Attendance-zone redrawing and controlled choice",
               "estimate": {"students_to_reassign": 41230, "share_of_band_enrollment": 0.21},
               "body": "Redraw attendance zones or use controlled choice with a diversity goal.", "sources": []}
        diff = share["students_of_color"] - band_soc[r.band]
        if abs(diff) > 0.15:
            findings.append({"rule": "INT-01", "severity": "finding", "scope": "school", "school_id": r.school_id,
                             "band": r.band,
                             "message": f"{r.school_name}: {share['students_of_color']:.1%} students of color.",
                             "evidence": {"group": "students_of_color", "school_share": share["students_of_color"],
                                          "band_share": band_soc[r.band], "difference": diff, "band": 0.15},
                             "recommendations": [rec]})
        ed_diff = share["ed"] - band_ed[r.band]
        if abs(ed_diff) > 0.15:
            findings.append({"rule": "INT-03", "severity": "finding", "scope": "school", "school_id": r.school_id,
                             "band": r.band, "message": f"{r.school_name}: {share['ed']:.1%} ED.",
                             "evidence": {"school_share": share["ed"], "band_share": band_ed[r.band],
                                          "difference": ed_diff, "band": 0.15}, "recommendations": [rec]})
    block = {"dissimilarity": {"multigroup": 0.52, "black_white": 0.61, "hispanic_white": 0.48,
                               "students_of_color_white": 0.55, "ed_not_ed": 0.41},
             "theil_h": 0.31, "isolation": {"students_of_color": 0.7, "ed": 0.6},
             "normalized_exposure": {"students_of_color": 0.35, "ed": 0.2},
             "resources": {"ppe_mean": 9100.0, "cv": 0.09, "mcloone": 0.95, "verstegen": 1.06,
                           "federal_range_ratio": 0.4, "progressivity": 0.94, "inexperienced_gap_poverty": 0.06,
                           "inexperienced_gap_students_of_color": 0.05, "p5": 8200.0, "p50": 9100.0, "p95": 10300.0}}
    findings.append({"rule": "INT-04", "severity": "warning", "scope": "district", "message": "Multigroup D is 0.520.",
                     "evidence": {"value": 0.52, "warning_at": 0.3, "finding_at": 0.6}, "recommendations": []})
    evaluation = {"template_version": 1, "district": {"district_id": "4800001", "district_name": "Big City ISD",
                                                      "school_year": "2026-27"},
                  "rule_set": {"name": "State default", "version": "1"}, "problems": [],
                  "measures": {"district": block, "bands": {b: block for b in ("elementary", "middle", "high")},
                               "schools": schools},
                  "findings": findings}
    return rows, evaluation


def make_context(n: int):
    from compliance.reports.context import ReportContext
    from compliance.rules.ruleset import default_params

    rows, evaluation = synthetic_district(n)
    return ReportContext(evaluation=evaluation, schools=rows, district_name="Big City ISD", district_id="4800001",
                         state="TX", cycle="2026-27", submission_version=1, status="Submitted",
                         workbook_sha256="0" * 64, rule_set_name="State default", rule_set_version="1",
                         rule_params=default_params(), generated_at=datetime(2026, 11, 22, tzinfo=UTC))


def bare_table_html(ctx) -> str:
    """The same per-school columns as the data appendix, every school, no styling beyond basics."""
    heads = ["School", "Band", "Enrollment", "Students of color", "ED", *GROUPS, "Spending per pupil",
             "Pupils per teacher", "Rules"]
    m = {s["school_id"]: s for s in ctx.evaluation["measures"]["schools"]}
    rules: dict[str, list[str]] = {}
    for f in ctx.evaluation["findings"]:
        if f.get("school_id"):
            rules.setdefault(f["school_id"], []).append(f["rule"])
    out = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Bare</title><style>",
           "@page{size:letter landscape;margin:0.6in} table{width:100%;border-collapse:collapse;font-size:7pt}"
           "td,th{padding:1.5pt 2.5pt;border-bottom:0.4pt solid #ccc}</style></head><body><table><thead><tr>",
           "".join(f"<th>{h}</th>" for h in heads), "</tr></thead><tbody>"]
    for r in ctx.schools:
        s = m[r.school_id]
        t = r.enrollment_total
        cells = [f"{r.school_name} {r.school_id}", s["band"], f"{t:,}", f"{(t - r.white) / t:.0%}",
                 f"{r.econ_disadvantaged / t:.0%}", *[f"{getattr(r, g) / t:.0%}" for g in GROUPS],
                 f"${s['ppe_state_local']:,.0f}", f"{s['students_per_teacher']:.1f}",
                 ", ".join(rules.get(r.school_id, []))]
        out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table></body></html>")
    return "".join(out)


def child(kind: str, n: int, keep: str | None) -> None:
    import django

    django.setup()
    ctx = make_context(n)
    start = time.perf_counter()
    if kind == "report":
        from compliance.reports.render import html_to_pdf, render_report_html

        page = render_report_html(ctx)
        mid = time.perf_counter()
        pdf = html_to_pdf(page, ctx)
    else:
        from weasyprint import HTML

        page = bare_table_html(ctx)
        mid = time.perf_counter()
        pdf = HTML(string=page).write_pdf()
    end = time.perf_counter()
    if keep:
        Path(keep, f"{kind}.pdf").write_bytes(pdf)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    findings = len(ctx.evaluation["findings"])
    print(json.dumps({"kind": kind, "seconds": end - start, "html_seconds": mid - start, "pdf_seconds": end - mid,
                      "peak_mb": peak_mb, "bytes": len(pdf), "pages": pdf.count(b"/Type /Page\n") or None,
                      "findings": findings}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=2000)
    parser.add_argument("--keep", help="directory to write report.pdf and bare.pdf into")
    parser.add_argument("--child", choices=("report", "bare"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.schools, args.keep)
        return
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
    results = {}
    for kind in ("bare", "report"):
        cmd = [sys.executable, __file__, "--child", kind, "--schools", str(args.schools)]
        if args.keep:
            cmd += ["--keep", args.keep]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        results[kind] = json.loads(out.strip().splitlines()[-1])
    r, b = results["report"], results["bare"]
    print(f"schools: {args.schools}, findings: {r['findings']}")
    print(f"bare table : {b['seconds']:.2f} s, peak {b['peak_mb']:.0f} MB, {b['bytes'] / 1e6:.2f} MB PDF")
    print(f"full report: {r['seconds']:.2f} s (HTML+charts {r['html_seconds']:.2f} s, PDF {r['pdf_seconds']:.2f} s), "
          f"peak {r['peak_mb']:.0f} MB, {r['bytes'] / 1e6:.2f} MB PDF")
    ratio = r["seconds"] / b["seconds"]
    print(f"ratio report/bare: {ratio:.2f} (target <= 1.0); report peak memory {r['peak_mb']:.0f} MB (target < 500)")


if __name__ == "__main__":
    main()
