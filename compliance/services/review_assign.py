"""Who holds a review: a supervisor assigns or reassigns it to a named reviewer, singly or in bulk.

Every move is one conditional UPDATE (on the status, and for a reassignment on the reviewer that was read)
with its audit event in the same transaction, so of two supervisors assigning one submission at once
exactly one wins and the other is told. Claiming and releasing are ``submissions.submission_claim`` and
``submission_release``.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from compliance import permissions
from compliance.models import AuditEvent, Submission
from compliance.states import CLAIMABLE
from compliance.states import SubmissionStatus as S
from districts.models import User

from .notify import notification_queue
from .submissions import IllegalTransition, submission_transition


def _name(user: User | None) -> str:
    if user is None:
        return "nobody"
    return user.get_full_name() or user.username


def _assignee_refusal(assignee: User | None) -> str | None:
    if assignee is None or not permissions.can_be_assigned(assignee):
        return "Choose an active state reviewer to assign it to."
    return None


def _reassign(submission: Submission, user: User, assignee: User, note: str) -> Submission:
    """In review with one reviewer -> the same status with another: conditional on the reviewer we read."""
    previous = submission.reviewer
    if submission.reviewer_id == assignee.pk:
        raise ValidationError(f"{_name(assignee)} already holds this submission.")
    with transaction.atomic():
        moved = Submission.objects.filter(pk=submission.pk, status=submission.status,
                                          reviewer_id=submission.reviewer_id).update(reviewer=assignee)
        if moved != 1:
            raise IllegalTransition(f"Submission {submission.pk} changed hands first.")
        AuditEvent.objects.create(
            submission=submission, actor=user, action="reassigned", from_status=submission.status,
            to_status=submission.status,
            note=" ".join(f"From {_name(previous)} to {_name(assignee)}. {note.strip()}".split()),
        )
        notification_queue(kind="reassigned", submission_id=submission.pk, actor=user)  # told: the new reviewer
    submission.reviewer = assignee
    return submission


# ``expected_reviewer_id`` not given: whatever holder the caller's copy of the submission shows.
AS_READ = object()


def submission_assign(*, submission: Submission, user: User, assignee: User, note: str = "",
                      expected_reviewer_id: int | None | object = AS_READ) -> Submission:
    """Give a waiting submission to ``assignee`` (it is then in review), or move one in review to them.

    ``expected_reviewer_id`` is the holder the supervisor's page showed (None: nobody): if it changed since,
    nothing moves, so assigning an unassigned submission never takes it from a reviewer who just claimed it.
    """
    permissions.enforce(permissions.assign_refusal(user, submission))
    refusal = _assignee_refusal(assignee)
    if refusal:
        raise ValidationError(refusal)
    try:
        if expected_reviewer_id is not AS_READ and expected_reviewer_id != submission.reviewer_id:
            raise IllegalTransition(f"Submission {submission.pk} changed hands since the page was shown.")
        if submission.status in CLAIMABLE:
            return submission_transition(
                submission=submission, to=S.IN_REVIEW, actor=user, action="assigned", reviewer=assignee,
                note=" ".join(f"Assigned to {_name(assignee)}. {note.strip()}".split()),
            )
        return _reassign(submission, user, assignee, note)
    except IllegalTransition:
        # Another supervisor (or a claiming reviewer) moved it between our read and our UPDATE: say so from a
        # fresh copy, and never reassign on the strength of what we read before.
        submission.refresh_from_db()
        raise ValidationError(
            f"Someone else changed this submission first: it is now {submission.get_status_display().lower()}"
            f"{f' with {_name(submission.reviewer)}' if submission.reviewer_id else ''}. Check it and try again."
        ) from None


@dataclass
class BulkResult:
    """What a bulk assignment did: the submissions moved, and why each other one was not."""

    assigned: list[Submission] = field(default_factory=list)
    refused: list[tuple[Submission, str]] = field(default_factory=list)


def submissions_assign(*, submissions: Iterable[Submission], user: User, assignee: User,
                       seen: dict[int, int | None] | None = None) -> BulkResult:
    """Assign each submission on its own (each atomic and audited): one refusal does not undo the others.

    ``seen``: submission pk -> the holder the page showed (see ``submission_assign``).
    """
    if not permissions.can_assign_in_bulk(user):
        raise PermissionDenied("Only a state supervisor may assign reviews.")
    result = BulkResult()
    for submission in submissions:
        expected = seen.get(submission.pk, AS_READ) if seen is not None else AS_READ
        try:
            result.assigned.append(submission_assign(submission=submission, user=user, assignee=assignee,
                                                     expected_reviewer_id=expected))
        except (ValidationError, PermissionDenied) as exc:
            message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            result.refused.append((submission, message))
    return result
