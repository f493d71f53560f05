"""District portal views: the upload page (post/redirect/get), the problems exports, the session keep-alive."""
from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from districts.models import District, User

from . import permissions, selectors, services
from .filters import ProblemFilter
from .forms import UploadForm
from .services.downloads import checked_evaluation
from .services.portal import NO_OPEN_CYCLE, next_action, uploads_closed_now
from .services.problems import EXPORT_FORMATS, problem_sort, problems_export, problems_sorted
from .upload_drafts import (
    draft_clear,
    draft_interrupted,
    draft_keep,
    refusal_keep,
    refusal_pop,
    upload_form,
)
from .views import cycle_context, login_required


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)  # login_required: never anonymous here


def _district(request: HttpRequest, pk: int) -> District:
    return get_object_or_404(selectors.districts_visible_to(user=_user(request)), pk=pk)


@require_http_methods(["GET", "POST"])
def submission_upload(request: HttpRequest, district_pk: int) -> HttpResponse:
    """The upload page of one district; its form (and the home page's) posts here."""
    if not request.user.is_authenticated:
        # The session ended while the page was open: keep the note, sign in, come back to this page.
        if request.method == "POST":
            draft_keep(request, district_pk, note=request.POST.get("note", ""), interrupted=True)
        return redirect_to_login(reverse("submission_upload", args=[district_pk]))
    district = _district(request, district_pk)
    if not permissions.can_submit_for(request.user, district):
        raise PermissionDenied("You may not submit for this district.")
    if request.method == "POST":
        return _upload_post(request, district)
    return _upload_page(request, district)


def _upload_page(request: HttpRequest, district: District) -> HttpResponse:
    context = cycle_context()
    submissions = list(selectors.submissions_visible_to(user=_user(request)).filter(district=district))
    refusal = refusal_pop(request, district.pk)
    interrupted = draft_interrupted(request, district.pk)
    form = upload_form(request, district.pk)
    if interrupted:  # said once
        draft_keep(request, district.pk, note=form.initial.get("note", ""))
    errors = (refusal or {}).get("errors", {})
    context.update({
        "district": district, "form": form, "refusal": refusal, "interrupted": interrupted,
        "file_errors": errors.get("file", []), "note_errors": errors.get("note", []),
        # The summary links each message to its field, in the order of the form.
        "error_links": [(form[name].id_for_label, message) for name in ("note", "file")
                        for message in errors.get(name, [])],
        "next": next_action(user=_user(request), submissions=submissions, cycle=context["cycle"]),
        # As on the home page: no form that every post would be refused by (decided, with the state, no cycle).
        "uploads_closed": uploads_closed_now(submissions=submissions, cycle=context["cycle"]),
    })
    return render(request, "compliance/upload.html", context, status=200)


def _upload_post(request: HttpRequest, district: District) -> HttpResponse:
    cycle = selectors.reporting_cycle_current()
    if cycle is None:
        # The pages show no upload form then, so say it as a message.
        messages.error(request, NO_OPEN_CYCLE)
        return redirect("home")
    form = UploadForm(request.POST, request.FILES)
    draft_keep(request, district.pk, note=request.POST.get("note", ""))
    errors: dict[str, list[str]] = {}
    if getattr(request, "upload_too_large", False):  # set by compliance.uploads
        errors["file"] = [services.upload_too_large_message()]
    elif form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            submission = services.submission_create(
                district=district, cycle=cycle, uploaded_by=_user(request), fileobj=upload, filename=upload.name,
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            errors["file"] = list(exc.messages)
        else:
            draft_clear(request, district.pk)
            messages.success(
                request, f"Version {submission.version} was received. It is being checked; this page updates itself."
            )
            return redirect("submission_detail", pk=submission.pk)
    else:
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    upload = request.FILES.get("file")
    refusal_keep(request, district.pk, errors, (upload.name or "") if upload else "")
    # Post/redirect/get: reloading the page that shows the refusal never sends the file again.
    return redirect("submission_upload", district_pk=district.pk)


@login_required
@require_GET
def problems_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The problems table as CSV or XLSX, filtered and sorted as on the page (the link carries the query)."""
    submission = get_object_or_404(selectors.submissions_visible_to(user=_user(request)), pk=pk)
    evaluation = checked_evaluation(submission)
    if fmt not in EXPORT_FORMATS or evaluation is None:
        raise Http404("No such export.")
    shown = ProblemFilter(request.GET or None, queryset=evaluation.problems.all()).qs
    body, content_type, name = problems_export(
        submission=submission, user=_user(request), fmt=fmt,
        problems=problems_sorted(shown, problem_sort(request.GET.get("problem_sort"))),
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def session_keepalive(request: HttpRequest) -> JsonResponse:
    """Any request renews the session (SESSION_SAVE_EVERY_REQUEST); this one says for how long."""
    return JsonResponse({"expires_in": request.session.get_expiry_age()})
