"""Every read that depends on who is asking. Views never filter submissions themselves.

The querysets filter by the role facts of ``compliance.permissions`` (who sees every district,
who works for districts), so a list and a button never disagree about one submission.
"""
from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from compliance.rules.recommendations import LibraryEntry as Entry
from districts.models import District, User

from .models import (
    EquityAssistanceRegion,
    Evaluation,
    EvaluationOutcome,
    Finding,
    RecommendationEntry,
    Report,
    ReportingCycle,
    Submission,
)
from .permissions import sees_every_district, works_for_districts


def districts_visible_to(*, user: User) -> QuerySet[District]:
    if sees_every_district(user):
        return District.objects.all()
    if works_for_districts(user):
        return user.districts.all()
    return District.objects.none()


def submissions_visible_to(*, user: User) -> QuerySet[Submission]:
    qs = Submission.objects.select_related("district", "cycle", "uploaded_by", "reviewer")
    if sees_every_district(user):
        return qs
    if works_for_districts(user):
        return qs.filter(district__in=user.districts.all())
    return qs.none()


def recommendation_library_current() -> tuple[Any, ...] | None:
    """The newest active version of each entry, as the rules' plain dataclasses."""
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


def reporting_cycle_current() -> ReportingCycle | None:
    """The cycle open today. Not permission-dependent: every user may know its dates."""
    today = timezone.localdate()
    return ReportingCycle.objects.filter(opens_on__lte=today, closes_on__gte=today).order_by("-school_year").first()


def reporting_cycle_latest() -> ReportingCycle | None:
    return ReportingCycle.objects.order_by("-school_year").first()


def evaluation_counts_prefetch() -> Prefetch:
    """Prefetch for submissions: ``evaluations_with_counts``, newest first, with n_errors,
    n_warnings and n_findings annotated."""
    # distinct=True: two Counts over different joins would otherwise multiply each other.
    return Prefetch(
        "evaluations",
        queryset=Evaluation.objects.annotate(
            n_errors=Count("problems", filter=Q(problems__severity="error"), distinct=True),
            n_warnings=Count("problems", filter=Q(problems__severity="warning"), distinct=True),
            n_findings=Count("findings", filter=Q(findings__severity="finding"), distinct=True),
        ).order_by("-started_at", "-pk"),
        to_attr="evaluations_with_counts",
    )


def report_newest(*, submission: Submission, kind: str) -> Report | None:
    return submission.reports.filter(kind=kind).order_by("-created_at", "-pk").first()


def reports_newest_by_kind(*, submission: Submission) -> list[Report]:
    """The newest report of each kind the submission has."""
    newest: dict[str, Report] = {}
    for report in submission.reports.order_by("-created_at", "-pk"):
        newest.setdefault(report.kind, report)
    return list(newest.values())


def finding_visible_to(*, user: User, pk: int) -> Finding | None:
    """The finding if ``user`` may see its submission, else None (the view answers 404)."""
    return (
        Finding.objects.select_related("evaluation__submission", "reviewed_by")
        .filter(pk=pk, evaluation__submission__in=submissions_visible_to(user=user))
        .first()
    )


def findings_of(*, evaluation: Evaluation) -> QuerySet[Finding]:
    return evaluation.findings.select_related("reviewed_by").order_by("pk")


def school_names(*, evaluation: Evaluation) -> dict[str, str]:
    """school_id -> name: the names the evaluated workbook gave, else the district's school list."""
    names = {s.school_id: s.name for s in evaluation.submission.district.schools.all()}
    rows = (evaluation.measures or {}).get("schools")
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and row.get("school_id") and row.get("school_name"):
            names[str(row["school_id"])] = str(row["school_name"])
    return names


def return_note(*, submission: Submission) -> str:
    returned = submission.audit_events.filter(action="returned").order_by("-created_at", "-pk").first()
    return returned.note if returned else ""


def evaluation_accepted_latest(*, submission: Submission):
    """The newest evaluation of a submission that got past the data checks, or None."""
    return submission.evaluations.filter(outcome=EvaluationOutcome.ACCEPTED).order_by("-started_at", "-pk").first()
