"""A small district for the comparability worksheet, with every case worked out by hand (used by the rules' and
the report's tests).

Elementary: non-Title I A, B (the staff pool), C (no teachers: in the spending pool, out of the staff pool),
S (small: exempt, in no pool); Title I T1 (comparable), T2 (neither test met), T3 (no teachers), T4 (small);
X (Title I, no Budget row: not counted at all) and Z (no pupils: not counted).
Middle: every school of at least 100 pupils is Title I, so the band pools them (N, a small non-Title I
school, is exempt and does not change that). High: one school.
"""
from __future__ import annotations

from compliance.rules.model import BudgetRow, SchoolRow, WorkbookData

from .test_resources import budget, school

# (id, name, band, title I, pupils, state/local teacher FTE, state/local dollars); FTE None: no Budget row.
DISTRICT: list[tuple[str, str, str, bool, int, float | None, float]] = [
    ("A", "Aspen Elementary", "elementary", False, 400, 20, 3_600_000),  # 20 per teacher, $9,000
    ("B", "Birch Elementary", "elementary", False, 200, 10, 2_000_000),  # 20, $10,000
    ("C", "Cedar Elementary", "elementary", False, 150, 0, 1_500_000),  # no teachers, $10,000
    ("S", "Sumac Elementary", "elementary", False, 60, 2, 900_000),  # 30, $15,000; under 100
    ("T1", "Tulip Elementary", "elementary", True, 300, 15, 2_850_000),  # 20, $9,500
    ("T2", "Teak Elementary", "elementary", True, 250, 10, 2_000_000),  # 25, $8,000
    ("T3", "Thistle Elementary", "elementary", True, 120, 0, 1_200_000),  # no teachers, $10,000
    ("T4", "Thyme Elementary", "elementary", True, 8, 1, 40_000),  # 8 per teacher, $5,000; under 100 (and 10)
    ("X", "Xylem Elementary", "elementary", True, 300, None, 0),
    ("Z", "Zinnia Elementary", "elementary", False, 0, 5, 100_000),
    ("M1", "Maple Middle", "middle", True, 500, 25, 5_000_000),  # 20, $10,000
    ("M2", "Magnolia Middle", "middle", True, 300, 10, 2_400_000),  # 30, $8,000
    ("N", "Nettle Middle", "middle", False, 50, 5, 1_000_000),  # 10, $20,000; under 100
    ("H", "Hawthorn High", "high", True, 900, 30, 8_100_000),  # 30, $9,000
]

# Staff (RES-01, limit 110%): elementary pool A + B = 600 / 30 = 20, threshold 22; middle pool M1 + M2 =
# 800 / 35, threshold 1.1 x 800 / 35 = 25.142857...
# Spending (RES-02, limit 90%): elementary pool A + B + C = 7,100,000 / 750 = 9,466.67, threshold 8,520;
# middle pool M1 + M2 = 7,400,000 / 800 = 9,250, threshold 8,325.
STAFF = {"elementary": (20.0, 22.0, 2), "middle": (800 / 35, 1.1 * 800 / 35, 2)}
SPENDING = {"elementary": (7_100_000 / 750, 8_520.0, 3), "middle": (9_250.0, 8_325.0, 2)}
GROUP = {"elementary": "non_title_i", "middle": "band"}

# Each counted school's status: (staff, spending).
STATUS = {
    "A": ("not_title_i", "not_title_i"),
    "B": ("not_title_i", "not_title_i"),
    "C": ("not_title_i", "not_title_i"),
    "S": ("exempt_small", "exempt_small"),
    "T1": ("comparable", "comparable"),
    "T2": ("not_comparable", "not_comparable"),
    "T3": ("not_comparable", "comparable"),
    "T4": ("exempt_small", "exempt_small"),
    "M1": ("comparable", "comparable"),
    "M2": ("not_comparable", "not_comparable"),
    "N": ("exempt_small", "exempt_small"),
    "H": ("exempt_alone", "exempt_alone"),
}
# Pool membership: (staff, spending).
POOLS = {"A": (True, True), "B": (True, True), "C": (False, True), "M1": (True, True), "M2": (True, True)}


def district() -> tuple[list[SchoolRow], list[BudgetRow]]:
    schools = [school(sid, n, title_i=t1, band=band, name=name) for sid, name, band, t1, n, _, _ in DISTRICT]
    budgets = [budget(sid, fte=fte, dollars=dollars) for sid, _, _, _, _, fte, dollars in DISTRICT if fte is not None]
    return schools, budgets


def district_workbook() -> WorkbookData:
    schools, budgets = district()
    return WorkbookData(schools=schools, budget=budgets, has_budget_sheet=True)
