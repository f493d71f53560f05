"""Corrective action plans on the web: the district answers each action, a reviewer accepts or asks again."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from compliance.models import AuditEvent, CorrectiveAction, Decision, DecisionProposal
from compliance.models import SubmissionStatus as S
from tests.factories import SubmissionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(district, cycle, supervisor):
    sub = SubmissionFactory(district=district, cycle=cycle, status=S.DECIDED)
    Decision.objects.create(submission=sub, outcome="corrective_action", note="Zones.", decided_by=supervisor)
    today = timezone.localdate()
    late = CorrectiveAction.objects.create(submission=sub, description="Redraw the elementary zones",
                                           due_on=today - timedelta(days=3))
    soon = CorrectiveAction.objects.create(submission=sub, description="Publish the staffing formula",
                                           due_on=today + timedelta(days=20))
    return sub, late, soon


def _files(plan="plan.pdf", evidence="board-minutes.docx"):
    return {"plan": SimpleUploadedFile(plan, b"%PDF plan"), "evidence": SimpleUploadedFile(evidence, b"minutes")}


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_district_answers_an_action_and_the_reviewer_asks_again_then_accepts(client, decided, certifier,
                                                                                 reviewer):
    sub, late, soon = decided
    page = reverse("plan_page", args=[sub.pk])
    client.force_login(certifier)
    html = " ".join(client.get(page).content.decode().split())
    assert "0 of 2 required actions accepted." in html
    assert html.count("<strong class=\"overdue-tag\">Overdue</strong>") == 1  # the zones, 3 days late
    assert html.count("Send the plan and evidence for action") == 2
    response = client.post(reverse("plan_answer", args=[late.pk]), _files(evidence="virus.exe"), follow=True)
    assert _messages(response) == [f"Action {late.pk}: virus.exe: upload a PDF, Word, Excel, CSV, OpenDocument, "
                                   "text or image file."]
    response = client.post(reverse("plan_answer", args=[late.pk]), _files(), follow=True)
    assert _messages(response) == ["Your plan and evidence were sent to the state's reviewers."]
    assert response.redirect_chain[-1][0] == f"{page}#action-{late.pk}"
    late.refresh_from_db()
    assert (late.status, late.plan_name, late.evidence_name, late.answered_by) == (
        "submitted", "plan.pdf", "board-minutes.docx", certifier)
    assert late.plan.name.endswith(f"action-{late.pk}-plan.pdf")  # stored under the app's own name
    download = client.get(reverse("plan_file", args=[late.pk, "evidence"]))
    assert b"".join(download.streaming_content) == b"minutes"
    assert f"{sub.district.state_id}-{sub.cycle.school_year}-action-{late.pk}-evidence.docx" in \
        download["Content-Disposition"]
    # Answered: no second answer until the reviewer asks again.
    response = client.post(reverse("plan_answer", args=[late.pk]), _files(), follow=True)
    assert _messages(response) == [f"Action {late.pk}: This action is not waiting for the district's answer."]
    assert client.post(reverse("plan_judge", args=[late.pk]), {"verdict": "accept"}).status_code == 403

    client.force_login(reviewer)
    html = client.get(page).content.decode()
    assert "Your judgement of action 1" in html and "Send the plan and evidence" not in html
    response = client.post(reverse("plan_judge", args=[late.pk]), {"verdict": "ask_again", "note": ""}, follow=True)
    assert _messages(response) == [f"Action {late.pk}: Say what the district must add before asking again."]
    client.post(reverse("plan_judge", args=[late.pk]), {"verdict": "ask_again", "note": "Name the schools."})
    late.refresh_from_db()
    assert (late.status, late.reviewer_note, late.judged_by) == ("asked_again", "Name the schools.", reviewer)

    client.force_login(certifier)
    assert "Name the schools." in client.get(page).content.decode()
    client.post(reverse("plan_answer", args=[late.pk]), _files(plan="plan-v2.pdf"), follow=True)
    client.force_login(reviewer)
    response = client.post(reverse("plan_judge", args=[late.pk]), {"verdict": "accept"}, follow=True)
    assert _messages(response) == ["Accepted."]
    assert "1 of 2 required actions accepted." in " ".join(response.content.decode().split())
    assert list(AuditEvent.objects.filter(action__startswith="plan_").values_list("action", "actor__username")) == [
        ("plan_submitted", "certifier"), ("plan_asked_again", "reviewer"), ("plan_submitted", "certifier"),
        ("plan_accepted", "reviewer")]


def test_other_districts_see_nothing_and_a_proposal_plan_stays_with_the_state(client, decided, user_b, cycle,
                                                                             reviewer, certifier, district):
    sub, late, _ = decided
    client.force_login(user_b)
    assert client.get(reverse("plan_page", args=[sub.pk])).status_code == 404
    assert client.post(reverse("plan_answer", args=[late.pk]), _files()).status_code == 404
    assert client.get(reverse("plan_file", args=[late.pk, "plan"])).status_code == 404
    # Proposed, not signed off: the state reads the plan, the district does not.
    proposed = SubmissionFactory(district=district, cycle=cycle, status=S.AWAITING_SIGN_OFF, reviewer=reviewer)
    DecisionProposal.objects.create(submission=proposed, outcome="corrective_action", note="n", proposed_by=reviewer)
    CorrectiveAction.objects.create(submission=proposed, description="Secret until signed", due_on=timezone.localdate())
    client.force_login(certifier)
    assert client.get(reverse("plan_page", args=[proposed.pk])).status_code == 404
    assert "Secret until signed" not in client.get(reverse("submission_detail", args=[proposed.pk])).content.decode()
    client.force_login(reviewer)
    assert "Secret until signed" in client.get(reverse("plan_page", args=[proposed.pk])).content.decode()


def test_the_submission_page_links_the_plan_and_the_queue_counts_plans(client, decided, certifier, reviewer):
    sub, late, soon = decided
    client.force_login(certifier)
    html = client.get(reverse("submission_detail", args=[sub.pk])).content.decode()
    assert f'href="{reverse("plan_page", args=[sub.pk])}">Open the corrective action plan</a>' in html
    client.post(reverse("plan_answer", args=[soon.pk]), _files(), follow=True)
    client.force_login(reviewer)
    html = client.get(reverse("review_queue")).content.decode()
    assert "1 action answered, waiting for a reviewer</a>" in html
    assert "1 action past due, not answered</a>" in html
    assert "0 actions due, not answered yet</a>" in html
    listed = client.get(reverse("plans_list"), {"show": "overdue"})
    assert [a.pk for a in listed.context["page"].object_list] == [late.pk]
    listed = client.get(reverse("plans_list"))  # answered by default
    assert [a.pk for a in listed.context["page"].object_list] == [soon.pk]
    client.force_login(certifier)
    assert client.get(reverse("plans_list")).status_code == 403
