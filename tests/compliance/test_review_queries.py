"""The queue and the review page run the same number of queries with 10 and with 1,000 submissions (issue 12)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from compliance import services
from compliance.models import (
    Certification,
    Comment,
    CorrectiveAction,
    Decision,
    Evaluation,
    Finding,
    RequiredAction,
    SavedQueueView,
    Submission,
)
from compliance.models import SubmissionStatus as S
from districts.models import District
from tests.factories import EvaluationFactory, FindingFactory, ReportingCycleFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

# Statuses the generated submissions cycle through: every list of the queue page gets rows.
SPREAD = (S.CERTIFIED, S.IN_REVIEW, S.AWAITING_SIGN_OFF, S.DECIDED, S.RETURNED, S.EVALUATED)


def _fill(n: int, cycle, people: dict) -> None:
    """``n`` more submissions over five cycles, certified, evaluated with a finding, some held, decided
    (with a plan) or returned (with required actions); in bulk, so 1,000 take seconds."""
    cycles = [cycle, *(ReportingCycleFactory(school_year=f"20{10 + k}-{11 + k}", rule_set=cycle.rule_set)
                       for k in range(4))]
    districts = District.objects.bulk_create(
        District(state_id=f"Q{n}-{i:05d}", name=f"Queue district {n}-{i}", state="MS", region=("Delta", "Hills")[i % 2])
        for i in range(n // len(cycles) + 1))
    now = timezone.now()
    subs = Submission.objects.bulk_create(
        Submission(district=districts[i // len(cycles)], cycle=cycles[i % len(cycles)], version=1,
                   file="x.xlsx", original_filename="x.xlsx", sha256="0" * 64, size=1,
                   uploaded_by=people["submitter"], status=SPREAD[i % len(SPREAD)],
                   reviewer=people["reviewer"] if SPREAD[i % len(SPREAD)] in (S.IN_REVIEW, S.AWAITING_SIGN_OFF)
                   else None)
        for i in range(n))
    Certification.objects.bulk_create(
        Certification(submission=s, certified_by=people["certifier"], full_name="P", title="T", attestation="A",
                      certified_at=now - timedelta(days=(i * 13) % 70)) for i, s in enumerate(subs))
    evaluations = Evaluation.objects.bulk_create(
        Evaluation(submission=s, rule_set=cycle.rule_set, rule_set_label="x", outcome="accepted") for s in subs)
    Finding.objects.bulk_create(Finding(evaluation=e, rule="INT-01", severity=("finding", "warning")[i % 2],
                                        scope="school", school_id="0001", message="m")
                                for i, e in enumerate(evaluations))
    decided = [s for s in subs if s.status == S.DECIDED]
    Decision.objects.bulk_create(Decision(submission=s, outcome="corrective_action", note="n",
                                          decided_by=people["reviewer"]) for s in decided)
    CorrectiveAction.objects.bulk_create(CorrectiveAction(submission=s, description="Do it", due_on=now.date())
                                         for s in decided)
    RequiredAction.objects.bulk_create(RequiredAction(submission=s, description="Fix", position=1,
                                                      created_by=people["reviewer"])
                                       for s in subs if s.status == S.RETURNED)


@pytest.fixture
def people(submitter, certifier, reviewer, supervisor):
    return {"submitter": submitter, "certifier": certifier, "reviewer": reviewer, "supervisor": supervisor}


@pytest.fixture
def reviewed(district, cycle, people):
    """The submission the review page shows: held by the reviewer, findings of three rules, comments."""
    sub = SubmissionFactory(district=district, cycle=cycle, status=S.IN_REVIEW, reviewer=people["reviewer"])
    Certification.objects.create(submission=sub, certified_by=people["certifier"], full_name="P", title="T",
                                 attestation="A")
    evaluation = EvaluationFactory(submission=sub)
    for i, rule in enumerate(("INT-01", "INT-01", "INT-02", "RES-01")):
        FindingFactory(evaluation=evaluation, rule=rule, school_id=f"03{i:02d}")
    Comment.objects.create(submission=sub, author=people["reviewer"], body="Internal", visibility="internal")
    Comment.objects.create(submission=sub, author=people["reviewer"], body="To you", visibility="district")
    return sub


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_queue_and_review_pages_run_constant_queries(client, cycle, people, reviewed):
    SavedQueueView.objects.create(user=people["supervisor"], name="Mine", query="assigned=me")
    pages = {
        "queue as supervisor": (people["supervisor"], reverse("review_queue")),
        "queue filtered": (people["supervisor"], reverse("review_queue") + "?status=all&sort=severity&overdue=yes"),
        "queue page 2": (people["reviewer"], reverse("review_queue") + "?status=all&page=2"),
        "review page": (people["reviewer"], reverse("submission_detail", args=[reviewed.pk])),
        "review page (supervisor)": (people["supervisor"], reverse("submission_detail", args=[reviewed.pk])),
        "plans list": (people["reviewer"], reverse("plans_list") + "?show=due"),
    }
    counts = {}
    for size in (10, 1000):
        _fill(size - Submission.objects.count(), cycle, people)
        assert Submission.objects.count() == size
        for name, (user, url) in pages.items():
            client.force_login(user)
            counts[(name, size)] = _queries(client, url)
    for name in pages:
        assert counts[(name, 10)] == counts[(name, 1000)], (name, counts)
    # The 1,000 really reached the lists: a full first page of the queue, several pages in all.
    client.force_login(people["supervisor"])
    response = client.get(reverse("review_queue") + "?status=all")
    assert len(response.context["page"].object_list) == 50 and response.context["page"].paginator.count > 600


def test_bulk_confirm_of_a_rule_is_one_update_whatever_the_findings(client, district, cycle, people):
    sub = SubmissionFactory(district=district, cycle=cycle, status=S.IN_REVIEW, reviewer=people["reviewer"])
    evaluation = EvaluationFactory(submission=sub)
    Finding.objects.bulk_create(Finding(evaluation=evaluation, rule="INT-01", severity="finding", scope="school",
                                        school_id=f"{i:04d}", message="m") for i in range(520))
    with CaptureQueriesContext(connection) as captured:
        confirmed = services.review.findings_confirm_rule(submission=sub, user=people["reviewer"], rule="INT-01")
    assert confirmed == 520
    assert len(captured) <= 8
    assert not evaluation.findings.filter(review_status="open").exists()
