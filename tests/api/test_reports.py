"""A report PDF not made yet answers 409 ``report_not_ready`` with Retry-After, not 404; the submission says how each
report stands (``report_ready``, ``reports``). 404 stays for what you may not see and for reports none is on its way."""
from __future__ import annotations

import subprocess

import pytest
from django.conf import settings

from compliance import services
from tests.api.conftest import district_a_workbook, upload
from tests.factories import EvaluationFactory, ReportFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

NOT_READY = {"detail": "The findings report of this version is being made; ask again in 5 seconds.",
             "code": "report_not_ready"}
NOT_FOUND = {"detail": "Not found.", "code": "not_found"}


def _read(api, submission_id: int) -> tuple[bool, dict[str, str]]:
    body = api.get(f"/api/v1/submissions/{submission_id}").json()
    return body["report_ready"], body["reports"]


def _pdf(api, submission_id: int, kind: str = ""):
    return api.get(f"/api/v1/submissions/{submission_id}/report.pdf" + (f"?kind={kind}" if kind else ""))


def test_an_evaluated_submission_whose_pdf_is_not_rendered_yet_answers_409_then_the_pdf(
        api_for, submitter_a, district_a, cycle):
    sub = SubmissionFactory(district=district_a, cycle=cycle, uploaded_by=submitter_a, status="evaluated")
    evaluation = EvaluationFactory(submission=sub)  # the findings are stored; the worker has not rendered the PDF
    api = api_for(submitter_a)
    assert _read(api, sub.pk) == (False, {"evaluation": "pending", "decision": "none"})
    answer = _pdf(api, sub.pk)
    assert (answer.status_code, answer.json(), answer["Retry-After"]) == (409, NOT_READY, "5")
    # No decision report is on its way before a decision: that stays a 404.
    assert (_pdf(api, sub.pk, "decision").status_code, _pdf(api, sub.pk, "decision").json()) == (404, NOT_FOUND)

    ReportFactory(evaluation=evaluation)  # the worker stored it
    assert _read(api, sub.pk) == (True, {"evaluation": "ready", "decision": "none"})
    answer = _pdf(api, sub.pk)
    assert (answer.status_code, answer["Content-Type"]) == (200, "application/pdf")


def test_a_submission_you_may_not_see_is_404_even_while_its_report_is_on_its_way(api_for, submitter_a, district_b,
                                                                                  cycle):
    theirs = SubmissionFactory(district=district_b, cycle=cycle, status="evaluated")
    EvaluationFactory(submission=theirs)
    answer = _pdf(api_for(submitter_a), theirs.pk)
    assert (answer.status_code, answer.json()) == (404, NOT_FOUND) and "Retry-After" not in answer


# status, its evaluation's outcome (None: none yet), a findings report stored -> (reports, report.pdf's status)
STATES = {
    "being checked": ("queued", None, False, {"evaluation": "pending", "decision": "none"}, 409),
    "rejected": ("rejected", "rejected", False, {"evaluation": "none", "decision": "none"}, 404),
    "failed (system error)": ("failed", "failed", False, {"evaluation": "none", "decision": "none"}, 404),
    "certified, re-rendering": ("certified", "accepted", False, {"evaluation": "pending", "decision": "none"}, 409),
    "in review": ("in_review", "accepted", True, {"evaluation": "ready", "decision": "none"}, 200),
    "superseded, rendered": ("superseded", "accepted", True, {"evaluation": "ready", "decision": "none"}, 200),
    "superseded before rendering": ("superseded", "accepted", False, {"evaluation": "none", "decision": "none"}, 404),
}


@pytest.mark.parametrize(("status", "outcome", "rendered", "reports", "answer"), STATES.values(), ids=STATES.keys())
def test_each_status_says_how_its_findings_report_stands_and_the_download_agrees(
        api_for, submitter_a, district_a, cycle, status, outcome, rendered, reports, answer):
    sub = SubmissionFactory(district=district_a, cycle=cycle, uploaded_by=submitter_a, status=status)
    if outcome is not None:
        evaluation = EvaluationFactory(submission=sub, outcome=outcome)
        if rendered:
            ReportFactory(evaluation=evaluation)
    api = api_for(submitter_a)
    assert _read(api, sub.pk) == (reports["evaluation"] == "ready", reports)
    got = _pdf(api, sub.pk)
    assert got.status_code == answer
    assert ("Retry-After" in got) == (answer == 409)


def test_a_report_given_up_on_answers_409_report_failed_without_retry_after(api_for, submitter_a, district_a, cycle):
    sub = SubmissionFactory(district=district_a, cycle=cycle, uploaded_by=submitter_a, status="evaluated")
    EvaluationFactory(submission=sub, report_attempts=settings.REPORT_MAX_ATTEMPTS)
    api = api_for(submitter_a)
    assert _read(api, sub.pk) == (False, {"evaluation": "failed", "decision": "none"})
    answer = _pdf(api, sub.pk)
    assert (answer.status_code, answer.json()) == (409, {
        "detail": "The findings report of this version could not be made; the state's administrators see this and "
                  "can make it again.", "code": "report_failed"})
    assert "Retry-After" not in answer


def test_a_decision_report_on_its_way_answers_409(api_for, submitter_a, district_a, cycle):
    sub = SubmissionFactory(district=district_a, cycle=cycle, uploaded_by=submitter_a, status="decided")
    ReportFactory(evaluation=EvaluationFactory(submission=sub))
    api = api_for(submitter_a)
    assert _read(api, sub.pk) == (True, {"evaluation": "ready", "decision": "pending"})
    answer = _pdf(api, sub.pk, "decision")
    assert (answer.status_code, answer.json()["code"], answer["Retry-After"]) == (409, "report_not_ready", "5")
    assert answer.json()["detail"] == "The decision report of this version is being made; ask again in 5 seconds."


@pytest.mark.slow
def test_after_evaluation_and_after_certification_the_pdf_is_409_until_the_worker_renders_it(
        api_for, certifier_a, district_a, cycle, worker, tmp_path):
    api = api_for(certifier_a)
    created = upload(api, district_a.pk, district_a_workbook(tmp_path, broken=False)).json()
    assert created["reports"]["evaluation"] == "pending"  # queued: made once the check passes
    evaluation = worker(created["id"])  # evaluated; the PDF's rendering is still only queued
    assert _read(api, created["id"]) == (False, {"evaluation": "pending", "decision": "none"})
    assert (_pdf(api, created["id"]).status_code, _pdf(api, created["id"]).json()) == (409, NOT_READY)

    services.report_generate(evaluation=evaluation, kind="evaluation")  # the worker renders the draft
    assert _read(api, created["id"])[0] is True
    assert b"DRAFT" in _text(_pdf(api, created["id"]).content)

    certified = api.post(f"/api/v1/submissions/{created['id']}/certify").json()
    # Certifying drops the draft while the certified version renders: not ready, and the answer says so.
    assert (certified["report_ready"], certified["reports"]["evaluation"]) == (False, "pending")
    assert _pdf(api, created["id"]).status_code == 409

    services.report_generate(evaluation=evaluation, kind="evaluation")
    answer = _pdf(api, created["id"])
    assert answer.status_code == 200 and b"DRAFT" not in _text(answer.content)


def _text(pdf: bytes) -> bytes:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout
