"""Template filters of the review pages: due dates in words, severity ranks, a dict's value by key."""
from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

from compliance.selectors_review import SEVERITY_RANK

register = template.Library()

RANK_LABELS = {SEVERITY_RANK["finding"]: "Findings", SEVERITY_RANK["warning"]: "Warnings",
               SEVERITY_RANK["info"]: "Notes only", 0: "Nothing found"}


@register.filter
def due_phrase(due: datetime | None, now: datetime | None = None) -> str:
    """``due in 3 days``, ``due today``, ``4 days overdue``: whole calendar days in the site's time zone."""
    if due is None:
        return "no due date"
    days = (timezone.localdate(due) - timezone.localdate(now or timezone.now())).days
    if days > 1:
        return f"due in {days} days"
    if days == 1:
        return "due tomorrow"
    if days == 0:
        return "overdue since earlier today" if now and due < now else "due today"
    return f"{-days} day{'s' if days != -1 else ''} overdue"


@register.filter
def severity_rank(rank: int | None) -> str:
    return RANK_LABELS.get(rank or 0, "Nothing found")


@register.filter
def get_item(mapping: dict | None, key):
    return (mapping or {}).get(key)
