"""Every read that depends on who is asking. Views never filter submissions themselves.

The querysets filter by the role facts of ``compliance.permissions`` (who sees every district,
who works for districts), so a list and a button never disagree about one submission.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from compliance.rules.counts import SeverityCounts, severity_counts
from compliance.rules.recommendations import LibraryEntry as Entry
from districts.models import District, User

from .models import (
    EquityAssistanceRegion,
    Evaluation,
    EvaluationOutcome,
    Finding,
    Problem,
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


# Errors, warnings, findings and notes: one count for the pages, the e-mails and the PDF (issue 11).
CHECKED = (EvaluationOutcome.ACCEPTED, EvaluationOutcome.REJECTED)  # an evaluation that counted something


def evaluation_counts(*, evaluation_ids: Iterable[int]) -> dict[int, SeverityCounts]:
    """Each evaluation's counts, from two grouped queries however many evaluations are asked."""
    ids = list(evaluation_ids)
    problems = _by_severity(Problem.objects.filter(evaluation_id__in=ids))
    findings = _by_severity(Finding.objects.filter(evaluation_id__in=ids))
    return {pk: severity_counts(problems[pk], findings[pk]) for pk in ids}


def _by_severity(rows: QuerySet) -> dict[int, Counter]:
    counted: dict[int, Counter] = defaultdict(Counter)
    # order_by(): the models' default ordering would split the groups.
    for evaluation_id, severity, n in (rows.order_by().values("evaluation_id", "severity").annotate(n=Count("pk"))
                                       .values_list("evaluation_id", "severity", "n")):
        counted[evaluation_id][severity] = n
    return counted


def submission_counts(*, submissions: list[Submission]) -> None:
    """Set ``counts`` on each submission: its newest checked evaluation's, or None before one exists."""
    newest: dict[int, int] = {}
    rows = (Evaluation.objects.filter(submission__in=submissions, outcome__in=CHECKED)
            .order_by("submission_id", "-started_at", "-pk").values_list("submission_id", "pk"))
    for submission_id, evaluation_id in rows:
        newest.setdefault(submission_id, evaluation_id)
    counts = evaluation_counts(evaluation_ids=newest.values())
    for submission in submissions:
        checked = newest.get(submission.pk)
        submission.counts = None if checked is None else counts[checked]


def submission_counts_one(*, submission: Submission) -> SeverityCounts | None:
    submission_counts(submissions=[submission])
    return submission.counts


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
