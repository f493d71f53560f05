"""Every file a user takes away, each recorded in the audit trail (who downloaded what, through which channel).

The original upload and its marked copy, the PDF reports, the CSV exports of one submission,
the statewide exports of a cycle and the blank template. Web pages and the API call the same
functions; ``via`` says which ("web", "api").
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied

from compliance import permissions, selectors
from compliance.models import (
    DOWNLOADED,
    AuditEvent,
    Evaluation,
    EvaluationOutcome,
    Report,
    ReportingCycle,
    ReportKind,
    Submission,
)
from compliance.reports.exports import EXPORT_KINDS
from compliance.workbook.marked import marked_workbook, problem_cells
from districts.models import District, User

from .audit import VIA_NOTES, audit_record
from .exports import cycle_export
from .reports import report_export_csv

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# What each file is, in the audit trail's words.
ORIGINAL = "Original workbook"
MARKED = "Marked workbook"
REPORT_NAMES = {ReportKind.EVALUATION: "Findings report (PDF)", ReportKind.DECISION: "Decision report (PDF)"}
EXPORT_NAMES = {"schools": "Per-school data (CSV)", "findings": "Findings export (CSV)"}


def download_record(*, user: User, what: str, filename: str, via: str = "web", submission: Submission | None = None,
                    district: District | None = None) -> AuditEvent:
    """Who took which file: "Findings report (PDF): 2611-2026-27-v2-evaluation.pdf"."""
    return audit_record(action=DOWNLOADED, actor=user, submission=submission, district=district,
                        subject=f"{what}: {filename}", note=VIA_NOTES.get(via, via))


def base_name(submission: Submission) -> str:
    return f"{submission.district.state_id}-{submission.cycle.school_year}-v{submission.version}"


def checked_evaluation(submission: Submission) -> Evaluation | None:
    """The newest finished evaluation, or None while the first check is still running."""
    finished = submission.evaluations.exclude(outcome=EvaluationOutcome.RUNNING)
    return finished.order_by("-started_at", "-pk").first()


def checked_problems(submission: Submission):
    """The problems of the newest finished evaluation, or None while the first check is still running."""
    evaluation = checked_evaluation(submission)
    return None if evaluation is None else list(evaluation.problems.order_by("pk"))


def _stored_bytes(submission: Submission) -> bytes:
    with submission.file.open("rb") as f:
        return f.read()


def _refuse_unless_allowed(user: User, submission: Submission) -> None:
    if not permissions.can_download(user, submission):
        raise PermissionDenied("You may not download this file.")


def submission_original(*, submission: Submission, user: User, via: str = "web") -> tuple[bytes, str, str]:
    """(bytes, content type, file name) of the upload exactly as stored."""
    _refuse_unless_allowed(user, submission)
    body, name = _stored_bytes(submission), f"{base_name(submission)}-original.xlsx"
    download_record(user=user, what=ORIGINAL, filename=name, via=via, submission=submission)
    return body, XLSX, name


def submission_marked_workbook(*, submission: Submission, user: User,
                               via: str = "web") -> tuple[bytes, str, str] | None:
    """(bytes, content type, file name) of the marked workbook; None until the upload has been checked."""
    _refuse_unless_allowed(user, submission)
    problems = checked_problems(submission)
    if problems is None:
        return None
    body, name = marked_workbook(_stored_bytes(submission), problems), f"{base_name(submission)}-marked.xlsx"
    download_record(user=user, what=MARKED, filename=name, via=via, submission=submission)
    return body, XLSX, name


def report_download(*, submission: Submission, kind: str, user: User, via: str = "web") -> tuple[Report, str] | None:
    """The newest PDF report of ``kind`` and its download name; None when there is none (yet)."""
    _refuse_unless_allowed(user, submission)
    report = selectors.report_newest(submission=submission, kind=kind) if kind in REPORT_NAMES else None
    if report is None:
        return None
    name = f"{base_name(submission)}-{kind}.pdf"
    download_record(user=user, what=REPORT_NAMES[ReportKind(kind)], filename=name, via=via, submission=submission)
    return report, name


def submission_export(*, submission: Submission, kind: str, user: User,
                      via: str = "web") -> tuple[bytes, str, str] | None:
    """The per-school or findings CSV of the latest accepted evaluation; None when there is none."""
    _refuse_unless_allowed(user, submission)
    evaluation = selectors.evaluation_accepted_latest(submission=submission)
    if kind not in EXPORT_KINDS or evaluation is None:
        return None
    body, name = report_export_csv(evaluation=evaluation, kind=kind), f"{base_name(submission)}-{kind}.csv"
    download_record(user=user, what=EXPORT_NAMES[kind], filename=name, via=via, submission=submission)
    return body, "text/csv; charset=utf-8", name


def cycle_export_download(*, cycle: ReportingCycle, variant: str, fmt: str, table: str | None, user: User,
                          via: str = "web") -> tuple[bytes, str, str]:
    """A statewide export of the cycle (``compliance.reports.cycle_export``), for whoever may export it."""
    if not permissions.can_export(user, variant):
        raise PermissionDenied("Only state staff may download statewide exports.")
    body, content_type, name = cycle_export(cycle=cycle, variant=variant, fmt=fmt, table=table)
    what = f"Statewide {variant} export of {cycle.school_year} ({fmt.upper()})"
    download_record(user=user, what=what, filename=name, via=via)
    return body, content_type, name


def submission_problem_cells(*, submission: Submission, problems) -> list[str | None]:
    """Each problem's cell reference (``Schools!K4``) in the stored upload, in the order given."""
    problems = list(problems)
    if not any(p.row and p.column for p in problems):
        return [None] * len(problems)
    return problem_cells(_stored_bytes(submission), problems)
