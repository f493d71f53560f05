"""Where the levers being worked on live: a district's unsaved draft (in the session) or a saved plan."""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse

from compliance import permissions
from compliance.models import Submission
from compliance.rules.model import SchoolRow
from compliance.rules.planner import Lever, PlanError, lever_from_json, lever_to_json
from compliance.rules.planner_effect import Baseline, PlanEffect, plan_effect
from districts.models import District

from . import selectors, services
from .models import Plan


class NothingToPlan(Http404):
    """The district has no evaluated submission yet: the planner has no Schools sheet to start from."""

    def __init__(self, district: District):
        super().__init__("This district has no evaluated submission to plan from yet.")
        self.district = district


@dataclass
class Workspace:
    request: HttpRequest
    district: District
    submission: Submission
    plan: Plan | None
    _schools: list[SchoolRow] | None = field(default=None, init=False, repr=False)
    _baseline: Baseline | None = field(default=None, init=False, repr=False)
    _effects: dict[str, PlanEffect] = field(default_factory=dict, init=False, repr=False)

    @property
    def editable(self) -> bool:
        user = self.request.user
        if self.plan:
            return permissions.can_edit_plan(user, self.plan)
        return permissions.can_plan_for(user, self.district)

    @property
    def url(self) -> str:
        if self.plan:
            return reverse("planner_plan", args=[self.plan.pk])
        return reverse("planner_district", args=[self.district.pk])

    @property
    def add_url(self) -> str:
        if self.plan:
            return reverse("planner_plan_lever_add", args=[self.plan.pk])
        return reverse("planner_draft_lever_add", args=[self.district.pk])

    @property
    def suggest_url(self) -> str:
        if self.plan:
            return reverse("planner_plan_suggest", args=[self.plan.pk])
        return reverse("planner_draft_suggest", args=[self.district.pk])

    def remove_urls(self, count: int) -> list[str]:
        if self.plan:
            return [reverse("planner_plan_lever_remove", args=[self.plan.pk, i]) for i in range(count)]
        return [reverse("planner_draft_lever_remove", args=[self.district.pk, i]) for i in range(count)]

    @property
    def _draft_key(self) -> str:
        return f"planner-draft-{self.district.pk}-{self.submission.pk}"

    def stored(self) -> list[dict[str, Any]]:
        if self.plan:
            return list(self.plan.levers)
        return list(self.request.session.get(self._draft_key, []))

    def levers(self) -> list[Lever]:
        return [lever_from_json(d) for d in self.stored()]

    def save(self, levers: Sequence[Lever]) -> None:
        data = [lever_to_json(lv) for lv in levers]
        if self.plan:
            services.plan_update(user=self.request.user, plan=self.plan, levers=data)
        else:
            self.request.session[self._draft_key] = data

    def clear_draft(self) -> None:
        self.request.session.pop(self._draft_key, None)

    def schools(self) -> list[SchoolRow]:
        if self._schools is None:  # once per request: the cache hands out a fresh copy each time
            self._schools = selectors.submission_schools(submission=self.submission)
        return self._schools

    def baseline(self) -> Baseline:
        if self._baseline is None:  # the current assignment's checks, shared by every effect of the request
            self._baseline = Baseline.of(self.schools(), selectors.rule_params(submission=self.submission))
        return self._baseline

    def effect(self, levers: list[Lever] | None = None) -> PlanEffect:
        """The effect of ``levers`` (the stored ones by default); PlanError if one cannot apply. Kept for the
        request, so the change just checked and saved is not worked out again for the answer."""
        levers = self.levers() if levers is None else levers
        key = json.dumps([lever_to_json(lv) for lv in levers], sort_keys=True)
        if key not in self._effects:
            self._effects[key] = plan_effect(self.baseline(), levers)
        return self._effects[key]

    def names(self) -> dict[str, str]:
        names = {s.school_id: s.school_name for s in self.schools()}
        for lv in self.levers():
            if getattr(lv, "kind", "") == "open":
                names[lv.school_id] = lv.school_name  # type: ignore[union-attr]
        return names


def district_workspace(request: HttpRequest, district_pk: int) -> Workspace:
    district = get_object_or_404(District, pk=district_pk)
    if not permissions.can_view_planner(request.user, district):
        raise Http404("No such district.")
    submission = selectors.submission_plannable_latest(district=district)
    if submission is None:
        raise NothingToPlan(district)
    return Workspace(request, district, submission, None)


def plan_workspace(request: HttpRequest, pk: int) -> Workspace:
    plan = selectors.plan_visible_to(user=request.user, pk=pk)
    if plan is None:
        raise Http404("No such plan.")
    return Workspace(request, plan.district, plan.base_submission, plan)


def safe_effect(ws: Workspace) -> tuple[PlanEffect | None, str]:
    try:
        return ws.effect(), ""
    except PlanError as exc:  # a saved plan whose base changed: show why rather than fail
        return None, str(exc)
