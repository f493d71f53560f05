"""Template filters that ask ``compliance.permissions``, so a template never restates a role check."""
from __future__ import annotations

from django import template

from compliance import permissions

register = template.Library()


@register.filter
def claimable_by(submission, user) -> bool:
    """``{% if sub|claimable_by:user %}``: the Claim button, exactly when the claim service allows it."""
    return permissions.can_claim(user, submission)
