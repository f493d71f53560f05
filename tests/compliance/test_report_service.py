"""Reports from the database: after evaluation, and again after the decision with its reasons."""
from __future__ import annotations

import hashlib
import io
import subprocess
from unittest import mock

import pytest

from compliance import services
from compliance.demo import demo_workbook
from compliance.models import Comment, Decision, DecisionOutcome, Finding, Report, ReportKind, ReviewStatus, Submission
from compliance.services.reports import _submission_facts
from compliance.states import SubmissionStatus as S
from compliance.workbook.template import write_workbook
from districts.models import Role
from tests.factories import EvaluationFactory, FindingFactory, SubmissionFactory, user_factory


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
    assert not Report.objects.filter(evaluation=evaluation).exists()  # the draft is gone; a certified one is queued
    services.report_generate(evaluation=evaluation, kind=ReportKind.EVALUATION)
    services.submission_claim(submission=submission, user=reviewer)
    for finding in evaluation.findings.exclude(severity="info"):
        services.finding_review(finding=finding, user=reviewer, status=ReviewStatus.CONFIRMED)
    services.comment_create(submission=submission, user=reviewer, body="Grade centers keep every band integrated.",
                            visibility="district")
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


@pytest.mark.django_db
def test_the_gathering_hands_the_renderer_names_indexes_and_labels(district, cycle, submitter):
    grace = user_factory(Role.STATE_REVIEWER, username="ghopper", first_name="Grace", last_name="Hopper")
    nameless = user_factory(Role.STATE_REVIEWER, username="login-only", first_name="", last_name="")
    submission = SubmissionFactory(district=district, cycle=cycle, uploaded_by=submitter, status=S.DECIDED,
                                   reviewer=grace)
    evaluation = EvaluationFactory(submission=submission)
    findings = [FindingFactory(evaluation=evaluation) for _ in range(3)]
    Finding.objects.filter(pk=findings[1].pk).update(review_status=ReviewStatus.CONFIRMED, review_note="Checked.")
    Comment.objects.create(submission=submission, author=nameless, body="See the third.", finding=findings[2],
                           visibility="district")
    Decision.objects.create(submission=submission, outcome=DecisionOutcome.CORRECTIVE_ACTION, note="Rezone.",
                            decided_by=grace)

    facts = _submission_facts(Submission.objects.get(pk=submission.pk), evaluation)

    assert (facts.district_name, facts.district_id, facts.cycle, facts.version, facts.status) == (
        district.name, district.state_id, "2026-27", submission.version, "Decided")
    assert facts.workbook_sha256 == submission.sha256
    assert facts.decision is not None
    assert (facts.decision["outcome"], facts.decision["decided_by"], facts.decision["note"]) == (
        "Noncompliant: corrective action required", "Grace Hopper", "Rezone.")
    # A login name never reaches a public report; the comment points at the third finding.
    assert [(c["author"], c["body"], c["finding"]) for c in facts.comments] == [("State staff", "See the third.", 2)]
    assert facts.finding_reviews == {1: {"status": "confirmed", "note": "Checked."}}


@pytest.mark.django_db
def test_the_decision_report_carries_the_corrective_action_plan_in_local_time(district, cycle, submitter, settings):
    from datetime import UTC, date, datetime

    from compliance.models import ActionStatus, CorrectiveAction

    settings.TIME_ZONE = "America/Chicago"
    grace = user_factory(Role.STATE_REVIEWER, username="ghopper", first_name="Grace", last_name="Hopper")
    submission = SubmissionFactory(district=district, cycle=cycle, uploaded_by=submitter, status=S.DECIDED,
                                   reviewer=grace)
    evaluation = EvaluationFactory(submission=submission)
    findings = [FindingFactory(evaluation=evaluation) for _ in range(3)]
    Decision.objects.create(submission=submission, outcome=DecisionOutcome.CORRECTIVE_ACTION, note="Rezone.",
                            decided_by=grace, decided_at=datetime(2026, 12, 7, 16, 44, tzinfo=UTC))
    CorrectiveAction.objects.create(submission=submission, description="Adopt new zones", due_on=date(2027, 4, 1))
    CorrectiveAction.objects.create(submission=submission, description="Rebalance North Hills",
                                    due_on=date(2027, 3, 1), finding=findings[2])
    CorrectiveAction.objects.create(submission=submission, description="Publish the plan", due_on=date(2027, 2, 1),
                                    status=ActionStatus.ACCEPTED)

    facts = _submission_facts(Submission.objects.get(pk=submission.pk), evaluation)

    assert [(a["description"], a["due_on"], a["finding"]) for a in facts.corrective_actions] == [
        ("Publish the plan", date(2027, 2, 1), None), ("Rebalance North Hills", date(2027, 3, 1), 2),
        ("Adopt new zones", date(2027, 4, 1), None)]
    # The accepted action asks nothing more of the district: the next deadline is the one after it.
    assert facts.response_due == ("Next corrective action due", "March 1, 2027")
    # 16:44 UTC is 10:44 in Mississippi (CST), as the certification is printed.
    assert facts.decision is not None and facts.decision["decided_at"].strftime("%H:%M %Z") == "10:44 CST"


def test_the_reports_word_for_a_dismissal_is_the_models():
    from compliance.reports.context import DISMISSED

    assert DISMISSED == ReviewStatus.DISMISSED.value
