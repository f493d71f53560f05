"""The upload page (issue 11): a refused upload is post/redirect/get with an error summary linked to the
field; the district and the note survive the refusal, a reload and an expired session; the note reaches
the submission's history; signing in again after a session ended lands where the user was."""
from __future__ import annotations

import re
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from compliance.models import AuditEvent, Submission
from compliance.states import SubmissionStatus as S
from tests.factories import DEFAULT_PASSWORD, SubmissionFactory

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
