"""State review pages and posts: comments (internal or to the district) and replies."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from . import permissions, services
from .forms_review import ReviewCommentForm
from .models import CommentVisibility, Finding
from .selectors_review import comments_visible_to
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
def comment_create(request: HttpRequest, pk: int) -> HttpResponse:
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
