"""State review writes: confirming or dismissing findings, comments, and the decision."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from compliance import permissions
from compliance.models import (
    AuditEvent,
    Comment,
    CommentVisibility,
    Decision,
    DecisionOutcome,
    Evaluation,
    Finding,
    ReportKind,
    ReviewStatus,
    Submission,
)
from compliance.selectors_review import INTERNAL_COMMENT_ACTION
from compliance.states import SubmissionStatus as S
from districts.models import User

from .reports import report_queue
from .submissions import submission_transition


def finding_review(*, finding: Finding, user: User, status: str, note: str = "") -> Finding:
    submission = finding.evaluation.submission
    permissions.enforce(permissions.review_refusal(user, submission))
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


def _comment_refusal(submission: Submission, user: User, visibility: str, finding: Finding | None,
                     in_reply_to: Comment | None) -> str | None:
    """What a comment must say about its audience, its finding and the comment it answers."""
    if visibility not in CommentVisibility.values:
        return "Choose who the comment is for: state staff only, or the district."
    staff = permissions.sees_every_district(user)
    if not staff and visibility == CommentVisibility.INTERNAL:
        return "District users write to the state; internal notes are for state staff."
    if finding is not None and finding.evaluation.submission_id != submission.pk:
        return "That finding belongs to another submission."
    if in_reply_to is not None:
        if in_reply_to.submission_id != submission.pk:
            return "That comment belongs to another submission."
        if not staff and in_reply_to.visibility != CommentVisibility.DISTRICT:
            return "You may reply only to comments addressed to your district."
    return None


def comment_create(*, submission: Submission, user: User, body: str, visibility: str,
                   finding: Finding | None = None, in_reply_to: Comment | None = None) -> Comment:
    permissions.enforce(permissions.comment_refusal(user, submission))
    if not body.strip():
        raise ValidationError("Write a comment first.")
    refusal = _comment_refusal(submission, user, visibility, finding, in_reply_to)
    if refusal:
        raise ValidationError(refusal)
    if in_reply_to is not None and finding is None:
        finding = in_reply_to.finding  # a reply stays with the finding it is about
    internal = visibility == CommentVisibility.INTERNAL
    with transaction.atomic():
        comment = Comment.objects.create(submission=submission, author=user, body=body.strip(), finding=finding,
                                         visibility=visibility, in_reply_to=in_reply_to)
        # The district reads the history too: an internal note's event names the comment, not its words.
        AuditEvent.objects.create(
            submission=submission, actor=user, action=INTERNAL_COMMENT_ACTION if internal else "commented",
            from_status=submission.status, to_status=submission.status,
            note=f"comment {comment.pk}" if internal else body.strip()[:500],
        )
    return comment


def _decision_refusal(evaluation: Evaluation, outcome: str, note: str) -> str | None:
    """What the findings and the form must say before a decision can be recorded."""
    open_findings = evaluation.findings.exclude(severity="info").filter(review_status=ReviewStatus.OPEN).count()
    if open_findings:
        return f"Confirm or dismiss every finding first ({open_findings} still open)."
    confirmed = evaluation.findings.filter(severity="finding", review_status=ReviewStatus.CONFIRMED).count()
    if outcome == DecisionOutcome.COMPLIANT and confirmed:
        return f"{confirmed} confirmed finding(s) require corrective action; the outcome cannot be compliant."
    if outcome not in DecisionOutcome.values:
        return "Choose an outcome."
    if not note.strip():
        return "Write the decision's reasons; they appear in the public report."
    return None


def submission_decide(*, submission: Submission, user: User, outcome: str, note: str) -> Decision:
    permissions.enforce(permissions.decide_refusal(user, submission))
    evaluation = submission.latest_evaluation
    if evaluation is None:  # only a submission that was evaluated reaches review; a guard for the types
        raise ValidationError("The submission has no evaluation to decide on.")
    refusal = _decision_refusal(evaluation, outcome, note)
    if refusal:
        raise ValidationError(refusal)
    with transaction.atomic():
        decision = Decision.objects.create(submission=submission, outcome=outcome, note=note.strip(), decided_by=user)
        submission_transition(submission=submission, to=S.DECIDED, actor=user, action="decided",
                              note=f"{DecisionOutcome(outcome).label}: {note.strip()}")
        report_queue(evaluation=evaluation, kind=ReportKind.DECISION)
    return decision
