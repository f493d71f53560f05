"""Every API operation with a token of another district's user answers 404 and changes nothing."""
from __future__ import annotations

import io

import openpyxl
import pytest

from api.models import ApiToken
from compliance.models import AuditEvent, Finding, Submission
from compliance.services.portal import NO_OPEN_CYCLE
from districts.models import Role
from tests.api.conftest import Api, get_token, upload
from tests.conftest import make_user
from tests.factories import DUMMY_XLSX, EvaluationFactory, FindingFactory, ReportFactory, SubmissionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_submission(district_a, cycle, submitter_a):
    sub = SubmissionFactory(district=district_a, cycle=cycle, uploaded_by=submitter_a)
    evaluation = EvaluationFactory(submission=sub)
    FindingFactory(evaluation=evaluation)
    ReportFactory(submission=sub, evaluation=evaluation, kind="evaluation")
    return sub


def _state(a_submission) -> tuple:
    return (Submission.objects.count(), AuditEvent.objects.count(), Finding.objects.count(),
            Submission.objects.get(pk=a_submission.pk).status,
            ApiToken.objects.filter(revoked_at__isnull=True).count())


def test_other_districts_certifier_gets_404_everywhere(client, a_submission, district_a, district_b, certifier_a):
    a_token = ApiToken.objects.get(pk=_token_id(client, certifier_a.username))
    other = make_user("certifier_b", Role.DISTRICT_CERTIFIER, [district_b])
    api = Api(client, get_token(client, other.username))
    before = _state(a_submission)
    s = a_submission.pk
    reads = [f"/api/v1/submissions/{s}", f"/api/v1/submissions/{s}/problems", f"/api/v1/submissions/{s}/findings",
             f"/api/v1/submissions/{s}/report.pdf", f"/api/v1/submissions/{s}/marked.xlsx",
             f"/api/v1/submissions/{s}/original.xlsx", f"/api/v1/cycles/{a_submission.cycle_id}/export"]
    answers = [api.get(path) for path in reads]
    answers.append(api.post(f"/api/v1/submissions/{s}/certify"))
    answers.append(upload(api, district_a.pk, DUMMY_XLSX))
    answers.append(api.delete(f"/api/v1/tokens/{a_token.pk}"))
    assert [r.status_code for r in answers] == [404] * len(answers)
    assert all(r.json() == {"detail": "Not found.", "code": "not_found"} for r in answers)
    assert _state(a_submission) == before
    assert [d["id"] for d in api.get("/api/v1/districts").json()["items"]] == [district_b.pk]


def test_the_districts_own_certifier_sees_and_a_submitter_may_not_certify(client, a_submission, submitter_a,
                                                                          certifier_a):
    s = a_submission.pk
    certifier = Api(client, get_token(client, certifier_a.username))
    assert certifier.get(f"/api/v1/submissions/{s}").json()["status"] == "evaluated"
    assert certifier.get(f"/api/v1/submissions/{s}/original.xlsx").content == DUMMY_XLSX
    submitter = Api(client, get_token(client, submitter_a.username))
    refused = submitter.post(f"/api/v1/submissions/{s}/certify")
    # The web page's rule (permissions.certify_refusal): seen but not allowed is 403, with its words.
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Only a certifier of this district may certify its submission.",
                              "code": "forbidden"}
    assert Submission.objects.get(pk=s).status == "evaluated"


def test_state_export_is_for_state_staff(client, a_submission, reviewer):
    api = Api(client, get_token(client, reviewer.username))
    base = f"/api/v1/cycles/{a_submission.cycle_id}/export"
    response = api.get(f"{base}?variant=state&format=csv&table=districts")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "Riverside County Schools" in response.content.decode("utf-8-sig")
    both = api.get(f"{base}?variant=public&format=csv")  # both tables: a zip of two CSVs
    assert both["Content-Type"] == "application/zip" and both.content.startswith(b"PK")
    xlsx = api.get(f"{base}?variant=public&format=xlsx")
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content)).sheetnames  # a real workbook
    assert api.get(f"{base}?variant=secret").json()["code"] == "invalid_request"


def _token_id(client, username: str) -> int:
    get_token(client, username)
    return ApiToken.objects.filter(user__username=username).latest("created_at").pk


def test_upload_limits_are_the_web_pages(client, district_a, cycle, submitter_a, settings):
    settings.WORKBOOK_MAX_UPLOAD_BYTES = 100
    api = Api(client, get_token(client, submitter_a.username))
    too_big = upload(api, district_a.pk, b"PK" + b"x" * 200)
    assert too_big.status_code == 413
    assert too_big.json() == {"code": "upload_too_large", "detail": "The file is larger than the 100\xa0bytes limit. "
                              "Remove unused sheets and resave it, then upload it again."}
    empty = upload(api, district_a.pk, b"")
    assert (empty.status_code, empty.json()["code"]) == (400, "refused")
    assert empty.json()["detail"].startswith("The file is empty.")
    assert not Submission.objects.exists()


def test_an_upload_without_an_open_cycle_answers_409_in_the_pages_words(client, district_a, submitter_a):
    api = Api(client, get_token(client, submitter_a.username))
    answer = upload(api, district_a.pk, DUMMY_XLSX)
    assert (answer.status_code, answer.json()) == (409, {"code": "no_open_cycle", "detail": NO_OPEN_CYCLE})
    assert not Submission.objects.exists()


def test_docs_page_is_served(client):
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and b"openapi.json" in docs.content
