"""The plausibility warnings DATA-40..DATA-45: data that reads but looks wrong, and schools the
resource rules leave out. Warnings, not errors: the evaluation goes on."""
from __future__ import annotations

import numpy as np

from .limits import EPS, above, below, money, pct
from .model import BudgetRow, DataProblem, SchoolRow
from .resource_measures import ResourceArrays

DATA_ENROLLMENT_CHANGE = "DATA-40"
DATA_PPE_OUTLIER = "DATA-41"
DATA_TITLE_I_LOW_ED = "DATA-42"
DATA_NO_BUDGET_ROW = "DATA-43"
DATA_ZERO_FTE = "DATA-44"
DATA_NO_STUDENTS = "DATA-45"


def no_students(schools: list[SchoolRow]) -> list[DataProblem]:
    """One warning when the Schools sheet has rows but not one student: every measure is then
    not applicable and no rule can find anything, which a district should not read as compliance."""
    if not schools or any(s.enrollment_total > 0 for s in schools):
        return []
    return [DataProblem(
        code=DATA_NO_STUDENTS, severity="warning", sheet="Schools", row=None, column="enrollment_total", value=0,
        message=(f"Every one of the {len(schools)} schools has an enrollment_total of 0, so no measure can be "
                 f"computed and no rule can be checked."),
        fix="Enter each school's enrollment by race and economic disadvantage for the reporting year.",
    )]


def missing_budget(s: SchoolRow) -> DataProblem:
    return DataProblem(
        code=DATA_NO_BUDGET_ROW, severity="warning", sheet="Budget", row=None, column="school_id",
        value=s.school_id,
        message=(
            f"School {s.school_name} ({s.school_id}, Schools row {s.row}) has {s.enrollment_total} students but no "
            f"row in the Budget sheet; it is left out of every resource-equity measure and rule."
        ),
        fix=f"Add a Budget row for school_id {s.school_id} with its state/local teachers and spending.",
    )


def zero_fte(s: SchoolRow, b: BudgetRow) -> DataProblem:
    return DataProblem(
        code=DATA_ZERO_FTE, severity="warning", sheet="Budget", row=b.row, column="teacher_fte_state_local",
        value=b.teacher_fte_state_local,
        message=(
            f"School {s.school_name} ({s.school_id}) reports 0 state/local-funded teacher FTE for "
            f"{s.enrollment_total} students; students per teacher is not applicable and the school is left out "
            f"of pooled staffing ratios."
        ),
        fix="Enter the FTE of teachers paid from state and local funds, or explain why there are none.",
    )


def enrollment_changes(
    schools: list[SchoolRow], previous: dict[str, int] | None, max_change: float
) -> list[DataProblem]:
    if not previous:
        return []
    out: list[DataProblem] = []
    for s in schools:
        before = previous.get(s.school_id)
        if before is None:
            continue
        now = s.enrollment_total
        if before > 0:
            change = (now - before) / before
            if not above(abs(change), max_change):
                continue
            how = f"changed by {change:+.1%} (from {before} to {now})"
        elif now > 0:
            how = f"was 0 in the previous accepted submission and is now {now}"
        else:
            continue
        out.append(DataProblem(
            code=DATA_ENROLLMENT_CHANGE, severity="warning", sheet="Schools", row=s.row,
            column="enrollment_total", value=now,
            message=(
                f"Enrollment of {s.school_name} ({s.school_id}) {how}, more than the {max_change:.0%} a year "
                f"that is usual."
            ),
            fix="Check the enrollment count; if it is right, explain the change (boundary change, opening, merger).",
        ))
    return out


def ppe_outliers(arr: ResourceArrays, median: float | None, max_over: float) -> list[DataProblem]:
    if median is None or median <= 0:
        return []
    limit = max_over * median
    out: list[DataProblem] = []
    for i in np.flatnonzero(arr.ppe > limit + EPS * max(1.0, limit)):
        s, b = arr.rows[i]
        ppe = float(arr.ppe[i])
        out.append(DataProblem(
            code=DATA_PPE_OUTLIER, severity="warning", sheet="Budget", row=b.row,
            column="personnel_state_local", value=round(ppe, 2),
            message=(
                f"{s.school_name} ({s.school_id}) spends {money(ppe)} per pupil from state and local funds "
                f"((personnel_state_local + nonpersonnel_state_local) / {s.enrollment_total} students), "
                f"{ppe / median:.1f} times the district median of {money(median)} (limit {max_over:g} times)."
            ),
            fix="Check the spending and enrollment figures (thousands vs dollars, a district-wide cost booked to one "
                "school); if they are right, explain them.",
        ))
    return out


def title_i_low_ed(schools: list[SchoolRow]) -> list[DataProblem]:
    counted = [s for s in schools if s.enrollment_total > 0]
    total = sum(s.enrollment_total for s in counted)
    if total <= 0:
        return []
    district_share = sum(s.econ_disadvantaged for s in counted) / total
    out: list[DataProblem] = []
    for s in counted:
        share = s.econ_disadvantaged / s.enrollment_total
        if s.title_i and below(share, district_share):
            out.append(DataProblem(
                code=DATA_TITLE_I_LOW_ED, severity="warning", sheet="Schools", row=s.row, column="title_i",
                value="Y",
                message=(
                    f"{s.school_name} ({s.school_id}) is flagged Title I but {pct(share)} of its students are "
                    f"economically disadvantaged, below the district's {pct(district_share)}."
                ),
                fix="Check the title_i flag and the econ_disadvantaged count for this school.",
            ))
    return out
