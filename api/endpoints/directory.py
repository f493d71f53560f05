"""Reporting cycles and the districts the user may see."""
from __future__ import annotations

from ninja import Router
from ninja.pagination import paginate

from api.schemas import CycleOut, DistrictOut
from compliance import selectors
from compliance.models import ReportingCycle
from compliance.services.submissions import attestation_text

from .common import ERRORS, Pagination

router = Router(tags=["directory"])


def cycle_out(cycle: ReportingCycle) -> dict:
    return {"id": cycle.pk, "school_year": cycle.school_year, "opens_on": cycle.opens_on, "due_on": cycle.due_on,
            "closes_on": cycle.closes_on, "is_open": cycle.is_open, "rule_set": cycle.rule_set.label,
            "attestation": attestation_text(cycle)}


@router.get("/cycles", response={200: list[CycleOut], **ERRORS})
@paginate(Pagination)
def cycle_list(request):
    """Every reporting cycle, newest first (their dates are public to every user)."""
    return [cycle_out(c) for c in ReportingCycle.objects.select_related("rule_set").order_by("-school_year")]


@router.get("/districts", response={200: list[DistrictOut], **ERRORS})
@paginate(Pagination)
def district_list(request):
    """The districts you may see: your own, or every district for state staff."""
    return selectors.districts_visible_to(user=request.user).order_by("name", "pk").values(
        "id", "state_id", "nces_id", "name")
