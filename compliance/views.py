"""Pages for district staff and state reviewers.

Thin: every write goes through ``compliance.services`` and every permission-aware read
through ``compliance.selectors``. Objects a user may not see are 404, never 403, so a URL
does not reveal that another district's submission exists.
"""
from __future__ import annotations

import functools
import io
import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required as django_login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from . import permissions, selectors, services
from .filters import FindingFilter, ProblemFilter, ReviewQueueFilter
from .forms import CertifyForm, DecideForm, FindingReviewForm, ReleaseForm, ReturnForm, UploadForm
from .forms_review import ReviewCommentForm
from .http import AuthedRequest, HtmxRequest
from .models import EvaluationOutcome, Finding, ReportKind, ReviewStatus, Submission
from .presenters import (
    event_label,
    finding_context,
    finding_groups,
    measures_table,
    problem_summary,
    review_summary,
    rule_layout,
)
from .reports.exports import EXPORT_KINDS
from .rules.registry import RULE_NAMES
from .selectors_review import audit_events_visible_to, comments_visible_to, review_detail_context
from .services.portal import next_action, portal_detail_context, report_pending
from .states import PENDING
from .states import SubmissionStatus as S


def login_required(view):
    """Django's login_required, except that an htmx request (a poll after the session ended)
    gets a full-page redirect instead of the login page swapped into a fragment."""
    wrapped = django_login_required(view)

    @functools.wraps(view)
    def inner(request: HtmxRequest, *args, **kwargs) -> HttpResponse:
        if request.htmx and not request.user.is_authenticated:
            login = redirect_to_login(request.htmx.current_url_abs_path or request.get_full_path())
            return HttpResponseClientRedirect(login["Location"])
        return wrapped(request, *args, **kwargs)

    return inner


def _visible_submission(request: AuthedRequest, pk: int) -> Submission:
    return get_object_or_404(selectors.submissions_visible_to(user=request.user), pk=pk)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "That is not allowed."


# --- Home ------------------------------------------------------------------------------------


@login_required
@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    return render(request, "compliance/home.html", _home_context(request))


def _home_context(request: AuthedRequest, upload_forms: dict[int, UploadForm] | None = None) -> dict[str, Any]:
    user = request.user
    context: dict[str, Any] = {"cycle": selectors.reporting_cycle_current(), "today": timezone.localdate()}
    if context["cycle"] is not None:
        context["days_left"] = (context["cycle"].due_on - context["today"]).days
        context["days_overdue"] = -context["days_left"]
    if permissions.works_for_districts(user):
        upload_forms = upload_forms or {}
        submissions = (
            selectors.submissions_visible_to(user=user)
            .prefetch_related(selectors.evaluation_counts_prefetch())
            .order_by("district__name", "-cycle__school_year", "-version")
        )
        by_district: dict[int, list[Submission]] = {}
        for sub in submissions:
            sub.latest_counts = sub.evaluations_with_counts[0] if sub.evaluations_with_counts else None
            by_district.setdefault(sub.district_id, []).append(sub)
        context["districts"] = [
            {
                "district": d,
                "submissions": by_district.get(d.pk, []),
                "upload_form": upload_forms.get(d.pk) or UploadForm(auto_id=f"id_%s_{d.pk}"),
                "next": next_action(user=user, submissions=by_district.get(d.pk, []), cycle=context["cycle"]),
            }
            for d in selectors.districts_visible_to(user=user)
        ]
        context["awaiting_certification"] = [e for e in context["districts"] if e["next"]["kind"] == "certify"]
    elif permissions.sees_every_district(user):
        queue_filter = ReviewQueueFilter(
            request.GET or None,
            queryset=selectors.submissions_visible_to(user=user),
            districts=selectors.districts_visible_to(user=user),
        )
        context["queue_filter"] = queue_filter
        context["queue"] = queue_filter.qs if queue_filter.is_bound else selectors.review_queue(user=user)
        context["my_reviews"] = selectors.my_reviews(user=user)
        context["can_claim"] = permissions.can_claim_from_queue(user)
    return context


@login_required
@require_POST
def submission_upload(request: AuthedRequest, district_pk: int) -> HttpResponse:
    district = get_object_or_404(selectors.districts_visible_to(user=request.user), pk=district_pk)
    cycle = selectors.reporting_cycle_current()
    if cycle is None:
        # The home page shows no upload form then, so say it as a message.
        messages.error(request, "No reporting cycle is open for submissions.")
        return redirect("home")
    form = UploadForm(request.POST, request.FILES, auto_id=f"id_%s_{district.pk}")
    if getattr(request, "upload_too_large", False):  # set by compliance.uploads
        form.is_valid()
        form.errors["file"] = form.error_class([services.upload_too_large_message()])
    elif form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            submission = services.submission_create(
                district=district, cycle=cycle, uploaded_by=request.user, fileobj=upload, filename=upload.name
            )
        except ValidationError as exc:
            form.add_error("file", _error_text(exc))
        else:
            messages.success(
                request, f"Version {submission.version} was received. It is being checked; this page updates itself."
            )
            return redirect("submission_detail", pk=submission.pk)
    return render(request, "compliance/home.html", _home_context(request, {district.pk: form}))


@login_required
@require_GET
def template_download(request: AuthedRequest, pk: int) -> FileResponse:
    # Here, not at the top: openpyxl loads only when someone downloads the template.
    from .workbook.template import build_template

    district = get_object_or_404(selectors.districts_visible_to(user=request.user), pk=pk)
    cycle = selectors.reporting_cycle_current() or selectors.reporting_cycle_latest()
    out = io.BytesIO()
    build_template(
        out,
        district_id=district.state_id,
        district_name=district.name,
        school_year=cycle.school_year if cycle else None,
        schools=[(s.school_id, s.name, s.grade_low, s.grade_high) for s in district.schools.all()],
    )
    out.seek(0)
    year = f"-{cycle.school_year}" if cycle else ""
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"equity-workbook-{district.state_id}{year}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- Submission detail ---------------------------------------------------------------------


def _actions(user, submission: Submission) -> dict[str, bool]:
    """Which action panels the page shows: exactly those the services would allow."""
    return {
        "certify": permissions.can_certify(user, submission),
        "claim": permissions.can_claim(user, submission),
        "review": permissions.can_review(user, submission),
        "decide": permissions.can_decide(user, submission),
        "return": permissions.can_return(user, submission),
        "release": permissions.can_release(user, submission),
    }


# --- Findings as a reviewer reads them ---


def _finding_row(finding: Finding, user) -> dict[str, Any]:
    """The context of one finding's row on its own (the htmx fragment), laid out as on the page."""
    evaluation = finding.evaluation
    same_rule = list(selectors.findings_of(evaluation=evaluation).filter(rule=finding.rule))
    names = selectors.school_names(evaluation=evaluation)
    return {
        "layout": rule_layout(finding.rule, same_rule, names),
        "names": names,
        "can_review": permissions.can_review(user, evaluation.submission),
    }


@login_required
@require_GET
def submission_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    evaluation = submission.latest_evaluation
    actions = _actions(request.user, submission)
    events = list(audit_events_visible_to(request.user, submission=submission))
    context: dict[str, Any] = {
        "container_class": "container wide",  # the findings tables need the width
        "submission": submission,
        "evaluation": evaluation,
        # One line per finding review would bury the submission's own history: they fold away.
        "events": [(e, event_label(e)) for e in events if not e.action.startswith("finding_")],
        "review_events": [(e, event_label(e)) for e in events if e.action.startswith("finding_")],
        "comments": comments_visible_to(request.user, submission=submission),
        "actions": actions,
        "pending": submission.status in PENDING,
        "certify_form": CertifyForm(),
        "comment_form": ReviewCommentForm(staff=permissions.sees_every_district(request.user)),
        "return_form": ReturnForm(auto_id="id_return_%s"),
        "decide_form": DecideForm(auto_id="id_decide_%s"),
        "release_form": ReleaseForm(auto_id="id_release_%s"),
        "reports": selectors.reports_newest_by_kind(submission=submission),
    }
    context.update(portal_detail_context(submission=submission, user=request.user))  # issue 11
    context.update(review_detail_context(submission=submission, user=request.user))  # issue 12
    if submission.status == S.RETURNED:
        context["return_note"] = selectors.return_note(submission=submission)
    if hasattr(submission, "decision"):
        context["decision"] = submission.decision
    if evaluation is not None:
        problems = evaluation.problems.all()
        errors = sum(1 for p in problems if p.severity == "error")
        warnings = sum(1 for p in problems if p.severity == "warning")
        context["problem_filter"] = ProblemFilter(request.GET or None, queryset=problems)
        context["problem_count"] = errors + warnings
        context["problem_summary"] = problem_summary(errors, warnings)
        if evaluation.outcome == EvaluationOutcome.ACCEPTED:
            all_findings = list(selectors.findings_of(evaluation=evaluation))
            finding_filter = FindingFilter(
                request.GET or None, queryset=selectors.findings_of(evaluation=evaluation), rule_names=RULE_NAMES
            )
            shown = list(finding_filter.qs)
            names = selectors.school_names(evaluation=evaluation)
            context["finding_filter"] = finding_filter
            context["findings_total"] = len(all_findings)
            context["findings_shown"] = len(shown)
            context["review_summary"] = review_summary(all_findings)
            context["finding_areas"] = finding_groups(
                all_findings, shown, names, evaluation.rule_set.params or {}, actions["review"]
            )
            context["measures"] = measures_table(evaluation.measures or {})
    return render(request, "compliance/submission_detail.html", context)


@login_required
@require_GET
def submission_status(request: AuthedRequest, pk: int) -> HttpResponse:
    """The polled status fragment; the client reloads the full page when what it shows is out of date.

    ``page`` is what the page was rendered for: "pending" reloads once checking ends (to show the
    findings), "report" once the PDF exists (to show its links).
    """
    submission = _visible_submission(request, pk)
    page_state = request.GET.get("page", "pending" if submission.status in PENDING else "report")
    stale, pending, following = _status_news(submission, page_state)
    if request.htmx and request.GET.get("wait") and not stale:
        stale, pending, following = _wait_for_news(submission, page_state)
    response = render(request, "compliance/_status.html", {
        "submission": submission, "pending": pending, "report_pending": following, "page_state": page_state,
        "status_poll_only": settings.STATUS_WAIT_SECONDS <= 0,
    })
    if request.htmx and stale:
        response["HX-Refresh"] = "true"
    return response


def _status_news(submission: Submission, page_state: str) -> tuple[bool, bool, bool]:
    """(whether the page is out of date, still checking, report still being made)."""
    pending = submission.status in PENDING
    following = report_pending(submission=submission)  # follow on until the PDF exists
    return (page_state == "pending" and not pending) or (page_state == "report" and not following), pending, following


def _now() -> float:
    return time.monotonic()


def _nap(seconds: float) -> None:
    time.sleep(seconds)


def _wait_for_news(submission: Submission, page_state: str) -> tuple[bool, bool, bool]:
    """Hold the answer until the page is out of date (at most STATUS_WAIT_SECONDS), looking
    often at first: the page learns that the check or the report is done at once, not at its
    next poll. A plain page load never waits."""
    deadline = _now() + settings.STATUS_WAIT_SECONDS
    step = 0.1
    news = _status_news(submission, page_state)
    while not news[0] and _now() < deadline:
        _nap(step)
        step = min(step * 1.5, 0.5)
        submission.refresh_from_db(fields=["status"])
        news = _status_news(submission, page_state)
    return news


@login_required
@require_GET
def report_download(request: AuthedRequest, pk: int, kind: str) -> FileResponse:
    submission = _visible_submission(request, pk)
    if kind not in ReportKind.values:
        raise Http404("No such report.")
    report = selectors.report_newest(submission=submission, kind=kind)
    if report is None:
        raise Http404("No such report.")
    name = f"{submission.district.state_id}-{submission.cycle.school_year}-v{submission.version}-{kind}.pdf"
    return FileResponse(report.file.open("rb"), as_attachment=True, filename=name, content_type="application/pdf")


@login_required
@require_GET
def export_download(request: AuthedRequest, pk: int, kind: str) -> HttpResponse:
    """The CSV exports the PDF points to, from the latest accepted evaluation."""
    submission = _visible_submission(request, pk)
    evaluation = selectors.evaluation_accepted_latest(submission=submission)
    if kind not in EXPORT_KINDS or evaluation is None:
        raise Http404("No such export.")
    name = f"{submission.district.state_id}-{submission.cycle.school_year}-v{submission.version}-{kind}.csv"
    body = services.report_export_csv(evaluation=evaluation, kind=kind)
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Writes ----------------------------------------------------------------------------------


def _run(request: AuthedRequest, submission: Submission, action, success: str) -> HttpResponse:
    """Call a service; show its refusal as a message. PermissionDenied propagates to 403."""
    try:
        action()
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except services.IllegalTransition:
        messages.error(request, "Someone else changed this submission first. Check its status and try again.")
    else:
        messages.success(request, success)
    return redirect("submission_detail", pk=submission.pk)


def _form_errors(request: AuthedRequest, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@login_required
@require_POST
def submission_certify(request: AuthedRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    form = CertifyForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("submission_detail", pk=submission.pk)
    return _run(
        request, submission,
        lambda: services.submission_certify(submission=submission, user=request.user,
                                            full_name=form.cleaned_data["full_name"],
                                            title=form.cleaned_data["title"]),
        "Certified and submitted to the state.",
    )


@login_required
@require_POST
def submission_claim(request: AuthedRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    return _run(
        request, submission,
        lambda: services.submission_claim(submission=submission, user=request.user),
        "You claimed this submission; it is in your reviews.",
    )


@login_required
@require_POST
def submission_release(request: AuthedRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    form = ReleaseForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _run(
        request, submission,
        lambda: services.submission_release(submission=submission, user=request.user, note=note),
        "Released back to the review queue.",
    )


@login_required
@require_POST
def submission_return(request: AuthedRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    form = ReturnForm(request.POST)
    form.is_valid()
    # The service checks the role before the note, so the wrong role gets 403, not a reminder.
    return _run(
        request, submission,
        lambda: services.submission_return(submission=submission, user=request.user,
                                           note=form.cleaned_data.get("note", "")),
        "Returned to the district for revision.",
    )


@login_required
@require_POST
def submission_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    form = DecideForm(request.POST)
    form.is_valid()
    return _run(
        request, submission,
        lambda: services.submission_decide(
            submission=submission, user=request.user,
            outcome=form.cleaned_data.get("outcome", ""), note=form.cleaned_data.get("note", ""),
        ),
        "Decision recorded. The decision report is being prepared.",
    )


@login_required
@require_POST
def finding_review(request: AuthedRequest, pk: int) -> HttpResponse:
    """Confirm or dismiss one finding. htmx gets just the finding's fragment back."""
    finding = selectors.finding_visible_to(user=request.user, pk=pk)
    if finding is None:
        raise Http404("No such finding.")
    submission = finding.evaluation.submission
    form = FindingReviewForm(request.POST, auto_id=f"id_%s_f{finding.pk}")
    error, status = "", 200
    if form.is_valid():
        try:
            services.finding_review(
                finding=finding, user=request.user, status=form.cleaned_data["status"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            error = _error_text(exc)
        except PermissionDenied as exc:
            if not request.htmx:
                raise
            # base.html tells htmx to swap 403s, so the refusal shows in the finding itself.
            error, status = _error_text(exc), 403
    else:
        # Iterating an ErrorList gives its messages as text; str() says so to the type checker.
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)

    if request.htmx:
        finding.refresh_from_db()
        context = finding_context(finding, **_finding_row(finding, request.user), form=form if error else None)
        context["error"] = error
        context["saved"] = not error
        return render(request, "compliance/_finding.html", context, status=status)
    if error:
        messages.error(request, f"{finding.rule}: {error}")
    else:
        label = ReviewStatus(form.cleaned_data["status"]).label.lower()
        messages.success(request, f"{finding.rule} {label}.")
    return redirect("submission_detail", pk=submission.pk)
