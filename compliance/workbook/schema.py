"""Template v1 of the submission workbook: THE one definition of its sheets and columns.

The blank template (:mod:`.template`), the reader and its validation messages
(:mod:`.reader`) and the column reference ``docs/workbook-columns.md``
(:func:`.reference_docs.columns_markdown`) are all derived from the declarations below.
Change a column here and every one of them follows. What the numbers mean is in
:mod:`.definitions`, the problem codes in :mod:`.problem_codes`.

No Django here: the web app, the worker and ``manage.py evaluate`` share it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from compliance.rules.model import ASSIGNMENT_METHODS, GRADES, RACE_GROUPS

TEMPLATE_VERSION = 1

# Column kinds. Each maps to one converter in the reader and one cell format in the template.
ID = "id"  # text, leading zeros kept; a numeric cell 12.0 reads as "12"
TEXT = "text"
GRADE = "grade"  # PK, K, 1..12
YN = "yn"  # Y / N
METHOD = "method"  # one of ASSIGNMENT_METHODS
INT = "integer"
NUMBER = "number"
MONEY = "money"  # number, or text like "$1,234.50"
YEAR = "school_year"  # text YYYY-YY
EMAIL = "email"

KIND_LABELS: dict[str, str] = {
    ID: "text (id)",
    TEXT: "text",
    GRADE: "grade: `PK`, `K`, `1`..`12`",
    YN: "`Y` / `N`",
    METHOD: "code: " + ", ".join(f"`{m}`" for m in ASSIGNMENT_METHODS),
    INT: "whole number",
    NUMBER: "number",
    MONEY: "money (USD)",
    YEAR: "text `YYYY-YY`",
    EMAIL: "email address",
}

# The longest value of each text kind. A name is a label on a page: no school's runs to hundreds of
# characters, and one of thousands (a paste gone wrong, or a hostile file) would make every table
# that prints it slow to lay out. Longer prose has its own limit (proposed_change_description).
# Ids: the records' school_id and state_id columns hold 32 (a test keeps the two equal).
MAX_CHARS: dict[str, int] = {ID: 32, TEXT: 200, EMAIL: 254}

# Allowed codes of the coded kinds, in display order (drop-downs use this order).
CODES: dict[str, tuple[str, ...]] = {
    GRADE: GRADES,
    YN: ("Y", "N"),
    METHOD: ASSIGNMENT_METHODS,
}


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: str
    required: bool
    help: str
    minimum: float | None = None
    min_exclusive: bool = False  # True: value must be > minimum
    maximum: float | None = None
    # Upper bound given by another column of the same row (e.g. econ_disadvantaged <= enrollment_total).
    at_most_column: str | None = None
    at_most_code: str = "DATA-29"  # the problem code when at_most_column is exceeded
    default: float | None = None
    rule: str = ""  # extra rule text for the docs and the Instructions sheet
    max_chars: int | None = None  # a text column's length limit, when not its kind's (MAX_CHARS)
    read: bool = True  # False: kept for the district's own reference, never read (so never limited)

    @property
    def codes(self) -> tuple[str, ...] | None:
        return CODES.get(self.kind)

    @property
    def char_limit(self) -> int | None:
        """The most characters a value of this text column may have; None for other kinds."""
        return (self.max_chars or MAX_CHARS.get(self.kind)) if self.read else None

    def range_text(self) -> str:
        parts: list[str] = []
        if self.minimum is not None:
            parts.append(f"> {number_text(self.minimum)}" if self.min_exclusive else f">= {number_text(self.minimum)}")
        if self.maximum is not None:
            parts.append(f"<= {number_text(self.maximum)}")
        if self.at_most_column:
            parts.append(f"<= {self.at_most_column}")
        if self.char_limit:
            parts.append(f"at most {self.char_limit:,} characters")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Sheet:
    name: str
    # "required": blocks evaluation when missing; "resources": missing is a warning;
    # "optional": may be left out.
    presence: str
    help: str
    columns: tuple[Column, ...]
    # "table": header row then one row per school; "fields": two columns, field and value.
    layout: str = "table"
    # Columns the template prefills; a row holding nothing else counts as empty.
    prefilled: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()  # sheet-level rules, for the docs

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def required(self) -> bool:
        return self.presence == "required"


def number_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _count(name: str, help: str, *, required: bool = True, at_most: str | None = None) -> Column:
    return Column(name, INT, required, help, minimum=0, at_most_column=at_most)


_RACE_HELP: dict[str, str] = {
    "hispanic": "Students reported as Hispanic/Latino of any race.",
    "american_indian": "Students reported as American Indian or Alaska Native (not Hispanic).",
    "asian": "Students reported as Asian (not Hispanic).",
    "black": "Students reported as Black or African American (not Hispanic).",
    "pacific_islander": "Students reported as Native Hawaiian or Other Pacific Islander (not Hispanic).",
    "white": "Students reported as White (not Hispanic).",
    "two_or_more": "Students reported as two or more races (not Hispanic).",
}

_SCHOOL_ID = Column(
    "school_id", ID, True, "The state's school id, as text; keep leading zeros.", rule="unique in the sheet"
)
_ENROLLMENT_COLUMNS: tuple[Column, ...] = (
    Column("enrollment_total", INT, True, "All students enrolled on the count date.", minimum=0),
    *(
        Column(r, INT, True, _RACE_HELP[r], minimum=0, rule="the seven race columns add up to enrollment_total")
        for r in RACE_GROUPS
    ),
    _count(
        "econ_disadvantaged",
        "Economically disadvantaged students (as the state defines them).",
        at_most="enrollment_total",
    ),
)

DISTRICT = Sheet(
    "District",
    "required",
    "Who is submitting: one field per row, name in column A (field), value in column B (value).",
    (
        Column("district_id", ID, True, "The state's district id.", rule="must match a district you may submit for"),
        Column("district_name", TEXT, True, "The district's name."),
        Column(
            "school_year",
            YEAR,
            True,
            "The school year of this submission, e.g. 2026-27.",
            rule="must match the reporting cycle",
        ),
        Column("template_version", INT, True, "Leave as 1 (the version of this template).", rule="must be 1"),
        Column("contact_name", TEXT, True, "The person the state may contact about this submission."),
        Column("contact_email", EMAIL, True, "That person's email address.", rule="must be a valid email address"),
        Column(
            "proposed_change_description",
            TEXT,
            False,
            "What the proposed change to school assignments is (needed when the Proposed sheet has rows).",
            rule="required when the Proposed sheet has rows",
            max_chars=5000,
        ),
    ),
    layout="fields",
)

SCHOOLS = Sheet(
    "Schools",
    "required",
    "One row per school operating this year.",
    (
        _SCHOOL_ID,
        Column("school_name", TEXT, True, "The school's name."),
        Column("grade_low", GRADE, True, "Lowest grade served: PK, K or 1..12."),
        Column("grade_high", GRADE, True, "Highest grade served: PK, K or 1..12.", rule="grade_low <= grade_high"),
        Column("title_i", YN, True, "Y if the school receives Title I, Part A funds, else N."),
        Column("assignment_method", METHOD, True, "How students are assigned to the school."),
        *_ENROLLMENT_COLUMNS,
        _count("english_learners", "English learners (optional).", required=False, at_most="enrollment_total"),
        _count(
            "students_with_disabilities",
            "Students with disabilities served under IDEA (optional).",
            required=False,
            at_most="enrollment_total",
        ),
        Column(
            "capacity",
            INT,
            False,
            "Seats the building holds (optional; used by remedy estimates).",
            minimum=0,
            min_exclusive=True,
        ),
    ),
    prefilled=(),
    rules=(
        "school_id is unique in the sheet",
        "grade_low <= grade_high",
        "hispanic + american_indian + asian + black + pacific_islander + white + two_or_more = enrollment_total",
        "econ_disadvantaged, english_learners, students_with_disabilities <= enrollment_total",
    ),
)

BUDGET = Sheet(
    "Budget",
    "resources",
    "One row per school: teachers and spending. Needed for the resource-equity rules.",
    (
        Column(
            "school_id",
            ID,
            True,
            "The school's id, as on the Schools sheet.",
            rule="must exist in Schools; unique in the sheet",
        ),
        Column("school_name", TEXT, False, "For reference only; not read.", read=False),
        Column("teacher_fte_state_local", NUMBER, True, "FTE teachers paid from state and local funds.", minimum=0),
        Column(
            "teacher_fte_inexperienced",
            NUMBER,
            True,
            "FTE of teachers in their first or second year.",
            minimum=0,
            at_most_column="teacher_fte_state_local",
            at_most_code="DATA-38",
        ),
        Column(
            "teacher_fte_out_of_field",
            NUMBER,
            False,
            "FTE of teachers teaching outside their certification field (optional).",
            minimum=0,
            at_most_column="teacher_fte_state_local",
            at_most_code="DATA-38",
        ),
        Column(
            "personnel_state_local", MONEY, True, "State and local personnel spending at the school, USD.", minimum=0
        ),
        Column(
            "nonpersonnel_state_local",
            MONEY,
            True,
            "State and local non-personnel spending at the school, USD.",
            minimum=0,
        ),
        Column("federal", MONEY, True, "All federal spending at the school, USD.", minimum=0),
    ),
    prefilled=("school_id", "school_name"),
    rules=("A row with only school_id and school_name filled in is treated as empty.",),
)

PROPOSED = Sheet(
    "Proposed",
    "optional",
    "A proposed change to school assignments: each school's projected enrollment after the change. "
    "A school left out is unchanged; a new school_id is a school the change opens; "
    "enrollment_total 0 is a school the change closes.",
    (
        _SCHOOL_ID,
        Column("school_name", TEXT, False, "Blank means unchanged; required for a school the change opens."),
        Column("grade_low", GRADE, False, "Blank means unchanged; required for a school the change opens."),
        Column("grade_high", GRADE, False, "Blank means unchanged; required for a school the change opens."),
        Column("title_i", YN, False, "Blank means unchanged."),
        Column("assignment_method", METHOD, False, "Blank means unchanged; required for a school the change opens."),
        *_ENROLLMENT_COLUMNS,
    ),
    rules=(
        "school_id is unique in the sheet",
        "the seven race columns add up to enrollment_total; econ_disadvantaged <= enrollment_total",
        "a school_id not in Schools needs school_name, grade_low, grade_high and assignment_method",
        "the District field proposed_change_description is required when this sheet has rows",
    ),
)

LOTTERY = Sheet(
    "Lottery",
    "optional",
    "Socioeconomic admission lotteries: one row per school admitting by lottery.",
    (
        Column(
            "school_id",
            ID,
            True,
            "The school's id, as on the Schools sheet.",
            rule="must exist in Schools; unique in the sheet",
        ),
        Column("seats", INT, True, "Seats offered by lottery.", minimum=0, min_exclusive=True),
        Column("applicants_ed", INT, True, "Applicants in the economically disadvantaged pool.", minimum=0),
        Column("applicants_non_ed", INT, True, "Applicants in the other pool.", minimum=0),
        Column(
            "admitted_ed",
            INT,
            True,
            "Admitted from the economically disadvantaged pool.",
            minimum=0,
            at_most_column="applicants_ed",
            at_most_code="DATA-39",
        ),
        Column(
            "admitted_non_ed",
            INT,
            True,
            "Admitted from the other pool.",
            minimum=0,
            at_most_column="applicants_non_ed",
            at_most_code="DATA-39",
        ),
        Column(
            "target_ed_share",
            NUMBER,
            False,
            "Target share of seats for ED students, 0..1 (blank means 0.5).",
            minimum=0,
            maximum=1,
            default=0.5,
        ),
    ),
    rules=("admitted_ed + admitted_non_ed <= seats",),
)

SHEETS: tuple[Sheet, ...] = (DISTRICT, SCHOOLS, BUDGET, PROPOSED, LOTTERY)
INSTRUCTIONS_SHEET = "Instructions"  # written by the template, ignored by the reader


def normalize_name(text: str) -> str:
    """How sheet names, headers and coded values are compared: case does not matter, nor the
    difference between space, hyphen and underscore, nor any of them at either end ("Schools_",
    "school_id_" and " _other_" are "schools", "school_id" and "other")."""
    return _SEP.sub("_", text.lower()).strip("_")


_SEP = re.compile(r"[\s\-_]+")

SHEETS_BY_KEY: dict[str, Sheet] = {normalize_name(s.name): s for s in SHEETS}
