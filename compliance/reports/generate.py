"""Render a report or export from what the caller hands over: the evaluation JSON, the parsed
workbook, and the submission's facts, people and dates to print. No database, no pipeline.

The worker's caller is ``compliance.services.reports`` (it gathers from the database); the
offline caller is ``manage.py evaluate --pdf``.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from compliance.rules.evaluate import RuleSetRef
from compliance.rules.model import WorkbookData

from .context import ReportContext
from .exports import findings_csv, schools_csv
from .render import render_report_pdf
from .suppression import privacy_min_cell

EXPORTS = {"schools": schools_csv, "findings": findings_csv}


@dataclass(frozen=True, slots=True)
class SubmissionFacts:
    """What a report prints about the submission, already in the words it prints."""

    district_name: str
    district_id: str
    state: str
    cycle: str
    version: int
    status: str
    workbook_sha256: str
    # {"outcome", "decided_by" (a name), "decided_at", "note"}; None until decided.
    decision: dict[str, Any] | None = None
    # [{"author" (a name), "created_at", "body", "finding": index (optional)}]
    comments: list[dict[str, Any]] = field(default_factory=list)
    # finding index -> {"status", "note"}
    finding_reviews: dict[int, dict[str, Any]] = field(default_factory=dict)
    # {"by" (a name), "at"}; None before certification.
    certified: dict[str, Any] | None = None
    response_due: tuple[str, str] | None = None  # (label, date in words)
    assistance_center: dict[str, str] | None = None  # {"region", "center", "operator"}
    state_contact: str = ""
    # The corrective action plan the state set with its decision (ReportContext.corrective_actions).
    corrective_actions: list[dict[str, Any]] = field(default_factory=list)
    # The district's previous decided submissions and the same cycle's other districts (ReportContext).
    history: list[dict[str, Any]] = field(default_factory=list)
    peers: list[dict[str, Any]] = field(default_factory=list)


def report_context(*, result: dict[str, Any], workbook: WorkbookData, facts: SubmissionFacts,
                   rule_set: RuleSetRef) -> ReportContext:
    return ReportContext(
        evaluation=result,
        schools=workbook.schools,
        district_name=facts.district_name,
        district_id=facts.district_id,
        state=facts.state,
        cycle=facts.cycle,
        submission_version=facts.version,
        status=facts.status,
        workbook_sha256=facts.workbook_sha256,
        rule_set_name=rule_set.name,
        rule_set_version=rule_set.version,
        rule_params=rule_set.params,
        generated_at=timezone.localtime(),  # printed beside the decision's and certification's local times
        decision=facts.decision,
        comments=list(facts.comments),
        finding_reviews=dict(facts.finding_reviews),
        min_cell=privacy_min_cell(rule_set.params),
        certified=facts.certified,
        response_due=facts.response_due,
        assistance_center=facts.assistance_center,
        state_contact=facts.state_contact,
        corrective_actions=list(facts.corrective_actions),
        lottery_rows=len(workbook.lottery or []),
        proposed=workbook.proposed,
        proposed_description=(workbook.district.proposed_change_description or "") if workbook.district else "",
        budget=list(workbook.budget),
        history=list(facts.history),
        peers=list(facts.peers),
    )


def report_pdf(*, result: dict[str, Any], workbook: WorkbookData, facts: SubmissionFacts,
               rule_set: RuleSetRef) -> bytes:
    return render_report_pdf(report_context(result=result, workbook=workbook, facts=facts, rule_set=rule_set))


def export_csv(*, kind: str, result: dict[str, Any], workbook: WorkbookData, rule_set: RuleSetRef) -> bytes:
    """The per-school or findings CSV the PDF refers to, suppressed like the PDF."""
    return EXPORTS[kind](evaluation=result, schools=workbook.schools, min_cell=privacy_min_cell(rule_set.params))


def report_pdf_offline(*, result: dict[str, Any], workbook: WorkbookData, rule_set: RuleSetRef,
                       workbook_bytes: bytes, state: str | None = None,
                       assistance_center: dict[str, str] | None = None) -> bytes:
    district = result.get("district") or {}
    facts = SubmissionFacts(
        district_name=district.get("district_name") or "",
        district_id=district.get("district_id") or "",
        state=state or "",
        cycle=district.get("school_year") or "",
        version=0,
        status="Offline evaluation (not submitted to the state)",
        workbook_sha256=hashlib.sha256(workbook_bytes).hexdigest(),
        assistance_center=assistance_center,
    )
    return report_pdf(result=result, workbook=workbook, facts=facts, rule_set=rule_set)
