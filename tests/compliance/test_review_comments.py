"""Comments are internal (state staff only) or to the district; internal ones never leave the state."""
from __future__ import annotations

import io
import re
import subprocess
import zipfile
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from compliance import notifications, services
from compliance.demo import demo_workbook
from compliance.forms_review import IN_DECISION_REPORT
from compliance.models import AuditEvent, Comment, DecisionOutcome, ReportKind, ReviewStatus
from compliance.selectors_review import comments_visible_to
from compliance.services.reports import _submission_facts
from compliance.workbook.template import write_workbook
from tests.factories import DEFAULT_PASSWORD

SECRET = "Internal: the superintendent is leaving in June"
SHARED = "Please explain the Brook Elementary counts"


def _evaluated(district, cycle, submitter):
    data = demo_workbook("grade_center", cycle.school_year)
    data.district.district_id = district.state_id
    buffer = io.BytesIO()
    write_workbook(buffer, data)
    buffer.seek(0)
    with mock.patch("compliance.tasks.evaluate_submission.delay"):
        submission = services.submission_create(district=district, cycle=cycle, uploaded_by=submitter,
                                                fileobj=buffer, filename="gc.xlsx")
    with mock.patch("compliance.tasks.render_report.delay"):
        evaluation = services.submission_evaluate(submission_id=submission.pk)
    submission.refresh_from_db()
    return submission, evaluation


@pytest.fixture
def in_review(district, cycle, submitter, certifier, reviewer):
    submission, evaluation = _evaluated(district, cycle, submitter)
    services.submission_certify(submission=submission, user=certifier)
    services.submission_claim(submission=submission, user=reviewer)
    submission.refresh_from_db()
    return submission, evaluation


@pytest.fixture
def commented(in_review, reviewer):
    submission, evaluation = in_review
    internal = services.comment_create(submission=submission, user=reviewer, body=SECRET, visibility="internal")
    shared = services.comment_create(submission=submission, user=reviewer, body=SHARED, visibility="district")
    return submission, evaluation, internal, shared


def _pdf_text(report) -> str:
    with report.file.open("rb") as fh:
        out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=fh.read(), capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


@pytest.mark.django_db
def test_state_staff_must_choose_the_audience(in_review, reviewer):
    submission, _ = in_review
    with pytest.raises(ValidationError, match="Choose who the comment is for"):
        services.comment_create(submission=submission, user=reviewer, body="Hi", visibility="")
    assert Comment.objects.count() == 0


@pytest.mark.django_db
def test_the_selector_shows_the_district_only_district_comments(commented, reviewer, certifier, supervisor):
    submission, _, internal, shared = commented
    assert list(comments_visible_to(reviewer, submission=submission)) == [internal, shared]
    assert list(comments_visible_to(supervisor, submission=submission)) == [internal, shared]
    assert list(comments_visible_to(certifier, submission=submission)) == [shared]
    assert list(comments_visible_to("district", submission=submission)) == [shared]
    with pytest.raises(ValueError):
        comments_visible_to("everyone", submission=submission)


@pytest.mark.django_db
def test_an_internal_comments_audit_event_names_the_comment_not_its_words(commented):
    submission, _, internal, _ = commented
    event = AuditEvent.objects.get(action="commented_internal")
    assert event.note == f"comment {internal.pk}"
    assert not AuditEvent.objects.filter(note__contains="superintendent").exists()


@pytest.mark.django_db
def test_district_users_reply_only_to_comments_addressed_to_them(commented, certifier):
    submission, _, internal, shared = commented
    with pytest.raises(ValidationError, match="only to comments addressed to your district"):
        services.comment_create(submission=submission, user=certifier, body="?", visibility="district",
                                in_reply_to=internal)
    with pytest.raises(ValidationError, match="internal notes are for state staff"):
        services.comment_create(submission=submission, user=certifier, body="?", visibility="internal")
    reply = services.comment_create(submission=submission, user=certifier, body="Brook gained 40 students.",
                                    visibility="district", in_reply_to=shared)
    assert (reply.visibility, reply.in_reply_to_id) == ("district", shared.pk)


@pytest.mark.django_db
def test_district_page_shows_no_internal_comment_and_the_reply_form_works(client, commented, certifier, reviewer):
    submission, _, internal, shared = commented
    url = reverse("submission_detail", args=[submission.pk])
    client.force_login(certifier)
    page = client.get(url).content.decode()
    assert SHARED in page and SECRET not in page
    assert "Commented internal" not in page and f"comment-{internal.pk}" not in page
    # Replying to the internal comment is the same as to a comment that does not exist.
    post = reverse("comment_create", args=[submission.pk])
    assert client.post(post, {"body": "x", "in_reply_to": internal.pk}).status_code == 404
    client.post(post, {"body": "Brook gained 40 students.", "in_reply_to": shared.pk})
    reply = Comment.objects.get(body="Brook gained 40 students.")
    assert (reply.author, reply.visibility, reply.in_reply_to_id) == (certifier, "district", shared.pk)

    client.force_login(reviewer)
    page = client.get(url).content.decode()
    assert SECRET in page and SHARED in page and "Internal: state staff only" in page
    # A state comment without a chosen audience is refused, not sent to the district by default.
    response = client.post(post, {"body": "No choice made."}, follow=True)
    assert "Choose who the comment is for" in response.content.decode()
    assert not Comment.objects.filter(body="No choice made.").exists()


@pytest.mark.django_db
def test_the_comment_forms_say_a_comment_to_the_district_goes_into_the_public_report(client, commented, certifier,
                                                                                     reviewer):
    submission, _, _, shared = commented
    url = reverse("submission_detail", args=[submission.pk])
    in_report = "it becomes part of the public decision report"
    assert IN_DECISION_REPORT == in_report  # the one phrase every label below is built with
    client.force_login(reviewer)
    html = client.get(url).content.decode()
    # State staff: the choice to write to the district says so; the internal note keeps saying it stays inside.
    assert re.search(r'<input type="radio" name="visibility" value="district"[^>]*id="(id_visibility_\d)"[^>]*> '
                     rf'<label for="\1">To the district \({in_report}\)</label>', html)
    assert re.search(r'<input type="radio" name="visibility" value="internal"[^>]*id="(id_visibility_\d)"[^>]*> '
                     r'<label for="\1">Internal \(state staff only\)</label>', html)
    assert html.count(in_report) == 2  # the choice, and the reply form under the comment to the district
    assert (f'<label for="reply-{shared.pk}">Your reply (the district and the state read it; {in_report})</label>'
            in html)
    assert '<label for="id_body">Comment</label>' in html
    client.force_login(certifier)
    html = client.get(url).content.decode()
    # The district: its comment always reaches the report, so its field's own label says so.
    assert f'<label for="id_body">Comment (the state&#x27;s reviewers read it; {in_report})</label>' in html
    assert (f'<label for="reply-{shared.pk}">Your reply (the district and the state read it; {in_report})</label>'
            in html)
    assert html.count(in_report) == 2 and 'name="visibility"' not in html


@pytest.mark.django_db
def test_no_pdf_carries_an_internal_comment(commented, reviewer, django_capture_on_commit_callbacks):
    submission, evaluation, _, _ = commented
    facts = _submission_facts(submission, evaluation)
    assert [c["body"] for c in facts.comments] == [SHARED]
    draft = _pdf_text(services.report_generate(evaluation=evaluation, kind=ReportKind.EVALUATION))
    for finding in evaluation.findings.exclude(severity="info"):
        services.finding_review(finding=finding, user=reviewer, status=ReviewStatus.CONFIRMED)
    with mock.patch("compliance.tasks.render_report.delay"):
        services.submission_decide(submission=submission, user=reviewer, outcome=DecisionOutcome.COMPLIANT,
                                   note="The district meets its duties.")
    decided = _pdf_text(services.report_generate(evaluation=evaluation, kind=ReportKind.DECISION))
    assert "Please explain the Brook Elementary counts" in decided
    assert "superintendent" not in decided and "superintendent" not in draft


@pytest.mark.django_db
def test_no_district_email_carries_an_internal_comment(commented, certifier, reviewer, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    submission, _, _, _ = commented
    addressed = notifications.recipients(submission.district)
    assert certifier.email in addressed
    with mock.patch("compliance.tasks.render_report.delay"):
        services.submission_return(submission=submission, user=reviewer, note="Fix the counts.")
    mail.outbox.clear()
    for kind in ("certified", "returned"):
        message = services.notification_queue(kind=kind, submission_id=submission.pk)
        assert services.notification_deliver(notification_id=message.pk) == len(addressed)
    assert len(mail.outbox) == 2  # one message per kind, addressed to all of them
    for message in mail.outbox:
        bodies = [message.body, message.subject, *(content for content, _ in message.alternatives)]
        assert all("superintendent" not in b for b in bodies)
    assert "Fix the counts." in mail.outbox[1].body  # the return note itself does reach the district


@pytest.mark.django_db
def test_no_export_carries_an_internal_comment(client, commented, certifier, cycle):
    submission, _, _, _ = commented
    client.force_login(certifier)
    for kind in ("schools", "findings"):
        response = client.get(reverse("export_download", args=[submission.pk, kind]))
        assert response.status_code == 200
        assert b"superintendent" not in response.content
    for variant in ("state", "public"):
        body, _, _ = services.cycle_export(cycle=cycle, variant=variant, fmt="csv")
        with zipfile.ZipFile(io.BytesIO(body)) as zf:
            assert all(b"superintendent" not in zf.read(name) for name in zf.namelist())
        body, _, _ = services.cycle_export(cycle=cycle, variant=variant, fmt="xlsx")
        with zipfile.ZipFile(io.BytesIO(body)) as zf:  # an .xlsx is a zip of XML parts
            assert all(b"superintendent" not in zf.read(name) for name in zf.namelist())


@pytest.mark.django_db
def test_no_api_answer_carries_an_internal_comment(client, commented, certifier, reviewer):
    submission, _, _, _ = commented
    for user in (certifier, reviewer):  # not even to state staff: the API has no comment endpoint
        token = client.post("/api/v1/token", {"username": user.username, "password": DEFAULT_PASSWORD},
                            content_type="application/json").json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        for path in ("", "/problems", "/findings"):
            response = client.get(f"/api/v1/submissions/{submission.pk}{path}", headers=headers)
            assert response.status_code == 200, path
            assert b"superintendent" not in response.content
