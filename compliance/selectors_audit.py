"""Reads of the audit trail for administrators: the search, in a constant number of queries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from districts.models import District

from .models import AuditEvent


@dataclass(frozen=True)
class AuditQuery:
    """What an administrator searches by; every part is optional."""

    actor: str = ""  # part of the name or username the event kept
    action: str = ""
    district: District | None = None
    submission_id: int | None = None
    start: date | None = None  # inclusive, in the site's time zone
    end: date | None = None  # inclusive
    text: str = ""  # part of what was acted on or of the note


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_events_search(query: AuditQuery) -> QuerySet[AuditEvent]:
    """The matching events, newest first, with what each row prints joined in (no query per row)."""
    events = AuditEvent.objects.select_related("submission__district", "submission__cycle", "district")
    if query.actor:
        events = events.filter(actor_name__icontains=query.actor)
    if query.action:
        events = events.filter(action=query.action)
    if query.district is not None:
        events = events.filter(district=query.district)
    if query.submission_id is not None:
        events = events.filter(submission_id=query.submission_id)
    if query.start is not None:
        events = events.filter(created_at__gte=_midnight(query.start))
    if query.end is not None:
        events = events.filter(created_at__lt=_midnight(query.end + timedelta(days=1)))
    if query.text:
        events = events.filter(Q(subject__icontains=query.text) | Q(note__icontains=query.text))
    return events.order_by("-created_at", "-pk")


def audit_actions() -> list[str]:
    """Every action the trail holds, for the search's list (one query)."""
    return sorted(AuditEvent.objects.order_by().values_list("action", flat=True).distinct())
