"""The recovery rules one by one, in process: what the sweep sends, leases, attempts, broker errors, certify.

The process tests beside this file show the rules working together under real kills and outages;
these pin each rule down with hand-set rows and clocks, fast.
"""
from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from compliance import services
from compliance.admin import SubmissionAdmin
from compliance.models import AuditEvent, EvaluationOutcome, Report, ReportKind, Submission
from compliance.models import SubmissionStatus as S
from tests.factories import EvaluationFactory, ReportFactory, SubmissionFactory

from .processes import workbook_for

BROKER_DOWN = OperationalError("Error 111 connecting to 127.0.0.1:6391. Connection refused.")


def _upload(user, district, cycle, data=None):
    with mock.patch("compliance.tasks.evaluate_submission.delay"):
        return services.submission_create(
            district=district, cycle=cycle, uploaded_by=user, filename="w.xlsx",
            fileobj=data or workbook_for(district.state_id, cycle.school_year))


def _ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


def _sweep() -> tuple[dict[str, int], list, list]:
    with mock.patch("compliance.tasks.evaluate_submission.delay") as evaluate, \
            mock.patch("compliance.tasks.render_report.delay") as render:
        counts = services.pipeline_sweep()
    return counts, [c.kwargs for c in evaluate.call_args_list], [c.kwargs for c in render.call_args_list]


@pytest.mark.django_db
def test_upload_while_the_broker_is_down_is_kept_queued_and_answers_normally(
        client, submitter, district, cycle, django_capture_on_commit_callbacks):
    client.force_login(submitter)
    upload = workbook_for(district.state_id, cycle.school_year)
    upload.name = "w.xlsx"
    with mock.patch("compliance.tasks.evaluate_submission.delay", side_effect=BROKER_DOWN) as delay, \
            django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("submission_upload", args=[district.pk]), {"file": upload})
    submission = Submission.objects.get(district=district)
    assert response.status_code == 302 and response["Location"] == reverse("submission_detail", args=[submission.pk])
    delay.assert_called_once_with(submission_id=submission.pk)  # tried, failed, logged
    assert submission.status == S.QUEUED and submission.dispatched_at is not None
    with submission.file.open("rb") as fh:
        assert fh.read() == upload.getvalue()  # the file is safe


@pytest.mark.django_db
def test_sweep_sends_again_what_sat_queued_past_the_bound_once_per_bound(submitter, district, cycle, settings):
    settings.SWEEP_QUEUED_AFTER_SECONDS = 60
    submission = _upload(submitter, district, cycle)
    assert _sweep()[1] == []  # just sent by the upload
    Submission.objects.filter(pk=submission.pk).update(dispatched_at=_ago(61))
    counts, evaluations, _ = _sweep()
    assert evaluations == [{"submission_id": submission.pk}] and counts["evaluations"] == 1
    assert _sweep()[1] == []  # not again until another bound has passed
    Submission.objects.filter(pk=submission.pk).update(dispatched_at=_ago(61))
    with mock.patch("compliance.tasks.evaluate_submission.delay", side_effect=BROKER_DOWN):
        assert services.pipeline_sweep() == {"evaluations": 0, "reports": 0}  # logged, no exception


@pytest.mark.django_db
def test_sweep_sends_again_an_evaluation_whose_lease_ran_out_and_leaves_a_live_one(submitter, district, cycle,
                                                                                    settings):
    settings.EVALUATION_LEASE_SECONDS = 60
    submission = _upload(submitter, district, cycle)
    services.submission_claim_for_evaluation(submission_id=submission.pk)
    Submission.objects.filter(pk=submission.pk).update(dispatched_at=_ago(3600))
    assert _sweep()[1] == []  # a live worker holds the lease
    Submission.objects.filter(pk=submission.pk).update(lease_expires_at=_ago(1))
    assert _sweep()[1] == [{"submission_id": submission.pk}]
    assert _sweep()[1] == []  # that message may still be waiting: once per lease period


@pytest.mark.django_db
def test_sweep_renders_missing_reports_only(submitter, district, cycle, settings):
    settings.SWEEP_REPORT_AFTER_SECONDS = 300
    long_ago = _ago(301)
    missing = EvaluationFactory(submission__status=S.EVALUATED, outcome=EvaluationOutcome.ACCEPTED,
                                finished_at=long_ago)
    present = EvaluationFactory(submission__status=S.CERTIFIED, outcome=EvaluationOutcome.ACCEPTED,
                                finished_at=long_ago)
    ReportFactory(evaluation=present, submission=present.submission, kind=ReportKind.EVALUATION)
    EvaluationFactory(submission__status=S.EVALUATED, outcome=EvaluationOutcome.ACCEPTED,
                      finished_at=_ago(10))  # just finished: its report is probably rendering
    EvaluationFactory(submission__status=S.REJECTED, outcome=EvaluationOutcome.REJECTED, finished_at=long_ago)
    counts, _, renders = _sweep()
    assert renders == [{"evaluation_id": missing.pk, "kind": ReportKind.EVALUATION}] and counts["reports"] == 1
    assert _sweep()[2] == []


@pytest.mark.django_db
def test_broker_error_after_evaluation_keeps_it_evaluated_with_findings(submitter, district, cycle,
                                                                       django_capture_on_commit_callbacks):
    submission = _upload(submitter, district, cycle)
    with mock.patch("compliance.tasks.render_report.delay", side_effect=BROKER_DOWN) as render, \
            django_capture_on_commit_callbacks(execute=True):
        evaluation = services.submission_evaluate(submission_id=submission.pk)
    render.assert_called_once_with(evaluation_id=evaluation.pk, kind=ReportKind.EVALUATION)
    submission.refresh_from_db()
    evaluation.refresh_from_db()
    assert (submission.status, evaluation.outcome) == (S.EVALUATED, EvaluationOutcome.ACCEPTED)
    assert evaluation.findings.filter(rule="INT-02", school_id="0316").exists()
    assert submission.latest_evaluation == evaluation and submission.lease_expires_at is None
    assert not Report.objects.exists()  # the sweep renders it later (test above)


@pytest.mark.django_db
def test_no_certification_without_an_accepted_evaluation(certifier, district, cycle):
    bare = SubmissionFactory(district=district, cycle=cycle, status=S.EVALUATED)
    EvaluationFactory(submission=bare, outcome=EvaluationOutcome.ERROR)
    with pytest.raises(ValidationError, match="no completed evaluation"):
        services.submission_certify(submission=bare, user=certifier)
    assert Submission.objects.get(pk=bare.pk).status == S.EVALUATED
    EvaluationFactory(submission=bare, outcome=EvaluationOutcome.ACCEPTED)
    assert services.submission_certify(submission=bare, user=certifier).status == S.CERTIFIED


@pytest.mark.django_db
def test_dead_attempts_end_failed_with_a_note_and_the_admin_queues_it_again(submitter, district, cycle, settings,
                                                                            rf, supervisor,
                                                                            django_capture_on_commit_callbacks):
    settings.EVALUATION_MAX_ATTEMPTS = 3
    submission = _upload(submitter, district, cycle)
    assert services.submission_claim_for_evaluation(submission_id=submission.pk).attempts == 1
    for attempt in (2, 3):
        Submission.objects.filter(pk=submission.pk).update(lease_expires_at=_ago(1))
        assert services.submission_claim_for_evaluation(submission_id=submission.pk).attempts == attempt
    Submission.objects.filter(pk=submission.pk).update(lease_expires_at=_ago(1))
    assert services.submission_claim_for_evaluation(submission_id=submission.pk) is None
    submission.refresh_from_db()
    assert submission.status == S.FAILED and submission.lease_expires_at is None
    assert AuditEvent.objects.get(submission=submission, to_status=S.FAILED).note == services.attempts_note(3)

    admin = SubmissionAdmin(Submission, None)
    request = rf.post("/admin/")
    request.user = supervisor
    with mock.patch("compliance.tasks.evaluate_submission.delay") as delay, \
            mock.patch.object(admin, "message_user"), django_capture_on_commit_callbacks(execute=True):
        admin.requeue_failed(request, Submission.objects.filter(pk=submission.pk))
    submission.refresh_from_db()
    assert (submission.status, submission.attempts) == (S.QUEUED, 0)  # a fresh set of attempts
    delay.assert_called_once_with(submission_id=submission.pk)


@pytest.mark.django_db(transaction=True)
def test_the_lease_is_renewed_while_the_evaluation_runs(submitter, district, cycle, settings):
    settings.EVALUATION_LEASE_SECONDS = 0.6  # renewed every 0.2 s
    submission = _upload(submitter, district, cycle)
    services.submission_claim_for_evaluation(submission_id=submission.pk)
    seen = []

    def slow_run(*, submission, **_):
        for _ in range(4):
            time.sleep(0.3)
            seen.append(Submission.objects.get(pk=submission.pk).lease_expires_at)
        raise RuntimeError("stop here")

    Submission.objects.filter(pk=submission.pk).update(lease_expires_at=_ago(1))
    with mock.patch("compliance.services.evaluation.evaluation_run", side_effect=slow_run), \
            pytest.raises(RuntimeError):
        services.submission_evaluate(submission_id=submission.pk)
    assert all(later > earlier for earlier, later in zip(seen, seen[1:]))  # moved on at every look
    assert Submission.objects.get(pk=submission.pk).status == S.FAILED


