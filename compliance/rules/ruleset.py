"""The parameters of every rule, as data: defaults, and validation of an edited set.

A rule set is a plain dict ``{rule_code: {param: value}}``. The Django ``RuleSet`` model
stores one as JSON and validates it with :func:`validate_params` on save; the rules read
their section with :func:`section`. Shares and tolerances are fractions (0.15 = 15 points),
as in the JSON output.
"""
from __future__ import annotations

import copy
from typing import Any

from .model import SEVERITIES

DEFAULT_RULE_SET_NAME = "State default"

# (type, minimum, maximum) of each numeric parameter; bounds are inclusive.
_NUM = "number"
_INT = "integer"

PARAM_SPECS: dict[str, dict[str, tuple[str, float, float]]] = {
    "INT-01": {"band": (_NUM, 0.0, 1.0), "single_group_min_band_share": (_NUM, 0.0, 1.0)},
    "INT-02": {"threshold": (_NUM, 0.5, 1.0)},
    "INT-03": {"band": (_NUM, 0.0, 1.0)},
    "INT-04": {"warning_at": (_NUM, 0.0, 1.0), "finding_at": (_NUM, 0.0, 1.0)},
    "INT-05": {"tolerance": (_NUM, 0.0, 1.0)},
    "INT-06": {"tolerance": (_NUM, 0.0, 1.0)},
    "RES-01": {"limit": (_NUM, 1.0, 3.0), "min_enrollment": (_INT, 0, 100000)},
    "RES-02": {"limit": (_NUM, 0.0, 1.0), "min_enrollment": (_INT, 0, 100000)},
    "RES-03": {"min_ratio": (_NUM, 0.0, 5.0)},
    "RES-04": {"max_gap": (_NUM, 0.0, 1.0)},
    "RES-05": {
        "max_cv": (_NUM, 0.0, 5.0),
        "min_mcloone": (_NUM, 0.0, 1.0),
        "max_range_ratio": (_NUM, 0.0, 100.0),
    },
    "PLAUSIBILITY": {
        "max_enrollment_change": (_NUM, 0.0, 10.0),
        "max_ppe_over_median": (_NUM, 1.0, 100.0),
    },
    "PRIVACY": {"min_cell": (_INT, 1, 100)},
}

# Sections that are not rules with a severity of their own.
_NO_SEVERITY = {"INT-04", "PLAUSIBILITY", "PRIVACY"}

DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "INT-01": {"enabled": True, "severity": "finding", "band": 0.15, "single_group_min_band_share": 0.05},
    "INT-02": {"enabled": True, "severity": "finding", "threshold": 0.90},
    "INT-03": {"enabled": True, "severity": "finding", "band": 0.15},
    # Massey & Denton reading: >= 0.3 moderate (warning), >= 0.6 high (finding).
    "INT-04": {"enabled": True, "warning_at": 0.30, "finding_at": 0.60},
    "INT-05": {"enabled": True, "severity": "finding", "tolerance": 0.005},
    "INT-06": {"enabled": True, "severity": "finding", "tolerance": 0.05},
    "RES-01": {"enabled": True, "severity": "finding", "limit": 1.10, "min_enrollment": 100},
    "RES-02": {"enabled": True, "severity": "finding", "limit": 0.90, "min_enrollment": 100},
    "RES-03": {"enabled": True, "severity": "finding", "min_ratio": 1.0},
    "RES-04": {"enabled": True, "severity": "finding", "max_gap": 0.05},
    "RES-05": {
        "enabled": True,
        "severity": "warning",
        "max_cv": 0.10,
        "min_mcloone": 0.95,
        "max_range_ratio": 0.25,
    },
    "PLAUSIBILITY": {"enabled": True, "max_enrollment_change": 0.30, "max_ppe_over_median": 3.0},
    "PRIVACY": {"enabled": True, "min_cell": 10},
}


def default_params() -> dict[str, dict[str, Any]]:
    return copy.deepcopy(DEFAULT_PARAMS)


def section(params: dict[str, Any] | None, code: str) -> dict[str, Any]:
    """The parameters of one rule, defaults filled in for any key the set leaves out."""
    merged = dict(DEFAULT_PARAMS[code])
    if params and code in params:
        merged.update(params[code])
    return merged


def validate_params(params: Any) -> list[str]:
    """Every problem with an edited rule set, as sentences a state administrator can act on."""
    if not isinstance(params, dict):
        return ["The rule set must be an object of rule codes, e.g. {\"INT-01\": {...}}."]
    errors: list[str] = []
    for code in params:
        if code not in DEFAULT_PARAMS:
            errors.append(f"{code}: unknown rule code; known codes are {', '.join(DEFAULT_PARAMS)}.")
    for code, spec in PARAM_SPECS.items():
        values = params.get(code)
        if values is None:
            errors.append(f"{code}: missing; every rule must be listed (set \"enabled\": false to turn it off).")
            continue
        if not isinstance(values, dict):
            errors.append(f"{code}: must be an object of parameters.")
            continue
        allowed = set(spec) | {"enabled"} | (set() if code in _NO_SEVERITY else {"severity"})
        for key in values:
            if key not in allowed:
                errors.append(f"{code}.{key}: unknown parameter; allowed: {', '.join(sorted(allowed))}.")
        if not isinstance(values.get("enabled"), bool):
            errors.append(f"{code}.enabled: must be true or false.")
        if code not in _NO_SEVERITY and values.get("severity") not in SEVERITIES[1:]:
            errors.append(f"{code}.severity: must be one of finding, warning, info.")
        for key, (kind, lo, hi) in spec.items():
            value = values.get(key)
            # Written out (not via a flag) so that the type checker sees value is a number below.
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind == _INT and int(value) != value):
                errors.append(f"{code}.{key}: must be {'a whole number' if kind == _INT else 'a number'}.")
            elif not lo <= value <= hi:
                errors.append(f"{code}.{key}: {value} is outside the allowed range {lo:g} to {hi:g}.")
    int04 = params.get("INT-04")
    if isinstance(int04, dict):
        w, f = int04.get("warning_at"), int04.get("finding_at")
        if isinstance(w, (int, float)) and isinstance(f, (int, float)) and w > f:
            errors.append("INT-04: warning_at must not be above finding_at.")
    return errors
