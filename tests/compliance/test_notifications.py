"""E-mail notifications (issue 11): who gets each, what it says, that each is logged, and reminders once."""
from __future__ import annotations

import hashlib
import io
import os
import signal
import smtplib
import subprocess
import sys
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from compliance import services, tasks
from compliance.models import (
    DeadlineReminder,
    DecisionOutcome,
    Evaluation,
    EvaluationOutcome,
    Finding,
    NotificationLog,
    Problem,
    ReviewStatus,
)
from compliance.models import SubmissionStatus as S
from districts.models import Role
from tests.factories import user_factory

PAYLOAD = b"PK\x03\x04 stored and hashed only"


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://checker.example.gov"


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run on-commit sends now; notifications run eagerly in-process, evaluations are not sent."""
    def send(**kwargs):
        return tasks.send_notification.apply(kwargs=kwargs, throw=True)

    with mock.patch.object(tasks.send_notification, "delay", side_effect=send), \
            mock.patch.object(tasks.evaluate_submission, "delay"), mock.patch.object(tasks.render_report, "delay"):
        yield lambda: django_capture_on_commit_callbacks(execute=True)


def _upload(run_on_commit, user, district, cycle, data=PAYLOAD):
    with run_on_commit():
        return services.submission_create(district=district, cycle=cycle, uploaded_by=user,
                                          fileobj=io.BytesIO(data), filename="riverside 2026.xlsx")


def _finish(run_on_commit, submission, rule_set, *, problems=(), findings=()):
    """Store an evaluation as the worker would and make the worker's move."""
    services.submission_transition(submission=submission, to=S.VALIDATING, action="evaluation_started")
    blocked = any(p == "error" for p in problems)
    evaluation = Evaluation.objects.create(
        submission=submission, rule_set=rule_set, rule_set_label=rule_set.label,
        outcome=EvaluationOutcome.REJECTED if blocked else EvaluationOutcome.ACCEPTED)
    for i, severity in enumerate(problems):
        Problem.objects.create(evaluation=evaluation, code="DATA-20", severity=severity, sheet="Schools", row=4 + i,
                               message="m")
    for i, severity in enumerate(findings):
        Finding.objects.create(evaluation=evaluation, rule="INT-01", severity=severity, scope="school",
                               school_id=f"0{i}", message="m")
    with run_on_commit():
        services.submission_transition(submission=submission, to=S.REJECTED if blocked else S.EVALUATED,
                                       action="evaluation_finished")
    return evaluation


def test_receipt_names_file_size_hash_time_and_uploader(run_on_commit, submitter, certifier, district, cycle):
    submitter.first_name, submitter.last_name = "Dana", "Reyes"
    submitter.save()
    bystander = user_factory(Role.DISTRICT_SUBMITTER, [], username="elsewhere")  # another district's
    submission = _upload(run_on_commit, submitter, district, cycle)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["certifier@example.org", "submitter@example.org"]
    assert bystander.email not in message.to
    assert message.subject == "Received: Riverside County Schools 2026-27 workbook, version 1"
    body = message.body
    assert "File: riverside 2026.xlsx" in body
    assert f"Size: 27\xa0bytes ({len(PAYLOAD)} bytes)" in body
    assert f"SHA-256: {hashlib.sha256(PAYLOAD).hexdigest()}" in body
    assert "Uploaded by: Dana Reyes" in body
    assert timezone.localtime(submission.uploaded_at).strftime("%H:%M") in body
    assert f"https://checker.example.gov/submissions/{submission.pk}/" in body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and hashlib.sha256(PAYLOAD).hexdigest() in html
    log = NotificationLog.objects.get()
    assert (log.kind, log.submission, log.subject) == ("receipt", submission, message.subject)
    assert log.recipients == "certifier@example.org, submitter@example.org"


def test_rejected_counts_errors_and_links(run_on_commit, submitter, district, cycle, rule_set):
    submission = _upload(run_on_commit, submitter, district, cycle)
    _finish(run_on_commit, submission, rule_set, problems=["error", "error", "error", "warning"])
    message = mail.outbox[-1]
    assert message.subject == "Fix needed: Riverside County Schools 2026-27 version 1 has 3 errors"
    assert "3 errors must be fixed; 1 warning." in message.body
    assert f"/submissions/{submission.pk}/" in message.body
    assert list(NotificationLog.objects.values_list("kind", flat=True)) == ["rejected", "receipt"]


def test_evaluated_counts_findings_warnings_notes(run_on_commit, submitter, district, cycle, rule_set):
    submission = _upload(run_on_commit, submitter, district, cycle)
    _finish(run_on_commit, submission, rule_set, problems=["warning"], findings=["finding", "finding", "info"])
    message = mail.outbox[-1]
    assert message.subject == "Evaluated: Riverside County Schools 2026-27 version 1: 2 findings"
    assert "Findings: 2\nWarnings: 1\nNotes: 1\n" in message.body


def _evaluated(run_on_commit, submitter, district, cycle, rule_set):
    submission = _upload(run_on_commit, submitter, district, cycle)
    _finish(run_on_commit, submission, rule_set, findings=["finding"])
    return submission


def test_certified_returned_and_decided(run_on_commit, submitter, certifier, reviewer, district, cycle, rule_set):
    submission = _evaluated(run_on_commit, submitter, district, cycle, rule_set)
    with run_on_commit():
        services.submission_certify(submission=submission, user=certifier, full_name=" Pat  Lee ",
                                    title="Superintendent")
    certified = mail.outbox[-1]
    assert certified.subject == "Certified: Riverside County Schools 2026-27 version 1 submitted to the state"
    assert certified.to == ["certifier@example.org", "submitter@example.org"]
    assert "Certified by: Pat Lee, Superintendent" in certified.body
    with run_on_commit():
        services.submission_claim(submission=submission, user=reviewer)
        services.submission_release(submission=submission, user=reviewer)  # back to certified: no mail
    assert mail.outbox[-1] is certified
    with run_on_commit():
        services.submission_claim(submission=submission, user=reviewer)
        services.submission_return(submission=submission, user=reviewer, note="Add the two missing Budget rows.")
    returned = mail.outbox[-1]
    assert returned.subject == "Returned for revision: Riverside County Schools 2026-27 version 1"
    assert "The state's required actions:\nAdd the two missing Budget rows.\n" in returned.body

    second = _evaluated(run_on_commit, submitter, district, cycle, rule_set)
    with run_on_commit():
        services.submission_certify(submission=second, user=certifier, full_name="Pat Lee", title="Superintendent")
        services.submission_claim(submission=second, user=reviewer)
        finding = second.latest_evaluation.findings.get()
        services.finding_review(finding=finding, user=reviewer, status=ReviewStatus.CONFIRMED)
        services.submission_decide(submission=second, user=reviewer, outcome=DecisionOutcome.COMPLIANT_WITH_FINDINGS,
                                   note="Rezone by fall.",
                                   actions=[{"description": "Rezone", "due_on": timezone.localdate() + timedelta(90)}])
    decided = mail.outbox[-1]
    assert decided.subject == ("Decision: Riverside County Schools 2026-27: "
                               "Compliant with findings: corrective action plan")
    assert f"https://checker.example.gov/submissions/{second.pk}/reports/decision.pdf" in decided.body
    assert "Rezone by fall." in decided.body
    kinds = list(NotificationLog.objects.order_by("sent_at", "pk").values_list("kind", flat=True))
    assert kinds == ["receipt", "evaluated", "certified", "returned", "receipt", "evaluated", "certified", "decided"]


def _upload_quietly(user, district, cycle):
    with mock.patch.object(tasks.evaluate_submission, "delay"):
        return services.submission_create(district=district, cycle=cycle, uploaded_by=user,
                                          fileobj=io.BytesIO(PAYLOAD), filename="w.xlsx")


def test_upload_never_waits_for_mail(submitter, district, cycle, django_capture_on_commit_callbacks):
    """The request only queues: a send that cannot reach the broker leaves the upload standing."""
    with mock.patch.object(tasks.evaluate_submission, "delay"), \
            mock.patch.object(tasks.send_notification, "delay", side_effect=ConnectionError("broker down")) as d:
        with django_capture_on_commit_callbacks(execute=True):
            submission = services.submission_create(district=district, cycle=cycle, uploaded_by=submitter,
                                                    fileobj=io.BytesIO(PAYLOAD), filename="w.xlsx")
    receipt = NotificationLog.objects.get()  # recorded with the upload, for the sweep to send
    assert d.call_args.kwargs == {"notification_id": receipt.pk}
    assert (receipt.kind, receipt.sent_at, receipt.attempts) == ("receipt", None, 0)
    assert submission.status == S.QUEUED and mail.outbox == []


def test_reminders_14_7_1_days_once_each(run_on_commit, submitter, certifier, district, district_b, user_b, cycle,
                                        rule_set):
    # District A has certified; district B has uploaded nothing: only B is reminded.
    submission = _evaluated(run_on_commit, submitter, district, cycle, rule_set)
    services.submission_certify(submission=submission, user=certifier)
    mail.outbox.clear()
    due = cycle.due_on

    def remind(days):
        with run_on_commit():
            return services.reminders_send(today=due - timedelta(days=days))

    assert remind(13) == 0  # not a threshold
    assert remind(7) == 1
    assert remind(7) == 0  # beat ran twice
    assert remind(1) == 1
    assert [m.to for m in mail.outbox] == [[user_b.email], [user_b.email]]
    assert mail.outbox[0].subject == "7 days left: Magnolia Grove 2026-27 certification is due " + \
        due.strftime("%-d %B %Y")
    assert "Nothing has been uploaded yet." in mail.outbox[0].body
    assert mail.outbox[1].subject.startswith("1 day left: ")
    assert sorted(DeadlineReminder.objects.values_list("days_before", flat=True)) == [1, 7]
    assert list(NotificationLog.objects.filter(kind="reminder").values_list("params", flat=True)) == [
        {"cycle": cycle.pk, "days": 1}, {"cycle": cycle.pk, "days": 7}]  # newest first
    assert tasks.send_deadline_reminders.apply().get() == 0  # today is 10 days out: nothing


def test_a_reminder_whose_send_fails_is_sent_by_the_sweep_and_never_recorded_twice(run_on_commit, district_b,
                                                                                   user_b, cycle):
    day = cycle.due_on - timedelta(days=7)
    with mock.patch("compliance.services.notify.EmailMultiAlternatives.send", side_effect=smtplib.SMTPException):
        with run_on_commit():
            assert services.reminders_send(today=day) == 1
    reminder = NotificationLog.objects.get()
    assert (reminder.sent_at, reminder.attempts, mail.outbox) == (None, 1, [])
    with run_on_commit():
        assert services.reminders_send(today=day) == 0  # the threshold is taken: the outbox row is the retry
    NotificationLog.objects.filter(pk=reminder.pk).update(lease_expires_at=None,
                                                          dispatched_at=timezone.now() - timedelta(minutes=5))
    with run_on_commit():
        assert services.pipeline_sweep()["notifications"] == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user_b.email]
    assert NotificationLog.objects.get().sent_at is not None


def test_submission_page_lists_messages(run_on_commit, client, submitter, district, cycle):
    submission = _upload(run_on_commit, submitter, district, cycle)
    client.force_login(submitter)
    page = client.get(f"/submissions/{submission.pk}/").content.decode()
    assert "Messages sent about this district" in page
    assert "Received: Riverside County Schools 2026-27 workbook, version 1" in page


@pytest.fixture
def mail_worker(settings, tmp_path):
    """A real worker whose EMAIL_BACKEND is Django's file backend (as `make run` with those variables)."""
    from config.celery import app
    from tests.compliance.test_pipeline_worker import ROOT, _test_database_url

    app.control.purge()
    outbox, log = tmp_path / "mail", tmp_path / "worker.log"
    outbox.mkdir()
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "MEDIA_ROOT": str(settings.MEDIA_ROOT),
           "FILE_STORAGE_BACKEND": "django.core.files.storage.FileSystemStorage",
           "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(outbox)}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=1", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"mail-{os.getpid()}@%h"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield outbox, log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_receipt_and_evaluated_to_the_file_backend(mail_worker, submitter, district, cycle):
    from compliance.demo import demo_workbook
    from compliance.workbook.template import write_workbook

    outbox, log = mail_worker
    data = demo_workbook("zoned", cycle.school_year)
    data.district.district_id = district.state_id
    buffer = io.BytesIO()
    write_workbook(buffer, data)
    buffer.seek(0)
    services.submission_create(district=district, cycle=cycle, uploaded_by=submitter, fileobj=buffer,
                               filename="riverside.xlsx")

    def written():
        text = "".join(p.read_text() for p in outbox.iterdir())
        return text if "Subject: Received:" in text and "Subject: Evaluated:" in text else None

    deadline = time.monotonic() + 180
    text = None
    while time.monotonic() < deadline and not (text := written()):
        time.sleep(0.5)
    assert text, f"no receipt and evaluated messages in {outbox}. Worker log:\n{log.read_text()[-4000:]}"
    assert "Subject: Received: Riverside County Schools 2026-27 workbook, version 1" in text
    assert "To: " in text and "submitter@example.org" in text
    assert set(NotificationLog.objects.values_list("kind", flat=True)) >= {"receipt", "evaluated"}
