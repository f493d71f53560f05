"""Statewide reads for state staff: every district's standing in a cycle, in a constant number of queries.

A district's standing is its newest submission of the cycle (none: not started), that
submission's newest accepted evaluation (the key measures read out of its JSON in SQL, so a
320-school district's school list is never loaded) and the counts of its findings by rule.
The statewide page and the cycle exports both read from :func:`cycle_standings`.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, F, Max, OuterRef, QuerySet, Subquery
from django.utils import timezone

from districts.models import District, School

from .models import AuditEvent, Evaluation, EvaluationOutcome, Finding, ReportingCycle, ReviewStatus, Submission
from .models_review import ActionStatus, CorrectiveAction
from .states import LOCKED, UNDER_REVIEW, SubmissionStatus

S = SubmissionStatus

# The statewide stages, in the order a submission passes them; the page counts each.
STAGES: tuple[tuple[str, str], ...] = (
    ("not_started", "Not started"),
    ("uploaded", "Uploaded, being checked or check failed"),
    ("rejected", "Rejected"),
    ("evaluated", "Evaluated, not certified"),
    ("certified", "Certified, waiting for review"),
    ("in_review", "In review"),
    ("returned", "Returned for revision"),
    ("decided", "Decided"),
)
STAGE_LABELS = dict(STAGES)
# Being checked counts as uploaded, and so does a failed check (the system's error, not the
# district's); a superseded version is never a district's newest.
_STAGE_OF_STATUS: dict[str, str] = {
    **{str(s): "uploaded" for s in S},
    S.REJECTED: "rejected", S.EVALUATED: "evaluated", S.CERTIFIED: "certified",
    S.IN_REVIEW: "in_review", S.RETURNED: "returned", S.DECIDED: "decided",
    # A proposed noncompliance is still with the state's review until a supervisor signs it off.
    S.AWAITING_SIGN_OFF: "in_review",
}
# The review clock runs while the submission waits in the queue, is held by a reviewer or waits for sign-off.
AWAITING_REVIEW = UNDER_REVIEW
# Findings of these rules flag a school ("share of schools flagged INT-01/02/03").
SCHOOL_FLAG_RULES = ("INT-01", "INT-02", "INT-03")
# Findings of these rules are comparability failures (one per failing Title I school).
COMPARABILITY_RULES = ("RES-01", "RES-02")
# Key measures: name -> JSON path in Evaluation.measures.
MEASURE_PATHS: dict[str, str] = {
    "multigroup_d": "measures__district__dissimilarity__multigroup",
    "ed_d": "measures__district__dissimilarity__ed_not_ed",
    "progressivity": "measures__district__resources__progressivity",
    "schools": "measures__district__schools",
}


@dataclass
class DistrictStanding:
    """One district in one cycle: where its newest submission stands and what its evaluation found."""

    district: District
    submission: Submission | None = None
    evaluation_id: int | None = None
    measures: dict[str, Any] = field(default_factory=dict)
    findings_by_rule: Counter[str] = field(default_factory=Counter)
    flagged_schools: int = 0
    certified_at: datetime | None = None
    # Filled by :func:`overdue`: the required actions of its decision not accepted by their due date.
    past_due_actions: list[CorrectiveAction] = field(default_factory=list)

    @property
    def stage(self) -> str:
        return "not_started" if self.submission is None else _STAGE_OF_STATUS[self.submission.status]

    @property
    def stage_label(self) -> str:
        return STAGE_LABELS[self.stage]

    @property
    def flagged_share(self) -> float | None:
        schools = self.measures.get("schools")
        return self.flagged_schools / schools if self.evaluation_id and schools else None

    @property
    def comparability_failures(self) -> int | None:
        if self.evaluation_id is None:
            return None
        return sum(self.findings_by_rule[r] for r in COMPARABILITY_RULES)

    @property
    def decision(self):
        return getattr(self.submission, "decision", None) if self.submission else None


def regions() -> list[str]:
    """The regions of the state's district directory, for the filter."""
    return list(District.objects.exclude(region="").order_by("region").values_list("region", flat=True).distinct())


def _districts(cycle: ReportingCycle, region: str | None) -> QuerySet[District]:
    """The directory's districts, each with ``newest_pk``: its highest version in the cycle."""
    newest = Submission.objects.filter(district=OuterRef("pk"), cycle=cycle).order_by("-version").values("pk")[:1]
    qs = District.objects.order_by("name", "pk").annotate(newest_pk=Subquery(newest))
    return qs.filter(region=region) if region else qs


def _attach_evaluations(standings: dict[int, DistrictStanding]) -> dict[int, DistrictStanding]:
    """Newest accepted evaluation of each submission -> its standing (one query)."""
    by_submission = {s.submission.pk: s for s in standings.values() if s.submission}
    rows = (Evaluation.objects.filter(submission_id__in=by_submission, outcome=EvaluationOutcome.ACCEPTED)
            .order_by("submission_id", "-started_at", "-pk")
            .values("pk", "submission_id", **{k: F(path) for k, path in MEASURE_PATHS.items()}))
    by_evaluation: dict[int, DistrictStanding] = {}
    for values in rows:
        row: dict[str, Any] = dict(values)
        standing = by_submission[row["submission_id"]]
        if standing.evaluation_id is None:  # newest first: the first row wins
            standing.evaluation_id = row["pk"]
            standing.measures = {k: row[k] for k in MEASURE_PATHS}
            by_evaluation[row["pk"]] = standing
    return by_evaluation


def _attach_findings(by_evaluation: dict[int, DistrictStanding]) -> None:
    """Counts of findings by rule, and the schools flagged by INT-01/02/03 (two queries). A finding the
    state dismissed on review counts in neither, as on the decision report's first page. The counts by
    rule are of results of severity "finding" only, as the report's "N findings, M warnings" reads: a
    rule's warnings and notes (INT-05's commendations among them) are not findings."""
    standing = Finding.objects.filter(evaluation_id__in=by_evaluation).exclude(review_status=ReviewStatus.DISMISSED)
    counts = standing.filter(severity="finding").values("evaluation_id", "rule").annotate(n=Count("pk")).order_by()
    for row in counts:
        by_evaluation[row["evaluation_id"]].findings_by_rule[row["rule"]] = row["n"]
    flagged = (standing.filter(rule__in=SCHOOL_FLAG_RULES, scope="school")
               .exclude(school_id="").values("evaluation_id")
               .annotate(n=Count("school_id", distinct=True)).order_by())
    for row in flagged:
        by_evaluation[row["evaluation_id"]].flagged_schools = row["n"]


def _attach_certified_at(standings: dict[int, DistrictStanding]) -> None:
    """When each submission was certified: the review clock starts there (one query)."""
    by_submission = {s.submission.pk: s for s in standings.values() if s.submission}
    rows = (AuditEvent.objects.filter(submission_id__in=by_submission, action="certified")
            .values("submission_id").annotate(at=Max("created_at")).order_by())
    for row in rows:
        by_submission[row["submission_id"]].certified_at = row["at"]


def cycle_standings(*, cycle: ReportingCycle, region: str | None = None) -> list[DistrictStanding]:
    """Every district of the directory (in ``region`` if given), by name, with its standing in ``cycle``.

    Six queries however many districts: districts, submissions, evaluations, two of findings,
    certification times. Callers must check :func:`compliance.permissions.can_view_statewide`.
    """
    rows = list(_districts(cycle, region))
    newest: dict[int, int | None] = {d.pk: d.newest_pk for d in rows}  # type: ignore[attr-defined]
    submissions = Submission.objects.select_related("decision", "reviewer").in_bulk(
        [pk for pk in newest.values() if pk])
    standings = {d.pk: DistrictStanding(district=d, submission=submissions.get(newest[d.pk] or 0)) for d in rows}
    _attach_findings(_attach_evaluations(standings))
    _attach_certified_at(standings)
    return list(standings.values())


def stage_counts(standings: list[DistrictStanding]) -> list[tuple[str, str, int]]:
    """(stage, label, districts) for every stage, zeros included, in the stages' order."""
    counts = Counter(s.stage for s in standings)
    return [(key, label, counts[key]) for key, label in STAGES]


def review_due(standing: DistrictStanding, cycle: ReportingCycle) -> datetime | None:
    if standing.certified_at is None:
        return None
    return standing.certified_at + timedelta(days=cycle.review_days)


def _attach_past_due_actions(standings: list[DistrictStanding], today: date) -> None:
    """Each decided submission's actions not accepted and due before ``today``, by due date (one query).

    A plan is in force only once the decision is (a proposal's plan may still be sent back), and a
    decided submission is locked, so it is always its district's newest: the standings' submissions suffice.
    """
    by_submission = {s.submission.pk: s for s in standings if s.submission and s.submission.status == S.DECIDED}
    rows = (CorrectiveAction.objects.filter(submission_id__in=by_submission, due_on__lt=today)
            .exclude(status=ActionStatus.ACCEPTED).order_by("due_on", "pk"))
    for action in rows:
        by_submission[action.submission_id].past_due_actions.append(action)


def overdue(standings: list[DistrictStanding], cycle: ReportingCycle,
            now: datetime | None = None) -> dict[str, list[DistrictStanding]]:
    """Districts not certified after the due date, reviews past their review due date, and districts
    with corrective actions past due (one query, for the actions)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    late_certifying = today > cycle.due_on
    _attach_past_due_actions(standings, today)
    groups: dict[str, list[DistrictStanding]] = defaultdict(list)
    for s in standings:
        status = s.submission.status if s.submission else None
        if late_certifying and status not in LOCKED:
            groups["not_certified"].append(s)
        due = review_due(s, cycle)
        if status in AWAITING_REVIEW and due is not None and due < now:
            groups["review"].append(s)
        if s.past_due_actions:
            groups["plans"].append(s)
    return {key: groups[key] for key in ("not_certified", "review", "plans")}


def cycle_findings(standings: list[DistrictStanding]) -> dict[int, list[Finding]]:
    """evaluation id -> its findings in order, for the standings' evaluations (one query)."""
    ids = [s.evaluation_id for s in standings if s.evaluation_id]
    out: dict[int, list[Finding]] = defaultdict(list)
    for finding in Finding.objects.filter(evaluation_id__in=ids).order_by("evaluation_id", "pk"):
        out[finding.evaluation_id].append(finding)
    return out


def school_directory_names(standings: list[DistrictStanding]) -> dict[int, dict[str, str]]:
    """district pk -> {school_id: name} from the state's directory (one query)."""
    out: dict[int, dict[str, str]] = defaultdict(dict)
    rows = School.objects.filter(district_id__in=[s.district.pk for s in standings])
    for district_id, school_id, name in rows.values_list("district_id", "school_id", "name"):
        out[district_id][school_id] = name
    return out
