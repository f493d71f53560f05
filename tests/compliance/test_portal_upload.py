"""The upload page (issue 11): a refused upload is post/redirect/get with an error summary linked to the
field; the district and the note survive the refusal, a reload and an expired session; the note reaches
the submission's history; signing in again after a session ended lands where the user was."""
from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from compliance import services
from compliance.models import AuditEvent, EvaluationOutcome, Submission
from compliance.states import SubmissionStatus as S
from tests.factories import DEFAULT_PASSWORD, EvaluationFactory, ProblemFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

NOTE = "Corrected the Budget sheet after the state's return."


def _upload_url(district) -> str:
    return reverse("submission_upload", args=[district.pk])


def test_refused_upload_redirects_and_the_page_leads_to_the_field(client, submitter, district, cycle):
    SubmissionFactory(district=district, cycle=cycle, status=S.VALIDATING)  # an earlier version is being checked
    client.force_login(submitter)
    with mock.patch("compliance.tasks.evaluate_submission.delay") as delay:
        response = client.post(_upload_url(district), {"note": NOTE, "file": SimpleUploadedFile("w.xlsx", b"PK")})
    delay.assert_not_called()
    assert response.status_code == 302 and response["Location"] == _upload_url(district)

    html = client.get(_upload_url(district)).content.decode()
    assert "<title>Error: Upload a workbook for Riverside County Schools |" in html
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert 'role="alert" tabindex="-1"' in summary and "data-error-summary" in summary
    assert (f'<a href="#id_file_{district.pk}">Version 1 is still being checked; wait a moment and try again.</a>'
            in summary)
    assert html.index("error-summary") < html.index("<h1>")  # at the top of the page
    assert f'id="id_file_{district.pk}"' in html and 'aria-invalid="true"' in html
    assert f">{escape(NOTE)}</textarea>" in html  # nothing typed is lost
    assert "Nothing was stored from <strong>w.xlsx</strong>." in html

    # A reload shows the page again without sending anything: the refusal was said once, the note stays.
    again = client.get(_upload_url(district)).content.decode()
    assert "error-summary" not in again and f">{escape(NOTE)}</textarea>" in again
    assert Submission.objects.filter(district=district).count() == 1


def test_a_note_too_long_is_refused_with_its_own_link(client, submitter, district, cycle):
    client.force_login(submitter)
    client.post(_upload_url(district), {"note": "x" * 1001, "file": SimpleUploadedFile("w.xlsx", b"PK\x03\x04")})
    html = client.get(_upload_url(district)).content.decode()
    assert f'<a href="#id_note_{district.pk}">Keep the note to 1000 characters (it has 1001).</a>' in html
    assert not Submission.objects.exists()


def test_the_note_goes_to_the_history_and_the_draft_is_cleared(client, submitter, district, cycle):
    client.force_login(submitter)
    with mock.patch("compliance.tasks.evaluate_submission.delay"), \
            mock.patch("compliance.tasks.send_notification.delay"):
        response = client.post(_upload_url(district),
                               {"note": f"  {NOTE}\n", "file": SimpleUploadedFile("w.xlsx", b"PK\x03\x04 bytes")})
    sub = Submission.objects.get(district=district)
    assert response["Location"] == reverse("submission_detail", args=[sub.pk])
    event = AuditEvent.objects.get(submission=sub, action="uploaded")
    assert event.note == f"w.xlsx (10 bytes, sha256 {sub.sha256}). Uploader's note: {NOTE}"
    assert f"Uploader&#x27;s note: {escape(NOTE)}" in client.get(response["Location"]).content.decode()
    assert f">{escape(NOTE)}</textarea>" not in client.get(_upload_url(district)).content.decode()


def test_after_the_session_ended_the_note_and_district_wait_behind_the_sign_in(client, submitter, district, cycle):
    # The session ended with the page open: the post arrives anonymous.
    response = client.post(_upload_url(district), {"note": NOTE, "file": SimpleUploadedFile("w.xlsx", b"PK")})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={_upload_url(district)}"
    assert not Submission.objects.exists()

    login = client.post(f"{reverse('login')}?next={_upload_url(district)}",
                        {"username": submitter.username, "password": DEFAULT_PASSWORD,
                         "next": _upload_url(district)})
    assert login.status_code == 302 and login["Location"] == _upload_url(district)
    html = client.get(_upload_url(district)).content.decode()
    assert "<h1>Upload a workbook for Riverside County Schools</h1>" in html
    assert "You were signed out before the upload finished, so nothing was uploaded." in html
    assert f">{escape(NOTE)}</textarea>" in html
    assert "You were signed out" not in client.get(_upload_url(district)).content.decode()  # said once


def test_a_form_posted_after_the_session_ended_signs_in_back_to_its_page(client, district, cycle):
    sub = SubmissionFactory(district=district, cycle=cycle)
    page = reverse("submission_detail", args=[sub.pk])
    response = client.post(reverse("submission_certify", args=[sub.pk]), {"full_name": "Pat Lee"},
                           HTTP_REFERER=f"http://testserver{page}?problem_sort=row")
    assert response["Location"] == f"{reverse('login')}?next={page}%3Fproblem_sort%3Drow"
    # A Referer from elsewhere is never followed: home instead.
    response = client.post(reverse("submission_certify", args=[sub.pk]), HTTP_REFERER="https://evil.example/x")
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_upload_page_only_for_the_districts_own_people(client, reviewer, user_b, district, cycle):
    client.force_login(user_b)
    assert client.get(_upload_url(district)).status_code == 404
    client.force_login(reviewer)
    assert client.get(_upload_url(district)).status_code == 403


# --- Whether the district may upload now: one predicate for the home page, the upload page and the links ----------

DECIDED = ("Version 1 has been decided by the state; this cycle&#x27;s submission is complete and no new version "
           "can be uploaded.")
WITH_THE_STATE = ("Version 1 is already with the state (In state review); a new version can be uploaded once the "
                  "state returns it for revision.")


@pytest.mark.parametrize(("status", "why"), [(S.DECIDED, DECIDED), (S.IN_REVIEW, WITH_THE_STATE)])
def test_the_upload_page_says_uploads_are_closed_as_the_home_page_does_instead_of_a_form(client, submitter, district,
                                                                                         cycle, status, why):
    SubmissionFactory(district=district, cycle=cycle, status=status)
    client.force_login(submitter)
    response = client.get(_upload_url(district))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<p class="muted">{why}</p>' in html
    assert f'<p class="muted">{why}</p>' in client.get(reverse("home")).content.decode()  # word for word
    # No form every post of which would be refused, and no due date to meet.
    assert 'type="file"' not in html and 'enctype="multipart/form-data"' not in html
    assert "workbook is due" not in html and "days left" not in html
    assert "<h1>Upload a workbook for Riverside County Schools</h1>" in html


def test_the_upload_page_without_an_open_cycle_says_so_instead_of_a_form(client, submitter, district):
    client.force_login(submitter)
    html = client.get(_upload_url(district)).content.decode()
    assert '<p class="muted">No reporting cycle is open for submissions right now.</p>' in html
    assert 'type="file"' not in html


def test_the_upload_page_of_a_returned_version_offers_the_form_and_the_due_date(client, submitter, district, cycle):
    SubmissionFactory(district=district, cycle=cycle, status=S.RETURNED)
    client.force_login(submitter)
    html = client.get(_upload_url(district)).content.decode()
    assert 'type="file"' in html and "(10 days left)." in html
    assert "no new version can be uploaded" not in html and "already with the state" not in html


def _upload_link(district) -> str:
    return f'<a href="{_upload_url(district)}">'


def test_a_rejected_versions_page_links_to_the_upload_page_while_the_district_may_upload(client, submitter, certifier,
                                                                                         reviewer, district, cycle):
    rejected = SubmissionFactory(district=district, cycle=cycle, status=S.REJECTED, uploaded_by=submitter)
    ProblemFactory(evaluation=EvaluationFactory(submission=rejected, outcome=EvaluationOutcome.REJECTED))
    page = reverse("submission_detail", args=[rejected.pk])
    link = (f"<p>Fix the data problems listed below, then {_upload_link(district)}upload a corrected workbook</a> "
            "for Riverside County Schools.</p>")
    for user in (submitter, certifier):
        client.force_login(user)
        assert link in client.get(page).content.decode()
    client.force_login(reviewer)  # the state does not upload for the district
    assert _upload_link(district) not in client.get(page).content.decode()
    client.force_login(submitter)
    cycle.opens_on, cycle.due_on, cycle.closes_on = (cycle.opens_on - timedelta(days=60),
                                                     cycle.due_on - timedelta(days=60),
                                                     cycle.closes_on - timedelta(days=60))
    cycle.save()  # closed: no upload to link to
    assert _upload_link(district) not in client.get(page).content.decode()


def test_a_returned_versions_page_links_to_the_upload_page(client, submitter, certifier, reviewer, district, cycle):
    held = SubmissionFactory(district=district, cycle=cycle, status=S.IN_REVIEW, reviewer=reviewer,
                             uploaded_by=submitter)
    with mock.patch("compliance.tasks.render_report.delay"):
        services.submission_return(submission=held, user=reviewer, note="Add the Budget rows.")
    page = reverse("submission_detail", args=[held.pk])
    for user in (submitter, certifier):
        client.force_login(user)
        html = client.get(page).content.decode()
        assert f"<p>{_upload_link(district)}Upload a corrected workbook</a> for Riverside County Schools.</p>" in html
        assert "from your home page" not in html
    client.force_login(reviewer)
    html = client.get(page).content.decode()
    assert _upload_link(district) not in html and "Upload a corrected workbook from your home page." in html
