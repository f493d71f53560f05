"""Reports from the database: after evaluation, and again after the decision with its reasons."""
from __future__ import annotations

import hashlib
import io
import subprocess
from unittest import mock

import pytest

from compliance import services
from compliance.demo import demo_workbook
from compliance.models import DecisionOutcome, Report, ReportKind, ReviewStatus
from compliance.workbook.template import write_workbook


def text_of(report: Report) -> str:
    with report.file.open("rb") as fh:
        pdf = fh.read()
    assert hashlib.sha256(pdf).hexdigest() == report.sha256 and len(pdf) == report.size
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return " ".join(out.decode().split())


@pytest.mark.django_db
def test_evaluation_report_then_decision_report(submitter, certifier, reviewer, district, cycle,
                                                django_capture_on_commit_callbacks):
    data = demo_workbook("grade_center", cycle.school_year)
    data.district.district_id = district.state_id
    buffer = io.BytesIO()
    write_workbook(buffer, data)
    buffer.seek(0)
    with mock.patch("compliance.tasks.evaluate_submission.delay"):
        submission = services.submission_create(district=district, cycle=cycle, uploaded_by=submitter,
                                                fileobj=buffer, filename="gc.xlsx")
    with mock.patch("compliance.tasks.render_report.delay"):
        evaluation = services.submission_evaluate(submission_id=submission.pk)
    first = services.report_generate(evaluation=evaluation, kind=ReportKind.EVALUATION)
    assert services.report_generate(evaluation=evaluation, kind=ReportKind.EVALUATION).pk == first.pk  # idempotent
    before = text_of(first)
    assert submission.sha256 in before and "State default" in before
    assert "Decision" not in before.split("Contents")[0]

    submission.refresh_from_db()
    services.submission_certify(submission=submission, user=certifier)
    services.submission_claim(submission=submission, user=reviewer)
    for finding in evaluation.findings.exclude(severity="info"):
        services.finding_review(finding=finding, user=reviewer, status=ReviewStatus.CONFIRMED)
    services.comment_create(submission=submission, user=reviewer, body="Grade centers keep every band integrated.")
    with mock.patch("compliance.tasks.render_report.delay") as delay, \
            django_capture_on_commit_callbacks(execute=True):
        services.submission_decide(submission=submission, user=reviewer, outcome=DecisionOutcome.COMPLIANT,
                                   note="The district meets the integration and comparability duties.")
    delay.assert_called_once_with(evaluation_id=evaluation.pk, kind=ReportKind.DECISION)  # queued by the decision
    decision_report = services.report_generate(evaluation=evaluation, kind=ReportKind.DECISION)
    after = text_of(decision_report)
    assert "The district meets the integration and comparability duties." in after
    assert "Grade centers keep every band integrated." in after
    assert "Compliant" in after
    assert Report.objects.filter(evaluation=evaluation).count() == 2
