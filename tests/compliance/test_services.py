"""Submission lifecycle: the one transition function, uploads, claims, review and decision."""
from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from compliance import services
from compliance.models import (
    AuditEvent,
    DecisionOutcome,
    Evaluation,
    EvaluationOutcome,
    Finding,
    ReviewStatus,
    Submission,
)
from compliance.models import SubmissionStatus as S
from compliance.tasks import evaluate_submission

PAYLOAD = b"PK\x03\x04 not really a workbook, but the service only stores and hashes it"


def upload(user, district, cycle, data=PAYLOAD, name="district.xlsx"):
    with mock.patch("compliance.tasks.evaluate_submission.delay") as delay:
        submission = services.submission_create(
            district=district, cycle=cycle, uploaded_by=user, fileobj=io.BytesIO(data), filename=name
        )
    return submission, delay


def force_status(submission, status):
    Submission.objects.filter(pk=submission.pk).update(status=status)
    submission.refresh_from_db()
    return submission


ALL = list(S)


@pytest.mark.parametrize(
    ("current", "target"),
    [(a, b) for a in ALL for b in ALL if b not in services.TRANSITIONS[a]],
    ids=lambda s: str(s),
)
def test_every_illegal_transition_raises_and_records_nothing(submitter, district, cycle, current, target):
    submission, _ = upload(submitter, district, cycle)
    force_status(submission, current)
    before = AuditEvent.objects.count()
    with pytest.raises(services.IllegalTransition):
        services.submission_transition(submission=submission, to=target)
    submission.refresh_from_db()
    assert submission.status == current
    assert AuditEvent.objects.count() == before


def test_legal_transition_writes_audit_event(submitter, reviewer, district, cycle):
    submission, _ = upload(submitter, district, cycle)
    force_status(submission, S.CERTIFIED)
    services.submission_transition(submission=submission, to=S.IN_REVIEW, actor=reviewer, note="mine",
                                   reviewer=reviewer)
    event = AuditEvent.objects.filter(submission=submission).latest("pk")
    assert (event.from_status, event.to_status, event.actor, event.note) == (S.CERTIFIED, S.IN_REVIEW, reviewer, "mine")
    submission.refresh_from_db()
    assert submission.status == S.IN_REVIEW and submission.reviewer == reviewer


def test_transition_from_stale_copy_loses_the_race(submitter, district, cycle):
    submission, _ = upload(submitter, district, cycle)
    stale = Submission.objects.get(pk=submission.pk)
    services.submission_transition(submission=submission, to=S.VALIDATING)
    with pytest.raises(services.IllegalTransition):
        services.submission_transition(submission=stale, to=S.VALIDATING)
    assert AuditEvent.objects.filter(submission=submission, to_status=S.VALIDATING).count() == 1


def test_upload_stores_checksums_and_queues_on_commit(submitter, district, cycle, django_capture_on_commit_callbacks):
    with mock.patch("compliance.tasks.evaluate_submission.delay") as delay, \
            django_capture_on_commit_callbacks(execute=True) as callbacks:
        submission = services.submission_create(
            district=district, cycle=cycle, uploaded_by=submitter, fileobj=io.BytesIO(PAYLOAD), filename="a.xlsx"
        )
    assert len(callbacks) == 2  # the evaluation, and the receipt e-mail (issue 11)
    delay.assert_called_once_with(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.version == 1
    assert submission.status == S.QUEUED
    assert submission.sha256 == hashlib.sha256(PAYLOAD).hexdigest()
    assert submission.size == len(PAYLOAD)
    with submission.file.open("rb") as fh:
        assert fh.read() == PAYLOAD
    actions = list(AuditEvent.objects.filter(submission=submission).values_list("action", "to_status"))
    assert actions == [("uploaded", S.RECEIVED), ("status:queued", S.QUEUED)]


def test_control_characters_in_a_file_name_or_note_are_dropped(submitter, district, cycle):
    # A client may send any bytes; PostgreSQL refuses NUL, and a receipt should not carry them.
    sub = services.submission_create(district=district, cycle=cycle, uploaded_by=submitter,
                                     fileobj=io.BytesIO(b"PK\x03\x04 fake"), filename="dis\x00trict\t.xlsx",
                                     note="first\x00 line\nsecond\x07")
    assert sub.original_filename == "district.xlsx"
    event = AuditEvent.objects.get(submission=sub, action="uploaded")
    assert event.note.startswith("district.xlsx (") and event.note.endswith("note: first line second")
    services.submission_transition(submission=sub, to=S.VALIDATING)
    services.submission_transition(submission=sub, to=S.REJECTED)  # checked: a new version may follow
    nameless = services.submission_create(district=district, cycle=cycle, uploaded_by=submitter,
                                          fileobj=io.BytesIO(b"PK\x03\x04 other"), filename="\x00\x01")
    assert nameless.original_filename == "workbook.xlsx"


def test_new_version_supersedes_evaluated_one(submitter, district, cycle):
    first, _ = upload(submitter, district, cycle)
    force_status(first, S.EVALUATED)
    second, _ = upload(submitter, district, cycle, data=PAYLOAD + b"2")
    first.refresh_from_db()
    assert (second.version, first.status) == (2, S.SUPERSEDED)


def test_new_upload_after_a_system_failure_supersedes_the_failed_version(submitter, district, cycle):
    first, _ = upload(submitter, district, cycle)
    # A real failure in the worker, not a forced status: the evaluation crashes.
    with mock.patch("compliance.pipeline.evaluate_path", side_effect=OSError("storage unreachable")), \
            pytest.raises(OSError):
        services.submission_evaluate(submission_id=first.pk)
    first.refresh_from_db()
    assert first.status == S.FAILED
    second, delay = upload(submitter, district, cycle, data=PAYLOAD + b"2")
    first.refresh_from_db()
    assert (second.version, second.status, first.status) == (2, S.QUEUED, S.SUPERSEDED)
    superseded = AuditEvent.objects.get(submission=first, to_status=S.SUPERSEDED)
    assert (superseded.from_status, superseded.actor, superseded.note) == (S.FAILED, submitter,
                                                                          "Replaced by version 2.")


def test_upload_refused_while_previous_is_checked_or_with_the_state(submitter, district, cycle):
    first, _ = upload(submitter, district, cycle)
    with pytest.raises(ValidationError, match="still being checked"):
        upload(submitter, district, cycle)
    force_status(first, S.CERTIFIED)
    with pytest.raises(ValidationError, match="already with the state"):
        upload(submitter, district, cycle)
    assert Submission.objects.count() == 1


def test_upload_refused_for_other_district_oversize_and_empty(submitter, other_district, district, cycle, settings):
    with pytest.raises(PermissionDenied):
        upload(submitter, other_district, cycle)
    settings.WORKBOOK_MAX_UPLOAD_BYTES = 10
    with pytest.raises(ValidationError, match="larger than"):
        upload(submitter, district, cycle, data=b"x" * 11)
    settings.WORKBOOK_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(ValidationError, match="empty"):
        upload(submitter, district, cycle, data=b"")
    assert Submission.objects.count() == 0


def test_upload_refused_when_cycle_closed(submitter, district, cycle):
    cycle.closes_on = timezone.localdate() - timedelta(days=1)
    cycle.due_on = cycle.closes_on
    cycle.opens_on = cycle.closes_on - timedelta(days=5)
    cycle.save()
    with pytest.raises(ValidationError, match="not open"):
        upload(submitter, district, cycle)


def test_worker_claim_is_exactly_once(submitter, district, cycle):
    submission, _ = upload(submitter, district, cycle)
    assert services.submission_claim_for_evaluation(submission_id=submission.pk) is not None
    # A second delivery while the first worker holds a fresh claim: come back later.
    with pytest.raises(services.EvaluationInProgress):
        services.submission_claim_for_evaluation(submission_id=submission.pk)
    with pytest.raises(services.EvaluationInProgress):
        services.submission_evaluate(submission_id=submission.pk)
    assert Evaluation.objects.count() == 0
    Submission.objects.filter(pk=submission.pk).update(status=S.EVALUATED)
    assert services.submission_evaluate(submission_id=submission.pk) is None  # after it finished: nothing
    assert services.submission_claim_for_evaluation(submission_id=999999) is None


def test_redelivery_while_the_lease_is_current_is_dropped_then_taken_over_once_it_runs_out(
        submitter, district, cycle, settings):
    submission, _ = upload(submitter, district, cycle)
    services.submission_claim_for_evaluation(submission_id=submission.pk)  # the worker that dies
    dead = Evaluation.objects.create(submission=submission, rule_set=cycle.rule_set, rule_set_label="x")
    with mock.patch("compliance.services.evaluation.evaluation_run") as run:
        evaluate_submission.run(submission_id=submission.pk)  # no retry chain that could run out
    run.assert_not_called()
    # The sweep's delivery arrives after the lease ran out: it takes over and finishes the job.
    Submission.objects.filter(pk=submission.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    with mock.patch("compliance.services.evaluation.evaluation_run") as run:
        evaluate_submission.run(submission_id=submission.pk)
    run.assert_called_once()
    dead.refresh_from_db()
    assert dead.outcome == EvaluationOutcome.ERROR


def test_expired_claim_of_a_dead_worker_can_be_taken_over(submitter, district, cycle, settings):
    submission, _ = upload(submitter, district, cycle)
    services.submission_claim_for_evaluation(submission_id=submission.pk)
    Submission.objects.filter(pk=submission.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert services.submission_claim_for_evaluation(submission_id=submission.pk) is not None
    with pytest.raises(services.EvaluationInProgress):  # the new claim is fresh again
        services.submission_claim_for_evaluation(submission_id=submission.pk)
    assert AuditEvent.objects.filter(submission=submission, action="evaluation_restarted").count() == 1
    assert Submission.objects.get(pk=submission.pk).attempts == 2


def _evaluated_with_findings(submission, rule_set, severities=("finding", "warning", "info")):
    force_status(submission, S.EVALUATED)
    evaluation = Evaluation.objects.create(submission=submission, rule_set=rule_set, rule_set_label=rule_set.label,
                                           outcome=EvaluationOutcome.ACCEPTED)
    for i, severity in enumerate(severities):
        Finding.objects.create(evaluation=evaluation, rule="INT-01", severity=severity, scope="school",
                               school_id=f"0{i}", message="m")
    return evaluation


def test_certify_claim_review_decide(submitter, certifier, reviewer, reviewer2, district, cycle, rule_set):
    submission, _ = upload(submitter, district, cycle)
    evaluation = _evaluated_with_findings(submission, rule_set)
    with pytest.raises(PermissionDenied):
        services.submission_certify(submission=submission, user=submitter)
    services.submission_certify(submission=submission, user=certifier)
    assert submission.status == S.CERTIFIED

    services.submission_claim(submission=submission, user=reviewer)
    other_copy = Submission.objects.get(pk=submission.pk)
    # The stale copy still says certified: the race is lost at the UPDATE and told who won.
    with pytest.raises(ValidationError, match=r"^\[.Another reviewer \(reviewer\) already holds this submission\..\]$"):
        services.submission_claim(submission=Submission(pk=submission.pk, status=S.CERTIFIED), user=reviewer2)
    with pytest.raises(PermissionDenied):
        services.finding_review(finding=evaluation.findings.first(), user=reviewer2, status=ReviewStatus.CONFIRMED)
    assert other_copy.reviewer == reviewer

    finding, warning, info = evaluation.findings.order_by("pk")
    with pytest.raises(ValidationError, match="every finding"):
        services.submission_decide(submission=submission, user=reviewer, outcome=DecisionOutcome.COMPLIANT, note="ok")
    services.finding_review(finding=finding, user=reviewer, status=ReviewStatus.CONFIRMED)
    with pytest.raises(ValidationError, match="why"):
        services.finding_review(finding=warning, user=reviewer, status=ReviewStatus.DISMISSED, note=" ")
    services.finding_review(finding=warning, user=reviewer, status=ReviewStatus.DISMISSED, note="explained by district")
    with pytest.raises(ValidationError, match="corrective action"):
        services.submission_decide(submission=submission, user=reviewer, outcome=DecisionOutcome.COMPLIANT, note="ok")
    with mock.patch("compliance.tasks.render_report.delay"):
        decision = services.submission_decide(
            submission=submission, user=reviewer, outcome=DecisionOutcome.COMPLIANT_WITH_FINDINGS,
            note="Rezone by fall.",
            actions=[{"description": "Rezone", "due_on": timezone.now().date() + timedelta(days=90)}],
        )  # issue 12: noncompliance waits for a supervisor's sign-off (tests/compliance/test_review_decisions.py)
    submission.refresh_from_db()
    assert submission.status == S.DECIDED and decision.decided_by == reviewer
    assert info.review_status == ReviewStatus.OPEN  # commendations need no review
    actions = list(AuditEvent.objects.filter(submission=submission).values_list("action", flat=True))
    assert actions[-5:] == ["certified", "claimed", "finding_confirmed", "finding_dismissed", "decided"]


def test_return_for_revision_then_new_version(submitter, certifier, reviewer, district, cycle, rule_set):
    submission, _ = upload(submitter, district, cycle)
    _evaluated_with_findings(submission, rule_set)
    services.submission_certify(submission=submission, user=certifier)
    services.submission_claim(submission=submission, user=reviewer)
    with pytest.raises(ValidationError):
        services.submission_return(submission=submission, user=reviewer, note="")
    services.submission_return(submission=submission, user=reviewer, note="Budget sheet is missing two schools.")
    second, _ = upload(submitter, district, cycle, data=PAYLOAD + b"v2")
    submission.refresh_from_db()
    assert (submission.status, second.version, second.status) == (S.SUPERSEDED, 2, S.QUEUED)


def test_release_puts_submission_back_in_queue(submitter, certifier, reviewer, district, cycle, rule_set):
    submission, _ = upload(submitter, district, cycle)
    _evaluated_with_findings(submission, rule_set)
    services.submission_certify(submission=submission, user=certifier)
    services.submission_claim(submission=submission, user=reviewer)
    services.submission_release(submission=submission, user=reviewer)
    submission.refresh_from_db()
    assert submission.status == S.CERTIFIED and submission.reviewer is None
