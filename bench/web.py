"""Benchmark: the review queue, a submission page and the statewide page under 20 concurrent users, against /healthz.

    .venv/bin/python bench/web.py [--users 20] [--duration 30] [--web-workers 4]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_perf_web] [--broker-url redis://127.0.0.1:6379/9]

Starts the app as deployed (bench/load.py's Stack: gunicorn, Celery workers, beat) on the named
PostgreSQL database (DROPPED and made anew) and Redis on loopback; seeds the demo state; uploads
the four demo districts' workbooks through the upload page (the 320-school district among them),
lets the workers evaluate them and certifies them, so the queue lists them and their pages carry
real findings. Then ``users`` threads, each signed in as the reviewer or the supervisor, load in
turn the review queue (/), one of the submission pages, the statewide view and /healthz, with no
pause, for ``duration`` seconds. Prints p50/p95 per page and each as a ratio to /healthz's under
the same load. Target (issue 15): every page's p95 <= 5x /healthz's p95. Not a test.
"""
from __future__ import annotations

import argparse
import contextlib
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.load import SHAPES, Client, Stack, Stats, percentile  # noqa: E402

CERTIFY = """
import sys, django
django.setup()
from compliance import services
from compliance.models import Submission
from districts.models import User
certifier = User.objects.get(username="certifier")
for pk in map(int, sys.argv[1].split(",")):
    s = Submission.objects.get(pk=pk)
    certifier.districts.add(s.district)
    services.submission_certify(submission=s, user=certifier)
print("certified")
"""
STATUS_RE = re.compile(r'class="status status-(\w+)"')


def upload_all(stack: Stack, uploads: list[tuple[int, Path]]) -> list[int]:
    """The demo-shaped districts' workbooks uploaded, evaluated by the workers and certified; their submissions."""
    client = Client(stack.base, Stats(), timeout=120)
    client.login("submitter", "demo-submitter-pass")
    submissions = []
    for district_pk, workbook in uploads:
        token = client.csrf(client.request("home", "GET", "/").text)
        done = client.request("upload", "POST", f"/districts/{district_pk}/upload/", expect=(302,),
                              data={"csrfmiddlewaretoken": token},
                              files={"file": (workbook.name, workbook.read_bytes(), "application/octet-stream")})
        submissions.append(int(done.headers["Location"].rstrip("/").rsplit("/", 1)[-1]))
    deadline = time.monotonic() + 600
    for pk in submissions:
        while time.monotonic() < deadline:
            found = STATUS_RE.search(client.request("status", "GET", f"/submissions/{pk}/status/").text)
            if found and found.group(1) not in ("received", "queued", "validating"):
                break
            time.sleep(1)
    stack.python("-c", CERTIFY, ",".join(map(str, submissions)))
    return submissions


def browse(base: str, stats: Stats, stop: threading.Event, n: int, submissions: list[int]) -> None:
    """One state user loading the pages in turn, with no pause between them."""
    client = Client(base, stats)
    with contextlib.suppress(requests.RequestException):
        client.login(*(("reviewer", "demo-reviewer-pass"), ("supervisor", "demo-supervisor-pass"))[n % 2])
        i = n
        while not stop.is_set():
            client.request("queue", "GET", "/")
            client.request("submission", "GET", f"/submissions/{submissions[i % len(submissions)]}/")
            client.request("statewide", "GET", "/statewide/")
            client.request("healthz", "GET", "/healthz", expect=(200, 503))
            i += 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--duration", type=float, default=30)
    p.add_argument("--web-workers", type=int, default=4)
    p.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_perf_web")
    p.add_argument("--broker-url", default="redis://127.0.0.1:6379/9")
    p.add_argument("--folder", type=Path, help="logs, media and workbooks (default: a new temp folder)")
    args = p.parse_args(argv)
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench-web-"))
    folder.mkdir(parents=True, exist_ok=True)
    stack = Stack(args.database_url, args.broker_url, folder, web_workers=args.web_workers)
    stats, stop = Stats(), threading.Event()
    uploads = stack.prepare(len(SHAPES))
    try:
        stack.start()
        submissions = upload_all(stack, uploads)
        threads = [threading.Thread(target=browse, args=(stack.base, stats, stop, n, submissions), daemon=True)
                   for n in range(args.users)]
        for t in threads:
            t.start()
        stop.wait(args.duration)
        stop.set()
        for t in threads:
            t.join(60)
    finally:
        stack.stop()
    return report(stats, args)


def report(stats: Stats, args: argparse.Namespace) -> int:
    health = stats.latencies.get("healthz") or [float("nan")]
    h50, h95 = percentile(health, 50), percentile(health, 95)
    print(f"\n{args.users} users, {args.duration:.0f} s, gunicorn {args.web_workers} workers on loopback")
    print(f"{'page':<12}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p50 / healthz':>15}{'p95 / healthz':>15}")
    for kind in ("healthz", "queue", "submission", "statewide"):
        values = stats.latencies.get(kind) or [float("nan")]
        p50, p95 = percentile(values, 50), percentile(values, 95)
        print(f"{kind:<12}{len(values):>7}{p50 * 1000:>9.0f}{p95 * 1000:>9.0f}{p50 / h50:>15.2f}{p95 / h95:>15.2f}")
    for kind in ("queue", "submission", "statewide"):
        ratio = percentile(stats.latencies.get(kind) or [float("nan")], 95) / h95
        print(f"RATIO|{kind} page p95 / healthz p95, {args.users} users|{ratio:.2f}|<= 5|"
              f"{'OK' if ratio <= 5 else 'OVER'}")
    print(f"errors: {len(stats.errors)}")
    for e in stats.errors[:10]:
        print(f"  {e}")
    return 0 if not stats.errors else 1


if __name__ == "__main__":
    sys.exit(main())
