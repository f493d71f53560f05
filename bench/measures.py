"""Benchmark: integration measures + INT rules vs merely reading the workbook with python-calamine.

    .venv/bin/python bench/measures.py [--schools 10000] [--repeat 5] [--keep PATH]

Builds a realistic 10,000-school workbook with openpyxl (District, Schools, Budget,
Proposed, Lottery), then in one run times:
  1. python-calamine reading it (CalamineWorkbook.from_path + to_python on every sheet);
  2. integration_measures alone, and evaluate_integration (measures, INT-01..06, the
     Proposed sheet applied and measured, INT-05 comparison) on the same rows; the
     SchoolRow/ProposedRow/LotteryRow lists are built outside the timing;
  3. for reference, PySAL `segregation` computing the same three indices (four
     two-group D's, multigroup D, Theil H) for the district and each band.
Target: rules <= 0.5 x the calamine read time. Not a test; prints a small table.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compliance.rules.integration import evaluate_integration  # noqa: E402
from compliance.rules.measures import integration_measures  # noqa: E402
from compliance.rules.model import (  # noqa: E402
    BANDS,
    RACE_GROUPS,
    DistrictInfo,
    LotteryRow,
    ProposedRow,
    SchoolRow,
    WorkbookData,
)

SCHOOL_COLUMNS = [
    "school_id", "school_name", "grade_low", "grade_high", "title_i", "assignment_method", "enrollment_total",
    *RACE_GROUPS, "econ_disadvantaged", "english_learners", "students_with_disabilities", "capacity",
]
PROPOSED_COLUMNS = SCHOOL_COLUMNS[: SCHOOL_COLUMNS.index("econ_disadvantaged") + 1]
BUDGET_COLUMNS = [
    "school_id", "teacher_fte_state_local", "teacher_fte_inexperienced", "teacher_fte_out_of_field",
    "personnel_state_local", "nonpersonnel_state_local", "federal",
]
LOTTERY_COLUMNS = [
    "school_id", "seats", "applicants_ed", "applicants_non_ed", "admitted_ed", "admitted_non_ed", "target_ed_share",
]
SPANS = [("PK", "5"), ("K", "5"), ("K", "2"), ("3", "5"), ("6", "8"), ("7", "8"), ("9", "12"), ("K", "8")]
SPAN_P = [0.15, 0.35, 0.05, 0.05, 0.15, 0.05, 0.15, 0.05]
METHODS = ["attendance_zone"] * 6 + ["grade_center", "choice_lottery", "magnet", "controlled_choice", "other"]


def school_kind(lo: str, hi: str) -> str:
    """The word after a generated school's number, from its grade span."""
    if hi in ("2", "5"):
        return "Elementary"
    if hi == "8" and lo != "K":
        return "Middle"
    return "High" if hi == "12" else "Academy"


def generate(n: int, seed: int = 2026) -> dict[str, list[list]]:
    """Rows of every sheet, as cell values; zones are residentially segregated, so measures are non-trivial."""
    rng = np.random.default_rng(seed)
    # Each school's zone leans towards one group: a Dirichlet around a few neighbourhood profiles.
    profiles = np.array([
        [0.10, 0.01, 0.04, 0.10, 0.002, 0.72, 0.028],  # mostly white
        [0.08, 0.005, 0.01, 0.82, 0.001, 0.06, 0.024],  # mostly Black
        [0.78, 0.01, 0.02, 0.06, 0.002, 0.10, 0.028],  # mostly Hispanic
        [0.25, 0.01, 0.12, 0.25, 0.005, 0.33, 0.035],  # mixed
    ])
    kind = rng.choice(len(profiles), size=n, p=[0.4, 0.2, 0.2, 0.2])
    shares = np.vstack([rng.dirichlet(profiles[k] * 60 + 0.05) for k in kind])
    spans = rng.choice(len(SPANS), size=n, p=SPAN_P)
    enrollment = rng.integers(120, 1800, size=n)
    enrollment[rng.random(n) < 0.002] = 0  # a few schools closed this year
    counts = np.floor(shares * enrollment[:, None]).astype(int)
    counts[:, 5] += enrollment - counts.sum(axis=1)  # remainder to white so the seven add up
    soc_share = np.where(enrollment > 0, 1 - counts[:, 5] / np.maximum(enrollment, 1), 0)
    ed = np.minimum(enrollment, np.round(enrollment * np.clip(0.15 + 0.6 * soc_share + rng.normal(0, 0.08, n), 0, 1)))
    ed = ed.astype(int)

    schools, budget = [], []
    for i in range(n):
        sid = f"{i + 1:06d}"
        lo, hi = SPANS[spans[i]]
        t = int(enrollment[i])
        schools.append([
            sid, f"School {i + 1} {school_kind(lo, hi)}",
            lo, hi, "Y" if ed[i] > 0.5 * t else "N", METHODS[i % len(METHODS)], t,
            *map(int, counts[i]), int(ed[i]), int(t * 0.1), int(t * 0.13), int(t * 1.15) + 20,
        ])
        fte = round(max(t, 1) / rng.uniform(13, 22), 1)
        budget.append([
            sid, fte, round(fte * rng.uniform(0.05, 0.3), 1), round(fte * rng.uniform(0, 0.1), 1),
            round(fte * rng.uniform(68000, 92000), 2), round(t * rng.uniform(900, 1800), 2),
            f"${t * rng.uniform(300, 1500):,.2f}",  # money as text, as districts type it
        ])
    # Proposed: rezone 2,000 schools toward the band mix, close a few, open a few.
    proposed = []
    for i in rng.choice(n, size=min(2000, n), replace=False):
        t = int(enrollment[i])
        mixed = np.floor(0.5 * counts[i] + 0.5 * t * profiles[3]).astype(int)
        mixed[5] += t - mixed.sum()
        p_ed = int(min(t, round(0.5 * ed[i] + 0.5 * 0.45 * t)))
        proposed.append([schools[i][0], None, None, None, None, None, t, *map(int, mixed), p_ed])
    for j in range(10):
        t = 600
        c = np.floor(t * profiles[3]).astype(int)
        c[5] += t - c.sum()
        proposed.append([f"N{j:05d}", f"New School {j}", "K", "5", "Y", "controlled_choice", t, *map(int, c), 270])
    lottery = []
    for i in range(0, n, max(1, n // 200)):
        seats = int(rng.integers(60, 300))
        apps_ed, apps_non = int(seats * rng.uniform(0.3, 2)), int(seats * rng.uniform(0.3, 2))
        adm_ed = min(apps_ed, seats // 2)
        adm_non = min(apps_non, seats - adm_ed)
        lottery.append([schools[i][0], seats, apps_ed, apps_non, adm_ed, adm_non, 0.5])
    return {"schools": schools, "budget": budget, "proposed": proposed, "lottery": lottery}


def write_workbook(path: Path, data: dict[str, list[list]]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    district = wb.create_sheet("District")
    for row in (["field", "value"], ["district_id", "9999999"], ["district_name", "Benchmark Unified"],
                ["school_year", "2026-27"], ["template_version", 1], ["contact_name", "A. Analyst"],
                ["contact_email", "analyst@example.org"],
                ["proposed_change_description", "Rezone 2,000 attendance areas toward the band mix."]):
        district.append(row)
    for title, columns, rows in (("Schools", SCHOOL_COLUMNS, data["schools"]),
                                 ("Budget", BUDGET_COLUMNS, data["budget"]),
                                 ("Proposed", PROPOSED_COLUMNS, data["proposed"]),
                                 ("Lottery", LOTTERY_COLUMNS, data["lottery"])):
        ws = wb.create_sheet(title)
        ws.append(columns)
        for row in rows:
            ws.append(row)
    wb.save(path)


def to_rows(data: dict[str, list[list]]) -> WorkbookData:
    idx = {c: i for i, c in enumerate(SCHOOL_COLUMNS)}
    race = [idx[g] for g in RACE_GROUPS]
    schools = [
        SchoolRow(r[0], r[1], r[2], r[3], r[4] == "Y", r[5], r[6], *(r[k] for k in race), r[idx["econ_disadvantaged"]],
                  r[-3], r[-2], r[-1], row=n + 2)
        for n, r in enumerate(data["schools"])
    ]
    proposed = [
        ProposedRow(r[0], r[6], *(r[k] for k in race), r[idx["econ_disadvantaged"]], school_name=r[1],
                    grade_low=r[2], grade_high=r[3], title_i=None if r[4] is None else r[4] == "Y",
                    assignment_method=r[5], row=n + 2)
        for n, r in enumerate(data["proposed"])
    ]
    lottery = [LotteryRow(*r, row=n + 2) for n, r in enumerate(data["lottery"])]
    district = DistrictInfo("9999999", "Benchmark Unified", "2026-27", 1, "A. Analyst", "analyst@example.org")
    return WorkbookData(district=district, schools=schools, proposed=proposed, lottery=lottery)


def best_and_median(fn, repeat: int) -> tuple[float, float, object]:
    """Median wall time and median CPU time of this process (the machine may be shared: CPU time
    is the steadier basis for the ratio), and the last result."""
    wall, cpu, result = [], [], None
    for _ in range(repeat):
        # Release the previous run's output before the clock starts, for every contender alike:
        # freeing it is not part of the operation being measured.
        result = None
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--schools", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="also save the workbook here")
    args = ap.parse_args()

    data = generate(args.schools)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.xlsx"
        t0 = time.perf_counter()
        write_workbook(path, data)
        print(f"wrote {path.name}: {args.schools} schools, {path.stat().st_size / 1e6:.1f} MB "
              f"in {time.perf_counter() - t0:.1f}s (openpyxl, not timed below)")

        from python_calamine import CalamineWorkbook

        def read():
            wb = CalamineWorkbook.from_path(str(path))
            return {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}

        wb = to_rows(data)  # outside the timing

        # Interleaved rounds, so a busy machine slows every contender alike; the garbage of the
        # previous round is released before each clock starts.
        contenders = {"read": read, "measures": lambda: integration_measures(wb.schools),
                      "rules": lambda: evaluate_integration(wb, None)}
        wall = {k: [] for k in contenders}
        cpu = {k: [] for k in contenders}
        results: dict[str, object] = {}
        for _ in range(args.repeat):
            for key, fn in contenders.items():
                results[key] = None
                gc.collect()
                t0, c0 = time.perf_counter(), time.process_time()
                results[key] = fn()
                wall[key].append(time.perf_counter() - t0)
                cpu[key].append(time.process_time() - c0)
        sheets, (measures, findings) = results["read"], results["rules"]
        assert len(sheets["Schools"]) == args.schools + 1
        read_best, read_med = statistics.median(wall["read"]), statistics.median(cpu["read"])
        m_best, m_med = statistics.median(wall["measures"]), statistics.median(cpu["measures"])
        r_best, r_med = statistics.median(wall["rules"]), statistics.median(cpu["rules"])

    # Where the time goes: the same run without building per-school RuleFinding objects.
    quiet = {code: {"enabled": False} for code in ("INT-01", "INT-02", "INT-03")}
    q_best, q_med, _ = best_and_median(lambda: evaluate_integration(wb, quiet), args.repeat)

    # PySAL reference: the same indices (4 two-group D, multigroup D, Theil H), district + bands.
    import pandas as pd
    from segregation.multigroup import MultiDissim, MultiInfoTheory
    from segregation.singlegroup import Dissim

    enrolled = [s for s in wb.schools if s.enrollment_total > 0]
    frames = []
    for sel in [enrolled] + [[s for s in enrolled if s.band == b] for b in BANDS]:
        df = pd.DataFrame({g: [getattr(s, g) for s in sel] for g in RACE_GROUPS})
        df["t"] = [s.enrollment_total for s in sel]
        df["ed"] = [s.econ_disadvantaged for s in sel]
        df["soc"] = df["t"] - df["white"]
        for a, b in (("black", "white"), ("hispanic", "white"), ("soc", "white")):
            df[f"{a}_{b}"] = df[a] + df[b]
        frames.append(df)

    def pysal():
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for df in frames:
                present = [g for g in RACE_GROUPS if df[g].sum() > 0]
                out += [Dissim(df, a, f"{a}_white").statistic for a in ("black", "hispanic", "soc")]
                out += [Dissim(df, "ed", "t").statistic, MultiDissim(df, present).statistic,
                        MultiInfoTheory(df, present).statistic]
        return out

    p_best, p_med, ref = best_and_median(pysal, args.repeat)
    ours = measures["district"]["dissimilarity"]
    assert abs(ours["multigroup"] - ref[4]) < 1e-9 and abs(measures["district"]["theil_h"] - ref[5]) < 1e-9

    counts: dict[str, int] = {}
    for f in findings:
        counts[f.rule] = counts.get(f.rule, 0) + 1
    print(f"findings: {dict(sorted(counts.items()))}; district multigroup D {ours['multigroup']:.3f}, "
          f"proposed {measures['proposed']['district']['dissimilarity']['multigroup']:.3f}")
    target = 0.5
    print(f"\nmedian of {args.repeat} runs; ratios are CPU time / calamine's CPU time (wall in brackets)")
    print(f"{'step':<60}{'wall ms':>9}{'CPU ms':>9}{'ratio':>8}")

    def line(label: str, wall: float, cpu: float, ratio: bool = True) -> None:
        shown = f"{cpu / read_med:>8.3f}" if ratio else ""
        print(f"{label:<60}{wall * 1e3:>9.1f}{cpu * 1e3:>9.1f}{shown}")

    line("calamine read (from_path + to_python, 5 sheets)", read_best, read_med, ratio=False)
    line("integration_measures (district + 3 bands + schools)", m_best, m_med)
    line("evaluate_integration (measures, Proposed, INT-01..06)", r_best, r_med)
    line("  of which without per-school findings (INT-01/02/03 off)", q_best, q_med)
    line("PySAL, for reference: 4 two-group D + multigroup D + Theil H", p_best, p_med)
    for label, best, med in (("integration_measures", m_best, m_med), ("evaluate_integration", r_best, r_med)):
        ratio = med / read_med
        print(f"target {label} <= {target} x calamine read: {ratio:.3f} (wall {best / read_best:.3f}) "
              f"{'PASS' if ratio <= target else 'FAIL'}")

if __name__ == "__main__":
    main()
