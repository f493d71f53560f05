"""E-mail as an outbox: each message recorded with its event, sent once by id, given up after the last attempt."""
from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from compliance import notifications
from compliance.models import DeadlineReminder, NotificationLog, ReportingCycle, Submission
from compliance.states import LOCKED
from districts.models import DISTRICT_ROLES, District, User

from .audit import audit_record
from .sweeper import notification_dispatch

logger = logging.getLogger(__name__)

NOTIFICATION_REQUEUED = "notification_requeued"


def _record(*, kind: str, district: District, submission: Submission | None, to: list[str],
            params: dict[str, Any]) -> NotificationLog | None:
    """The outbox row, in the caller's transaction, and its send once that commits; None if nobody is told."""
    if not to:
        logger.info("No one to tell of %s about %s; nothing recorded", kind, submission or district)
        return None
    note = NotificationLog.objects.create(district=district, submission=submission, kind=kind,
                                          recipients=", ".join(to), params=params, dispatched_at=timezone.now())
    transaction.on_commit(lambda: notification_dispatch(notification_id=note.pk))
    return note


def notification_queue(*, kind: str, submission_id: int, actor: User | None = None,
                       **params: Any) -> NotificationLog | None:
    """Record a message about a submission with the event that causes it; it is sent after the commit.

    The row is the outbox: a broker that is down loses nothing (the pipeline sweep sends it again),
    and a rolled-back event leaves no message behind. Recipients are chosen now, from the rows as
    this transaction sees them (the reviewer just assigned, the supervisors who may sign off).
    """
    # Read inside the event's transaction: the status, reviewer and proposal it has just written.
    submission = Submission.objects.select_related("district", "reviewer").get(pk=submission_id)
    if actor is not None:
        params["by"] = notifications.person(actor)  # the name as it was
    return _record(kind=kind, district=submission.district, submission=submission, params=params,
                   to=notifications.addressees(kind=kind, submission=submission, actor=actor))


# --- Delivery: one claim, one send ----------------------------------------------------------


def _claim(notification_id: int, now) -> bool:
    """Take the row for one attempt: unsent, not given up, and no live lease (a send or a retry's backoff)."""
    free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now)
    return NotificationLog.objects.filter(
        free, pk=notification_id, sent_at__isnull=True, failed_at__isnull=True,
        attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS,
    ).update(lease_expires_at=now + timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS),
             attempts=F("attempts") + 1) == 1


def retry_delay(attempts: int) -> timedelta:
    """How long after failed attempt number ``attempts`` the next may begin: 30 s, doubling to 10 min."""
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 600))


def _attempt_failed(note: NotificationLog, exc: Exception) -> None:
    now = timezone.now()
    error = f"{timezone.localtime(now):%Y-%m-%d %H:%M %Z}, attempt {note.attempts}: {type(exc).__name__}: {exc}"
    row = NotificationLog.objects.filter(pk=note.pk, sent_at__isnull=True)
    if note.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        row.update(failed_at=now, lease_expires_at=None, last_error=error[:2000])
        logger.error("Gave up the %s e-mail %s after %s attempts (admin: Notification logs, \"Send again\"): %s",
                     note.kind, note.pk, note.attempts, error, exc_info=exc)
    else:
        # The lease becomes the backoff: neither a duplicate delivery nor the sweep tries before it ends.
        row.update(lease_expires_at=now + retry_delay(note.attempts), last_error=error[:2000])
        logger.warning("The %s e-mail %s failed (attempt %s); the sweep tries again: %s",
                       note.kind, note.pk, note.attempts, error, exc_info=exc)


def _send(note: NotificationLog) -> str:
    subject, text, html = notifications.message_build(note.kind, notifications.message_context(note))
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, note.recipients.split(", "))
    message.attach_alternative(html, "text/html")
    message.send()
    return subject


def notification_deliver(*, notification_id: int) -> int:
    """Send one outbox message, unless it is sent, being sent, waiting out a failure, or given up.

    Returns how many addresses it went to (0: nothing sent by this call). Any failure (the SMTP
    server, a template) counts as an attempt and is recorded on the row; the sweep tries again.
    """
    if not _claim(notification_id, timezone.now()):
        logger.info("E-mail %s is sent, being sent, waiting to be retried or given up: nothing to do",
                    notification_id)
        return 0
    note = NotificationLog.objects.select_related("district").get(pk=notification_id)
    try:
        subject = _send(note)
    except Exception as exc:  # every failure is an attempt: recorded, retried by the sweep, capped
        _attempt_failed(note, exc)
        return 0
    NotificationLog.objects.filter(pk=note.pk).update(sent_at=timezone.now(), subject=subject[:300],
                                                      lease_expires_at=None, last_error="")
    return len(note.recipients.split(", "))


def notification_retry(*, notification: NotificationLog, actor: User) -> NotificationLog:
    """An administrator sends a given-up message again, with a fresh set of attempts (audited)."""
    if notification.sent_at is not None:
        raise ValidationError(f"{notification}: already sent.")
    if notification.failed_at is None:
        raise ValidationError(f"{notification}: still being tried (attempt {notification.attempts} of "
                              f"{settings.NOTIFICATION_MAX_ATTEMPTS}).")
    with transaction.atomic():
        again = NotificationLog.objects.filter(pk=notification.pk, sent_at__isnull=True, failed_at__isnull=False)
        if not again.update(failed_at=None, attempts=0, lease_expires_at=None, dispatched_at=timezone.now()):
            raise ValidationError(f"{notification}: someone else sent it again first.")
        # Not on the submission's history, which the district reads: a state message's addressees and
        # kind (a sign-off request) are not the district's to see. The audit search finds it by district.
        about = f" about {notification.submission}" if notification.submission_id else ""
        audit_record(action=NOTIFICATION_REQUEUED, actor=actor, district=notification.district,
                     subject=f"{notification.kind} e-mail {notification.pk}{about}",
                     note=f"To {notification.recipients}. Last failure: {notification.last_error or 'none recorded'}")
        pk = notification.pk
        transaction.on_commit(lambda: notification_dispatch(notification_id=pk))
    notification.refresh_from_db()
    return notification


# --- Deadline reminders ----------------------------------------------------------------------


def _district_newest(district: District, cycle: ReportingCycle) -> Submission | None:
    return Submission.objects.filter(district=district, cycle=cycle).order_by("-version").first()


def _reminder_due(cycle: ReportingCycle, today: date) -> int | None:
    days = (cycle.due_on - today).days
    return days if days in notifications.REMINDER_DAYS else None


def _remind(district: District, cycle: ReportingCycle, days: int) -> bool:
    """Record one reminder and its message together; False if this threshold was already reminded."""
    newest = _district_newest(district, cycle)
    if newest is not None and newest.status in LOCKED:
        return False  # certified (or with the state): nothing to remind
    try:
        with transaction.atomic():
            DeadlineReminder.objects.create(district=district, cycle=cycle, days_before=days)
            note = _record(kind="reminder", district=district, submission=newest,
                           to=notifications.recipients(district), params={"cycle": cycle.pk, "days": days})
    except IntegrityError:
        return False  # already reminded at this threshold
    return note is not None


def reminders_send(*, today: date | None = None) -> int:
    """Remind each district of an open cycle that has not certified, 14, 7 and 1 days before it is due.

    The DeadlineReminder row and the message's outbox row are written in one transaction: a
    second beat run hits the unique constraint and records nothing; the message, once recorded, is
    delivered (and retried) like any other. Returns how many reminders were recorded.
    """
    today = today or timezone.localdate()
    recorded = 0
    for cycle in ReportingCycle.objects.filter(opens_on__lte=today, due_on__gte=today):
        days = _reminder_due(cycle, today)
        if days is None:
            continue
        for district in District.objects.filter(users__role__in=DISTRICT_ROLES).distinct():
            recorded += _remind(district, cycle, days)
    return recorded
