"""The project's Celery app with faults a test switches on by environment, for the fault tests' workers.

- ``FAULT_PID_DIR``: each evaluation attempt writes its process id to ``<dir>/<submission id>-<attempt>``,
  so a test can SIGKILL exactly the pool child that is evaluating a given submission.
- ``FAULT_SLOW_SECONDS``: a submission's first attempt waits that long before reading the workbook,
  so a kill lands mid-evaluation rather than after it (the attempts that take over run at full speed).
- A workbook uploaded as ``poison*.xlsx`` kills the process evaluating it, every time, as a reader
  that crashes natively on some file would.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from celery import signals

from config.celery import app


@signals.worker_process_init.connect
def _inject_faults(**_kwargs) -> None:
    """In each pool child (Django is set up by then): wrap the step that reads the stored workbook."""
    from compliance.services import evaluation

    original = evaluation._evaluate_stored

    def evaluate_stored(submission, rule_set, *, check_hash):
        if pid_dir := os.environ.get("FAULT_PID_DIR"):
            (Path(pid_dir) / f"{submission.pk}-{submission.attempts}").write_text(str(os.getpid()))
        if submission.attempts == 1:
            time.sleep(float(os.environ.get("FAULT_SLOW_SECONDS", "0")))
        if submission.original_filename.startswith("poison"):
            os.kill(os.getpid(), signal.SIGKILL)
        return original(submission, rule_set, check_hash=check_hash)

    evaluation._evaluate_stored = evaluate_stored


__all__ = ["app"]
