"""Validation of recommendation library entries as a state administrator edits them (JSON).

Every problem comes back as a sentence the administrator can act on; an entry that passes
can be built (:func:`entry_from_dict`) and evaluated without surprises. The conditions
vocabulary is documented in :mod:`compliance.rules.recommendations`.
"""
from __future__ import annotations

import re
from typing import Any

from .model import ASSIGNMENT_METHODS
from .recommendation_library import PLACEHOLDER_RE, PLACEHOLDERS, LibraryEntry
from .registry import RULES

# name -> kind; "int" >= 0, "bool", "methods" (list of ASSIGNMENT_METHODS), "rules", "any".
CONDITION_KEYS: dict[str, str] = {
    "min_schools_in_band": "int",
    "max_schools_in_band": "int",
    "min_district_schools": "int",
    "max_district_schools": "int",
    "assignment_methods_any": "methods",
    "assignment_methods_none": "methods",
    "rules_any": "rules",
    "has_lottery": "bool",
    "proposed_opens_schools": "bool",
    "eac_region_known": "bool",
    "any": "any",
}

_RULE_CODES = tuple(RULES)
_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_ENTRY_FIELDS = ("key", "title", "body", "rule_codes", "conditions", "sources", "version")


def _whole(value: Any, least: int) -> bool:
    # JSON true/false arrive as bool, which Python counts as int.
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _validate_conditions(cond: Any, where: str) -> list[str]:
    if not isinstance(cond, dict):
        return [f"{where}: must be an object of conditions."]
    errors: list[str] = []
    for name, value in cond.items():
        errors += _validate_condition(name, value, where)
    for lo, hi in (("min_schools_in_band", "max_schools_in_band"), ("min_district_schools", "max_district_schools")):
        a, b = cond.get(lo), cond.get(hi)
        if isinstance(a, int) and isinstance(b, int) and a > b:
            errors.append(f"{where}: {lo} must not be above {hi}.")
    return errors


def _validate_condition(name: str, value: Any, where: str) -> list[str]:
    """The problems of one condition, by the kind CONDITION_KEYS gives it."""
    kind = CONDITION_KEYS.get(name)
    if kind is None:
        return [f"{where}.{name}: unknown condition; known: {', '.join(CONDITION_KEYS)}."]
    if kind == "int":
        return [] if _whole(value, 0) else [f"{where}.{name}: must be a whole number, 0 or more."]
    if kind == "bool":
        return [] if isinstance(value, bool) else [f"{where}.{name}: must be true or false."]
    if kind == "any":
        if not isinstance(value, list) or not value:
            return [f"{where}.any: must be a non-empty list of condition objects."]
        return [e for i, sub in enumerate(value) for e in _validate_conditions(sub, f"{where}.any[{i}]")]
    allowed = ASSIGNMENT_METHODS if kind == "methods" else _RULE_CODES
    if not isinstance(value, list) or not value:
        return [f"{where}.{name}: must be a non-empty list."]
    bad = [v for v in value if v not in allowed]
    if bad:
        return [f"{where}.{name}: unknown value(s) {', '.join(map(str, bad))}; allowed: {', '.join(allowed)}."]
    return []


def _validate_text(text: str, where: str) -> list[str]:
    bad = [m for m in PLACEHOLDER_RE.findall(text) if m not in PLACEHOLDERS]
    if bad:
        return [f"{where}: unknown placeholder(s) {', '.join('{' + b + '}' for b in bad)}; "
                f"allowed: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}."]
    return []


def validate_entry_dict(d: Any) -> list[str]:
    """Every problem with an edited entry, as sentences an administrator can act on."""
    if not isinstance(d, dict):
        return ["A recommendation must be an object with key, title, body, rule_codes, conditions, sources."]
    errors: list[str] = []
    for k in d:
        if k not in _ENTRY_FIELDS:
            errors.append(f"{k}: unknown field; allowed: {', '.join(sorted(_ENTRY_FIELDS))}.")
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
    if not _whole(version, 1):
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
    """The entry as the JSON an administrator edits (and the database stores)."""
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
    # A deep copy, so that an edited dict never shares lists with a library entry.
    if isinstance(value, dict):
        return {k: _copy_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy_json(v) for v in value]
    return value

