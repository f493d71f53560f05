"""Benchmark: upload to *evaluated* and to *report ready* through real workers, against the offline command.

    .venv/bin/python bench/worker.py [--repeat 3] [--database-url postgres://postgres@127.0.0.1:5432/bench_perf]
        [--broker-url redis://127.0.0.1:6379/9]

Starts the app as deployed (bench/load.py's Stack: gunicorn, one Celery worker per queue, beat)
on the named PostgreSQL database (DROPPED and made anew) and Redis, seeds the demo and gives the
submitter the 320-school demo district's workbook under a district of its own. Then, ``repeat``
times: uploads it through the upload page and waits for its report; the times come from the
database's own clock (the submission's upload, the evaluation's end, the report's creation), so
no polling interval is in them. Side by side: ``manage.py evaluate WB --pdf OUT`` on the same
workbook in a fresh process. Target (issue 15): upload to report ready <= the offline
``evaluate --pdf`` time + 1 s. Not a test; prints a table and RATIO lines.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.load import ROOT, Client, Stack, Stats  # noqa: E402

TIMES = """
import json, sys, django
django.setup()
from compliance.models import Report, Submission
s = Submission.objects.get(pk=int(sys.argv[1]))
ev = s.latest_evaluation
report = Report.objects.filter(submission=s, kind="evaluation").first()
print(json.dumps({"status": s.status, "uploaded": s.uploaded_at.timestamp(),
                  "evaluated": ev.finished_at.timestamp() if ev and ev.finished_at else None,
                  "report": report.created_at.timestamp() if report else None}))
"""


def offline(workbook: Path, folder: Path, env: dict[str, str]) -> float:
    """Wall seconds of ``manage.py evaluate WB --pdf OUT`` in a fresh process (as an analyst runs it)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "manage.py", "evaluate", str(workbook), "--pdf", str(folder / "out.pdf")],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"offline evaluate failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def upload_once(stack: Stack, district_pk: int, workbook: Path, timeout: float = 600) -> dict[str, float]:
    """One upload through the page; wait (bounded) for its report; the database's times."""
    client = Client(stack.base, Stats(), timeout=60)
    client.login("submitter", "demo-submitter-pass")
    token = client.csrf(client.request("home", "GET", "/").text)
    done = client.request("upload", "POST", f"/districts/{district_pk}/upload/", expect=(302,),
                          data={"csrfmiddlewaretoken": token},
                          files={"file": (workbook.name, workbook.read_bytes(), "application/octet-stream")})
    submission_id = int(done.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        times = json.loads(stack.python("-c", TIMES, str(submission_id)).strip().splitlines()[-1])
        if times["report"] or times["status"] in ("rejected", "failed"):
            return times
        time.sleep(1)
    raise SystemExit(f"submission {submission_id}: no report after {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/bench_perf")
    p.add_argument("--broker-url", default="redis://127.0.0.1:6379/9")
    p.add_argument("--folder", type=Path, help="logs, media and workbooks (default: a new temp folder)")
    args = p.parse_args(argv)
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench-worker-"))
    folder.mkdir(parents=True, exist_ok=True)
    stack = Stack(args.database_url, args.broker_url, folder)
    [(district_pk, workbook)] = stack.prepare(1, shapes=("large",))
    env = {k: v for k, v in stack.env.items() if k not in ("DJANGO_DEV", "CELERY_BROKER_URL")}
    runs: list[dict[str, float]] = []
    try:
        stack.start()
        time.sleep(3)  # the workers connect to the broker
        for _ in range(args.repeat):
            cli = offline(workbook, folder, env)
            t = upload_once(stack, district_pk, workbook)
            if not t["report"]:
                raise SystemExit(f"the upload ended {t['status']}, not evaluated; see {folder}")
            runs.append({"offline": cli, "evaluated": t["evaluated"] - t["uploaded"],
                         "report": t["report"] - t["uploaded"], "render": t["report"] - t["evaluated"]})
            print(f"offline evaluate --pdf {cli:.2f} s; upload -> evaluated {runs[-1]['evaluated']:.2f} s, "
                  f"-> report ready {runs[-1]['report']:.2f} s", flush=True)
    except requests.RequestException as exc:
        raise SystemExit(f"the stack did not answer: {exc}; logs in {folder}") from exc
    finally:
        stack.stop()
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"\n320-school demo district, median of {len(runs)} (workers on {args.broker_url}, "
          f"{args.database_url.rsplit('/', 1)[-1]}):")
    print(f"  offline manage.py evaluate --pdf: {med['offline']:.2f} s")
    print(f"  upload -> evaluated:             {med['evaluated']:.2f} s")
    print(f"  evaluated -> report ready:       {med['render']:.2f} s")
    print(f"  upload -> report ready:          {med['report']:.2f} s")
    over = med["report"] - med["offline"]
    print(f"RATIO|upload -> report ready, seconds over the offline evaluate --pdf|{over:.2f}|<= 1|"
          f"{'OK' if over <= 1 else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
