"""The state's review queue: filters with counts, sorts, pages, saved views, bulk assignment, work awaiting sign-off."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from . import permissions, selectors
from . import selectors_review as review_reads
from .filters import ReviewQueueFilter
from .forms_review import AssignForm, BulkAssignForm, SavedViewForm
from .http import AuthedRequest
from .models import SavedQueueView
from .selectors_statewide import regions
from .services import review_assign, review_queue
from .services.review_queue import queue_query_clean
from .views import _error_text, login_required

PER_PAGE = 50
# Views every reviewer has without saving them.
BUILT_IN_VIEWS = (("My work", "assigned=me"), ("Unassigned", "assigned=none"), ("Overdue", "overdue=yes"),
                  ("Highest severity first", "sort=severity"))


def _queue_url(query: str) -> str:
    query = queue_query_clean(query)
    return reverse("review_queue") + (f"?{query}" if query else "")


def _require_queue(user) -> None:
    if not permissions.can_view_queue(user):
        raise PermissionDenied("Only state staff have a review queue.")


def _queue_filter(request: AuthedRequest, now) -> ReviewQueueFilter:
    user = request.user
    return ReviewQueueFilter(request.GET, queryset=review_reads.queue_submissions(user=user, now=now),
                             districts=selectors.districts_visible_to(user=user), regions=regions(), user=user,
                             now=now)


def _caption(queue_filter: ReviewQueueFilter, page) -> str:
    """"Team queue: 120 submissions, 51 to 100, review due date, soonest first"."""
    n = page.paginator.count
    sort = dict(queue_filter.form.fields["sort"].choices).get(queue_filter.form.cleaned_data.get("sort") or "due")
    where = f", {page.start_index()} to {page.end_index()}" if page.paginator.num_pages > 1 else ""
    return f"Team queue: {n} submission{'s' if n != 1 else ''}{where}, sorted by {str(sort).lower()}"


def _queue_context(request: AuthedRequest) -> dict[str, Any]:
    user, now = request.user, timezone.now()
    queue_filter = _queue_filter(request, now)
    counts = queue_filter.label_counts()
    page = Paginator(queue_filter.qs, PER_PAGE).get_page(request.GET.get("page"))
    query = queue_query_clean(request.GET.urlencode())
    plans = review_reads.plans_open(today=timezone.localdate())
    return {
        "container_class": "container wide",  # the queue's nine columns need the width
        "queue_caption": _caption(queue_filter, page),
        "queue_filter": queue_filter, "page": page, "query": query, "now": now,
        "open_count": counts["status"][""],
        "page_query": urlencode([(k, v) for k, v in request.GET.items() if k != "page"]),
        "my_reviews": list(review_reads.my_reviews(user=user, now=now)[:PER_PAGE]),
        "sign_off": list(review_reads.awaiting_sign_off_by(user=user, now=now)[:PER_PAGE]),
        "can_sign_off_decisions": permissions.can_sign_off_decisions(user),
        "saved_views": review_reads.saved_views(user=user),
        "built_in_views": BUILT_IN_VIEWS,
        "save_form": SavedViewForm(initial={"query": query}, auto_id="id_save_%s"),
        "can_claim": permissions.can_claim_from_queue(user),
        "can_bulk_assign": permissions.can_assign_in_bulk(user),
        "assign_form": BulkAssignForm(reviewers=review_reads.reviewers(), auto_id="id_bulk_%s")
        if permissions.can_assign_in_bulk(user) else None,
        "plan_counts": {name: qs.count() for name, qs in plans.items()},
    }


@login_required
@require_GET
def queue(request: AuthedRequest) -> HttpResponse:
    _require_queue(request.user)
    return render(request, "compliance/queue.html", _queue_context(request))


@login_required
@require_POST
def queue_assign(request: AuthedRequest) -> HttpResponse:
    """Assign the ticked submissions to one reviewer: each atomically and audited; a summary of what happened."""
    back = _queue_url(request.POST.get("query", ""))
    if not permissions.can_assign_in_bulk(request.user):
        raise PermissionDenied("Only a state supervisor may assign reviews.")
    form = BulkAssignForm(request.POST, reviewers=review_reads.reviewers())
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    seen = form.cleaned_data["submissions"]
    ticked = review_reads.queue_submissions(user=request.user).filter(pk__in=seen)
    result = review_assign.submissions_assign(submissions=ticked.order_by("pk"), user=request.user,
                                              assignee=form.cleaned_data["assignee"], seen=seen)
    name = form.cleaned_data["assignee"].get_full_name() or form.cleaned_data["assignee"].username
    if result.assigned:
        n = len(result.assigned)
        messages.success(request, f"Assigned {n} submission{'s' if n != 1 else ''} to {name}.")
    for submission, reason in result.refused:
        messages.error(request, f"{submission.district.name} version {submission.version}: {reason}")
    return redirect(back)


@login_required
@require_POST
def queue_view_save(request: AuthedRequest) -> HttpResponse:
    _require_queue(request.user)
    form = SavedViewForm(request.POST)
    query = request.POST.get("query", "")
    if not form.is_valid():
        messages.error(request, "Name the view first.")
        return redirect(_queue_url(query))
    try:
        view = review_queue.queue_view_save(user=request.user, name=form.cleaned_data["name"], query=query)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect(_queue_url(query))
    messages.success(request, f"Saved the view \u201c{view.name}\u201d.")
    return redirect(_queue_url(view.query))


@login_required
@require_POST
def queue_view_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    _require_queue(request.user)
    # Another user's view is not found, not forbidden: its name is theirs.
    view = get_object_or_404(SavedQueueView.objects.filter(user=request.user), pk=pk)
    review_queue.queue_view_delete(user=request.user, view=view)
    messages.success(request, f"Deleted the view \u201c{view.name}\u201d.")
    return redirect("review_queue")


@login_required
@require_POST
def submission_assign(request: AuthedRequest, pk: int) -> HttpResponse:
    """Assign or reassign one submission from its page."""
    submission = get_object_or_404(review_reads.queue_submissions(user=request.user), pk=pk)
    form = AssignForm(request.POST, reviewers=review_reads.reviewers())
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("submission_detail", pk=pk)
    assignee = form.cleaned_data["assignee"]
    try:
        review_assign.submission_assign(submission=submission, user=request.user, assignee=assignee,
                                        expected_reviewer_id=form.cleaned_data["holder"])
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"Assigned to {assignee.get_full_name() or assignee.username}.")
    return redirect("submission_detail", pk=pk)


urlpatterns = [
    path("review/", queue, name="review_queue"),
    path("review/assign/", queue_assign, name="queue_assign"),
    path("review/views/", queue_view_save, name="queue_view_save"),
    path("review/views/<int:pk>/delete/", queue_view_delete, name="queue_view_delete"),
    path("submissions/<int:pk>/assign/", submission_assign, name="submission_assign"),
]
