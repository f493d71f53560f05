"""Celery tasks: thin. Keyword-only ids, explicit names; fetch, then call a service."""
from __future__ import annotations

from celery import shared_task

from . import services
from .models import Evaluation


@shared_task(name="compliance.evaluate_submission")
def evaluate_submission(*, submission_id: int) -> None:
    services.submission_evaluate(submission_id=submission_id)


@shared_task(name="compliance.render_report")
def render_report(*, evaluation_id: int, kind: str) -> None:
    evaluation = Evaluation.objects.select_related("submission__district", "submission__cycle").get(pk=evaluation_id)
    services.report_generate(evaluation=evaluation, kind=kind)
