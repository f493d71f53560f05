"""Errors, warnings, findings and notes of one evaluation: the one count every page, e-mail and PDF prints."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class SeverityCounts:
    errors: int = 0
    warnings: int = 0
    findings: int = 0
    notes: int = 0

    def in_report_order(self) -> list[int]:
        """Errors, findings, warnings, notes: the order of the PDF's count table."""
        return [self.errors, self.findings, self.warnings, self.notes]


def severity_counts(problems: Mapping[str, int], findings: Mapping[str, int]) -> SeverityCounts:
    """From problems and findings counted by severity.

    Errors are blocking data problems; warnings are the data warnings and the rules' warnings
    together (a district explains both); findings and notes (severity ``info``) come from the rules.
    """
    return SeverityCounts(
        errors=problems.get("error", 0),
        warnings=problems.get("warning", 0) + findings.get("warning", 0),
        findings=findings.get("finding", 0),
        notes=findings.get("info", 0),
    )
