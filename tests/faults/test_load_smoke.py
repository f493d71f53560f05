"""bench/load.py in small: the same stack and code path, 4 browsing users and 2 uploaders for 10 s.

The full run (20 users, 10 uploaders, 60 s on PostgreSQL and Redis) is by hand; see the README.
Here the database follows the suite's (PostgreSQL in CI, a private database on that server; else
SQLite in a temp folder) and the broker is a private redis-server in CI, the filesystem otherwise.
"""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.config.redis_server import PrivateRedis

ROOT = Path(__file__).resolve().parents[2]


def _load_module():
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def _database_url(tmp_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        return f"{url.rsplit('/', 1)[0]}/compliance_load_smoke_{os.getpid()}"
    return f"sqlite:///{tmp_path / 'load.sqlite3'}"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_load_smoke_has_no_errors_and_every_upload_is_evaluated(tmp_path):
    redis = PrivateRedis(tmp_path) if os.environ.get("CELERY_BROKER_URL", "").startswith("redis") else None
    if redis:
        redis.start()
    try:
        done = subprocess.run(
            [sys.executable, "bench/load.py", "--users", "4", "--uploaders", "2", "--duration", "10",
             "--settle", "240", "--database-url", _database_url(tmp_path),
             "--broker-url", redis.url if redis else "filesystem://", "--folder", str(tmp_path / "load")],
            cwd=ROOT, capture_output=True, text=True, timeout=540)
    finally:
        if redis:
            redis.stop()
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    uploads = re.search(r"uploads: (\d+), evaluated: (\d+), not evaluated: 0", out)
    assert uploads and int(uploads.group(1)) >= 2 and uploads.group(1) == uploads.group(2), out
    assert "errors: 0" in out
    kinds = {line.split()[0] for line in out.splitlines() if re.match(r"^\w+ +\d+ +\d+ +\d+$", line)}
    assert kinds == {"home", "login", "queue", "status", "submission", "upload"}, out


def test_summary_percentiles_and_verdict_worked_by_hand():
    load = _load_module()
    stats = load.Stats()
    for ms in (10, 20, 30, 40, 50, 60, 70, 80, 90, 100):
        stats.record("home", ms / 1000)
    stats.record("upload", 0.5)
    # Inclusive quantiles of 10, 20, ..., 100 ms: p50 halfway between 50 and 60; p95 at rank 1 + 0.95 * 9 = 9.55,
    # i.e. 90 + 0.55 * 10 = 95.5 ms, printed as 96.
    assert load.percentile(stats.latencies["home"], 50) == pytest.approx(0.055)
    assert load.percentile(stats.latencies["home"], 95) == pytest.approx(0.0955)
    lines = load.summary(stats, 11.0, {1: "evaluated", 2: "queued"})
    assert lines[0] == "11 requests in 11.0 s: 1.0 requests/s"
    assert "home             10       55       96" in lines
    assert "upload            1      500      500" in lines
    assert "uploads: 2, evaluated: 1, not evaluated: 1 {2: 'queued'}" in lines
    assert lines[-1] == "errors: 0"
