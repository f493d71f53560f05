"""E-mail as an outbox (issue 10): nothing lost while the broker is down, nothing sent twice, no endless retries."""
from __future__ import annotations

import contextlib
import io
import smtplib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from compliance import services, tasks
from compliance.models import AuditEvent, NotificationLog
from compliance.notifications import notifications_for
from compliance.services import sweeper
from compliance.services.notify import NOTIFICATION_REQUEUED, retry_delay

pytestmark = pytest.mark.django_db

BROKER_DOWN = ConnectionRefusedError(111, "Connection refused")
SMTP_DOWN = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
RECEIPT = "Received: Riverside County Schools 2026-27 workbook, version 1"


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://checker.example.gov"
    settings.SWEEP_QUEUED_AFTER_SECONDS = 60
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_LEASE_SECONDS = 120


def _deliver(**kwargs):
    return tasks.send_notification.apply(kwargs=kwargs, throw=True).get()


@pytest.fixture
def broker(django_capture_on_commit_callbacks):
    """``broker(up=False)``: the on-commit sends of the block fail as with Redis stopped; up, they run the task."""
    def run(up: bool = True):
        send = mock.patch.object(tasks.send_notification, "delay",
                                 side_effect=_deliver if up else BROKER_DOWN)
        evaluate = mock.patch.object(tasks.evaluate_submission, "delay", side_effect=None if up else BROKER_DOWN)
        return _Both(send, evaluate, django_capture_on_commit_callbacks(execute=True))
    return run


class _Both:
    """The patches and the on-commit capture as one context manager (the capture runs the callbacks last)."""

    def __init__(self, *managers):
        self.managers = managers

    def __enter__(self):
        return [m.__enter__() for m in self.managers]

    def __exit__(self, *exc):
        for m in reversed(self.managers):
            m.__exit__(*exc)


def _upload(submitter, district, cycle):
    return services.submission_create(district=district, cycle=cycle, uploaded_by=submitter,
                                      fileobj=io.BytesIO(b"PK\x03\x04 kept"), filename="w.xlsx")


def _sweep(*, after: float = 0, smtp_fails: bool = False) -> int:
    """One pipeline sweep ``after`` seconds from now, its sends delivered in process; how many e-mails it sent again."""
    later = timezone.now() + timedelta(seconds=after)
    sweeper._sender.reset()  # seconds later: past the process's memory of a failed send (BROKER_BACKOFF_SECONDS)
    smtp = mock.patch("compliance.services.notify.EmailMultiAlternatives.send", side_effect=SMTP_DOWN) \
        if smtp_fails else contextlib.nullcontext()
    with mock.patch("django.utils.timezone.now", return_value=later), smtp, \
            mock.patch.object(tasks.send_notification, "delay", side_effect=_deliver), \
            mock.patch.object(tasks.evaluate_submission, "delay"), mock.patch.object(tasks.render_report, "delay"):
        return services.pipeline_sweep()["notifications"]


def test_a_receipt_recorded_while_the_broker_is_down_is_sent_by_the_sweep_exactly_once(
        broker, client, submitter, district, cycle):
    with broker(up=False):
        submission = _upload(submitter, district, cycle)  # the upload answers normally: its row is kept
    receipt = NotificationLog.objects.get()
    assert (receipt.kind, receipt.submission, receipt.sent_at, receipt.attempts) == ("receipt", submission, None, 0)
    assert receipt.recipients == "submitter@example.org" and mail.outbox == []
    client.force_login(submitter)
    page = client.get(reverse("submission_detail", args=[submission.pk])).content.decode()
    assert "Messages sent about this district" in page and RECEIPT not in page  # not sent: not listed

    assert _sweep(after=30) == 0  # within the bound: the upload's own send may still be on its way
    assert _sweep(after=61) == 1
    assert [m.subject for m in mail.outbox] == [RECEIPT]
    assert _sweep(after=200) == 0 and _sweep(after=400) == 0  # sent: never again
    assert len(mail.outbox) == 1
    receipt.refresh_from_db()
    assert receipt.sent_at is not None and receipt.subject == RECEIPT and receipt.attempts == 1
    page = client.get(reverse("submission_detail", args=[submission.pk])).content.decode()
    assert RECEIPT in page


def test_a_duplicate_delivery_sends_nothing_twice(broker, submitter, district, cycle):
    with broker(up=False):
        _upload(submitter, district, cycle)
    receipt = NotificationLog.objects.get()
    assert _deliver(notification_id=receipt.pk) == 1
    assert _deliver(notification_id=receipt.pk) == 0  # the broker delivered the message again
    assert len(mail.outbox) == 1


def test_a_delivery_while_another_holds_the_lease_sends_nothing(broker, submitter, district, cycle):
    with broker(up=False):
        _upload(submitter, district, cycle)
    receipt = NotificationLog.objects.get()
    # Another worker claimed it a moment ago and is talking to the SMTP server.
    NotificationLog.objects.filter(pk=receipt.pk).update(attempts=1,
                                                         lease_expires_at=timezone.now() + timedelta(seconds=100))
    assert _deliver(notification_id=receipt.pk) == 0 and mail.outbox == []
    assert _sweep(after=90) == 0  # nor does the sweep send it while the lease holds
    assert _sweep(after=101) == 1  # that worker died: the lease ran out, and it is sent once
    assert len(mail.outbox) == 1


def test_a_failing_smtp_server_is_retried_with_backoff_then_given_up_and_sent_again_by_an_administrator(
        broker, admin_client, submitter, district, cycle, settings):
    with mock.patch("compliance.services.notify.EmailMultiAlternatives.send", side_effect=SMTP_DOWN):
        with broker():
            submission = _upload(submitter, district, cycle)
    receipt = NotificationLog.objects.get()
    assert (receipt.attempts, receipt.sent_at, receipt.failed_at) == (1, None, None)
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in receipt.last_error
    assert receipt.lease_expires_at - timezone.now() == pytest.approx(timedelta(seconds=30), abs=timedelta(seconds=5))
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 5, 6, 9)] == [30, 60, 120, 480, 600, 600]

    assert _sweep(after=61, smtp_fails=True) == 1  # attempt 2, handed to a worker: it failed too
    receipt.refresh_from_db()
    assert (receipt.attempts, receipt.failed_at, mail.outbox) == (2, None, [])
    assert _sweep(after=100, smtp_fails=True) == 0  # within attempt 2's 60 s backoff (and the bound): not tried
    receipt.refresh_from_db()
    assert receipt.attempts == 2
    assert _sweep(after=200, smtp_fails=True) == 1  # attempt 3 of 3: the last
    receipt.refresh_from_db()
    assert receipt.attempts == 3 and receipt.failed_at is not None and receipt.sent_at is None
    assert "attempt 3: SMTPServerDisconnected" in receipt.last_error
    assert _sweep(after=5000) == 0 and mail.outbox == []  # given up: never again by itself

    # The administrator finds it under the "Failed" filter and sends it again; the SMTP server is back.
    changelist = reverse("admin:compliance_notificationlog_changelist")
    listed = admin_client.get(changelist, {"delivery": "failed"}).content.decode()
    assert "Failed: " in listed and "submitter@example.org" in listed
    with broker():
        admin_client.post(changelist, {"action": "send_again", "_selected_action": [receipt.pk]})
    assert [m.subject for m in mail.outbox] == [RECEIPT]
    receipt.refresh_from_db()
    assert (receipt.attempts, receipt.failed_at is None, receipt.sent_at is not None) == (1, True, True)
    event = AuditEvent.objects.get(action=NOTIFICATION_REQUEUED)
    assert (event.submission, event.district, event.actor.username) == (None, district, "admin")
    assert event.subject == f"receipt e-mail {receipt.pk} about {submission}"  # not in the district's history
    assert "Last failure: " in event.note and "SMTPServerDisconnected" in event.note
    # Sent now: asking again changes nothing.
    response = admin_client.post(changelist, {"action": "send_again", "_selected_action": [receipt.pk]}, follow=True)
    assert "already sent" in response.content.decode()
    assert AuditEvent.objects.filter(action=NOTIFICATION_REQUEUED).count() == 1 and len(mail.outbox) == 1


def test_a_last_attempt_whose_worker_died_is_given_up_by_the_sweep(broker, submitter, district, cycle):
    with broker(up=False):
        _upload(submitter, district, cycle)
    receipt = NotificationLog.objects.get()
    NotificationLog.objects.filter(pk=receipt.pk).update(attempts=3, last_error="attempt 2: SMTPException",
                                                         lease_expires_at=timezone.now() + timedelta(seconds=120))
    assert _sweep(after=100) == 0
    assert NotificationLog.objects.get().failed_at is None  # the last attempt may still be going
    assert _sweep(after=121) == 0
    receipt.refresh_from_db()
    assert receipt.failed_at is not None and receipt.sent_at is None
    assert receipt.last_error == "attempt 2: SMTPException The last attempt never finished (its worker stopped)."
    assert _deliver(notification_id=receipt.pk) == 0 and mail.outbox == []


def test_an_event_that_rolls_back_leaves_no_message(submitter, district, cycle, django_capture_on_commit_callbacks):
    with broker_free():
        submission = _upload(submitter, district, cycle)
    NotificationLog.objects.all().delete()
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        with transaction.atomic():
            services.notification_queue(kind="evaluated", submission_id=submission.pk)
            raise RuntimeError("the event failed")
    assert not NotificationLog.objects.exists() and callbacks == []


def broker_free():
    return mock.patch.object(tasks.evaluate_submission, "delay")


def test_the_page_lists_sent_messages_only(client, submitter, district, cycle):
    with broker_free():
        submission = _upload(submitter, district, cycle)
    receipt = NotificationLog.objects.get()
    failed = NotificationLog.objects.create(district=district, submission=submission, kind="evaluated",
                                            recipients="submitter@example.org", failed_at=timezone.now())
    assert list(notifications_for(submission=submission)) == []
    NotificationLog.objects.filter(pk=receipt.pk).update(sent_at=timezone.now(), subject=RECEIPT)
    assert list(notifications_for(submission=submission)) == [receipt]
    assert failed not in notifications_for(submission=submission)


@pytest.mark.django_db(transaction=True)
def test_deliveries_racing_for_one_message_send_it_once(submitter, district, cycle):
    with broker_free():
        _upload(submitter, district, cycle)
    receipt = NotificationLog.objects.get()
    barrier = threading.Barrier(6)

    def deliver(_: int) -> int:
        try:
            barrier.wait()  # all six at once, as six workers handed the same message
            return services.notification_deliver(notification_id=receipt.pk)
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(max_workers=6) as pool:
        sent = list(pool.map(deliver, range(6), timeout=60))
    assert sorted(sent) == [0, 0, 0, 0, 0, 1]
    assert [m.subject for m in mail.outbox] == [RECEIPT]
    assert NotificationLog.objects.get().attempts == 1
