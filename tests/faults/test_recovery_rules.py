"""The recovery rules one by one, in process: what the sweep sends, leases, attempts, broker errors, certify.

The process tests beside this file show the rules working together under real kills and outages;
these pin each rule down with hand-set rows and clocks, fast.
"""
from __future__ import annotations

import threading
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
from compliance.models import AuditEvent, Evaluation, EvaluationOutcome, Report, ReportKind, Submission
from compliance.models import SubmissionStatus as S
from compliance.services import sweeper
from config.celery import app
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
        assert services.pipeline_sweep() == {"evaluations": 0, "reports": 0, "notifications": 0}  # logged


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




# --- Sends never hold a caller -------------------------------------------------------------------


class _HungBroker:
    """A ``delay`` that blocks until released, then fails as a socket timeout would."""

    def __init__(self) -> None:
        self.release, self.calls = threading.Event(), []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        self.release.wait(10)
        raise BROKER_DOWN


def test_a_hung_broker_costs_a_caller_the_send_wait_once_and_later_sends_nothing(settings):
    settings.BROKER_SEND_WAIT_MS, settings.BROKER_BACKOFF_SECONDS = 300, 60
    hung = _HungBroker()
    with mock.patch("compliance.tasks.evaluate_submission.delay", side_effect=hung):
        started = time.monotonic()
        assert services.evaluation_dispatch(submission_id=1) is False  # gave up waiting, not sending
        first = time.monotonic() - started
        started = time.monotonic()
        assert services.evaluation_dispatch(submission_id=2) is False  # queued behind it: no wait at all
        second = time.monotonic() - started
        hung.release.set()  # the first send times out now; the queued one finds the failure remembered
        deadline = time.monotonic() + 10
        while not sweeper._sender.broker_down() and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        assert services.evaluation_dispatch(submission_id=3) is False  # left to the sweep at once
        third = time.monotonic() - started
    assert 0.3 <= first < 1.5 and second < 0.2 and third < 0.2, (first, second, third)
    assert hung.calls == [{"submission_id": 1}]  # 2 and 3 never reached the hung broker


def test_a_send_queued_behind_a_slow_one_still_goes_out(settings):
    settings.BROKER_SEND_WAIT_MS = 100
    slow, sent = threading.Event(), []

    def delay(**kwargs):
        sent.append(kwargs)
        if kwargs["submission_id"] == 1:
            slow.wait(10)  # a slow but healthy broker: it answers in the end

    with mock.patch("compliance.tasks.evaluate_submission.delay", side_effect=delay):
        assert services.evaluation_dispatch(submission_id=1) is False
        assert services.evaluation_dispatch(submission_id=2) is False
        slow.set()
        deadline = time.monotonic() + 10
        while len(sent) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert services.evaluation_dispatch(submission_id=3) is True  # healthy again: waited for and sent
    assert sent == [{"submission_id": 1}, {"submission_id": 2}, {"submission_id": 3}]  # in order, none lost


def test_a_failed_send_is_remembered_for_the_backoff_then_tried_again(settings):
    settings.BROKER_BACKOFF_SECONDS = 1
    with mock.patch("compliance.tasks.evaluate_submission.delay", side_effect=BROKER_DOWN) as down:
        assert services.evaluation_dispatch(submission_id=1) is False
        assert services.evaluation_dispatch(submission_id=2) is False
    assert down.call_count == 1  # the second send did not wait for a broker known to be down
    time.sleep(1.1)
    with mock.patch("compliance.tasks.evaluate_submission.delay") as up:
        assert services.evaluation_dispatch(submission_id=3) is True
    up.assert_called_once_with(submission_id=3)


def test_an_eager_task_runs_on_the_callers_thread():
    threads, eager = [], app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with mock.patch("compliance.tasks.evaluate_submission.delay",
                        side_effect=lambda **kw: threads.append(threading.current_thread())):
            assert services.evaluation_dispatch(submission_id=1) is True
    finally:
        app.conf.task_always_eager = eager
    assert threads == [threading.current_thread()]  # on the test's database connection, not the sender's


# --- A report that always fails --------------------------------------------------------------------


RENDER_FAILS = RuntimeError("the PDF renderer ran out of memory")


def _render_failing(evaluation, error: BaseException = RENDER_FAILS):
    with mock.patch("compliance.services.report_attempts.report_generate", side_effect=error), \
            pytest.raises(type(error)):
        services.report_render(evaluation_id=evaluation.pk, kind=ReportKind.EVALUATION)
    evaluation.refresh_from_db()
    return evaluation


@pytest.mark.django_db
def test_a_report_that_always_fails_is_sent_at_most_the_cap_and_then_waits_for_staff(settings, client, submitter,
                                                                                      district):
    settings.SWEEP_REPORT_AFTER_SECONDS, settings.REPORT_MAX_ATTEMPTS = 300, 3
    evaluation = EvaluationFactory(submission__district=district, submission__status=S.EVALUATED,
                                   outcome=EvaluationOutcome.ACCEPTED, finished_at=_ago(301))
    sent = []
    for attempt in (1, 2, 3):  # the render queued by the evaluation, then the sweep's two
        assert _render_failing(evaluation).report_attempts == attempt
        assert "RuntimeError: the PDF renderer ran out of memory" in evaluation.report_error
        Evaluation.objects.filter(pk=evaluation.pk).update(reports_dispatched_at=_ago(301))  # the bound passes
        sent.append(_sweep()[2])
    assert sent == [[{"evaluation_id": evaluation.pk, "kind": ReportKind.EVALUATION}]] * 2 + [[]]
    Evaluation.objects.filter(pk=evaluation.pk).update(reports_dispatched_at=_ago(3600))
    assert _sweep()[2] == []  # never again by itself, however long it waits

    client.force_login(submitter)
    page = client.get(reverse("submission_detail", args=[evaluation.submission_id])).content.decode()
    assert "could not be made" in page and "being prepared" not in page and "hx-trigger" not in page


@pytest.mark.django_db
def test_a_worker_that_dies_mid_render_counts_as_an_attempt(settings):
    evaluation = EvaluationFactory(submission__status=S.EVALUATED, outcome=EvaluationOutcome.ACCEPTED)
    died = _render_failing(evaluation, error=SystemExit(-9))  # no except clause runs: as a SIGKILL
    assert (died.report_attempts, died.report_error) == (1, "")


@pytest.mark.django_db
def test_staff_make_a_given_up_report_again_and_a_stored_report_resets_the_count(settings, rf, supervisor,
                                                                                 django_capture_on_commit_callbacks):
    settings.REPORT_MAX_ATTEMPTS = 2
    evaluation = EvaluationFactory(submission__status=S.DECIDED, outcome=EvaluationOutcome.ACCEPTED,
                                   finished_at=_ago(3600))
    ReportFactory(evaluation=evaluation, submission=evaluation.submission, kind=ReportKind.EVALUATION)
    for _ in range(2):
        _render_failing(evaluation)
    submissions = Submission.objects.filter(pk=evaluation.submission_id)
    assert list(submissions.filter(evaluations__report_attempts__gte=2)) == list(submissions)  # the admin filter

    admin = SubmissionAdmin(Submission, None)
    request = rf.post("/admin/")
    request.user = supervisor
    with mock.patch("compliance.tasks.render_report.delay") as render, \
            mock.patch.object(admin, "message_user") as told, django_capture_on_commit_callbacks(execute=True):
        admin.reports_again(request, submissions)
    render.assert_called_once_with(evaluation_id=evaluation.pk, kind=ReportKind.DECISION)  # only the missing one
    assert "decision report is being made again" in told.call_args.args[1]
    evaluation.refresh_from_db()
    assert (evaluation.report_attempts, evaluation.report_error) == (0, "")
    event = AuditEvent.objects.get(submission=evaluation.submission, action="reports_requeued")
    assert event.actor == supervisor and "RuntimeError" in event.note

    with mock.patch("compliance.services.report_attempts.report_generate") as generate:
        services.report_render(evaluation_id=evaluation.pk, kind=ReportKind.DECISION)
    generate.assert_called_once()
    evaluation.refresh_from_db()
    assert evaluation.report_attempts == 0
    with mock.patch.object(admin, "message_user") as told:
        admin.reports_again(request, Submission.objects.filter(pk=ReportFactory(
            evaluation=evaluation, submission=evaluation.submission, kind=ReportKind.DECISION).submission_id))
    assert "has all its reports" in told.call_args.args[1]


@pytest.mark.django_db
def test_the_admin_lists_the_submissions_whose_report_could_not_be_made(admin_client, settings):
    settings.REPORT_MAX_ATTEMPTS = 3
    failed = EvaluationFactory(submission__status=S.EVALUATED, outcome=EvaluationOutcome.ACCEPTED, report_attempts=3)
    trying = EvaluationFactory(submission__status=S.EVALUATED, outcome=EvaluationOutcome.ACCEPTED, report_attempts=2)
    response = admin_client.get("/admin/compliance/submission/", {"report": "failed"})
    assert response.status_code == 200 and "Could not be made" in response.content.decode()
    assert list(response.context["cl"].result_list) == [failed.submission]
    assert trying.submission not in response.context["cl"].result_list
