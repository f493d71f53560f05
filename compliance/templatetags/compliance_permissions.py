"""Template filters that ask ``compliance.permissions``, so a template never restates a role check."""
from __future__ import annotations

from django import template

from compliance import permissions
from compliance.selectors_review import status_shown_to

register = template.Library()


@register.filter
def claimable_by(submission, user) -> bool:
    """``{% if sub|claimable_by:user %}``: the Claim button, exactly when the claim service allows it."""
    return permissions.can_claim(user, submission)


@register.filter
def status_for(submission, user):
    """``{% with shown=sub|status_for:user %}{{ shown }} {{ shown.label }}``: the status as this user is told it
    (a district reads a proposed noncompliance as "In state review")."""
    return status_shown_to(user, status=submission.status)
