"""Pages for district staff and state reviewers.

Thin: every write goes through ``compliance.services`` and every permission-aware read
through ``compliance.selectors``. Objects a user may not see are 404, never 403, so a URL
does not reveal that another district's submission exists.
"""
from __future__ import annotations

import functools
import io
from collections import OrderedDict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required as django_login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from districts.models import Role

from . import selectors, services
from .filters import ProblemFilter, ReviewQueueFilter
from .forms import CertifyForm, CommentForm, DecideForm, FindingReviewForm, ReleaseForm, ReturnForm, UploadForm
from .models import Evaluation, EvaluationOutcome, Finding, ReportingCycle, ReportKind, ReviewStatus, Submission
from .models import SubmissionStatus as S

PENDING = frozenset({S.RECEIVED, S.QUEUED, S.VALIDATING})
REVIEWER_ROLES = frozenset({Role.STATE_REVIEWER, Role.STATE_SUPERVISOR})
AREAS = {"INT": "Integration", "RES": "Resources"}

# (label, path into measures["district"]) in the order reviewers read them.
KEY_MEASURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Multigroup dissimilarity", ("dissimilarity", "multigroup")),
    ("Dissimilarity, Black and white students", ("dissimilarity", "black_white")),
    ("Dissimilarity, Hispanic and white students", ("dissimilarity", "hispanic_white")),
    ("Dissimilarity, students of color and white students", ("dissimilarity", "students_of_color_white")),
    ("Dissimilarity, economically disadvantaged and not", ("dissimilarity", "ed_not_ed")),
    ("Theil's H (entropy index)", ("theil_h",)),
    ("Isolation of Black students", ("isolation", "black")),
    ("Isolation of Hispanic students", ("isolation", "hispanic")),
    ("Isolation of students of color", ("isolation", "students_of_color")),
    ("Isolation of economically disadvantaged students", ("isolation", "ed")),
    ("Enrolled students", ("enrollment_total",)),
    ("Schools with enrollment", ("schools",)),
)


def login_required(view):
    """Django's login_required, except that an htmx request (a poll after the session ended)
    gets a full-page redirect instead of the login page swapped into a fragment."""
    wrapped = django_login_required(view)

    @functools.wraps(view)
    def inner(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.htmx and not request.user.is_authenticated:
            login = redirect_to_login(request.htmx.current_url_abs_path or request.get_full_path())
            return HttpResponseClientRedirect(login["Location"])
        return wrapped(request, *args, **kwargs)

    return inner


def _evaluation_counts() -> Prefetch:
    # distinct=True: two Counts over different joins would otherwise multiply each other.
    return Prefetch(
        "evaluations",
        queryset=Evaluation.objects.annotate(
            n_errors=Count("problems", filter=Q(problems__severity="error"), distinct=True),
            n_warnings=Count("problems", filter=Q(problems__severity="warning"), distinct=True),
            n_findings=Count("findings", filter=Q(findings__severity="finding"), distinct=True),
        ).order_by("-started_at", "-pk"),
        to_attr="evaluations_with_counts",
    )


def _open_cycle() -> ReportingCycle | None:
    # Not permission-dependent: every user may know the current cycle's dates.
    today = timezone.localdate()
    return ReportingCycle.objects.filter(opens_on__lte=today, closes_on__gte=today).order_by("-school_year").first()


def _visible_submission(request: HttpRequest, pk: int) -> Submission:
    return get_object_or_404(selectors.submissions_visible_to(user=request.user), pk=pk)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "That is not allowed."


# --- Home ------------------------------------------------------------------------------------


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "compliance/home.html", _home_context(request))


def _home_context(request: HttpRequest, upload_forms: dict[int, UploadForm] | None = None) -> dict[str, Any]:
    user = request.user
    context: dict[str, Any] = {"cycle": _open_cycle(), "today": timezone.localdate()}
    if context["cycle"] is not None:
        context["days_left"] = (context["cycle"].due_on - context["today"]).days
        context["days_overdue"] = -context["days_left"]
    if user.is_district_user:
        upload_forms = upload_forms or {}
        submissions = (
            selectors.submissions_visible_to(user=user)
            .prefetch_related(_evaluation_counts())
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
            }
            for d in selectors.districts_visible_to(user=user)
        ]
    elif user.is_state_staff or user.is_superuser:
        queue_filter = ReviewQueueFilter(
            request.GET or None,
            queryset=selectors.submissions_visible_to(user=user),
            districts=selectors.districts_visible_to(user=user),
        )
        context["queue_filter"] = queue_filter
        context["queue"] = queue_filter.qs if queue_filter.is_bound else selectors.review_queue(user=user)
        context["my_reviews"] = selectors.my_reviews(user=user)
        context["can_claim"] = user.role in REVIEWER_ROLES
    return context


@login_required
@require_POST
def submission_upload(request: HttpRequest, district_pk: int) -> HttpResponse:
    district = get_object_or_404(selectors.districts_visible_to(user=request.user), pk=district_pk)
    cycle = _open_cycle()
    if cycle is None:
        # The home page shows no upload form then, so say it as a message.
        messages.error(request, "No reporting cycle is open for submissions.")
        return redirect("home")
    form = UploadForm(request.POST, request.FILES, auto_id=f"id_%s_{district.pk}")
    if form.is_valid():
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
def template_download(request: HttpRequest, pk: int) -> HttpResponse:
    from .workbook.template import build_template

    district = get_object_or_404(selectors.districts_visible_to(user=request.user), pk=pk)
    cycle = _open_cycle() or ReportingCycle.objects.order_by("-school_year").first()
    out = io.BytesIO()
    build_template(
        out,
        district_id=district.state_id,
        district_name=district.name,
        school_year=cycle.school_year if cycle else None,
        schools=[(s.school_id, s.name) for s in district.schools.all()],
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


def _measure(measures: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = measures
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _problem_summary(errors: int, warnings: int) -> str:
    parts = []
    if errors:
        parts.append(
            f"{errors} error{'s' if errors != 1 else ''} must be fixed before the state can review this"
        )
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return "; ".join(parts) if parts else "No data problems."


def _actions(user, submission: Submission) -> dict[str, bool]:
    reviewer_here = (
        user.role in REVIEWER_ROLES
        and submission.status == S.IN_REVIEW
        and (submission.reviewer_id == user.pk or user.role == Role.STATE_SUPERVISOR)
    )
    return {
        "certify": user.role == Role.DISTRICT_CERTIFIER
        and submission.status == S.EVALUATED
        and user.districts.filter(pk=submission.district_id).exists(),
        "claim": user.role in REVIEWER_ROLES and submission.status == S.CERTIFIED,
        "review": reviewer_here,
    }


def _display(value: Any, nested: bool = False) -> str:
    """Evidence values as a reviewer reads them: rounded numbers, codes in words, nesting flattened."""
    if value is None:
        return "not applicable"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    if isinstance(value, str):
        # Codes such as "students_of_color" read better as words; sentences are left alone.
        return value.replace("_", " ") if value.isidentifier() else value
    if isinstance(value, dict):
        text = ", ".join(f"{str(k).replace('_', ' ')}: {_display(v, True)}" for k, v in value.items())
        return f"({text})" if nested else text
    if isinstance(value, (list, tuple)):
        return "; ".join(_display(v, True) for v in value)
    return str(value)


def _rows(data: Any) -> list[tuple[str, str]]:
    if not isinstance(data, dict):
        return [("value", _display(data))] if data else []
    return [(str(k).replace("_", " "), _display(v)) for k, v in data.items()]


def _finding_context(finding: Finding, can_review: bool, form: FindingReviewForm | None = None) -> dict[str, Any]:
    return {
        "finding": finding,
        "can_review": can_review,
        "form": form or FindingReviewForm(auto_id=f"id_%s_f{finding.pk}"),
        "evidence_rows": _rows(finding.evidence or {}),
        "recommendations": [
            {"title": r.get("title", ""), "body": r.get("body", ""), "estimate_rows": _rows(r.get("estimate"))}
            for r in (finding.recommendations or [])
            if isinstance(r, dict)
        ],
    }


def _status_label(value: str) -> str:
    return S(value).label if value in S.values else value


def _event_label(event) -> str:
    action = event.action.replace("status:", "").replace("_", " ")
    if event.from_status != event.to_status:
        return f"{action.capitalize()}: {_status_label(event.from_status) if event.from_status else 'new'} to {_status_label(event.to_status)}"
    return action.capitalize()


@login_required
@require_GET
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    evaluation = submission.latest_evaluation
    actions = _actions(request.user, submission)
    context: dict[str, Any] = {
        "submission": submission,
        "evaluation": evaluation,
        "events": [(e, _event_label(e)) for e in submission.audit_events.select_related("actor")],
        "comments": submission.comments.select_related("author", "finding"),
        "actions": actions,
        "pending": submission.status in PENDING,
        "certify_form": CertifyForm(),
        "comment_form": CommentForm(),
        "return_form": ReturnForm(auto_id="id_return_%s"),
        "decide_form": DecideForm(auto_id="id_decide_%s"),
        "release_form": ReleaseForm(auto_id="id_release_%s"),
        "reports": _newest_reports(submission),
    }
    if submission.status == S.RETURNED:
        returned = submission.audit_events.filter(action="returned").order_by("-created_at", "-pk").first()
        context["return_note"] = returned.note if returned else ""
    if hasattr(submission, "decision"):
        context["decision"] = submission.decision
    if evaluation is not None:
        problems = evaluation.problems.all()
        errors = sum(1 for p in problems if p.severity == "error")
        warnings = sum(1 for p in problems if p.severity == "warning")
        context["problem_filter"] = ProblemFilter(request.GET or None, queryset=problems)
        context["problem_count"] = errors + warnings
        context["problem_summary"] = _problem_summary(errors, warnings)
        if evaluation.outcome == EvaluationOutcome.ACCEPTED:
            groups: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
            for finding in evaluation.findings.select_related("reviewed_by"):
                area = AREAS.get(finding.rule.split("-")[0], "Other")
                groups.setdefault(area, []).append(_finding_context(finding, actions["review"]))
            context["finding_groups"] = groups
            district = (evaluation.measures or {}).get("district") or {}
            context["measures"] = [(label, _display(_measure(district, path))) for label, path in KEY_MEASURES]
    return render(request, "compliance/submission_detail.html", context)


@login_required
@require_GET
def submission_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The polled status fragment; once checking ends the client reloads the full page."""
    submission = _visible_submission(request, pk)
    response = render(
        request, "compliance/_status.html", {"submission": submission, "pending": submission.status in PENDING}
    )
    if request.htmx and submission.status not in PENDING:
        response["HX-Refresh"] = "true"
    return response


def _newest_reports(submission: Submission) -> list[Any]:
    newest: dict[str, Any] = {}
    for report in submission.reports.order_by("-created_at", "-pk"):
        newest.setdefault(report.kind, report)
    return list(newest.values())


@login_required
@require_GET
def report_download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    submission = _visible_submission(request, pk)
    if kind not in ReportKind.values:
        raise Http404("No such report.")
    report = submission.reports.filter(kind=kind).order_by("-created_at", "-pk").first()
    if report is None:
        raise Http404("No such report.")
    name = f"{submission.district.state_id}-{submission.cycle.school_year}-v{submission.version}-{kind}.pdf"
    return FileResponse(report.file.open("rb"), as_attachment=True, filename=name, content_type="application/pdf")


# --- Writes ----------------------------------------------------------------------------------


def _run(request: HttpRequest, submission: Submission, action, success: str) -> HttpResponse:
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


def _form_errors(request: HttpRequest, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


@login_required
@require_POST
def submission_certify(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    form = CertifyForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("submission_detail", pk=submission.pk)
    return _run(
        request, submission,
        lambda: services.submission_certify(submission=submission, user=request.user),
        "Certified and submitted to the state.",
    )


@login_required
@require_POST
def submission_claim(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    return _run(
        request, submission,
        lambda: services.submission_claim(submission=submission, user=request.user),
        "You claimed this submission; it is in your reviews.",
    )


@login_required
@require_POST
def submission_release(request: HttpRequest, pk: int) -> HttpResponse:
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
def submission_return(request: HttpRequest, pk: int) -> HttpResponse:
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
def submission_decide(request: HttpRequest, pk: int) -> HttpResponse:
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
def comment_create(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _visible_submission(request, pk)
    form = CommentForm(request.POST)
    form.is_valid()
    return _run(
        request, submission,
        lambda: services.comment_create(submission=submission, user=request.user,
                                        body=form.cleaned_data.get("body", "")),
        "Comment added.",
    )


@login_required
@require_POST
def finding_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm or dismiss one finding. htmx gets just the finding's fragment back."""
    finding = get_object_or_404(
        Finding.objects.select_related("evaluation__submission"),
        pk=pk,
        evaluation__submission__in=selectors.submissions_visible_to(user=request.user),
    )
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
        error = " ".join(e for errors in form.errors.values() for e in errors)

    if request.htmx:
        finding.refresh_from_db()
        can_review = _actions(request.user, submission)["review"]
        context = _finding_context(finding, can_review, form if error else None)
        context["error"] = error
        context["saved"] = not error
        return render(request, "compliance/_finding.html", context, status=status)
    if error:
        messages.error(request, f"{finding.rule}: {error}")
    else:
        label = ReviewStatus(form.cleaned_data["status"]).label.lower()
        messages.success(request, f"{finding.rule} {label}.")
    return redirect("submission_detail", pk=submission.pk)
