"""Submissions: upload a workbook, read its status, problems and findings, download its files, certify."""
import dataclasses

import orjson
import pydantic
from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import File, Router, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestValidationError
from ninja.files import UploadedFile
from ninja.pagination import paginate

from api.errors import ApiError
from api.schemas import CertifyIn, ErrorOut, FindingOut, ProblemOut, SubmissionOut
from compliance import permissions, selectors, services
from compliance.forms import CertifyForm
from compliance.models import (
    API_ATTESTATION_NOTE,
    DEFAULT_ATTESTATION,
    THROUGH_API,
    Certification,
    CertificationVia,
    EvaluationOutcome,
    ReportKind,
    Submission,
)
from compliance.selectors_review import status_changed_at_shown_to, status_shown_to
from compliance.services import downloads
from compliance.services.downloads import (
    XLSX,
    checked_problems,
    submission_marked_workbook,
    submission_original,
    submission_problem_cells,
)
from compliance.services.portal import (
    NO_OPEN_CYCLE,
    REPORT_FAILED,
    REPORT_PENDING,
    REPORT_READY,
    report_readiness,
)

from .common import ERRORS, Id, Pagination, binary_file, file_response, visible_submission

router = Router(tags=["submissions"])


def submission_out(submission: Submission, user) -> dict:
    """The submission as ``user`` reads it: a district is told a proposed noncompliance is still in state review."""
    evaluation = submission.evaluations.order_by("-started_at", "-pk").first()
    # The pages', e-mails' and PDF's counts (warnings: the data's and the rules' together).
    counts = None if evaluation is None or evaluation.outcome == EvaluationOutcome.RUNNING else dataclasses.asdict(
        selectors.evaluation_counts(evaluation_ids=[evaluation.pk])[evaluation.pk])
    status = status_shown_to(user, status=submission.status)
    reports = {kind.value: report_readiness(submission=submission, kind=kind) for kind in ReportKind}
    return {
        "id": submission.pk, "district_id": submission.district_id, "cycle_id": submission.cycle_id,
        "school_year": submission.cycle.school_year, "version": submission.version,
        "status": status.value, "status_label": status.label,
        "status_changed_at": status_changed_at_shown_to(user, submission=submission),
        "receipt": {"filename": submission.original_filename, "size": submission.size, "sha256": submission.sha256,
                    "received_at": submission.uploaded_at, "uploaded_by": submission.uploaded_by.username},
        "evaluation_outcome": evaluation.outcome if evaluation else None,
        "counts": counts,
        "certification": _certification_out(getattr(submission, "certification", None)),
        "report_ready": reports[ReportKind.EVALUATION] == REPORT_READY,
        "reports": reports,
    }


def _certification_out(certification: Certification | None) -> dict | None:
    if certification is None:
        return None
    return {"signer_name": certification.full_name, "signer_title": certification.title,
            "certified_at": certification.certified_at, "via": certification.via or None,
            "signed": certification.signed, "attestation": certification.attestation}


@router.post("/districts/{district_id}/submissions", response={201: SubmissionOut, 413: ErrorOut, **ERRORS})
def submission_create(request, district_id: Id, file: UploadedFile | None = File(None)):  # noqa: B008
    """Upload a workbook for the open cycle, exactly as the web page does (same checks, limits, receipt)."""
    district = selectors.districts_visible_to(user=request.user).filter(pk=district_id).first()
    if district is None:
        raise Http404("No such district.")
    if getattr(request, "upload_too_large", False):  # set by compliance.uploads, as for the web page
        raise ApiError(413, "upload_too_large", services.upload_too_large_message())
    if file is None:
        raise ApiError(422, "invalid_request", "Send the workbook as the multipart field 'file'.")
    cycle = selectors.reporting_cycle_current()
    if cycle is None:
        raise ApiError(409, "no_open_cycle", NO_OPEN_CYCLE)
    submission = services.submission_create(district=district, cycle=cycle, uploaded_by=request.user,
                                            fileobj=file, filename=file.name or "workbook.xlsx")
    return Status(201, submission_out(submission, request.user))


@router.get("/submissions/{submission_id}", response={200: SubmissionOut, **ERRORS})
def submission_read(request, submission_id: Id):
    """A submission's status (the product's status codes), version, receipt and counts."""
    return submission_out(visible_submission(request, submission_id), request.user)


@router.get("/submissions/{submission_id}/problems", response={200: list[ProblemOut], **ERRORS})
@paginate(Pagination)
def problem_list(request, submission_id: Id):
    """The data problems of the newest check, each with its cell reference where it has one."""
    submission = visible_submission(request, submission_id)
    problems = checked_problems(submission) or []
    cells = submission_problem_cells(submission=submission, problems=problems)
    return [{"id": p.pk, "code": p.code, "severity": p.severity, "sheet": p.sheet, "row": p.row, "column": p.column,
             "cell": cell, "value": p.value, "message": p.message, "fix": p.fix} for p, cell in zip(problems, cells)]


@router.get("/submissions/{submission_id}/findings", response={200: list[FindingOut], **ERRORS})
@paginate(Pagination)
def finding_list(request, submission_id: Id):
    """The findings and warnings of the newest accepted evaluation (none before one exists)."""
    submission = visible_submission(request, submission_id)
    evaluation = selectors.evaluation_accepted_latest(submission=submission)
    if evaluation is None:
        return []
    return [{"id": f.pk, "rule": f.rule, "severity": f.severity, "scope": f.scope, "school_id": f.school_id,
             "band": f.band, "message": f.message, "evidence": f.evidence if isinstance(f.evidence, dict) else {},
             "recommendations": f.recommendations if isinstance(f.recommendations, list) else [],
             "review_status": f.review_status} for f in selectors.findings_of(evaluation=evaluation)]


REPORT_RETRY_AFTER_SECONDS = 5  # a findings report usually renders within seconds of its evaluation or certification
REPORT_ANSWERS = binary_file("The PDF report.", "application/pdf")
REPORT_ANSWERS["responses"].update({
    404: {"description": "No such submission visible to you, or no report of this kind now and none on its way "
                         "(`reports` of the submission says `none`)."},
    409: {"description": "`report_not_ready`: a report of a submission you may see, not made yet and on its way "
                         "(`reports` says `pending`); ask again after Retry-After seconds. `report_failed`: it "
                         "could not be made and waits for the state's administrators (`failed`).",
          "headers": {"Retry-After": {"description": "Seconds to wait before asking again (report_not_ready).",
                                      "schema": {"type": "integer"}}}},
})


@router.get("/submissions/{submission_id}/report.pdf", response=ERRORS, openapi_extra=REPORT_ANSWERS)
def report_download(request, submission_id: Id, kind: ReportKind = ReportKind.EVALUATION):
    """The newest PDF report of the submission (the findings report, or ``kind=decision``); 409 while it is being
    made (``reports`` of the submission says how each stands)."""
    submission = visible_submission(request, submission_id)
    found = downloads.report_download(submission=submission, kind=kind, user=request.user, via="api")
    if found is None:
        readiness, name = report_readiness(submission=submission, kind=kind), kind.label
        if readiness == REPORT_PENDING:
            raise ApiError(409, "report_not_ready", f"The {name.lower()} of this version is being made; ask again in "
                           f"{REPORT_RETRY_AFTER_SECONDS} seconds.",
                           headers={"Retry-After": str(REPORT_RETRY_AFTER_SECONDS)})
        if readiness == REPORT_FAILED:
            raise ApiError(409, "report_failed", f"The {name.lower()} of this version could not be made; the "
                           "state's administrators see this and can make it again.")
        raise Http404("No report.")
    report, filename = found
    with report.file.open("rb") as f:
        return file_response(f.read(), "application/pdf", filename)


@router.get("/submissions/{submission_id}/marked.xlsx", response=ERRORS,
            openapi_extra=binary_file("The marked workbook.", XLSX))
def marked_download(request, submission_id: Id):
    """The uploaded workbook with every problem cell highlighted and commented, and a Problems sheet."""
    marked = submission_marked_workbook(submission=visible_submission(request, submission_id), user=request.user,
                                        via="api")
    if marked is None:
        raise Http404("The workbook has not been checked yet.")
    return file_response(*marked)


@router.get("/submissions/{submission_id}/original.xlsx", response=ERRORS,
            openapi_extra=binary_file("The workbook as uploaded.", XLSX))
def original_download(request, submission_id: Id):
    """The uploaded workbook exactly as stored."""
    return file_response(*submission_original(submission=visible_submission(request, submission_id),
                                              user=request.user, via="api"))


# The body is optional, and read here rather than by ninja, so that every call that certified before still does
# the same: no body, an empty JSON object, a form, or any body naming none of the three fields is a call without
# a signature. JSON is read whatever its content type (as ninja reads bodies): ``curl -d '{...}'`` signs too.
SIGNATURE_FIELDS = frozenset(CertifyIn.model_fields)
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
_NAME_MAX = CertifyForm.base_fields["full_name"].max_length  # type: ignore[attr-defined]
CERTIFY_BODY = (
    "Optional. The certifier's signature, validated exactly as the web form validates it (the same form and "
    f"service): `signer_name` and `signer_title` typed (at most {_NAME_MAX} characters each) and `attest` true. "
    f"Recorded, and shown on the pages, e-mails and PDF, as signed {THROUGH_API}.\n\n"
    "The attestation is the cycle's (`attestation` of GET /api/v1/cycles); unless the state words its own for "
    f"the cycle, it reads: \u201c{DEFAULT_ATTESTATION}\u201d\n\n"
    "Without a body (or with a body naming none of the three fields) the call certifies in the name and role of "
    "the token's account, and carries that attestation, made by the token's user. It is recorded so, and the pages, "
    f"e-mails and PDF say it was certified {THROUGH_API} and that {API_ATTESTATION_NOTE}, never that a name was "
    "typed or the statement signed."
)


def _signature(request) -> CertifyIn | None:
    """The signature the body carries, or None for a call without one; 400 for JSON that does not parse, 422 for
    a form naming the signature's fields or a body not the schema's."""
    body = request.body
    if not body.strip():
        return None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        if "json" in request.content_type:
            raise HttpError(400, "Cannot parse request body") from None
        # A form naming the signature's fields: 422 invalid_request, asking for it as JSON.
        if request.content_type in FORMS and SIGNATURE_FIELDS & set(request.POST):
            raise ApiError(422, "invalid_request", "Send signer_name, signer_title and attest as a JSON body "
                           "(Content-Type: application/json).") from None
        return None
    if not isinstance(data, dict) or not SIGNATURE_FIELDS & set(data):
        return None
    try:
        return CertifyIn.model_validate(data)
    except pydantic.ValidationError as exc:
        raise RequestValidationError([dict(e) for e in exc.errors(include_url=False)]) from None


@router.post("/submissions/{submission_id}/certify", response={200: SubmissionOut, **ERRORS}, openapi_extra={
    "requestBody": {"required": False, "description": CERTIFY_BODY,
                    "content": {"application/json": {"schema": CertifyIn.model_json_schema()}}}})
def submission_certify(request, submission_id: Id):
    """Certify an evaluated submission (district certifiers of its district only): signed in the body, or without a
    body as the token's account (see the request body)."""
    signature = _signature(request)
    submission = visible_submission(request, submission_id)
    if signature is None:
        services.submission_certify(submission=submission, user=request.user, via=CertificationVia.API)
        return submission_out(submission, request.user)
    # Who may certify and whether this version can be certified now (certify_refusal: 403, 409 or 400) come before
    # what was typed (the form: 400). The web page does it the other way round: it checks the form first and leaves
    # the refusal to the service. The body's shape (_signature: 400, 422) is checked before both, and before the 404.
    permissions.enforce(permissions.certify_refusal(request.user, submission))
    form = CertifyForm({"full_name": signature.signer_name, "title": signature.signer_title,
                        "confirm": signature.attest})
    if not form.is_valid():
        raise ValidationError([message for messages in form.errors.values() for message in messages])
    services.submission_certify(submission=submission, user=request.user, full_name=form.cleaned_data["full_name"],
                                title=form.cleaned_data["title"], via=CertificationVia.API)
    return submission_out(submission, request.user)
