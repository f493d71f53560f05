"""A proposed noncompliance is not in force: until a supervisor signs it off the district reads "In state review"."""
from __future__ import annotations

from datetime import date
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance import services
from compliance.models import Certification, DecisionOutcome, Finding, NotificationLog
from compliance.models import SubmissionStatus as S
from compliance.selectors_review import DISTRICT, STATE, status_shown_to
from compliance.services import review
from compliance.services.portal import next_action
from districts.models import Role
from tests.api.conftest import Api, get_token
from tests.factories import EvaluationFactory, SubmissionFactory, user_factory

pytestmark = pytest.mark.django_db

PLAN = [{"description": "Redraw the elementary zones", "due_on": date(2099, 6, 1)}]
SIGN_OFF_LABEL = "Noncompliance awaiting a supervisor's sign-off"


@pytest.fixture
def boss(db):
    return user_factory(Role.STATE_SUPERVISOR, username="boss", first_name="Sam", last_name="Okafor")


@pytest.fixture
def ada(db):
    return user_factory(Role.STATE_SUPERVISOR, username="ada", email="ada@example.org")


@pytest.fixture
def proposed(district, cycle, submitter, certifier, boss, ada):
    """Certified, claimed by a supervisor, its one finding confirmed, noncompliance proposed."""
    sub = SubmissionFactory(district=district, cycle=cycle, status=S.CERTIFIED, uploaded_by=submitter)
    Certification.objects.create(submission=sub, certified_by=certifier, full_name="Pat Lee", title="Superintendent",
                                 attestation="I certify.", certified_at=timezone.now())
    Finding.objects.create(evaluation=EvaluationFactory(submission=sub), rule="INT-01", severity="finding",
                           scope="school", school_id="0311", message="m")
    with mock.patch("compliance.tasks.send_notification.delay"), mock.patch("compliance.tasks.render_report.delay"):
        services.submission_claim(submission=sub, user=boss)
        sub.refresh_from_db()
        services.finding_review(finding=sub.latest_evaluation.findings.get(), user=boss, status="confirmed")
        services.submission_decide(submission=sub, user=boss, outcome=DecisionOutcome.CORRECTIVE_ACTION,
                                   note="Zones keep schools apart.", actions=PLAN)
    sub.refresh_from_db()
    assert sub.status == S.AWAITING_SIGN_OFF
    return sub


def test_the_one_mapping_tells_a_district_in_state_review(proposed, certifier, boss):
    for audience in (DISTRICT, certifier):
        shown = status_shown_to(audience, status=S.AWAITING_SIGN_OFF)
        assert (shown.value, shown.label) == ("in_review", "In state review")
    assert status_shown_to(STATE, status=S.AWAITING_SIGN_OFF).label == SIGN_OFF_LABEL
    assert status_shown_to(boss, status=S.AWAITING_SIGN_OFF).value == "awaiting_sign_off"
    for status in S:
        if status != S.AWAITING_SIGN_OFF:
            assert status_shown_to(DISTRICT, status=status) == status


def test_district_pages_say_in_state_review_before_and_after_a_send_back(client, proposed, certifier, boss, ada):
    url = reverse("submission_detail", args=[proposed.pk])
    client.force_login(certifier)
    page = client.get(url).content.decode()
    assert '<span class="status status-in_review">In state review</span>' in page
    assert "sign-off" not in page.lower() and "awaiting_sign_off" not in page
    home = client.get(reverse("home")).content.decode()
    assert '<span class="status status-in_review">In state review</span>' in home
    i = home.lower().find("sign-off")
    assert i == -1 and "awaiting_sign_off" not in home, home[i - 100:i + 300]
    assert next_action(user=certifier, submissions=[proposed], cycle=proposed.cycle)["text"] == (
        f"Nothing to do now: version {proposed.version} is with the state for review.")

    client.force_login(boss)
    assert SIGN_OFF_LABEL.replace("'", "&#x27;") in client.get(url).content.decode()

    with mock.patch("compliance.tasks.send_notification.delay"):
        review.decision_send_back(submission=proposed, user=ada, note="Name the schools in the plan.")
    client.force_login(certifier)
    page = client.get(url).content.decode()
    assert '<span class="status status-in_review">In state review</span>' in page
    assert "sign-off" not in page.lower() and "Name the schools" not in page


def test_the_api_tells_a_district_in_state_review_and_state_staff_the_truth(client, proposed, certifier, boss):
    claimed_at = proposed.audit_events.get(action="claimed").created_at
    district = Api(client, get_token(client, certifier.username)).get(f"/api/v1/submissions/{proposed.pk}").json()
    assert (district["status"], district["status_label"]) == ("in_review", "In state review")
    # When the status it is told last changed: the claim, not the proposal.
    assert district["status_changed_at"] == claimed_at.isoformat()
    state = Api(client, get_token(client, boss.username)).get(f"/api/v1/submissions/{proposed.pk}").json()
    assert (state["status"], state["status_label"]) == ("awaiting_sign_off", SIGN_OFF_LABEL)


def test_the_proposal_sends_the_district_no_message(proposed):
    # Only the supervisor who may sign it off is told; nothing goes to the district's people.
    assert list(NotificationLog.objects.filter(submission=proposed).values_list("kind", "recipients")) == [
        ("sign_off_requested", "ada@example.org")]


def test_a_finding_review_note_is_read_by_the_district_while_the_review_is_open_and_the_form_says_so(
        client, district, cycle, submitter, certifier, reviewer):
    sub = SubmissionFactory(district=district, cycle=cycle, status=S.IN_REVIEW, uploaded_by=submitter,
                            reviewer=reviewer)
    finding = Finding.objects.create(evaluation=EvaluationFactory(submission=sub), rule="INT-01",
                                     severity="finding", scope="school", school_id="0311", message="m")
    services.finding_review(finding=finding, user=reviewer, status="dismissed", note="Magnet under an approved plan.")
    url = reverse("submission_detail", args=[sub.pk])
    client.force_login(certifier)
    page = client.get(url).content.decode()
    # Before any decision: the district's page shows the note (the "Finding reviews" history and the row).
    assert "INT-01 0311: Magnet under an approved plan." in page
    client.force_login(reviewer)
    assert ("Note (the district and the public report read it; required to dismiss)"
            in client.get(url).content.decode())
