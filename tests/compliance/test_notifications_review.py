"""The review workflow's messages (issue 12): assignment, sign-off, send-back, plan judgements; no internal text."""
from __future__ import annotations

from datetime import date
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from compliance import services, tasks
from compliance.models import (
    Certification,
    CorrectiveAction,
    Decision,
    DecisionOutcome,
    Finding,
    NotificationLog,
)
from compliance.models import SubmissionStatus as S
from compliance.notifications import notifications_for
from compliance.services import review
from districts.models import Role
from tests.factories import EvaluationFactory, SubmissionFactory, user_factory

pytestmark = pytest.mark.django_db

SITE = "https://checker.example.gov"
SECRET = "Internal: the board chair asked us to go easy"


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = SITE


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """On-commit sends deliver at once, in process (the task's body, by the outbox row's id)."""
    def send(**kwargs):
        return tasks.send_notification.apply(kwargs=kwargs, throw=True)

    with mock.patch.object(tasks.send_notification, "delay", side_effect=send), \
            mock.patch.object(tasks.render_report, "delay"):
        yield lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def boss(db):
    return user_factory(Role.STATE_SUPERVISOR, username="boss", first_name="Sam", last_name="Okafor")


@pytest.fixture
def rae(reviewer):
    reviewer.first_name, reviewer.last_name, reviewer.email = "Rae", "Lind", "rae@example.org"
    reviewer.save()
    return reviewer


@pytest.fixture
def certified(district, cycle, submitter, certifier, reviewer):
    """Version 1, certified on 1 March 2027 (review due 30 days later), one open INT-01 finding, an internal note."""
    sub = SubmissionFactory(district=district, cycle=cycle, status=S.CERTIFIED, uploaded_by=submitter)
    certified_at = timezone.make_aware(timezone.datetime(2027, 3, 1, 10, 0))
    Certification.objects.create(submission=sub, certified_by=certifier, full_name="Pat Lee", title="Superintendent",
                                 attestation="I certify.", certified_at=certified_at)
    Finding.objects.create(evaluation=EvaluationFactory(submission=sub), rule="INT-01", severity="finding",
                           scope="school", school_id="0311", message="m")
    services.comment_create(submission=sub, user=reviewer, body=SECRET, visibility="internal")
    return sub


def _bodies(message) -> list[str]:
    return [message.subject, message.body, *(content for content, _ in message.alternatives)]


def _no_internal_text():
    for message in mail.outbox:
        assert all(SECRET not in part for part in _bodies(message)), message.subject


def test_the_assigned_reviewer_is_told_and_nobody_else(run_on_commit, certified, boss, rae, reviewer2, cycle):
    with run_on_commit():
        services.submission_assign(submission=certified, user=boss, assignee=rae)
    [message] = mail.outbox
    assert message.to == ["rae@example.org"]  # not the district, not the supervisor who assigned it
    assert message.subject == "Assigned to you: review of Riverside County Schools 2026-27 version 1"
    assert message.body.startswith("Sam Okafor assigned you the review of the 2026-27 submission of Riverside "
                                   "County Schools (version 1). It is in review with you now.\n")
    assert "Review due: 31 March 2027\n" in message.body  # 1 March + the cycle's 30 review days
    assert "Findings: 1\nWarnings: 0\n" in message.body
    assert f"{SITE}/submissions/{certified.pk}/" in message.body
    html = message.alternatives[0][0]
    assert f'<a href="{SITE}/submissions/{certified.pk}/">Open the review</a>' in html
    assert "you review submissions for the state" in html and "you act for the district" not in html

    certified.refresh_from_db()
    with run_on_commit():
        services.submission_assign(submission=certified, user=boss, assignee=reviewer2, note="Rae is on leave.")
    moved = mail.outbox[-1]
    assert len(mail.outbox) == 2 and moved.to == ["reviewer2@example.org"]
    assert moved.subject == "Reassigned to you: review of Riverside County Schools 2026-27 version 1"
    assert moved.body.startswith("Sam Okafor reassigned the review of the 2026-27 submission of Riverside County "
                                 "Schools (version 1) to you.")
    assert "Rae is on leave." not in moved.body  # the supervisor's reasons stay in the review's history
    _no_internal_text()
    # State staff's messages are not the district's: its page lists none of them.
    assert list(notifications_for(submission=certified)) == []
    assert sorted(NotificationLog.objects.values_list("kind", "recipients")) == [
        ("assigned", "rae@example.org"), ("reassigned", "reviewer2@example.org")]


def test_a_supervisor_assigning_to_themselves_gets_no_mail(run_on_commit, certified, boss):
    with run_on_commit():
        services.submission_assign(submission=certified, user=boss, assignee=boss)
    assert mail.outbox == [] and not NotificationLog.objects.exists()


@pytest.fixture
def second_supervisors(db):
    return [user_factory(Role.STATE_SUPERVISOR, username=name, first_name=name.title(), last_name="Byrne")
            for name in ("ada", "ben")]


PLAN = [{"description": "Redraw the elementary zones", "due_on": date(2099, 6, 1)}]


def _propose(certified, boss):
    services.submission_claim(submission=certified, user=boss)
    certified.refresh_from_db()
    services.finding_review(finding=certified.latest_evaluation.findings.get(), user=boss, status="confirmed")
    services.submission_decide(submission=certified, user=boss, outcome=DecisionOutcome.CORRECTIVE_ACTION,
                               note="Zones keep schools apart.", actions=PLAN)
    certified.refresh_from_db()


def test_supervisors_who_may_sign_off_are_told_then_the_reviewer_of_a_send_back(
        run_on_commit, certified, boss, rae, second_supervisors):
    with run_on_commit():
        _propose(certified, boss)
    [message] = mail.outbox
    # Every supervisor who may sign it off; not its proposer, not a plain reviewer.
    assert message.to == ["ada@example.org", "ben@example.org"]
    assert message.subject == ("Sign-off needed: Noncompliant: corrective action required for Riverside County "
                               "Schools 2026-27")
    assert message.body.startswith("Sam Okafor proposes a decision on the 2026-27 submission of Riverside County "
                                   "Schools (version 1). It takes effect only once a supervisor who did not review "
                                   "the submission signs it off")
    assert "Proposed outcome: Noncompliant: corrective action required\n" in message.body
    assert f"Sign it off or send it back:\n{SITE}/submissions/{certified.pk}/\n" in message.body

    with run_on_commit():
        review.decision_send_back(submission=certified, user=second_supervisors[0],
                                    note="Name the schools in the plan.")
    back = mail.outbox[-1]
    assert back.to == ["boss@example.org"]
    assert back.subject == "Sent back: your proposed decision for Riverside County Schools 2026-27"
    assert back.body.startswith("Ada Byrne did not sign off your proposed decision (Noncompliant: corrective "
                                "action required)")
    assert "The supervisor's note:\nName the schools in the plan.\n" in back.body

    certified.refresh_from_db()
    with run_on_commit():
        services.submission_decide(submission=certified, user=boss, outcome=DecisionOutcome.CORRECTIVE_ACTION,
                                   note="Zones keep schools apart.", actions=PLAN)
        certified.refresh_from_db()
        review.decision_sign_off(submission=certified, user=second_supervisors[1])
    kinds = [m.subject.split(":")[0] for m in mail.outbox]
    assert kinds == ["Sign-off needed", "Sent back", "Sign-off needed", "Decision"]
    assert mail.outbox[-1].to == ["certifier@example.org", "submitter@example.org"]  # the district, at last
    _no_internal_text()


@pytest.fixture
def decided(certified, boss):
    Decision.objects.create(submission=certified, outcome="corrective_action", note="Zones.", decided_by=boss)
    certified.status = S.DECIDED
    certified.save(update_fields=["status"])
    action = CorrectiveAction.objects.create(submission=certified, description="Redraw the elementary zones",
                                             due_on=date(2027, 6, 1), status="submitted",
                                             answered_at=timezone.now())
    return certified, action


def test_the_district_is_told_when_the_state_asks_again_or_accepts(run_on_commit, decided, rae):
    submission, action = decided
    with run_on_commit():
        services.corrective_action_judge(action=action, user=rae, accept=False,
                                         note="Name the schools whose zones change.")
    asked = mail.outbox[-1]
    assert asked.to == ["certifier@example.org", "submitter@example.org"]
    assert asked.subject == "More needed: Riverside County Schools 2026-27 corrective action due 1 June 2027"
    assert "Action: Redraw the elementary zones\nDue: 1 June 2027\n" in asked.body
    assert "What the state needs:\nName the schools whose zones change.\n" in asked.body
    link = f"{SITE}/submissions/{submission.pk}/plan/#action-{action.pk}"
    assert link in asked.body and f'<a href="{link}">' in asked.alternatives[0][0]

    CorrectiveAction.objects.filter(pk=action.pk).update(status="submitted")
    action.refresh_from_db()
    with run_on_commit():
        services.corrective_action_judge(action=action, user=rae, accept=True)
    accepted = mail.outbox[-1]
    assert accepted.subject == "Plan accepted: Riverside County Schools 2026-27 corrective action"
    assert "Action: Redraw the elementary zones\n" in accepted.body and link in accepted.body
    assert "Reviewer's note" not in accepted.body  # accepted without one
    _no_internal_text()
    # Both are the district's: its page lists them.
    assert [n.kind for n in notifications_for(submission=submission)] == ["plan_accepted", "plan_asked_again"]
