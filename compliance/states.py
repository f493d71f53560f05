"""The submission state machine: the statuses, the legal moves and every named set of statuses.

Declared once here; models, services, selectors, views, filters and templates derive from it.
``compliance.services.submission_transition`` is the only code that moves a submission.
"""
from __future__ import annotations

from django.db import models


class SubmissionStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    QUEUED = "queued", "Queued for checking"
    VALIDATING = "validating", "Checking"
    REJECTED = "rejected", "Rejected: fix the workbook"
    EVALUATED = "evaluated", "Evaluated"
    FAILED = "failed", "Failed (system error)"
    CERTIFIED = "certified", "Certified and submitted"
    IN_REVIEW = "in_review", "In state review"
    RETURNED = "returned", "Returned for revision"
    AWAITING_SIGN_OFF = "awaiting_sign_off", "Noncompliance awaiting a supervisor's sign-off"
    DECIDED = "decided", "Decided"
    SUPERSEDED = "superseded", "Superseded by a newer version"


class Mover(models.TextChoices):
    """Who makes a move: tests check the named sets against it (a locked state has no district move)."""

    DISTRICT = "district", "District staff"
    WORKER = "worker", "The checking worker"
    STATE = "state", "State staff"


S = SubmissionStatus

# The only legal moves, with who makes each. Anything else is a bug or a race and raises.
MOVES: dict[tuple[str, str], str] = {
    (S.RECEIVED, S.QUEUED): Mover.DISTRICT,  # the upload queues its own check
    (S.QUEUED, S.VALIDATING): Mover.WORKER,
    (S.VALIDATING, S.REJECTED): Mover.WORKER,
    (S.VALIDATING, S.EVALUATED): Mover.WORKER,
    (S.VALIDATING, S.FAILED): Mover.WORKER,
    (S.FAILED, S.QUEUED): Mover.STATE,  # an administrator queues it again (admin action)
    # After a system failure the district need not wait for the state: a new upload replaces it.
    (S.FAILED, S.SUPERSEDED): Mover.DISTRICT,
    (S.REJECTED, S.SUPERSEDED): Mover.DISTRICT,
    (S.EVALUATED, S.CERTIFIED): Mover.DISTRICT,
    (S.EVALUATED, S.SUPERSEDED): Mover.DISTRICT,
    (S.CERTIFIED, S.IN_REVIEW): Mover.STATE,
    (S.IN_REVIEW, S.CERTIFIED): Mover.STATE,  # released back to the queue
    (S.IN_REVIEW, S.RETURNED): Mover.STATE,
    (S.IN_REVIEW, S.DECIDED): Mover.STATE,
    # Noncompliance takes two people: the reviewer proposes it, a supervisor who did not review signs it off
    # or sends it back to the reviewer with a note.
    (S.IN_REVIEW, S.AWAITING_SIGN_OFF): Mover.STATE,
    (S.AWAITING_SIGN_OFF, S.DECIDED): Mover.STATE,
    (S.AWAITING_SIGN_OFF, S.IN_REVIEW): Mover.STATE,
    (S.RETURNED, S.SUPERSEDED): Mover.DISTRICT,
}

TRANSITIONS: dict[str, frozenset[str]] = {
    status: frozenset(to for (frm, to) in MOVES if frm == status) for status in S
}

# Being checked: the page polls, and a new upload waits for the check to end.
PENDING = frozenset({S.RECEIVED, S.QUEUED, S.VALIDATING})
# A new upload supersedes the district's earlier version only from these.
REPLACEABLE = frozenset({S.REJECTED, S.EVALUATED, S.RETURNED, S.FAILED})
# With the state: no new version until the state returns it.
LOCKED = frozenset({S.CERTIFIED, S.IN_REVIEW, S.AWAITING_SIGN_OFF, S.DECIDED})
# Ready for the district's certifier.
CERTIFIABLE = frozenset({S.EVALUATED})
# Waiting in the state's review queue.
CLAIMABLE = frozenset({S.CERTIFIED})
# Held by a reviewer: findings are reviewed, the submission released, returned or decided.
REVIEWING = frozenset({S.IN_REVIEW})
# A proposed noncompliance decision waiting for a second person, a supervisor.
AWAITING_SIGN_OFF = frozenset({S.AWAITING_SIGN_OFF})
# A reviewer's own work: held in review, or proposed and waiting for a supervisor (still theirs).
HELD = REVIEWING | AWAITING_SIGN_OFF
# The review queue's open work, and the statuses whose review clock runs (review due date, overdue).
UNDER_REVIEW = CLAIMABLE | HELD
# A supervisor assigns from the queue (certified) or reassigns from one reviewer to another (in review).
ASSIGNABLE = CLAIMABLE | REVIEWING
# Before certification: "not certified yet" when a reviewer tries to claim one.
BEFORE_CERTIFICATION = PENDING | frozenset({S.REJECTED, S.EVALUATED, S.FAILED})
# What the state's queue filter offers (the queue proper is CLAIMABLE, the default).
STATE_LISTED = (S.CERTIFIED, S.IN_REVIEW, S.AWAITING_SIGN_OFF, S.RETURNED, S.DECIDED)
# Its evaluation passed the data checks and counts for the previous-enrollment comparison.
ACCEPTED_HISTORY = frozenset(
    {S.EVALUATED, S.CERTIFIED, S.IN_REVIEW, S.AWAITING_SIGN_OFF, S.DECIDED, S.SUPERSEDED, S.RETURNED}
)
# An accepted evaluation of a submission in one of these has a findings report to show (the
# pipeline sweep renders a missing one); a superseded version's report is no longer needed.
SHOWS_FINDINGS_REPORT = ACCEPTED_HISTORY - {S.SUPERSEDED}
# What a district is told a status is: a proposed noncompliance is still the state's review until a supervisor
# signs it off (the district never learns of a proposal, nor of one sent back). Unlisted statuses read as they are;
# ``district_status`` is the one reader (``selectors_review.status_shown_to`` picks it for a district audience).
DISTRICT_STATUS: dict[str, str] = {S.AWAITING_SIGN_OFF: S.IN_REVIEW}


def district_status(status: str) -> S:
    """The status as a district is told it."""
    return S(DISTRICT_STATUS.get(status, status))
# Its results may be published (the public cycle export): the state has decided, and the decision is in force.
# A draft, a certified submission the state has not decided and a proposal awaiting sign-off are not.
PUBLISHED = frozenset({S.DECIDED})
# Nothing happens to it any more.
TERMINAL = frozenset(status for status, moves in TRANSITIONS.items() if not moves)
