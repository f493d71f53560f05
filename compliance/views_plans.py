"""Corrective action plans: the plan page of a decision, the district's answers, the reviewer's judgements."""
from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from . import permissions, selectors
from . import selectors_review as review_reads
from .forms_review import PlanAnswerForm, PlanJudgeForm
from .http import AuthedRequest
from .models import ActionStatus, CorrectiveAction
from .services import review_plans
from .views import _error_text, _visible_submission, login_required

PLAN_LISTS = {"answered": "Answered, waiting for a reviewer", "overdue": "Past due, not answered",
              "due": "Due, not answered yet"}


def _visible_action(request: AuthedRequest, pk: int) -> CorrectiveAction:
    visible = selectors.submissions_visible_to(user=request.user)
    return get_object_or_404(CorrectiveAction.objects.select_related("submission__district", "finding")
                             .filter(submission__in=visible), pk=pk)


def _action_rows(user, actions: list[CorrectiveAction], today) -> list[dict[str, Any]]:
    return [{
        "action": a,
        "overdue": a.due_on < today and a.status != ActionStatus.ACCEPTED,
        "can_answer": permissions.can_answer_plan(user, a),
        "can_judge": permissions.can_judge_plan(user, a),
        "answer_form": PlanAnswerForm(auto_id=f"id_%s_a{a.pk}"),
        "judge_form": PlanJudgeForm(auto_id=f"id_%s_j{a.pk}"),
    } for a in actions]


@login_required
@require_GET
def plan_page(request: AuthedRequest, pk: int) -> HttpResponse:
    """A decided submission's corrective action plan: each required action, its answer and its judgement."""
    submission = _visible_submission(request, pk)
    actions = list(submission.corrective_actions.select_related("finding", "answered_by", "judged_by"))
    # A proposal's plan is not in force until signed off: the district sees none of it before.
    if not actions or not permissions.can_view_corrective_plan(request.user, submission):
        raise Http404("This submission has no corrective action plan.")
    today = timezone.localdate()
    return render(request, "compliance/review_plan.html", {
        "submission": submission, "decision": getattr(submission, "decision", None),
        "rows": _action_rows(request.user, actions, today), "today": today,
        "accepted": sum(a.status == ActionStatus.ACCEPTED for a in actions), "total": len(actions),
    })


def _back_to_plan(action: CorrectiveAction) -> HttpResponse:
    response = redirect("plan_page", pk=action.submission_id)
    response["Location"] += f"#action-{action.pk}"
    return response


@login_required
@require_POST
def plan_answer(request: AuthedRequest, pk: int) -> HttpResponse:
    action = _visible_action(request, pk)
    form = PlanAnswerForm(request.POST, request.FILES)
    try:
        permissions.enforce(permissions.plan_answer_refusal(request.user, action))
        if not form.is_valid():
            raise ValidationError([str(e) for errors in form.errors.values() for e in errors])
        review_plans.corrective_action_answer(action=action, user=request.user, plan=form.cleaned_data["plan"],
                                              evidence=form.cleaned_data["evidence"])
    except ValidationError as exc:
        messages.error(request, f"Action {action.pk}: {_error_text(exc)}")
    else:
        messages.success(request, "Your plan and evidence were sent to the state's reviewers.")
    return _back_to_plan(action)


@login_required
@require_POST
def plan_judge(request: AuthedRequest, pk: int) -> HttpResponse:
    action = _visible_action(request, pk)
    form = PlanJudgeForm(request.POST)
    try:
        permissions.enforce(permissions.plan_judge_refusal(request.user, action))
        if not form.is_valid():
            raise ValidationError([str(e) for errors in form.errors.values() for e in errors])
        accept = form.cleaned_data["verdict"] == "accept"
        review_plans.corrective_action_judge(action=action, user=request.user, accept=accept,
                                             note=form.cleaned_data["note"])
    except ValidationError as exc:
        messages.error(request, f"Action {action.pk}: {_error_text(exc)}")
    else:
        messages.success(request, "Accepted." if accept else "Asked the district again, with your note.")
    return _back_to_plan(action)


@login_required
@require_GET
def plan_file(request: AuthedRequest, pk: int, kind: str) -> FileResponse:
    """The district's plan or evidence for one action, to whoever may see the submission."""
    action = _visible_action(request, pk)
    if kind not in ("plan", "evidence"):
        raise Http404("No such file.")
    stored = getattr(action, kind)
    if not stored:
        raise Http404("No file yet.")
    if not permissions.can_download(request.user, action.submission):
        raise PermissionDenied("You may not download this file.")
    suffix = PurePath(stored.name).suffix
    submission = action.submission
    download = f"{submission.district.state_id}-{submission.cycle.school_year}-action-{action.pk}-{kind}{suffix}"
    return FileResponse(stored.open("rb"), as_attachment=True, filename=download)


@login_required
@require_GET
def plans_list(request: AuthedRequest) -> HttpResponse:
    """State staff: every plan's actions answered, overdue or due, a page at a time."""
    if not permissions.can_view_queue(request.user):
        raise PermissionDenied("Only state staff see every district's plans.")
    show = request.GET.get("show", "")
    show = show if show in PLAN_LISTS else "answered"
    lists = review_reads.plans_open(today=timezone.localdate())
    page = Paginator(lists[show], 50).get_page(request.GET.get("page"))
    return render(request, "compliance/review_plans.html", {
        "show": show, "title": PLAN_LISTS[show], "page": page, "today": timezone.localdate(),
        "tabs": [(key, label, lists[key].count()) for key, label in PLAN_LISTS.items()],
    })


urlpatterns = [
    path("review/plans/", plans_list, name="plans_list"),
    path("submissions/<int:pk>/plan/", plan_page, name="plan_page"),
    path("actions/<int:pk>/answer/", plan_answer, name="plan_answer"),
    path("actions/<int:pk>/judge/", plan_judge, name="plan_judge"),
    path("actions/<int:pk>/<str:kind>/", plan_file, name="plan_file"),
]
