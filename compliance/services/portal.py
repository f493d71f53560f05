"""What the district portal shows beside a submission: its certification, attestation and messages sent."""
from __future__ import annotations

from typing import Any

from compliance import notifications, permissions
from compliance.models import Submission

from .submissions import attestation_text


def portal_detail_context(*, submission: Submission, user) -> dict[str, Any]:
    """Context for the district parts of the submission page (read-only)."""
    context: dict[str, Any] = {
        "attestation": attestation_text(submission.cycle),
        "certification": getattr(submission, "certification", None),
    }
    # The district's own messages: its people and state staff see them, as they see the page.
    if permissions.can_view_submission(user, submission):
        context["notifications"] = list(notifications.notifications_for(submission=submission)[:50])
    return context
