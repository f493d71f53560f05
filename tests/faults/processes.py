"""Real worker and beat processes for the fault tests, on the test database and its media folder."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

from compliance.demo import demo_workbook
from compliance.workbook.template import write_workbook

ROOT = Path(__file__).resolve().parents[2]

# Short enough that the suite stays fast, long enough to be renewed (the settings refuse < 10 s).
FAST_RECOVERY = {
    "EVALUATION_LEASE_SECONDS": "10",
    "SWEEP_INTERVAL_SECONDS": "2",
    "SWEEP_QUEUED_AFTER_SECONDS": "4",
    "EVALUATION_MAX_ATTEMPTS": "3",
}


def test_database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


class Pipeline:
    """Workers (each restartable after a kill) and one beat, started with the same environment."""

    def __init__(self, folder: Path, media_root: Path, queues: str = "evaluation", **env: str):
        self.folder = folder
        self.env = {**os.environ, "DATABASE_URL": test_database_url(), "MEDIA_ROOT": str(media_root),
                    "FILE_STORAGE_BACKEND": "django.core.files.storage.FileSystemStorage",
                    **FAST_RECOVERY, **env}
        self.queues = queues
        self.workers: list[subprocess.Popen] = []
        self.beat: subprocess.Popen | None = None
        self.starts = 0

    def _spawn(self, args: list[str], log: str) -> subprocess.Popen:
        with open(self.folder / log, "a") as out:
            return subprocess.Popen([sys.executable, "-m", "celery", "-A", "tests.faults.fault_app", *args],
                                    cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)

    @property
    def worker(self) -> subprocess.Popen | None:
        return self.workers[-1] if self.workers else None

    def start_worker(self) -> None:
        self.starts += 1
        self.workers.append(self._spawn(["worker", "--concurrency=1", "--loglevel=INFO", f"--queues={self.queues}",
                                   "--without-gossip", "--without-mingle", "--without-heartbeat",
                                   "-n", f"fault-{os.getpid()}-{self.starts}@%h"], "worker.log"))

    def start_beat(self) -> None:
        self.beat = self._spawn(["beat", "--loglevel=INFO", f"--schedule={self.folder / 'beat-schedule'}"],
                                "beat.log")

    def kill_worker(self, worker: subprocess.Popen | None = None) -> None:
        """SIGKILL a whole worker (main process, pool child, any parser child), as a lost host would."""
        worker = worker or self.worker
        assert worker is not None
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(30)
        self.workers.remove(worker)

    def worker_of(self, pid: int) -> subprocess.Popen:
        """The worker whose pool child ``pid`` is (each worker leads its own process group)."""
        return next(w for w in self.workers if w.pid == os.getpgid(pid))

    def alive(self) -> bool:
        return bool(self.workers) and all(w.poll() is None for w in self.workers)

    def stop(self) -> None:
        # SIGKILL at once: the test has asserted what it needed, and a warm shutdown costs seconds.
        for proc in (*self.workers, self.beat):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{(self.folder / name).read_text()[-3000:]}"
                         for name in ("worker.log", "beat.log") if (self.folder / name).exists())


def workbook_for(state_id: str, school_year: str) -> io.BytesIO:
    """The demo's zoned district's workbook, made out to the district with ``state_id``."""
    data = demo_workbook("zoned", school_year)
    data.district.district_id = state_id
    buffer = io.BytesIO()
    write_workbook(buffer, data)
    buffer.seek(0)
    return buffer


def wait_for(predicate, timeout: float, pipeline: Pipeline, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}.\n{pipeline.logs()}")
