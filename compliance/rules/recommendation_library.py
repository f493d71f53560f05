"""The default recommendation library and the Equity Assistance Center table: data to correct, not code.

Each :class:`LibraryEntry` is technical-assistance content a state administrator edits as
JSON (docs/recommendations.md, "Models the state can point districts to"); the defaults below
are what a new installation
starts with (migration 0004 copies them into the database). Bodies and titles may use the
placeholders in :data:`PLACEHOLDERS`, written ``{name}``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class LibraryEntry:
    """One recommendation: its text, the rules it answers (``"*"``: every rule), when it applies."""

    key: str
    title: str
    body: str
    rule_codes: tuple[str, ...]
    conditions: dict[str, Any] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    version: int = 1


PLACEHOLDERS: tuple[str, ...] = (
    "district_name",
    "band",
    "schools_in_band",
    "district_schools",
    "school_id",
    "school_name",
    "state",
    "region",
    "center",
    "operator",
)

# Plain substitution of these names only (no format mini-language, no attribute access), so
# an edited body cannot reach into Python objects.
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
# The grade-center entry carries its own estimate (which schools would serve which grades).
GRADE_CENTERS_KEY = "grade-centers"
# Reassignment advice for bands not assigned by zones, so every band with INT-01/INT-03
# findings gets its reassignment estimate whatever its schools' assignment method.
REASSIGNMENT_KEY = "rebalance-enrollment"
# The entry that names the district's Equity Assistance Center.
EAC_KEY = "equity-assistance-center"


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """``{name}`` replaced by its value; an unknown placeholder stays as written (validation refuses it)."""
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), text)

DEFAULT_LIBRARY: tuple[LibraryEntry, ...] = (
    LibraryEntry(
        key=GRADE_CENTERS_KEY,
        title="Grade-center assignment (the Clinton, Mississippi model)",
        body=(
            "With {schools_in_band} schools in the {band} band, {district_name} could organize "
            "them by grade level rather than by neighborhood, so that every child of a grade "
            "attends the same school and moves through the system together. Clinton Public "
            "Schools (Mississippi) has done so since the early 1970s (K-1, 2-3, 4-5, 6, 7-8, 9, "
            "10-12); the black-white gap in 7th-grade ELA proficiency there fell from 33 to 11 "
            "points between 2009 and 2013. The model fits small and mid-sized districts; the "
            "district itself notes it is harder in large ones."
        ),
        rule_codes=("INT-01", "INT-02", "INT-03", "INT-04"),
        conditions={"min_schools_in_band": 2, "max_schools_in_band": 6},
        sources=(
            "https://hechingerreport.org/rated-majority-black-district-mississippi/",
            "Clinton Public School District, Mississippi: grade-center organization",
        ),
    ),
    LibraryEntry(
        key="socioeconomic-lottery",
        title="Two-pool socioeconomic lottery (the Dallas ISD 50/50 model)",
        body=(
            "Admit students to choice, magnet and new schools through two separate lotteries, "
            "one for economically disadvantaged families and one for the rest, so that half the "
            "seats go to each whatever the number of applicants, as Dallas ISD does in its "
            "50/50 Transformation Schools. Recruit in both pools so that neither runs short of "
            "applicants, and keep a waiting list per pool so no seat is left empty."
        ),
        rule_codes=("INT-01", "INT-02", "INT-03", "INT-04", "INT-05", "INT-06"),
        conditions={
            "any": [
                {"rules_any": ["INT-06"]},
                {"has_lottery": True},
                {"assignment_methods_any": ["choice_lottery", "magnet", "controlled_choice"]},
                {"proposed_opens_schools": True},
            ]
        },
        sources=(
            "https://www.dallasisd.org/Page/77139",
            "https://tcf.org/content/report/dallas-independent-school-district",
        ),
    ),
    LibraryEntry(
        key="attendance-zones-controlled-choice",
        title="Redraw attendance zones or adopt controlled choice",
        body=(
            "Where {district_name} assigns students by neighborhood zones, redrawing the "
            "boundaries (for example pairing or extending zones across "
            "neighborhoods of different composition), or letting families rank schools with a "
            "diversity goal built into the assignment (controlled choice), can bring each "
            "school's enrollment closer to the band's."
        ),
        rule_codes=("INT-01", "INT-02", "INT-03", "INT-04", "INT-05"),
        conditions={"assignment_methods_any": ["attendance_zone", "controlled_choice"]},
        sources=(
            "https://tcf.org/content/report/cambridge-public-schools/",
            "https://tcf.org/content/report/student-assignment-and-enrollment-policies-that-advance-"
            "school-integration-a-national-perspective-to-support-planning-in-the-district-of-columbia/",
        ),
    ),
    LibraryEntry(
        key=REASSIGNMENT_KEY,
        title="Rebalance enrollment among the {band} schools",
        body=(
            "Where {district_name} does not assign students by attendance zones, it still decides "
            "which school each student attends: feeder patterns, transfer and admission rules, the "
            "location of programs and the grade spans each building serves can all be changed so "
            "that each school's enrollment comes closer to the band's. The estimate below gives the "
            "enrollment changes between schools that would bring every school of the band within the "
            "bands, and each school's resulting composition."
        ),
        rule_codes=("INT-01", "INT-03"),
        conditions={"assignment_methods_none": ["attendance_zone", "controlled_choice"]},
        sources=(
            "https://tcf.org/content/report/student-assignment-and-enrollment-policies-that-advance-"
            "school-integration-a-national-perspective-to-support-planning-in-the-district-of-columbia/",
        ),
    ),
    LibraryEntry(
        key="weighted-staffing-budgeting",
        title="Weighted or equalized staffing and budgeting",
        body=(
            "Allocate state and local staff and dollars to schools by need (for example "
            "student-weighted formulas, or staffing ratios that are the same or better in "
            "higher-poverty schools), and check comparability before the school year rather "
            "than after it."
        ),
        rule_codes=("RES-01", "RES-02", "RES-03", "RES-05"),
        conditions={},
        sources=("ESEA section 1118(c) (comparability of services)",),
    ),
    LibraryEntry(
        key="teacher-placement-incentives",
        title="Teacher placement and retention incentives",
        body=(
            "Balance the placement of first- and second-year teachers across schools and use "
            "retention incentives (pay differentials, mentoring, reduced loads) so that "
            "experienced teachers stay in the highest-poverty schools."
        ),
        rule_codes=("RES-04",),
        conditions={},
        sources=("ESEA section 1111(g)(1)(B) (equitable access to experienced teachers)",),
    ),
    LibraryEntry(
        key=EAC_KEY,
        title="Ask the {center} for technical assistance",
        body=(
            "The {center} (Region {region}, run by {operator}) serves {state} under Title IV "
            "of the Civil Rights Act of 1964 and helps districts, at their request and at no "
            "cost, plan and carry out changes like this one. The state agency's technical "
            "assistance staff can also help."
        ),
        rule_codes=("*",),
        conditions={"eac_region_known": True},
        sources=("https://oese.ed.gov/2022-grant-award/",),
    ),
    LibraryEntry(
        key="state-technical-assistance",
        title="Ask for technical assistance",
        body=(
            "The state agency's technical assistance staff and the regional Equity Assistance "
            "Center serving your state (one of the four funded under Title IV of the Civil "
            "Rights Act of 1964) can help plan and carry out changes like this one."
        ),
        rule_codes=("*",),
        conditions={"eac_region_known": False},
        sources=("https://oese.ed.gov/2022-grant-award/",),
    ),
)

# Equity Assistance Centers (2022 awards), state postal code -> center. Data to correct.
# Regions as the centers list them: Region I per MAEC (CEE), Region III per the Midwest and
# Plains EAC (Indiana plus 12 states, Oklahoma the 13th), Region IV the western states and
# Pacific territories; Region II per docs/recommendations.md. Territories included for
# completeness.
_REGION_INFO: dict[str, dict[str, str]] = {
    "I": {"region": "I", "center": "Center for Education Equity", "operator": "Mid-Atlantic Equity Consortium"},
    "II": {"region": "II", "center": "Equity Assistance Center-South", "operator": "Southern Education Foundation"},
    "III": {"region": "III", "center": "Midwest and Plains Equity Assistance Center", "operator": "Indiana University"},
    "IV": {"region": "IV", "center": "Region IV Equity Assistance Center", "operator": "WestEd"},
}
_REGION_STATES: dict[str, tuple[str, ...]] = {
    "I": ("CT", "DE", "KY", "ME", "MD", "MA", "NH", "NJ", "NY", "PA", "RI", "VT", "WV", "PR", "VI"),
    "II": ("AL", "AR", "FL", "GA", "LA", "MS", "NC", "SC", "TN", "TX", "VA", "DC"),
    "III": ("IL", "IN", "IA", "KS", "MI", "MN", "MO", "NE", "ND", "OH", "OK", "SD", "WI"),
    "IV": ("AK", "AZ", "CA", "CO", "HI", "ID", "MT", "NV", "NM", "OR", "UT", "WA", "WY", "AS", "GU", "MP"),
}
DEFAULT_EAC_REGIONS: dict[str, dict[str, str]] = {
    state: dict(_REGION_INFO[region]) for region, states in _REGION_STATES.items() for state in states
}

# Postal code -> the state as a sentence names it (the {state} placeholder).
STATE_NAMES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "the District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico", "VI": "the U.S. Virgin Islands", "AS": "American Samoa", "GU": "Guam",
    "MP": "the Northern Mariana Islands",
}

# FIPS state code (the first two digits of an NCES LEA id) -> postal code: an offline run with
# no database still names the district's Equity Assistance Center.
STATE_BY_FIPS: dict[str, str] = {
    "01": "AL", "02": "AK", "04": "AZ", "05": "AR", "06": "CA", "08": "CO", "09": "CT", "10": "DE",
    "11": "DC", "12": "FL", "13": "GA", "15": "HI", "16": "ID", "17": "IL", "18": "IN", "19": "IA",
    "20": "KS", "21": "KY", "22": "LA", "23": "ME", "24": "MD", "25": "MA", "26": "MI", "27": "MN",
    "28": "MS", "29": "MO", "30": "MT", "31": "NE", "32": "NV", "33": "NH", "34": "NJ", "35": "NM",
    "36": "NY", "37": "NC", "38": "ND", "39": "OH", "40": "OK", "41": "OR", "42": "PA", "44": "RI",
    "45": "SC", "46": "SD", "47": "TN", "48": "TX", "49": "UT", "50": "VT", "51": "VA", "53": "WA",
    "54": "WV", "55": "WI", "56": "WY", "60": "AS", "66": "GU", "69": "MP", "72": "PR", "78": "VI",
}


def state_of_nces_id(nces_id: str) -> str | None:
    """The postal code of a seven-digit NCES LEA id's state, or None when it is not one."""
    text = (nces_id or "").strip()
    return STATE_BY_FIPS.get(text[:2]) if len(text) == 7 and text.isdigit() else None


def state_values(state: str | None, eac: dict[str, str] | None) -> dict[str, str]:
    """The placeholders about the district's state and its Equity Assistance Center (None: not in the table)."""
    return {
        "state": STATE_NAMES.get(state, state) if state else "your state",
        "region": eac["region"] if eac else "",
        "center": eac["center"] if eac else "regional Equity Assistance Center",
        "operator": eac["operator"] if eac else "",
    }


def sample_values(state: str | None, eac: dict[str, str] | None) -> dict[str, str]:
    """What each placeholder reads as in an editor's preview: a school finding in a mid-sized district of
    ``state``, served by ``eac``."""
    return {
        "district_name": "Riverside County School District",
        "band": "elementary",
        "schools_in_band": "4",
        "district_schools": "9",
        "school_id": "0311",
        "school_name": "North Hills Elementary",
        **state_values(state, eac),
    }
