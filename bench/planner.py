"""Benchmark: the what-if planner on the 320-school demo district (target: an answer under 200 ms).

    .venv/bin/python bench/planner.py [--repeat 20]

Times, for a plan of a zone change and a grade center:
  1. the pure what-if computation (compliance.rules.planner_effect.plan_effect on a Baseline);
  2. the htmx request that adds a lever and answers the effect block (Django's test client, in
     process, on a private SQLite database under a temporary VAR_DIR), against GET /healthz.
Not a test; prints median and worst milliseconds and the ratio to /healthz.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:7.1f} ms, worst {max(samples) * 1000:7.1f} ms"


def _setup_django(tmp: str) -> None:
    os.environ.update(DJANGO_DEV="1", AXES_ENABLED="0", VAR_DIR=tmp, DATABASE_URL=f"sqlite:///{tmp}/bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    # /healthz answers 503 here (no worker runs): its timing is still the baseline; keep the log quiet.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)


def _district():
    from django.core.files.base import ContentFile

    from compliance.demo import demo_workbook
    from compliance.models import Submission
    from compliance.workbook.template import write_workbook
    from districts.models import Role
    from tests.factories import DistrictFactory, EvaluationFactory, ReportingCycleFactory, user_factory

    cycle = ReportingCycleFactory()
    district = DistrictFactory(name="Capital City Public Schools", state_id="2500")
    user = user_factory(Role.DISTRICT_SUBMITTER, [district], username="bench.planner")
    data = demo_workbook("large", cycle.school_year)
    data.district.district_id = district.state_id
    out = io.BytesIO()
    write_workbook(out, data)
    blob = out.getvalue()
    sub = Submission.objects.create(district=district, cycle=cycle, version=1,
                                    file=ContentFile(blob, name="large.xlsx"),
                                    original_filename="large.xlsx", sha256=hashlib.sha256(blob).hexdigest(),
                                    size=len(blob), uploaded_by=user, status="evaluated")
    EvaluationFactory(submission=sub)
    return district, user, data.schools


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _setup_django(tmp)
        from django.test import Client
        from django.urls import reverse

        from compliance.rules.planner import GradeCenter, MoveStudents
        from compliance.rules.planner_effect import Baseline, plan_effect

        district, user, schools = _district()
        elem = [s.school_id for s in schools if s.band == "elementary"]
        levers = [MoveStudents(elem[0], elem[1], 60), GradeCenter((elem[2], elem[3]), (("PK", "2"), ("3", "5")))]
        base = Baseline.of(schools)
        pure = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            plan_effect(Baseline.of(schools), levers)
            pure.append(time.perf_counter() - t0)
        effect = plan_effect(base, levers)

        client = Client()
        client.force_login(user)
        client.get(reverse("planner_district", args=[district.pk]))  # reads and caches the Schools sheet once
        add = reverse("planner_draft_lever_add", args=[district.pk])
        form = {"kind": "grade_center", "school_ids": f"{elem[2]}, {elem[3]}", "spans": "PK-2, 3-5"}
        client.post(add, {"kind": "move", "from_id": elem[0], "to_id": elem[1], "total": "60"}, HTTP_HX_REQUEST="true")
        htmx, health = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            r = client.post(add, form, HTTP_HX_REQUEST="true")
            htmx.append(time.perf_counter() - t0)
            assert r.status_code == 200 and b"INT-05 verdict" in r.content, r.content[:300]
            client.post(reverse("planner_draft_lever_remove", args=[district.pk, 1]), HTTP_HX_REQUEST="true")
            t0 = time.perf_counter()
            client.get("/healthz")
            health.append(time.perf_counter() - t0)
    print(f"schools: {len(schools)}; plan: a 60-student move and a 2-school grade center; verdict {effect.verdict}")
    print(f"what-if computation (plan_effect, baseline included): {_ms(pure)}")
    print(f"htmx lever request (add + effect block):              {_ms(htmx)}")
    print(f"GET /healthz:                                         {_ms(health)}")
    ratio = statistics.median(htmx) / statistics.median(health)
    verdict = "OK" if max(htmx) < 0.2 else "OVER"
    print(f"htmx / healthz median ratio: {ratio:.2f}x; target: every answer under 200 ms: {verdict}")


if __name__ == "__main__":
    main()
