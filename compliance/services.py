"""Every write the compliance app makes. Keyword-only services named ``<entity>_<action>``.

Views, tasks, commands and the admin call these; none of them changes a submission's status
any other way than through :func:`submission_transition`.
"""
from __future__ import annotations

import hashlib
import logging
import time
from datetime import timedelta
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from districts.models import District, Role, User

from .models import (
    AuditEvent,
    Comment,
    Decision,
    DecisionOutcome,
    Evaluation,
    EvaluationOutcome,
    Finding,
    Problem,
    Report,
    ReportingCycle,
    ReportKind,
    ReviewStatus,
    RuleSet,
    Submission,
)
from .models import SubmissionStatus as S

logger = logging.getLogger(__name__)

# The only legal moves. Anything else is a bug or a race and raises.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.QUEUED}),
    S.QUEUED: frozenset({S.VALIDATING}),
    S.VALIDATING: frozenset({S.REJECTED, S.EVALUATED, S.FAILED}),
    S.FAILED: frozenset({S.QUEUED}),
    S.REJECTED: frozenset({S.SUPERSEDED}),
    S.EVALUATED: frozenset({S.CERTIFIED, S.SUPERSEDED}),
    S.CERTIFIED: frozenset({S.IN_REVIEW}),
    S.IN_REVIEW: frozenset({S.CERTIFIED, S.RETURNED, S.DECIDED}),
    S.RETURNED: frozenset({S.SUPERSEDED}),
    S.DECIDED: frozenset(),
    S.SUPERSEDED: frozenset(),
}

# A new upload replaces the district's earlier version only from these states.
REPLACEABLE = frozenset({S.REJECTED, S.EVALUATED, S.RETURNED, S.FAILED})


class IllegalTransition(Exception):
    """The move is not in TRANSITIONS, or another process moved the submission first."""


class EvaluationInProgress(Exception):
    """Another worker is evaluating the submission right now; try again after its time limit."""


def submission_transition(
    *, submission: Submission, to: str, actor: User | None = None, note: str = "", action: str = "", **fields: Any
) -> Submission:
    """Move ``submission`` to ``to`` atomically and record who did it.

    The UPDATE is conditional on the status we read, so two workers (or two reviewers) racing
    for the same move cannot both win: the loser gets IllegalTransition.
    """
    current = submission.status
    if to not in TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(f"A submission cannot go from {current!r} to {to!r}.")
    now = timezone.now()
    with transaction.atomic():
        updated = Submission.objects.filter(pk=submission.pk, status=current).update(
            status=to, status_changed_at=now, **fields
        )
        if updated != 1:
            raise IllegalTransition(f"Submission {submission.pk} is no longer {current!r}.")
        AuditEvent.objects.create(
            submission=submission,
            actor=actor,
            action=action or f"status:{to}",
            from_status=current,
            to_status=to,
            note=note,
            created_at=now,
        )
    submission.status = to
    submission.status_changed_at = now
    for name, value in fields.items():
        setattr(submission, name, value)
    return submission


# --- Upload -------------------------------------------------------------------------------


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def user_can_submit_for(user: User, district: District) -> bool:
    return (
        user.is_active
        and user.role in (Role.DISTRICT_SUBMITTER, Role.DISTRICT_CERTIFIER)
        and user.districts.filter(pk=district.pk).exists()
    )


def upload_too_large_message() -> str:
    limit = filesizeformat(settings.WORKBOOK_MAX_UPLOAD_BYTES)
    return f"The file is larger than the {limit} limit. Remove unused sheets and resave it, then upload it again."


def submission_create(
    *, district: District, cycle: ReportingCycle, uploaded_by: User, fileobj: IO[bytes], filename: str
) -> Submission:
    """Store an uploaded workbook as the district's next version and queue its evaluation."""
    _require(user_can_submit_for(uploaded_by, district), "You may not submit for this district.")
    if not cycle.is_open:
        raise ValidationError(f"The {cycle.school_year} reporting cycle is not open for submissions.")
    data = fileobj.read(settings.WORKBOOK_MAX_UPLOAD_BYTES + 1)
    if len(data) > settings.WORKBOOK_MAX_UPLOAD_BYTES:
        raise ValidationError(upload_too_large_message())
    if not data:
        raise ValidationError("The file is empty. Choose the filled-in workbook and upload it again.")
    sha256 = hashlib.sha256(data).hexdigest()

    with transaction.atomic():
        # Lock the district row: two uploads at once (a double click) then take turns, and the
        # second sees the first's version number. Locking only the earlier versions would not
        # cover a district's first upload.
        District.objects.select_for_update().filter(pk=district.pk).first()
        earlier = list(Submission.objects.filter(district=district, cycle=cycle).order_by("version"))
        blocking = [s for s in earlier if s.status in (S.RECEIVED, S.QUEUED, S.VALIDATING)]
        if blocking:
            raise ValidationError(f"Version {blocking[-1].version} is still being checked; wait a moment and try again.")
        locked = [s for s in earlier if s.status in (S.CERTIFIED, S.IN_REVIEW, S.DECIDED)]
        if locked:
            raise ValidationError(
                f"Version {locked[-1].version} is already with the state ({locked[-1].get_status_display()}); "
                "a new version can be uploaded once the state returns it for revision."
            )
        version = (max((s.version for s in earlier), default=0)) + 1
        submission = Submission(
            district=district,
            cycle=cycle,
            version=version,
            original_filename=filename[:255],
            sha256=sha256,
            size=len(data),
            uploaded_by=uploaded_by,
        )
        submission.file.save(f"v{version}.xlsx", ContentFile(data), save=False)
        submission.save()
        AuditEvent.objects.create(
            submission=submission, actor=uploaded_by, action="uploaded", to_status=S.RECEIVED,
            note=f"{filename} ({len(data)} bytes, sha256 {sha256})",
        )
        for old in earlier:
            if old.status in REPLACEABLE:
                submission_transition(submission=old, to=S.SUPERSEDED, actor=uploaded_by,
                                      note=f"Replaced by version {version}.")
        submission_queue(submission=submission, actor=uploaded_by)
    return submission


def submission_queue(*, submission: Submission, actor: User | None = None) -> Submission:
    """Queue the evaluation task once the transaction that saved the submission commits."""
    from .tasks import evaluate_submission

    submission_transition(submission=submission, to=S.QUEUED, actor=actor)
    pk = submission.pk
    transaction.on_commit(lambda: evaluate_submission.delay(submission_id=pk))
    return submission


# --- Evaluation (runs in the worker) -------------------------------------------------------


def evaluation_retry_seconds() -> int:
    """When a delivery finds another worker's claim: by then that claim is stale if it died."""
    return int(_stale_after().total_seconds()) + 5


def _stale_after() -> timedelta:
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


def submission_claim_for_evaluation(*, submission_id: int) -> Submission | None:
    """Claim a queued submission for this worker; None if another delivery already has it.

    A claim older than the task time limit belongs to a worker that died: it may be taken over.
    """
    submission = Submission.objects.select_related("district", "cycle").filter(pk=submission_id).first()
    if submission is None:
        return None
    if submission.status == S.QUEUED:
        try:
            return submission_transition(submission=submission, to=S.VALIDATING, action="evaluation_started")
        except IllegalTransition:
            return None
    if submission.status == S.VALIDATING:
        if submission.status_changed_at >= timezone.now() - _stale_after():
            # A redelivery after a worker died (acks_late) lands here at once: come back when
            # the first claim is stale rather than dropping the only message left.
            raise EvaluationInProgress(f"Submission {submission.pk} is being evaluated.")
        now = timezone.now()
        taken = Submission.objects.filter(
            pk=submission.pk, status=S.VALIDATING, status_changed_at=submission.status_changed_at
        ).update(status_changed_at=now)
        if taken == 1:
            Evaluation.objects.filter(submission=submission, outcome=EvaluationOutcome.RUNNING).update(
                outcome=EvaluationOutcome.ERROR, error="The worker stopped without finishing.", finished_at=now
            )
            AuditEvent.objects.create(submission=submission, action="evaluation_restarted", from_status=S.VALIDATING,
                                      to_status=S.VALIDATING, note="The previous worker stopped without finishing.")
            submission.status_changed_at = now
            return submission
    return None


def submission_evaluate(*, submission_id: int) -> Evaluation | None:
    """The worker's whole job for one submission; a second delivery does nothing."""
    submission = submission_claim_for_evaluation(submission_id=submission_id)
    if submission is None:
        logger.info("submission %s not claimable; duplicate delivery ignored", submission_id)
        return None
    try:
        evaluation = evaluation_run(submission=submission)
    except Exception:
        logger.exception("evaluation of submission %s failed", submission_id)
        # The district reads this note: the details stay in the logs and on the Evaluation.
        submission_transition(submission=submission, to=S.FAILED, note=FAILURE_NOTE)
        raise
    return evaluation


FAILURE_NOTE = ("The check stopped because of a system error, not because of your workbook. "
                "State support staff can see the details and will check it again.")


def _previous_enrollment(submission: Submission) -> dict[str, int] | None:
    """School enrollments from the district's latest accepted submission before this one."""
    previous = (
        Evaluation.objects.filter(
            submission__district=submission.district,
            submission__uploaded_at__lt=submission.uploaded_at,
            outcome=EvaluationOutcome.ACCEPTED,
            submission__status__in=[S.EVALUATED, S.CERTIFIED, S.IN_REVIEW, S.DECIDED, S.SUPERSEDED, S.RETURNED],
        )
        .exclude(submission=submission)
        .order_by("-submission__uploaded_at")
        .first()
    )
    if previous is None:
        return None
    schools = previous.result.get("measures", {}).get("schools", [])
    return {s["school_id"]: s["enrollment_total"] for s in schools if "school_id" in s}


def evaluation_run(*, submission: Submission, rule_set: RuleSet | None = None) -> Evaluation:
    """Parse, validate and evaluate the stored workbook; store the results and move the status."""
    rule_set = rule_set or submission.cycle.rule_set
    # Once an evaluation uses a version, it may never change: edits must make a new version.
    RuleSet.objects.filter(pk=rule_set.pk, frozen=False).update(frozen=True)
    evaluation = Evaluation.objects.create(submission=submission, rule_set=rule_set, rule_set_label=rule_set.label)
    try:
        return _evaluation_complete(evaluation=evaluation, submission=submission, rule_set=rule_set)
    except Exception as exc:
        Evaluation.objects.filter(pk=evaluation.pk).update(
            outcome=EvaluationOutcome.ERROR, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now()
        )
        raise


def _evaluation_complete(*, evaluation: Evaluation, submission: Submission, rule_set: RuleSet) -> Evaluation:
    from .pipeline import evaluate_path, rule_set_ref

    started = time.perf_counter()
    with submission.file.open("rb") as fh:
        data = fh.read()
    if hashlib.sha256(data).hexdigest() != submission.sha256:
        raise RuntimeError("The stored workbook no longer matches its SHA-256; refusing to evaluate it.")
    output = evaluate_path(
        data,
        rule_set=rule_set_ref(rule_set),
        expected_district_ids={submission.district.state_id},
        expected_school_year=submission.cycle.school_year,
        previous_enrollment=_previous_enrollment(submission),
        state=submission.district.state,
        guarded=True,
        filename=submission.original_filename,
    )
    result = output.result
    blocked = any(p["severity"] == "error" for p in result["problems"])
    with transaction.atomic():
        Problem.objects.bulk_create(
            [
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
                for p in result["problems"]
            ]
        )
        Finding.objects.bulk_create(
            [
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
                    recommendations=f.get("recommendations", []),
                )
                for f in result["findings"]
            ]
        )
        evaluation.result = result
        evaluation.measures = result.get("measures", {})
        evaluation.timings = {**output.timings, "total": round(time.perf_counter() - started, 4)}
        evaluation.outcome = EvaluationOutcome.REJECTED if blocked else EvaluationOutcome.ACCEPTED
        evaluation.finished_at = timezone.now()
        evaluation.save()
        submission_transition(
            submission=submission,
            to=S.REJECTED if blocked else S.EVALUATED,
            action="evaluation_finished",
            note=f"{len(result['problems'])} problem(s), {len(result['findings'])} finding(s).",
        )
        if not blocked:
            report_queue(evaluation=evaluation, kind=ReportKind.EVALUATION)
    return evaluation


def evaluation_reproduce(*, evaluation: Evaluation) -> dict[str, Any]:
    """Evaluate the stored workbook again with the exact rule-set version the evaluation used.

    Returns the result without storing it, so a reviewer (or a court) can check that the
    recorded findings follow from the file and the rules.
    """
    from .pipeline import evaluate_path, rule_set_ref

    submission = evaluation.submission
    with submission.file.open("rb") as fh:
        data = fh.read()
    return evaluate_path(
        data,
        rule_set=rule_set_ref(evaluation.rule_set),
        expected_district_ids={submission.district.state_id},
        expected_school_year=submission.cycle.school_year,
        previous_enrollment=_previous_enrollment(submission),
        state=submission.district.state,
        guarded=True,
        filename=submission.original_filename,
    ).result


# --- Reports --------------------------------------------------------------------------------


def report_queue(*, evaluation: Evaluation, kind: str) -> None:
    from .tasks import render_report

    pk = evaluation.pk
    transaction.on_commit(lambda: render_report.delay(evaluation_id=pk, kind=kind))


def report_generate(*, evaluation: Evaluation, kind: str) -> Report:
    """Render the PDF for an evaluation and store it with its hash (idempotent per kind)."""
    from .reports.generate import report_pdf_for_evaluation

    existing = Report.objects.filter(evaluation=evaluation, kind=kind).first()
    if existing is not None and kind == ReportKind.EVALUATION:
        return existing
    pdf = report_pdf_for_evaluation(evaluation)
    sha256 = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        for old in Report.objects.filter(evaluation=evaluation, kind=kind):
            old.file.delete(save=False)  # the stored PDF goes with its row
            old.delete()
        report = Report(submission=evaluation.submission, evaluation=evaluation, kind=kind, sha256=sha256, size=len(pdf))
        report.file.save(f"{kind}.pdf", ContentFile(pdf), save=False)
        report.save()
    return report


# --- District certification ----------------------------------------------------------------


def submission_certify(*, submission: Submission, user: User, note: str = "") -> Submission:
    _require(
        user.role == Role.DISTRICT_CERTIFIER and user.districts.filter(pk=submission.district_id).exists(),
        "Only a certifier of this district may certify its submission.",
    )
    if submission.status != S.EVALUATED:
        raise ValidationError("Only an evaluated submission without blocking problems can be certified.")
    if not submission.cycle.is_open:
        raise ValidationError("The reporting cycle is closed; contact the state to certify late.")
    return submission_transition(
        submission=submission, to=S.CERTIFIED, actor=user, action="certified",
        note=note or "The certifier attests that the data are accurate and complete.",
    )


# --- State review ---------------------------------------------------------------------------


def _require_state_reviewer(user: User) -> None:
    _require(user.role in (Role.STATE_REVIEWER, Role.STATE_SUPERVISOR), "Only state reviewers may do this.")


def submission_claim(*, submission: Submission, user: User) -> Submission:
    """Take a certified submission from the queue; a second reviewer racing for it loses cleanly."""
    _require_state_reviewer(user)
    try:
        return submission_transition(submission=submission, to=S.IN_REVIEW, actor=user, action="claimed", reviewer=user)
    except IllegalTransition:
        raise ValidationError("Another reviewer has already claimed this submission.") from None


def _require_reviewer_of(submission: Submission, user: User) -> None:
    _require_state_reviewer(user)
    if submission.status != S.IN_REVIEW:
        raise ValidationError("The submission is not in review.")
    _require(
        submission.reviewer_id == user.pk or user.role == Role.STATE_SUPERVISOR,
        "Only the reviewer who claimed this submission (or a supervisor) may do this.",
    )


def submission_release(*, submission: Submission, user: User, note: str = "") -> Submission:
    _require_reviewer_of(submission, user)
    return submission_transition(
        submission=submission, to=S.CERTIFIED, actor=user, action="released", note=note, reviewer=None
    )


def finding_review(*, finding: Finding, user: User, status: str, note: str = "") -> Finding:
    submission = finding.evaluation.submission
    _require_reviewer_of(submission, user)
    if status not in (ReviewStatus.CONFIRMED, ReviewStatus.DISMISSED):
        raise ValidationError("Choose confirm or dismiss.")
    if status == ReviewStatus.DISMISSED and not note.strip():
        raise ValidationError("Say why the finding is dismissed; the reason appears in the report.")
    with transaction.atomic():
        finding.review_status = status
        finding.review_note = note.strip()
        finding.reviewed_by = user
        finding.reviewed_at = timezone.now()
        finding.save(update_fields=["review_status", "review_note", "reviewed_by", "reviewed_at"])
        AuditEvent.objects.create(
            submission=submission, actor=user, action=f"finding_{status}",
            from_status=submission.status, to_status=submission.status,
            note=f"{finding.rule} {finding.school_id or finding.band or 'district'}: {note}".strip(),
        )
    return finding


def comment_create(*, submission: Submission, user: User, body: str, finding: Finding | None = None) -> Comment:
    from .selectors import submission_visible_to

    _require(submission_visible_to(user=user, submission=submission), "You may not comment on this submission.")
    if not body.strip():
        raise ValidationError("Write a comment first.")
    comment = Comment.objects.create(submission=submission, author=user, body=body.strip(), finding=finding)
    AuditEvent.objects.create(submission=submission, actor=user, action="commented",
                              from_status=submission.status, to_status=submission.status, note=body.strip()[:500])
    return comment


def submission_return(*, submission: Submission, user: User, note: str) -> Submission:
    _require_reviewer_of(submission, user)
    if not note.strip():
        raise ValidationError("Tell the district what to revise.")
    return submission_transition(submission=submission, to=S.RETURNED, actor=user, action="returned", note=note.strip())


def submission_decide(*, submission: Submission, user: User, outcome: str, note: str) -> Decision:
    _require_reviewer_of(submission, user)
    evaluation = submission.latest_evaluation
    open_findings = evaluation.findings.exclude(severity="info").filter(review_status=ReviewStatus.OPEN).count()
    if open_findings:
        raise ValidationError(f"Confirm or dismiss every finding first ({open_findings} still open).")
    confirmed = evaluation.findings.filter(severity="finding", review_status=ReviewStatus.CONFIRMED).count()
    if outcome == DecisionOutcome.COMPLIANT and confirmed:
        raise ValidationError(f"{confirmed} confirmed finding(s) require corrective action; the outcome cannot be compliant.")
    if outcome not in DecisionOutcome.values:
        raise ValidationError("Choose an outcome.")
    if not note.strip():
        raise ValidationError("Write the decision's reasons; they appear in the public report.")
    with transaction.atomic():
        decision = Decision.objects.create(submission=submission, outcome=outcome, note=note.strip(), decided_by=user)
        submission_transition(submission=submission, to=S.DECIDED, actor=user, action="decided",
                              note=f"{DecisionOutcome(outcome).label}: {note.strip()}")
        report_queue(evaluation=evaluation, kind=ReportKind.DECISION)
    return decision


# --- Rule sets ------------------------------------------------------------------------------


def rule_set_new_version(*, rule_set: RuleSet, params: dict[str, Any] | None = None, user: User | None = None,
                         notes: str = "") -> RuleSet:
    """Edits to a frozen rule set become the next version of the same name."""
    latest = RuleSet.objects.filter(name=rule_set.name).aggregate(v=Max("version"))["v"] or 0
    return RuleSet.objects.create(
        name=rule_set.name,
        version=latest + 1,
        params=params if params is not None else rule_set.params,
        notes=notes,
        created_by=user,
    )

