"""Who may do what: plain functions of (user, object), the one place every role fact is stated.

Each ``<action>_refusal(user, obj)`` returns why the user may not (a :class:`Refusal`) or None;
``can_<action>`` is its yes/no. Services refuse with the refusal (:func:`enforce`), views and
templates show a button exactly when ``can_<action>`` is true, so the two cannot disagree.
Selectors filter querysets by the same role facts (:func:`sees_every_district`,
:func:`works_for_districts`).
"""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q

from districts.models import DISTRICT_ROLES, Role

from .models import ActionStatus, EvaluationOutcome
from .states import (
    ASSIGNABLE,
    AWAITING_SIGN_OFF,
    BEFORE_CERTIFICATION,
    CERTIFIABLE,
    CLAIMABLE,
    REVIEWING,
    SubmissionStatus,
    district_status,
)

# State staff who review submissions; a state administrator manages data and does not review.
REVIEWER_ROLES = frozenset({Role.STATE_REVIEWER, Role.STATE_SUPERVISOR})

NOT_A_REVIEWER = "Only state reviewers may do this."


class Refusal(str):
    """Why not, in words for the user. ``forbidden``: it is about who asks (403), not the moment.
    ``conflict``: it is about the submission's state (the API's 409), not what was sent."""

    forbidden: bool
    conflict: bool

    def __new__(cls, message: str, *, forbidden: bool = False, conflict: bool = False) -> Refusal:
        refusal = super().__new__(cls, message)
        refusal.forbidden, refusal.conflict = forbidden, conflict
        return refusal


class StateConflict(ValidationError):
    """A refusal because of where the submission stands (already certified, with the state...):
    a message like any other on a page, 409 in the API."""


def enforce(refusal: Refusal | None) -> None:
    """Raise what a service raises for a refusal: PermissionDenied (403) or ValidationError (a message)."""
    if refusal is None:
        return
    if refusal.forbidden:
        raise PermissionDenied(str(refusal))
    raise (StateConflict if refusal.conflict else ValidationError)(str(refusal))


# --- Role facts -------------------------------------------------------------------------------


def sees_every_district(user) -> bool:
    return bool(user.is_superuser or user.is_state_staff)


def works_for_districts(user) -> bool:
    return user.role in DISTRICT_ROLES


def is_reviewer(user) -> bool:
    return user.role in REVIEWER_ROLES


def is_supervisor(user) -> bool:
    return user.role == Role.STATE_SUPERVISOR


def is_state_admin(user) -> bool:
    """A state administrator, or a superuser (who can do what an administrator does)."""
    return bool(user.is_superuser or user.role == Role.STATE_ADMIN)


def belongs_to(user, district_id: int) -> bool:
    return works_for_districts(user) and user.districts.filter(pk=district_id).exists()


def can_view_submission(user, submission) -> bool:
    """The object form of ``selectors.submissions_visible_to`` (a test holds them equal)."""
    return sees_every_district(user) or belongs_to(user, submission.district_id)


def can_download(user, submission) -> bool:
    """Reports and exports go to whoever may see the submission."""
    return can_view_submission(user, submission)


# --- District ---------------------------------------------------------------------------------


def can_submit_for(user, district) -> bool:
    return bool(user.is_active and belongs_to(user, district.pk))


def upload_refusal(user, district, cycle) -> Refusal | None:
    if not can_submit_for(user, district):
        return Refusal("You may not submit for this district.", forbidden=True)
    if not cycle.is_open:
        return Refusal(f"The {cycle.school_year} reporting cycle is not open for submissions.")
    return None


def can_upload_now(user, submission) -> bool:
    """Whether this user may upload the next version of ``submission`` now: one of the district's own people,
    the submission of the open cycle, and that cycle's uploads not closed (``services.portal.uploads_closed_now``).
    A version's page links to the upload page exactly when this holds."""
    # Here, not at the top: selectors and services import this module.
    from .selectors import reporting_cycle_current, submissions_visible_to
    from .services.portal import uploads_closed_now

    cycle = reporting_cycle_current()
    if cycle is None or submission.cycle_id != cycle.pk or not can_submit_for(user, submission.district):
        return False
    district = list(submissions_visible_to(user=user).filter(district_id=submission.district_id))
    return uploads_closed_now(submissions=district, cycle=cycle) is None


def certify_refusal(user, submission) -> Refusal | None:
    if not (user.role == Role.DISTRICT_CERTIFIER and belongs_to(user, submission.district_id)):
        return Refusal("Only a certifier of this district may certify its submission.", forbidden=True)
    if submission.status not in CERTIFIABLE:
        # Said to the district: its words for the status (a proposal awaiting sign-off reads "In state review").
        shown = district_status(submission.status).label
        return Refusal(f"Version {submission.version} cannot be certified: its status is \u201c{shown}\u201d; only "
                       "an evaluated version without blocking problems can be certified.", conflict=True)
    # Whatever the status says: only stored, accepted findings can be certified.
    if not submission.evaluations.filter(outcome=EvaluationOutcome.ACCEPTED).exists():
        return Refusal("This version has no completed evaluation to certify; wait for its check to finish.")
    if not submission.cycle.is_open:
        return Refusal("The reporting cycle is closed; contact the state to certify late.")
    return None


def can_certify(user, submission) -> bool:
    return certify_refusal(user, submission) is None


# --- State review -----------------------------------------------------------------------------


def _person(user) -> str:
    return user.get_full_name() or user.username


def claim_refusal(user, submission) -> Refusal | None:
    if not is_reviewer(user):
        return Refusal(NOT_A_REVIEWER, forbidden=True)
    if submission.status in REVIEWING:
        if submission.reviewer_id == user.pk:
            return Refusal("You already hold this submission.")
        holder = f" ({_person(submission.reviewer)})" if submission.reviewer_id else ""
        return Refusal(f"Another reviewer{holder} already holds this submission.")
    if submission.status in BEFORE_CERTIFICATION:
        return Refusal("This submission is not certified yet.")
    if submission.status not in CLAIMABLE:
        label = SubmissionStatus(submission.status).label.lower()
        return Refusal(f"This submission is no longer waiting for review ({label}).")
    return None


def can_claim(user, submission) -> bool:
    return claim_refusal(user, submission) is None


def can_claim_from_queue(user) -> bool:
    """Whether the review queue offers this user a Claim column at all."""
    return is_reviewer(user)


def _holder_refusal(user, submission) -> Refusal | None:
    """Only the reviewer holding a submission in review (or a supervisor) works on it."""
    if not is_reviewer(user):
        return Refusal(NOT_A_REVIEWER, forbidden=True)
    if submission.status not in REVIEWING:
        return Refusal("The submission is not in review.")
    if not (submission.reviewer_id == user.pk or is_supervisor(user)):
        return Refusal("Only the reviewer who claimed this submission (or a supervisor) may do this.", forbidden=True)
    return None


def review_refusal(user, submission) -> Refusal | None:
    """Confirming or dismissing the submission's findings."""
    return _holder_refusal(user, submission)


def release_refusal(user, submission) -> Refusal | None:
    return _holder_refusal(user, submission)


def return_refusal(user, submission) -> Refusal | None:
    return _holder_refusal(user, submission)


def decide_refusal(user, submission) -> Refusal | None:
    """Who may decide; whether the findings allow the outcome is the decision service's check."""
    return _holder_refusal(user, submission)


def can_review(user, submission) -> bool:
    return review_refusal(user, submission) is None


def can_release(user, submission) -> bool:
    return release_refusal(user, submission) is None


def can_return(user, submission) -> bool:
    return return_refusal(user, submission) is None


def can_decide(user, submission) -> bool:
    return decide_refusal(user, submission) is None


def _pending_proposers(submission) -> set[int]:
    return set(submission.proposals.filter(status="pending").values_list("proposed_by_id", flat=True))


def sign_off_refusal(user, submission) -> Refusal | None:
    """Noncompliance takes two people: a supervisor who neither reviewed nor proposed it."""
    if not is_supervisor(user):
        return Refusal("Only a state supervisor may sign off a noncompliance decision.", forbidden=True)
    if submission.status not in AWAITING_SIGN_OFF:
        return Refusal("No decision is waiting for sign-off.")
    if user.pk == submission.reviewer_id or user.pk in _pending_proposers(submission):
        return Refusal("You reviewed this submission: another supervisor must sign off its decision.", forbidden=True)
    return None


def withdraw_refusal(user, submission) -> Refusal | None:
    """The one who proposed a noncompliance may take it back before sign-off (to change it, or when
    no other supervisor is there to sign it off)."""
    if submission.status not in AWAITING_SIGN_OFF:
        return Refusal("No decision is waiting for sign-off.")
    if user.pk not in _pending_proposers(submission):
        return Refusal("Only the reviewer who proposed this decision may withdraw it.", forbidden=True)
    return None


def can_withdraw(user, submission) -> bool:
    return withdraw_refusal(user, submission) is None


def can_sign_off(user, submission) -> bool:
    return sign_off_refusal(user, submission) is None


def can_sign_off_decisions(user) -> bool:
    """Whether the queue lists decisions awaiting this user's sign-off at all (each then by ``can_sign_off``)."""
    return bool(user.is_active and is_supervisor(user))


def comment_refusal(user, submission) -> Refusal | None:
    if not can_view_submission(user, submission):
        return Refusal("You may not comment on this submission.", forbidden=True)
    return None


def can_comment(user, submission) -> bool:
    return comment_refusal(user, submission) is None


# --- The review queue, assignment and corrective action plans (issue 12) ----------------------


def can_view_queue(user) -> bool:
    """The review queue and its saved views: state staff (an administrator reads it without claiming)."""
    return bool(user.is_active and sees_every_district(user))


def reviewer_filter() -> Q:
    """Who may hold a review, as a filter on users: the assign form's choices and the service's check."""
    return Q(role__in=REVIEWER_ROLES, is_active=True)


def can_be_assigned(user) -> bool:
    return bool(user.is_active and is_reviewer(user))


def can_assign_in_bulk(user) -> bool:
    """Whether the queue offers this user the assign checkboxes: supervisors hand out the work."""
    return bool(user.is_active and is_supervisor(user))


def assign_refusal(user, submission) -> Refusal | None:
    """A supervisor assigns a waiting submission, or reassigns one in review, to a named reviewer."""
    if not can_assign_in_bulk(user):
        return Refusal("Only a state supervisor may assign reviews.", forbidden=True)
    if submission.status in AWAITING_SIGN_OFF:
        return Refusal("A decision on this submission awaits sign-off: sign it off or send it back first.")
    if submission.status not in ASSIGNABLE:
        label = SubmissionStatus(submission.status).label.lower()
        return Refusal(f"This submission is not waiting for review ({label}).")
    return None


def can_assign(user, submission) -> bool:
    return assign_refusal(user, submission) is None


def severity_change_refusal(user, submission) -> Refusal | None:
    """Changing a finding's severity is a disposition: whoever may confirm or dismiss it."""
    return review_refusal(user, submission)


def can_view_corrective_plan(user, submission) -> bool:
    """State staff read a plan from its proposal on; the district once the decision is in force (decided)."""
    if sees_every_district(user):
        return True
    return can_view_submission(user, submission) and submission.status == SubmissionStatus.DECIDED


# A required action waits for the district's plan and evidence in these.
ANSWERABLE_ACTIONS = frozenset({ActionStatus.OPEN, ActionStatus.ASKED_AGAIN})


def plan_answer_refusal(user, action) -> Refusal | None:
    """The district's own staff answer a required action of a decision in force, while it waits for them."""
    submission = action.submission
    if not can_submit_for(user, submission.district):
        return Refusal("Only the district's own staff answer its corrective action plan.", forbidden=True)
    if submission.status != SubmissionStatus.DECIDED or action.status not in ANSWERABLE_ACTIONS:
        return Refusal("This action is not waiting for the district's answer.")
    return None


def can_answer_plan(user, action) -> bool:
    return plan_answer_refusal(user, action) is None


def plan_judge_refusal(user, action) -> Refusal | None:
    """A state reviewer accepts the district's answer to a required action, or asks again."""
    if not (user.is_active and is_reviewer(user)):
        return Refusal(NOT_A_REVIEWER, forbidden=True)
    if action.status != ActionStatus.SUBMITTED:
        return Refusal("The district has not answered this action yet.")
    return None


def can_judge_plan(user, action) -> bool:
    return plan_judge_refusal(user, action) is None


# --- Statewide --------------------------------------------------------------------------------

EXPORT_VARIANTS = ("state", "public")


def can_view_statewide(user) -> bool:
    """The statewide page of a cycle: every district's standing, so state staff only."""
    return bool(user.is_active and sees_every_district(user))


def can_export(user, variant: str) -> bool:
    """Cycle exports: ``state`` has exact numbers, ``public`` is suppressed; both are statewide reads."""
    return variant in EXPORT_VARIANTS and can_view_statewide(user)


# --- Signing in -------------------------------------------------------------------------------


def can_enrol_second_factor(user) -> bool:
    """State staff (and superusers) may add an authenticator app; district users sign in with a password."""
    return bool(user.is_authenticated and sees_every_district(user))


def must_use_second_factor(user) -> bool:
    """State administrators must use one when the state turns it on (REQUIRE_2FA_FOR_ADMINS=1)."""
    return bool(settings.REQUIRE_2FA_FOR_ADMINS and user.is_authenticated and is_state_admin(user))


# --- Planner ----------------------------------------------------------------------------------


def can_plan_for(user, district) -> bool:
    """Make and edit what-if plans: the district's own users only."""
    return bool(user.is_active and belongs_to(user, district.pk))


def can_view_planner(user, district) -> bool:
    """The planner page: the district's users, and state staff read-only (they see every district)."""
    return bool(user.is_active and (sees_every_district(user) or belongs_to(user, district.pk)))


def can_view_plan(user, plan) -> bool:
    """A saved plan: its author, the district's users once shared, state staff once shared (read-only)."""
    if not user.is_active:
        return False
    if plan.created_by_id == user.pk:
        return True
    return bool(plan.shared and can_view_planner(user, plan.district))


def can_edit_plan(user, plan) -> bool:
    """Only the author edits a plan; once shared, any user of the district may."""
    return can_view_plan(user, plan) and can_plan_for(user, plan.district) and (
        plan.created_by_id == user.pk or plan.shared)


def can_share_plan(user, plan) -> bool:
    """Share a plan or stop sharing it: its author, while still one of the district's users."""
    return can_edit_plan(user, plan) and plan.created_by_id == user.pk
