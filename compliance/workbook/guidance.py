"""What the template tells the people who fill it: cell prompts, error alerts, filled examples."""
from __future__ import annotations

from .definitions import definitions_for
from .problem_codes import DATA_CODES
from .schema import (
    EMAIL,
    INT,
    MONEY,
    NUMBER,
    TEMPLATE_VERSION,
    YEAR,
    Column,
    number_text,
)

# Excel refuses (as a damaged file) a data validation whose texts are longer than these.
PROMPT_TITLE_MAX = 32
PROMPT_MAX = 255
ERROR_MAX = 225


def input_prompt(col: Column) -> str:
    """The text Excel shows when a cell of the column is selected."""
    parts = [col.help, "Required." if col.required else "Optional."]
    if col.at_most_column:
        parts.append(f"At most {col.at_most_column}.")
    terms = definitions_for(col.name)
    if terms:
        parts.append("See " + ", ".join(f'"{d.term}"' for d in terms) + " on the Instructions sheet.")
    return " ".join(parts)


def error_alert(col: Column) -> str | None:
    """What Excel says when a typed value breaks the column's rule (None: no rule checked in
    Excel). Where the reader has a problem code for it, the alert gives that code's advice."""
    if col.codes:
        return f"{col.name} must be one of: {', '.join(col.codes)}. {DATA_CODES['DATA-24'].fix}"
    if col.kind == YEAR:
        return DATA_CODES["DATA-32"].fix
    if col.kind == EMAIL:
        return DATA_CODES["DATA-35"].fix
    if col.name == "template_version":
        return DATA_CODES["DATA-31"].fix
    if col.kind not in (INT, NUMBER, MONEY) or col.minimum is None:
        return None
    what = {INT: "a whole number", NUMBER: "a number (decimals allowed)", MONEY: "an amount in dollars"}[col.kind]
    low = number_text(col.minimum)
    if col.maximum is not None:
        bound = f"from {low} to {number_text(col.maximum)}"
        if col.maximum == 1:  # a share: 50% typed in Excel is stored as 0.5, so it passes too
            bound += " (0.5 or 50% for half)"
    else:
        bound = f"greater than {low}" if col.min_exclusive else f"{low} or more"
    return f"{col.name} must be {what}, {bound}, without letters or notes."


# A filled example of each sheet, shown on the Instructions sheet only (never in the data
# sheets, which the reader reads). Values are as typed in the cells; a test reads them back
# from the data sheets without a single problem.
EXAMPLE_DISTRICT: dict[str, object] = {
    "district_id": "2800470",
    "district_name": "Lakeside School District",
    "school_year": "2025-26",
    "template_version": TEMPLATE_VERSION,
    "contact_name": "Pat Rivera",
    "contact_email": "pat.rivera@lakeside.k12.ms.us",
    "proposed_change_description": "Open Carver Academy (K-8 magnet) in 2026-27 and redraw the Adams zone.",
}

EXAMPLE_ROWS: dict[str, tuple[dict[str, object], ...]] = {
    "Schools": (
        dict(school_id="0110", school_name="Adams Elementary", grade_low="K", grade_high="5", title_i="Y",
             assignment_method="attendance_zone", enrollment_total=412, hispanic=58, american_indian=3, asian=11,
             black=187, pacific_islander=0, white=139, two_or_more=14, econ_disadvantaged=301,
             english_learners=37, students_with_disabilities=52, capacity=450),
        dict(school_id="0120", school_name="Baker Middle School", grade_low="6", grade_high="8", title_i="N",
             assignment_method="magnet", enrollment_total=538, hispanic=41, american_indian=2, asian=25,
             black=146, pacific_islander=1, white=301, two_or_more=22, econ_disadvantaged=188,
             students_with_disabilities=61, capacity=600),
    ),
    "Budget": (
        dict(school_id="0110", school_name="Adams Elementary", teacher_fte_state_local=27.5,
             teacher_fte_inexperienced=4, teacher_fte_out_of_field=1.5, personnel_state_local=2612400,
             nonpersonnel_state_local=318750, federal=402115.5),
        dict(school_id="0120", school_name="Baker Middle School", teacher_fte_state_local=33,
             teacher_fte_inexperienced=3.5, personnel_state_local=3104880, nonpersonnel_state_local=402300,
             federal=188460),
    ),
    "Proposed": (
        dict(school_id="0110", enrollment_total=430, hispanic=60, american_indian=3, asian=12, black=170,
             pacific_islander=0, white=168, two_or_more=17, econ_disadvantaged=290),
        dict(school_id="0130", school_name="Carver Academy", grade_low="K", grade_high="8", title_i="N",
             assignment_method="magnet", enrollment_total=200, hispanic=30, american_indian=1, asian=9, black=80,
             pacific_islander=0, white=70, two_or_more=10, econ_disadvantaged=100),
    ),
    "Lottery": (
        dict(school_id="0120", seats=120, applicants_ed=95, applicants_non_ed=210, admitted_ed=60,
             admitted_non_ed=60, target_ed_share=0.5),
    ),
}
