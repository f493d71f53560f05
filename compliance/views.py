"""Pages for district staff and state reviewers.

Thin: every write goes through ``compliance.services`` and every permission-aware read
through ``compliance.selectors``. Objects a user may not see are 404, never 403, so a URL
does not reveal that another district's submission exists.
"""
from __future__ import annotations

import functools
import io
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required as django_login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from . import permissions, selectors, services
from .filters import FindingFilter, ProblemFilter
from .forms import CertifyForm, DecideForm, FindingReviewForm, ReleaseForm
from .forms_review import ReviewCommentForm
from .http import AuthedRequest, HtmxRequest
from .models import EvaluationOutcome, Finding, ReviewStatus, Submission
from .presenters import (
    event_label,
    finding_context,
    finding_groups,
    measures_table,
    problem_summary,
    review_summary,
    rule_layout,
    scope_label,
)
from .rules.registry import RULE_NAMES
from .selectors_review import audit_events_visible_to, comments_visible_to, review_detail_context
from .services import downloads
from .services.portal import (
    NO_OPEN_CYCLE,
    live_status,
    next_action,
    portal_detail_context,
    report_pending,
    uploads_closed_now,
)
from .services.problems import problem_rows, problem_sort, problems_sorted
from .states import PENDING
from .states import SubmissionStatus as S
from .upload_drafts import upload_form


def page_before(request: HttpRequest) -> str:
    """Where a form was posted from (a same-site Referer), else the home page: where to sign back in to."""
    referer = request.headers.get("referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return reverse("home")


def login_required(view):
    """Django's login_required, except that the user signs back in to the page they were on.

    An htmx request (a poll after the session ended) gets a full-page redirect instead of the
    login page swapped into a fragment; a form posted after the session ended returns to the
    page it was posted from (its URL answers only POST), where the browser puts back what was typed.
    """
    wrapped = django_login_required(view)

    @functools.wraps(view)
    def inner(request: HtmxRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            return wrapped(request, *args, **kwargs)
        if request.htmx:
            login = redirect_to_login(request.htmx.current_url_abs_path or request.get_full_path())
            return HttpResponseClientRedirect(login["Location"])
        if request.method != "GET":
            return redirect_to_login(page_before(request))
        return wrapped(request, *args, **kwargs)

    return inner


def _visible_submission(request: AuthedRequest, pk: int) -> Submission:
    return get_object_or_404(selectors.submissions_visible_to(user=request.user), pk=pk)


def _visible_finding(request: AuthedRequest, pk: int) -> Finding:
    finding = selectors.finding_visible_to(user=request.user, pk=pk)
    if finding is None:
        raise Http404("No such finding.")
    return finding


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "That is not allowed."


# --- Home ------------------------------------------------------------------------------------


@login_required
@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    if permissions.can_view_queue(request.user):
        return redirect("review_queue")  # state staff work from the review queue (views_queue)
    return render(request, "compliance/home.html", _home_context(request))


def cycle_context() -> dict[str, Any]:
    """The open cycle, today, and the days left until it is due (negative: overdue); without an open cycle,
    the sentence that says so (``no_open_cycle``)."""
    context: dict[str, Any] = {"cycle": selectors.reporting_cycle_current(), "today": timezone.localdate()}
    if context["cycle"] is not None:
        context["days_left"] = (context["cycle"].due_on - context["today"]).days
        context["days_overdue"] = -context["days_left"]
    else:
        context["no_open_cycle"] = NO_OPEN_CYCLE
    return context


def _home_context(request: AuthedRequest) -> dict[str, Any]:
    user = request.user
    context = cycle_context()
    if permissions.works_for_districts(user):
        submissions = list(
            selectors.submissions_visible_to(user=user)
            .select_related("cycle", "uploaded_by")
            .order_by("district__name", "-cycle__school_year", "-version")
        )
        selectors.submission_counts(submissions=submissions)
        by_district: dict[int, list[Submission]] = {}
        for sub in submissions:
            by_district.setdefault(sub.district_id, []).append(sub)
        context["districts"] = [
            {
                "district": d,
                "submissions": by_district.get(d.pk, []),
                "upload_form": upload_form(request, d.pk),
                "uploads_closed": uploads_closed_now(submissions=by_district.get(d.pk, []), cycle=context["cycle"]),
                "next": next_action(user=user, submissions=by_district.get(d.pk, []), cycle=context["cycle"]),
            }
            for d in selectors.districts_visible_to(user=user)
        ]
        context["awaiting_certification"] = [e for e in context["districts"] if e["next"]["kind"] == "certify"]
    return context


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
    name = f"equity-workbook-{district.state_id}{year}.xlsx"
    downloads.download_record(user=request.user, what="Workbook template", filename=name, district=district)
    return FileResponse(
        out,
        as_attachment=True,
        filename=name,
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
    return submission_page(request, _visible_submission(request, pk))


def submission_page(request: AuthedRequest, submission: Submission, *, status: int = 200,
                    refused_finding: tuple[Finding, Any, str] | None = None, **extra: Any) -> HttpResponse:
    """The submission's page; ``extra`` replaces parts of its context (a refused form shown again
    with what was typed and its errors, ``status`` 400). ``refused_finding`` (finding, its bound
    review form, the reason): that finding's row shows the reason beside its open note form."""
    evaluation = submission.latest_evaluation
    actions = _actions(request.user, submission)
    events = list(audit_events_visible_to(request.user, submission=submission))
    context: dict[str, Any] = {
        "container_class": "container wide",  # the findings tables need the width
        "submission": submission,
        "evaluation": evaluation,
        # One line per finding review would bury the submission's own history: they fold away.
        "events": [(e, event_label(e, request.user)) for e in events if not e.action.startswith("finding_")],
        "review_events": [(e, event_label(e, request.user)) for e in events if e.action.startswith("finding_")],
        "comments": comments_visible_to(request.user, submission=submission),
        "actions": actions,
        "pending": submission.status in PENDING,
        "certify_form": CertifyForm(),
        "comment_form": ReviewCommentForm(staff=permissions.sees_every_district(request.user)),
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
        context.update(_problems_context(request, submission, evaluation))
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
            if refused_finding is not None:
                _mark_refused_row(context["finding_areas"], *refused_finding)
    context.update(extra)
    return render(request, "compliance/submission_detail.html", context, status=status)


def _finding_title(finding: Finding) -> str:
    """'INT-01, North Hills Elementary (0311)': which of a rule's many findings a message is about."""
    return f"{finding.rule}, {scope_label(finding, selectors.school_names(evaluation=finding.evaluation))}"


def _mark_refused_row(areas: list[dict[str, Any]], finding: Finding, form: Any, error: str) -> None:
    for area in areas:
        for rule in area["rules"]:
            for row in rule["rows"]:
                if row["finding"].pk == finding.pk:
                    row.update(form=form, error=error)


PROBLEMS_PER_PAGE = 100


def _problems_context(request: AuthedRequest, submission: Submission, evaluation) -> dict[str, Any]:
    """The problems table: filtered, sorted (``problem_sort``), a page at a time, each with its cell."""
    problems = evaluation.problems.all()
    severities = Counter(problems.values_list("severity", flat=True))
    problem_filter = ProblemFilter(request.GET or None, queryset=problems)
    sort = problem_sort(request.GET.get("problem_sort"))
    page = Paginator(problems_sorted(problem_filter.qs, sort), PROBLEMS_PER_PAGE).get_page(
        request.GET.get("problem_page"))
    return {
        "problem_filter": problem_filter,
        "problem_count": severities["error"] + severities["warning"],
        "problem_summary": problem_summary(severities["error"], severities["warning"]),
        "problem_sort": sort,
        "problem_page": page,
        "problem_rows": problem_rows(submission=submission, problems=page.object_list),
    }


@login_required
@require_GET
def submission_status(request: AuthedRequest, pk: int) -> HttpResponse:
    """The polled status fragment; the client reloads the full page when what it shows is out of date.

    ``page`` is what the page was rendered for: "pending" reloads once checking ends (to show the
    findings), "report" once the PDF exists (to show its links).
    """
    submission = _visible_submission(request, pk)
    page_state = request.GET.get("page", "pending" if submission.status in PENDING else "report")
    if request.htmx and request.GET.get("wait"):
        _wait_for_news(submission, page_state)
    status = live_status(submission=submission)  # follows on until the PDF exists
    stale = (page_state == "pending" and not status["pending"]) or (
        page_state == "report" and not status["report_pending"])
    response = render(request, "compliance/_status.html", {
        "submission": submission, **status, "page_state": page_state,
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
    found = downloads.report_download(submission=_visible_submission(request, pk), kind=kind, user=request.user)
    if found is None:
        raise Http404("No such report.")
    report, name = found
    return FileResponse(report.file.open("rb"), as_attachment=True, filename=name, content_type="application/pdf")


@login_required
@require_GET
def export_download(request: AuthedRequest, pk: int, kind: str) -> HttpResponse:
    """The CSV exports the PDF points to, from the latest accepted evaluation."""
    found = downloads.submission_export(submission=_visible_submission(request, pk), kind=kind, user=request.user)
    if found is None:
        raise Http404("No such export.")
    body, content_type, name = found
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- Writes ----------------------------------------------------------------------------------


def _refused(request: AuthedRequest, submission: Submission, exc: ValidationError, *,
             anchor: str = "") -> HttpResponse:
    """A refusal as a "Problem: ..." message on the submission's page (``anchor``: where on it)."""
    messages.error(request, _error_text(exc))
    return redirect(reverse("submission_detail", args=[submission.pk]) + anchor)


def _run(request: AuthedRequest, submission: Submission, action, success: str) -> HttpResponse:
    """Call a service; show its refusal as a message. PermissionDenied propagates to 403."""
    try:
        action()
    except ValidationError as exc:
        return _refused(request, submission, exc)
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
def finding_review(request: AuthedRequest, pk: int) -> HttpResponse:
    """Confirm or dismiss one finding. htmx gets just the finding's fragment back."""
    finding = _visible_finding(request, pk)
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
        # Without JavaScript: the page again with the reason in the finding's row, the note as
        # typed, and a summary at the top that links to the note (a redirect would lose both).
        return submission_page(request, submission, status=400, refused_finding=(finding, form, error),
                               finding_errors=[(form["note"].id_for_label, f"{_finding_title(finding)}: {error}")])
    label = ReviewStatus(form.cleaned_data["status"]).label.lower()
    messages.success(request, f"{_finding_title(finding)}: {label}.")
    return redirect(reverse("submission_detail", args=[submission.pk]) + f"#finding-{finding.pk}")
