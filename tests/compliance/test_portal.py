"""District certification (issue 11): typed name and title, the state's attestation, recorded and printed."""
from __future__ import annotations

import hashlib
import io
import subprocess
from datetime import timedelta
from html import unescape
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from compliance import selectors, services, tasks
from compliance.demo import demo_workbook
from compliance.models import (
    DEFAULT_ATTESTATION,
    AuditEvent,
    Certification,
    Evaluation,
    Report,
    ReportKind,
    Submission,
)
from compliance.services import reports as reports_service
from compliance.services.portal import report_pending
from compliance.states import SubmissionStatus as S
from compliance.workbook.template import write_workbook
from tests.factories import EvaluationFactory, FindingFactory, ProblemFactory, ReportFactory, SubmissionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluated(district, cycle, submitter):
    sub = SubmissionFactory(district=district, cycle=cycle, uploaded_by=submitter, status=S.EVALUATED)
    FindingFactory(evaluation=EvaluationFactory(submission=sub))
    return sub


def test_certify_page_shows_the_states_attestation_and_records_name_title_time(client, certifier, evaluated, cycle):
    cycle.attestation = "I attest, for the 2026-27 cycle, that these counts match our October 1 census."
    cycle.save()
    client.force_login(certifier)
    page = client.get(reverse("submission_detail", args=[evaluated.pk])).content.decode()
    assert "I attest, for the 2026-27 cycle, that these counts match our October 1 census." in page
    assert 'name="full_name"' in page and 'name="title"' in page

    client.post(reverse("submission_certify", args=[evaluated.pk]),
                {"confirm": "on", "full_name": "  Pat   Lee ", "title": "Superintendent"})
    evaluated.refresh_from_db()
    assert evaluated.status == S.CERTIFIED
    cert = Certification.objects.get(submission=evaluated)
    assert (cert.full_name, cert.title, cert.certified_by) == ("Pat Lee", "Superintendent", certifier)
    assert cert.attestation == cycle.attestation
    event = AuditEvent.objects.get(submission=evaluated, action="certified")
    assert cert.certified_at == event.created_at
    assert event.note == f"Certified by Pat Lee, Superintendent: {cycle.attestation}"
    page = client.get(reverse("submission_detail", args=[evaluated.pk])).content.decode()
    assert "Certified by <strong>Pat Lee, Superintendent</strong>" in page
    assert 'name="full_name"' not in page  # certified: the form is gone


def test_certify_needs_typed_name_and_title(client, certifier, evaluated):
    client.force_login(certifier)
    response = client.post(reverse("submission_certify", args=[evaluated.pk]),
                           {"confirm": "on", "full_name": "", "title": " "}, follow=True)
    text = response.content.decode()
    assert "Type your full name to certify." in text
    assert "Type your title (for example, Superintendent) to certify." in text
    evaluated.refresh_from_db()
    assert evaluated.status == S.EVALUATED and not Certification.objects.exists()
    with pytest.raises(ValidationError, match="Type your full name and your title"):
        services.submission_certify(submission=evaluated, user=certifier, full_name=" ", title="Clerk")


def test_default_attestation_and_submitter_refused(client, submitter, certifier, evaluated):
    client.force_login(submitter)
    response = client.post(reverse("submission_certify", args=[evaluated.pk]),
                           {"confirm": "on", "full_name": "Sam Doe", "title": "Clerk"})
    assert response.status_code == 403 and not Certification.objects.exists()
    services.submission_certify(submission=evaluated, user=certifier, full_name="Pat Lee", title="Superintendent")
    assert Certification.objects.get().attestation == DEFAULT_ATTESTATION


def _evaluated_for_real(district, cycle, submitter):
    data = demo_workbook("grade_center", cycle.school_year)
    data.district.district_id = district.state_id
    buffer = io.BytesIO()
    write_workbook(buffer, data)
    buffer.seek(0)
    with mock.patch("compliance.tasks.evaluate_submission.delay"), \
            mock.patch("compliance.tasks.send_notification.delay"):
        submission = services.submission_create(district=district, cycle=cycle, uploaded_by=submitter,
                                                fileobj=buffer, filename="gc.xlsx")
    with mock.patch("compliance.tasks.render_report.delay"), mock.patch("compliance.tasks.send_notification.delay"):
        evaluation = services.submission_evaluate(submission_id=submission.pk)
    submission.refresh_from_db()
    return submission, evaluation


def _pdf_text(report) -> str:
    with report.file.open("rb") as fh:
        pdf = fh.read()
    assert hashlib.sha256(pdf).hexdigest() == report.sha256
    return " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                                   check=True).stdout.decode().split())


def test_every_later_pdf_prints_the_certifier(submitter, certifier, district, cycle,
                                              django_capture_on_commit_callbacks):
    submission, evaluation = _evaluated_for_real(district, cycle, submitter)
    draft = services.report_generate(evaluation=evaluation, kind=ReportKind.EVALUATION)  # as the worker does
    assert "DRAFT" in _pdf_text(draft)

    with mock.patch("compliance.tasks.render_report.delay") as render, \
            mock.patch("compliance.tasks.send_notification.delay"), \
            django_capture_on_commit_callbacks(execute=True):
        services.submission_certify(submission=submission, user=certifier, full_name="Pat Lee",
                                    title="Superintendent")
    # The certification itself queues the new rendering, and no DRAFT stays downloadable meanwhile.
    render.assert_called_once_with(evaluation_id=evaluation.pk, kind=ReportKind.EVALUATION)
    assert not Report.objects.filter(evaluation=evaluation).exists()
    assert not default_storage.exists(draft.file.name)
    assert report_pending(submission=Submission.objects.get(pk=submission.pk))  # the page follows the rendering

    tasks.render_report(**render.call_args.kwargs)  # what the worker runs for that message
    report = selectors.report_newest(submission=submission, kind=ReportKind.EVALUATION)
    text = _pdf_text(report)
    certified_at = timezone.localtime(Certification.objects.get(submission=submission).certified_at)
    assert f"Certified by Pat Lee, Superintendent, {certified_at:%B %-d, %Y, %H:%M %Z}" in text
    assert "DRAFT" not in text
    assert not report_pending(submission=Submission.objects.get(pk=submission.pk))


def test_a_draft_finished_after_the_certification_is_rendered_again(submitter, certifier, district, cycle):
    submission, evaluation = _evaluated_for_real(district, cycle, submitter)
    real_pdf = reports_service.report_pdf
    certified_seen = []

    def certify_while_rendering(**kwargs):
        certified_seen.append(kwargs["facts"].certified)
        if len(certified_seen) == 1:  # the certifier certifies while the worker renders the draft
            services.submission_certify(submission=Submission.objects.get(pk=submission.pk), user=certifier,
                                        full_name="Pat Lee", title="Superintendent")
        return real_pdf(**kwargs)

    with mock.patch.object(reports_service, "report_pdf", side_effect=certify_while_rendering), \
            mock.patch("compliance.tasks.render_report.delay"), mock.patch("compliance.tasks.send_notification.delay"):
        report = services.report_generate(evaluation=evaluation, kind=ReportKind.EVALUATION)
    assert certified_seen[0] is None and certified_seen[1]["by"] == "Pat Lee, Superintendent"
    assert list(Report.objects.filter(evaluation=evaluation)) == [report]
    text = _pdf_text(report)
    assert "Certified by Pat Lee, Superintendent" in text and "DRAFT" not in text


# --- What to do next ---------------------------------------------------------------------------


def _next_step(client, user):
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    start = html.index("<strong>Next step:</strong>")
    return unescape(" ".join(html[start:html.index("</div>", start)].split())), html


def test_next_step_follows_the_submission(client, submitter, certifier, reviewer, district, cycle):
    step, _ = _next_step(client, submitter)
    assert "Upload the filled-in workbook" in step and "10 days left" in step

    sub = SubmissionFactory(district=district, cycle=cycle, uploaded_by=submitter, status=S.REJECTED)
    ev = EvaluationFactory(submission=sub, outcome="rejected")
    for row in (4, 5):
        ProblemFactory(evaluation=ev, severity="error", row=row)
    ProblemFactory(evaluation=ev, severity="warning", row=6)
    step, _ = _next_step(client, submitter)
    assert "Fix 2 errors in version 1 and upload it again." in step

    second = SubmissionFactory(district=district, cycle=cycle, uploaded_by=submitter, status=S.EVALUATED, version=2)
    FindingFactory(evaluation=EvaluationFactory(submission=second))
    step, html = _next_step(client, submitter)
    assert "Ask your district's certifier to certify version 2." in step
    assert "Awaiting your certification" not in html
    step, html = _next_step(client, certifier)
    assert "Certify version 2" in step
    awaiting = html[html.index("Awaiting your certification"):]
    assert f'href="/submissions/{second.pk}/">Riverside County Schools, version 2</a>' in awaiting

    services.submission_certify(submission=second, user=certifier, full_name="Pat Lee", title="Superintendent")
    step, _ = _next_step(client, submitter)
    assert "Nothing to do now: version 2 is with the state for review." in step
    services.submission_claim(submission=second, user=reviewer)
    services.submission_return(submission=second, user=reviewer, note="Add Budget rows for schools 0311 and 0314.")
    step, _ = _next_step(client, submitter)
    assert "Respond to the state's return" in step
    assert "The state's required actions" in step and "Add Budget rows for schools 0311 and 0314." in step


# --- Session warning -----------------------------------------------------------------------------


def test_pages_carry_the_session_warning_and_keepalive_renews(client, submitter, settings):
    client.force_login(submitter)
    html = client.get(reverse("home")).content.decode()
    assert 'id="session-warning"' in html and f'data-age="{settings.SESSION_COOKIE_AGE}"' in html
    assert 'data-ping="/session/keepalive/"' in html and "Stay signed in" in html
    response = client.post(reverse("session_keepalive"))
    assert response.json() == {"expires_in": settings.SESSION_COOKIE_AGE}
    assert client.get(reverse("session_keepalive")).status_code == 405
    client.logout()
    assert client.post(reverse("session_keepalive")).status_code == 302  # to sign in: nothing renewed


# --- Live status to the end ----------------------------------------------------------------------


def test_a_page_shown_while_checking_reloads_for_the_findings_then_follows_the_report(client, submitter, evaluated):
    """Checking ends: reload at once to show the findings; the reloaded page then waits for the PDF."""
    client.force_login(submitter)
    status_url = reverse("submission_status", args=[evaluated.pk])
    fragment = client.get(f"{status_url}?page=pending", headers={"HX-Request": "true"})
    assert fragment["HX-Refresh"] == "true"  # evaluated, report not stored yet: findings first
    page = client.get(reverse("submission_detail", args=[evaluated.pk])).content.decode()
    assert f'hx-get="{status_url}?page=report&amp;wait=1"' in page and "report being prepared" in page
    fragment = client.get(f"{status_url}?page=report", headers={"HX-Request": "true"})
    assert "HX-Refresh" not in fragment


def test_status_follows_until_the_report_exists(client, submitter, evaluated):
    client.force_login(submitter)
    page = client.get(reverse("submission_detail", args=[evaluated.pk])).content.decode()
    assert "report being prepared" in page and 'hx-trigger="load delay:100ms, every 20s"' in page
    status_url = reverse("submission_status", args=[evaluated.pk])
    fragment = client.get(status_url, headers={"HX-Request": "true"})
    assert "HX-Refresh" not in fragment and "report being prepared" in fragment.content.decode()
    ReportFactory(submission=evaluated, evaluation=evaluated.latest_evaluation, kind=ReportKind.EVALUATION)
    fragment = client.get(status_url, headers={"HX-Request": "true"})
    assert fragment["HX-Refresh"] == "true"  # the page reloads once, with the report links
    page = client.get(reverse("submission_detail", args=[evaluated.pk])).content.decode()
    assert "report being prepared" not in page and "hx-trigger" not in page


def test_a_lost_send_of_the_certified_rendering_is_sent_again_by_the_sweep(certifier, evaluated, settings,
                                                                            django_capture_on_commit_callbacks):
    settings.BROKER_BACKOFF_SECONDS = 0  # the sweep below comes later than a failed send's backoff
    evaluation = evaluated.evaluations.get()
    Evaluation.objects.filter(pk=evaluation.pk).update(finished_at=timezone.now() - timedelta(hours=1))
    ReportFactory(evaluation=evaluation, kind=ReportKind.EVALUATION)  # the draft
    with mock.patch("compliance.tasks.render_report.delay", side_effect=ConnectionRefusedError), \
            mock.patch("compliance.tasks.send_notification.delay"), \
            django_capture_on_commit_callbacks(execute=True):
        services.submission_certify(submission=evaluated, user=certifier, full_name="Pat Lee", title="Clerk")
    assert not Report.objects.filter(evaluation=evaluation).exists()  # the broker was down: nothing rendered
    with mock.patch("compliance.tasks.render_report.delay") as render:
        services.pipeline_sweep()
    render.assert_not_called()  # the send is given its usual time first
    Evaluation.objects.filter(pk=evaluation.pk).update(
        reports_dispatched_at=timezone.now() - timedelta(seconds=settings.SWEEP_REPORT_AFTER_SECONDS + 1))
    with mock.patch("compliance.tasks.render_report.delay") as render:
        services.pipeline_sweep()
    render.assert_called_once_with(evaluation_id=evaluation.pk, kind=ReportKind.EVALUATION)
