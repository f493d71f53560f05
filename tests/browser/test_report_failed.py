"""Real browser: a submission whose report could not be made says so, accessibly, and stops polling."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from compliance.models import EvaluationOutcome
from compliance.models import SubmissionStatus as S
from districts.models import Role
from tests.factories import DistrictFactory, EvaluationFactory, FindingFactory, SubmissionFactory, user_factory

from .test_pages import assert_accessible, no_console_errors, sign_in  # noqa: F401 (an autouse fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_report_given_up_is_said_and_not_waited_for(page: Page, live_server, settings):
    settings.REPORT_MAX_ATTEMPTS = 3
    district = DistrictFactory()
    user_factory(Role.DISTRICT_SUBMITTER, [district], username="dana")
    evaluation = EvaluationFactory(submission=SubmissionFactory(district=district, status=S.EVALUATED),
                                   outcome=EvaluationOutcome.ACCEPTED, report_attempts=3,
                                   report_error="RuntimeError: the PDF renderer ran out of memory")
    FindingFactory(evaluation=evaluation)
    sign_in(page, live_server, "dana")
    page.goto(f"{live_server.url}/submissions/{evaluation.submission_id}/")
    status = page.locator("#submission-status")
    expect(status).to_contain_text("could not be made")
    expect(status).not_to_contain_text("being prepared")
    assert status.get_attribute("hx-trigger") is None  # nothing to wait for: no polling
    expect(page.get_by_text("RuntimeError")).to_have_count(0)  # the error is for administrators
    assert_accessible(page)
