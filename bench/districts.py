"""Generated districts shaped like real ones, for the whole-job benchmarks.

Race composition and enrollment come from real schools: the NCES Common Core of Data extract
in tests/data/ccd/ (primary schools of AL, CO and CT, 2000-01), taken district by district
(the 46 districts with 10 or more schools, so a generated district keeps real within-district
spread), repeated with a small random change in each count when more schools are needed. The
extract has no grade spans, economic disadvantage or money, so these are derived and said so:
60% elementary, 20% middle and 20% high schools (middle schools 1.5 and high schools 2.2 times a
real primary school's size); the ED share rises with the share of Black, Hispanic and American
Indian students (as it does nationally) with noise; staffing 13.5-18.5 students per teacher,
$58,000 a teacher, $800-1,400 a pupil besides, federal money by ED students; 88% attendance
zones, the rest magnet, lottery, controlled-choice and other schools, with a Lottery row for
each lottery school; half the schools state a capacity.
"""
from __future__ import annotations

import csv
import random
from collections import defaultdict
from pathlib import Path

from compliance.rules.model import RACE_GROUPS, BudgetRow, DistrictInfo, LotteryRow, SchoolRow, WorkbookData

CCD = Path(__file__).resolve().parents[1] / "tests" / "data" / "ccd" / "primary_schools_2000_01.csv"
_BANDS = (("elementary", "K", "5", 0.60, 1.0), ("middle", "6", "8", 0.20, 1.5), ("high", "9", "12", 0.20, 2.2))
_METHODS = (("attendance_zone", 0.88), ("magnet", 0.04), ("choice_lottery", 0.03), ("controlled_choice", 0.02),
            ("other", 0.03))
_CCD_GROUPS = ("hispanic", "american_indian", "asian", "black", "white")


def real_schools() -> list[list[dict[str, int]]]:
    """The extract's districts of 10 or more schools, each a list of its schools' counts by group."""
    by_district: dict[str, list[dict[str, int]]] = defaultdict(list)
    with CCD.open(newline="") as fh:
        for row in csv.DictReader(fh):
            by_district[row["leaid"]].append({g: int(row[g]) for g in _CCD_GROUPS})
    return [schools for _, schools in sorted(by_district.items()) if len(schools) >= 10]


def _band_of(i: int, n: int) -> tuple[str, str, str, float]:
    """Band, grades and size factor of the i-th of n schools (bands in the fixed mix, interleaved)."""
    at = (i * 0.6180339887) % 1.0  # spread evenly, so every prefix of the list has the mix
    edge = 0.0
    for band, lo, hi, share, size in _BANDS:
        edge += share
        if at < edge:
            return band, lo, hi, size
    band, lo, hi, _, size = _BANDS[-1]
    return band, lo, hi, size


def district(n: int, *, seed: int = 15, school_year: str = "2026-27") -> WorkbookData:
    """A district of ``n`` schools built from real schools' compositions (deterministic per seed)."""
    rng = random.Random(seed)  # nosec B311 # benchmark data, nothing secret
    districts = real_schools()
    rng.shuffle(districts)
    pool = [s for d in districts for s in d]
    schools, budget, lottery = [], [], []
    for i in range(n):
        real = pool[i % len(pool)]
        jitter = 1.0 if i < len(pool) else rng.uniform(0.9, 1.1)
        band, lo, hi, size = _band_of(i, n)
        counts = {g: max(0, round(real.get(g, 0) * size * jitter * rng.uniform(0.95, 1.05))) for g in RACE_GROUPS}
        if not sum(counts.values()):
            counts["white"] = 100
        school = _school(i, band, lo, hi, counts, rng)
        schools.append(school)
        budget.append(_budget(school, rng))
        if school.assignment_method == "choice_lottery":
            lottery.append(_lottery(school, rng))
    info = DistrictInfo(district_id="0803360", district_name=f"Benchmark district of {n:,} schools",
                        school_year=school_year, template_version=1, contact_name="Benchmark",
                        contact_email="bench@example.org")
    return WorkbookData(district=info, schools=schools, budget=budget, lottery=lottery, has_budget_sheet=True)


def _school(i: int, band: str, lo: str, hi: str, counts: dict[str, int], rng: random.Random) -> SchoolRow:
    total = sum(counts.values())
    of_color = (counts["black"] + counts["hispanic"] + counts["american_indian"]) / total
    ed = min(total, max(0, round(total * min(0.98, max(0.02, 0.1 + 0.7 * of_color + rng.gauss(0, 0.08))))))
    method = rng.choices([m for m, _ in _METHODS], [w for _, w in _METHODS])[0]
    return SchoolRow(
        school_id=f"{100000 + i}", school_name=f"{band.title()} School {i + 1}", grade_low=lo, grade_high=hi,
        title_i=ed / total >= 0.5, assignment_method=method, enrollment_total=total, econ_disadvantaged=ed,
        english_learners=round(counts["hispanic"] * 0.3), students_with_disabilities=round(total * 0.13),
        capacity=round(total * rng.uniform(1.0, 1.25)) if rng.random() < 0.5 else None, **counts,
    )


def _budget(s: SchoolRow, rng: random.Random) -> BudgetRow:
    fte = round(s.enrollment_total / rng.uniform(13.5, 18.5), 1) or 1.0
    inexperienced = rng.uniform(0.05, 0.3)
    return BudgetRow(
        school_id=s.school_id, teacher_fte_state_local=fte, teacher_fte_inexperienced=round(fte * inexperienced, 1),
        personnel_state_local=round(fte * 58_000 * (1 - 0.1 * inexperienced), 2),
        nonpersonnel_state_local=round(s.enrollment_total * rng.uniform(800, 1400), 2),
        federal=round(s.econ_disadvantaged * (650.0 if s.title_i else 90.0), 2), teacher_fte_out_of_field=0.0,
    )


def _lottery(s: SchoolRow, rng: random.Random) -> LotteryRow:
    seats = max(20, round(s.enrollment_total * 0.25))
    applicants_ed, applicants_non_ed = round(seats * rng.uniform(0.4, 1.6)), round(seats * rng.uniform(0.8, 2.5))
    admitted_ed = min(applicants_ed, round(seats * rng.uniform(0.3, 0.55)))
    return LotteryRow(s.school_id, seats, applicants_ed, applicants_non_ed, admitted_ed,
                      min(applicants_non_ed, seats - admitted_ed))
