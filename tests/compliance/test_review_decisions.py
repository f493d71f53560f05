"""Decisions: plans for decisions with findings, and noncompliance only after a second person signs it off."""
from __future__ import annotations

from datetime import date
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import ProtectedError
from django.urls import reverse

from compliance import notifications, permissions, services
from compliance.models import (
    AuditEvent,
    CorrectiveAction,
    Decision,
    DecisionOutcome,
    DecisionProposal,
    NotificationLog,
    ReviewStatus,
    Submission,
)
from compliance.selectors_review import audit_events_visible_to
from compliance.services.review import (
    corrective_action_answer,
    corrective_action_judge,
    decision_send_back,
    decision_sign_off,
    decision_withdraw,
)
from compliance.states import SubmissionStatus as S
from districts.models import Role
from tests.factories import user_factory

from .test_review_comments import _evaluated

PLAN = [{"description": "Redraw the elementary zones", "due_on": date(2099, 3, 1)},
        {"description": "Publish the new staffing formula", "due_on": date(2099, 5, 15)}]


@pytest.fixture
def reviewed(district, cycle, submitter, certifier, supervisor):
    submission, evaluation = _evaluated(district, cycle, submitter)
    services.submission_certify(submission=submission, user=certifier)
    # The supervisor claims and reviews this one: a second supervisor must sign it off.
    services.submission_claim(submission=submission, user=supervisor)
    submission.refresh_from_db()
    for finding in evaluation.findings.exclude(severity="info"):
        services.finding_review(finding=finding, user=supervisor, status=ReviewStatus.CONFIRMED)
    return submission


@pytest.fixture
def second_supervisor(db):
    return user_factory(Role.STATE_SUPERVISOR, username="second", first_name="Ada", last_name="Byrne")


def _propose(submission, user):
    with mock.patch("compliance.tasks.render_report.delay"):
        return services.submission_decide(submission=submission, user=user, outcome=DecisionOutcome.CORRECTIVE_ACTION,
                                          note="Zones keep schools apart.", actions=PLAN)


@pytest.mark.django_db
def test_a_plan_outcome_needs_required_actions_with_due_dates(reviewed, supervisor):
    for outcome in (DecisionOutcome.COMPLIANT_WITH_FINDINGS, DecisionOutcome.CORRECTIVE_ACTION):
        with pytest.raises(ValidationError, match="at least one required action"):
            services.submission_decide(submission=reviewed, user=supervisor, outcome=outcome, note="n", actions=[])
        with pytest.raises(ValidationError, match="a description and a due date"):
            services.submission_decide(submission=reviewed, user=supervisor, outcome=outcome, note="n",
                                       actions=[{"description": "Fix", "due_on": None}])
    assert not CorrectiveAction.objects.exists() and not Decision.objects.exists()


@pytest.mark.django_db
def test_compliant_with_findings_takes_effect_at_once_with_its_plan(reviewed, supervisor):
    with mock.patch("compliance.tasks.render_report.delay"):
        decision = services.submission_decide(submission=reviewed, user=supervisor, note="Minor gaps.",
                                              outcome=DecisionOutcome.COMPLIANT_WITH_FINDINGS, actions=PLAN[:1])
    assert Submission.objects.get(pk=reviewed.pk).status == S.DECIDED
    assert decision.outcome == "compliant_with_findings"
    assert list(CorrectiveAction.objects.values_list("description", "due_on", "status")) == [
        ("Redraw the elementary zones", date(2099, 3, 1), "open")]


@pytest.mark.django_db
def test_the_district_is_pointed_to_its_corrective_action_plan(client, reviewed, supervisor, certifier):
    with mock.patch("compliance.tasks.render_report.delay"):
        services.submission_decide(submission=reviewed, user=supervisor, note="Minor gaps.",
                                   outcome=DecisionOutcome.COMPLIANT_WITH_FINDINGS, actions=PLAN)
    # The decision's e-mail lists the actions by due date and links to the plan's page.
    note = NotificationLog.objects.get(kind="decided", submission=reviewed)
    _, text, html = notifications.message_build("decided", notifications.message_context(note))
    plan = f"/submissions/{reviewed.pk}/plan/"
    assert ("Corrective action plan: for each action, upload your plan and evidence by its due date.\n"
            "- Due 1 March 2099: Redraw the elementary zones\n"
            "- Due 15 May 2099: Publish the new staffing formula\n"
            "Answer the plan: http") in text and text.count(plan) == 1
    assert f'{plan}">Answer the corrective action plan</a>' in html
    # The home page's next step goes to the plan while an action waits on the district.
    client.force_login(certifier)
    home = client.get(reverse("home")).content.decode()
    assert (f'<a href="{plan}">Answer the corrective action plan: 2 actions waiting on you, the next due '
            "1 March 2099.</a>") in home
    CorrectiveAction.objects.update(status="accepted")
    home = client.get(reverse("home")).content.decode()
    assert "The state has decided: read the decision report." in home and "Answer the corrective" not in home


@pytest.mark.django_db
def test_noncompliance_waits_for_a_supervisor_who_did_not_review(reviewed, supervisor, second_supervisor, reviewer,
                                                                 django_capture_on_commit_callbacks):
    proposal = _propose(reviewed, supervisor)
    reviewed.refresh_from_db()
    assert isinstance(proposal, DecisionProposal) and reviewed.status == S.AWAITING_SIGN_OFF
    assert not Decision.objects.exists()  # not in force yet
    assert CorrectiveAction.objects.count() == 2
    # The reviewer (here a supervisor) cannot be the second person, nor can a plain reviewer.
    assert not permissions.can_sign_off(supervisor, reviewed) and not permissions.can_sign_off(reviewer, reviewed)
    with pytest.raises(PermissionDenied, match="another supervisor must sign off"):
        decision_sign_off(submission=reviewed, user=supervisor)
    with pytest.raises(PermissionDenied, match="Only a state supervisor"):
        decision_sign_off(submission=reviewed, user=reviewer)
    assert permissions.can_sign_off(second_supervisor, reviewed)
    with mock.patch("compliance.tasks.render_report.delay") as render, \
            mock.patch("compliance.tasks.send_notification.delay") as notify, \
            django_capture_on_commit_callbacks(execute=True):
        decision = decision_sign_off(submission=reviewed, user=second_supervisor)
    render.assert_called_once()  # the decision PDF is made again
    told = NotificationLog.objects.get(pk=notify.call_args.kwargs["notification_id"])
    assert (told.kind, told.district) == ("decided", reviewed.district)  # and the district told
    assert (decision.outcome, decision.decided_by) == ("corrective_action", supervisor)
    assert Submission.objects.get(pk=reviewed.pk).status == S.DECIDED
    proposal.refresh_from_db()
    assert (proposal.status, proposal.answered_by) == ("signed_off", second_supervisor)
    assert list(AuditEvent.objects.filter(submission=reviewed).values_list("action", "actor__username"))[-2:] == [
        ("decision_proposed", "supervisor"), ("decided", "second")]
    # The decision report names both people: who decided and who signed it off.
    from compliance.reports.decision import status_lines
    from compliance.services.reports import _submission_facts
    from tests.compliance.reports.factories import make_context

    facts = _submission_facts(Submission.objects.get(pk=reviewed.pk), reviewed.latest_evaluation)
    assert facts.decision is not None and facts.decision["signed_off_by"] == "Ada Byrne"
    decided = dict(status_lines(make_context(decision=facts.decision)))["Decided by"]
    assert decided.endswith("Noncompliant: corrective action required; signed off by Ada Byrne"), decided


@pytest.mark.django_db
def test_the_proposer_withdraws_a_proposal_no_other_supervisor_can_sign_off(client, reviewed, supervisor,
                                                                          second_supervisor, reviewer, certifier):
    # The only other supervisor is away (inactive): without a withdrawal the submission would be
    # stuck awaiting a sign-off nobody can give.
    second_supervisor.is_active = False
    second_supervisor.save(update_fields=["is_active"])
    _propose(reviewed, supervisor)
    reviewed.refresh_from_db()
    for other in (second_supervisor, reviewer, certifier):
        assert not permissions.can_withdraw(other, reviewed)
    with pytest.raises(PermissionDenied, match="Only the reviewer who proposed"):
        decision_withdraw(submission=reviewed, user=reviewer)
    client.force_login(supervisor)
    page = client.get(reverse("submission_detail", args=[reviewed.pk])).content.decode()
    assert "Withdraw the proposed decision" in page
    response = client.post(reverse("decision_withdraw", args=[reviewed.pk]), follow=True)
    assert "Proposed decision withdrawn. The submission is in your review again." in response.content.decode()
    reviewed.refresh_from_db()
    assert (reviewed.status, reviewed.reviewer) == (S.IN_REVIEW, supervisor)
    proposal = DecisionProposal.objects.get()
    assert (proposal.status, proposal.answered_by) == ("withdrawn", supervisor)
    assert not CorrectiveAction.objects.exists() and not Decision.objects.exists()
    # State staff see it in the history; the district never saw the proposal, nor sees its withdrawal.
    assert "decision_withdrawn" in audit_events_visible_to(supervisor, submission=reviewed).values_list(
        "action", flat=True)
    assert "decision_withdrawn" not in audit_events_visible_to(certifier, submission=reviewed).values_list(
        "action", flat=True)
    with pytest.raises(ValidationError):  # nothing pending now
        decision_withdraw(submission=reviewed, user=supervisor)


@pytest.mark.django_db
def test_the_supervisor_sends_it_back_with_a_note(reviewed, supervisor, second_supervisor):
    _propose(reviewed, supervisor)
    reviewed.refresh_from_db()
    with pytest.raises(ValidationError, match="why the decision is sent back"):
        decision_send_back(submission=reviewed, user=second_supervisor, note=" ")
    proposal = decision_send_back(submission=reviewed, user=second_supervisor, note="Name the schools in the plan.")
    reviewed.refresh_from_db()
    assert reviewed.status == S.IN_REVIEW and reviewed.reviewer == supervisor
    assert (proposal.status, proposal.answer_note) == ("sent_back", "Name the schools in the plan.")
    assert not CorrectiveAction.objects.exists() and not Decision.objects.exists()
    # The reviewer can propose again; the new proposal is the pending one.
    _propose(reviewed, supervisor)
    assert DecisionProposal.objects.filter(status="pending").count() == 1


@pytest.mark.django_db
def test_the_pages_propose_sign_off_and_hide_the_proposal_from_the_district(client, reviewed, supervisor,
                                                                           second_supervisor, certifier):
    detail = reverse("submission_detail", args=[reviewed.pk])
    client.force_login(supervisor)
    response = client.post(reverse("submission_decide", args=[reviewed.pk]), follow=True, data={
        "outcome": "corrective_action", "note": "Zones keep schools apart.",
        "plan": "2099-03-01 Redraw the elementary zones\nlater Publish the formula"})
    assert "Plan line 2: start with the due date" in response.content.decode()
    client.post(reverse("submission_decide", args=[reviewed.pk]), data={
        "outcome": "corrective_action", "note": "Zones keep schools apart.",
        "plan": "2099-03-01 Redraw the elementary zones\n\n2099-05-15 Publish the formula"})
    assert Submission.objects.get(pk=reviewed.pk).status == S.AWAITING_SIGN_OFF
    assert list(CorrectiveAction.objects.values_list("due_on", "description")) == [
        (date(2099, 3, 1), "Redraw the elementary zones"), (date(2099, 5, 15), "Publish the formula")]
    page = client.get(detail).content.decode()
    assert "Noncompliance awaiting sign-off" in page and "Sign off the decision" not in page
    assert client.post(reverse("decision_sign_off", args=[reviewed.pk])).status_code == 403

    client.force_login(certifier)
    page = client.get(detail).content.decode()
    assert "Zones keep schools apart." not in page  # the proposal is not in force: the district reads no reasons

    client.force_login(second_supervisor)
    assert "Sign off the decision" in client.get(detail).content.decode()
    with mock.patch("compliance.tasks.render_report.delay"), mock.patch("compliance.tasks.send_notification.delay"):
        client.post(reverse("decision_sign_off", args=[reviewed.pk]))
    assert Submission.objects.get(pk=reviewed.pk).status == S.DECIDED
    assert "Corrective action plan" in client.get(detail).content.decode()


@pytest.mark.django_db
def test_the_district_answers_each_action_and_the_reviewer_accepts_or_asks_again(reviewed, supervisor, certifier,
                                                                                 reviewer, user_b):
    with mock.patch("compliance.tasks.render_report.delay"):
        services.submission_decide(submission=reviewed, user=supervisor, note="Minor gaps.",
                                   outcome=DecisionOutcome.COMPLIANT_WITH_FINDINGS, actions=PLAN[:1])
    action = CorrectiveAction.objects.get()

    def files():
        return SimpleUploadedFile("plan.pdf", b"%PDF plan"), SimpleUploadedFile("proof.pdf", b"%PDF proof")

    with pytest.raises(PermissionDenied):
        corrective_action_answer(action=action, user=user_b, plan=files()[0], evidence=files()[1])
    with pytest.raises(ValidationError, match="has not answered"):
        corrective_action_judge(action=action, user=reviewer, accept=True)
    corrective_action_answer(action=action, user=certifier, plan=files()[0], evidence=files()[1])
    assert action.status == "submitted" and action.plan.read() == b"%PDF plan"
    with pytest.raises(ValidationError, match="what the district must add"):
        corrective_action_judge(action=action, user=reviewer, accept=False)
    corrective_action_judge(action=action, user=reviewer, accept=False, note="Name the schools.")
    assert (action.status, action.reviewer_note) == ("asked_again", "Name the schools.")
    corrective_action_answer(action=action, user=certifier, plan=files()[0], evidence=files()[1])
    corrective_action_judge(action=action, user=reviewer, accept=True)
    action.refresh_from_db()
    assert action.status == "accepted"
    assert list(AuditEvent.objects.filter(action__startswith="plan_").values_list("action", flat=True)) == [
        "plan_submitted", "plan_asked_again", "plan_submitted", "plan_accepted"]


@pytest.mark.django_db
def test_an_audit_event_keeps_the_actors_name_and_is_never_rewritten(reviewed):
    gone = user_factory(Role.STATE_REVIEWER, username="gone", first_name="Lee", last_name="Park")
    event = AuditEvent.objects.create(submission=reviewed, actor=gone, action="commented")
    with pytest.raises(ProtectedError):
        gone.delete()  # once they acted, an account is deactivated, never deleted
    gone.first_name, gone.is_active = "Leigh", False
    gone.save()
    event.refresh_from_db()
    assert (event.actor, event.actor_name) == (gone, "Lee Park (gone)")
    event.note = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()


@pytest.mark.django_db
def test_a_plan_due_before_today_is_refused(reviewed, supervisor):
    # "2020-01-01" for "2027-01-01": the plan would be overdue the day the district receives it.
    from datetime import timedelta

    from django.utils import timezone

    yesterday, today = timezone.localdate() - timedelta(days=1), timezone.localdate()
    with pytest.raises(ValidationError, match=f"The due date {yesterday.isoformat()} is in the past"):
        services.submission_decide(submission=reviewed, user=supervisor, note="n",
                                   outcome=DecisionOutcome.COMPLIANT_WITH_FINDINGS,
                                   actions=[{"description": "Redraw the zones", "due_on": yesterday}])
    assert not CorrectiveAction.objects.exists() and not Decision.objects.exists()
    with mock.patch("compliance.tasks.render_report.delay"):  # today itself is a date the district can meet
        services.submission_decide(submission=reviewed, user=supervisor, note="n",
                                   outcome=DecisionOutcome.COMPLIANT_WITH_FINDINGS,
                                   actions=[{"description": "Redraw the zones", "due_on": today}])
    assert CorrectiveAction.objects.get().due_on == today
