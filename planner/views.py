"""The planner's pages: thin views over workspace.py, services.py and the pure planner (compliance.rules)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from compliance import permissions
from compliance.http import AuthedRequest
from compliance.reports.suppression import privacy_min_cell
from compliance.rules.model import BANDS, RACE_GROUPS
from compliance.rules.planner import PlanError
from compliance.rules.planner_effect import suggestion_for_plan
from compliance.selectors import districts_visible_to
from compliance.services.downloads import download_record
from compliance.views import login_required

from . import exports, selectors, services
from .forms import LEVER_FORMS, PlanNameForm
from .presenters import announcement, effect_context, lever_text
from .summary import DETAILS, summary_context
from .workspace import NothingToPlan, Workspace, district_workspace, plan_workspace, safe_effect


def _school_bands(ws: Workspace, flagged: set[str]) -> list[dict[str, Any]]:
    schools = ws.schools()
    return [{
        "band": band,
        "schools": [{
            "s": s, "groups": [getattr(s, g) for g in RACE_GROUPS], "flagged": s.school_id in flagged,
        } for s in schools if s.band == band],
    } for band in BANDS]


# The status line beside each form that changes the plan (a form far down the page shows there what it did).
STATUS_IDS = [*(f"lever-{kind}-status" for kind in LEVER_FORMS), "suggest-status"]


@dataclass(frozen=True)
class Outcome:
    """What a change did: an error, or what was done; the Remove button's number (or "heading") that takes
    the focus after an in-place update; the status line (STATUS_IDS) of the form that made it."""

    error: str = ""
    done: str = ""
    focus: int | str = ""
    status: str = ""


def _effect_block(ws: Workspace, outcome: Outcome = Outcome()) -> dict[str, Any]:
    """The effect block's context; after an htmx change, also what the live region and status line say."""
    effect, broken = safe_effect(ws)
    levers = ws.levers()
    error = outcome.error or broken
    return {"ws": ws, "editable": ws.editable, "error": error, "focus": outcome.focus,
            "announce": announcement(outcome.done, effect) if outcome.done and not error else "",
            "status": outcome.status, "status_ids": STATUS_IDS if outcome.status else [],
            **effect_context(effect, levers, ws.names(), ws.remove_urls(len(levers)))}


def _page(request: AuthedRequest, ws: Workspace, *, forms: dict | None = None, error: str = "") -> HttpResponse:
    schools = ws.schools()
    block = _effect_block(ws, Outcome(error=error))
    flagged = set(ws.baseline().flags.nonzero()[0].tolist())
    flagged_ids = {ws.baseline().table.school_ids[i] for i in flagged}
    lever_forms = {k: (forms or {}).get(k) or cls(schools=schools) for k, cls in LEVER_FORMS.items()}
    return render(request, "planner/planner.html", {
        **block, "container_class": "container wide", "district": ws.district, "submission": ws.submission,
        "plan": ws.plan, "editable": ws.editable, "forms": lever_forms, "name_form": PlanNameForm(),
        "bands": _school_bands(ws, flagged_ids), "band_names": BANDS,
        "plans": selectors.plans_visible_to(user=request.user, district=ws.district),
        "group_headers": block.get("group_headers") or [g.replace("_", " ") for g in RACE_GROUPS],
        "can_share": bool(ws.plan and permissions.can_share_plan(request.user, ws.plan)),
    })


def _after_change(request: AuthedRequest, ws: Workspace, outcome: Outcome, forms: dict | None = None) -> HttpResponse:
    """htmx: the effect block alone, what was done announced and the focus managed; otherwise
    post/redirect/get with what was done as a message (or the page with the form's errors)."""
    if request.htmx:
        return render(request, "planner/_effect.html", _effect_block(ws, outcome))
    if outcome.error:
        return _page(request, ws, forms=forms, error=outcome.error)
    if outcome.done:
        messages.success(request, outcome.done)
    return redirect(ws.url)


def _editable(ws: Workspace) -> Workspace:
    if not ws.editable:
        raise PermissionDenied("You may look at this plan but not change it.")
    return ws


def _add(request: AuthedRequest, ws: Workspace) -> HttpResponse:
    _editable(ws)
    kind = request.POST.get("kind", "")
    form_class = LEVER_FORMS.get(kind)
    if form_class is None:
        return _after_change(request, ws, Outcome(error="Unknown kind of change."))
    status = f"lever-{kind}-status"
    form = form_class(request.POST, schools=ws.schools())
    if not form.is_valid():
        text = " ".join(str(e) for errs in form.errors.values() for e in errs)
        return _after_change(request, ws, Outcome(error=text, status=status), {kind: form})
    levers = [*ws.levers(), form.lever()]
    try:
        ws.effect(levers)  # refuse a change that cannot apply, before it is kept
    except PlanError as exc:
        return _after_change(request, ws, Outcome(error=str(exc), status=status), {kind: form})
    ws.save(levers)
    done = f"Change {len(levers)} added: {lever_text(levers[-1], ws.names())}."
    return _after_change(request, ws, Outcome(done=done, status=status))


def _remove(request: AuthedRequest, ws: Workspace, index: int) -> HttpResponse:
    _editable(ws)
    levers = ws.levers()
    if not 0 <= index < len(levers):
        return _after_change(request, ws, Outcome(error="That change is no longer in the plan.", focus="heading"))
    rest = levers[:index] + levers[index + 1:]
    try:
        ws.effect(rest)
    except PlanError as exc:  # a later change needs this one (a move into an opened school)
        return _after_change(request, ws, Outcome(error=f"That change cannot be removed alone: {exc}",
                                                  focus=index + 1))
    ws.save(rest)
    # The focus goes to the Remove button now in the removed one's place, else the one before, else the heading.
    done = f"Change {index + 1} removed: {lever_text(levers[index], ws.names())}."
    return _after_change(request, ws, Outcome(done=done, focus=min(index + 1, len(rest)) if rest else "heading"))


def _suggest(request: AuthedRequest, ws: Workspace) -> HttpResponse:
    _editable(ws)
    band = request.POST.get("band", "")
    if band not in BANDS:
        return _after_change(request, ws, Outcome(error="Choose a grade band.", status="suggest-status"))
    replace = request.POST.get("mode") == "replace"
    kept = ws.levers()
    try:
        levers, moves, remedy = suggestion_for_plan(ws.schools(), kept, band,
                                                    selectors.rule_params(submission=ws.submission), replace=replace)
    except PlanError as exc:  # a saved plan whose base changed: its changes cannot be built on
        return _after_change(request, ws, Outcome(error=f"The plan's changes cannot be built on: {exc}",
                                                  status="suggest-status"))
    if not moves:
        reason = remedy.get("reason") or "no school of this band is outside the bands"
        after = " after the changes above" if kept and not replace else ""
        error = f"No suggestion for the {band} schools{after}: {reason}."
        return _after_change(request, ws, Outcome(error=error, status="suggest-status"))
    ws.save(levers)
    students = sum(m.total or 0 for m in moves)
    n = len(kept)
    changes = f"{n} change{'' if n == 1 else 's'}"
    how = (f", in place of the {changes} {'that was' if n == 1 else 'that were'} in the plan" if replace and kept
           else f", added after the {changes} already in the plan" if kept else "")
    done = f"Suggested {len(moves)} moves ({students:,} students) for the {band} schools{how}."
    return _after_change(request, ws, Outcome(done=done, status="suggest-status"))


@login_required
@require_GET
def index(request: AuthedRequest) -> HttpResponse:
    """/planner/: the planner of the user's district, or (state staff) the districts to choose from."""
    districts = districts_visible_to(user=request.user).order_by("name", "pk")
    first_two = list(districts[:2])
    if not first_two:
        raise PermissionDenied("The planner is for a district's users and state staff.")
    if len(first_two) == 1 and not permissions.sees_every_district(request.user):
        return redirect("planner_district", district_pk=first_two[0].pk)
    page = Paginator(districts, 50).get_page(request.GET.get("page"))
    return render(request, "planner/index.html", {"page": page})


@login_required
@require_GET
def district_page(request: AuthedRequest, district_pk: int) -> HttpResponse:
    try:
        ws = district_workspace(request, district_pk)
    except NothingToPlan as exc:
        return render(request, "planner/nothing.html", {"district": exc.district})
    return _page(request, ws)


@login_required
@require_GET
def plan_page(request: AuthedRequest, pk: int) -> HttpResponse:
    return _page(request, plan_workspace(request, pk))


@login_required
@require_POST
def draft_lever_add(request: AuthedRequest, district_pk: int) -> HttpResponse:
    return _add(request, district_workspace(request, district_pk))


@login_required
@require_POST
def draft_lever_remove(request: AuthedRequest, district_pk: int, index: int) -> HttpResponse:
    return _remove(request, district_workspace(request, district_pk), index)


@login_required
@require_POST
def plan_lever_add(request: AuthedRequest, pk: int) -> HttpResponse:
    return _add(request, plan_workspace(request, pk))


@login_required
@require_POST
def plan_lever_remove(request: AuthedRequest, pk: int, index: int) -> HttpResponse:
    return _remove(request, plan_workspace(request, pk), index)


@login_required
@require_POST
def draft_suggest(request: AuthedRequest, district_pk: int) -> HttpResponse:
    return _suggest(request, district_workspace(request, district_pk))


@login_required
@require_POST
def plan_suggest(request: AuthedRequest, pk: int) -> HttpResponse:
    return _suggest(request, plan_workspace(request, pk))


@login_required
@require_POST
def draft_save(request: AuthedRequest, district_pk: int) -> HttpResponse:
    ws = district_workspace(request, district_pk)
    form = PlanNameForm(request.POST)
    if not form.is_valid():
        return _page(request, ws, error="Give the plan a name.")
    try:
        plan = services.plan_create(user=request.user, district=ws.district, base_submission=ws.submission,
                                    name=form.cleaned_data["name"], levers=ws.stored())
    except ValidationError as exc:
        return _page(request, ws, error=" ".join(exc.messages))
    ws.clear_draft()
    messages.success(request, f"Plan “{plan.name}” saved.")
    return redirect("planner_plan", plan.pk)


@login_required
@require_POST
def plan_share(request: AuthedRequest, pk: int) -> HttpResponse:
    ws = plan_workspace(request, pk)
    assert ws.plan is not None  # nosec B101 # plan_workspace always has one
    shared = request.POST.get("shared") == "1"
    services.plan_share(user=request.user, plan=ws.plan, shared=shared)
    messages.success(request, "Shared with the district's other users." if shared else "No longer shared.")
    return redirect(ws.url)


def _download_name(ws: Workspace, ext: str) -> str:
    return f"{slugify(ws.district.name)}-{slugify(ws.plan.name if ws.plan else 'plan')}.{ext}"


@login_required
@require_GET
def plan_proposed_xlsx(request: AuthedRequest, pk: int) -> HttpResponse:
    ws = plan_workspace(request, pk)
    effect, error = safe_effect(ws)
    if effect is None:
        return _page(request, ws, error=error)
    with ws.submission.file.open("rb") as fh:
        original = fh.read()
    description = f"{ws.plan.name}: " + "; ".join(lever_text(lv, ws.names()) for lv in ws.levers())  # type: ignore[union-attr]
    blob = exports.proposed_workbook(original, effect.proposed, description[:1000])
    response = HttpResponse(blob, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{_download_name(ws, "xlsx")}"'
    download_record(user=request.user, what="What-if plan workbook", filename=_download_name(ws, "xlsx"),
                    district=ws.district)
    return response


@login_required
@require_GET
def plan_summary_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    ws = plan_workspace(request, pk)
    effect, error = safe_effect(ws)
    if effect is None:
        return _page(request, ws, error=error)
    levers, names, schools = ws.levers(), ws.names(), ws.schools()
    min_cell = privacy_min_cell(selectors.rule_params(submission=ws.submission))
    contexts = ({**summary_context(effect, levers, names, schools, detail, min_cell=min_cell), "plan": ws.plan,
                 "district": ws.district, "submission": ws.submission} for detail in DETAILS)
    pdf = exports.summary_pdf(contexts, str(settings.BASE_DIR))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_download_name(ws, "pdf")}"'
    download_record(user=request.user, what="What-if plan summary (PDF)", filename=_download_name(ws, "pdf"),
                    district=ws.district)
    return response
