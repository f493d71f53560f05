"""Uploads and reports on S3-compatible object storage (django-storages), against a moto server.

`.ci/run` starts a moto server and points S3_TEST_ENDPOINT_URL at it; without that variable the
module starts its own on a free loopback port. The storage options come from config/settings.py
read with the production variables set, so the test exercises the one place they are written.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from unittest import mock

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from compliance import services
from compliance.demo import demo_workbook
from compliance.models import ReportKind, Submission
from compliance.states import SubmissionStatus as S
from compliance.workbook.template import write_workbook

ROOT = Path(__file__).resolve().parents[2]
KEY_ID, SECRET = "testing-key", "testing-secret"  # moto accepts any credentials
S3_SETTINGS_SNIPPET = (
    "import json; from django.conf import settings; "
    "print(json.dumps(settings.STORAGES['default']))"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    url = os.environ.get("S3_TEST_ENDPOINT_URL")
    if url:
        yield url
        return
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _s3_env(endpoint: str, bucket: str) -> dict[str, str]:
    return {"FILE_STORAGE_BACKEND": "storages.backends.s3.S3Storage", "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": endpoint, "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET}


def _settings_storage(env: dict[str, str]) -> subprocess.CompletedProcess:
    """STORAGES['default'] as config/settings.py builds it from these variables, in a fresh process."""
    full = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEV": "1", **env}
    return subprocess.run([sys.executable, "-c", S3_SETTINGS_SNIPPET], cwd=ROOT, env=full,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def bucket(s3_endpoint, settings):
    """A fresh bucket, and the app's default storage pointed at it exactly as production would be."""
    name = f"compliance-test-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET)
    client.create_bucket(Bucket=name)
    done = _settings_storage(_s3_env(s3_endpoint, name))
    assert done.returncode == 0, done.stderr
    storage = json.loads(done.stdout.strip().splitlines()[-1])
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    return client, name


def _object_bytes(client, bucket_name: str, key: str) -> bytes:
    return client.get_object(Bucket=bucket_name, Key=key)["Body"].read()


def _workbook_bytes(district, cycle) -> bytes:
    data = demo_workbook("grade_center", cycle.school_year)
    data.district.district_id = district.state_id
    buffer = io.BytesIO()
    write_workbook(buffer, data)
    return buffer.getvalue()


def test_settings_refuse_s3_without_a_bucket():
    done = _settings_storage({"FILE_STORAGE_BACKEND": "storages.backends.s3.S3Storage",
                              "AWS_STORAGE_BUCKET_NAME": ""})
    assert done.returncode != 0
    assert "AWS_STORAGE_BUCKET_NAME is required with the S3 storage backend." in done.stderr


@pytest.mark.django_db
@pytest.mark.slow
def test_upload_evaluate_report_and_download_through_the_bucket(client, bucket, submitter, district, cycle,
                                                                 settings):
    s3, bucket_name = bucket
    workbook = _workbook_bytes(district, cycle)
    client.force_login(submitter)
    with mock.patch("compliance.tasks.evaluate_submission.delay"), mock.patch("compliance.tasks.render_report.delay"):
        response = client.post(reverse("submission_upload", args=[district.pk]),
                               {"file": SimpleUploadedFile("gc.xlsx", workbook)})
        assert response.status_code == 302
        submission = Submission.objects.get(district=district)
        # What the worker does, in this process: it reads the workbook back from the bucket.
        evaluation = services.submission_evaluate(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == S.EVALUATED
    report = services.report_generate(evaluation=evaluation, kind=ReportKind.EVALUATION)

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket_name).get("Contents", [])}
    assert keys == {submission.file.name, report.file.name}
    assert submission.file.name.startswith(f"submissions/{district.state_id}/{cycle.school_year}/v1-")
    assert _object_bytes(s3, bucket_name, submission.file.name) == workbook
    pdf = _object_bytes(s3, bucket_name, report.file.name)
    assert pdf.startswith(b"%PDF-") and hashlib.sha256(pdf).hexdigest() == report.sha256
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.*"))  # nothing went to the local disk

    got = client.get(reverse("report_download", args=[submission.pk, ReportKind.EVALUATION]))
    assert got.status_code == 200 and b"".join(got.streaming_content) == pdf
    # The export re-reads the stored workbook from the bucket for its raw counts.
    export = client.get(reverse("export_download", args=[submission.pk, "schools"]))
    assert export.status_code == 200
    school_ids = {s.school_id for s in demo_workbook("grade_center", cycle.school_year).schools}
    assert school_ids and all(sid in export.content.decode() for sid in school_ids)


def test_a_name_is_never_overwritten_in_the_bucket(bucket, settings):
    s3, bucket_name = bucket
    first = default_storage.save("reports/x/v1.pdf", ContentFile(b"first"))
    second = default_storage.save("reports/x/v1.pdf", ContentFile(b"second"))
    assert first == "reports/x/v1.pdf" and second != first
    assert _object_bytes(s3, bucket_name, first) == b"first"
    assert _object_bytes(s3, bucket_name, second) == b"second"
    with default_storage.open(second, "rb") as fh:
        assert fh.read() == b"second"
