"""Template v1 of the submission workbook: THE one definition.

The blank template (:mod:`.template`), the reader and its validation messages
(:mod:`.reader`) and the column reference ``docs/workbook-columns.md``
(:func:`columns_markdown`) are all derived from the declarations below. Change a
column here and every one of them follows.

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

    @property
    def codes(self) -> tuple[str, ...] | None:
        return CODES.get(self.kind)

    def range_text(self) -> str:
        parts: list[str] = []
        if self.minimum is not None:
            parts.append(f"> {number_text(self.minimum)}" if self.min_exclusive else f">= {number_text(self.minimum)}")
        if self.maximum is not None:
            parts.append(f"<= {number_text(self.maximum)}")
        if self.at_most_column:
            parts.append(f"<= {self.at_most_column}")
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
        Column("school_name", TEXT, False, "For reference only; not read."),
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
    """How sheet names, headers and coded values are compared: case, edge spaces and
    the difference between space, hyphen and underscore do not matter."""
    return _SEP.sub("_", text.strip().lower())


_SEP = re.compile(r"[\s\-_]+")

SHEETS_BY_KEY: dict[str, Sheet] = {normalize_name(s.name): s for s in SHEETS}


# --------------------------------------------------------------------------------------
# What the numbers mean, for the people who fill the template: the Instructions sheet,
# the cells' input prompts and ``docs/workbook-definitions.md`` all quote these.
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Definition:
    term: str
    text: str
    columns: tuple[str, ...]  # the columns it governs (their input prompts point here)


_COUNTS = ("enrollment_total", *RACE_GROUPS, "econ_disadvantaged", "english_learners", "students_with_disabilities")

DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "Count date",
        "The student counts (enrollment_total, the seven race columns, econ_disadvantaged, english_learners, "
        "students_with_disabilities) are of the students enrolled on the state's official count day: October 1 "
        "of the school year, unless the state sets another count date. Count each student once, at the school the "
        "student attends on that day. The Proposed sheet projects the same counts after the change.",
        _COUNTS,
    ),
    Definition(
        "Economically disadvantaged",
        "The students the state counts as economically disadvantaged in its accountability reporting (for example "
        "directly certified for SNAP or TANF, or eligible for free or reduced-price meals). Use the same definition "
        "for every school.",
        ("econ_disadvantaged",),
    ),
    Definition(
        "Teachers",
        "Classroom teachers of record, counted in full-time equivalents (FTE: a full-time teacher is 1.0, a "
        "half-time teacher 0.5), as assigned on the count date. Counselors, librarians, coaches, paraprofessionals, "
        "substitutes and administrators are not teachers here. teacher_fte_state_local is the FTE paid from state "
        "and local funds; FTE paid from federal funds (Title I, IDEA and others) is left out.",
        ("teacher_fte_state_local", "teacher_fte_inexperienced", "teacher_fte_out_of_field"),
    ),
    Definition(
        "First- or second-year teachers",
        "teacher_fte_inexperienced is the state/local-funded FTE of teachers in their first or second year of "
        "teaching anywhere (any school, district or state, public or private), not their first years at this "
        "school or district. They are part of teacher_fte_state_local and are counted in both columns.",
        ("teacher_fte_inexperienced",),
    ),
    Definition(
        "Out-of-field teachers",
        "teacher_fte_out_of_field is the state/local-funded FTE of teachers teaching a subject or grade for which "
        "they do not hold the state's certification. They are part of teacher_fte_state_local as well.",
        ("teacher_fte_out_of_field",),
    ),
    Definition(
        "Personnel spending",
        "personnel_state_local is the school year's salaries and benefits (health insurance, retirement "
        "contributions, payroll taxes) of all staff working at the school, not only teachers, paid from state and "
        "local funds. Split staff who serve several schools by their time at each; leave out district-office staff "
        "not assigned to a school.",
        ("personnel_state_local",),
    ),
    Definition(
        "Non-personnel and federal spending",
        "nonpersonnel_state_local is the school year's state and local spending at the school on everything "
        "except salaries and benefits (supplies, materials, equipment, contracted services). federal is all "
        "federal funds spent at the school, personnel and non-personnel together. In all three spending columns "
        "leave out capital construction and debt service.",
        ("nonpersonnel_state_local", "federal"),
    ),
)


def definitions_for(column: str) -> tuple[Definition, ...]:
    return tuple(d for d in DEFINITIONS if column in d.columns)


def definitions_markdown() -> str:
    """The definitions ``docs/workbook-definitions.md``, generated from this module."""
    out: list[str] = [
        f"# Workbook template v{TEMPLATE_VERSION}: definitions",
        "",
        "<!-- Generated by compliance.workbook.schema.definitions_markdown(); do not edit by hand. -->",
        "",
        "What the template's counts and amounts mean. The template's Instructions sheet carries the same "
        "text; the columns are described in `workbook-columns.md`.",
        "",
    ]
    for d in DEFINITIONS:
        out += [f"## {d.term}", "", d.text, "", "Columns: " + ", ".join(f"`{c}`" for c in d.columns) + ".", ""]
    return "\n".join(out)


# --------------------------------------------------------------------------------------
# Problem codes. DATA-01..DATA-39 are the reader's; DATA-40 and up belong to the
# plausibility checks elsewhere. Each code: default severity, what it means, what to do.
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DataCode:
    code: str
    severity: str
    title: str
    fix: str


def _codes(*items: tuple[str, str, str, str]) -> dict[str, DataCode]:
    return {c: DataCode(c, s, t, f) for c, s, t, f in items}


_NEW_TEMPLATE = "Download a fresh template, copy your data into it and save it as an Excel Workbook (.xlsx)."

DATA_CODES: dict[str, DataCode] = _codes(
    # The file itself. Each of these is the only problem reported: nothing else was read.
    ("DATA-01", "error", "The file is empty.",
     "Upload the filled-in template workbook; the file you sent has no content."),
    ("DATA-02", "error", "The file is larger than the upload limit.",
     "Remove pictures, unused sheets and formatting and save again; a district's data fits well under the limit."),
    ("DATA-03", "error", "The file is an old-format Excel 97-2003 workbook (.xls).",
     "Open it in Excel and use File > Save As > Excel Workbook (.xlsx)."),
    ("DATA-04", "error", "The file is password-protected (encrypted).",
     "Remove the password (File > Info > Protect Workbook > Encrypt with Password, clear it), save and upload again."),
    ("DATA-05", "error", "The file is a macro-enabled workbook (.xlsm).",
     "Save it as Excel Workbook (.xlsx), which drops the macros; the template needs none."),
    ("DATA-06", "error", "The file is an Excel binary workbook (.xlsb).", "Save it as Excel Workbook (.xlsx)."),
    ("DATA-07", "error", "The file is an OpenDocument spreadsheet (.ods).",
     "In LibreOffice use File > Save As and choose Excel 2007-365 (.xlsx)."),
    ("DATA-08", "error", "The file is not an Excel workbook (for example a CSV or PDF renamed to .xlsx).",
     _NEW_TEMPLATE),
    ("DATA-09", "error", "The file is damaged or incomplete and cannot be read.",
     "Open the file in Excel to check it, save it again as .xlsx and upload that copy."),
    ("DATA-10", "error", "The file unpacks to far more data than a submission can hold (a possible zip bomb).",
     _NEW_TEMPLATE),
    ("DATA-11", "error", "The file contains XML entity declarations, which a spreadsheet never needs.", _NEW_TEMPLATE),
    ("DATA-12", "error", "A sheet is wider than the template allows.",
     "Delete the extra columns to the right of the data (select them, right-click, Delete) and save."),
    ("DATA-13", "error", "A sheet has more rows than the limit.",
     "Delete empty or extra rows below your data; submit one row per school."),
    ("DATA-14", "error", "Reading the file took too long or too much memory.",
     "Remove extra sheets, formatting and empty rows, save and upload again."),
    # Sheets and columns.
    ("DATA-15", "error", "A required sheet is missing or has no rows.",
     "Add the sheet with the name shown, or start from a fresh template."),
    ("DATA-16", "warning", "The Budget sheet is missing or empty: the resource-equity rules cannot run.",
     "Fill in the Budget sheet to have teacher and spending equity checked."),
    ("DATA-17", "warning", "A sheet is not part of the template and was not read.",
     "Move its data into the template's sheets, or delete it."),
    ("DATA-18", "error", "A required column is missing.",
     "Add the column with the header shown in row 1, or start from a fresh template."),
    ("DATA-19", "warning", "A column or field is not part of the template and was not read.",
     "Rename it to the template's header if it holds template data, or delete it."),
    ("DATA-20", "error", "The same sheet, column or field appears twice.",
     "Keep one column with this header and delete or rename the other."),
    # Cells.
    ("DATA-21", "error", "A required value is blank.", "Fill in the cell."),
    ("DATA-22", "error", "The value is not a number of the right kind.",
     "Enter a plain number (a whole number for counts), without letters or notes."),
    ("DATA-23", "error", "The value is outside the allowed range.", "Correct the value to the range shown."),
    ("DATA-24", "error", "The value is not one of the allowed codes.",
     "Pick one of the allowed values from the cell's drop-down list."),
    ("DATA-25", "error", "The cell holds a formula with no saved result, or an Excel error such as #DIV/0!.",
     "Open the workbook in Excel or LibreOffice so the formulas are calculated, save, and upload again (or paste "
     "values)."),
    ("DATA-26", "error", "The same school_id appears twice in the sheet.",
     "Give each school one row; remove or correct the duplicate."),
    ("DATA-27", "error", "grade_low is above grade_high.",
     "Swap or correct the grades: grade_low is the lowest grade served."),
    ("DATA-28", "error", "The seven race columns do not add up to enrollment_total.",
     "Correct the race counts or enrollment_total so that they add up."),
    ("DATA-29", "error", "A subgroup count is larger than enrollment_total.",
     "A subgroup cannot be larger than the whole school: correct the count."),
    # The District sheet.
    ("DATA-30", "error", "A required District field is missing or blank.",
     "Fill in the field in the District sheet (field name in column A, value in column B)."),
    ("DATA-31", "error", "template_version is not 1.",
     "Use the current template (version 1) and leave template_version as 1."),
    ("DATA-32", "error", "school_year is not written as YYYY-YY.",
     "Write the school year as e.g. 2026-27 (a year and the next year's last two digits)."),
    ("DATA-33", "error", "school_year is not the year of this reporting cycle.",
     "Submit the workbook for the cycle's school year, or choose the right cycle."),
    ("DATA-34", "error", "district_id is not a district you may submit for.",
     "Check the district id in the District sheet against the district you are submitting for."),
    ("DATA-35", "error", "contact_email is not a valid email address.", "Enter an address like name@district.k12.us."),
    ("DATA-36", "error", "The Proposed sheet has rows but proposed_change_description is blank.",
     "Describe the proposed change in the District field proposed_change_description."),
    # Across sheets.
    ("DATA-37", "error", "The school_id is not on the Schools sheet.",
     "Use the school's id exactly as on the Schools sheet, or add the school there."),
    ("DATA-38", "error", "More inexperienced or out-of-field teacher FTE than state/local teacher FTE.",
     "These teachers are part of teacher_fte_state_local: correct either number."),
    ("DATA-39", "error", "Lottery admissions exceed the applicants or the seats offered.",
     "Admitted students cannot outnumber the applicants of their pool, and admitted_ed + admitted_non_ed cannot "
     "exceed seats: correct the counts."),
)


def column_type_text(col: Column) -> str:
    return KIND_LABELS[col.kind]


def columns_markdown() -> str:
    """The column reference ``docs/workbook-columns.md``, generated from this module."""
    out: list[str] = [
        f"# Workbook template v{TEMPLATE_VERSION}: column reference",
        "",
        "<!-- Generated by compliance.workbook.schema.columns_markdown(); do not edit by hand. -->",
        "",
        "Sheet names and headers are matched case-insensitively, ignoring leading and trailing "
        "spaces and treating spaces, hyphens and underscores alike. Column order is free. "
        "Coded values are matched the same way. Numbers stored as text are read as numbers; "
        "money may be written like `$1,234.50`. Empty rows are skipped.",
        "",
        "What the counts and amounts mean (the count date, which staff are teachers, what spending "
        "includes): `workbook-definitions.md`.",
        "",
    ]
    presence_text = {
        "required": "required",
        "resources": "required for the resource-equity rules (missing: warning)",
        "optional": "optional",
    }
    for sheet in SHEETS:
        out.append(f"## Sheet `{sheet.name}` ({presence_text[sheet.presence]})")
        out.append("")
        out.append(sheet.help)
        out.append("")
        first = "field" if sheet.layout == "fields" else "column"
        out.append(f"| {first} | type | required | rule | help |")
        out.append("|---|---|---|---|---|")
        for col in sheet.columns:
            rule = "; ".join(x for x in (col.range_text(), col.rule) if x)
            if col.default is not None:
                rule = "; ".join(x for x in (rule, f"default {number_text(col.default)}") if x)
            out.append(
                f"| `{col.name}` | {column_type_text(col)} | {'yes' if col.required else 'no'} | {rule} | {col.help} |"
            )
        out.append("")
        if sheet.rules:
            out.append("Rules:")
            out.append("")
            out.extend(f"- {r}" for r in sheet.rules)
            out.append("")
    out.append("## Problem codes")
    out.append("")
    out.append("| code | severity | meaning | what to do |")
    out.append("|---|---|---|---|")
    for dc in DATA_CODES.values():
        out.append(f"| {dc.code} | {dc.severity} | {dc.title} | {dc.fix} |")
    out.append("")
    return "\n".join(out)
