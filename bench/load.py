"""Load test on loopback: gunicorn (2 workers) and Celery workers on PostgreSQL and Redis, browsed and uploaded to.

    .venv/bin/python bench/load.py [--users 20] [--uploaders 10] [--duration 60]
        [--database-url postgres://postgres@127.0.0.1:5432/compliance_load] [--broker-url redis://127.0.0.1:6379/14]

Starts its own stack on the named database (DROPPED and made anew, so its name must contain
"load" or start with "bench"; a sqlite:/// file is deleted) and broker, seeds the demo state,
and gives each uploader a district of its own (the demo sample workbooks' shapes, re-addressed),
since a district's second upload is refused while its first is being checked. For the bounded
duration, browsing users log in as the demo users and load the home page, the review queue,
submission pages and status fragments; each uploader uploads, watches its submission's status
until the check ends, and uploads again. Then it waits (bounded) until every upload's check
ends, prints throughput and p50/p95 per page kind, and exits 1 on any error, any upload not
evaluated, or a stack that would not start.
Only the standard library, requests and threads; the stack runs in subprocesses.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

ROOT = Path(__file__).resolve().parents[1]
BROWSERS = (("submitter", "demo-submitter-pass"), ("certifier", "demo-certifier-pass"),
            ("reviewer", "demo-reviewer-pass"), ("supervisor", "demo-supervisor-pass"))
UPLOADER = ("submitter", "demo-submitter-pass")
SHAPES = ("grade_center", "lottery", "zoned", "large")  # the demo sample workbooks' districts
EVALUATED = "evaluated"
PENDING = {"received", "queued", "validating"}
STATUS_RE = re.compile(r'class="status status-(\w+)"')
SUBMISSION_RE = re.compile(r'href="/submissions/(\d+)/"')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

SETUP = """
import io, sys, django
django.setup()
from compliance.demo import demo_workbook
from compliance.models import ReportingCycle
from compliance.workbook.template import write_workbook
from districts.models import District, School, User

folder, shapes = sys.argv[1], sys.argv[2].split(",")
cycle = ReportingCycle.objects.order_by("-opens_on").first()
submitter = User.objects.get(username="submitter")
for n, shape in enumerate(shapes, 1):
    data = demo_workbook(shape, cycle.school_year)
    state_id = f"9{n:03d}"
    data.district.district_id = state_id
    district = District.objects.create(state_id=state_id, nces_id=f"99{n:05d}", name=f"Load test district {n}",
                                       state="MS", region="Load")
    School.objects.bulk_create([School(district=district, school_id=s.school_id, name=s.school_name,
                                       grade_low=s.grade_low, grade_high=s.grade_high) for s in data.schools])
    submitter.districts.add(district)
    path = f"{folder}/{state_id}-{shape}.xlsx"
    with open(path, "wb") as fh:
        write_workbook(fh, data)
    print("UPLOAD", district.pk, path)
"""
RECREATE = """
import sys, psycopg
base, name = sys.argv[1].rsplit("/", 1)
with psycopg.connect(base + "/postgres", autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.execute(f'CREATE DATABASE "{name}"')
"""
QUEUES = "from django.conf import settings; print(','.join(q.name for q in settings.CELERY_TASK_QUEUES))"


@dataclass
class Stats:
    """Every request's latency by page kind, errors, and the uploads made (thread-safe)."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    uploads: dict[int, str | None] = field(default_factory=dict)  # submission: status its check ended in
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


class Client:
    """One user's browser: a session, CSRF from the pages, each request timed under its page kind."""

    def __init__(self, base: str, stats: Stats, timeout: float = 30):
        self.base, self.stats, self.timeout = base, stats, timeout
        self.http = requests.Session()
        # As a browser does: a GET sent on a kept-alive connection that the server closed in the
        # same instant (gunicorn closes one idle for 2 s, the uploaders poll every 2 s) is sent
        # once more on a new connection. Nothing else is retried: a POST, a refusal, an error page.
        once = Retry(total=1, connect=0, read=1, status=0, redirect=0, other=0, allowed_methods=frozenset({"GET"}))
        self.http.mount("http://", HTTPAdapter(max_retries=once))

    def request(self, kind: str, method: str, path: str, expect: tuple[int, ...] = (200,), **kw) -> requests.Response:
        started = time.monotonic()
        try:
            response = self.http.request(method, self.base + path, timeout=self.timeout, allow_redirects=False, **kw)
        except requests.RequestException as exc:
            self.stats.error(f"{kind} {method} {path}: {type(exc).__name__} {exc}")
            raise
        self.stats.record(kind, time.monotonic() - started)
        if response.status_code not in expect:
            self.stats.error(f"{kind} {method} {path}: HTTP {response.status_code}")
            raise requests.HTTPError(f"HTTP {response.status_code}")
        return response

    def csrf(self, html: str) -> str:
        match = CSRF_RE.search(html)
        if not match:
            self.stats.error("no CSRF token in the page")
            raise requests.HTTPError("no CSRF token")
        return match.group(1)

    def login(self, username: str, password: str) -> None:
        page = self.request("login", "GET", "/login/")
        form = {"username": username, "password": password, "csrfmiddlewaretoken": self.csrf(page.text)}
        done = self.request("login", "POST", "/login/", expect=(302,), data=form)
        if "/login" in done.headers.get("Location", ""):
            self.stats.error(f"login as {username} refused")
            raise requests.HTTPError("login refused")

    def status(self, submission_id: int) -> str:
        page = self.request("status", "GET", f"/submissions/{submission_id}/status/")
        match = STATUS_RE.search(page.text)
        return match.group(1) if match else "unknown"


def browse(base: str, stats: Stats, stop: threading.Event, n: int) -> None:
    """A browsing user: home (the review queue for state staff), then the submissions listed there."""
    client = Client(base, stats)
    username, password = BROWSERS[n % len(BROWSERS)]
    with contextlib.suppress(requests.RequestException):
        client.login(username, password)
        state_staff = username in ("reviewer", "supervisor")
        while not stop.is_set():
            home = client.request("queue" if state_staff else "home", "GET", "/review/" if state_staff else "/")
            if state_staff:
                client.request("queue", "GET", "/review/?status=certified&sort=severity")
            for pk in SUBMISSION_RE.findall(home.text)[:3]:
                client.request("submission", "GET", f"/submissions/{pk}/")
                client.request("status", "GET", f"/submissions/{pk}/status/")
            stop.wait(0.5)  # a person reads the page
    while not stop.is_set():  # an error ends this user's session; it signs in again
        stop.wait(1)


def upload_loop(base: str, stats: Stats, stop: threading.Event, district_pk: int, workbook: Path) -> None:
    """An uploader: upload, watch the status until the check ends, upload the next version."""
    client = Client(base, stats, timeout=60)
    data = workbook.read_bytes()
    with contextlib.suppress(requests.RequestException):
        client.login(*UPLOADER)
        while not stop.is_set():
            token = client.csrf(client.request("home", "GET", "/").text)
            done = client.request("upload", "POST", f"/districts/{district_pk}/upload/", expect=(302,),
                                  data={"csrfmiddlewaretoken": token},
                                  files={"file": (workbook.name, data, "application/octet-stream")})
            found = re.search(r"/submissions/(\d+)/", done.headers.get("Location", ""))
            if not found:
                stats.error(f"upload to district {district_pk} did not lead to its submission")
                return
            submission_id = int(found.group(1))
            with stats.lock:
                stats.uploads[submission_id] = None
            client.request("submission", "GET", f"/submissions/{submission_id}/")
            status = client.status(submission_id)
            while not stop.is_set() and status in PENDING:
                stop.wait(2)  # as the page's own polling does
                status = client.status(submission_id)
            if status not in PENDING:
                # Seen now, before the next version supersedes it.
                stats.uploads[submission_id] = status


def settle(base: str, stats: Stats, seconds: float) -> dict[int, str]:
    """Wait (bounded) until every upload's check ended; the final status of each."""
    client = Client(base, Stats())  # not counted: the load is over
    client.login(*UPLOADER)
    deadline = time.monotonic() + seconds
    final = {pk: status for pk, status in stats.uploads.items() if status is not None}
    for submission_id in [pk for pk, status in stats.uploads.items() if status is None]:
        status = client.status(submission_id)
        while status in PENDING and time.monotonic() < deadline:
            time.sleep(1)
            status = client.status(submission_id)
        final[submission_id] = status
    return final


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def summary(stats: Stats, elapsed: float, final: dict[int, str]) -> list[str]:
    total = sum(len(v) for v in stats.latencies.values())
    lines = [f"{total} requests in {elapsed:.1f} s: {total / elapsed:.1f} requests/s",
             f"{'page':<12}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}"]
    for kind in sorted(stats.latencies):
        values = stats.latencies[kind]
        lines.append(f"{kind:<12}{len(values):>7}{percentile(values, 50) * 1000:>9.0f}"
                     f"{percentile(values, 95) * 1000:>9.0f}")
    not_evaluated = {k: v for k, v in final.items() if v != EVALUATED}
    lines.append(f"uploads: {len(final)}, evaluated: {len(final) - len(not_evaluated)}, "
                 f"not evaluated: {len(not_evaluated)} {not_evaluated or ''}".rstrip())
    lines.append(f"errors: {len(stats.errors)}")
    lines.extend(f"  {e}" for e in stats.errors[:20])
    return lines


def run_load(base: str, uploads: list[tuple[int, Path]], *, users: int, duration: float,
             settle_seconds: float) -> tuple[Stats, dict[int, str], float]:
    """Browsing users and uploaders for `duration` seconds; then every upload's final status."""
    stats, stop = Stats(), threading.Event()
    threads = [threading.Thread(target=browse, args=(base, stats, stop, n), daemon=True) for n in range(users)]
    threads += [threading.Thread(target=upload_loop, args=(base, stats, stop, pk, path), daemon=True)
                for pk, path in uploads]
    started = time.monotonic()
    for t in threads:
        t.start()
    stop.wait(duration)
    stop.set()
    for t in threads:
        t.join(90)  # a request in flight finishes or times out
    elapsed = time.monotonic() - started
    return stats, settle(base, stats, settle_seconds), elapsed


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """The app as deployed, on loopback: gunicorn, Celery workers and beat sharing a database and a broker."""

    def __init__(self, database_url: str, broker_url: str, folder: Path, web_workers: int = 2):
        name = database_url.rsplit("/", 1)[-1]
        if "load" not in name and not name.startswith("bench"):
            raise SystemExit(f"refusing to drop {database_url}: the database's name must contain 'load' "
                             "or start with 'bench'")
        self.folder, self.web_workers, self.port = folder, web_workers, free_port()
        self.env = {**os.environ, "DJANGO_DEV": "1", "DJANGO_SETTINGS_MODULE": "config.settings",
                    "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker_url, "VAR_DIR": str(folder / "var"),
                    "MEDIA_ROOT": str(folder / "media"), "AXES_ENABLED": "0", "DEBUG": "0"}
        self.env.pop("FILE_STORAGE_BACKEND", None)
        self.procs: list[subprocess.Popen] = []
        self.base = f"http://127.0.0.1:{self.port}"

    def manage(self, *argv: str, timeout: float = 600) -> str:
        return self.python("manage.py", *argv, timeout=timeout)

    def python(self, *argv: str, timeout: float = 600) -> str:
        done = subprocess.run([sys.executable, *argv], cwd=ROOT, env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv[:2])} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        return done.stdout

    def prepare(self, uploaders: int, shapes: tuple[str, ...] = SHAPES) -> list[tuple[int, Path]]:
        """Database made anew and migrated, demo seeded; one district and workbook per uploader
        (the demo districts' shapes in turn)."""
        url = self.env["DATABASE_URL"]
        if url.startswith("postgres"):
            self.python("-c", RECREATE, url)
        elif url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        self.manage("migrate", "--noinput")
        self.manage("seed_demo")
        (self.folder / "workbooks").mkdir(exist_ok=True)
        names = ",".join(shapes[n % len(shapes)] for n in range(uploaders))
        out = self.python("-c", SETUP, str(self.folder / "workbooks"), names)
        return [(int(pk), Path(path)) for _, pk, path in (line.split() for line in out.splitlines()
                                                           if line.startswith("UPLOAD "))]

    def start(self) -> None:
        """As in production (README, Production): gunicorn, one worker per queue, one beat."""
        self._spawn("web", [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(self.web_workers),
                            "--threads", "8", "--bind", f"127.0.0.1:{self.port}", "--timeout", "60"])
        for queue in self.python("-c", QUEUES).strip().split(","):
            self._spawn(f"worker-{queue}", [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue,
                                            "--concurrency", "2", "--loglevel", "INFO",
                                            "-n", f"load-{queue}-{os.getpid()}@%h"])
        self._spawn("beat", [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
                             "-s", str(self.folder / "beat-schedule")])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.base + "/login/", timeout=5).status_code == 200:
                    return
            time.sleep(0.5)
        raise SystemExit(f"gunicorn did not answer on {self.base}; see {self.folder / 'web.log'}")

    def _spawn(self, name: str, argv: list[str]) -> None:
        with open(self.folder / f"{name}.log", "w") as log:
            self.procs.append(subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                               start_new_session=True))

    def stop(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--uploaders", type=int, default=10)
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--settle", type=float, default=600, help="seconds to wait for the last checks to end")
    p.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/compliance_load")
    p.add_argument("--broker-url", default="redis://127.0.0.1:6379/14")
    p.add_argument("--folder", type=Path, help="logs, media and workbooks (default: a new temp folder)")
    args = p.parse_args(argv)
    folder = args.folder or Path(tempfile.mkdtemp(prefix="compliance-load-"))
    folder.mkdir(parents=True, exist_ok=True)
    stack = Stack(args.database_url, args.broker_url, folder)
    uploads = stack.prepare(args.uploaders)
    try:
        stack.start()
        print(f"load: {args.users} browsing users, {len(uploads)} uploaders, {args.duration:.0f} s on {stack.base}"
              f" (logs in {folder})", flush=True)
        stats, final, elapsed = run_load(stack.base, uploads, users=args.users, duration=args.duration,
                                         settle_seconds=args.settle)
    finally:
        stack.stop()
    print("\n".join(summary(stats, elapsed, final)))
    ok = bool(final) and not stats.errors and all(v == EVALUATED for v in final.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
