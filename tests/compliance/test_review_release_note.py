"""A reviewer's release note is a hand-off between state staff: no district reads it, anywhere."""
from __future__ import annotations

from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from compliance import notifications, services, tasks
from compliance.models import NotificationLog, ReportKind
from compliance.models import SubmissionStatus as S
from compliance.selectors_review import audit_events_visible_to
from tests.api.conftest import Api, get_token
from tests.compliance.test_review_comments import _evaluated, _pdf_text

RELEASE_NOTE = "Conflict of interest: my sister teaches at Brook Elementary"


@pytest.fixture
def released(district, cycle, submitter, certifier, reviewer, settings, django_capture_on_commit_callbacks):
    """Certified, claimed, then released with a note; every e-mail on the way delivered in process."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    def send(**kwargs):
        return tasks.send_notification.apply(kwargs=kwargs, throw=True)

    with mock.patch.object(tasks.send_notification, "delay", side_effect=send), \
            mock.patch.object(tasks.render_report, "delay"):
        with django_capture_on_commit_callbacks(execute=True):
            submission, evaluation = _evaluated(district, cycle, submitter)
            services.submission_certify(submission=submission, user=certifier)
            services.submission_claim(submission=submission, user=reviewer)
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.submission_release(submission=submission, user=reviewer, note=RELEASE_NOTE)
    submission.refresh_from_db()
    return submission, evaluation


@pytest.mark.django_db
def test_release_note_is_in_no_district_history(released, certifier, reviewer):
    submission, _ = released
    assert submission.status == S.CERTIFIED
    district = audit_events_visible_to("district", submission=submission).filter(action="released")
    assert list(district.values_list("shown_note", flat=True)) == [""]
    assert list(audit_events_visible_to(certifier, submission=submission).filter(action="released")
                .values_list("shown_note", flat=True)) == [""]
    assert list(audit_events_visible_to(reviewer, submission=submission).filter(action="released")
                .values_list("shown_note", flat=True)) == [RELEASE_NOTE]


@pytest.mark.django_db
def test_release_note_is_not_on_the_district_page_but_is_on_the_states(client, released, certifier, reviewer):
    submission, _ = released
    url = reverse("submission_detail", args=[submission.pk])
    client.force_login(certifier)
    page = client.get(url).content.decode()
    # The district sees that it went back to the state's queue, not why.
    assert "Released: In state review to Certified and submitted" in page
    assert RELEASE_NOTE not in page
    assert "Conflict of interest" not in page
    client.force_login(reviewer)
    assert RELEASE_NOTE in client.get(url).content.decode()


@pytest.mark.django_db
def test_release_note_is_in_no_api_answer(client, released, certifier):
    submission, _ = released
    api = Api(client, get_token(client, certifier.username))
    for path in (f"/api/v1/submissions/{submission.pk}", f"/api/v1/submissions/{submission.pk}/findings",
                 f"/api/v1/submissions/{submission.pk}/problems", "/api/v1/districts"):
        response = api.get(path)
        assert response.status_code == 200, path
        assert "Conflict of interest" not in response.content.decode(), path


@pytest.mark.django_db
def test_release_sends_no_email_and_no_district_email_carries_its_note(released):
    submission, _ = released
    assert mail.outbox == []
    assert list(NotificationLog.objects.filter(submission=submission).values_list("kind", flat=True)
                .order_by("pk")) == ["receipt", "evaluated", "certified"]
    for note in NotificationLog.objects.filter(submission=submission):
        subject, text, html = notifications.message_build(note.kind, notifications.message_context(note))
        assert all("Conflict of interest" not in part for part in (subject, text, html)), note.kind


@pytest.mark.django_db
def test_release_note_is_in_no_pdf(released):
    submission, evaluation = released
    text = _pdf_text(services.report_generate(evaluation=evaluation, kind=ReportKind.EVALUATION))
    assert "Conflict of interest" not in text
