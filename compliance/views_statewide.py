"""The statewide page of a cycle and its exports, for state staff (issue 14 parts 1 and 2).

Thin: the reads are ``compliance.selectors_statewide``, the exports
``compliance.services.cycle_export``, the charts ``compliance.reports.statewide_charts``.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from . import permissions, selectors
from . import selectors_statewide as statewide
from .http import AuthedRequest
from .models import ReportingCycle
from .reports import formatting as fmt
from .reports.cycle_export import FORMATS, TABLES, VARIANTS
from .reports.statewide_charts import distribution
from .services.downloads import cycle_export_download
from .views import login_required

PER_PAGE = 50
OVERDUE = (("overdue_certification", "Not certified after the due date"),
           ("overdue_review", "Reviews past their review due date"),
           ("overdue_plans", "Corrective action plans past due"))
# Each overdue list -> its group in ``selectors_statewide.overdue``.
OVERDUE_GROUP = {"overdue_certification": "not_certified", "overdue_review": "review", "overdue_plans": "plans"}
LISTS = dict((*statewide.STAGES, *OVERDUE))


class StatewideFilter(forms.Form):
    """The page's plain GET form: which cycle, which region, which list of districts."""

    cycle = forms.ModelChoiceField(queryset=ReportingCycle.objects.all(), required=False, empty_label=None,
                                   label="Reporting cycle")
    region = forms.ChoiceField(required=False, label="Region")
    show = forms.ChoiceField(required=False, label="Districts listed",
                             choices=[("", "All districts"), *LISTS.items()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ChoiceField)
        region.choices = [("", "All regions"), *((r, r) for r in statewide.regions())]


def _chosen(request: HttpRequest) -> tuple[StatewideFilter, ReportingCycle | None, str, str]:
    """The form, bound so that its cycle select shows the cycle the page shows (by default the open one)."""
    default = selectors.reporting_cycle_current() or selectors.reporting_cycle_latest()
    query = request.GET.copy()
    if default is not None and not query.get("cycle"):
        query["cycle"] = str(default.pk)
    form = StatewideFilter(query)
    data = form.cleaned_data if form.is_valid() else {}
    return form, data.get("cycle") or default, data.get("region") or "", data.get("show") or ""


def _distributions(standings: list[statewide.DistrictStanding]) -> list[Any]:
    def values(key: str) -> list[Any]:
        return [s.measures.get(key) for s in standings if s.evaluation_id]

    two = lambda v: f"{v:.2f}"  # noqa: E731
    return [
        distribution("multigroup_d", "Multigroup dissimilarity (D)", values("multigroup_d"), two, hi=1.0),
        distribution("ed_d", "ED dissimilarity (D)", values("ed_d"), two, hi=1.0),
        distribution("flagged", "Share of schools flagged by INT-01, INT-02 or INT-03",
                     [s.flagged_share for s in standings if s.evaluation_id], fmt.pct, hi=1.0),
        distribution("progressivity", "Progressivity ratio", values("progressivity"), two, lo=None),
        distribution("comparability", "Comparability failures (RES-01 and RES-02 findings)",
                     [s.comparability_failures for s in standings if s.evaluation_id], str, whole=True),
    ]


def _listed(standings, overdue, show: str) -> list[statewide.DistrictStanding]:
    if show in OVERDUE_GROUP:
        return overdue[OVERDUE_GROUP[show]]
    return [s for s in standings if s.stage == show] if show else standings


def _link(cycle: ReportingCycle, region: str, show: str) -> str:
    query = {"cycle": cycle.pk, "show": show, **({"region": region} if region else {})}
    return "?" + urlencode(query) + "#listed"


@login_required
@require_GET
def statewide_view(request: HttpRequest) -> HttpResponse:
    if not permissions.can_view_statewide(request.user):
        raise PermissionDenied("Only state staff may see the statewide view.")
    form, cycle, region, show = _chosen(request)
    context: dict[str, Any] = {"form": form, "cycle": cycle, "region": region}
    if cycle is not None:
        standings = statewide.cycle_standings(cycle=cycle, region=region or None)
        overdue = statewide.overdue(standings, cycle)
        page = Paginator(_listed(standings, overdue, show), PER_PAGE).get_page(request.GET.get("page"))
        context.update(
            total=len(standings),
            counts=[(label, n, _link(cycle, region, key)) for key, label, n in statewide.stage_counts(standings)],
            overdue=[(label, len(overdue[OVERDUE_GROUP[key]]), _link(cycle, region, key)) for key, label in OVERDUE],
            plans_listed=show == "overdue_plans",
            past_due=cycle.due_on,
            listed_title=LISTS.get(show, "All districts"), page=page,
            page_query=urlencode({k: v for k, v in request.GET.items() if k != "page"}),
            distributions=_distributions(standings),
            exports=[(variant, fmt_, table) for variant in VARIANTS
                     for fmt_, table in (("csv", "districts"), ("csv", "findings"), ("xlsx", ""))
                     if permissions.can_export(request.user, variant)],
        )
    return render(request, "compliance/statewide.html", context)


@login_required
@require_GET
def statewide_export(request: AuthedRequest, pk: int, variant: str, fmt_: str) -> HttpResponse:
    """A cycle export as a download; ``?table=`` picks the CSV's table (else a ZIP of both)."""
    if not permissions.can_export(request.user, variant):
        raise PermissionDenied("Only state staff may download statewide exports.")
    cycle = ReportingCycle.objects.filter(pk=pk).first()
    table = request.GET.get("table") or None
    if cycle is None or fmt_ not in FORMATS or (table is not None and table not in TABLES):
        raise Http404("No such export.")
    body, content_type, name = cycle_export_download(cycle=cycle, variant=variant, fmt=fmt_, table=table,
                                                     user=request.user)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns = [
    path("statewide/", statewide_view, name="statewide"),
    path("statewide/<int:pk>/export/<str:variant>.<str:fmt_>", statewide_export, name="statewide_export"),
]
