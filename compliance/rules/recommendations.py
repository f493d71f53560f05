"""Technical-assistance recommendations, kept as versioned data (recommendations.md).

A :class:`LibraryEntry` is content a state administrator edits as JSON: title, body,
the rules it answers, when it applies (``conditions``) and its sources. :func:`recommend`
picks the entries that fit each finding, fills in the district's own numbers and attaches
remedy estimates from :mod:`compliance.rules.remedies`.

Conditions vocabulary (all keys optional; every key given must hold):

``min_schools_in_band`` / ``max_schools_in_band`` (int)
    schools with enrollment > 0 in the finding's band (its school's band when the finding has
    none; the largest band when it concerns the whole district).
``min_district_schools`` / ``max_district_schools`` (int)
    schools with enrollment > 0 in the district.
``assignment_methods_any`` (list of assignment methods)
    some school in the finding's band (the whole district when it has no band) is assigned
    by one of these methods.
``rules_any`` (list of rule codes)
    the finding's rule is one of these (useful inside ``any``).
``has_lottery`` (bool)
    the workbook has a Lottery sheet with rows (or has none, for ``false``).
``proposed_opens_schools`` (bool)
    the Proposed sheet opens at least one school (or not, for ``false``).
``eac_region_known`` (bool)
    the district's state is in the Equity Assistance Center table (or not).
``any`` (list of condition objects)
    at least one of them holds.

``rule_codes`` lists the rules an entry answers; ``"*"`` means every rule. Bodies may use
the placeholders in :data:`PLACEHOLDERS` written as ``{name}``; they are replaced by plain
substitution (no format mini-language, no attribute access), so an edited body cannot reach
into Python objects.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import remedies
from .model import ASSIGNMENT_METHODS, RuleFinding, RuleRecommendation, WorkbookData
from .ruleset import DEFAULT_PARAMS, section

__all__ = [
    "LibraryEntry",
    "DEFAULT_LIBRARY",
    "DEFAULT_EAC_REGIONS",
    "CONDITION_KEYS",
    "PLACEHOLDERS",
    "validate_entry_dict",
    "entry_from_dict",
    "entry_to_dict",
    "recommend",
]


@dataclass(slots=True)
class LibraryEntry:
    key: str
    title: str
    body: str
    rule_codes: tuple[str, ...]
    conditions: dict[str, Any] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    version: int = 1


# name -> kind; "int" >= 0, "bool", "methods" (list of ASSIGNMENT_METHODS), "rules", "any".
CONDITION_KEYS: dict[str, str] = {
    "min_schools_in_band": "int",
    "max_schools_in_band": "int",
    "min_district_schools": "int",
    "max_district_schools": "int",
    "assignment_methods_any": "methods",
    "rules_any": "rules",
    "has_lottery": "bool",
    "proposed_opens_schools": "bool",
    "eac_region_known": "bool",
    "any": "any",
}

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

_RULE_CODES = tuple(c for c in DEFAULT_PARAMS if c[:3] in ("INT", "RES"))
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_EAC_KEY = "equity-assistance-center"

# --------------------------------------------------------------------------------------
# The default library
# --------------------------------------------------------------------------------------

DEFAULT_LIBRARY: tuple[LibraryEntry, ...] = (
    LibraryEntry(
        key="grade-centers",
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
        key=_EAC_KEY,
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

# --------------------------------------------------------------------------------------
# Equity Assistance Centers (2022 awards), state postal code -> center. Data to correct.
# Regions as the centers list them: Region I per MAEC (CEE), Region III per the Midwest and
# Plains EAC (Indiana plus 12 states, Oklahoma the 13th), Region IV the western states and
# Pacific territories; Region II per recommendations.md. Territories included for
# completeness.
# --------------------------------------------------------------------------------------

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

_STATE_NAMES: dict[str, str] = {
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

# --------------------------------------------------------------------------------------
# Editing as JSON
# --------------------------------------------------------------------------------------


def _validate_conditions(cond: Any, where: str) -> list[str]:
    if not isinstance(cond, dict):
        return [f"{where}: must be an object of conditions."]
    errors: list[str] = []
    for name, value in cond.items():
        kind = CONDITION_KEYS.get(name)
        if kind is None:
            errors.append(f"{where}.{name}: unknown condition; known: {', '.join(CONDITION_KEYS)}.")
        elif kind == "int":
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                errors.append(f"{where}.{name}: must be a whole number, 0 or more.")
        elif kind == "bool":
            if not isinstance(value, bool):
                errors.append(f"{where}.{name}: must be true or false.")
        elif kind in ("methods", "rules"):
            allowed = ASSIGNMENT_METHODS if kind == "methods" else _RULE_CODES
            if not isinstance(value, list) or not value:
                errors.append(f"{where}.{name}: must be a non-empty list.")
            else:
                bad = [v for v in value if v not in allowed]
                if bad:
                    errors.append(f"{where}.{name}: unknown value(s) {', '.join(map(str, bad))}; "
                                  f"allowed: {', '.join(allowed)}.")
        elif kind == "any":
            if not isinstance(value, list) or not value:
                errors.append(f"{where}.any: must be a non-empty list of condition objects.")
            else:
                for i, sub in enumerate(value):
                    errors += _validate_conditions(sub, f"{where}.any[{i}]")
    for lo, hi in (("min_schools_in_band", "max_schools_in_band"), ("min_district_schools", "max_district_schools")):
        a, b = cond.get(lo), cond.get(hi)
        if isinstance(a, int) and isinstance(b, int) and a > b:
            errors.append(f"{where}: {lo} must not be above {hi}.")
    return errors


def _validate_text(text: str, where: str) -> list[str]:
    bad = [m for m in _PLACEHOLDER_RE.findall(text) if m not in PLACEHOLDERS]
    if bad:
        return [f"{where}: unknown placeholder(s) {', '.join('{' + b + '}' for b in bad)}; "
                f"allowed: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}."]
    return []


def validate_entry_dict(d: Any) -> list[str]:
    """Every problem with an edited entry, as sentences an administrator can act on."""
    if not isinstance(d, dict):
        return ["A recommendation must be an object with key, title, body, rule_codes, conditions, sources."]
    errors: list[str] = []
    allowed = {"key", "title", "body", "rule_codes", "conditions", "sources", "version"}
    for k in d:
        if k not in allowed:
            errors.append(f"{k}: unknown field; allowed: {', '.join(sorted(allowed))}.")
    key = d.get("key")
    if not isinstance(key, str) or not _KEY_RE.match(key):
        errors.append("key: required; lower-case letters, digits and hyphens, at most 64 characters.")
    for name in ("title", "body"):
        value = d.get(name)
        if not isinstance(value, str) or not value.strip():
            errors.append(f"{name}: required text.")
        else:
            errors += _validate_text(value, name)
    codes = d.get("rule_codes")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        errors.append("rule_codes: must be a non-empty list of rule codes (or [\"*\"] for every rule).")
    else:
        bad = [c for c in codes if c != "*" and c not in _RULE_CODES]
        if bad:
            errors.append(f"rule_codes: unknown code(s) {', '.join(bad)}; known: {', '.join(_RULE_CODES)}, *.")
    errors += _validate_conditions(d.get("conditions", {}), "conditions")
    sources = d.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) and s.strip() for s in sources):
        errors.append("sources: must be a list of non-empty texts (URLs or citations).")
    version = d.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        errors.append("version: must be a whole number, 1 or more.")
    return errors


def entry_from_dict(d: dict[str, Any]) -> LibraryEntry:
    """Build an entry from edited JSON; raises ``ValueError`` listing every problem."""
    errors = validate_entry_dict(d)
    if errors:
        raise ValueError("; ".join(errors))
    return LibraryEntry(
        key=d["key"],
        title=d["title"],
        body=d["body"],
        rule_codes=tuple(d["rule_codes"]),
        conditions=_copy_json(d.get("conditions", {})),
        sources=tuple(d.get("sources", [])),
        version=d.get("version", 1),
    )


def entry_to_dict(e: LibraryEntry) -> dict[str, Any]:
    return {
        "key": e.key,
        "title": e.title,
        "body": e.body,
        "rule_codes": list(e.rule_codes),
        "conditions": _copy_json(e.conditions),
        "sources": list(e.sources),
        "version": e.version,
    }


def _copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy_json(v) for v in value]
    return value


# --------------------------------------------------------------------------------------
# Choosing and filling recommendations
# --------------------------------------------------------------------------------------


class _Context:
    """What the conditions and estimates need about one workbook, computed once."""

    def __init__(self, wb: WorkbookData, params: dict | None, eac: dict[str, str] | None, state: str | None):
        self.wb = wb
        self.params = params
        self.eac = eac
        self.state = state
        self.schools = [s for s in wb.schools if s.enrollment_total > 0]
        self.by_id = {s.school_id: s for s in wb.schools}
        self.band_schools: dict[str, list] = {}
        for s in self.schools:
            self.band_schools.setdefault(s.band, []).append(s)
        existing = {s.school_id for s in self.schools}
        self.opens_schools = bool(wb.proposed) and any(
            p.school_id not in existing and p.enrollment_total > 0 for p in wb.proposed or [])
        self._integration: dict[str, dict[str, Any]] = {}

    def band_of(self, f: RuleFinding) -> str | None:
        if f.band:
            return f.band
        school = self.by_id.get(f.school_id) if f.school_id else None
        return school.band if school else None

    def schools_in_band(self, f: RuleFinding) -> int:
        band = self.band_of(f)
        if band is None:
            return max((len(v) for v in self.band_schools.values()), default=0)
        return len(self.band_schools.get(band, []))

    def methods(self, f: RuleFinding) -> set[str]:
        band = self.band_of(f)
        scope = self.schools if band is None else self.band_schools.get(band, [])
        return {s.assignment_method for s in scope}

    def integration(self, band: str) -> dict[str, Any]:
        """The band's integration LP, solved once and shared by its INT-01/INT-03 findings."""
        if band not in self._integration:
            int01 = section(self.params, "INT-01")
            int03 = section(self.params, "INT-03")
            self._integration[band] = remedies.integration_remedy(
                self.band_schools.get(band, []),
                band=int01["band"] if int01.get("enabled", True) else None,
                ed_band=int03["band"] if int03.get("enabled", True) else None,
                single_group_min_share=int01.get("single_group_min_band_share") if int01.get("enabled", True) else None,
            )
        return self._integration[band]

    def estimate(self, f: RuleFinding) -> dict[str, Any] | None:
        rule = f.rule
        if rule in ("INT-01", "INT-03"):
            band = self.band_of(f)
            if not band:
                return None
            full = self.integration(band)
            # The full flow list and per-school table stay out of the report (they would be
            # repeated on every finding of the band); the finding's own school is kept.
            est = {k: v for k, v in full.items() if k not in ("flows", "after")}
            if f.school_id and f.school_id in full.get("after", {}):
                est["school_after"] = full["after"][f.school_id]
            return est
        if rule in ("RES-01", "RES-02") and f.school_id:
            r1, r2 = section(self.params, "RES-01"), section(self.params, "RES-02")
            comp = remedies.comparability_remedy(
                self.wb, f.school_id, res01_limit=r1["limit"], res02_limit=r2["limit"],
                min_enrollment=r1["min_enrollment"] if rule == "RES-01" else r2["min_enrollment"],
            )
            if comp is None:
                return None
            part = comp["res01" if rule == "RES-01" else "res02"]
            if part is None:
                return None
            return {k: comp[k] for k in ("school_id", "band", "enrollment", "comparison")} | part
        if rule == "RES-03":
            return remedies.progressivity_remedy(
                self.wb, min_ratio=section(self.params, "RES-03")["min_ratio"], band=f.band)
        if rule == "RES-04":
            # The RES-04 rule writes one finding per quartile definition and names it in
            # evidence["quartiles_by"]; without it, both definitions are estimated.
            by = f.evidence.get("quartiles_by")
            return remedies.teacher_equity_remedy(
                self.wb, max_gap=section(self.params, "RES-04")["max_gap"], band=f.band,
                by=(by,) if by in ("poverty", "students_of_color") else ("poverty", "students_of_color"))
        return None


def _holds(cond: dict[str, Any], f: RuleFinding, ctx: _Context) -> bool:
    for name, value in cond.items():
        if name == "min_schools_in_band" and ctx.schools_in_band(f) < value:
            return False
        if name == "max_schools_in_band" and ctx.schools_in_band(f) > value:
            return False
        if name == "min_district_schools" and len(ctx.schools) < value:
            return False
        if name == "max_district_schools" and len(ctx.schools) > value:
            return False
        if name == "assignment_methods_any" and not (ctx.methods(f) & set(value)):
            return False
        if name == "rules_any" and f.rule not in value:
            return False
        if name == "has_lottery" and bool(ctx.wb.lottery) != value:
            return False
        if name == "proposed_opens_schools" and ctx.opens_schools != value:
            return False
        if name == "eac_region_known" and (ctx.eac is not None) != value:
            return False
        if name == "any" and not any(_holds(sub, f, ctx) for sub in value):
            return False
    return True


def _fill(text: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


_GROUP_WORDS = {
    "students_of_color": "students of color",
    "white": "white students",
    "hispanic": "Hispanic students",
    "american_indian": "American Indian students",
    "asian": "Asian students",
    "black": "Black students",
    "pacific_islander": "Pacific Islander students",
    "two_or_more": "students of two or more races",
}


def _money(x: float) -> str:
    return f"${x:,.0f}"


def _estimate_sentence(rule: str, est: dict[str, Any] | None, ctx: _Context) -> str:
    """One sentence with the estimate's numbers, appended to the entry's body."""
    if not est:
        return ""
    if rule in ("INT-01", "INT-03"):
        if not est.get("reachable"):
            return f"Estimate: {est.get('reason', 'not reachable within the band')}."
        if est["students_moved"] == 0:
            return "Estimate: no reassignment is needed to bring the band's schools within the bands."
        names = {s.school_id: s.school_name for s in ctx.wb.schools}
        top = est["largest_flows"][:3]
        flows = "; ".join(
            f"{fl['students']} {_GROUP_WORDS.get(fl['group'], fl['group'])} from {names.get(fl['from'], fl['from'])} "
            f"to {names.get(fl['to'], fl['to'])}" for fl in top)
        return (
            f"Estimate: about {est['students_moved']} student reassignments "
            f"({est['share_of_band'] * 100:.1f}% of the band's {est['band_enrollment']} students) "
            f"would bring every school of the band within the bands; largest moves: {flows}."
        )
    if rule == "RES-01":
        move = est.get("fte_to_move_from_comparison")
        add = est.get("fte_to_add")
        if add is None:
            return ""
        text = (f"Estimate: {add:.1f} more state/local teacher FTE at this school would bring it to "
                f"{est['target_ratio']:.2f} students per teacher")
        return text + (f" (or {move:.1f} FTE moved from the comparison schools)." if move is not None else ".")
    if rule == "RES-02":
        add = est.get("dollars_to_add")
        move = est.get("dollars_to_move_from_comparison")
        if add is None:
            return ""
        text = (f"Estimate: {_money(add)} more state/local spending at this school would bring it to "
                f"{_money(est['target_ppe'])} per pupil")
        return text + (f" (or {_money(move)} moved from the comparison schools)." if move is not None else ".")
    if rule == "RES-03":
        if est["dollars_to_move"] <= 0:
            return ""
        return (f"Estimate: moving {_money(est['dollars_to_move'])} of state/local spending from the "
                f"lowest-poverty to the highest-poverty quartile would bring the ratio to "
                f"{est['min_ratio']:.2f} (or adding {_money(est['dollars_to_add_to_high'])} to the "
                f"highest-poverty quartile).")
    if rule == "RES-04":
        parts = []
        for key, label in (("poverty", "poverty"), ("students_of_color", "students-of-color")):
            item = est.get(key)
            if item:
                parts.append(f"swapping {item['fte_to_swap']:.1f} inexperienced teacher FTE for experienced "
                             f"ones between the highest- and lowest-{label} quartiles (or replacing "
                             f"{item['fte_to_replace_in_high']:.1f} inexperienced FTE in the highest quartile "
                             f"with experienced teachers)")
        if not parts:
            return ""
        return f"Estimate: {' and '.join(parts)} would bring the gap to {est['max_gap'] * 100:g} points."
    return ""


def recommend(
    wb: WorkbookData,
    findings: list[RuleFinding],
    params: dict | None,
    *,
    library: tuple[LibraryEntry, ...] = DEFAULT_LIBRARY,
    eac_regions: dict[str, dict[str, str]] = DEFAULT_EAC_REGIONS,
    state: str | None = None,
) -> None:
    """Attach the fitting recommendations, with estimates, to each finding (in place).

    Entries are added in library order after any the finding already has (a key already
    present is not added twice). Info-severity findings (commendations) get only the
    every-rule entries (the Equity Assistance Center or state TA) and no estimate. The
    integration estimate is solved once per band and shared.
    """
    code = state.strip().upper() if state else None
    eac = eac_regions.get(code) if code else None
    ctx = _Context(wb, params, eac, code)
    district_name = wb.district.district_name if wb.district else "The district"

    for f in findings:
        commendation = f.severity == "info"
        have = {r.key for r in f.recommendations}
        band = ctx.band_of(f)
        school = ctx.by_id.get(f.school_id) if f.school_id else None
        values = {
            "district_name": district_name,
            "band": band or "largest",  # a district-wide finding counts its largest band
            "schools_in_band": str(ctx.schools_in_band(f)),
            "district_schools": str(len(ctx.schools)),
            "school_id": f.school_id or "",
            "school_name": school.school_name if school else "",
            "state": _STATE_NAMES.get(code, code) if code else "your state",
            "region": eac["region"] if eac else "",
            "center": eac["center"] if eac else "regional Equity Assistance Center",
            "operator": eac["operator"] if eac else "",
        }
        estimate: dict[str, Any] | None = None
        estimated = False
        for entry in library:
            if entry.key in have:
                continue
            every_rule = "*" in entry.rule_codes
            if not every_rule and (commendation or f.rule not in entry.rule_codes):
                continue
            if not _holds(entry.conditions, f, ctx):
                continue
            body = _fill(entry.body, values)
            est = None
            if not every_rule:
                if not estimated:
                    estimate, estimated = ctx.estimate(f), True
                est = estimate
                sentence = _estimate_sentence(f.rule, est, ctx)
                if sentence:
                    body = f"{body} {sentence}"
            f.recommendations.append(RuleRecommendation(
                key=entry.key,
                title=_fill(entry.title, values),
                estimate=est,
                body=body,
                sources=list(entry.sources),
            ))
            have.add(entry.key)
