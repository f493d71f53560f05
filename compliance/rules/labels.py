"""The one table of reader-facing names for student groups, bands and indices.

Rules, recommendations, the on-screen presenters, the PDF and the exports all take their
words from here, so a group is never called two different things in one product.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GroupLabel:
    """How one student group reads: in a sentence, as a column heading, and abbreviated."""

    noun: str  # in a sentence: "Black students"
    heading: str  # as a table heading: "Black"
    short: str  # where space is tight: "Black"


GROUPS: dict[str, GroupLabel] = {
    "hispanic": GroupLabel("Hispanic students", "Hispanic", "Hisp."),
    "american_indian": GroupLabel("American Indian students", "American Indian", "Am. Ind."),
    "asian": GroupLabel("Asian students", "Asian", "Asian"),
    "black": GroupLabel("Black students", "Black", "Black"),
    "pacific_islander": GroupLabel("Pacific Islander students", "Pacific Islander", "Pac. Isl."),
    "white": GroupLabel("white students", "white", "White"),
    "two_or_more": GroupLabel("students of two or more races", "two or more races", "Two+"),
    "students_of_color": GroupLabel("students of color", "students of color", "SoC"),
    "ed": GroupLabel("economically disadvantaged students", "economically disadvantaged (ED)", "ED"),
    "not_ed": GroupLabel("students not economically disadvantaged", "not ED", "not ED"),
}
# The workbook's column name for the ED count reads like the group it counts.
GROUPS["econ_disadvantaged"] = GROUPS["ed"]


def group_noun(key: str) -> str:
    """'Black students'; an unknown key reads as itself rather than failing a report."""
    label = GROUPS.get(key)
    return label.noun if label else key.replace("_", " ")


def group_heading(key: str) -> str:
    label = GROUPS.get(key)
    return label.heading if label else key.replace("_", " ")


def group_short(key: str) -> str:
    label = GROUPS.get(key)
    return label.short if label else key.replace("_", " ")


BANDS: dict[str, str] = {
    "elementary": "Elementary (PK\u20135)",
    "middle": "Middle (6\u20138)",
    "high": "High (9\u201312)",
}

@dataclass(frozen=True, slots=True)
class IndexLabel:
    """How one dissimilarity index reads: in a rule's sentence, as a table row, abbreviated."""

    noun: str  # starts a sentence: "Black-white dissimilarity in the district is 0.412"
    heading: str  # a row of the key measures: "Dissimilarity, Black and white students"
    short: str  # an evidence value: "D, Black vs white"


# Dissimilarity indices by their key in a measures block.
DISSIMILARITY: dict[str, IndexLabel] = {
    "multigroup": IndexLabel("Multigroup dissimilarity (all race groups)", "Multigroup dissimilarity",
                             "multigroup D (race)"),
    "black_white": IndexLabel("Black-white dissimilarity", "Dissimilarity, Black and white students",
                              "D, Black vs white"),
    "hispanic_white": IndexLabel("Hispanic-white dissimilarity", "Dissimilarity, Hispanic and white students",
                                 "D, Hispanic vs white"),
    "students_of_color_white": IndexLabel("Students of color-white dissimilarity",
                                          "Dissimilarity, students of color and white students",
                                          "D, students of color vs white"),
    "ed_not_ed": IndexLabel("Economically disadvantaged vs. not dissimilarity",
                            "Dissimilarity, economically disadvantaged and not", "D, ED vs not ED"),
}

# Measures a finding may name besides the indices (INT-05 compares flagged schools too; RES-05
# names the spending tests a district fails).
MEASURES: dict[str, str] = {
    **{key: label.short for key, label in DISSIMILARITY.items()},
    "flagged_schools": "identifiable or segregated schools",
    "cv": "coefficient of variation (CV)",
    "mcloone": "McLoone index",
    "federal_range_ratio": "federal range ratio",
}

# Code words rules put in evidence (INT-06's checks, RES-01/02's comparison group), as a reader reads them.
CODE_WORDS: dict[str, str] = {
    "ed_share": "the admitted ED share against the target",
    "empty_seats": "no empty seat while applicants wait",
    "short_pool_ed": "an ED pool short of its reserved seats admits every applicant",
    "short_pool_non_ed": "a pool of other applicants short of its reserved seats admits every applicant",
    "non_title_i": "the band\u2019s non-Title I schools",
    "band": "every school of the band (all are Title I)",
    "poverty": "poverty (ED share)",
}
