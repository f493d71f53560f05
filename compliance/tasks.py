"""Celery tasks: thin. Keyword-only ids, explicit names; fetch, then call a service.

Services import these tasks at module top to queue them; the tasks import the services inside
their bodies, so importing ``compliance.tasks`` first (as a worker does) never forms a cycle and
keeps the worker's import light until a task actually runs.
"""
from __future__ import annotations

from celery import shared_task

from .models import Evaluation


@shared_task(name="compliance.evaluate_submission", bind=True, max_retries=3)
def evaluate_submission(self, *, submission_id: int) -> None:
    from compliance import services  # in the body: services import this module (see the docstring)

    try:
        services.submission_evaluate(submission_id=submission_id)
    except services.EvaluationInProgress as exc:
        # Probably a redelivery after a worker died mid-task: take over once its claim is stale.
        raise self.retry(countdown=services.evaluation_retry_seconds(), exc=exc) from exc


@shared_task(name="compliance.render_report")
def render_report(*, evaluation_id: int, kind: str) -> None:
    from compliance import services  # in the body: services import this module (see the docstring)

    evaluation = Evaluation.objects.select_related("submission__district", "submission__cycle").get(pk=evaluation_id)
    services.report_generate(evaluation=evaluation, kind=kind)
