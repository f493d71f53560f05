"""Plain data passed between the workbook reader, the measures, the rules and the reports.

Everything in ``compliance.rules`` works on these dataclasses only: no Django, so the
same evaluation runs in the worker, in ``manage.py evaluate`` and in tests.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Grade levels in order; PK and K count as grades (docs/measures.md, "Grade bands").
GRADES: tuple[str, ...] = ("PK", "K", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12")
GRADE_INDEX: dict[str, int] = {g: i for i, g in enumerate(GRADES)}

# Federal race/ethnicity categories, in the Schools sheet's column order (docs/measures.md, "Groups").
RACE_GROUPS: tuple[str, ...] = (
    "hispanic",
    "american_indian",
    "asian",
    "black",
    "pacific_islander",
    "white",
    "two_or_more",
)

ASSIGNMENT_METHODS: tuple[str, ...] = (
    "attendance_zone",
    "grade_center",
    "choice_lottery",
    "magnet",
    "controlled_choice",
    "other",
)

BANDS: tuple[str, ...] = ("elementary", "middle", "high")
# Inclusive grade-index ranges of each band: PK..5, 6..8, 9..12 (docs/measures.md, "Grade bands").
BAND_GRADES: dict[str, tuple[int, int]] = {
    "elementary": (GRADE_INDEX["PK"], GRADE_INDEX["5"]),
    "middle": (GRADE_INDEX["6"], GRADE_INDEX["8"]),
    "high": (GRADE_INDEX["9"], GRADE_INDEX["12"]),
}

SEVERITIES: tuple[str, ...] = ("error", "finding", "warning", "info")
SCOPES: tuple[str, ...] = ("school", "band", "district", "lottery")


def school_band(grade_low: str, grade_high: str) -> str:
    """The band holding most of the school's grade levels; a tie goes to the lower band."""
    lo, hi = GRADE_INDEX[grade_low], GRADE_INDEX[grade_high]
    best, best_count = BANDS[0], -1
    for band in BANDS:  # in order, so strict ">" keeps the lower band on a tie
        b_lo, b_hi = BAND_GRADES[band]
        count = max(0, min(hi, b_hi) - max(lo, b_lo) + 1)
        if count > best_count:
            best, best_count = band, count
    return best


@dataclass(slots=True)
class DistrictInfo:
    """The District sheet's fields (docs/workbook.md, "Sheet `District`")."""

    district_id: str
    district_name: str
    school_year: str
    template_version: int
    contact_name: str
    contact_email: str
    proposed_change_description: str | None = None


@dataclass(slots=True)
class SchoolRow:
    """One row of the ``Schools`` sheet, already validated and normalized."""

    school_id: str
    school_name: str
    grade_low: str
    grade_high: str
    title_i: bool
    assignment_method: str
    enrollment_total: int
    hispanic: int
    american_indian: int
    asian: int
    black: int
    pacific_islander: int
    white: int
    two_or_more: int
    econ_disadvantaged: int
    english_learners: int | None = None
    students_with_disabilities: int | None = None
    capacity: int | None = None
    row: int | None = None  # Excel row number, for messages

    @property
    def band(self) -> str:
        return school_band(self.grade_low, self.grade_high)


@dataclass(slots=True)
class ProposedRow:
    """One row of the ``Proposed`` sheet. ``None`` in name/grades/method means unchanged."""

    school_id: str
    enrollment_total: int
    hispanic: int
    american_indian: int
    asian: int
    black: int
    pacific_islander: int
    white: int
    two_or_more: int
    econ_disadvantaged: int
    school_name: str | None = None
    grade_low: str | None = None
    grade_high: str | None = None
    title_i: bool | None = None
    assignment_method: str | None = None
    row: int | None = None


@dataclass(slots=True)
class BudgetRow:
    """One row of the ``Budget`` sheet (docs/workbook.md, "Sheet `Budget`"); money in USD."""

    school_id: str
    teacher_fte_state_local: float
    teacher_fte_inexperienced: float
    personnel_state_local: float
    nonpersonnel_state_local: float
    federal: float
    teacher_fte_out_of_field: float | None = None
    row: int | None = None


@dataclass(slots=True)
class LotteryRow:
    """One row of the ``Lottery`` sheet (docs/workbook.md, "Sheet `Lottery`")."""

    school_id: str
    seats: int
    applicants_ed: int
    applicants_non_ed: int
    admitted_ed: int
    admitted_non_ed: int
    target_ed_share: float = 0.5
    row: int | None = None


@dataclass(slots=True)
class DataProblem:
    """A data problem (DATA-nn). ``row`` is the row number as Excel shows it."""

    code: str
    severity: str  # "error" blocks evaluation, "warning" does not
    sheet: str | None
    row: int | None
    column: str | None
    value: Any
    message: str
    fix: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": _jsonable(self.value),
            "message": self.message,
            "fix": self.fix,
        }


@dataclass(slots=True)
class WorkbookData:
    """What the reader hands to the rules: the normalized sheets plus every problem found."""

    district: DistrictInfo | None = None
    schools: list[SchoolRow] = field(default_factory=list)
    budget: list[BudgetRow] = field(default_factory=list)
    proposed: list[ProposedRow] | None = None  # None: no Proposed sheet
    lottery: list[LotteryRow] = field(default_factory=list)
    problems: list[DataProblem] = field(default_factory=list)
    has_budget_sheet: bool = False
    # The District sheet's identity fields as far as they could be read, even when the sheet
    # has errors (then ``district`` is None): a rejected workbook still says whose it is.
    district_identity: dict[str, Any] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


@dataclass(slots=True)
class RuleRecommendation:
    """A library entry as it applies to one finding: filled-in text and its remedy estimate."""

    key: str
    title: str
    estimate: dict[str, Any] | None = None
    body: str = ""
    sources: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "estimate": self.estimate,
            "body": self.body,
            "sources": list(self.sources),
        }


@dataclass(slots=True)
class RuleFinding:
    """One result of a rule (docs/rules.md, "Every finding carries")."""

    rule: str  # e.g. "INT-01"
    severity: str  # one of SEVERITIES
    scope: str  # one of SCOPES
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    school_id: str | None = None
    band: str | None = None
    rule_version: str = "1"
    recommendations: list[RuleRecommendation] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "rule_version": self.rule_version,
            "severity": self.severity,
            "scope": self.scope,
            "school_id": self.school_id,
            "band": self.band,
            "message": self.message,
            "evidence": self.evidence,
            "recommendations": [r.as_json() for r in self.recommendations],
        }


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
