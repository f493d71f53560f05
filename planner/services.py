"""Every write of the planner: plans are made, changed and shared here only (keyword-only)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from compliance import permissions
from compliance.rules.planner import PlanError, lever_from_json, lever_to_json

from .models import Plan


def _clean_levers(levers: Sequence[Any]) -> list[dict[str, Any]]:
    """Levers as stored JSON; each must read back as a lever (the effect itself is checked on the page)."""
    out = []
    for lever in levers:
        data = lever if isinstance(lever, dict) else lever_to_json(lever)
        try:
            lever_from_json(data)
        except PlanError as exc:
            raise ValidationError(str(exc)) from exc
        out.append(data)
    return out


def plan_create(*, user, district, base_submission, name: str, levers: Sequence[Any] = ()) -> Plan:
    if not permissions.can_plan_for(user, district):
        raise PermissionDenied("Only the district's users may make plans for it.")
    if base_submission.district_id != district.pk:
        raise ValidationError("The plan must start from one of the district's submissions.")
    name = (name or "").strip()
    if not name:
        raise ValidationError("Give the plan a name.")
    return Plan.objects.create(district=district, base_submission=base_submission, name=name[:120],
                               levers=_clean_levers(levers), created_by=user)


def plan_update(*, user, plan: Plan, name: str | None = None, levers: Sequence[Any] | None = None) -> Plan:
    if not permissions.can_edit_plan(user, plan):
        raise PermissionDenied("You may not change this plan.")
    if name is not None:
        if not name.strip():
            raise ValidationError("Give the plan a name.")
        plan.name = name.strip()[:120]
    if levers is not None:
        plan.levers = _clean_levers(levers)
    plan.updated_at = timezone.now()
    plan.save(update_fields=["name", "levers", "updated_at"])
    return plan


def plan_share(*, user, plan: Plan, shared: bool = True) -> Plan:
    if not permissions.can_share_plan(user, plan):
        raise PermissionDenied("Only the plan's author may share it.")
    plan.shared = shared
    plan.updated_at = timezone.now()
    plan.save(update_fields=["shared", "updated_at"])
    return plan
