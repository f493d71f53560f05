"""Deterministic, real-looking demo districts of four shapes (no Django).

Used by ``seed_demo`` to fill the directory and write sample workbooks, and by tests that
need a whole district. Numbers are synthetic but shaped like real Mississippi districts:
race shares, economic disadvantage correlated with race in zoned districts, staffing ratios
of 13 to 18 students per teacher, and about $9,000 of state/local money per pupil.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from openpyxl import load_workbook

from compliance.rules.model import (
    RACE_GROUPS,
    BudgetRow,
    DistrictInfo,
    LotteryRow,
    ProposedRow,
    SchoolRow,
    WorkbookData,
)
from compliance.workbook.template import write_workbook

DEMO_STATE = "MS"
SALARY = 56_000.0


@dataclass(frozen=True)
class DemoDistrict:
    key: str
    state_id: str
    nces_id: str
    name: str
    region: str
    description: str


DEMO_DISTRICTS: tuple[DemoDistrict, ...] = (
    DemoDistrict("grade_center", "2521", "2801020", "Magnolia Grove Public School District", "Central",
                 "Small district organized in grade centers (K-1, 2-3, 4-5, 6, 7-8, 9, 10-12), as in Clinton."),
    DemoDistrict("lottery", "2560", "2802190", "Trinity Metro School District", "Delta",
                 "Mid-sized district with two-pool socioeconomic lottery schools, magnets and zones."),
    DemoDistrict("zoned", "2611", "2803300", "Riverside County Schools", "South",
                 "Neighborhood attendance zones that follow segregated housing; proposes a rezoning."),
    DemoDistrict("large", "2500", "2800090", "Capital City Public Schools", "Capital",
                 "Large urban district with more than 300 schools."),
)


def school_year_for(today) -> str:
    start = today.year if today.month >= 7 else today.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _split(total: int, shares: dict[str, float]) -> dict[str, int]:
    """Whole counts summing exactly to ``total`` (largest remainders)."""
    norm = sum(shares.values())
    raw = {g: total * shares.get(g, 0.0) / norm for g in RACE_GROUPS}
    counts = {g: int(v) for g, v in raw.items()}
    rest = total - sum(counts.values())
    for g in sorted(RACE_GROUPS, key=lambda g: raw[g] - counts[g], reverse=True)[:rest]:
        counts[g] += 1
    return counts


def _school(sid: str, name: str, lo: str, hi: str, method: str, total: int, black: float, hispanic: float,
            ed_share: float, *, title_i: bool | None = None, capacity: int | None = None) -> SchoolRow:
    asian, two, ai = 0.02, 0.02, 0.004
    white = max(0.0, 1 - black - hispanic - asian - two - ai)
    counts = _split(total, {"black": black, "hispanic": hispanic, "asian": asian, "two_or_more": two,
                            "american_indian": ai, "white": white, "pacific_islander": 0.0})
    ed = min(total, round(total * ed_share))
    return SchoolRow(
        school_id=sid, school_name=name, grade_low=lo, grade_high=hi,
        title_i=title_i if title_i is not None else ed_share >= 0.5,
        assignment_method=method, enrollment_total=total, econ_disadvantaged=ed,
        english_learners=round(total * hispanic * 0.4), students_with_disabilities=round(total * 0.13),
        capacity=capacity, **counts,
    )


def _budget(school: SchoolRow, *, ratio: float, inexperienced: float, ppe_extra: float = 0.0) -> BudgetRow:
    fte = round(school.enrollment_total / ratio, 1)
    personnel = round(fte * SALARY * (1 - 0.12 * inexperienced), 2)
    nonpersonnel = round(school.enrollment_total * (950 + ppe_extra), 2)
    federal = round(school.econ_disadvantaged * (620.0 if school.title_i else 80.0), 2)
    return BudgetRow(
        school_id=school.school_id, teacher_fte_state_local=fte,
        teacher_fte_inexperienced=round(fte * inexperienced, 1), teacher_fte_out_of_field=round(fte * 0.04, 1),
        personnel_state_local=personnel, nonpersonnel_state_local=nonpersonnel, federal=federal,
    )


def _info(d: DemoDistrict, school_year: str, proposed: str | None = None) -> DistrictInfo:
    return DistrictInfo(
        district_id=d.state_id, district_name=d.name, school_year=school_year, template_version=1,
        contact_name="Federal Programs Director", contact_email=f"programs@{d.key.replace('_', '')}.k12.ms.us",
        proposed_change_description=proposed,
    )


def grade_center(d: DemoDistrict, school_year: str) -> WorkbookData:
    spans = [("K", "1", "Eastside K-1 Center"), ("2", "3", "Magnolia 2-3 Center"), ("4", "5", "Northside 4-5 Center"),
             ("6", "6", "Sixth Grade Academy"), ("7", "8", "Magnolia Middle School"), ("9", "9", "Ninth Grade Center"),
             ("10", "12", "Magnolia Grove High School")]
    sizes = [640, 610, 598, 300, 612, 305, 880]
    rng = random.Random(1)  # nosec B311 # seeded demo data, nothing secret
    schools = [
        _school(f"0{100 + i}", name, lo, hi, "grade_center", size, 0.41 + rng.uniform(-0.01, 0.01),
                0.04, 0.44 + rng.uniform(-0.015, 0.015), title_i=False)
        for i, ((lo, hi, name), size) in enumerate(zip(spans, sizes, strict=True))
    ]
    budget = [_budget(s, ratio=15.5, inexperienced=0.1) for s in schools]
    return WorkbookData(district=_info(d, school_year), schools=schools, budget=budget, has_budget_sheet=True)


def lottery(d: DemoDistrict, school_year: str) -> WorkbookData:
    rng = random.Random(2)  # nosec B311 # seeded demo data, nothing secret
    schools: list[SchoolRow] = []
    for i in range(14):
        black = 0.25 + 0.5 * (i / 13)
        schools.append(_school(f"{200 + i}", f"{['Oak', 'Elm', 'Pine', 'Cedar', 'Maple', 'Birch', 'Ash'][i % 7]} "
                               f"{'Park' if i < 7 else 'Hill'} Elementary", "PK", "5", "attendance_zone",
                               rng.randint(380, 560), black, 0.08, 0.3 + 0.45 * (i / 13)))
    for i, name in enumerate(("Trinity Montessori", "Bluff City STEM Academy", "Harbor Arts Elementary")):
        schools.append(_school(f"{230 + i}", name, "K", "5", "choice_lottery", 420, 0.45, 0.08, 0.56, title_i=True))
    for i in range(4):
        schools.append(_school(f"{300 + i}", f"{['Jefferson', 'Lincoln', 'Parks', 'Evers'][i]} Middle School", "6", "8",
                               "attendance_zone", rng.randint(600, 800), 0.3 + 0.15 * i, 0.08, 0.35 + 0.1 * i))
    schools.append(_school("320", "Delta Magnet High School", "9", "12", "magnet", 900, 0.4, 0.07, 0.42))
    schools.append(_school("321", "Trinity Metro High School", "9", "12", "attendance_zone", 1400, 0.55, 0.08, 0.55))
    budget = [_budget(s, ratio=16.0 + (1.5 if s.title_i else 0.0), inexperienced=0.18 if s.title_i else 0.1)
              for s in schools]
    lotteries = [
        # Works as intended: half the seats to each pool.
        LotteryRow("230", seats=100, applicants_ed=180, applicants_non_ed=260, admitted_ed=50, admitted_non_ed=50),
        # ED pool under-admitted while it had enough applicants: INT-06 finding.
        LotteryRow("231", seats=120, applicants_ed=150, applicants_non_ed=300, admitted_ed=42, admitted_non_ed=78),
        # Seats left empty while the ED pool still had applicants: INT-06 finding.
        LotteryRow("232", seats=80, applicants_ed=70, applicants_non_ed=35, admitted_ed=40, admitted_non_ed=35),
    ]
    return WorkbookData(district=_info(d, school_year), schools=schools, budget=budget, lottery=lotteries,
                        has_budget_sheet=True)


ZONED_SCHOOLS = (
    # id, name, grades, total, black, hispanic, ED share, capacity
    ("0311", "North Hills Elementary", "K", "5", 520, 0.08, 0.05, 0.18, 560),
    ("0312", "Lakeview Elementary", "K", "5", 480, 0.12, 0.06, 0.22, 540),
    ("0313", "Pinecrest Elementary", "K", "5", 455, 0.20, 0.07, 0.31, 500),
    ("0314", "Riverside Elementary", "K", "5", 430, 0.46, 0.08, 0.52, 520),
    ("0315", "Southgate Elementary", "K", "5", 410, 0.84, 0.04, 0.81, 480),
    ("0316", "Carver Elementary", "K", "5", 395, 0.93, 0.03, 0.90, 460),
    ("0317", "Douglass Elementary", "K", "5", 380, 0.88, 0.06, 0.86, 450),
    ("0321", "North Middle School", "6", "8", 690, 0.15, 0.06, 0.27, 760),
    ("0322", "South Middle School", "6", "8", 640, 0.80, 0.05, 0.78, 720),
    ("0331", "Riverside High School", "9", "12", 1150, 0.42, 0.06, 0.47, 1300),
)


def zoned(d: DemoDistrict, school_year: str) -> WorkbookData:
    schools = [_school(sid, name, lo, hi, "attendance_zone", total, black, hisp, ed, capacity=cap)
               for sid, name, lo, hi, total, black, hisp, ed, cap in ZONED_SCHOOLS]
    budget = []
    for s in schools:
        poor = s.econ_disadvantaged / s.enrollment_total
        # High-poverty schools here get fewer and newer teachers: the pattern RES rules catch.
        budget.append(_budget(s, ratio=14.0 + 5.0 * poor, inexperienced=0.05 + 0.3 * poor, ppe_extra=-300 * poor))
    # The proposed rezoning pairs north and south elementary zones.
    proposed: list[ProposedRow] = []
    elem = [s for s in schools if s.grade_high == "5"]
    total_elem = sum(s.enrollment_total for s in elem)
    shares = {g: sum(getattr(s, g) for s in elem) / total_elem for g in RACE_GROUPS}
    ed_share = sum(s.econ_disadvantaged for s in elem) / total_elem
    for s in elem:
        mixed = _school(s.school_id, s.school_name, s.grade_low, s.grade_high, s.assignment_method,
                        s.enrollment_total, shares["black"], shares["hispanic"], ed_share)
        proposed.append(ProposedRow(
            school_id=s.school_id, enrollment_total=mixed.enrollment_total,
            econ_disadvantaged=mixed.econ_disadvantaged, **{g: getattr(mixed, g) for g in RACE_GROUPS},
        ))
    info = _info(d, school_year, proposed="Pair the north and south elementary attendance zones (2027-28).")
    return WorkbookData(district=info, schools=schools, budget=budget, proposed=proposed, has_budget_sheet=True)


def large(d: DemoDistrict, school_year: str, n_schools: int = 320) -> WorkbookData:
    rng = random.Random(4)  # nosec B311 # seeded demo data, nothing secret
    schools: list[SchoolRow] = []
    budget: list[BudgetRow] = []
    plan = [("elementary", "PK", "5", 0.62, (320, 650)), ("middle", "6", "8", 0.22, (500, 1000)),
            ("high", "9", "12", 0.16, (900, 2200))]
    n = 0
    # The last band takes what rounding leaves, so the district has exactly n_schools schools.
    counts = [round(n_schools * frac) for *_, frac, _ in plan[:-1]]
    counts.append(n_schools - sum(counts))
    for (band, lo, hi, _frac, (smin, smax)), count in zip(plan, counts, strict=True):
        for _ in range(count):
            n += 1
            black = min(0.97, max(0.02, rng.betavariate(1.4, 0.9)))
            hisp = min(1 - black, rng.uniform(0.01, 0.12))
            ed = min(0.98, max(0.05, 0.15 + 0.8 * black + rng.uniform(-0.1, 0.1)))
            method = rng.choices(["attendance_zone", "magnet", "choice_lottery"], [0.9, 0.07, 0.03])[0]
            # Title I goes to the highest-poverty schools, as ranking by poverty requires.
            school = _school(f"{1000 + n:05d}", f"{band.title()} School {n}", lo, hi, method,
                             rng.randint(smin, smax), black, hisp, ed, title_i=ed >= 0.75)
            schools.append(school)
            budget.append(_budget(school, ratio=rng.uniform(13.5, 18.5), inexperienced=rng.uniform(0.05, 0.3)))
    return WorkbookData(district=_info(d, school_year), schools=schools, budget=budget, has_budget_sheet=True)


BUILDERS: dict[str, Callable[[DemoDistrict, str], WorkbookData]] = {
    "grade_center": grade_center, "lottery": lottery, "zoned": zoned, "large": large,
}


def demo_workbook(key: str, school_year: str) -> WorkbookData:
    district = next(d for d in DEMO_DISTRICTS if d.key == key)
    return BUILDERS[key](district, school_year)


def write_mistakes_sample(path, data: WorkbookData) -> None:
    """The district's workbook with the mistakes districts make most, for demos and training."""
    write_workbook(path, data)
    wb = load_workbook(path)

    def col(ws, header: str) -> int:
        return next(c.column for c in ws[1] if str(c.value).strip().lower() == header)

    schools = wb["Schools"]
    schools.cell(4, col(schools, "black")).value = "12a"  # a typo in a count
    white = schools.cell(5, col(schools, "white"))
    white.value = int(white.value) + 7  # race columns no longer add up to the total
    schools.cell(6, col(schools, "grade_low")).value = "5"
    schools.cell(6, col(schools, "grade_high")).value = "K"  # grades reversed
    schools.cell(7, col(schools, "school_id")).value = schools.cell(2, col(schools, "school_id")).value  # duplicate id
    budget = wb["Budget"]
    extra = budget.max_row + 1
    budget.cell(extra, col(budget, "school_id")).value = "9999"  # a school that is not in Schools
    budget.cell(extra, col(budget, "teacher_fte_state_local")).value = 10
    budget.cell(extra, col(budget, "teacher_fte_inexperienced")).value = 2
    budget.cell(extra, col(budget, "personnel_state_local")).value = "$560,000.00"
    budget.cell(extra, col(budget, "nonpersonnel_state_local")).value = 90000
    budget.cell(extra, col(budget, "federal")).value = 0
    fte = budget.cell(3, col(budget, "teacher_fte_state_local")).value
    budget.cell(3, col(budget, "teacher_fte_inexperienced")).value = float(fte) + 2  # more new teachers than teachers
    district = wb["District"]
    for row in district.iter_rows(min_row=2):
        if str(row[0].value).strip() == "contact_email":
            row[1].value = "programs at riverside"  # not an email address
    wb.save(path)
