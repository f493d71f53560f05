"""Technical-assistance recommendations, kept as versioned data (docs/recommendations.md): the public names.

A :class:`LibraryEntry` is content a state administrator edits as JSON: title, body,
the rules it answers, when it applies (``conditions``) and its sources. :func:`recommend`
picks the entries that fit each finding, fills in the district's own numbers and attaches
remedy estimates from :mod:`compliance.rules.remedies`. The default library is data
(:mod:`.recommendation_library`), checked as edited (:mod:`.recommendation_validation`) and
applied by the engine (:mod:`.recommendation_engine`).

Conditions vocabulary (all keys optional; every key given must hold):

``min_schools_in_band`` / ``max_schools_in_band`` (int)
    schools with enrollment > 0 in the finding's band (its school's band when the finding has
    none; the largest band when it concerns the whole district).
``min_district_schools`` / ``max_district_schools`` (int)
    schools with enrollment > 0 in the district.
``assignment_methods_any`` (list of assignment methods)
    some school in the finding's band (the whole district when it has no band) is assigned
    by one of these methods.
``assignment_methods_none`` (list of assignment methods)
    no school in the finding's band (the whole district when it has no band) is assigned by
    any of these methods.
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

from .recommendation_engine import recommend
from .recommendation_library import DEFAULT_EAC_REGIONS, DEFAULT_LIBRARY, PLACEHOLDERS, LibraryEntry
from .recommendation_validation import CONDITION_KEYS, entry_from_dict, entry_to_dict, validate_entry_dict

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
