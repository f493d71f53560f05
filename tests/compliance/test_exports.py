"""The CSV exports the PDF points to: complete, suppressed like the PDF, permission-checked."""
from __future__ import annotations

import csv
import io
from unittest import mock

import pytest

from compliance import services
from compliance.demo import demo_workbook
from compliance.workbook.template import write_workbook
from districts.models import Role
from tests.conftest import make_user


@pytest.fixture
def evaluated(submitter, district, cycle):
    data = demo_workbook("zoned", cycle.school_year)
    data.district.district_id = district.state_id
    carver = next(s for s in data.schools if s.school_id == "0316")
    # Give Carver exactly 7 Hispanic students (the rest counted as Black): a small cell.
    moved = carver.hispanic - 7
    carver.hispanic, carver.black = 7, carver.black + moved
    buffer = io.BytesIO()
    write_workbook(buffer, data)
    buffer.seek(0)
    with mock.patch("compliance.tasks.evaluate_submission.delay"):
        submission = services.submission_create(district=district, cycle=cycle, uploaded_by=submitter,
                                                fileobj=buffer, filename="w.xlsx")
    with mock.patch("compliance.tasks.render_report.delay"):
        evaluation = services.submission_evaluate(submission_id=submission.pk)
    return submission, evaluation, data


def rows_of(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.django_db
def test_schools_export_lists_every_school_and_hides_small_counts(client, submitter, evaluated):
    submission, evaluation, data = evaluated
    client.force_login(submitter)
    response = client.get(f"/submissions/{submission.pk}/exports/schools.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = rows_of(response)
    assert [r["school_id"] for r in rows] == [s.school_id for s in data.schools]
    carver = next(r for r in rows if r["school_id"] == "0316")
    assert carver["hispanic"] == "<10" and "7" not in carver["hispanic_share"]
    north = next(r for r in rows if r["school_id"] == "0311")
    assert north["enrollment_total"] == "520" and north["black"] == str(data.schools[0].black)
    assert float(north["ppe_state_local"]) == pytest.approx(
        next(s for s in evaluation.result["measures"]["schools"] if s["school_id"] == "0311")["ppe_state_local"],
        abs=0.01)


@pytest.mark.django_db
def test_findings_export_has_every_finding(client, submitter, evaluated):
    submission, evaluation, _ = evaluated
    client.force_login(submitter)
    rows = rows_of(client.get(f"/submissions/{submission.pk}/exports/findings.csv"))
    assert [(r["rule"], r["school_id"]) for r in rows] == [
        (f["rule"], f["school_id"] or "") for f in evaluation.result["findings"]]
    carver_rows = [r for r in rows if r["school_id"] == "0316"]
    assert carver_rows and all(" 7 " not in f" {r['message']} " for r in carver_rows)
    assert any("Equity Assistance Center-South" in r["recommendations"] for r in rows)


@pytest.mark.django_db
def test_exports_are_404_for_another_district_and_unknown_kinds(client, evaluated, other_district):
    submission, _, _ = evaluated
    outsider = make_user("outsider", Role.DISTRICT_SUBMITTER, [other_district])
    client.force_login(outsider)
    assert client.get(f"/submissions/{submission.pk}/exports/schools.csv").status_code == 404
    client.force_login(make_user("state", Role.STATE_REVIEWER))
    assert client.get(f"/submissions/{submission.pk}/exports/schools.csv").status_code == 200
    assert client.get(f"/submissions/{submission.pk}/exports/secrets.csv").status_code == 404
