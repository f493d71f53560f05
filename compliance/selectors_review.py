"""Review reads that depend on who is asking: which comments an audience may see."""
from __future__ import annotations

from django.db.models import QuerySet

from districts.models import User

from .models import DOWNLOADED, AuditEvent, Comment, CommentVisibility, Submission
from .permissions import can_sign_off, sees_every_district

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


# The audit action of an internal comment: its event stays off every district page.
INTERNAL_COMMENT_ACTION = "commented_internal"
# Events whose notes stay with the state: internal notes, and a noncompliance not yet in force.
STATE_ONLY_ACTIONS = (INTERNAL_COMMENT_ACTION, "decision_proposed", "decision_sent_back")


def audit_events_visible_to(user_or_audience: User | str, *, submission: Submission) -> QuerySet[AuditEvent]:
    # Who downloaded which file is for the administrators' audit search, not the submission's history.
    events = submission.audit_events.exclude(action=DOWNLOADED).select_related("actor")
    if _audience(user_or_audience) == DISTRICT:
        events = events.exclude(action__in=STATE_ONLY_ACTIONS)
    return events


def review_detail_context(*, submission: Submission, user: User) -> dict:
    """The submission page's decision parts: the plan, a proposal awaiting sign-off, and who may sign it."""
    proposal = submission.proposals.select_related("proposed_by", "answered_by").order_by("-proposed_at", "-pk").first()
    staff = sees_every_district(user)
    return {
        "can_sign_off": can_sign_off(user, submission),
        # A district never sees a proposal: noncompliance is not in force until signed off.
        "proposal": proposal if staff else None,
        "corrective_actions": list(submission.corrective_actions.select_related("finding")),
    }
