"""The pages against real evaluations: demo sample workbooks uploaded and evaluated for real."""
from __future__ import annotations

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from compliance import services
from compliance.models import Submission
from compliance.models import SubmissionStatus as S
from districts.models import District, User

# The certify form: the attestation ticked, the certifier's typed name and title (issue 11).
CERTIFY = {"confirm": "on", "full_name": "Pat Lee", "title": "Superintendent"}

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(tmp_path / "media")}},
    }
    call_command("seed_demo", stdout=mock.Mock())
    return tmp_path / "samples"


def upload_and_evaluate(client, samples, name: str, state_id: str) -> Submission:
    district = District.objects.get(state_id=state_id)
    data = (samples / name).read_bytes()
    with mock.patch("compliance.tasks.evaluate_submission.delay"), mock.patch("compliance.tasks.render_report.delay"):
        response = client.post(reverse("submission_upload", args=[district.pk]),
                               {"file": SimpleUploadedFile(name, data)})
        assert response.status_code == 302
        submission = Submission.objects.get(district=district, status=S.QUEUED)
        # What the worker would do, in this process.
        services.submission_evaluate(submission_id=submission.pk)
    submission.refresh_from_db()
    return submission


def test_real_rejected_workbook_shows_its_problems(client, demo):
    client.force_login(User.objects.get(username="submitter"))
    sub = upload_and_evaluate(client, demo, "zoned-2611-with-mistakes.xlsx", "2611")
    assert sub.status == S.REJECTED
    response = client.get(reverse("submission_detail", args=[sub.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    errors = sub.latest_evaluation.problems.filter(severity="error").count()
    assert errors > 0
    assert f"{errors} error{'s' if errors != 1 else ''} must be fixed before the state can review this" in html
    first = sub.latest_evaluation.problems.filter(severity="error").first()
    assert first.code in html
    assert "Key measures" not in html
    home = client.get(reverse("home"))
    [row] = [s for e in home.context["districts"] for s in e["submissions"] if s.pk == sub.pk]
    assert row.counts.errors == errors


def test_real_evaluated_workbook_renders_findings_and_measures_for_reviewer(client, demo):
    client.force_login(User.objects.get(username="certifier"))
    sub = upload_and_evaluate(client, demo, "zoned-2611.xlsx", "2611")
    assert sub.status == S.EVALUATED
    evaluation = sub.latest_evaluation
    response = client.get(reverse("submission_detail", args=[sub.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Key measures" in html and "Multigroup dissimilarity" in html
    multigroup = evaluation.measures["district"]["dissimilarity"]["multigroup"]
    assert (f"{multigroup:.3f}".rstrip("0").rstrip(".") if multigroup is not None else "not applicable") in html
    for finding in evaluation.findings.all():
        assert f'id="finding-{finding.pk}"' in html
    assert evaluation.findings.filter(rule__startswith="INT").exists()
    assert evaluation.findings.filter(rule__startswith="RES").exists()
    assert "Integration (" in html and "Resources (" in html
    client.post(reverse("submission_certify", args=[sub.pk]), CERTIFY)
    client.force_login(User.objects.get(username="reviewer"))
    client.post(reverse("submission_claim", args=[sub.pk]))
    response = client.get(reverse("submission_detail", args=[sub.pk]))
    assert response.status_code == 200
    for finding in evaluation.findings.all():
        assert reverse("finding_review", args=[finding.pk]) in response.content.decode()
