"""Celery tasks: thin. Keyword-only ids, explicit names; fetch, then call a service.

Services import these tasks at module top to queue them; the tasks import the services inside
their bodies, so importing ``compliance.tasks`` first (as a worker does) never forms a cycle and
keeps the worker's import light until a task actually runs.
"""
from __future__ import annotations

import logging
import smtplib

from celery import shared_task

from .models import Evaluation

logger = logging.getLogger(__name__)


@shared_task(name="compliance.evaluate_submission")
def evaluate_submission(*, submission_id: int) -> None:
    from compliance import services  # in the body: services import this module (see the docstring)

    try:
        # The findings report follows in this task: no wait on the reports queue.
        services.submission_evaluate(submission_id=submission_id, report_now=True)
    except services.EvaluationInProgress:
        # A redelivery while a live worker holds the lease. No retry chain to run out: if that
        # worker dies, its lease runs out and the pipeline sweep sends the task again.
        logger.info("submission %s is being evaluated by a live worker; delivery dropped", submission_id)


@shared_task(name="compliance.render_report")
def render_report(*, evaluation_id: int, kind: str) -> None:
    from compliance import services  # in the body: services import this module (see the docstring)

    evaluation = Evaluation.objects.select_related("submission__district", "submission__cycle").get(pk=evaluation_id)
    services.report_generate(evaluation=evaluation, kind=kind)


@shared_task(name="compliance.sweep_pipeline")
def sweep_pipeline() -> dict[str, int]:
    """Sent by celery beat (CELERY_BEAT_SCHEDULE): send again the work that was lost."""
    from compliance import services  # in the body: services import this module (see the docstring)

    return services.pipeline_sweep()


# SMTP and network errors are worth retrying: the mail server may be back in a minute. Backoff
# doubles from 30 s up to 10 min; a template or data error is a bug and is not retried.
@shared_task(name="compliance.send_notification", bind=True, autoretry_for=(smtplib.SMTPException, OSError),
             retry_backoff=30, retry_backoff_max=600, retry_jitter=False, max_retries=6)
def send_notification(self, *, kind: str, submission_id: int) -> int:
    from compliance import notifications  # in the body, as for services (see the docstring)

    return notifications.notification_send(kind=kind, submission_id=submission_id)


@shared_task(name="compliance.send_deadline_reminders")
def send_deadline_reminders() -> int:
    """Sent by celery beat (CELERY_BEAT_SCHEDULE): the 14, 7 and 1 day reminders, each once."""
    from compliance import notifications

    return notifications.reminders_send()
