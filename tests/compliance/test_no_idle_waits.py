"""Issue 15 item 4: the report is sent for at once as the evaluation commits; the page learns of each step at once."""
from __future__ import annotations

from unittest import mock

import pytest
from django.urls import reverse

from compliance import services, tasks, views
from compliance.models import Report, ReportKind, Submission
from compliance.models import SubmissionStatus as S
from tests.faults.processes import workbook_for


def _upload(user, district, cycle) -> Submission:
    with mock.patch("compliance.tasks.evaluate_submission.delay"):
        return services.submission_create(district=district, cycle=cycle, uploaded_by=user, filename="w.xlsx",
                                          fileobj=workbook_for(district.state_id, cycle.school_year))


@pytest.mark.django_db
def test_the_evaluation_sends_its_report_to_the_reports_queue_as_it_commits(
        submitter, district, cycle, django_capture_on_commit_callbacks):
    # At once (no wait for a sweep), and on the reports queue: a burst of reports rendering
    # there never holds up the next district's validation on the evaluation queue (issue 10).
    submission = _upload(submitter, district, cycle)
    with mock.patch("compliance.tasks.render_report.delay") as queued, django_capture_on_commit_callbacks(execute=True):
        tasks.evaluate_submission(submission_id=submission.pk)  # the task body, as a worker runs it
    submission.refresh_from_db()
    assert submission.status == S.EVALUATED
    assert not Report.objects.exists()  # not rendered by the evaluation worker
    queued.assert_called_once_with(evaluation_id=submission.latest_evaluation.pk, kind=ReportKind.EVALUATION)
    assert tasks.render_report.app.amqp.router.route({}, tasks.render_report.name)["queue"].name == "reports"


@pytest.mark.django_db
def test_status_request_answers_as_soon_as_the_check_ends(client, submitter, district, cycle, settings, monkeypatch):
    settings.STATUS_WAIT_SECONDS = 30
    submission = _upload(submitter, district, cycle)
    client.force_login(submitter)
    naps = []

    def nap(seconds):
        # The worker finishes while the request waits: the next look sees the new status.
        naps.append(seconds)
        if len(naps) == 3:
            Submission.objects.filter(pk=submission.pk).update(status=S.VALIDATING)
        if len(naps) == 5:
            Submission.objects.filter(pk=submission.pk).update(status=S.EVALUATED)

    monkeypatch.setattr(views, "_nap", nap)
    url = reverse("submission_status", args=[submission.pk]) + "?page=pending&wait=1"
    response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Refresh"] == "true"  # the page reloads for the findings
    assert len(naps) == 5 and sum(naps) < 2  # not a fixed poll: five short looks, then the answer


@pytest.mark.django_db
def test_status_wait_is_bounded_and_plain_requests_do_not_wait(client, submitter, district, cycle, settings,
                                                               monkeypatch):
    settings.STATUS_WAIT_SECONDS = 1
    submission = _upload(submitter, district, cycle)
    client.force_login(submitter)
    naps: list[float] = []
    monkeypatch.setattr(views, "_nap", naps.append)
    clock = iter(range(0, 1000))
    monkeypatch.setattr(views, "_now", lambda: next(clock) * 0.25)
    url = reverse("submission_status", args=[submission.pk]) + "?page=pending"
    response = client.get(url + "&wait=1", HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in response and 1 <= len(naps) <= 5  # still queued: answered after about a second
    html = response.content.decode()
    assert 'hx-trigger="load delay:100ms, every 20s"' in html and "wait=1" in html
    naps.clear()
    client.get(url)  # no wait asked (a plain page load, or htmx without it): answered at once
    assert naps == []
