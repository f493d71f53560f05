"""The district and state pages, driven through the test client."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from unittest import mock

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from compliance import services
from compliance.models import (
    AuditEvent,
    Comment,
    Decision,
    EvaluationOutcome,
    Finding,
    ReportKind,
    ReviewStatus,
    Submission,
)
from compliance.models import SubmissionStatus as S
from compliance.presenters import scope_label
from compliance.rules.counts import SeverityCounts
from compliance.services import review
from compliance.services.portal import NO_OPEN_CYCLE
from districts.models import Role
from tests.factories import (
    DUMMY_PDF,
    DistrictFactory,
    EvaluationFactory,
    FindingFactory,
    ProblemFactory,
    ReportFactory,
    ReportingCycleFactory,
    SchoolFactory,
    SubmissionFactory,
    user_factory,
)

# The certify form: the attestation ticked, the certifier's typed name and title (issue 11).
CERTIFY = {"confirm": "on", "full_name": "Pat Lee", "title": "Superintendent"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # The production hasher's million rounds dominate a view test's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def district():
    return DistrictFactory(name="Riverbend Unified")


@pytest.fixture
def other_district():
    return DistrictFactory(name="Hilltop County Schools")


@pytest.fixture
def cycle():
    return ReportingCycleFactory()


@pytest.fixture
def submitter(district):
    return user_factory(Role.DISTRICT_SUBMITTER, [district])


@pytest.fixture
def certifier(district):
    return user_factory(Role.DISTRICT_CERTIFIER, [district])


@pytest.fixture
def reviewer():
    return user_factory(Role.STATE_REVIEWER)


@pytest.fixture
def evaluated(district, cycle, submitter):
    """An evaluated submission with one open finding and a warning."""
    sub = SubmissionFactory(district=district, cycle=cycle, uploaded_by=submitter, status=S.EVALUATED)
    ev = EvaluationFactory(submission=sub)
    FindingFactory(evaluation=ev)
    ProblemFactory(evaluation=ev, severity="warning", code="DATA-21", message="Capacity is blank.")
    return sub


@pytest.fixture
def in_review(evaluated, reviewer):
    Submission.objects.filter(pk=evaluated.pk).update(status=S.IN_REVIEW, reviewer=reviewer)
    evaluated.refresh_from_db()
    return evaluated


def detail(sub):
    return reverse("submission_detail", args=[sub.pk])


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Login and home -----------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_renders_without_secrets(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Sign in</h1>" in html
    assert '<html lang="en">' in html
    assert 'for="id_username"' in html and 'for="id_password"' in html
    assert "SECRET" not in html and "dev-only" not in html
    assert "{#" not in html and "{%" not in html  # no template syntax leaks into the page


def test_home_district_user_sees_own_districts_cycle_and_submissions(client, submitter, district, other_district,
                                                                     cycle, evaluated):
    SubmissionFactory(district=other_district, cycle=cycle)
    client.force_login(submitter)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Riverbend Unified" in html
    assert "Hilltop County Schools" not in html
    assert "2026-27" in html and "(14 days left)" in html
    assert reverse("template_download", args=[district.pk]) in html
    assert "Download the workbook template" in html
    assert 'accept=".xlsx' in html
    assert reverse("submission_upload", args=[district.pk]) in html
    # Version 1 row with counts: 0 errors, 1 warning, 1 finding.
    [entry] = response.context["districts"]
    [row] = entry["submissions"]
    assert row.pk == evaluated.pk
    assert row.counts == SeverityCounts(errors=0, warnings=1, findings=1, notes=0)
    assert "Evaluated" in html
    assert "Review queue" not in html


def test_home_offers_no_upload_while_a_version_is_with_the_state(client, submitter, district, cycle, evaluated):
    # The form could only fail ("Version 1 is already with the state"): it says so instead.
    client.force_login(submitter)
    assert reverse("submission_upload", args=[district.pk]) in client.get(reverse("home")).content.decode()
    for status, why in ((S.CERTIFIED, "Version 1 is already with the state (Certified and submitted); a new version "
                                      "can be uploaded once the state returns it for revision."),
                        (S.DECIDED, "Version 1 has been decided by the state; this cycle&#x27;s submission is "
                                    "complete and no new version can be uploaded.")):
        type(evaluated).objects.filter(pk=evaluated.pk).update(status=status)
        html = client.get(reverse("home")).content.decode()
        assert reverse("submission_upload", args=[district.pk]) not in html
        assert why in html
    type(evaluated).objects.filter(pk=evaluated.pk).update(status=S.RETURNED)
    assert reverse("submission_upload", args=[district.pk]) in client.get(reverse("home")).content.decode()


# --- Visibility across districts ------------------------------------------------------------


def test_district_user_gets_404_for_other_districts(client, submitter, other_district, cycle):
    theirs = SubmissionFactory(district=other_district, cycle=cycle)
    ev = EvaluationFactory(submission=theirs)
    ReportFactory(evaluation=ev)
    finding = FindingFactory(evaluation=ev)
    client.force_login(submitter)
    assert client.get(detail(theirs)).status_code == 404
    assert client.get(reverse("submission_status", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("report_download", args=[theirs.pk, ReportKind.EVALUATION])).status_code == 404
    assert client.get(reverse("template_download", args=[other_district.pk])).status_code == 404
    assert client.post(reverse("comment_create", args=[theirs.pk]), {"body": "hi"}).status_code == 404
    assert client.post(reverse("finding_review", args=[finding.pk]), {"status": "confirmed"}).status_code == 404
    upload = SimpleUploadedFile("w.xlsx", b"PK data")
    assert client.post(reverse("submission_upload", args=[other_district.pk]), {"file": upload}).status_code == 404
    assert not Comment.objects.exists()
    assert Submission.objects.filter(district=other_district).count() == 1


def test_404_page_does_not_reveal_the_district(client, submitter, other_district, cycle):
    theirs = SubmissionFactory(district=other_district, cycle=cycle)
    client.force_login(submitter)
    response = client.get(detail(theirs))
    assert response.status_code == 404
    assert "Hilltop" not in response.content.decode()
    assert "Page not found" in response.content.decode()


# --- Downloads --------------------------------------------------------------------------------


def test_report_download_streams_newest_pdf(client, submitter, evaluated):
    ev = evaluated.latest_evaluation
    ReportFactory(evaluation=ev, kind=ReportKind.EVALUATION)
    client.force_login(submitter)
    page = client.get(detail(evaluated)).content.decode()
    url = reverse("report_download", args=[evaluated.pk, ReportKind.EVALUATION])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"v{evaluated.version}-evaluation.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == DUMMY_PDF
    # No decision report yet.
    assert client.get(reverse("report_download", args=[evaluated.pk, ReportKind.DECISION])).status_code == 404
    assert client.get(reverse("report_download", args=[evaluated.pk, "nonsense"])).status_code == 404


def test_template_download_prefilled_for_own_district(client, submitter, district, cycle):
    SchoolFactory(district=district, school_id="0042", name="Maple Elementary")
    client.force_login(submitter)
    response = client.get(reverse("template_download", args=[district.pk]))
    assert response.status_code == 200
    assert "attachment;" in response["Content-Disposition"]
    assert f"equity-workbook-{district.state_id}-2026-27.xlsx" in response["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    values = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row}
    assert "0042" in values and "Maple Elementary" in values
    assert district.state_id in values and "2026-27" in values


# --- Upload -------------------------------------------------------------------------------------


def test_upload_creates_v1_and_queues_evaluation_on_commit(client, submitter, district, cycle,
                                                           django_capture_on_commit_callbacks):
    client.force_login(submitter)
    upload = SimpleUploadedFile("Riverbend 2026.xlsx", b"PK\x03\x04 workbook bytes")
    with mock.patch("compliance.tasks.evaluate_submission.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post(reverse("submission_upload", args=[district.pk]), {"file": upload})
            assert delay.call_count == 0  # nothing is queued before the transaction commits
        sub = Submission.objects.get(district=district)
    assert response.status_code == 302
    assert response["Location"] == detail(sub)
    assert len(callbacks) == 2  # the evaluation, and the receipt e-mail (issue 11)
    delay.assert_called_once_with(submission_id=sub.pk)
    assert sub.version == 1
    assert sub.status == S.QUEUED
    assert sub.original_filename == "Riverbend 2026.xlsx"
    assert sub.size == len(b"PK\x03\x04 workbook bytes")
    assert list(AuditEvent.objects.filter(submission=sub).values_list("action", flat=True)) == [
        "uploaded", "status:queued"
    ]


def test_upload_after_a_failed_version_supersedes_it(client, submitter, district, cycle,
                                                      django_capture_on_commit_callbacks):
    failed = SubmissionFactory(district=district, cycle=cycle, status=S.FAILED)
    client.force_login(submitter)
    with mock.patch("compliance.tasks.evaluate_submission.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("submission_upload", args=[district.pk]),
                                   {"file": SimpleUploadedFile("fixed.xlsx", b"PK\x03\x04 second try")})
    new = Submission.objects.get(district=district, version=failed.version + 1)
    assert response.status_code == 302 and response["Location"] == detail(new)
    failed.refresh_from_db()
    assert (failed.status, new.status) == (S.SUPERSEDED, S.QUEUED)
    delay.assert_called_once_with(submission_id=new.pk)


def test_upload_refused_by_service_shows_error_next_to_field(client, submitter, district, cycle,
                                                             django_capture_on_commit_callbacks):
    SubmissionFactory(district=district, cycle=cycle, status=S.VALIDATING)
    client.force_login(submitter)
    with mock.patch("compliance.tasks.evaluate_submission.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("submission_upload", args=[district.pk]), {"file": SimpleUploadedFile("w.xlsx", b"PK")}
            )
    # Post/redirect/get: the refusal is shown on the upload page, after a redirect.
    assert response.status_code == 302 and response["Location"] == reverse("submission_upload", args=[district.pk])
    html = client.get(response["Location"]).content.decode()
    assert "Version 1 is still being checked" in html
    assert 'class="field-error"' in html and 'aria-invalid="true"' in html
    assert Submission.objects.filter(district=district).count() == 1
    delay.assert_not_called()


def test_oversized_upload_is_stopped_while_streaming_and_explained(client, submitter, district, cycle, settings):
    settings.WORKBOOK_MAX_UPLOAD_BYTES = 100 * 1024
    csrf_client = Client(enforce_csrf_checks=True)  # the CSRF token must still arrive intact
    csrf_client.force_login(submitter)
    home = csrf_client.get(reverse("home"))
    token = home.cookies["csrftoken"].value
    big = SimpleUploadedFile("big.xlsx", b"PK" + b"x" * (300 * 1024))
    with mock.patch("compliance.services.submission_create") as create:
        response = csrf_client.post(reverse("submission_upload", args=[district.pk]),
                                    {"csrfmiddlewaretoken": token, "note": "Fixed the budget.", "file": big})
    assert response.status_code == 302
    html = csrf_client.get(response["Location"]).content.decode()
    assert "The file is larger than the 100.0\xa0KB limit." in html
    assert ">Fixed the budget.</textarea>" in html  # the note sent before the file is kept
    create.assert_not_called()
    assert Submission.objects.count() == 0


def test_upload_requires_a_file_and_post(client, submitter, district, cycle):
    client.force_login(submitter)
    url = reverse("submission_upload", args=[district.pk])
    assert client.get(url).status_code == 200  # the district's upload page
    assert client.put(url).status_code == 405
    response = client.post(url, {}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "Choose the filled-in workbook (.xlsx) to upload." in response.content.decode()
    assert not Submission.objects.exists()


def test_state_user_cannot_upload(client, reviewer, district, cycle):
    client.force_login(reviewer)
    response = client.post(
        reverse("submission_upload", args=[district.pk]), {"file": SimpleUploadedFile("w.xlsx", b"PK")}
    )
    assert response.status_code == 403
    assert "You may not submit for this district." in response.content.decode()
    assert not Submission.objects.exists()


# --- Detail ---------------------------------------------------------------------------------------


def test_detail_rejected_shows_problems_summary_and_filters(client, submitter, district, cycle):
    sub = SubmissionFactory(district=district, cycle=cycle, status=S.REJECTED)
    ev = EvaluationFactory(submission=sub, outcome=EvaluationOutcome.REJECTED)
    for _ in range(3):
        ProblemFactory(evaluation=ev, severity="error", sheet="Schools")
    ProblemFactory(evaluation=ev, severity="warning", sheet="Budget", code="DATA-30", message="Budget blank.")
    ProblemFactory(evaluation=ev, severity="warning", sheet="Schools", code="DATA-31", message="Capacity odd.")
    client.force_login(submitter)
    response = client.get(detail(sub))
    html = response.content.decode()
    assert response.status_code == 200
    assert "3 errors must be fixed before the state can review this; 2 warnings." in html
    assert "Enrollment cannot be negative." in html and "Enter the October count" in html
    assert "Certify and submit" not in html
    assert 'id="findings-heading"' not in html  # no findings section before the data pass the checks
    response = client.get(detail(sub), {"severity": "warning", "sheet": "Budget"})
    shown = list(response.context["problem_filter"].qs)
    assert [p.code for p in shown] == ["DATA-30"]
    assert "Capacity odd." not in response.content.decode()


def test_detail_evaluated_shows_findings_measures_and_certify_for_certifier(client, certifier, evaluated):
    client.force_login(certifier)
    response = client.get(detail(evaluated))
    html = response.content.decode()
    assert response.status_code == 200
    assert evaluated.sha256 in html
    assert "Integration" in html and "INT-01" in html
    assert "Students of color are 71%" in html
    # Evidence as a reviewer reads it: percentages in the row, labelled rows in the details.
    assert '<td class="num">71.0%</td>' in html and '<td class="num">45.0%</td>' in html
    assert "<th scope=\"row\">School share</th><td>71.0%</td>" in html
    assert "within \u00b115.0 points" in html  # the standard beside the numbers
    assert "Riverbend" in html and "School 0001" in html  # no school list: the id, said as such
    assert "Review attendance zone boundaries" in html
    assert "<strong>School 0001:</strong> Students to move: 120" in html
    assert "Not yet reviewed" in html
    assert "Multigroup dissimilarity" in html and "0.412" in html
    assert "not applicable" in html  # hispanic_white is None
    assert "Certify and submit to the state" in html
    assert "I attest to the statement above" in html
    # No reviewer controls for a district user.
    assert reverse("finding_review", args=[evaluated.latest_evaluation.findings.get().pk]) not in html
    assert "Return for revision" not in html


def test_detail_submitter_cannot_see_certify(client, submitter, evaluated):
    client.force_login(submitter)
    html = client.get(detail(evaluated)).content.decode()
    assert "Certify and submit to the state" not in html


def test_detail_shows_history(client, submitter, evaluated):
    AuditEvent.objects.create(submission=evaluated, actor=submitter, action="uploaded", to_status=S.RECEIVED)
    client.force_login(submitter)
    html = client.get(detail(evaluated)).content.decode()
    assert "Uploaded: new to Received" in html


def test_pending_detail_polls_status_and_fragment_stops_when_done(client, submitter, district, cycle):
    sub = SubmissionFactory(district=district, cycle=cycle, status=S.QUEUED)
    client.force_login(submitter)
    status_url = reverse("submission_status", args=[sub.pk])
    html = client.get(detail(sub)).content.decode()
    # The page asks at once and the answer waits for news (issue 15 item 4), with a slow poll behind.
    assert f'hx-get="{status_url}?page=pending&amp;wait=1"' in html
    assert 'hx-trigger="load delay:100ms, every 20s"' in html
    fragment = client.get(status_url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert 'hx-trigger="load delay:100ms, every 20s"' in fragment.content.decode()
    assert "HX-Refresh" not in fragment
    Submission.objects.filter(pk=sub.pk).update(status=S.EVALUATED)
    fragment = client.get(status_url, headers={"HX-Request": "true"})
    assert "hx-trigger" not in fragment.content.decode()
    assert "Evaluated" in fragment.content.decode()
    assert fragment["HX-Refresh"] == "true"


# --- Certify ----------------------------------------------------------------------------------------


def test_certifier_certifies(client, certifier, evaluated):
    client.force_login(certifier)
    response = client.post(reverse("submission_certify", args=[evaluated.pk]), CERTIFY, follow=True)
    evaluated.refresh_from_db()
    assert evaluated.status == S.CERTIFIED
    assert "Certified and submitted to the state." in messages_of(response)
    assert AuditEvent.objects.filter(submission=evaluated, action="certified", actor=certifier).exists()


def test_certify_needs_the_checkbox(client, certifier, evaluated):
    client.force_login(certifier)
    response = client.post(reverse("submission_certify", args=[evaluated.pk]), {}, follow=True)
    evaluated.refresh_from_db()
    assert evaluated.status == S.EVALUATED
    assert "Tick the box to certify the data before submitting them." in messages_of(response)


def test_submitter_cannot_certify(client, submitter, evaluated):
    client.force_login(submitter)
    response = client.post(reverse("submission_certify", args=[evaluated.pk]), CERTIFY)
    assert response.status_code == 403
    assert "Only a certifier of this district may certify" in response.content.decode()
    evaluated.refresh_from_db()
    assert evaluated.status == S.EVALUATED


def test_certify_illegal_state_shows_message_not_500(client, certifier, district, cycle):
    sub = SubmissionFactory(district=district, cycle=cycle, status=S.REJECTED)
    client.force_login(certifier)
    response = client.post(reverse("submission_certify", args=[sub.pk]), CERTIFY, follow=True)
    assert response.status_code == 200
    assert ("Version 1 cannot be certified: its status is \u201cRejected: fix the workbook\u201d; only an evaluated "
            "version without blocking problems can be certified." in messages_of(response))
    sub.refresh_from_db()
    assert sub.status == S.REJECTED


def _closed_cycle():
    past = timezone.localdate() - timedelta(days=400)
    return ReportingCycleFactory(school_year="2024-25", opens_on=past, due_on=past + timedelta(days=30),
                                 closes_on=past + timedelta(days=60))


@pytest.mark.parametrize(("who", "status", "cycle_open", "own_district", "outcome", "allowed"), [
    ("certifier", S.EVALUATED, True, True, EvaluationOutcome.ACCEPTED, True),
    ("certifier", S.EVALUATED, False, True, EvaluationOutcome.ACCEPTED, False),  # closed cycle: issue 9's defect
    ("submitter", S.EVALUATED, True, True, EvaluationOutcome.ACCEPTED, False),  # wrong role
    ("certifier", S.REJECTED, True, True, EvaluationOutcome.REJECTED, False),  # wrong status
    ("certifier", S.CERTIFIED, True, True, EvaluationOutcome.ACCEPTED, False),
    ("certifier", S.EVALUATED, True, False, EvaluationOutcome.ACCEPTED, False),  # another district's submission
    ("certifier", S.EVALUATED, True, True, EvaluationOutcome.ERROR, False),  # no accepted evaluation
], ids=["allowed", "closed-cycle", "wrong-role", "rejected", "already-certified", "other-district", "no-accepted"])
def test_certify_button_is_shown_exactly_when_the_service_would_certify(
        client, district, other_district, cycle, certifier, submitter, who, status, cycle_open, own_district, outcome,
        allowed):
    sub = SubmissionFactory(district=district if own_district else other_district,
                            cycle=cycle if cycle_open else _closed_cycle(), status=status)
    EvaluationFactory(submission=sub, outcome=outcome)
    client.force_login({"certifier": certifier, "submitter": submitter}[who])
    page = client.get(detail(sub))
    assert page.status_code == (200 if own_district else 404)  # another district's is not even visible
    shown = "Certify and submit to the state" in page.content.decode()
    client.post(reverse("submission_certify", args=[sub.pk]), CERTIFY)
    certified = AuditEvent.objects.filter(submission=sub, action="certified").exists()
    assert shown is allowed and certified is allowed
    sub.refresh_from_db()
    assert sub.status == (S.CERTIFIED if allowed else status)


def test_writes_are_post_only(client, certifier, evaluated):
    client.force_login(certifier)
    for name in ("submission_certify", "submission_claim", "submission_release", "submission_return",
                 "submission_decide", "comment_create"):
        assert client.get(reverse(name, args=[evaluated.pk])).status_code == 405, name
    evaluated.refresh_from_db()
    assert evaluated.status == S.EVALUATED


def test_csrf_is_enforced(certifier, evaluated):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(certifier)
    response = csrf_client.post(reverse("submission_certify", args=[evaluated.pk]), CERTIFY)
    assert response.status_code == 403
    evaluated.refresh_from_db()
    assert evaluated.status == S.EVALUATED


# --- Review ---------------------------------------------------------------------------------------


def test_reviewer_claims_from_queue(client, reviewer, evaluated):
    Submission.objects.filter(pk=evaluated.pk).update(status=S.CERTIFIED)
    client.force_login(reviewer)
    response = client.post(reverse("submission_claim", args=[evaluated.pk]), follow=True)
    evaluated.refresh_from_db()
    assert evaluated.status == S.IN_REVIEW and evaluated.reviewer == reviewer
    assert "You claimed this submission; it is in your reviews." in messages_of(response)
    html = response.content.decode()
    assert "Return for revision" in html and "Record the decision" in html
    assert reverse("finding_review", args=[evaluated.latest_evaluation.findings.get().pk]) in html


def test_second_claim_shows_message(client, reviewer, in_review):
    reviewer.first_name, reviewer.last_name = "Grace", "Hopper"
    reviewer.save()
    other = user_factory(Role.STATE_REVIEWER)
    client.force_login(other)
    assert "Claim</button>" not in client.get(detail(in_review)).content.decode()
    response = client.post(reverse("submission_claim", args=[in_review.pk]), follow=True)
    assert response.status_code == 200
    assert messages_of(response) == ["Another reviewer (Grace Hopper) already holds this submission."]
    in_review.refresh_from_db()
    assert in_review.reviewer == reviewer


def test_claiming_ones_own_review_again_says_so(client, reviewer, in_review):
    client.force_login(reviewer)
    response = client.post(reverse("submission_claim", args=[in_review.pk]), follow=True)
    assert messages_of(response) == ["You already hold this submission."]
    assert AuditEvent.objects.filter(submission=in_review, action="claimed").count() == 0


def test_claiming_an_uncertified_submission_says_not_certified_yet(client, reviewer, evaluated):
    client.force_login(reviewer)
    assert "Claim</button>" not in client.get(detail(evaluated)).content.decode()
    response = client.post(reverse("submission_claim", args=[evaluated.pk]), follow=True)
    assert messages_of(response) == ["This submission is not certified yet."]
    evaluated.refresh_from_db()
    assert (evaluated.status, evaluated.reviewer) == (S.EVALUATED, None)


def test_district_user_cannot_claim(client, certifier, evaluated):
    Submission.objects.filter(pk=evaluated.pk).update(status=S.CERTIFIED)
    client.force_login(certifier)
    response = client.post(reverse("submission_claim", args=[evaluated.pk]))
    assert response.status_code == 403
    assert "Only state reviewers may do this." in response.content.decode()
    evaluated.refresh_from_db()
    assert evaluated.status == S.CERTIFIED


def test_confirm_finding_full_request_redirects(client, reviewer, in_review):
    finding = in_review.latest_evaluation.findings.get()
    client.force_login(reviewer)
    response = client.post(reverse("finding_review", args=[finding.pk]), {"status": "confirmed", "note": ""})
    # Back to the row just reviewed (a district has hundreds), not the top of the page.
    assert response.status_code == 302 and response["Location"] == detail(in_review) + f"#finding-{finding.pk}"
    finding.refresh_from_db()
    assert finding.review_status == ReviewStatus.CONFIRMED and finding.reviewed_by == reviewer


def test_dismiss_finding_htmx_returns_fragment(client, reviewer, in_review):
    finding = in_review.latest_evaluation.findings.get()
    client.force_login(reviewer)
    response = client.post(
        reverse("finding_review", args=[finding.pk]),
        {"status": "dismissed", "note": "Magnet school, approved plan."},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tbody id="finding-{finding.pk}"')
    assert html.rstrip().endswith("</tbody>")
    assert "<html" not in html
    assert "Dismissed" in html and "Magnet school, approved plan." in html and "Saved." in html
    finding.refresh_from_db()
    assert finding.review_status == ReviewStatus.DISMISSED


def test_dismiss_without_note_htmx_shows_error_in_fragment(client, reviewer, in_review):
    finding = in_review.latest_evaluation.findings.get()
    client.force_login(reviewer)
    response = client.post(
        reverse("finding_review", args=[finding.pk]), {"status": "dismissed", "note": " "},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Say why the finding is dismissed" in response.content.decode()
    finding.refresh_from_db()
    assert finding.review_status == ReviewStatus.OPEN


def test_dismiss_without_note_without_javascript_shows_the_reason_in_the_row(client, reviewer, in_review):
    finding = in_review.latest_evaluation.findings.get()
    client.force_login(reviewer)
    response = client.post(reverse("finding_review", args=[finding.pk]), {"status": "dismissed", "note": " "})
    html = response.content.decode()
    # The page again (400): a summary at the top linking to the finding's note, and in the row the
    # reason beside its note form, open.
    assert response.status_code == 400 and "data-error-summary" in html
    scope = scope_label(finding, {})  # which of the rule's findings: "School 0311" here (no name on record)
    assert f'<a href="#id_note_f{finding.pk}">{finding.rule}, {scope}: Say why the finding is dismissed' in html
    assert scope != "District"
    row = html[html.index(f'<tbody id="finding-{finding.pk}"'):]
    row = row[:row.index("</tbody>")]
    assert '<span class="field-error" role="alert">Say why the finding is dismissed' in row
    assert '<details class="dismiss" open>' in row and f'id="id_note_f{finding.pk}"' in row
    finding.refresh_from_db()
    assert finding.review_status == ReviewStatus.OPEN


def test_other_reviewer_cannot_review_finding(client, in_review):
    finding = in_review.latest_evaluation.findings.get()
    client.force_login(user_factory(Role.STATE_REVIEWER))
    response = client.post(reverse("finding_review", args=[finding.pk]), {"status": "confirmed"})
    assert response.status_code == 403
    assert "Only the reviewer who claimed this submission" in response.content.decode()
    finding.refresh_from_db()
    assert finding.review_status == ReviewStatus.OPEN


def test_district_user_cannot_review_finding(client, certifier, in_review):
    finding = in_review.latest_evaluation.findings.get()
    client.force_login(certifier)
    response = client.post(reverse("finding_review", args=[finding.pk]), {"status": "confirmed"})
    assert response.status_code == 403
    finding.refresh_from_db()
    assert finding.review_status == ReviewStatus.OPEN


def test_comment(client, certifier, evaluated):
    client.force_login(certifier)
    response = client.post(reverse("comment_create", args=[evaluated.pk]), {"body": "Capacity fixed in v2."},
                           follow=True)
    assert "Comment added." in messages_of(response)
    assert Comment.objects.get().body == "Capacity fixed in v2."
    assert "Capacity fixed in v2." in response.content.decode()
    response = client.post(reverse("comment_create", args=[evaluated.pk]), {"body": ""}, follow=True)
    assert "Write a comment first." in messages_of(response)
    assert Comment.objects.count() == 1


def test_return_needs_note_then_returns(client, reviewer, in_review):
    client.force_login(reviewer)
    url = reverse("submission_return", args=[in_review.pk])
    response = client.post(url, {"actions": ""})
    assert response.status_code == 400
    assert '<a href="#id_return_actions">Write at least one required action, one per line.</a>' in (
        response.content.decode())
    in_review.refresh_from_db()
    assert in_review.status == S.IN_REVIEW
    response = client.post(url, {"actions": "Fix the capacity column."}, follow=True)
    in_review.refresh_from_db()
    assert in_review.status == S.RETURNED
    assert "Returned to the district for revision with the required actions." in messages_of(response)


def test_a_refused_return_keeps_the_text_and_lists_every_bad_line(client, reviewer, in_review):
    client.force_login(reviewer)
    typed = "Fix the capacity column.\nINT-01 9999: Explain the zones.\nRES-09 district: Staff it.\n"
    response = client.post(reverse("submission_return", args=[in_review.pk]), {"actions": typed})
    html = response.content.decode()
    assert response.status_code == 400 and "The submission was not returned" in html
    # Both refused lines at once, each linking to the field, and what was typed kept.
    link = '<a href="#id_return_actions">'
    assert f"{link}Line 2: this version has no INT-01 finding for \u201c9999\u201d.</a>" in html
    assert f"{link}Line 3: this version has no RES-09 finding for \u201cdistrict\u201d.</a>" in html
    assert f">{typed}</textarea>" in html and 'aria-invalid="true"' in html
    in_review.refresh_from_db()
    assert in_review.status == S.IN_REVIEW


def test_district_user_cannot_return(client, certifier, in_review):
    client.force_login(certifier)
    response = client.post(reverse("submission_return", args=[in_review.pk]), {"actions": "x"})
    assert response.status_code == 403
    in_review.refresh_from_db()
    assert in_review.status == S.IN_REVIEW


def test_decide_refused_while_findings_open_then_decides(client, reviewer, in_review,
                                                         django_capture_on_commit_callbacks):
    client.force_login(reviewer)
    url = reverse("submission_decide", args=[in_review.pk])
    # Compliant with findings takes effect at once; noncompliance waits for sign-off (test_review_decisions.py).
    data = {"outcome": "compliant_with_findings", "note": "Rebalance the elementary zones.",
            "plan": "2099-09-01 Rebalance the elementary zones"}
    response = client.post(url, data)
    # The page again (400), the reason at the top in an alert focused on load, what was typed kept.
    html = response.content.decode()
    assert response.status_code == 400 and 'role="alert"' in html and "data-error-summary" in html
    assert '<a href="#decide-heading">Confirm or dismiss every finding first (1 still open).</a>' in html
    assert ">2099-09-01 Rebalance the elementary zones</textarea>" in html
    assert "Rebalance the elementary zones.</textarea>" in html
    assert re.search(r'<input type="radio" name="outcome" value="compliant_with_findings"[^>]*checked', html)
    assert not Decision.objects.exists()
    Finding.objects.update(review_status=ReviewStatus.CONFIRMED)
    with mock.patch("compliance.tasks.render_report.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data, follow=True)
    in_review.refresh_from_db()
    assert in_review.status == S.DECIDED
    assert Decision.objects.get().outcome == "compliant_with_findings"
    assert "Decision recorded. The decision report is being prepared." in messages_of(response)
    delay.assert_called_once()


@pytest.mark.parametrize(("data", "target", "reason"), [
    ({"outcome": "compliant_with_findings", "note": "Why.", "plan": "2099-09-01 Rebalance\nsoon Rebalance"},
     "id_decide_plan", "Plan line 2: start with the due date as YYYY-MM-DD, then the action."),
    ({"outcome": "compliant_with_findings", "note": "Why.", "plan": "2099-09-01 INT-99 nowhere: Rebalance"},
     "id_decide_plan", "Line 1: this version has no INT-99 finding for"),
    ({"outcome": "compliant_with_findings", "note": "Why.", "plan": "2001-09-01 Rebalance"},
     "id_decide_plan", "The due date 2001-09-01 is in the past"),
    ({"outcome": "compliant_with_findings", "note": "Why.", "plan": ""},
     "id_decide_plan", "Set the corrective action plan: at least one required action with its due date."),
    ({"outcome": "compliant_with_findings", "note": " ", "plan": "2099-09-01 Rebalance"},
     "id_decide_note", "Write the decision&#x27;s reasons; they appear in the public report."),
    ({"note": "Why."}, "id_decide_outcome_0", "Choose an outcome."),
    ({"outcome": "compliant", "note": "Why."}, "decide-heading", "1 confirmed finding(s) require corrective action"),
])
def test_decide_refusal_links_to_the_field_it_is_about(client, reviewer, in_review, data, target, reason):
    # The error summary's link goes to the field the refusal names, whichever layer refused
    # (the plan's parser, the service's plan and form checks, the findings).
    Finding.objects.update(review_status=ReviewStatus.CONFIRMED)
    client.force_login(reviewer)
    response = client.post(reverse("submission_decide", args=[in_review.pk]), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert f'<a href="#{target}">{reason}' in html
    assert html.count('<a href="#id_decide') + html.count('<a href="#decide-heading">') == 1
    in_review.refresh_from_db()
    assert in_review.status == S.IN_REVIEW and not Decision.objects.exists()


def test_decide_compliant_with_confirmed_finding_is_refused(client, reviewer, in_review):
    Finding.objects.update(review_status=ReviewStatus.CONFIRMED)
    client.force_login(reviewer)
    response = client.post(reverse("submission_decide", args=[in_review.pk]), {"outcome": "compliant", "note": "ok"})
    assert response.status_code == 400 and "require corrective action" in response.content.decode()
    in_review.refresh_from_db()
    assert in_review.status == S.IN_REVIEW


def test_district_user_cannot_decide(client, certifier, in_review):
    client.force_login(certifier)
    response = client.post(reverse("submission_decide", args=[in_review.pk]), {"outcome": "compliant", "note": "x"})
    assert response.status_code == 403
    assert not Decision.objects.exists()


@pytest.mark.parametrize(("who", "shown"), [("holder", True), ("supervisor", True), ("other reviewer", False),
                                           ("certifier", False)])
def test_review_panel_is_shown_exactly_to_who_may_decide_return_and_release(client, reviewer, certifier, in_review,
                                                                            who, shown):
    user = {"holder": reviewer, "supervisor": user_factory(Role.STATE_SUPERVISOR),
            "other reviewer": user_factory(Role.STATE_REVIEWER), "certifier": certifier}[who]
    client.force_login(user)
    html = client.get(detail(in_review)).content.decode()
    buttons = ("Record the decision</button>", "Return for revision</button>", 'class="secondary">Release</button>')
    for button in buttons:
        assert (button in html) is shown, button
    client.post(reverse("submission_return", args=[in_review.pk]), {"actions": "Fix the Budget sheet."})
    in_review.refresh_from_db()
    assert (in_review.status == S.RETURNED) is shown


def test_release_puts_back_in_queue(client, reviewer, in_review):
    client.force_login(reviewer)
    response = client.post(reverse("submission_release", args=[in_review.pk]), {"note": ""}, follow=True)
    in_review.refresh_from_db()
    assert in_review.status == S.CERTIFIED and in_review.reviewer is None
    assert "Released back to the review queue." in messages_of(response)


def test_release_when_not_in_review_shows_message(client, reviewer, evaluated):
    client.force_login(reviewer)
    response = client.post(reverse("submission_release", args=[evaluated.pk]), follow=True)
    assert response.status_code == 200
    assert "The submission is not in review." in messages_of(response)


def test_race_lost_shows_message_not_500(client, reviewer, in_review):
    client.force_login(reviewer)
    with mock.patch.object(review, "submission_return_with_actions", side_effect=services.IllegalTransition("raced")):
        response = client.post(reverse("submission_return", args=[in_review.pk]), {"actions": "x"}, follow=True)
    assert response.status_code == 200
    assert "Someone else changed this submission first." in " ".join(messages_of(response))


def test_no_open_cycle_hides_upload_and_refuses_it(client, submitter, district):
    past = timezone.localdate() - timedelta(days=400)
    ReportingCycleFactory(school_year="2024-25", opens_on=past, due_on=past + timedelta(days=30),
                          closes_on=past + timedelta(days=60))
    client.force_login(submitter)
    html = client.get(reverse("home")).content.decode()
    assert NO_OPEN_CYCLE == "No reporting cycle is open for submissions right now."
    assert NO_OPEN_CYCLE in html
    assert reverse("submission_upload", args=[district.pk]) not in html
    response = client.post(reverse("submission_upload", args=[district.pk]),
                           {"file": SimpleUploadedFile("w.xlsx", b"PK")}, follow=True)
    assert response.status_code == 200
    assert NO_OPEN_CYCLE in messages_of(response)  # the same sentence as the home page's
    assert not Submission.objects.exists()
    # The template still downloads, for the latest cycle.
    response = client.get(reverse("template_download", args=[district.pk]))
    assert response.status_code == 200
    assert "2024-25" in response["Content-Disposition"]


def test_other_reviewer_htmx_gets_refusal_in_fragment(client, in_review):
    finding = in_review.latest_evaluation.findings.get()
    client.force_login(user_factory(Role.STATE_REVIEWER))
    response = client.post(reverse("finding_review", args=[finding.pk]), {"status": "confirmed"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 403
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tbody id="finding-{finding.pk}"')
    assert "Only the reviewer who claimed this submission" in html
    assert reverse("finding_review", args=[finding.pk]) not in html  # no buttons for this user
    finding.refresh_from_db()
    assert finding.review_status == ReviewStatus.OPEN


def test_htmx_poll_after_logout_redirects_whole_page(client, submitter, district, cycle):
    sub = SubmissionFactory(district=district, cycle=cycle, status=S.QUEUED)
    response = client.get(reverse("submission_status", args=[sub.pk]),
                          headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{detail(sub)}"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse('login')}?next={detail(sub)}"
    assert b"Queued" not in response.content


def test_returned_submission_shows_the_reviewers_note_to_the_district(client, reviewer, certifier, in_review):
    client.force_login(reviewer)
    client.post(reverse("submission_return", args=[in_review.pk]), {"actions": "Fill in school capacity."})
    client.force_login(certifier)
    html = client.get(detail(in_review)).content.decode()
    assert "The state returned this version for revision:" in html
    assert "Fill in school capacity." in html
    assert "Returned for revision" in html


def test_bad_filter_values_do_not_break_pages(client, reviewer, in_review):
    client.force_login(reviewer)
    response = client.get(reverse("review_queue"), {"district": "abc", "status": "nonsense"})
    assert response.status_code == 200
    assert "This filter was ignored." in response.content.decode()
    response = client.get(detail(in_review), {"severity": "bogus", "sheet": "Nope"})
    assert response.status_code == 200
    assert "This filter was ignored." in response.content.decode()
    assert len(response.context["problem_filter"].qs) == 1  # the bad values filter nothing out


# --- Findings as a reviewer reads them -------------------------------------------------------

EAC = {"key": "equity-assistance-center", "title": "Ask the Equity Assistance Center for help",
       "body": "The center helps districts at no cost.", "estimate": None, "sources": ["https://example.org/eac"]}


def zones(estimate_sentence: str) -> dict:
    return {"key": "attendance-zones", "title": "Redraw attendance zones",
            "body": f"Redrawing zones brings schools closer to the band. Estimate: {estimate_sentence}",
            "estimate": None, "sources": []}


@pytest.fixture
def many_findings(in_review, district):
    """An evaluation in review with findings of three rules, one of them confirmed."""
    evaluation = in_review.latest_evaluation
    evaluation.findings.all().delete()
    SchoolFactory(district=district, school_id="0311", name="North Hills Elementary")
    SchoolFactory(district=district, school_id="0315", name="Southgate Elementary")
    int01 = dict(group="students_of_color", band_share=0.5668, band=0.15)
    a = FindingFactory(evaluation=evaluation, rule="INT-01", school_id="0311", message="North Hills is identifiable.",
                       evidence={**int01, "school_share": 0.173, "difference": -0.3937},
                       recommendations=[zones("about 594 student reassignments."), EAC])
    b = FindingFactory(evaluation=evaluation, rule="INT-01", school_id="0315", message="Southgate is identifiable.",
                       evidence={**int01, "school_share": 0.924, "difference": 0.3576},
                       recommendations=[zones("about 594 student reassignments."), EAC],
                       review_status=ReviewStatus.CONFIRMED)
    c = FindingFactory(evaluation=evaluation, rule="RES-02", school_id="0315", message="Southgate spends too little.",
                       evidence={"ppe_state_local": 3698.575, "comparison_pooled_ppe": 4521.31, "limit": 0.9,
                                 "threshold": 4069.18, "additional_dollars_needed": 151949.43},
                       recommendations=[EAC])
    d = FindingFactory(evaluation=evaluation, rule="INT-04", severity="warning", scope="district", school_id="",
                       band="", message="Dissimilarity is moderate.",
                       evidence={"index": "multigroup", "value": 0.4477, "level": "moderate",
                                 "warning_at": 0.3, "finding_at": 0.6}, recommendations=[EAC])
    return {"submission": in_review, "int01": [a, b], "res02": c, "int04": d}


def finding_ids(html: str, findings) -> set[int]:
    return {f.pk for f in findings if f'id="finding-{f.pk}"' in html}


def test_findings_are_grouped_by_rule_with_readable_numbers(client, reviewer, many_findings):
    client.force_login(reviewer)
    html = client.get(detail(many_findings["submission"])).content.decode()
    # Rule groups in rule order, INT before RES, each with its name.
    assert html.index('id="rule-int-01"') < html.index('id="rule-int-04"') < html.index('id="rule-res-02"')
    assert "INT-01 Racially identifiable schools" in html and "RES-02 Comparability of spending" in html
    # The school by name and id, not "school 0311".
    assert "North Hills Elementary (0311)" in html and "Southgate Elementary (0315)" in html
    # Shares and differences as percentages with one decimal, not raw fractions or keys.
    assert '<td class="num">17.3%</td>' in html and '<td class="num">56.7%</td>' in html
    assert "\u221239.4 points" in html and "+35.8 points" in html
    assert "0.173" not in html and "single group min band share" not in html
    # Money in dollars, the standard beside it; an index to three decimals.
    assert '<td class="num">$3,699</td>' in html and '<td class="num">$151,949</td>' in html
    assert "at least $4,069 (90%)" in html
    assert '<td class="num">0.448</td>' in html and "multigroup D (race)" in html
    # Severity and review status in words.
    assert ">Finding</span>" in html and ">Warning</span>" in html
    assert ">Confirmed</span>" in html and ">Not yet reviewed</span>" in html
    # The full message sits behind a <details> per finding.
    assert html.count("<summary>Message and evidence") == 4
    assert "North Hills is identifiable." in html


def test_findings_count_summary(client, reviewer, many_findings):
    client.force_login(reviewer)
    html = client.get(detail(many_findings["submission"])).content.decode()
    # Two INT-01 findings and an INT-04 warning: the line names them, as the status box counts them.
    assert "3 integration results (2 findings, 1 warning): 1 confirmed, 0 dismissed, 2 not yet reviewed." in html
    assert "1 resources finding: 0 confirmed, 0 dismissed, 1 not yet reviewed." in html


def test_recommendations_shown_once_per_rule_group(client, reviewer, many_findings):
    client.force_login(reviewer)
    html = client.get(detail(many_findings["submission"])).content.decode()
    # Two INT-01 findings carry "Redraw attendance zones": one block, the advice said once...
    assert html.count("<summary>Redraw attendance zones</summary>") == 1
    assert html.count("Redrawing zones brings schools closer to the band.") == 1
    # ...and the estimate they share listed once, for both schools.
    assert ("<strong>North Hills Elementary (0311), Southgate Elementary (0315):</strong> "
            "About 594 student reassignments.") in html
    # The assistance-center advice: once in each of the three rule groups.
    assert html.count("<summary>Ask the Equity Assistance Center for help</summary>") == 3
    assert html.count("The center helps districts at no cost.") == 3


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"rule": "INT-01"}, ["int01"]),
        ({"finding_severity": "warning"}, ["int04"]),
        ({"review_status": "confirmed"}, ["int01_b"]),
        ({"rule": "INT-01", "review_status": "open"}, ["int01_a"]),
        ({}, ["int01", "res02", "int04"]),
    ],
)
def test_finding_filter_shows_only_matching_findings(client, reviewer, many_findings, query, expected):
    everything = [*many_findings["int01"], many_findings["res02"], many_findings["int04"]]
    wanted = {
        "int01": many_findings["int01"], "int01_a": many_findings["int01"][:1], "int01_b": many_findings["int01"][1:],
        "res02": [many_findings["res02"]], "int04": [many_findings["int04"]],
    }
    client.force_login(reviewer)
    response = client.get(detail(many_findings["submission"]), query)
    html = response.content.decode()
    assert response.status_code == 200
    assert finding_ids(html, everything) == {f.pk for key in expected for f in wanted[key]}
    if query:
        assert f"Showing {len(finding_ids(html, everything))} of 4 findings." in html
    else:
        assert "Showing" not in html
    # The summary counts the whole evaluation whatever the filter shows.
    assert "3 integration results (2 findings, 1 warning): 1 confirmed" in html


def test_finding_filter_keeps_problem_filter_and_ignores_bad_values(client, reviewer, many_findings):
    client.force_login(reviewer)
    response = client.get(detail(many_findings["submission"]),
                          {"rule": "NOPE-9", "review_status": "maybe", "severity": "warning"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("This filter was ignored.") == 2
    assert len(finding_ids(html, [*many_findings["int01"], many_findings["res02"]])) == 3
    # Each filter form carries the other's current values, so applying one keeps the other.
    assert '<input type="hidden" name="severity" value="warning">' in html
    assert '<input type="hidden" name="rule" value="NOPE-9">' in html


def test_key_measures_have_band_columns_and_readable_values(client, submitter, evaluated):
    evaluation = evaluated.latest_evaluation
    measures = evaluation.measures
    band = {**measures["district"], "dissimilarity": {**measures["district"]["dissimilarity"], "multigroup": 0.5506}}
    measures["bands"] = {"elementary": band, "middle": {**band, "dissimilarity": {"multigroup": None}}}
    measures["district"]["resources"] = {"ppe_mean": 4126.63, "progressivity": 0.7975,
                                         "inexperienced_gap_poverty": 0.1954}
    evaluation.save(update_fields=["measures"])
    client.force_login(submitter)
    html = client.get(detail(evaluated)).content.decode()
    assert '<th scope="col" class="num">Elementary</th><th scope="col" class="num">Middle</th>' in html
    assert "High</th>" not in html  # no high schools: no column
    row = html[html.index("<th scope=\"row\">Multigroup dissimilarity</th>"):]
    row = row[:row.index("</tr>")]
    assert row.count("<td") == 3 and "0.412" in row and "0.551" in row and "not applicable" in row
    assert '<td class="num">$4,127</td>' in html and '<td class="num">0.80</td>' in html
    assert '<td class="num">19.5 points</td>' in html
    assert '<td class="num">4,210</td>' in html


def test_htmx_review_swaps_just_the_findings_row(client, reviewer, many_findings):
    finding = many_findings["int01"][0]
    client.force_login(reviewer)
    page = client.get(detail(many_findings["submission"])).content.decode()
    start = page.index(f'<tbody id="finding-{finding.pk}"')
    row_on_page = page[start:page.index("</tbody>", start)]
    response = client.post(reverse("finding_review", args=[finding.pk]), {"status": "confirmed", "note": ""},
                           headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tbody id="finding-{finding.pk}"') and html.rstrip().endswith("</tbody>")
    assert html.count("<tbody") == 2  # the row itself, and its evidence table's body inside <details>
    assert finding_ids(html, [*many_findings["int01"], many_findings["res02"]]) == {finding.pk}
    # Laid out as the page's row: same cells, with the new status.
    assert ">Confirmed</span>" in html and "Saved." in html
    assert html.count("<td") - html.count('<td class="num">') == row_on_page.count("<td") - row_on_page.count(
        '<td class="num">')
    assert '<td class="num">17.3%</td>' in html and "North Hills Elementary (0311)" in html
    assert f'hx-target="#finding-{finding.pk}"' in html
    finding.refresh_from_db()
    assert finding.review_status == ReviewStatus.CONFIRMED


def test_finding_reviews_fold_away_in_the_history(client, reviewer, many_findings):
    finding = many_findings["int01"][0]
    client.force_login(reviewer)
    client.post(reverse("finding_review", args=[finding.pk]), {"status": "dismissed", "note": "Magnet school."})
    html = client.get(detail(many_findings["submission"])).content.decode()
    assert "<summary>Finding reviews (1)</summary>" in html
    folded = html[html.index("<summary>Finding reviews (1)</summary>"):]
    assert "INT-01 0311: Magnet school." in folded


def test_finding_review_of_invisible_finding_is_404(client, in_review):
    finding = in_review.latest_evaluation.findings.get()
    other = DistrictFactory(name="Elsewhere")
    client.force_login(user_factory(Role.DISTRICT_CERTIFIER, [other]))
    response = client.post(reverse("finding_review", args=[finding.pk]), {"status": "confirmed"})
    assert response.status_code == 404
