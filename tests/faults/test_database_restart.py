"""PostgreSQL restarted under a live worker: the worker reconnects and every queued upload is evaluated.

Never the shared PostgreSQL on 5432: the test makes a private cluster (initdb, run as the
``postgres`` OS user because the server refuses to run as root) on a free port, a private
redis-server as broker, and a real `celery worker` process with an embedded beat (the pipeline
sweep). The missing binaries are a failure with a clear message, not a skip.
"""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import psycopg
import pytest
from django.db import InterfaceError, OperationalError

from compliance import services
from compliance.demo import demo_workbook
from compliance.workbook.template import write_workbook
from tests.config.redis_server import PrivateRedis, free_port

ROOT = Path(__file__).resolve().parents[2]


def _pg_bin() -> Path:
    """PG_BIN, else the newest server that Debian's ``postgresql`` package installed (15 on Debian 12)."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    versions = [p.parents[1].name for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    newest = max((v for v in versions if v.isdigit()), key=int, default="15")
    return Path("/usr/lib/postgresql") / newest / "bin"


PG_BIN = _pg_bin()
EVALUATED_WITHIN = 120  # seconds, per submission, generous for the shared 2-core machine

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


class PrivatePostgres:
    """A throwaway PostgreSQL cluster in a temp folder owned by the postgres OS user."""

    def __init__(self) -> None:
        for tool in ("initdb", "pg_ctl"):
            if not (PG_BIN / tool).exists():
                raise AssertionError(f"{PG_BIN / tool} is missing: install Debian's postgresql "
                                     "(scripts/check_system.sh test does), or set PG_BIN")
        self.folder = Path(tempfile.mkdtemp(prefix="compliance-pg-"))
        self.data, self.log = self.folder / "data", self.folder / "server.log"
        self.port = free_port()

    def _as_postgres(self, *argv: str, timeout: float = 60) -> None:
        cmd = list(argv) if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise AssertionError(f"{' '.join(argv)} failed: {done.stdout}{done.stderr}{log}")

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(str(PG_BIN / "pg_ctl"), action, "-D", str(self.data), "-l", str(self.log), "-w",
                          "-t", "60", "-o", options, *extra)

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                          "--no-sync")
        self._pg_ctl("start")
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE compliance_fault")

    def restart(self) -> None:
        self._pg_ctl("restart", "-m", "fast")  # fast: every open connection is cut, as in a failover

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "compliance_fault") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


SEED_AND_QUEUE = """
import io, sys, django
django.setup()
from compliance import services
from compliance.demo import DEMO_DISTRICTS, demo_workbook
from compliance.models import ReportingCycle
from compliance.workbook.template import write_workbook
from districts.models import District, Role, School, User
from tests.factories import ReportingCycleFactory, user_factory

demo = next(d for d in DEMO_DISTRICTS if d.key == sys.argv[1])
cycle = ReportingCycle.objects.filter(school_year="2026-27").first() or ReportingCycleFactory(school_year="2026-27")
data = demo_workbook(demo.key, cycle.school_year)
district, _ = District.objects.get_or_create(state_id=demo.state_id, defaults={
    "nces_id": demo.nces_id, "name": demo.name, "region": demo.region, "state": "MS"})
for row in data.schools:  # the directory the workbook is checked against
    School.objects.get_or_create(district=district, school_id=row.school_id, defaults={
        "name": row.school_name, "grade_low": row.grade_low, "grade_high": row.grade_high})
user = User.objects.filter(username="fault-submitter").first() or user_factory(
    Role.DISTRICT_SUBMITTER, username="fault-submitter")
user.districts.add(district)
buffer = io.BytesIO()
write_workbook(buffer, data)
buffer.seek(0)
submission = services.submission_create(district=district, cycle=cycle, uploaded_by=user, fileobj=buffer,
                                        filename="upload.xlsx")
print("SUBMISSION", submission.pk)
"""


@pytest.fixture
def stack(tmp_path):
    """Private PostgreSQL and Redis, the schema migrated, a worker (with beat) running on them."""
    pg, redis = PrivatePostgres(), PrivateRedis(tmp_path)
    pg.start()
    redis.start()
    env = _stack_env(pg, redis, tmp_path)
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        worker = subprocess.Popen(_worker_argv(tmp_path), cwd=ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield pg, env, worker, log
    finally:
        _stop(worker)
        redis.stop()
        pg.stop()


def _stack_env(pg: PrivatePostgres, redis: PrivateRedis, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FILE_STORAGE"))}
    env.update({"DJANGO_DEV": "1", "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": pg.url(),
                "CELERY_BROKER_URL": redis.url, "VAR_DIR": str(tmp_path / "var"),
                "MEDIA_ROOT": str(tmp_path / "media"), "DB_CONNECT_TIMEOUT": "2",
                # The sweep sends again what a lost connection left behind; short here so the bound is.
                "SWEEP_QUEUED_AFTER_SECONDS": "10", "SWEEP_INTERVAL_SECONDS": "5", "EVALUATION_LEASE_SECONDS": "20"})
    return env


def _worker_argv(tmp_path: Path) -> list[str]:
    from django.conf import settings

    queues = [q.name for q in getattr(settings, "CELERY_TASK_QUEUES", ())] or ["celery"]
    return [sys.executable, "-m", "celery", "-A", "config", "worker", "-B", "-s", str(tmp_path / "beat-schedule"),
            "--concurrency=1", "--loglevel=INFO", "-Q", ",".join(queues), "-n", f"fault-{os.getpid()}@%h"]


def _stop(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def _queue_upload(env: dict[str, str], shape: str = "grade_center") -> int:
    done = subprocess.run([sys.executable, "-c", SEED_AND_QUEUE, shape], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    lines = [line for line in done.stdout.splitlines() if line.startswith("SUBMISSION ")]
    assert done.returncode == 0 and lines, done.stdout + done.stderr
    return int(lines[-1].split()[1])


def _status(pg: PrivatePostgres, submission_id: int) -> str | None:
    try:
        with psycopg.connect(pg.url(), connect_timeout=2) as conn:
            row = conn.execute("SELECT status FROM compliance_submission WHERE id = %s", [submission_id]).fetchone()
    except psycopg.OperationalError:
        return None  # the server is restarting
    return row[0] if row else None


def _wait(predicate: Callable[[], bool], seconds: float, what: str, log: Path, poll: float = 0.3) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}; worker log:\n{_log_tail(log)}")


def _log_tail(log: Path) -> str:
    """The worker's log without the sweep's every-5-seconds lines, which would hide the rest."""
    idle = ("Sending due task sweep", "sweep_pipeline", "'evaluations': 0, 'reports': 0")
    lines = [line for line in log.read_text().splitlines()
             if not (any(marker in line for marker in idle) and "'evaluations': 1" not in line)]
    return "\n".join([line for line in lines if not line.startswith(" ")][-150:])  # tracebacks: first lines only


def _evaluated(pg, submission_id, log) -> None:
    _wait(lambda: _status(pg, submission_id) == "evaluated", EVALUATED_WITHIN,
          f"submission {submission_id} to be evaluated (now {_status(pg, submission_id)!r})", log)


def test_worker_recovers_from_restarts_while_idle_and_while_evaluating(stack):
    pg, env, worker, log = stack
    first = _queue_upload(env)
    _evaluated(pg, first, log)  # the worker now holds a database connection, which the restart cuts

    pg.restart()
    second = _queue_upload(env)
    _evaluated(pg, second, log)

    third = _queue_upload(env, "large")  # 320 schools: an evaluation long enough to cut in the middle
    _wait(lambda: _status(pg, third) == "validating", EVALUATED_WITHIN, f"submission {third} to start", log,
          poll=0.05)
    pg.restart()  # mid-evaluation: its writes fail, the claim is left behind
    _evaluated(pg, third, log)

    assert worker.poll() is None, f"the worker exited ({worker.returncode}); log:\n{_log_tail(log)}"
    with psycopg.connect(pg.url()) as conn:
        statuses = dict(conn.execute("SELECT id, status FROM compliance_submission").fetchall())
        accepted = conn.execute("SELECT submission_id, count(*) FROM compliance_evaluation WHERE outcome = 'accepted' "
                                "GROUP BY submission_id").fetchall()
    # Each upload was evaluated exactly once; the second version superseded the first.
    assert statuses == {first: "superseded", second: "evaluated", third: "evaluated"}
    assert dict(accepted) == {first: 1, second: 1, third: 1}


def _queued_submission(district, cycle, submitter):
    data = demo_workbook("grade_center", cycle.school_year)
    data.district.district_id = district.state_id
    buffer = io.BytesIO()
    write_workbook(buffer, data)
    buffer.seek(0)
    with mock.patch("compliance.tasks.evaluate_submission.delay"):
        return services.submission_create(district=district, cycle=cycle, uploaded_by=submitter, fileobj=buffer,
                                          filename="upload.xlsx")


@pytest.mark.django_db
@pytest.mark.parametrize(("error", "status_after"), [
    (OperationalError("terminating connection due to administrator command"), "validating"),
    (InterfaceError("connection already closed"), "validating"),
    (ValueError("a bug in the rules"), "failed"),
])
def test_a_lost_database_leaves_the_claim_for_the_sweep_and_other_errors_fail(error, status_after, district, cycle,
                                                                              submitter):
    """What the restart test relies on, in-process: a database error is not the workbook's failure."""
    submission = _queued_submission(district, cycle, submitter)
    with mock.patch("compliance.services.evaluation.evaluation_run", side_effect=error), \
            pytest.raises(type(error)):
        services.submission_evaluate(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == status_after
    assert submission.attempts == 1
