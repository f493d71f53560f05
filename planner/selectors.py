"""Permission-aware reads of the planner: plans a user may see, and the submission a plan starts from."""
from __future__ import annotations

from django.core.cache import cache
from django.db.models import Q, QuerySet

from compliance import permissions
from compliance.models import EvaluationOutcome, Submission
from compliance.rules.model import SchoolRow
from compliance.rules.ruleset import default_params
from compliance.workbook.reader import read_workbook
from districts.models import District

from .models import Plan


def plans_visible_to(*, user, district: District) -> QuerySet[Plan]:
    """The district's plans the user may open: their own, and the shared ones."""
    if not permissions.can_view_planner(user, district):
        return Plan.objects.none()
    return Plan.objects.filter(district=district).filter(Q(created_by=user) | Q(shared=True)).select_related(
        "created_by")


def plan_visible_to(*, user, pk: int) -> Plan | None:
    plan = Plan.objects.select_related("district", "base_submission", "created_by").filter(pk=pk).first()
    return plan if plan is not None and permissions.can_view_plan(user, plan) else None


def submission_plannable_latest(*, district: District) -> Submission | None:
    """The district's newest submission with an accepted evaluation: the planner starts from its Schools."""
    return (Submission.objects.filter(district=district, evaluations__outcome=EvaluationOutcome.ACCEPTED)
            .select_related("cycle__rule_set").order_by("-cycle__school_year", "-version").first())


def submission_schools(*, submission: Submission) -> list[SchoolRow]:
    """The Schools rows of the stored workbook, read once per file (the sha256 names it) and cached."""
    key = f"planner-schools-{submission.sha256}"
    rows = cache.get(key)
    if rows is None:
        with submission.file.open("rb") as fh:
            rows = read_workbook(fh.read(), filename=submission.original_filename).schools
        cache.set(key, rows, 3600)
    return rows


def rule_params(*, submission: Submission) -> dict:
    rule_set = submission.cycle.rule_set
    return rule_set.params if rule_set is not None else default_params()
