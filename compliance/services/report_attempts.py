"""Report renders counted and capped: one that always fails stops being sent and waits for an administrator."""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from compliance import selectors
from compliance.models import AuditEvent, Evaluation, Report, Submission
from compliance.states import SHOWS_FINDINGS_REPORT
from districts.models import User

from .reports import report_generate, report_queue
from .sweeper import reports_expected

logger = logging.getLogger(__name__)


def report_given_up(*, evaluation: Evaluation) -> bool:
    """Its renders failed REPORT_MAX_ATTEMPTS times: the sweep no longer sends it."""
    return evaluation.report_attempts >= settings.REPORT_MAX_ATTEMPTS


def report_render(*, evaluation_id: int, kind: str) -> Report:
    """Render and store one report (the task's body), counted before it begins.

    Counted first, so a render that kills its worker (out of memory, a time limit) counts too;
    a stored report sets the count back to 0.
    """
    Evaluation.objects.filter(pk=evaluation_id).update(report_attempts=F("report_attempts") + 1)
    evaluation = Evaluation.objects.select_related("submission__district", "submission__cycle").get(pk=evaluation_id)
    try:
        report = report_generate(evaluation=evaluation, kind=kind)
    except Exception as exc:  # any failure: recorded for the administrator, then raised for the worker's log
        error = f"{timezone.localtime():%Y-%m-%d %H:%M %Z}, {kind} report: {type(exc).__name__}: {exc}"
        Evaluation.objects.filter(pk=evaluation_id).update(report_error=error[:2000])
        if report_given_up(evaluation=evaluation):
            logger.error("The %s report of evaluation %s failed %s times; the sweep stops sending it until an "
                         "administrator makes it again (admin: Submissions).", kind, evaluation_id,
                         evaluation.report_attempts)
        raise
    Evaluation.objects.filter(pk=evaluation_id).update(report_attempts=0, report_error="")
    return report


def reports_retry(*, submission: Submission, actor: User) -> list[str]:
    """Send again the missing reports of the submission's accepted evaluation, with a fresh set of attempts.

    Returns the kinds sent; ValidationError when there is nothing to make.
    """
    evaluation = selectors.evaluation_accepted_latest(submission=submission)
    if evaluation is None or submission.status not in SHOWS_FINDINGS_REPORT:
        raise ValidationError(f"{submission} has no report to make (no accepted evaluation, or superseded).")
    have = set(evaluation.reports.values_list("kind", flat=True))
    kinds = [kind for kind in reports_expected(submission.status) if kind not in have]
    if not kinds:
        raise ValidationError(f"{submission} has all its reports.")
    with transaction.atomic():
        Evaluation.objects.filter(pk=evaluation.pk).update(report_attempts=0, report_error="",
                                                           reports_dispatched_at=timezone.now())
        AuditEvent.objects.create(submission=submission, actor=actor, action="reports_requeued",
                                  note=f"Made again: {', '.join(kinds)} report. Last failure: "
                                       f"{evaluation.report_error or 'none recorded'}")
        for kind in kinds:
            report_queue(evaluation=evaluation, kind=kind)
    return kinds
