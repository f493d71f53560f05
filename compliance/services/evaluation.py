"""Evaluation writes, run in the worker: claim a queued submission, evaluate it, store the results."""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from compliance import pipeline
from compliance.models import (
    AuditEvent,
    Evaluation,
    EvaluationOutcome,
    Finding,
    Problem,
    ReportKind,
    RuleSet,
    Submission,
)
from compliance.rules.recommendation_json import expand_recommendations
from compliance.states import ACCEPTED_HISTORY
from compliance.states import SubmissionStatus as S

from .submissions import IllegalTransition, submission_transition
from .sweeper import report_dispatch

logger = logging.getLogger(__name__)

FAILURE_NOTE = ("The check stopped because of a system error, not because of your workbook. "
                "State support staff can see the details and will check it again.")


def attempts_note(attempts: int) -> str:
    """What the district reads when every attempt's worker died (a workbook that crashes the reader)."""
    return (f"The check was started {attempts} times and stopped each time without finishing, so it was given "
            "up. Support staff can see the details; you may upload the workbook again (resaving it in Excel "
            "often helps), or ask the state to check this one again.")


class EvaluationInProgress(Exception):
    """A live worker holds the claim (its lease is current); the sweep sends it again if that worker dies."""


def _lease_until():
    return timezone.now() + timedelta(seconds=settings.EVALUATION_LEASE_SECONDS)


def submission_claim_for_evaluation(*, submission_id: int) -> Submission | None:
    """Claim a queued submission for this worker; None if there is nothing (left) to claim.

    A claim whose lease ran out belongs to a worker that died: it is taken over, or, once
    EVALUATION_MAX_ATTEMPTS claims have died, the submission is failed so the district can move on.
    """
    submission = Submission.objects.select_related("district", "cycle").filter(pk=submission_id).first()
    if submission is None:
        return None
    if submission.status == S.QUEUED:
        try:
            return submission_transition(submission=submission, to=S.VALIDATING, action="evaluation_started",
                                         attempts=submission.attempts + 1, lease_expires_at=_lease_until())
        except IllegalTransition:
            return None
    if submission.status == S.VALIDATING:
        lease = submission.lease_expires_at
        if lease is not None and lease >= timezone.now():
            # A redelivery after a pool child died (acks_late) lands here at once; the lease says
            # whether that worker is alive. If it is not, the sweep sends the task again later.
            raise EvaluationInProgress(f"Submission {submission.pk} is being evaluated.")
        if submission.attempts >= settings.EVALUATION_MAX_ATTEMPTS:
            _fail_after_attempts(submission)
            return None
        return _take_over_expired_claim(submission)
    return None


def _mark_running_as_died(submission: Submission, now) -> None:
    Evaluation.objects.filter(submission=submission, outcome=EvaluationOutcome.RUNNING).update(
        outcome=EvaluationOutcome.ERROR, error="The worker stopped without finishing.", finished_at=now
    )


def _take_over_expired_claim(submission: Submission) -> Submission | None:
    """Restart a dead worker's evaluation; the status stays VALIDATING, the lease and attempts move."""
    now = timezone.now()
    lease, attempts = _lease_until(), submission.attempts + 1
    taken = Submission.objects.filter(
        pk=submission.pk, status=S.VALIDATING, lease_expires_at=submission.lease_expires_at,
        attempts=submission.attempts,
    ).update(lease_expires_at=lease, attempts=attempts)
    if taken != 1:
        return None  # another delivery took it over first
    _mark_running_as_died(submission, now)
    AuditEvent.objects.create(submission=submission, action="evaluation_restarted", from_status=S.VALIDATING,
                              to_status=S.VALIDATING, note=f"The previous worker stopped without finishing "
                              f"(attempt {attempts} of {settings.EVALUATION_MAX_ATTEMPTS}).")
    submission.lease_expires_at, submission.attempts = lease, attempts
    return submission


def _fail_after_attempts(submission: Submission) -> None:
    try:
        submission_transition(submission=submission, to=S.FAILED, action="evaluation_given_up",
                              note=attempts_note(submission.attempts), lease_expires_at=None)
    except IllegalTransition:
        return  # another delivery got there first
    _mark_running_as_died(submission, timezone.now())
    logger.error("submission %s failed: %s evaluation attempts died", submission.pk, submission.attempts)


class _LeaseKeeper:
    """Renews the claim's lease from a thread while this process evaluates; it dies with the process."""

    def __init__(self, submission_id: int):
        self.submission_id = submission_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"lease-{submission_id}", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)

    def _run(self) -> None:
        every = settings.EVALUATION_LEASE_SECONDS / 3  # two renewals may fail before the lease runs out
        try:
            while not self.stop.wait(every):
                try:
                    Submission.objects.filter(pk=self.submission_id, status=S.VALIDATING).update(
                        lease_expires_at=_lease_until())
                except Exception:  # a locked or restarting database: the next renewal tries again
                    logger.warning("lease of submission %s not renewed", self.submission_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection


def submission_evaluate(*, submission_id: int) -> Evaluation | None:
    """The worker's whole job for one submission; a second delivery does nothing. An accepted
    evaluation sends its findings report to the reports queue as it commits."""
    submission = submission_claim_for_evaluation(submission_id=submission_id)
    if submission is None:
        logger.info("submission %s not claimable; duplicate delivery ignored", submission_id)
        return None
    try:
        with _LeaseKeeper(submission.pk):
            evaluation = evaluation_run(submission=submission)
    except (OperationalError, InterfaceError):
        # The database went away (a restart or failover): not the workbook's fault, and FAILED
        # would strand it. The claim stays; once its lease runs out the sweep sends it again,
        # within EVALUATION_MAX_ATTEMPTS (tests/faults/test_database_restart.py).
        logger.warning("evaluation of submission %s lost the database; the sweep retries it", submission_id,
                       exc_info=True)
        raise
    except Exception:
        logger.exception("evaluation of submission %s failed", submission_id)
        # The district reads this note: the details stay in the logs and on the Evaluation.
        submission_transition(submission=submission, to=S.FAILED, note=FAILURE_NOTE, lease_expires_at=None)
        raise
    return evaluation


def _previous_enrollment(submission: Submission) -> dict[str, int] | None:
    """School enrollments from the district's latest accepted submission before this one."""
    previous = (
        Evaluation.objects.filter(
            submission__district=submission.district,
            submission__uploaded_at__lt=submission.uploaded_at,
            outcome=EvaluationOutcome.ACCEPTED,
            submission__status__in=ACCEPTED_HISTORY,
        )
        .exclude(submission=submission)
        .order_by("-submission__uploaded_at")
        .first()
    )
    if previous is None:
        return None
    schools = previous.result.get("measures", {}).get("schools", [])
    return {s["school_id"]: s["enrollment_total"] for s in schools if "school_id" in s}


def _evaluate_stored(submission: Submission, rule_set: RuleSet, *, check_hash: bool):
    """Read the stored workbook and run the shared pipeline on it, as the worker always does."""
    with submission.file.open("rb") as fh:
        data = fh.read()
    if check_hash and hashlib.sha256(data).hexdigest() != submission.sha256:
        raise RuntimeError("The stored workbook no longer matches its SHA-256; refusing to evaluate it.")
    return pipeline.evaluate_path(
        data,
        rule_set=pipeline.rule_set_ref(rule_set),
        expected_district_ids={submission.district.state_id},
        expected_school_year=submission.cycle.school_year,
        previous_enrollment=_previous_enrollment(submission),
        state=submission.district.state,
        guarded=True,
        filename=submission.original_filename,
    )


def evaluation_run(*, submission: Submission, rule_set: RuleSet | None = None, report_later: bool = True) -> Evaluation:
    """Parse, validate and evaluate the stored workbook; store the results and move the status
    (``report_later``: and send the findings report to the reports queue once committed)."""
    rule_set = rule_set or submission.cycle.rule_set
    # Once an evaluation uses a version, it may never change: edits must make a new version.
    RuleSet.objects.filter(pk=rule_set.pk, frozen=False).update(frozen=True)
    evaluation = Evaluation.objects.create(submission=submission, rule_set=rule_set, rule_set_label=rule_set.label)
    try:
        return _evaluation_complete(evaluation=evaluation, submission=submission, rule_set=rule_set,
                                    report_later=report_later)
    except Exception as exc:
        Evaluation.objects.filter(pk=evaluation.pk).update(
            outcome=EvaluationOutcome.ERROR, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
        )
        raise


def _problem_rows(evaluation: Evaluation, problems: list[dict[str, Any]]) -> list[Problem]:
    return [
        Problem(
            evaluation=evaluation,
            code=p["code"],
            severity=p["severity"],
            sheet=p.get("sheet") or "",
            row=p.get("row"),
            column=p.get("column") or "",
            value="" if p.get("value") is None else str(p["value"])[:500],
            message=p["message"],
            fix=p.get("fix", ""),
        )
        for p in problems
    ]


def _finding_rows(evaluation: Evaluation, result: dict[str, Any]) -> list[Finding]:
    """One row per finding, its estimates whole (the screens and the API read one finding at a time)."""
    plans = (result.get("remedies") or {}).get("integration") or {}
    cache: dict[int, dict[str, Any]] = {}
    return [
        Finding(
            evaluation=evaluation,
            rule=f["rule"],
            rule_version=f.get("rule_version", "1"),
            severity=f["severity"],
            scope=f["scope"],
            school_id=f.get("school_id") or "",
            band=f.get("band") or "",
            message=f["message"],
            evidence=f.get("evidence", {}),
            recommendations=expand_recommendations(f.get("recommendations") or [], plans, cache),
        )
        for f in result["findings"]
    ]


def _evaluation_complete(*, evaluation: Evaluation, submission: Submission, rule_set: RuleSet,
                         report_later: bool = True) -> Evaluation:
    started = time.perf_counter()
    output = _evaluate_stored(submission, rule_set, check_hash=True)
    result = output.result
    blocked = any(p["severity"] == "error" for p in result["problems"])
    with transaction.atomic():
        Problem.objects.bulk_create(_problem_rows(evaluation, result["problems"]))
        Finding.objects.bulk_create(_finding_rows(evaluation, result))
        evaluation.result = result
        evaluation.measures = result.get("measures", {})
        evaluation.timings = {**output.timings, "total": round(time.perf_counter() - started, 4)}
        evaluation.outcome = EvaluationOutcome.REJECTED if blocked else EvaluationOutcome.ACCEPTED
        evaluation.finished_at = timezone.now()
        evaluation.save()
        # In the same transaction as the evaluation and its findings: never evaluated without them.
        submission_transition(
            submission=submission,
            to=S.REJECTED if blocked else S.EVALUATED,
            action="evaluation_finished",
            note=f"{len(result['problems'])} problem(s), {len(result['findings'])} finding(s).",
            lease_expires_at=None,
        )
        if not blocked and report_later:
            # Sent after the commit and never raising: a broker error now leaves the stored
            # evaluation as it is, and the sweep renders the missing report later.
            pk = evaluation.pk
            transaction.on_commit(lambda: report_dispatch(evaluation_id=pk, kind=ReportKind.EVALUATION))
    return evaluation


def evaluation_reproduce(*, evaluation: Evaluation) -> dict[str, Any]:
    """Evaluate the stored workbook again with the exact rule-set version the evaluation used.

    Returns the result without storing it, so a reviewer (or a court) can check that the
    recorded findings follow from the file and the rules.
    """
    return _evaluate_stored(evaluation.submission, evaluation.rule_set, check_hash=False).result
