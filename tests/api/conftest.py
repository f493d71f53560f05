"""API test helpers: a token for a user (through POST /api/v1/token), workbooks for district A."""
from __future__ import annotations

from unittest import mock

import pytest
from django.test import Client

from compliance import services
from compliance.rules.model import DistrictInfo
from compliance.workbook.template import write_workbook
from tests.compliance.workbook.helpers import edit, sample_data
from tests.factories import DEFAULT_PASSWORD


def get_token(client: Client, username: str, password: str = DEFAULT_PASSWORD) -> str:
    response = client.post("/api/v1/token", {"username": username, "password": password},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()["token"]


class Api:
    """A test client that sends ``Authorization: Bearer <token>`` on every request."""

    def __init__(self, client: Client, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **kw):
        return self.client.get(path, headers=self.headers, **kw)

    def post(self, path: str, data=None, **kw):
        return self.client.post(path, data or {}, headers=self.headers, **kw)

    def delete(self, path: str):
        return self.client.delete(path, headers=self.headers)


@pytest.fixture
def api_for(client):
    def make(user) -> Api:
        return Api(client, get_token(client, user.username))
    return make


def district_a_workbook(tmp_path, *, broken: bool) -> bytes:
    """A valid workbook for district A (2611) in 2026-27; ``broken``: Schools!K3 (black) reads '12a'."""
    data = sample_data()
    data.district = DistrictInfo("2611", "Riverside County Schools", "2026-27", 1, "Pat Doe",
                                 "pat.doe@riverside.k12.ms.us", data.district.proposed_change_description)
    path = tmp_path / ("broken.xlsx" if broken else "fixed.xlsx")
    write_workbook(path, data)
    if broken:
        edit(path, [("Schools", 3, "black", "12a")])
    return path.read_bytes()


def upload(api: Api, district_id: int, body: bytes, name: str = "workbook.xlsx"):
    return api.post(f"/api/v1/districts/{district_id}/submissions", {"file": _named(body, name)})


def _named(body: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from compliance.services.downloads import XLSX

    return SimpleUploadedFile(name, body, content_type=XLSX)


@pytest.fixture
def worker():
    """What the Celery worker does, in this process: evaluate a submission, render its report."""
    with mock.patch("compliance.tasks.evaluate_submission.delay"), mock.patch("compliance.tasks.render_report.delay"):
        def run(submission_id: int, *, report: bool = False):
            evaluation = services.submission_evaluate(submission_id=submission_id)
            if report and evaluation is not None:
                services.report_generate(evaluation=evaluation, kind="evaluation")
            return evaluation
        yield run
