"""The statewide export of a reporting cycle, for state staff."""
from __future__ import annotations

from typing import Literal

from django.http import Http404
from ninja import Query, Router, Schema

from compliance import permissions
from compliance.models import ReportingCycle
from compliance.reports.cycle_export import cycle_export

from .common import ERRORS, file_response

router = Router(tags=["exports"])


class ExportQuery(Schema):
    variant: Literal["state", "public"] = "state"
    format: Literal["csv", "xlsx"] = "csv"


@router.get("/cycles/{cycle_id}/export", response={200: bytes, **ERRORS})
def cycle_export_download(request, cycle_id: int, query: Query[ExportQuery]):
    """One row per district and one per finding. ``state``: exact numbers; ``public``: suppressed as the PDF."""
    # Statewide data: state staff only; anyone else is told it does not exist, as for other ids.
    if not permissions.sees_every_district(request.user):
        raise Http404("Not found.")
    cycle = ReportingCycle.objects.filter(pk=cycle_id).first()
    if cycle is None:
        raise Http404("No such cycle.")
    return file_response(*cycle_export(cycle, query.variant, query.format))
