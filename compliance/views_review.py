"""State review posts: comments and replies, dispositions of findings, returns and decisions, the sign-off."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from . import permissions, selectors, services
from .forms import DecideForm
from .forms_review import ReturnForm, ReviewCommentForm, SeverityForm, action_lines, plan_parse
from .http import AuthedRequest
from .models import CommentVisibility, DecisionOutcome, Finding
from .presenters import finding_context, scope_label
from .selectors_review import comments_visible_to, finding_references
from .services import review
from .views import (
    _error_text,
    _finding_row,
    _refused,
    _run,
    _visible_finding,
    _visible_submission,
    login_required,
    submission_page,
)


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

    done = "Decision recorded. The decision report is being prepared."
    if request.POST.get("outcome") == DecisionOutcome.CORRECTIVE_ACTION:
        done = "Noncompliance proposed. It takes effect when a supervisor who did not review it signs it off."
    try:
        try:
            actions = plan_parse(request.POST.get("plan", ""), references=finding_references(submission=submission))
        except ValidationError as exc:  # the plan as typed: its errors are the plan's
            raise ValidationError({review.DECISION_PLAN: exc.messages}) from None
        services.submission_decide(submission=submission, user=request.user, outcome=data.get("outcome", ""),
                                   note=data.get("note", ""), actions=actions)
    except ValidationError as exc:
        # The page again, with what was typed and the reason at the top, focused and linked to its
        # field: a redirect would lose the reasons and the plan the reviewer wrote.
        typed = DecideForm(request.POST, auto_id="id_decide_%s")
        return submission_page(request, submission, status=400, decide_form=typed,
                               decide_plan=request.POST.get("plan", ""), decide_errors=_decide_errors(exc))
    except services.IllegalTransition:
        messages.error(request, "Someone else changed this submission first. Check its status and try again.")
    else:
        messages.success(request, done)
    return redirect("submission_detail", pk=submission.pk)


# The element the error summary links to for each part of the decide form a refusal names.
_DECIDE_TARGETS = {review.DECISION_PLAN: "id_decide_plan", review.DECISION_OUTCOME: "id_decide_outcome_0",
                   review.DECISION_NOTE: "id_decide_note"}


def _decide_errors(exc: ValidationError) -> list[tuple[str, str]]:
    """(element id, message) per reason; a reason about the form as a whole links to its heading."""
    by_part = exc.message_dict if hasattr(exc, "error_dict") else {review.DECISION_FORM: exc.messages}
    return [(_DECIDE_TARGETS.get(part, "decide-heading"), text) for part, texts in by_part.items() for text in texts]


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


@login_required
@require_POST
def decision_withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    return _run(request, submission, lambda: review.decision_withdraw(submission=submission, user=request.user),
                "Proposed decision withdrawn. The submission is in your review again.")


@login_required
@require_POST
def submission_return(request: AuthedRequest, pk: int) -> HttpResponse:
    """Return for revision with required actions typed one per line (``INT-01 0311: ...`` names a finding)."""
    submission = _visible_submission(request, pk)
    form = ReturnForm(request.POST)
    # Who and when first: the wrong role gets 403, and a submission no longer in review (decided, waiting
    # in the queue, or returned by the first of two clicks) its reason as a message, not a reminder about the lines.
    try:
        permissions.enforce(permissions.return_refusal(request.user, submission))
    except ValidationError as exc:
        return _refused(request, submission, exc)
    text = form.cleaned_data["actions"] if form.is_valid() else ""
    try:
        actions = action_lines(text, references=finding_references(submission=submission))
        review.submission_return_with_actions(submission=submission, user=request.user, actions=actions)
    except ValidationError as exc:
        # The page again with every refused line listed and the text as typed (a redirect lost it).
        return submission_page(request, submission, status=400, return_text=request.POST.get("actions", ""),
                               return_errors=[("id_return_actions", message) for message in exc.messages])
    except services.IllegalTransition:
        messages.error(request, "Someone else changed this submission first. Check its status and try again.")
    else:
        messages.success(request, "Returned to the district for revision with the required actions.")
    return redirect("submission_detail", pk=submission.pk)


@login_required
@require_POST
def findings_confirm_rule(request: AuthedRequest, pk: int) -> HttpResponse:
    """Confirm every open finding of one rule at once (a 320-school district has hundreds)."""
    submission = _visible_submission(request, pk)
    rule = request.POST.get("rule", "")
    try:
        confirmed = review.findings_confirm_rule(submission=submission, user=request.user, rule=rule)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, f"Confirmed {confirmed} {rule} finding{'s' if confirmed != 1 else ''}.")
    # Back to the page as it was filtered (a 320-school district's reviewer works one rule at a time).
    query = QueryDict(request.POST.get("query", "")).urlencode()
    return redirect(reverse("submission_detail", args=[submission.pk]) + (f"?{query}" if query else "")
                    + f"#rule-{rule.lower()}")


def _severity_fragment(request: AuthedRequest, finding: Finding, *, form: SeverityForm | None, error: str = "",
                       saved: bool = False, status: int = 200) -> HttpResponse:
    context = finding_context(finding, **_finding_row(finding, request.user))
    context.update(error=error, saved=saved, severity_form=form)
    return render(request, "compliance/_finding.html", context, status=status)


@login_required
@require_GET
def finding_severity_form(request: AuthedRequest, pk: int) -> HttpResponse:
    """The severity form of one finding: in its row for htmx, else a page of its own (plain HTML)."""
    finding = _visible_finding(request, pk)
    submission = finding.evaluation.submission
    try:
        permissions.enforce(permissions.severity_change_refusal(request.user, submission))
    except ValidationError as exc:  # no longer in review: the reason, in its row or as a message on the page
        if request.htmx:
            return _severity_fragment(request, finding, form=None, error=_error_text(exc))
        return _refused(request, submission, exc, anchor=f"#finding-{finding.pk}")
    except PermissionDenied as exc:
        if not request.htmx:
            raise
        return _severity_fragment(request, finding, form=None, error=_error_text(exc), status=403)
    form = SeverityForm(auto_id=f"id_%s_sev{finding.pk}")
    if request.htmx:
        return _severity_fragment(request, finding, form=form)
    names = selectors.school_names(evaluation=finding.evaluation)
    return render(request, "compliance/review_severity.html", {
        "finding": finding, "submission": submission, "severity_form": form,
        "scope": scope_label(finding, names)})


@login_required
@require_POST
def finding_severity(request: AuthedRequest, pk: int) -> HttpResponse:
    """Change one finding's severity with a reason. htmx gets the finding's fragment back, as for a review."""
    finding = _visible_finding(request, pk)
    form = SeverityForm(request.POST, auto_id=f"id_%s_sev{finding.pk}")
    error, status = "", 200
    try:
        if not form.is_valid():
            raise ValidationError([str(e) for errors in form.errors.values() for e in errors])
        review.finding_severity_change(finding=finding, user=request.user, severity=form.cleaned_data["severity"],
                                       reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        error = _error_text(exc)
    except PermissionDenied as exc:
        if not request.htmx:
            raise
        error, status = _error_text(exc), 403
    if request.htmx:
        finding.refresh_from_db()
        return _severity_fragment(request, finding, form=form if error else None, error=error, saved=not error,
                                  status=status)
    detail = reverse("submission_detail", args=[finding.evaluation.submission_id])
    if error:
        messages.error(request, f"{finding.rule}: {error}")
        # Back to the form to try again while it may still be used; else to the finding on its page.
        if permissions.severity_change_refusal(request.user, finding.evaluation.submission) is None:
            return redirect(reverse("finding_severity_form", args=[finding.pk]))
        return redirect(detail + f"#finding-{finding.pk}")
    messages.success(request, f"{finding.rule}: severity changed to {finding.severity}.")
    return redirect(detail + f"#finding-{finding.pk}")
