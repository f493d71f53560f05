"""Review reads that depend on who is asking: the queue, comments an audience may see, the review page's parts."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from districts.models import User

from .models import (
    DOWNLOADED,
    ActionStatus,
    AuditEvent,
    Comment,
    CommentVisibility,
    CorrectiveAction,
    Decision,
    DecisionProposal,
    Evaluation,
    EvaluationOutcome,
    Finding,
    ProposalStatus,
    ReviewStatus,
    SavedQueueView,
    Submission,
)
from .permissions import (
    can_assign,
    can_sign_off,
    can_sign_off_decisions,
    can_view_queue,
    can_withdraw,
    reviewer_filter,
    sees_every_district,
)
from .selectors import school_names, submissions_visible_to
from .states import HELD, UNDER_REVIEW, SubmissionStatus, district_status

# The audience of everything that leaves the state: district pages, e-mails, exports, the API, PDFs.
DISTRICT = "district"
STATE = "state"


def _audience(user_or_audience: User | str) -> str:
    if isinstance(user_or_audience, str):
        if user_or_audience not in (DISTRICT, STATE):
            raise ValueError(f"Unknown audience {user_or_audience!r}")
        return user_or_audience
    # Anyone who is not state staff reads as the district would: internal notes fail closed.
    return STATE if sees_every_district(user_or_audience) else DISTRICT


def comments_visible_to(user_or_audience: User | str, *, submission: Submission) -> QuerySet[Comment]:
    """The one filter between internal comments and anything a district reads."""
    comments = Comment.objects.filter(submission=submission).select_related("author", "finding", "in_reply_to")
    if _audience(user_or_audience) == DISTRICT:
        comments = comments.filter(visibility=CommentVisibility.DISTRICT)
    return comments.order_by("created_at", "pk")


def status_shown_to(user_or_audience: User | str, *, status: str) -> SubmissionStatus:
    """The status as this audience is told it (code and label): every district page, the API, e-mails, the
    PDF and the home page's next step read it here, so a proposed noncompliance reads "In state review"."""
    return district_status(status) if _audience(user_or_audience) == DISTRICT else SubmissionStatus(status)


def status_changed_at_shown_to(user_or_audience: User | str, *, submission: Submission) -> datetime:
    """When the status this audience is told last changed: for a district, the newest status change it may see
    in the history (a proposal, or one sent back, moves nothing it is told)."""
    if _audience(user_or_audience) == STATE or submission.status not in HELD:
        return submission.status_changed_at
    moved = (audit_events_visible_to(user_or_audience, submission=submission).exclude(from_status=F("to_status"))
             .order_by("-created_at", "-pk").values_list("created_at", flat=True).first())
    return moved or submission.status_changed_at


# The audit action of an internal comment: its event stays off every district page.
INTERNAL_COMMENT_ACTION = "commented_internal"
# Events whose notes stay with the state: internal notes, a noncompliance not yet in force, and the state's
# own staffing (who moved a review to whom, and why; the district sees who holds it now).
STATE_ONLY_ACTIONS = (INTERNAL_COMMENT_ACTION, "decision_proposed", "decision_sent_back", "decision_withdrawn",
                      "reassigned")
# Events the district sees without their note: a reviewer's release and a supervisor's assignment are hand-offs
# between state staff (the district sees that the submission went back to the queue or into review, never the
# note written for colleagues).
STATE_NOTE_ACTIONS = ("released", "assigned")


def audit_events_visible_to(user_or_audience: User | str, *, submission: Submission) -> QuerySet[AuditEvent]:
    """The submission's history as this audience reads it, each event with ``shown_note``: the note it may read
    (every history reads ``shown_note``, never ``note``)."""
    # Who downloaded which file is for the administrators' audit search, not the submission's history.
    events = submission.audit_events.exclude(action=DOWNLOADED).select_related("actor")
    if _audience(user_or_audience) == DISTRICT:
        events = events.exclude(action__in=STATE_ONLY_ACTIONS)
        return events.annotate(shown_note=Case(When(action__in=STATE_NOTE_ACTIONS, then=Value("")),
                                               default=F("note"), output_field=TextField()))
    return events.annotate(shown_note=F("note"))


# --- The queue ---------------------------------------------------------------------------------

# Findings' severities ranked: a submission's highest is the queue's "highest severity" (0: nothing found).
SEVERITY_RANK = {"finding": 3, "warning": 2, "info": 1}


def review_due_expression() -> ExpressionWrapper:
    """Certification time plus the cycle's ``review_days``: the one definition of a review's due date."""
    days = ExpressionWrapper(Cast("cycle__review_days", IntegerField()) * Value(timedelta(days=1)),
                             output_field=DurationField())
    return ExpressionWrapper(F("certification__certified_at") + days, output_field=DateTimeField())


def overdue_q(now: datetime) -> Q:
    """Past its review due date and still with the state's review (on a queryset annotated ``review_due``)."""
    return Q(status__in=UNDER_REVIEW, review_due__lt=now)


def _top_severity() -> Coalesce:
    newest = (Evaluation.objects.filter(submission=OuterRef(OuterRef("pk")), outcome=EvaluationOutcome.ACCEPTED)
              .order_by("-started_at", "-pk").values("pk")[:1])
    rank = Case(*(When(severity=s, then=Value(n)) for s, n in SEVERITY_RANK.items()), default=Value(0))
    top = (Finding.objects.filter(evaluation_id=Subquery(newest)).annotate(rank=rank)
           .order_by("-rank").values("rank")[:1])
    return Coalesce(Subquery(top, output_field=IntegerField()), Value(0))


def queue_submissions(*, user: User, now: datetime | None = None) -> QuerySet[Submission]:
    """What the queue lists and filters, for state staff: each with ``certified_at``, ``review_due``,
    ``is_overdue`` (at ``now``) and ``top_severity``; district, cycle and reviewer in the same query."""
    if not can_view_queue(user):
        return Submission.objects.none()
    qs = submissions_visible_to(user=user).select_related("certification").annotate(
        certified_at=F("certification__certified_at"), review_due=review_due_expression(),
        top_severity=_top_severity(),
    )
    return qs.annotate(is_overdue=Case(When(overdue_q(now or timezone.now()), then=Value(True)), default=Value(False),
                                       output_field=BooleanField()))


def my_reviews(*, user: User, now: datetime | None = None) -> QuerySet[Submission]:
    """What this reviewer holds: in review, and their proposals waiting for a supervisor's sign-off."""
    return queue_submissions(user=user, now=now).filter(status__in=HELD, reviewer=user).order_by(
        F("review_due").asc(nulls_last=True), "pk")


def awaiting_sign_off_by(*, user: User, now: datetime | None = None) -> QuerySet[Submission]:
    """Proposed noncompliance decisions this user may sign off: ``permissions.sign_off_refusal`` as a filter
    (a supervisor who neither holds the review nor proposed it; a test holds the two equal)."""
    queue = queue_submissions(user=user, now=now).filter(status=SubmissionStatus.AWAITING_SIGN_OFF)
    if not can_sign_off_decisions(user):
        return queue.none()
    proposed = DecisionProposal.objects.filter(status=ProposalStatus.PENDING, proposed_by=user)
    return (queue.exclude(reviewer=user).exclude(pk__in=proposed.values("submission_id"))
            .order_by(F("review_due").asc(nulls_last=True), "pk"))


def saved_views(*, user: User) -> list[SavedQueueView]:
    return list(SavedQueueView.objects.filter(user=user))


def reviewers() -> QuerySet[User]:
    """Everyone a supervisor may assign a review to, by name."""
    return User.objects.filter(reviewer_filter()).order_by("first_name", "last_name", "username")


def plans_open(*, today: date) -> dict[str, Any]:
    """Required actions of decisions in force not yet accepted: answered (waiting for a reviewer), overdue
    (due before today, not answered) and due (the rest), each a queryset by due date."""
    actions = (CorrectiveAction.objects.filter(submission__status=SubmissionStatus.DECIDED)
               .exclude(status=ActionStatus.ACCEPTED).select_related("submission__district", "submission__cycle"))
    waiting = actions.exclude(status=ActionStatus.SUBMITTED)
    return {
        "answered": actions.filter(status=ActionStatus.SUBMITTED).order_by("answered_at", "pk"),
        "overdue": waiting.filter(due_on__lt=today).order_by("due_on", "pk"),
        "due": waiting.filter(due_on__gte=today).order_by("due_on", "pk"),
    }


# --- The review page ---------------------------------------------------------------------------


def district_context(*, submission: Submission) -> dict[str, Any]:
    """Who the district is: region, NCES id, size (from the evaluation) and its earlier cycles' outcomes."""
    district = submission.district
    evaluation = submission.latest_evaluation
    measures = (evaluation.measures or {}).get("district") or {} if evaluation is not None else {}
    earlier = (Decision.objects.filter(submission__district=district)
               .exclude(submission__cycle=submission.cycle)
               .select_related("submission__cycle").order_by("-submission__cycle__school_year"))
    return {
        "district": district,
        "schools": measures.get("schools"),
        "enrollment": measures.get("enrollment_total"),
        "earlier_decisions": list(earlier[:10]),
    }


def review_due_of(submission: Submission) -> datetime | None:
    certification = getattr(submission, "certification", None)
    if certification is None:
        return None
    return certification.certified_at + timedelta(days=submission.cycle.review_days)


def _finding_key(finding: Finding) -> tuple[str, str]:
    return finding.rule, finding.school_id or finding.band or "district"


def required_action_rows(*, returned: Submission | None, current: Submission | None = None) -> list[dict[str, Any]]:
    """The required actions of a return; against ``current`` (the next version) each action about a finding
    says whether that finding is still found (matched by rule and school, as the version comparison does)."""
    if returned is None:
        return []
    actions = list(returned.required_actions.select_related("finding"))
    keys: set[tuple[str, str]] | None = None
    if current is not None and any(a.finding_id for a in actions):
        evaluation = (current.evaluations.filter(outcome=EvaluationOutcome.ACCEPTED)
                      .order_by("-started_at", "-pk").first())
        if evaluation is not None:
            keys = {_finding_key(f) for f in evaluation.findings.exclude(severity="info").only("rule", "school_id",
                                                                                                 "band")}
    rows = []
    for action in actions:
        state = ""
        if keys is not None and action.finding is not None:
            found = _finding_key(action.finding) in keys
            state = "still found in this version" if found else "no longer found in this version"
        rows.append({"action": action, "state": state})
    return rows


def review_detail_context(*, submission: Submission, user: User) -> dict:
    """The submission page's review parts: district context, assignment, rule-by-rule confirmation, the
    required actions of a return, the decision's plan and a proposal awaiting sign-off."""
    # Here, not at the top: the services import this module. The portal's one "version it replaced".
    from .services.portal import replaced_version

    proposal = submission.proposals.select_related("proposed_by", "answered_by").order_by("-proposed_at", "-pk").first()
    staff = sees_every_district(user)
    previous = replaced_version(submission)
    context: dict[str, Any] = {
        "can_sign_off": can_sign_off(user, submission),
        "can_withdraw": can_withdraw(user, submission),
        # A district never sees a proposal: noncompliance is not in force until signed off.
        "proposal": proposal if staff else None,
        "corrective_actions": list(submission.corrective_actions.select_related("finding")),
        "required_actions": required_action_rows(returned=submission),
        "previous_required_actions": required_action_rows(returned=previous, current=submission),
        "review_due": review_due_of(submission),
        "now": timezone.now(),
        "today": timezone.localdate(),
    }
    if staff:
        context["district_context"] = district_context(submission=submission)
        context["can_assign"] = can_assign(user, submission)
        if context["can_assign"]:
            context["reviewers"] = list(reviewers())
        context["open_by_rule"] = open_findings_by_rule(submission=submission)
    return context


def open_findings_by_rule(*, submission: Submission) -> dict[str, int]:
    """rule -> findings and warnings of the newest evaluation not yet confirmed or dismissed (one query)."""
    rows = (Finding.objects.filter(evaluation__submission=submission, review_status=ReviewStatus.OPEN)
            .exclude(severity="info").filter(evaluation=Subquery(
                Evaluation.objects.filter(submission=submission).order_by("-started_at", "-pk").values("pk")[:1]))
            .values("rule").annotate(n=Count("pk")).order_by())
    return {row["rule"]: row["n"] for row in rows}


def finding_references(*, submission: Submission) -> dict[str, Any]:
    """How a line of a return or a plan may name a finding: ``RULE KEY`` (``INT-01 0311``, ``INT-05 district``)
    -> the finding and its words, and each rule's findings (a rule alone names its only finding)."""
    evaluation = submission.latest_evaluation
    if evaluation is None:
        return {"by_key": {}, "by_rule": {}}
    names = school_names(evaluation=evaluation)
    by_key: dict[str, tuple[Finding, str]] = {}
    by_rule: dict[str, list[tuple[Finding, str]]] = {}
    for finding in evaluation.findings.order_by("pk"):
        key = finding.school_id or finding.band or "district"
        where = f"{names[finding.school_id]} ({finding.school_id})" if finding.school_id in names else key
        entry = (finding, f"{finding.rule}, {where}")
        by_key[f"{finding.rule} {key}".upper()] = entry
        by_rule.setdefault(finding.rule.upper(), []).append(entry)
    return {"by_key": by_key, "by_rule": by_rule}
