"""How a finding's evidence and a remedy's estimate read, for the PDF, the screen and the exports.

Units, headings and which values describe students at a school come from the rule registry
(compliance.rules.registry), never from a key's spelling. A key the registry does not declare
(a hand-made finding) is formatted by its value's type alone, and any whole number in it is
treated as a possible count of students.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from compliance.rules import registry
from compliance.rules.labels import CODE_WORDS, GROUPS, MEASURES, group_heading
from compliance.rules.registry import Field

from . import formatting as fmt
from .suppression import CELL_ALIASES, CellMask, mask_counts, scrub_text, suppress_count

LIST_MAX = 12  # items of a list printed in one cell
_CODE = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)+")  # a code word such as non_title_i
HEADING_KEYS = ("school_id", "school_name")  # they head the finding, not its evidence rows


def is_record_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _minus(text: str) -> str:
    return text.replace("-", "\u2212")


def in_declared_order(fields: Mapping[str, Any], mapping: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """A mapping's items in the order the registry declares its keys (undeclared ones after, as given).

    Evidence read back from PostgreSQL's jsonb has its keys in storage order, not the rule's: the
    declared order is the one order the screen, the PDF and every export print.
    """
    rank = {key: i for i, key in enumerate(fields)}
    placed = sorted(enumerate(mapping.items()), key=lambda pair: (rank.get(pair[1][0], len(rank)), pair[0]))
    return [item for _, item in placed]


@dataclass
class EvidenceFormatter:
    """Formats one finding's evidence; knows the school's (or lottery's) mask when it is about one.

    ``suppress=False`` is the screen: district and state staff see their own numbers.
    """

    mask: CellMask | None
    min_cell: int
    rule: str = ""
    suppress: bool = True
    names: dict[str, str] = field(default_factory=dict)  # school_id -> name
    fields: Mapping[str, Field] | None = None  # the rule's declared evidence unless given

    def __post_init__(self) -> None:
        if self.fields is None:
            self.fields = registry.evidence_fields(self.rule)
        self.default_group = registry.default_group(self.rule)

    # ------------------------------------------------------------ one value

    def value(self, key: str, value: Any, context: Mapping[str, Any] | None = None) -> str:
        """One evidence value as text; ``context`` is the evidence (or record) it belongs to."""
        assert self.fields is not None
        return self.text(self.fields.get(key), value, context or {})

    def estimate_value(self, key: str, value: Any) -> str:
        """One value of a remedy estimate, in the unit the registry declares for its key."""
        return self.text(registry.ESTIMATE.get(key), value, {})

    def text(self, spec: Field | None, value: Any, context: Mapping[str, Any]) -> str:
        if value is None:
            return fmt.NA
        if isinstance(value, bool):
            return "yes" if value else "no"
        if spec is None:
            return self._undeclared(value)
        unit = spec.unit_for(context)
        if unit in ("list", "records", "record"):
            return self._nested(spec, unit, value)
        if isinstance(value, str):
            return self._word(unit, value)
        if not isinstance(value, (int, float)):
            return str(value)
        group = spec.group_for(context, self.default_group)
        if self.suppress and spec.at_school:
            hidden = self._hidden(unit, group, value)
            if hidden is not None:
                return hidden
        return self._number(spec, unit, value)

    def _hidden(self, unit: str, group: str | None, value: float) -> str | None:
        """The printed form of a value about students at the school, if the mask hides it."""
        if unit == "students":
            cell = CELL_ALIASES.get(group or "", group or "")
            if self.mask is not None and self.mask.counts.get(cell) == value:
                return self.mask.count(cell)
            return suppress_count(int(value), self.min_cell)
        if self.mask is None or group is None or not self.mask.is_hidden(group):
            return None
        if unit == "share":
            return self.mask.share(group, 1)
        return "*"  # a distance to a printed share would give the hidden share away

    @staticmethod
    def _number(spec: Field, unit: str, value: float) -> str:
        if unit in ("students", "seats", "schools"):
            if spec.plus_minus:
                return f"\u00b1{value}"
            return _minus(f"{value:+,}") if spec.signed else f"{value:,}"
        if unit == "share":
            return fmt.pct(value)
        if unit == "multiple":
            return fmt.pct(value, 0)
        if unit == "points":
            return "\u00b1" + fmt.points(value) if spec.plus_minus else fmt.points(value, signed=spec.signed)
        if unit == "index":
            if spec.plus_minus:
                return "\u00b1" + fmt.index(value)
            return _minus(f"{value:+.3f}") if spec.signed else fmt.index(value)
        if unit == "ratio":
            return fmt.number(value, 2)
        if unit == "dollars":
            return fmt.money(value)
        return fmt.number(value, 1)  # fte, number

    def _word(self, unit: str, value: str) -> str:
        if unit == "school_id":
            return self.names.get(value, value)
        if unit == "group":
            return group_heading(value)
        if unit == "measure":
            return MEASURES.get(value, fmt.humanize(value).lower())
        if unit == "code" and value in CODE_WORDS:
            return CODE_WORDS[value]
        if unit == "code" and _CODE.fullmatch(value):
            return fmt.humanize(value).lower().replace("title i", "Title I")
        return value

    def _nested(self, spec: Field, unit: str, value: Any) -> str:
        if unit == "list" and isinstance(value, list):
            items = [self.text(spec.items, v, {}) for v in value[:LIST_MAX]]
            return _joined(items, len(value), ", ")
        if unit == "records" and isinstance(value, list):
            items = [self._record(spec.fields or {}, v) for v in value[:LIST_MAX] if isinstance(v, dict)]
            return _joined(items, len(value), " | ")
        if unit == "record" and isinstance(value, dict):
            if spec.by_group:
                return "; ".join(f"{_capital(group_heading(k))}: {self.text(spec.items, v, value)}"
                                 for k, v in in_declared_order(GROUPS, value))
            return self._record(spec.fields or {}, value)
        return self._undeclared(value)

    def _record(self, fields: Mapping[str, Field], record: dict[str, Any]) -> str:
        return "; ".join(f"{self._label(fields.get(k), k)}: {self.text(fields.get(k), v, record)}"
                         for k, v in in_declared_order(fields, record))

    def _undeclared(self, value: Any) -> str:
        """A value without a declared unit: by its type; a whole number may count students."""
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, str):
            if value in self.names:
                return self.names[value]
            if value in GROUPS:
                return group_heading(value)
            return self._word("measure" if value in MEASURES else "code", value)
        if isinstance(value, int):
            return suppress_count(value, self.min_cell) if self.suppress else f"{value:,}"
        if isinstance(value, float):
            return fmt.index(value) if abs(value) < 10 else fmt.number(value)
        if isinstance(value, dict):
            return self._record({}, value)
        if isinstance(value, list):
            return _joined([self._undeclared(v) for v in value[:LIST_MAX]], len(value),
                           " | " if is_record_list(value) else ", ")
        return str(value)

    @staticmethod
    def _label(spec: Field | None, key: str) -> str:
        return label_of(spec, key)

    # ------------------------------------------------------------ a whole evidence

    def rows(self, evidence: dict[str, Any], *, every_threshold: bool = False
             ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(measure rows, threshold rows) of (heading, text); lists of records are left out.

        A threshold the rule's standard already states (``Field.listed``) is left out too,
        unless ``every_threshold`` (the exports, which carry no rule text).
        """
        assert self.fields is not None
        values, thresholds = [], []
        for key, value in in_declared_order(self.fields, evidence):
            if key in HEADING_KEYS or is_record_list(value):
                continue
            spec = self.fields.get(key)
            row = (self._label(spec, key), self.text(spec, value, evidence))
            if spec is not None and spec.threshold:
                if spec.listed or every_threshold:
                    thresholds.append(row)
            else:
                values.append(row)
        return values, thresholds

    def texts(self, evidence: dict[str, Any]) -> dict[str, str]:
        """Every evidence key's value as text, by key (the screen's columns)."""
        assert self.fields is not None
        return {key: self.text(self.fields.get(key), value, evidence)
                for key, value in in_declared_order(self.fields, evidence)}

    def records(self, evidence: dict[str, Any]) -> list[list[tuple[str, str]]]:
        """Lists of records in the evidence (INT-01's "deviations"): one row of (heading, text) each."""
        assert self.fields is not None
        out = []
        for key, value in in_declared_order(self.fields, evidence):
            if not is_record_list(value):
                continue
            spec = self.fields.get(key)
            sub = EvidenceFormatter(self.mask, self.min_cell, self.rule, suppress=self.suppress, names=self.names,
                                    fields=(spec.fields if spec is not None else None) or {})
            out += [sub.rows(record)[0] for record in value]
        return out


def _capital(text: str) -> str:
    """The first letter capital, the rest as it was: "economically disadvantaged (ED)", not "(ed)"."""
    return text[:1].upper() + text[1:]


def label_of(spec: Field | None, key: str) -> str:
    """A value's heading: the registry's words, else the key made readable."""
    return spec.label if spec is not None and spec.label else fmt.humanize(key)


def _joined(items: list[str], total: int, sep: str) -> str:
    more = total - len(items)
    return sep.join(items) + (f"{sep}and {more} more" if more > 0 else "")


def lottery_mask(rule: str, evidence: dict[str, Any], min_cell: int) -> CellMask | None:
    """A lottery's applicant and admission counts (as declared), suppressed like a school's cells."""
    counts = {spec.group: evidence[key] for key, spec in registry.evidence_fields(rule).items()
              if spec.unit == "students" and spec.at_school and spec.group
              and isinstance(evidence.get(key), int) and not isinstance(evidence.get(key), bool)}
    if "admitted_ed" not in counts or "admitted_non_ed" not in counts:
        return None
    counts["enrollment_total"] = counts["admitted_ed"] + counts["admitted_non_ed"]
    # A reader subtracts admitted from applicants whether or not the evidence prints the rest:
    # the unadmitted are cells of their pool even when no check of this finding names them.
    for pool in ("ed", "non_ed"):
        applicants = counts.get(f"applicants_{pool}")
        if applicants is not None and f"unadmitted_{pool}" not in counts:
            counts[f"unadmitted_{pool}"] = applicants - counts[f"admitted_{pool}"]
    return mask_counts(counts, min_cell)


def evidence_of(finding: dict[str, Any]) -> dict[str, Any]:
    """A finding's evidence; {} when it has none (or not a mapping)."""
    evidence = finding.get("evidence")
    return evidence if isinstance(evidence, dict) else {}


def finding_mask(finding: dict[str, Any], school_mask: CellMask | None, min_cell: int) -> CellMask | None:
    """The mask a finding's numbers go through: its lottery's, else its school's."""
    if finding.get("scope") == "lottery":
        return lottery_mask(str(finding.get("rule")), evidence_of(finding), min_cell)
    return school_mask


def finding_for_export(finding: dict[str, Any], mask: CellMask | None, min_cell: int) -> dict[str, str]:
    """One finding as printable text (message and evidence suppressed like the PDF), for CSV exports.

    ``mask`` is the school's (``suppress_school(row, min_cell)``) for a school finding, else None.
    """
    evidence = evidence_of(finding)
    mask = finding_mask(finding, mask, min_cell)
    ev = EvidenceFormatter(mask, min_cell, str(finding.get("rule") or ""))
    values, thresholds = ev.rows(evidence, every_threshold=True)
    values += [("Also", "; ".join(f"{k} {v}" for k, v in record)) for record in ev.records(evidence)]
    return {
        "rule": str(finding.get("rule") or ""),
        "severity": str(finding.get("severity") or ""),
        "school_id": str(finding.get("school_id") or ""),
        "band": str(finding.get("band") or ""),
        "message": scrub_text(str(finding.get("message") or ""), mask),
        "evidence": "; ".join(f"{k}: {v}" for k, v in values),
        "threshold": "; ".join(f"{k}: {v}" for k, v in thresholds),
    }
