"""Gather a ReportContext from the database (worker) or from an offline run (CLI), render it."""
from __future__ import annotations

import hashlib
from typing import Any

from django.utils import timezone

from compliance.rules.evaluate import RuleSetRef
from compliance.rules.model import WorkbookData
from compliance.rules.ruleset import section

from .context import ReportContext
from .render import render_report_pdf


def _person(user) -> str:
    """A name for a public report: the full name, never the login name."""
    return user.get_full_name() or "State staff"


def _min_cell(params: dict[str, Any]) -> int:
    return int(section(params, "PRIVACY")["min_cell"])


def report_context_for_evaluation(evaluation) -> ReportContext:
    from django.conf import settings

    from compliance.pipeline import intake_limits
    from compliance.workbook.guarded import read_workbook_guarded

    from compliance.models import Submission

    # Fresh from the database: the decision and status may be newer than the caller's copy.
    submission = Submission.objects.select_related("district", "cycle").get(pk=evaluation.submission_id)
    with submission.file.open("rb") as fh:
        # The raw counts for suppression: re-read under the same limits as the first reading.
        workbook = read_workbook_guarded(fh.read(), limits=intake_limits(),
                                         timeout_seconds=settings.WORKBOOK_PARSE_TIMEOUT_SECONDS,
                                         memory_bytes=settings.WORKBOOK_PARSE_MEMORY_BYTES)
    decision = getattr(submission, "decision", None)
    findings = list(evaluation.findings.order_by("pk").select_related("reviewed_by"))
    index = {f.pk: i for i, f in enumerate(findings)}
    return ReportContext(
        evaluation=evaluation.result,
        schools=workbook.schools,
        district_name=submission.district.name,
        district_id=submission.district.state_id,
        state=submission.district.state,
        cycle=submission.cycle.school_year,
        submission_version=submission.version,
        status=submission.get_status_display(),
        workbook_sha256=submission.sha256,
        rule_set_name=evaluation.rule_set.name,
        rule_set_version=str(evaluation.rule_set.version),
        rule_params=evaluation.rule_set.params,
        generated_at=timezone.now(),
        decision=None
        if decision is None
        else {
            "outcome": decision.get_outcome_display(),
            "decided_by": _person(decision.decided_by),
            "decided_at": decision.decided_at,
            "note": decision.note,
        },
        comments=[
            {"author": _person(c.author), "created_at": c.created_at, "body": c.body,
             **({"finding": index[c.finding_id]} if c.finding_id in index else {})}
            for c in submission.comments.select_related("author")
        ],
        finding_reviews={
            i: {"status": f.review_status, "note": f.review_note}
            for i, f in enumerate(findings)
            if f.review_status != "open"
        },
        min_cell=_min_cell(evaluation.rule_set.params),
    )


def report_pdf_for_evaluation(evaluation) -> bytes:
    return render_report_pdf(report_context_for_evaluation(evaluation))


def report_pdf_offline(*, result: dict[str, Any], workbook: WorkbookData, rule_set: RuleSetRef,
                       workbook_bytes: bytes, state: str | None = None) -> bytes:
    district = result.get("district") or {}
    ctx = ReportContext(
        evaluation=result,
        schools=workbook.schools,
        district_name=district.get("district_name") or "",
        district_id=district.get("district_id") or "",
        state=state or "",
        cycle=district.get("school_year") or "",
        submission_version=0,
        status="Offline evaluation (not submitted to the state)",
        workbook_sha256=hashlib.sha256(workbook_bytes).hexdigest(),
        rule_set_name=rule_set.name,
        rule_set_version=rule_set.version,
        rule_params=rule_set.params,
        generated_at=timezone.now(),
        min_cell=_min_cell(rule_set.params),
    )
    return render_report_pdf(ctx)


def export_csv_for_evaluation(evaluation, kind: str) -> bytes:
    """The per-school or findings CSV the PDF refers to, suppressed like the PDF."""
    from .exports import findings_csv, schools_csv

    ctx = report_context_for_evaluation(evaluation)
    build = {"schools": schools_csv, "findings": findings_csv}[kind]
    return build(evaluation=ctx.evaluation, schools=ctx.schools, min_cell=ctx.min_cell)
