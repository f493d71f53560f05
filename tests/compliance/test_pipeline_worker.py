"""Upload to evaluated through a real Celery worker process and the configured broker.

In CI the broker is Redis and the database PostgreSQL (.ci/run); locally, the filesystem
transport and SQLite under var/test. Either way the worker is a separate process that shares
only the database, the broker and the file storage with the test, as in production.
"""
from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from compliance import services
from compliance.demo import demo_workbook
from compliance.models import AuditEvent, Evaluation, Report, ReportKind, Submission
from compliance.models import SubmissionStatus as S
from compliance.tasks import evaluate_submission
from compliance.workbook.template import write_workbook
from config.celery import app

ROOT = Path(__file__).resolve().parents[2]


def _test_database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


@pytest.fixture
def worker(settings, tmp_path):
    """A real `celery worker` process (prefork pool, as in production) on the test database."""
    app.control.purge()  # messages left by earlier tests must not reach this worker
    log = tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "MEDIA_ROOT": str(settings.MEDIA_ROOT),
           "FILE_STORAGE_BACKEND": "django.core.files.storage.FileSystemStorage"}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=1", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"test-{os.getpid()}@%h"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        yield proc, log
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _wait_for(predicate, timeout: float, log: Path, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"Timed out waiting for {what}. Worker log:\n{log.read_text()[-4000:]}")


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
def test_upload_is_evaluated_once_by_a_real_worker(worker, submitter, district, cycle):
    proc, log = worker
    data = demo_workbook("zoned", cycle.school_year)
    data.district.district_id = district.state_id
    buffer = io.BytesIO()
    write_workbook(buffer, data)
    buffer.seek(0)

    # The upload queues the task on commit; then the same task is delivered a second time.
    submission = services.submission_create(district=district, cycle=cycle, uploaded_by=submitter,
                                            fileobj=buffer, filename="riverside.xlsx")
    evaluate_submission.delay(submission_id=submission.pk)

    def finished():
        submission.refresh_from_db()
        return submission.status in (S.EVALUATED, S.REJECTED, S.FAILED)

    _wait_for(finished, 90, log, "the evaluation")
    assert submission.status == S.EVALUATED, log.read_text()[-3000:]
    # Both deliveries must have finished: count Celery's "succeeded" lines, not every line that
    # names the task (the task's own log lines carry its name too).
    succeeded = re.compile(r"Task compliance\.evaluate_submission\[[^\]]+\] succeeded")
    _wait_for(lambda: len(succeeded.findall(log.read_text())) >= 2, 60, log, "both deliveries to be processed")
    assert "duplicate delivery ignored" in log.read_text()

    evaluation = Evaluation.objects.get(submission=submission)  # exactly one
    assert evaluation.outcome == "accepted"
    assert AuditEvent.objects.filter(submission=submission, to_status=S.VALIDATING).count() == 1
    assert evaluation.result["district"]["district_id"] == district.state_id
    assert evaluation.findings.filter(rule="INT-02", school_id="0316").exists()  # Carver: 93% Black
    assert evaluation.timings["parse"] > 0 and evaluation.timings["total"] >= evaluation.timings["parse"]

    # The worker then renders the findings report and stores it with its hash.
    report = _wait_for(lambda: Report.objects.filter(evaluation=evaluation, kind=ReportKind.EVALUATION).first(),
                       120, log, "the PDF report")
    with report.file.open("rb") as fh:
        pdf = fh.read()
    assert pdf.startswith(b"%PDF") and len(pdf) == report.size
    assert Submission.objects.get(pk=submission.pk).status == S.EVALUATED
    assert proc.poll() is None  # the worker is still alive


def test_reports_have_their_own_queue_so_a_burst_of_them_never_delays_validation():
    def queue_of(task_name: str) -> str:
        return app.amqp.router.route({}, task_name)["queue"].name

    assert queue_of("compliance.evaluate_submission") == "evaluation"
    assert queue_of("compliance.sweep_pipeline") == "evaluation"
    assert queue_of("compliance.render_report") == "reports"
    # A worker started without -Q (make run's, the test worker above) consumes both.
    assert sorted(q.name for q in app.conf.task_queues) == ["evaluation", "reports"]
