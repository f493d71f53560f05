"""Every read that depends on who is asking. Views never filter submissions themselves."""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from districts.models import District, User

from .models import EquityAssistanceRegion, RecommendationEntry, Submission
from .models import SubmissionStatus as S


def districts_visible_to(*, user: User) -> QuerySet[District]:
    if user.is_state_staff or user.is_superuser:
        return District.objects.all()
    if user.is_district_user:
        return user.districts.all()
    return District.objects.none()


def submissions_visible_to(*, user: User) -> QuerySet[Submission]:
    qs = Submission.objects.select_related("district", "cycle", "uploaded_by", "reviewer")
    if user.is_state_staff or user.is_superuser:
        return qs
    if user.is_district_user:
        return qs.filter(district__in=user.districts.all())
    return qs.none()


def submission_visible_to(*, user: User, submission: Submission) -> bool:
    return submissions_visible_to(user=user).filter(pk=submission.pk).exists()


def review_queue(*, user: User) -> QuerySet[Submission]:
    """Certified submissions waiting for a reviewer, oldest first (first come, first served)."""
    return submissions_visible_to(user=user).filter(status=S.CERTIFIED).order_by("status_changed_at", "pk")


def my_reviews(*, user: User) -> QuerySet[Submission]:
    return submissions_visible_to(user=user).filter(status=S.IN_REVIEW, reviewer=user).order_by("status_changed_at")


def recommendation_library_current() -> tuple[Any, ...] | None:
    """The newest active version of each entry, as the rules' plain dataclasses."""
    from compliance.rules.recommendations import RecommendationEntry as Entry

    latest: dict[str, RecommendationEntry] = {}
    for row in RecommendationEntry.objects.order_by("key", "-version"):
        latest.setdefault(row.key, row)
    entries = tuple(
        Entry(
            key=row.key,
            title=row.title,
            body=row.body,
            rule_codes=tuple(row.rule_codes),
            conditions=dict(row.conditions),
            sources=tuple(row.sources),
            version=row.version,
        )
        for row in latest.values()
        if row.active
    )
    return entries or None


def eac_regions_current() -> dict[str, dict[str, str]] | None:
    rows = {
        r.state: {"region": r.region, "center": r.center, "operator": r.operator}
        for r in EquityAssistanceRegion.objects.all()
    }
    return rows or None
