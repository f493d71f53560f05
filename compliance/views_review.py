"""State review posts: comments and replies, decisions with their plan, the supervisor's sign-off."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_POST

from . import permissions, services
from .forms import DecideForm
from .forms_review import ReviewCommentForm, plan_parse
from .http import AuthedRequest
from .models import CommentVisibility, DecisionOutcome, Finding
from .selectors_review import comments_visible_to
from .services import review
from .views import _run, _visible_submission, login_required


def _comment_targets(user, submission, data: dict):
    """The finding and the comment answered, looked up only among what this user may see."""
    finding = None
    if data.get("finding"):
        finding = Finding.objects.filter(pk=data["finding"], evaluation__submission=submission).first()
        if finding is None:
            raise Http404
    parent = None
    if data.get("in_reply_to"):
        parent = comments_visible_to(user, submission=submission).filter(pk=data["in_reply_to"]).first()
        if parent is None:
            raise Http404
    return finding, parent


@login_required
@require_POST
def comment_create(request: AuthedRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    staff = permissions.sees_every_district(request.user)
    form = ReviewCommentForm(request.POST, staff=staff)
    valid = form.is_valid()
    data = form.cleaned_data
    finding, parent = _comment_targets(request.user, submission, data)

    def create():
        if not valid:
            raise ValidationError(next(iter(form.errors.values()))[0])
        visibility = data["visibility"] if staff else CommentVisibility.DISTRICT
        return services.comment_create(submission=submission, user=request.user, body=data["body"],
                                       visibility=visibility, finding=finding, in_reply_to=parent)

    return _run(request, submission, create, "Reply sent." if parent else "Comment added.")


@login_required
@require_POST
def submission_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    form = DecideForm(request.POST)
    form.is_valid()
    data = form.cleaned_data

    def decide():
        actions = plan_parse(request.POST.get("plan", ""))
        return services.submission_decide(submission=submission, user=request.user, outcome=data.get("outcome", ""),
                                          note=data.get("note", ""), actions=actions)

    done = "Decision recorded. The decision report is being prepared."
    if request.POST.get("outcome") == DecisionOutcome.CORRECTIVE_ACTION:
        done = "Noncompliance proposed. It takes effect when a supervisor who did not review it signs it off."
    return _run(request, submission, decide, done)


@login_required
@require_POST
def decision_sign_off(request: AuthedRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    return _run(request, submission, lambda: review.decision_sign_off(submission=submission, user=request.user),
                "Signed off. The decision is in force; the district is told and the report made again.")


@login_required
@require_POST
def decision_send_back(request: AuthedRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    note = request.POST.get("note", "")
    return _run(request, submission,
                lambda: review.decision_send_back(submission=submission, user=request.user, note=note),
                "Sent back to the reviewer with your note.")
