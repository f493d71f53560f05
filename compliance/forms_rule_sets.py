"""The rule-set form: one labelled field per parameter, in the unit a program officer reads it in.

Which parameters exist, their type and allowed range come from ``rules.ruleset.PARAM_SPECS``;
their unit, label and the rule they belong to from ``rules.registry``. Shares, percentage points
and multiples are typed in percent (15 for a band of 0.15, 110 for a limit of 1.10) and stored
as the fractions the rules read.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms

from .rules import registry, ruleset
from .rules.model import SEVERITIES

# Units typed in percent: (what the field says after its label, how the value reads).
PERCENT_UNITS = {"share": "percent", "points": "percentage points", "multiple": "percent of the comparison figure"}
UNIT_WORDS = {"students": "students", "index": "index", "number": "times"}
SEVERITY_CHOICES = [(s, s.capitalize()) for s in SEVERITIES[1:]]


def to_display(param: registry.Parameter, value: Any) -> Any:
    """A stored value as typed in the form: 0.15 points -> 15."""
    if param.unit in PERCENT_UNITS and isinstance(value, (int, float)) and not isinstance(value, bool):
        return _plain(Decimal(str(value)) * 100)
    return value


def to_stored(param: registry.Parameter, value: Any) -> Any:
    """A typed value as the rules read it: 15 points -> 0.15 (decimal arithmetic, so no 0.15000000000000002)."""
    if param.kind == "integer":
        return int(value)
    typed = Decimal(str(value))
    return float(typed / 100) if param.unit in PERCENT_UNITS else float(typed)


def _plain(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d.normalize())


def unit_words(param: registry.Parameter) -> str:
    return PERCENT_UNITS.get(param.unit) or UNIT_WORDS.get(param.unit, param.unit)


def value_text(param: registry.Parameter | None, value: Any) -> str:
    """How a value reads in a diff: "15 percentage points", "on", "finding", "(none)"."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "on" if value else "off"
    if param is None or not isinstance(value, (int, float)):
        return str(value)
    shown, words = to_display(param, value), unit_words(param)
    number = f"{shown:,}" if param.kind == "integer" else f"{shown:g}"
    return number if words == "index" else f"{number} {words}"


def field_name(section: str, key: str) -> str:
    return f"{section}__{key}"


@dataclass(frozen=True)
class SectionFields:
    """One fieldset of the form: a rule (or section), its standard as worded now, and its fields."""

    code: str
    name: str
    standard: str
    fields: list[forms.BoundField]


class RuleSetParamsForm(forms.Form):
    """Every parameter of every section: on/off, severity where the rule has one, the numbers."""

    reason = forms.CharField(label="Why this change (kept in the audit trail)", max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    notes = forms.CharField(label="Notes on this version", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, data=None, *, params: dict[str, Any], with_name: bool = False,
                 initial: dict[str, Any] | None = None, **kwargs):
        super().__init__(data, initial={**_initial(params), **(initial or {})}, **kwargs)
        if with_name:
            self.fields["name"] = forms.CharField(label="Name of the rule set", max_length=100)
            self.order_fields(["name"])
        for code in ruleset.PARAM_SPECS:
            # Each section is a fieldset whose legend names the rule: the labels need not repeat it.
            self.fields[field_name(code, "enabled")] = forms.BooleanField(label="Rule turned on", required=False)
            if registry.has_severity(code):
                self.fields[field_name(code, "severity")] = forms.ChoiceField(
                    label="Severity of what it finds", choices=SEVERITY_CHOICES)
            for param in registry.parameters(code):
                self.fields[field_name(code, param.key)] = _number_field(param)

    def sections(self, params: dict[str, Any]) -> list[SectionFields]:
        """The fieldsets, each headed by its rule and its standard as ``params`` word it."""
        return [SectionFields(code, registry.section_name(code), registry.threshold_text(code, params),
                              [self[name] for name in self.fields if name.startswith(f"{code}__")])
                for code in ruleset.PARAM_SPECS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        for problem in ruleset.validate_params(self.params()):
            where, _, message = problem.partition(": ")
            code, _, key = where.partition(".")
            name = field_name(code, key)
            self.add_error(name if name in self.fields else None, message if name in self.fields else problem)
        return data

    def params(self) -> dict[str, Any]:
        """The cleaned values as a rule set's parameters (fractions, defaults' key order)."""
        data = self.cleaned_data
        params: dict[str, Any] = {}
        for code, defaults in ruleset.DEFAULT_PARAMS.items():
            section: dict[str, Any] = {"enabled": bool(data.get(field_name(code, "enabled")))}
            if "severity" in defaults:
                section["severity"] = data.get(field_name(code, "severity"))
            for param in registry.parameters(code):
                value = data.get(field_name(code, param.key))
                section[param.key] = None if value is None else to_stored(param, value)
            params[code] = section
        return params


def _number_field(param: registry.Parameter) -> forms.Field:
    lo, hi = (_plain(Decimal(str(to_display(param, v)))) for v in (param.minimum, param.maximum))
    words = unit_words(param)
    help_text = f"Allowed: {lo:g} to {hi:g}" + ("" if words == "index" else f" {words}") + "."
    label = f"{param.label} ({words})"
    attrs = {"step": "1" if param.kind == "integer" else "any", "class": "vIntegerField"}
    if param.kind == "integer":
        return forms.IntegerField(label=label, min_value=int(lo), max_value=int(hi), help_text=help_text,
                                  widget=forms.NumberInput(attrs=attrs))
    return forms.DecimalField(label=label, min_value=Decimal(str(lo)), max_value=Decimal(str(hi)),
                              help_text=help_text, widget=forms.NumberInput(attrs=attrs))


def _initial(params: dict[str, Any]) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for code in ruleset.PARAM_SPECS:
        section = ruleset.section(params, code)
        initial[field_name(code, "enabled")] = section.get("enabled", True)
        if "severity" in section:
            initial[field_name(code, "severity")] = section["severity"]
        for param in registry.parameters(code):
            initial[field_name(code, param.key)] = to_display(param, section.get(param.key))
    return initial


def parameter_of(path: str) -> registry.Parameter | None:
    """The parameter a change's dotted path names ("INT-01.band"), if it is a numeric one."""
    code, _, key = path.partition(".")
    if code not in ruleset.PARAM_SPECS:
        return None
    return next((p for p in registry.parameters(code) if p.key == key), None)


def change_rows(changes: list[dict[str, Any]]) -> list[dict[str, str]]:
    """A diff as rows a person reads: rule, parameter, before, after (in the form's units)."""
    rows = []
    for change in changes:
        path = change["field"]
        code, _, key = path.partition(".")
        param = parameter_of(path)
        label = param.label if param else {"enabled": "Rule turned on", "severity": "Severity"}.get(key, key or path)
        rule = f"{code} {registry.section_name(code)}" if code in ruleset.PARAM_SPECS else ""
        rows.append({"rule": rule, "parameter": label if rule else path[:1].upper() + path[1:],
                     "before": value_text(param, change["before"]), "after": value_text(param, change["after"])})
    return rows
