"""Celery tasks: thin. Keyword-only ids, explicit names; fetch, then call a service.

Services import these tasks at module top to queue them; the tasks import the services inside
their bodies, so importing ``compliance.tasks`` first (as a worker does) never forms a cycle and
keeps the worker's import light until a task actually runs.
"""
from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="compliance.evaluate_submission")
def evaluate_submission(*, submission_id: int) -> None:
    from compliance import services  # in the body: services import this module (see the docstring)

    try:
        # The findings report is sent to the reports queue as the evaluation commits: rendering
        # there, a burst of reports never delays the next district's validation (issue 10).
        services.submission_evaluate(submission_id=submission_id)
    except services.EvaluationInProgress:
        # A redelivery while a live worker holds the lease. No retry chain to run out: if that
        # worker dies, its lease runs out and the pipeline sweep sends the task again.
        logger.info("submission %s is being evaluated by a live worker; delivery dropped", submission_id)


@shared_task(name="compliance.render_report")
def render_report(*, evaluation_id: int, kind: str) -> None:
    from compliance import services  # in the body: services import this module (see the docstring)

    services.report_render(evaluation_id=evaluation_id, kind=kind)  # counted: capped at REPORT_MAX_ATTEMPTS


@shared_task(name="compliance.sweep_pipeline")
def sweep_pipeline() -> dict[str, int]:
    """Sent by celery beat (CELERY_BEAT_SCHEDULE): send again the work that was lost."""
    from compliance import services  # in the body: services import this module (see the docstring)

    return services.pipeline_sweep()


# No Celery retries: the message is an outbox row. A failed attempt is recorded on it with its
# backoff, and the pipeline sweep sends it again until NOTIFICATION_MAX_ATTEMPTS (then it is failed,
# for an administrator). A duplicate delivery finds the row sent or leased and sends nothing.
@shared_task(name="compliance.send_notification")
def send_notification(*, notification_id: int) -> int:
    from compliance import services  # in the body: services import this module (see the docstring)

    return services.notification_deliver(notification_id=notification_id)


@shared_task(name="compliance.send_deadline_reminders")
def send_deadline_reminders() -> int:
    """Sent by celery beat (CELERY_BEAT_SCHEDULE): the 14, 7 and 1 day reminders, each once."""
    from compliance import services  # in the body: services import this module (see the docstring)

    return services.reminders_send()
