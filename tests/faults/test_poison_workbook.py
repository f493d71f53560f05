"""A workbook that kills the process reading it, every time: failed with a note after the last attempt.

Before: four crashes used up the task's retries and left the submission *validating* for good,
the district unable to upload again and the admin action refusing it.
"""
from __future__ import annotations

import pytest

from compliance import services
from compliance.models import AuditEvent, Evaluation, EvaluationOutcome, Submission
from compliance.models import SubmissionStatus as S

from .processes import wait_for, workbook_for


@pytest.mark.broker
@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.django_db(transaction=True)
def test_poison_workbook_ends_failed_after_the_last_attempt_and_the_district_uploads_again(
        pipeline, districts, uploader, cycle):
    district = districts[0]
    p = pipeline()
    poison = services.submission_create(district=district, cycle=cycle, uploaded_by=uploader,
                                        fileobj=workbook_for(district.state_id, cycle.school_year),
                                        filename="poison.xlsx")

    def failed():
        poison.refresh_from_db()
        return poison.status == S.FAILED

    wait_for(failed, 150, p, "the poison workbook to be given up", every=0.5)
    assert poison.attempts == 3  # EVALUATION_MAX_ATTEMPTS in the fault pipeline
    note = AuditEvent.objects.filter(submission=poison, to_status=S.FAILED).get().note
    assert note == services.attempts_note(3)
    assert "started 3 times" in note and "you may upload the workbook again" in note
    assert AuditEvent.objects.filter(submission=poison, action="evaluation_restarted").count() == 2
    assert sorted(Evaluation.objects.filter(submission=poison).values_list("outcome", flat=True)) == \
        [EvaluationOutcome.ERROR] * 3
    assert poison.lease_expires_at is None

    # The district is not stuck: its next upload supersedes the failed one and is checked.
    fixed = services.submission_create(district=district, cycle=cycle, uploaded_by=uploader,
                                       fileobj=workbook_for(district.state_id, cycle.school_year),
                                       filename="fixed.xlsx")
    assert Submission.objects.get(pk=poison.pk).status == S.SUPERSEDED
    wait_for(lambda: Submission.objects.get(pk=fixed.pk).status == S.EVALUATED, 90, p, "the replacement")
    assert p.worker is not None and p.worker.poll() is None  # replaced pool children, same worker
