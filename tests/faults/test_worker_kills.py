"""SIGKILL mid-evaluation, of a pool child and of the whole worker, 10 times over 10 submissions.

Every submission must end *evaluated* exactly once (one accepted Evaluation, one finishing audit
event), within two minutes of its kill, with no manual step: the claim's lease runs out, the
sweep sends the evaluation again, and a worker takes it over.
"""
from __future__ import annotations

import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from compliance import services
from compliance.models import AuditEvent, Evaluation, EvaluationOutcome, Submission
from compliance.models import SubmissionStatus as S

from .processes import wait_for, workbook_for

KILLS = ["pool child", "whole worker"] * 5


def _first_attempt_running(pid_dir: Path, submissions: list[Submission], killed) -> tuple[Submission, int] | None:
    """A submission not yet killed whose first attempt has started (pid file written), with that pid.

    Whichever starts next is killed next: with two workers the order in which they take the queue
    is theirs to choose, and waiting for one given submission while another's attempt runs on
    would let that one finish (or leave it waiting behind a worker that never frees).
    """
    for submission in submissions:
        path = pid_dir / f"{submission.pk}-1"
        if submission.pk not in killed and path.exists() and (text := path.read_text()):
            return submission, int(text)
    return None


@pytest.mark.broker
@pytest.mark.slow
@pytest.mark.timeout(420)
@pytest.mark.django_db(transaction=True)
def test_ten_kills_mid_evaluation_each_end_evaluated_exactly_once(pipeline, tmp_path, districts, uploader, cycle):
    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    # A first attempt waits far longer than the test takes to kill it, so none finishes on its own
    # however loaded the machine; the attempts that take over run at full speed.
    p = pipeline(FAULT_PID_DIR=str(pid_dir), FAULT_SLOW_SECONDS="120")
    p.start_worker()  # two workers: one carries on while a killed one is restarted
    submissions = [
        services.submission_create(district=d, cycle=cycle, uploaded_by=uploader,
                                   fileobj=workbook_for(d.state_id, cycle.school_year), filename=f"{d.state_id}.xlsx")
        for d in districts
    ]
    killed_at: dict[int, object] = {}
    for how in KILLS:
        submission, pid = wait_for(lambda: _first_attempt_running(pid_dir, submissions, killed_at), 90, p,
                                   "the next first attempt to start")
        submission.refresh_from_db()
        assert submission.status == S.VALIDATING  # mid-evaluation: claimed, nothing stored yet
        assert Evaluation.objects.get(submission=submission).outcome == EvaluationOutcome.RUNNING
        if how == "pool child":
            os.kill(pid, signal.SIGKILL)
        else:
            p.kill_worker(p.worker_of(pid))
            p.start_worker()  # as a process supervisor would
        killed_at[submission.pk] = timezone.now()
        time.sleep(0.2)

    def all_finished():
        return Submission.objects.filter(pk__in=killed_at, status=S.VALIDATING).count() == 0 and \
            Submission.objects.filter(pk__in=killed_at, status=S.QUEUED).count() == 0

    wait_for(all_finished, 150, p, "every killed evaluation to be taken over", every=1)
    for submission in submissions:
        submission.refresh_from_db()
        assert submission.status == S.EVALUATED, (submission, p.logs())
        evaluations = list(Evaluation.objects.filter(submission=submission).order_by("started_at", "pk"))
        assert [e.outcome for e in evaluations if e.outcome == EvaluationOutcome.ACCEPTED] == ["accepted"]
        assert evaluations[0].outcome == EvaluationOutcome.ERROR  # the killed attempt, marked at takeover
        assert AuditEvent.objects.filter(submission=submission, action="evaluation_finished").count() == 1
        assert AuditEvent.objects.filter(submission=submission, action="evaluation_restarted").count() >= 1
        assert submission.status_changed_at - killed_at[submission.pk] < timedelta(minutes=2)
        assert submission.lease_expires_at is None
    assert p.alive()
