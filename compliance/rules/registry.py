"""The rule registry: for every rule code, its name, the standard it applies and its evidence.

The PDF, the screen, the exports and small-cell suppression read rule facts from here only:
how a threshold reads with a rule set's parameters, and for every evidence key its unit,
heading and the student group it describes. Suppression follows the declared unit, never a
key's spelling, so renaming a key cannot leak a small count.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import ruleset
from .model import RACE_GROUPS

# Units an evidence value may have, and the Python types its values may take.
UNIT_TYPES: dict[str, tuple[type, ...]] = {
    "students": (int,),  # a count of students
    "seats": (int,),  # a count of lottery seats
    "schools": (int,),  # a count of schools
    "share": (float, int),  # a fraction of students (0.4 reads 40.0%)
    "multiple": (float, int),  # a multiple of a pooled figure (0.9 reads 90%)
    "points": (float, int),  # a difference of two shares, in percentage points
    "ratio": (float, int),  # students per teacher
    "index": (float, int),  # D, CV, McLoone, progressivity: 3 decimals
    "dollars": (float, int),
    "fte": (float, int),  # full-time-equivalent teachers
    "number": (float, int),  # an estimated quantity without a finer unit
    "group": (str,),  # a student group key (labels.GROUPS)
    "measure": (str,),  # a measure key (labels.DISSIMILARITY, or "flagged_schools")
    "code": (str,),  # a code word such as non_title_i
    "text": (str,),
    "school_id": (str,),
    "flag": (bool,),
    "list": (list,),  # items of the unit of ``Field.items``
    "record": (dict,),  # nested fields (``Field.fields``), or values by group (``Field.by_group``)
    "records": (list,),  # a list of records, each with ``Field.fields``
}

# ``Field.group`` placeholder: the group is the one the evidence (or record) names in "group".
NAMED_GROUP = "@group"


@dataclass(frozen=True, slots=True)
class Field:
    """One evidence (or estimate) key: its unit, heading and the students it describes.

    ``group`` is the student group the value is about, as a cell of the unit's counts (a
    school's: ``labels.GROUPS`` keys; a lottery's: its applicant and admitted pools).
    ``at_school`` says the value describes that group at one school or lottery, so it is
    subject to small-cell suppression (a count, a share, or a distance that gives a share away).
    """

    unit: str
    label: str = ""
    group: str | None = None
    at_school: bool = False
    threshold: bool = False  # a rule-set parameter, printed with the standard
    listed: bool = True  # False: the rule's standard (threshold_text) states it already
    signed: bool = False  # a change or difference: printed with its sign
    plus_minus: bool = False  # a tolerance: printed as "±x"
    items: Field | None = None  # unit "list"
    fields: Mapping[str, Field] | None = None  # unit "record"/"records"
    by_group: bool = False  # unit "record": its keys are student groups, values in ``items``' unit
    # The evidence key this value is a distance from (a difference from the band's share).
    reference: str | None = None
    # The unit depends on another evidence value (INT-05's "measure"): (key, {value: unit}).
    unit_by: tuple[str, Mapping[str, str]] | None = None

    def unit_for(self, evidence: Mapping[str, Any]) -> str:
        if self.unit_by is not None:
            key, units = self.unit_by
            return units.get(str(evidence.get(key)), self.unit)
        return self.unit

    def group_for(self, evidence: Mapping[str, Any], default: str | None) -> str | None:
        if self.group != NAMED_GROUP:
            return self.group
        named = evidence.get("group")
        return named if isinstance(named, str) else default


@dataclass(frozen=True, slots=True)
class RuleSpec:
    code: str
    name: str
    evidence: Mapping[str, Field] = field(default_factory=dict)
    # The group a finding is about when its evidence does not say (INT-03: ED students).
    default_group: str | None = None
    # The rule's standard with the rule set's parameters (its section of the rule set).
    threshold: Callable[[dict[str, Any]], str] | None = None
    # The evidence key whose size says how far a finding is from the standard (to list the
    # most extreme of many).
    rank_by: str | None = None


def _pts(v: float) -> str:
    """A fraction as percentage points, without trailing zeros: 0.15 -> '15'."""
    return f"{v * 100:g}"


# ---------------------------------------------------------------- evidence, per rule

_SCHOOL_SHARE = Field("share", "School share", group=NAMED_GROUP, at_school=True)
_BAND_SHARE = Field("share", "Band share")
_DIFFERENCE = Field("points", "Difference", group=NAMED_GROUP, at_school=True, signed=True, reference="band_share")
_BAND = Field("points", "Band", threshold=True, plus_minus=True)
_GROUP = Field("group", "Group")

_DEVIATION = {"group": _GROUP, "school_share": _SCHOOL_SHARE, "band_share": _BAND_SHARE, "difference": _DIFFERENCE}

_INT05_UNITS = ("measure", {"flagged_schools": "schools"})  # else a dissimilarity index

_LOTTERY_COUNT = {
    key: Field("students", label, group=key, at_school=True)
    for key, label in (
        ("applicants_ed", "ED applicants"), ("applicants_non_ed", "Other applicants"),
        ("admitted_ed", "ED admitted"), ("admitted_non_ed", "Others admitted"),
        ("unadmitted_ed", "ED applicants not admitted"), ("unadmitted_non_ed", "Other applicants not admitted"),
    )
}

_COMPARISON = {
    "enrollment_total": Field("students", "Enrollment", group="enrollment_total", at_school=True),
    "comparison_group": Field("code", "Comparison group"),
    "comparison_schools": Field("schools", "Comparison schools"),
    "limit": Field("multiple", "Limit", threshold=True),
}

EVIDENCE: dict[str, dict[str, Field]] = {
    "INT-01": {
        **_DEVIATION, "band": _BAND,
        "single_group_min_band_share": Field("share", "Smallest band share a group is checked at", threshold=True,
                                             listed=False),
        "deviations": Field("records", "Deviations", fields=_DEVIATION),
    },
    "INT-02": {
        "group": _GROUP, "school_share": _SCHOOL_SHARE,
        "threshold": Field("share", "Threshold", threshold=True),
        "groups": Field("list", "Groups", items=_GROUP),
        "students_of_color_share": Field("share", "Students of color share", group="students_of_color",
                                         at_school=True),
    },
    "INT-03": {"group": _GROUP, "school_share": _SCHOOL_SHARE, "band_share": _BAND_SHARE,
               "difference": _DIFFERENCE, "band": _BAND},
    "INT-04": {
        "index": Field("measure", "Index"), "value": Field("index", "Value"), "level": Field("text", "Level"),
        "threshold": Field("index", "Threshold", threshold=True),
        "warning_at": Field("index", "Warning at", threshold=True),
        "finding_at": Field("index", "Finding at", threshold=True),
        "schools": Field("schools", "Schools"),
    },
    "INT-05": {
        "measure": Field("measure", "Measure"),
        "current": Field("index", "Current", unit_by=_INT05_UNITS),
        "proposed": Field("index", "Proposed", unit_by=_INT05_UNITS),
        "change": Field("index", "Change", signed=True, unit_by=_INT05_UNITS),
        "tolerance": Field("index", "Tolerance", threshold=True, plus_minus=True, unit_by=_INT05_UNITS),
        "commendation": Field("flag", "Commendation"),
    },
    "INT-06": {
        "seats": Field("seats", "Seats"), **_LOTTERY_COUNT,
        "target_ed_share": Field("share", "Target ED share", threshold=True),
        "check": Field("code", "What was checked"),
        "admitted_ed_share": Field("share", "Admitted ED share", group="admitted_ed", at_school=True),
        # The target is printed: the difference would give a hidden admitted share away.
        "difference": Field("points", "Difference", group="admitted_ed", at_school=True, signed=True,
                            reference="target_ed_share"),
        "tolerance": Field("points", "Tolerance", threshold=True, plus_minus=True),
        "empty_seats": Field("seats", "Empty seats"),
        "max_empty_seats": Field("seats", "Most empty seats allowed", threshold=True),
        # target x seats (ED pool) or the rest (non-ED): a fraction of a seat when the target says so.
        "reserved_seats": Field("number", "Reserved seats"),
    },
    "RES-01": {
        # The school's own ratio: under the threshold it is hidden with the enrollment (times the FTE
        # printed beside it, it gives the enrollment back).
        "students_per_teacher": Field("ratio", "Students per teacher", group="enrollment_total", at_school=True),
        **_COMPARISON,
        "teacher_fte_state_local": Field("fte", "State/local teacher FTE"),
        "comparison_pooled_students_per_teacher": Field("ratio",
                                                        "Comparison schools\u2019 pooled students per teacher"),
        "threshold": Field("ratio", "Threshold", threshold=True),
        "additional_fte_needed": Field("fte", "Additional FTE needed"),
    },
    "RES-02": {
        "ppe_state_local": Field("dollars", "State/local spending per pupil"),
        **_COMPARISON,
        "comparison_pooled_ppe": Field("dollars", "Comparison schools\u2019 pooled spending per pupil"),
        "threshold": Field("dollars", "Threshold", threshold=True),
        "additional_dollars_needed": Field("dollars", "Additional dollars needed"),
    },
    "RES-03": {
        "progressivity": Field("index", "Progressivity"),
        "min_ratio": Field("index", "Required at least", threshold=True),
        "ppe_highest_poverty_quartile": Field("dollars", "Spending per pupil, highest-poverty quarter"),
        "ppe_lowest_poverty_quartile": Field("dollars", "Spending per pupil, lowest-poverty quarter"),
        "schools_highest_poverty_quartile": Field("schools", "Schools in the highest-poverty quarter"),
        "schools_lowest_poverty_quartile": Field("schools", "Schools in the lowest-poverty quarter"),
        "dollars_to_move": Field("dollars", "Dollars to move to the highest-poverty quarter"),
    },
    "RES-04": {
        "quartiles_by": Field("group", "Quarters of schools ranked by"),
        "gap": Field("points", "Gap"),
        "max_gap": Field("points", "Largest gap allowed", threshold=True),
        "inexperienced_rate_highest_quartile": Field("share", "First- and second-year teachers, highest quarter"),
        "inexperienced_rate_lowest_quartile": Field("share", "First- and second-year teachers, lowest quarter"),
        "teacher_fte_highest_quartile": Field("fte", "Teacher FTE, highest quarter"),
        "teacher_fte_lowest_quartile": Field("fte", "Teacher FTE, lowest quarter"),
        "schools_highest_quartile": Field("schools", "Schools in the highest quarter"),
        "schools_lowest_quartile": Field("schools", "Schools in the lowest quarter"),
        "inexperienced_fte_to_swap": Field("fte", "Inexperienced teacher FTE to replace"),
    },
    "RES-05": {
        "failed": Field("list", "Tests not met", items=Field("measure")),
        "cv": Field("index", "Coefficient of variation (CV)"),
        "max_cv": Field("index", "Largest CV allowed", threshold=True),
        "mcloone": Field("index", "McLoone index"),
        "min_mcloone": Field("index", "Smallest McLoone allowed", threshold=True),
        "federal_range_ratio": Field("index", "Federal range ratio"),
        "max_range_ratio": Field("index", "Largest range ratio allowed", threshold=True),
        "p5": Field("dollars", "5th percentile, spending per pupil"),
        "p50": Field("dollars", "Median spending per pupil"),
        "p95": Field("dollars", "95th percentile, spending per pupil"),
        "ppe_mean": Field("dollars", "Mean spending per pupil"),
        "schools_counted": Field("schools", "Schools counted"),
    },
}

# The remedy estimates recommendations attach (remedies.py), by key: the same key means the
# same thing in every rule's estimate. "method", "school_id" and "band" head the block.
_RES04_PART = {
    "fte_to_replace_in_high": Field("fte", "Or inexperienced FTE to replace in the highest quarter"),
    "fte_to_swap": Field("fte", "Inexperienced teacher FTE to swap"), "gap": Field("points", "Gap now"),
    "high_quartile_schools": Field("list", "Highest quarter\u2019s schools", items=Field("school_id")),
    "low_quartile_schools": Field("list", "Lowest quarter\u2019s schools", items=Field("school_id")),
    "high_rate": Field("share", "First- and second-year teachers, highest quarter"),
    "low_rate": Field("share", "First- and second-year teachers, lowest quarter"),
    "reachable": Field("flag", "The gap can be closed by swapping"),
    "reassignments": Field("fte", "Teacher reassignments"),
}
_FLOW = {
    "from": Field("school_id", "From"), "to": Field("school_id", "To"), "group": _GROUP,
    # A flow is students of one group leaving one school: a small one is suppressed.
    "students": Field("students", "Students", at_school=True),
    "econ_disadvantaged": Field("students", "Of them ED", at_school=True),
    "ed": Field("flag", "ED"),
}
# An enrollment change between two schools (integration remedy), in whole students: how many
# change school and the composition that moves.
_PAIR = {
    "from": Field("school_id", "From"), "to": Field("school_id", "To"),
    "students": Field("students", "Students", at_school=True),
    "students_of_color": Field("students", "Of them students of color", group="students_of_color", at_school=True),
    "white": Field("students", "Of them white", group="white", at_school=True),
    "econ_disadvantaged": Field("students", "Of them ED", group="ed", at_school=True),
}
# A school's enrollment and composition once a plan is carried out (whole students).
_SCHOOL_AFTER = {
    "school_id": Field("school_id", "School"),
    "enrollment_before": Field("students", "Enrollment now", group="enrollment_total", at_school=True),
    "enrollment": Field("students", "Enrollment after", group="enrollment_total", at_school=True),
    "students_of_color": Field("students", "Students of color after", group="students_of_color", at_school=True),
    "econ_disadvantaged": Field("students", "ED after", group="ed", at_school=True),
    "students_of_color_share": Field("share", "Students of color after", group="students_of_color", at_school=True),
    "ed_share": Field("share", "ED after", group="ed", at_school=True),
}
# A grade center: the school, its cluster (schools combined), the grades it would serve, after.
_CENTER = {**_SCHOOL_AFTER, "cluster": Field("number", "Cluster"), "grade_low": Field("text", "Grades from"),
           "grade_high": Field("text", "Grades to")}


def _pool(key: str, label: str = "") -> Field:
    return Field("students", label, group=key, at_school=True)


ESTIMATE: dict[str, Field] = {
    "method": Field("text", "Method"), "school_id": Field("school_id", "School"), "band": Field("text", "Band"),
    "reachable": Field("flag", "Every school can reach the bands"), "reason": Field("text", "Why not"),
    "outside_after_rounding": Field("list", "Schools just outside after rounding to whole students"),
    "schools_outside_after_rounding": Field("schools", "Schools just outside after rounding to whole students"),
    "schools": Field("schools", "Schools in the band"), "band_enrollment": Field("students", "Students in the band"),
    "students_moved": Field("students", "Students changing school"),
    "share_of_band": Field("share", "Share of the band\u2019s students"),
    "band_share": Field("record", "Composition of the band", by_group=True, items=Field("share")),
    "largest_flows": Field("records", "Largest enrollment changes between schools", fields=_FLOW),
    "flows": Field("records", "Enrollment changes between schools", fields=_FLOW),
    "largest_changes": Field("records", "Largest enrollment changes between schools", fields=_PAIR),
    "pairs": Field("records", "Enrollment changes between schools", fields=_PAIR),
    "school_after": Field("record", "The school after the change", fields=_SCHOOL_AFTER),
    # In the evaluation JSON only: the band whose plan in "remedies" holds the rest (recommendation_json).
    "plan": Field("text", "Band of the plan"),
    "schools_after": Field("records", "Each school after the change", fields=_SCHOOL_AFTER),
    # Grade centers (remedies_levers.grade_center_remedy).
    "clusters": Field("number", "Grade-center clusters"), "centers": Field("records", "Grade centers", fields=_CENTER),
    "students_changing_school": Field("students", "Students changing school"),
    # Lottery seats (remedies_levers.lottery_seats_remedy): seats per pool, admitted and expected.
    "seats": Field("seats", "Seats"), "target_ed_share": Field("share", "Target ED share"),
    "reserved_seats_ed": Field("seats", "Seats reserved for ED applicants"),
    "reserved_seats_non_ed": Field("seats", "Seats reserved for other applicants"),
    "admitted_ed": _pool("admitted_ed", "ED admitted"), "admitted_non_ed": _pool("admitted_non_ed", "Others admitted"),
    "expected_admitted_ed": _pool("admitted_ed", "ED admitted with the pools"),
    "expected_admitted_non_ed": _pool("admitted_non_ed", "Others admitted with the pools"),
    "more_seats_ed": Field("students", "More seats for ED applicants", group="admitted_ed", at_school=True,
                           signed=True),
    "more_seats_non_ed": Field("students", "More seats for other applicants", group="admitted_non_ed",
                               at_school=True, signed=True),
    "applicants_needed_ed": _pool("applicants_ed", "ED applicants needed"),
    "applicants_needed_non_ed": _pool("applicants_non_ed", "Other applicants needed"),
    "enrollment": Field("students", "Enrollment"), "comparison": Field("text", "Compared with"),
    "comparison_schools": Field("schools", "Comparison schools"),
    "comparison_ratio": Field("ratio", "Comparison schools\u2019 students per teacher"),
    "students_per_teacher": Field("ratio", "Students per teacher now"),
    "target_ratio": Field("ratio", "Students per teacher to reach"),
    "limit": Field("multiple", "Limit"), "current_fte": Field("fte", "Teacher FTE now"),
    "fte_to_add": Field("fte", "Teacher FTE to add"),
    "fte_to_move_from_comparison": Field("fte", "Or teacher FTE to move from the comparison schools"),
    "ppe": Field("dollars", "Spending per pupil now"),
    "comparison_ppe": Field("dollars", "Comparison schools\u2019 spending per pupil"),
    "target_ppe": Field("dollars", "Spending per pupil to reach"), "dollars_to_add": Field("dollars", "Dollars to add"),
    "dollars_to_move_from_comparison": Field("dollars", "Or dollars to move from the comparison schools"),
    "low_quartile_ppe": Field("dollars", "Spending per pupil, lowest-poverty quarter"),
    "high_quartile_ppe": Field("dollars", "Spending per pupil, highest-poverty quarter"),
    "ratio": Field("index", "Progressivity now"), "min_ratio": Field("index", "Progressivity required"),
    "low_quartile_schools": Field("list", "Lowest-poverty quarter\u2019s schools", items=Field("school_id")),
    "high_quartile_schools": Field("list", "Highest-poverty quarter\u2019s schools", items=Field("school_id")),
    "dollars_to_move": Field("dollars", "Dollars to move to the highest-poverty quarter"),
    "dollars_to_add_to_high": Field("dollars", "Or dollars to add to the highest-poverty quarter"),
    "ppe_after_move": Field("dollars", "Spending per pupil in both quarters after the move"),
    "max_gap": Field("points", "Largest gap allowed"),
    "poverty": Field("record", "Quarters by poverty", fields=_RES04_PART),
    "students_of_color": Field("record", "Quarters by students of color", fields=_RES04_PART),
}

# Workbook columns that count students: a data problem quoting one of their values quotes a count.
STUDENT_COLUMNS: frozenset[str] = frozenset({
    "enrollment_total", *RACE_GROUPS, "econ_disadvantaged", "english_learners", "students_with_disabilities",
    "applicants_ed", "applicants_non_ed", "admitted_ed", "admitted_non_ed",
})


# ---------------------------------------------------------------- standards, per rule

_THRESHOLDS: dict[str, Callable[[dict[str, Any]], str]] = {
    "INT-01": lambda p: (f"a school's share of students of color within \u00b1{_pts(p['band'])} points of its "
                         f"grade band's share; also each race group with a band share of at least "
                         f"{_pts(p['single_group_min_band_share'])}%"),
    "INT-02": lambda p: (f"students of color, and each race group, below {_pts(p['threshold'])}% of a school's "
                         "enrollment"),
    "INT-03": lambda p: f"a school's ED share within \u00b1{_pts(p['band'])} points of its grade band's ED share",
    "INT-04": lambda p: (f"dissimilarity below {p['warning_at']:g}; warning from {p['warning_at']:g} (moderate), "
                         f"finding from {p['finding_at']:g} (high)"),
    "INT-05": lambda p: (f"no rise in multigroup D or ED D of more than {p['tolerance']:g}, nor in the number of "
                         "flagged schools"),
    "INT-06": lambda p: (f"admitted ED share within \u00b1{_pts(p['tolerance'])} points of the target; no empty seat "
                         "while a pool waits; a pool with fewer applicants than its reserved seats admits all of them"),
    "RES-01": lambda p: (f"each Title I school's students per teacher at most {_pts(p['limit'])}% of the non-Title I "
                         f"pooled ratio of its band (schools under {p['min_enrollment']} students exempt)"),
    "RES-02": lambda p: (f"each Title I school's per-pupil spending at least {_pts(p['limit'])}% of the non-Title I "
                         f"pooled figure of its band (schools under {p['min_enrollment']} students exempt)"),
    "RES-03": lambda p: f"highest- over lowest-poverty quartile spending per pupil at least {p['min_ratio']:.2f}",
    "RES-04": lambda p: f"inexperienced-teacher rate gap at most {_pts(p['max_gap'])} points",
    "RES-05": lambda p: (f"CV at most {p['max_cv']:g}, McLoone at least {p['min_mcloone']:g}, federal range ratio "
                         f"at most {p['max_range_ratio']:g}"),
    "PLAUSIBILITY": lambda p: (f"enrollment change at most {_pts(p['max_enrollment_change'])}%; spending per pupil "
                               f"at most {p['max_ppe_over_median']:g} times the median"),
    "PRIVACY": lambda p: f"counts below {p['min_cell']} students suppressed",
}

_DEFAULT_GROUPS = {"INT-01": "students_of_color", "INT-02": "students_of_color", "INT-03": "econ_disadvantaged"}
_RANK_BY = {"INT-01": "difference", "INT-02": "school_share", "INT-03": "difference", "INT-04": "value",
            "INT-06": "difference", "RES-04": "gap"}

RULES: dict[str, RuleSpec] = {
    code: RuleSpec(code, name, EVIDENCE[code], _DEFAULT_GROUPS.get(code), _THRESHOLDS[code], _RANK_BY.get(code))
    for code, name in (
        ("INT-01", "Racially identifiable schools"),
        ("INT-02", "Intensely segregated schools"),
        ("INT-03", "Economically identifiable schools"),
        ("INT-04", "District evenness (dissimilarity)"),
        ("INT-05", "Proposed assignment change"),
        ("INT-06", "Socioeconomic lottery"),
        ("RES-01", "Comparability of staff"),
        ("RES-02", "Comparability of spending"),
        ("RES-03", "Progressivity of spending"),
        ("RES-04", "Teacher equity"),
        ("RES-05", "Horizontal equity of spending"),
    )
}

# Code -> name, for filters and headings.
RULE_NAMES: dict[str, str] = {code: spec.name for code, spec in RULES.items()}


def rule_name(code: str) -> str:
    """The rule's name; a data-check code (DATA-nn) reads as 'Data check'."""
    if code in RULES:
        return RULES[code].name
    return "Data check" if code.startswith("DATA-") else code


def section_name(code: str) -> str:
    """A rule-set section's name for the methodology table: the rule's, else 'Plausibility'."""
    return RULE_NAMES.get(code, code.capitalize())


def evidence_fields(code: str) -> Mapping[str, Field]:
    """The declared evidence of a rule; empty for a code the registry does not know."""
    spec = RULES.get(code)
    return spec.evidence if spec else {}


def default_group(code: str) -> str | None:
    spec = RULES.get(code)
    return spec.default_group if spec else None


def rank_field(code: str) -> tuple[str, Field] | None:
    """(key, field) that ranks a rule's findings by how far they are from the standard."""
    spec = RULES.get(code)
    if spec is None or spec.rank_by is None:
        return None
    return spec.rank_by, spec.evidence[spec.rank_by]


def threshold_text(code: str, params: dict[str, Any]) -> str:
    """How a rule's (or section's) standard reads with the rule set's parameters; '' if none."""
    text_of = _THRESHOLDS.get(code)
    if text_of is None or code not in ruleset.DEFAULT_PARAMS:
        return ""
    p = ruleset.section(params, code)
    text = text_of(p)
    if p.get("enabled") is False:
        text += " (rule turned off in this rule set)"
    elif p.get("severity"):
        text += f"; severity {p['severity']}"
    return text


# ---------------------------------------------------------------- rule-set parameters

@dataclass(frozen=True, slots=True)
class Parameter:
    """One numeric parameter of a rule-set section, for an editing form: its range and its unit.

    The type and range come from ``ruleset.PARAM_SPECS``; the unit and label from the rule's
    evidence field of the same key (a threshold the findings print), else :data:`_PARAMETER_FIELDS`.
    """

    section: str
    key: str
    kind: str  # "number" or "integer"
    minimum: float
    maximum: float
    unit: str
    label: str


# Parameters no finding prints as evidence: their unit and label.
_PARAMETER_FIELDS: dict[tuple[str, str], Field] = {
    ("RES-01", "min_enrollment"): Field("students", "Schools exempt below"),
    ("RES-02", "min_enrollment"): Field("students", "Schools exempt below"),
    ("PLAUSIBILITY", "max_enrollment_change"): Field("share", "Enrollment change, at most"),
    ("PLAUSIBILITY", "max_ppe_over_median"): Field("number", "Spending per pupil over the median, at most"),
    ("PRIVACY", "min_cell"): Field("students", "Smallest count printed"),
}


def parameters(section: str) -> list[Parameter]:
    """The numeric parameters of one rule-set section, in ``ruleset.PARAM_SPECS`` order."""
    found = []
    for key, (kind, lo, hi) in ruleset.PARAM_SPECS[section].items():
        spec = _PARAMETER_FIELDS.get((section, key)) or evidence_fields(section)[key]
        found.append(Parameter(section, key, kind, lo, hi, spec.unit, spec.label))
    return found


def has_severity(section: str) -> bool:
    """Whether the section is a rule with a severity of its own (INT-04 grades by level instead)."""
    return "severity" in ruleset.DEFAULT_PARAMS[section]


def undeclared(code: str, evidence: Mapping[str, Any]) -> list[str]:
    """Evidence paths a rule emitted that the registry does not declare, or whose value has
    another type than the declared unit allows ("deviations[].group: str, not share")."""
    return _check(evidence_fields(code), evidence, "")


def undeclared_estimate(estimate: Mapping[str, Any]) -> list[str]:
    return _check(ESTIMATE, estimate, "")


def _check(fields: Mapping[str, Field], values: Mapping[str, Any], prefix: str) -> list[str]:
    problems: list[str] = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        spec = fields.get(key)
        if spec is None:
            problems.append(f"{path}: not declared")
        else:
            problems += _check_value(spec, value, path, values)
    return problems


def _check_value(spec: Field, value: Any, path: str, context: Mapping[str, Any]) -> list[str]:
    if value is None:
        return []
    unit = spec.unit_for(context)
    types = UNIT_TYPES[unit]
    items: Any = value  # a list or dict once the type check below has passed
    # bool is an int to Python: only a "flag" may hold one.
    if not isinstance(value, types) or (isinstance(value, bool) and unit != "flag"):
        return [f"{path}: {type(value).__name__}, not {unit}"]
    if unit == "list" and spec.items is not None:
        return [p for v in items for p in _check_value(spec.items, v, f"{path}[]", context)]
    if unit == "records" and spec.fields is not None:
        return [p for v in items for p in (_check(spec.fields, v, f"{path}[].") if isinstance(v, dict)
                                            else [f"{path}[]: not a record"])]
    if unit == "record" and spec.by_group and spec.items is not None:
        return [p for k, v in items.items() for p in _check_value(spec.items, v, f"{path}.{k}", context)]
    if unit == "record" and spec.fields is not None:
        return _check(spec.fields, items, f"{path}.")
    return []
