"""What the template's numbers mean: its Instructions sheet, cell prompts and workbook-definitions.md quote these."""
from __future__ import annotations

from dataclasses import dataclass

from compliance.rules.model import RACE_GROUPS


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
