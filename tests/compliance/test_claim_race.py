"""Many deliveries of one task racing for the same submission: exactly one wins the claim."""
from __future__ import annotations

import io
import threading
from unittest import mock

import pytest
from django.db import connection

from compliance import services
from compliance.models import AuditEvent
from compliance.models import SubmissionStatus as S


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_have_exactly_one_winner(submitter, district, cycle):
    with mock.patch("compliance.tasks.evaluate_submission.delay"):
        submission = services.submission_create(district=district, cycle=cycle, uploaded_by=submitter,
                                                fileobj=io.BytesIO(b"PK\x03\x04 x"), filename="w.xlsx")
    barrier = threading.Barrier(6)
    outcomes: list[str] = []
    lock = threading.Lock()

    def deliver() -> None:
        try:
            barrier.wait()
            try:
                won = services.submission_claim_for_evaluation(submission_id=submission.pk)
                result = "won" if won is not None else "nothing"
            except services.EvaluationInProgress:
                result = "in progress"
            with lock:
                outcomes.append(result)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(outcomes) == 6
    assert outcomes.count("won") == 1
    assert set(outcomes) <= {"won", "in progress", "nothing"}
    assert AuditEvent.objects.filter(submission=submission, to_status=S.VALIDATING).count() == 1
