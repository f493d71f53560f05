"""The statewide export of a reporting cycle, for state staff (``compliance.services.cycle_export``)."""
from typing import Literal

from django.http import Http404
from ninja import Query, Router, Schema

from compliance import permissions
from compliance.models import ReportingCycle
from compliance.reports.cycle_export import XLSX_TYPE
from compliance.services import downloads

from .common import ERRORS, Id, binary_file, file_response

router = Router(tags=["exports"])


class ExportQuery(Schema):
    variant: Literal["state", "public"] = "state"
    format: Literal["csv", "xlsx"] = "csv"
    # CSV holds one table: name it, or get both CSVs in a zip. XLSX has both as sheets.
    table: Literal["districts", "findings"] | None = None


@router.get("/cycles/{cycle_id}/export", response=ERRORS, openapi_extra=binary_file(
    "CSV of one table, a zip of both CSVs, or XLSX with both sheets.", "text/csv", "application/zip", XLSX_TYPE))
def cycle_export_download(request, cycle_id: Id, query: Query[ExportQuery]):
    """One row per district and one per finding. ``state``: exact numbers; ``public``: suppressed as the PDF."""
    # Statewide data: anyone the permission refuses is told it does not exist, as for other ids.
    if not permissions.can_export(request.user, query.variant):
        raise Http404("Not found.")
    cycle = ReportingCycle.objects.filter(pk=cycle_id).first()
    if cycle is None:
        raise Http404("No such cycle.")
    return file_response(*downloads.cycle_export_download(cycle=cycle, variant=query.variant, fmt=query.format,
                                                          table=query.table, user=request.user, via="api"))
