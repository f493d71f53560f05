"""A hung or restarted Redis: requests give up within seconds, /healthz says so, a busy worker survives.

Each test starts its own redis-server on a free port, so pausing or restarting it disturbs
nobody else (never the shared Redis on 6379).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from config.models import WorkerHeartbeat
from tests.config.redis_server import PrivateRedis

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.mark.django_db
@pytest.mark.timeout(30)
def test_healthz_answers_within_3_s_with_503_naming_a_hung_broker(client, settings, private_redis):
    settings.CELERY_BROKER_URL = private_redis.url
    WorkerHeartbeat.objects.create(hostname="w1@host", seen_at=timezone.now())
    assert client.get("/healthz").status_code == 200  # the private broker answers before the pause
    private_redis.pause()
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["broker"]
    assert "Timeout" in body["broker"]
    assert body["database"] == "ok" and body["worker"] == "ok"
    assert elapsed < 3, f"/healthz took {elapsed:.1f} s on a hung broker"


PUBLISH = """
import time, django
django.setup()
from config.celery import app
started = time.monotonic()
try:
    app.send_task("tests.busy", kwargs={"seconds": 0, "marker": "/dev/null", "label": "x"})
    print("published")
except Exception as exc:
    print(type(exc).__name__, exc)
print(f"elapsed {time.monotonic() - started:.2f}")
"""


@pytest.mark.timeout(60)
def test_publishing_to_a_hung_broker_gives_up_within_seconds(private_redis):
    """What an upload does when it queues its task, configured as in production (CELERY_BROKER_URL=redis://)."""
    private_redis.pause()
    env = {**os.environ, "CELERY_BROKER_URL": private_redis.url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run([sys.executable, "-c", PUBLISH], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=50)
    lines = result.stdout.strip().splitlines()
    assert lines and lines[-1].startswith("elapsed"), result.stdout + result.stderr
    elapsed = float(lines[-1].split()[1])
    assert "imeout" in lines[0], lines  # the caller gets the error (and can show it), not a hang
    # Two attempts (one retry, CELERY_TASK_PUBLISH_RETRY_POLICY) of at most 2 s each, plus the pause.
    assert elapsed < 6, f"publishing took {elapsed:.1f} s on a hung broker"


def _test_database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return (f"postgres://{s.get('USER') or 'postgres'}{password}@{s.get('HOST') or '127.0.0.1'}:"
            f"{s.get('PORT') or 5432}/{s['NAME']}")


def _wait_for(predicate, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}. Worker log:\n{log.read_text()[-5000:]}")


def _lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


@pytest.mark.broker
@pytest.mark.slow
@pytest.mark.timeout(150)
@pytest.mark.django_db(transaction=True)
def test_busy_worker_survives_a_redis_restart_and_keeps_consuming(tmp_path, private_redis):
    """Redis restarts while the worker runs a task: the worker reconnects, loses nothing, beats again."""
    from tests.config.busy_app import app

    log, marker = tmp_path / "worker.log", tmp_path / "done.txt"
    env = {**os.environ, "CELERY_BROKER_URL": private_redis.url, "DATABASE_URL": _test_database_url(),
           "WORKER_HEARTBEAT_SECONDS": "1"}
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tests.config.busy_app", "worker", "--concurrency=1",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "-n", f"restart-{os.getpid()}@%h"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for(lambda: WorkerHeartbeat.objects.exists(), 40, "the first heartbeat", log)
        with app.connection_for_write(private_redis.url) as conn:
            app.send_task("tests.busy", kwargs={"seconds": 6, "marker": str(marker), "label": "first"},
                          connection=conn)
        _wait_for(lambda: "tests.busy" in log.read_text() and "received" in log.read_text(), 20,
                  "the worker to take the first task", log)
        private_redis.stop()  # the restart: the server goes away while the task runs...
        time.sleep(2)
        private_redis.start()  # ...and comes back empty (no persistence), on the same port
        restarted_at = timezone.now()
        _wait_for(lambda: "first" in _lines(marker), 30, "the first task to finish", log)
        with app.connection_for_write(private_redis.url) as conn:
            app.send_task("tests.busy", kwargs={"seconds": 0, "marker": str(marker), "label": "second"},
                          connection=conn)
        _wait_for(lambda: "second" in _lines(marker), 40, "a task sent after the restart", log)
        _wait_for(lambda: WorkerHeartbeat.objects.filter(seen_at__gt=restarted_at).exists(), 20,
                  "a heartbeat after the restart", log)
        assert worker.poll() is None, f"the worker died:\n{log.read_text()[-5000:]}"
        text = log.read_text()
        assert "Unrecoverable error" not in text and "CRITICAL" not in text
        assert "Connection to broker lost" in text  # the restart really reached the worker
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)


@pytest.mark.broker
@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_the_configured_broker_turns_healthz_green(client, tmp_path):
    """Filesystem transport locally, Redis in CI: either way the worker's consumer writes the heartbeat."""
    gone = WorkerHeartbeat.objects.create(hostname="retired@old", seen_at=timezone.now() - timedelta(days=2))
    assert client.get("/healthz").json()["worker"].startswith("no worker heartbeat for")
    log = tmp_path / "worker.log"
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "WORKER_HEARTBEAT_SECONDS": "1"}
    with log.open("w") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency=1", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "-n", f"health-{os.getpid()}@%h"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for(lambda: WorkerHeartbeat.objects.filter(hostname=f"health-{os.getpid()}@{socket.gethostname()}")
                  .exists(), 60, "the worker's heartbeat", log)
        first = WorkerHeartbeat.objects.get(hostname__startswith="health-").seen_at
        _wait_for(lambda: WorkerHeartbeat.objects.get(hostname__startswith="health-").seen_at > first, 20,
                  "a second beat", log)
        response = client.get("/healthz")
        assert response.status_code == 200, response.json()
        assert response.json() == {"database": "ok", "broker": "ok", "worker": "ok"}
        assert not WorkerHeartbeat.objects.filter(pk=gone.pk).exists()  # a day-old row is forgotten
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
