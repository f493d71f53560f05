"""The pipeline's outbox: task sends that never fail nor hold up a caller, and the sweep that sends lost work again.

The outbox is the database itself. A submission saved as *queued* in the upload's transaction is
work to do whether or not its task reached the broker; so is a *validating* one whose claim lease
ran out, an accepted evaluation without its report, and an e-mail (``NotificationLog``) not yet
sent. The sweep (``compliance.sweep_pipeline``, sent by ``celery beat``) derives that work from the
rows and sends it again; ``dispatched_at`` and ``reports_dispatched_at`` keep it from sending the
same work on every sweep.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q, TextField, Value
from django.db.models.functions import Concat
from django.utils import timezone

from compliance import tasks
from compliance.models import Evaluation, EvaluationOutcome, NotificationLog, Report, ReportKind, Submission
from compliance.states import SHOWS_FINDINGS_REPORT
from compliance.states import SubmissionStatus as S

logger = logging.getLogger(__name__)


class _Sender:
    """One background thread per process that talks to the broker; callers wait for it a bounded time.

    A hung broker (Redis stopped with SIGSTOP, a half-open connection) answers nothing until the
    socket timeout, once per send; a request that makes two or three sends would wait for each.
    Instead a caller waits at most BROKER_SEND_WAIT_MS for its send, then goes on: the send goes
    on in the background, later sends queue behind it without waiting, and after a failure every
    send is left to the sweep for BROKER_BACKOFF_SECONDS (one timeout costs the process one
    timeout). Sends stay in order, one at a time, as from a single caller.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = 0
        self._executor: ThreadPoolExecutor | None = None
        self.stalled = False  # a send has outlasted its caller's wait and is still going
        self.down_until = 0.0  # time.monotonic() before which sends are left to the sweep

    def submit(self, task, kwargs: dict) -> Future:
        with self._lock:
            if self._executor is None or self._pid != os.getpid():  # a forked child has no thread: its own
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="broker-send")
                self._pid, self.stalled, self.down_until = os.getpid(), False, 0.0
            return self._executor.submit(self.publish, task, kwargs)

    def broker_down(self) -> bool:
        return time.monotonic() < self.down_until

    def publish(self, task, kwargs: dict) -> bool:
        """In the sending thread (or the caller's, for eager tasks): one send, its failure remembered."""
        if self.broker_down():
            logger.warning("The broker failed moments ago; %s%s is left for the pipeline sweep", task.name, kwargs)
            return False
        try:
            task.delay(**kwargs)
        except Exception:  # any broker or network error: the row is the record, the sweep retries
            self.down_until = time.monotonic() + settings.BROKER_BACKOFF_SECONDS
            logger.warning("Could not send %s%s; the pipeline sweep will send it again", task.name, kwargs,
                           exc_info=True)
            return False
        finally:
            self.stalled = False  # whatever hung before this send is over
        return True

    def wait_idle(self, timeout: float) -> None:
        """Return once every send queued so far has finished (sends run in order), or after ``timeout``."""
        with self._lock:
            executor = self._executor if self._pid == os.getpid() else None
        if executor is not None:
            executor.submit(lambda: None).result(timeout)

    def reset(self) -> None:
        """Forget a remembered failure and a stalled send (tests start each from a healthy broker)."""
        self.stalled, self.down_until = False, 0.0


_sender = _Sender()


def task_send(task, **kwargs) -> bool:
    """Send ``task``; True once the broker took it, False when it is left to the background or the sweep.

    The caller's work is already committed, so a broker that is down must not turn it into an
    error (an upload answering 500, an evaluation marked failed after its findings were stored),
    nor hold a request past BROKER_SEND_WAIT_MS when it hangs (issue 10: 3 s at most a request).
    What is not sent, the pipeline sweep sends again (an evaluation, a report, an e-mail).
    """
    if task.app.conf.task_always_eager or not settings.BROKER_SEND_IN_BACKGROUND:
        return _sender.publish(task, kwargs)  # an eager task runs where it is sent: on the caller's thread
    if _sender.broker_down():
        logger.warning("The broker failed moments ago; %s%s is left for the pipeline sweep", task.name, kwargs)
        return False
    future = _sender.submit(task, kwargs)
    if _sender.stalled:
        return False  # behind a send that hangs: it goes out, or is left to the sweep, in the background
    try:
        return future.result(timeout=settings.BROKER_SEND_WAIT_MS / 1000)
    except FutureTimeout:
        _sender.stalled = True
        logger.warning("The broker has not answered within %s ms; %s%s is sent in the background",
                       settings.BROKER_SEND_WAIT_MS, task.name, kwargs)
        return False


def evaluation_dispatch(*, submission_id: int) -> bool:
    return task_send(tasks.evaluate_submission, submission_id=submission_id)


def report_dispatch(*, evaluation_id: int, kind: str) -> bool:
    return task_send(tasks.render_report, evaluation_id=evaluation_id, kind=kind)


def notification_dispatch(*, notification_id: int) -> bool:
    return task_send(tasks.send_notification, notification_id=notification_id)


def _claim_dispatch(queryset, field: str, before) -> bool:
    """Mark the row as sent now, unless another sweep did since we read it (no double sends)."""
    stale = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": before})
    return queryset.filter(stale).update(**{field: timezone.now()}) == 1


def _due_evaluations(now) -> list[int]:
    """Queued too long since the last send, or being checked under a lease that ran out."""
    queued_before = now - timedelta(seconds=settings.SWEEP_QUEUED_AFTER_SECONDS)
    # A takeover is sent at most once per lease period: the sent message may still be waiting.
    expired_before = now - timedelta(seconds=settings.EVALUATION_LEASE_SECONDS)
    queued = Q(status=S.QUEUED) & (Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=queued_before))
    expired = (Q(status=S.VALIDATING) & (Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
               & (Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=expired_before)))
    return list(Submission.objects.filter(queued | expired).values_list("pk", flat=True))


def _resend_evaluations(now) -> int:
    sent = 0
    queued_before = now - timedelta(seconds=min(settings.SWEEP_QUEUED_AFTER_SECONDS,
                                                settings.EVALUATION_LEASE_SECONDS))
    for pk in _due_evaluations(now):
        if _claim_dispatch(Submission.objects.filter(pk=pk), "dispatched_at", queued_before):
            sent += evaluation_dispatch(submission_id=pk)
    return sent


def reports_expected(status: str) -> list[str]:
    """The kinds of report an accepted evaluation of a submission in ``status`` should have."""
    if status not in SHOWS_FINDINGS_REPORT:
        return []
    return [ReportKind.EVALUATION, *([ReportKind.DECISION] if status == S.DECIDED else [])]


def _missing_reports(now) -> dict[int, list[str]]:
    """Per evaluation, the kinds of report that should exist and do not, last sent long enough ago.

    Not those whose renders failed REPORT_MAX_ATTEMPTS times: they wait for an administrator.
    """
    before = now - timedelta(seconds=settings.SWEEP_REPORT_AFTER_SECONDS)
    candidates = list(
        Evaluation.objects.filter(outcome=EvaluationOutcome.ACCEPTED, submission__status__in=SHOWS_FINDINGS_REPORT,
                                  finished_at__lt=before, report_attempts__lt=settings.REPORT_MAX_ATTEMPTS)
        # A decision's report is queued when it is made: give that one the same time as any other.
        .exclude(submission__status=S.DECIDED, submission__decision__decided_at__gte=before)
        .filter(Q(reports_dispatched_at__isnull=True) | Q(reports_dispatched_at__lt=before))
        .values_list("pk", "submission__status")
    )
    have = set(Report.objects.filter(evaluation_id__in=[pk for pk, _ in candidates])
               .values_list("evaluation_id", "kind"))
    missing: dict[int, list[str]] = {}
    for pk, status in candidates:
        if due := [kind for kind in reports_expected(status) if (pk, kind) not in have]:
            missing[pk] = due
    return missing


def _resend_reports(now) -> int:
    sent = 0
    before = now - timedelta(seconds=settings.SWEEP_REPORT_AFTER_SECONDS)
    for evaluation_id, kinds in _missing_reports(now).items():
        if _claim_dispatch(Evaluation.objects.filter(pk=evaluation_id), "reports_dispatched_at", before):
            sent += sum(report_dispatch(evaluation_id=evaluation_id, kind=kind) for kind in kinds)
    return sent


def _unsent_notifications(now):
    """Messages neither sent nor given up whose lease (a send, or a failure's backoff) is over."""
    free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now)
    return NotificationLog.objects.filter(free, sent_at__isnull=True, failed_at__isnull=True)


def _give_up_notifications(now) -> None:
    """Out of attempts with no failure recorded: the worker died during the last one."""
    last = _unsent_notifications(now).filter(attempts__gte=settings.NOTIFICATION_MAX_ATTEMPTS)
    if given_up := last.update(failed_at=now, last_error=Concat(F("last_error"), Value(
            " The last attempt never finished (its worker stopped)."), output_field=TextField())):
        logger.error("Gave up %s e-mails whose last attempt never finished (admin: Notification logs)", given_up)


def _resend_notifications(now) -> int:
    """Send again each unsent message the usual bound after its last send (the broker was down, a retry is due)."""
    _give_up_notifications(now)
    before = now - timedelta(seconds=settings.SWEEP_QUEUED_AFTER_SECONDS)
    due = _unsent_notifications(now).filter(attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS).filter(
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=before))
    sent = 0
    for pk in due.order_by("pk").values_list("pk", flat=True):
        if _claim_dispatch(NotificationLog.objects.filter(pk=pk), "dispatched_at", before):
            sent += notification_dispatch(notification_id=pk)
    return sent


def pipeline_sweep() -> dict[str, int]:
    """Send again every evaluation, report and e-mail that is due and was lost; return how many of each."""
    now = timezone.now()
    counts = {"evaluations": _resend_evaluations(now), "reports": _resend_reports(now),
              "notifications": _resend_notifications(now)}
    if any(counts.values()):
        logger.info("Pipeline sweep sent again: %s", counts)
    return counts
