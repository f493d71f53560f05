"""Remedy estimates: what it would take, in the district's own numbers, to resolve a finding.

Four estimates (docs/recommendations.md, "Remedy estimates"):

* :func:`integration_remedy` -- the fewest student reassignments among the schools of one
  grade band that bring every school within the INT-01 / INT-03 bands (a linear program
  solved with HiGHS through highspy, its own Python interface; :mod:`.remedies_integration`);
* :func:`comparability_remedy` -- the state/local teacher FTE and dollars a flagged Title I
  school needs to meet RES-01 / RES-02;
* :func:`progressivity_remedy` -- the dollars to move from the lowest- to the highest-poverty
  quartile so that RES-03's ratio is reached;
* :func:`teacher_equity_remedy` -- the inexperienced-teacher FTE to swap between quartiles so
  that RES-04's gap is reached (these three: :mod:`.remedies_resources`).

Every result is a plain JSON-ready dict (Python floats/ints only). Pure Python + numpy/scipy:
no Django here.

Counting convention for reassignments: every student who changes school counts once, so a
swap (one student each way) is two reassignments.
"""
from __future__ import annotations

from .remedies_integration import integration_remedy
from .remedies_resources import (
    comparability_remedy,
    dollars_to_meet_ppe,
    dollars_to_reach_ratio,
    fte_swap_to_reach_gap,
    fte_to_meet_ratio,
    progressivity_remedy,
    quartiles,
    teacher_equity_remedy,
)

__all__ = [
    "integration_remedy",
    "comparability_remedy",
    "fte_to_meet_ratio",
    "dollars_to_meet_ppe",
    "quartiles",
    "progressivity_remedy",
    "dollars_to_reach_ratio",
    "teacher_equity_remedy",
    "fte_swap_to_reach_gap",
]
