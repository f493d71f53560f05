"""The rule registry: for every rule code, its name, the standard it applies and its evidence.

Skeleton: names only. The evidence schema is declared here next (issue 9); the PDF, the
screen, the exports and the recommendation sentences read rule facts from this module only.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RuleSpec:
    code: str
    name: str


RULES: dict[str, RuleSpec] = {
    spec.code: spec
    for spec in (
        RuleSpec("INT-01", "Racially identifiable schools"),
        RuleSpec("INT-02", "Intensely segregated schools"),
        RuleSpec("INT-03", "Economically identifiable schools"),
        RuleSpec("INT-04", "District evenness (dissimilarity)"),
        RuleSpec("INT-05", "Proposed assignment change"),
        RuleSpec("INT-06", "Socioeconomic lottery"),
        RuleSpec("RES-01", "Comparability of staff"),
        RuleSpec("RES-02", "Comparability of spending"),
        RuleSpec("RES-03", "Progressivity of spending"),
        RuleSpec("RES-04", "Teacher equity"),
        RuleSpec("RES-05", "Horizontal equity of spending"),
    )
}

# Code -> name, for filters and headings.
RULE_NAMES: dict[str, str] = {code: spec.name for code, spec in RULES.items()}


def rule_name(code: str) -> str:
    """The rule's name; a data-check code (DATA-nn) reads as 'Data check'."""
    if code in RULES:
        return RULES[code].name
    return "Data check" if code.startswith("DATA-") else code
