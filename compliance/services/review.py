"""State review writes: findings, comments, returns, decisions and the supervisor's sign-off.

Corrective action plans after a decision are in ``review_plans``; who holds a review in ``review_assign``.
"""
from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone

from compliance import permissions
from compliance.models import (
    AuditEvent,
    Comment,
    CommentVisibility,
    CorrectiveAction,
    Decision,
    DecisionOutcome,
    DecisionProposal,
    Evaluation,
    Finding,
    ProposalStatus,
    ReportKind,
    RequiredAction,
    ReviewStatus,
    Submission,
)
from compliance.selectors_review import INTERNAL_COMMENT_ACTION
from compliance.states import SubmissionStatus as S
from districts.models import User

from .reports import report_queue
from .review_plans import corrective_action_answer, corrective_action_judge
from .submissions import submission_return, submission_transition

__all__ = ["comment_create", "corrective_action_answer", "corrective_action_judge", "decision_send_back",
           "decision_sign_off", "decision_withdraw", "finding_review", "finding_severity_change",
           "findings_confirm_rule", "submission_decide", "submission_return_with_actions"]


# What a reviewer may make a finding or warning: a finding needs corrective action, a warning does not.
SEVERITY_LABELS = {"finding": "Finding", "warning": "Warning"}


def _finding_key(finding: Finding) -> str:
    return f"{finding.rule} {finding.school_id or finding.band or 'district'}"


def _finding_event(finding: Finding, user: User, action: str, note: str) -> None:
    submission = finding.evaluation.submission
    AuditEvent.objects.create(submission=submission, actor=user, action=action, from_status=submission.status,
                              to_status=submission.status, note=f"{_finding_key(finding)}: {note}".strip())


def finding_review(*, finding: Finding, user: User, status: str, note: str = "") -> Finding:
    submission = finding.evaluation.submission
    permissions.enforce(permissions.review_refusal(user, submission))
    if status not in (ReviewStatus.CONFIRMED, ReviewStatus.DISMISSED):
        raise ValidationError("Choose confirm or dismiss.")
    if status == ReviewStatus.DISMISSED and not note.strip():
        raise ValidationError("Say why the finding is dismissed; the reason appears in the report.")
    with transaction.atomic():
        # Confirming a changed severity without a new note keeps the reason for the change.
        keep = status == ReviewStatus.CONFIRMED and not note.strip() and finding.original_severity
        finding.review_status = status
        finding.review_note = finding.review_note if keep else note.strip()
        finding.reviewed_by = user
        finding.reviewed_at = timezone.now()
        finding.save(update_fields=["review_status", "review_note", "reviewed_by", "reviewed_at"])
        _finding_event(finding, user, f"finding_{status}", note)
    return finding


def finding_severity_change(*, finding: Finding, user: User, severity: str, reason: str) -> Finding:
    """Confirm a finding at another severity (a finding becomes a warning or back), saying why."""
    permissions.enforce(permissions.severity_change_refusal(user, finding.evaluation.submission))
    if finding.severity not in SEVERITY_LABELS:
        raise ValidationError("Only findings and warnings have a severity to change.")
    if severity not in SEVERITY_LABELS:
        raise ValidationError("Choose Finding or Warning.")
    if severity == finding.severity:
        raise ValidationError(f"It is already a {SEVERITY_LABELS[severity].lower()}.")
    if not reason.strip():
        raise ValidationError("Say why the severity changes; the reason appears in the report.")
    original = finding.original_severity or finding.severity
    note = (f"Severity changed from {SEVERITY_LABELS[finding.severity].lower()} to "
            f"{SEVERITY_LABELS[severity].lower()}: {reason.strip()}")
    with transaction.atomic():
        finding.severity = severity
        finding.original_severity = "" if severity == original else original
        finding.review_status, finding.review_note = ReviewStatus.CONFIRMED, note
        finding.reviewed_by, finding.reviewed_at = user, timezone.now()
        finding.save(update_fields=["severity", "original_severity", "review_status", "review_note", "reviewed_by",
                                    "reviewed_at"])
        _finding_event(finding, user, "finding_severity_changed", note)
    return finding


def findings_confirm_rule(*, submission: Submission, user: User, rule: str) -> int:
    """Confirm every finding and warning of one rule still open, in one UPDATE; how many it confirmed."""
    permissions.enforce(permissions.review_refusal(user, submission))
    evaluation = submission.latest_evaluation
    open_ = Finding.objects.filter(evaluation=evaluation, rule=rule, review_status=ReviewStatus.OPEN).exclude(
        severity="info")
    with transaction.atomic():
        keys = [f"{school or band or 'district'}" for school, band in open_.values_list("school_id", "band")]
        confirmed = open_.update(review_status=ReviewStatus.CONFIRMED, review_note="", reviewed_by=user,
                                 reviewed_at=timezone.now())
        if not confirmed:
            raise ValidationError(f"No open {rule} findings are left to confirm.")
        AuditEvent.objects.create(submission=submission, actor=user, action="finding_confirmed_all",
                                  from_status=submission.status, to_status=submission.status,
                                  note=f"{rule}: {confirmed} confirmed at once ({', '.join(keys)})")
    return confirmed


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


# The decide form's parts a refusal can be about (ValidationError's keys): the views link the
# error summary to that field; DECISION_FORM is the form as a whole.
DECISION_FORM, DECISION_OUTCOME, DECISION_NOTE, DECISION_PLAN = NON_FIELD_ERRORS, "outcome", "note", "plan"


def _decision_refusal(evaluation: Evaluation, outcome: str, note: str) -> tuple[str, str] | None:
    """What the findings and the form must say before a decision can be recorded: (part, reason)."""
    open_findings = evaluation.findings.exclude(severity="info").filter(review_status=ReviewStatus.OPEN).count()
    if open_findings:
        return DECISION_FORM, f"Confirm or dismiss every finding first ({open_findings} still open)."
    confirmed = evaluation.findings.filter(severity="finding", review_status=ReviewStatus.CONFIRMED).count()
    if outcome == DecisionOutcome.COMPLIANT and confirmed:
        return DECISION_FORM, (f"{confirmed} confirmed finding(s) require corrective action; "
                               "the outcome cannot be compliant.")
    if outcome not in DecisionOutcome.values:
        return DECISION_OUTCOME, "Choose an outcome."
    if not note.strip():
        return DECISION_NOTE, "Write the decision's reasons; they appear in the public report."
    return None


def _action_line(number: int, action: dict) -> str:
    about = f"{action['finding_label']}: " if action.get("finding_label") else ""
    return f"{number}. {about}{action['description'].strip()}"


def submission_return_with_actions(*, submission: Submission, user: User, actions: list[dict]) -> Submission:
    """Return for revision with required actions, one per line, each maybe about one finding.

    The actions are kept as rows (shown on the returned version and the next) and, as numbered lines,
    as the return's note: the e-mail, the history and the district's home page read that.
    """
    permissions.enforce(permissions.return_refusal(user, submission))
    actions = [a for a in actions if str(a.get("description", "")).strip()]
    if not actions:
        raise ValidationError("Write at least one required action, one per line.")
    for action in actions:
        finding = action.get("finding")
        if finding is not None and finding.evaluation.submission_id != submission.pk:
            raise ValidationError("That finding belongs to another submission.")
    with transaction.atomic():
        RequiredAction.objects.bulk_create(
            RequiredAction(submission=submission, finding=a.get("finding"), finding_label=a.get("finding_label", ""),
                           description=a["description"].strip(), position=n, created_by=user)
            for n, a in enumerate(actions, start=1)
        )
        return submission_return(submission=submission, user=user,
                                 note="\n".join(_action_line(n, a) for n, a in enumerate(actions, start=1)))


# Outcomes that need a corrective action plan, and the one that also needs a second person.
PLAN_OUTCOMES = frozenset({DecisionOutcome.COMPLIANT_WITH_FINDINGS, DecisionOutcome.CORRECTIVE_ACTION})
SIGN_OFF_OUTCOMES = frozenset({DecisionOutcome.CORRECTIVE_ACTION})


def _plan_refusal(submission: Submission, outcome: str, actions: list[dict]) -> tuple[str, str] | None:
    """A plan outcome needs at least one required action, each with a description and a due date: (part, reason)."""
    refusal = _plan_problem(submission, outcome, actions)
    return (DECISION_PLAN, refusal) if refusal else None


def _plan_problem(submission: Submission, outcome: str, actions: list[dict]) -> str | None:
    if outcome not in PLAN_OUTCOMES:
        return "Only a decision with findings sets corrective actions." if actions else None
    if not actions:
        return "Set the corrective action plan: at least one required action with its due date."
    today = timezone.localdate()
    for action in actions:
        if not str(action.get("description", "")).strip() or action.get("due_on") is None:
            return "Every required action needs a description and a due date."
        if action["due_on"] < today:  # a typo in the year would make the plan overdue on arrival
            return (f"The due date {action['due_on'].isoformat()} is in the past; give the district a date from "
                    f"today ({today.isoformat()}) on.")
        finding = action.get("finding")
        if finding is not None and finding.evaluation.submission_id != submission.pk:
            return "That finding belongs to another submission."
    return None


def _plan_create(submission: Submission, actions: list[dict]) -> None:
    CorrectiveAction.objects.bulk_create(
        CorrectiveAction(submission=submission, description=a["description"].strip(), due_on=a["due_on"],
                         finding=a.get("finding"))
        for a in actions
    )


def submission_decide(*, submission: Submission, user: User, outcome: str, note: str,
                      actions: list[dict] | None = None) -> Decision | DecisionProposal:
    """Decide, or for noncompliance propose the decision to a supervisor (it is not in force until signed off)."""
    permissions.enforce(permissions.decide_refusal(user, submission))
    evaluation = submission.latest_evaluation
    if evaluation is None:  # only a submission that was evaluated reaches review; a guard for the types
        raise ValidationError("The submission has no evaluation to decide on.")
    actions = actions or []
    refusal = _decision_refusal(evaluation, outcome, note) or _plan_refusal(submission, outcome, actions)
    if refusal:
        part, reason = refusal
        raise ValidationError({part: [reason]})
    with transaction.atomic():
        _plan_create(submission, actions)
        if outcome in SIGN_OFF_OUTCOMES:
            proposal = DecisionProposal.objects.create(submission=submission, outcome=outcome, note=note.strip(),
                                                       proposed_by=user)
            submission_transition(submission=submission, to=S.AWAITING_SIGN_OFF, actor=user,
                                  action="decision_proposed", note=f"{DecisionOutcome(outcome).label}: {note.strip()}")
            return proposal
        decision = Decision.objects.create(submission=submission, outcome=outcome, note=note.strip(), decided_by=user)
        submission_transition(submission=submission, to=S.DECIDED, actor=user, action="decided",
                              note=f"{DecisionOutcome(outcome).label}: {note.strip()}")
        report_queue(evaluation=evaluation, kind=ReportKind.DECISION)
    return decision


def _pending_proposal(submission: Submission) -> DecisionProposal:
    proposal = submission.proposals.filter(status=ProposalStatus.PENDING).select_related("proposed_by").first()
    if proposal is None:  # the state says one is pending; a guard for the types
        raise ValidationError("No decision is waiting for sign-off.")
    return proposal


def decision_sign_off(*, submission: Submission, user: User) -> Decision:
    """The second person: the proposed noncompliance takes effect, the PDF is made again, the district told."""
    permissions.enforce(permissions.sign_off_refusal(user, submission))
    proposal = _pending_proposal(submission)
    evaluation = submission.latest_evaluation
    with transaction.atomic():
        proposal.status, proposal.answered_by, proposal.answered_at = ProposalStatus.SIGNED_OFF, user, timezone.now()
        proposal.save(update_fields=["status", "answered_by", "answered_at"])
        decision = Decision.objects.create(submission=submission, outcome=proposal.outcome, note=proposal.note,
                                           decided_by=proposal.proposed_by)
        # action "decided": the transition notifies the district, as for any decision in force.
        submission_transition(submission=submission, to=S.DECIDED, actor=user, action="decided",
                              note=f"Signed off: {DecisionOutcome(proposal.outcome).label}: {proposal.note}")
        if evaluation is not None:
            report_queue(evaluation=evaluation, kind=ReportKind.DECISION)
    return decision


def decision_withdraw(*, submission: Submission, user: User) -> DecisionProposal:
    """The proposer takes a pending noncompliance back: the review goes on, the plan with it."""
    permissions.enforce(permissions.withdraw_refusal(user, submission))
    return _proposal_back_to_review(submission, user, ProposalStatus.WITHDRAWN, action="decision_withdrawn",
                                    note="The proposed decision was withdrawn before sign-off.")


def decision_send_back(*, submission: Submission, user: User, note: str) -> DecisionProposal:
    """The supervisor does not sign off: the submission goes back to its reviewer with a note."""
    permissions.enforce(permissions.sign_off_refusal(user, submission))
    if not note.strip():
        raise ValidationError("Tell the reviewer why the decision is sent back.")
    return _proposal_back_to_review(submission, user, ProposalStatus.SENT_BACK, action="decision_sent_back",
                                    note=note.strip(), answer_note=note.strip())


def _proposal_back_to_review(submission: Submission, user: User, status: str, *, action: str, note: str,
                             answer_note: str = "") -> DecisionProposal:
    """The pending proposal answered without taking effect: the submission is in review again, and its plan
    goes with the proposal (the reviewer sets it again with the next one)."""
    proposal = _pending_proposal(submission)
    with transaction.atomic():
        proposal.status, proposal.answered_by, proposal.answered_at = status, user, timezone.now()
        proposal.answer_note = answer_note
        proposal.save(update_fields=["status", "answered_by", "answered_at", "answer_note"])
        submission.corrective_actions.all().delete()
        submission_transition(submission=submission, to=S.IN_REVIEW, actor=user, action=action, note=note)
    return proposal
