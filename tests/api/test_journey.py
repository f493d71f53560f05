"""The district journey through the API alone, with one token: broken upload, problems, fixed upload,
findings, PDF, certify."""
from __future__ import annotations

import io
import time

import openpyxl
import pytest

from compliance.models import AuditEvent, Submission
from tests.api.conftest import district_a_workbook, upload

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def wait_for(api, submission_id: int, statuses: set[str], worker) -> dict:
    """Poll GET /submissions/{id} as a client would, letting the in-process worker run once."""
    worker(submission_id, report=True)
    for _ in range(20):
        body = api.get(f"/api/v1/submissions/{submission_id}").json()
        if body["status"] in statuses:
            return body
        time.sleep(0.1)
    raise AssertionError(body)


def test_district_journey(api_for, certifier_a, district_a, cycle, worker, tmp_path):
    api = api_for(certifier_a)  # a certifier may also upload: one token for the whole journey
    [district] = api.get("/api/v1/districts").json()["items"]
    assert district == {"id": district_a.pk, "state_id": "2611", "nces_id": "2803300",
                        "name": "Riverside County Schools"}

    broken = district_a_workbook(tmp_path, broken=True)
    response = upload(api, district["id"], broken, "riverside.xlsx")
    assert response.status_code == 201, response.content
    first = response.json()
    assert (first["status"], first["version"]) == ("queued", 1)
    assert first["receipt"]["filename"] == "riverside.xlsx" and first["receipt"]["size"] == len(broken)
    stored = Submission.objects.get(pk=first["id"])
    assert first["receipt"]["sha256"] == stored.sha256
    assert AuditEvent.objects.filter(submission=stored, action="uploaded").count() == 1  # the web's receipt too

    rejected = wait_for(api, first["id"], {"rejected"}, worker)
    assert rejected["counts"]["errors"] == 1
    problems = api.get(f"/api/v1/submissions/{first['id']}/problems").json()
    assert problems["count"] == 1
    [problem] = problems["items"]
    assert (problem["code"], problem["cell"], problem["column"], problem["value"]) == (
        "DATA-22", "Schools!K3", "black", "12a")
    marked = api.get(f"/api/v1/submissions/{first['id']}/marked.xlsx")
    assert marked.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(marked.content))
    assert "DATA-22" in wb["Schools"]["K3"].comment.text

    fixed = district_a_workbook(tmp_path, broken=False)
    second = upload(api, district["id"], fixed).json()
    assert second["version"] == 2
    assert api.get(f"/api/v1/submissions/{first['id']}").json()["status"] == "superseded"
    evaluated = wait_for(api, second["id"], {"evaluated"}, worker)
    findings = api.get(f"/api/v1/submissions/{second['id']}/findings?limit=1000").json()
    assert findings["count"] == evaluated["counts"]["findings"] + _warnings(findings)
    assert findings["count"] > 0 and all(f["rule"][:4] in ("INT-", "RES-") for f in findings["items"])

    pdf = api.get(f"/api/v1/submissions/{second['id']}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Type"] == "application/pdf"

    certified = api.post(f"/api/v1/submissions/{second['id']}/certify")
    assert certified.status_code == 200, certified.content
    assert certified.json()["status"] == "certified"
    assert Submission.objects.get(pk=second["id"]).status == "certified"


def _warnings(findings: dict) -> int:
    return sum(1 for f in findings["items"] if f["severity"] != "finding")
