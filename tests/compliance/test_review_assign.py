"""Supervisors assign and reassign reviews, singly and in bulk; every move is atomic and audited (issue 12)."""
from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse

from compliance import services
from compliance.models import AuditEvent, Submission
from compliance.models import SubmissionStatus as S
from compliance.selectors_review import audit_events_visible_to
from compliance.services.review_assign import submission_assign, submissions_assign
from districts.models import Role
from tests.factories import SubmissionFactory, user_factory


@pytest.fixture
def ann(db):
    return user_factory(Role.STATE_REVIEWER, username="ann", first_name="Ann", last_name="Lee")


@pytest.fixture
def bob(db):
    return user_factory(Role.STATE_REVIEWER, username="bob", first_name="Bob", last_name="Diaz")


def _events(sub) -> list[tuple[str, str, str, str, str]]:
    return list(AuditEvent.objects.filter(submission=sub).values_list("action", "actor__username", "from_status",
                                                                      "to_status", "note"))


@pytest.mark.django_db
def test_assign_then_reassign_each_audited(cycle, supervisor, ann, bob):
    sub = SubmissionFactory(cycle=cycle, status=S.CERTIFIED)
    submission_assign(submission=sub, user=supervisor, assignee=ann)
    sub.refresh_from_db()
    assert (sub.status, sub.reviewer) == (S.IN_REVIEW, ann)
    submission_assign(submission=sub, user=supervisor, assignee=bob, note="Ann is on leave.")
    sub.refresh_from_db()
    assert (sub.status, sub.reviewer) == (S.IN_REVIEW, bob)
    assert _events(sub) == [
        ("assigned", "supervisor", "certified", "in_review", "Assigned to Ann Lee."),
        ("reassigned", "supervisor", "in_review", "in_review", "From Ann Lee to Bob Diaz. Ann is on leave."),
    ]
    # The district's history shows it entered review, not the state's staffing moves and their reasons.
    district_view = list(audit_events_visible_to("district", submission=sub).values_list("action", "shown_note"))
    assert district_view == [("assigned", "")]
    # Nor the note a supervisor writes with an assignment (a hand-off between state staff); the state reads it.
    other = SubmissionFactory(cycle=cycle, status=S.CERTIFIED)
    submission_assign(submission=other, user=supervisor, assignee=ann, note="Counsel asked for Ann.")
    assert list(audit_events_visible_to("district", submission=other).values_list("shown_note", flat=True)) == [""]
    assert list(audit_events_visible_to(supervisor, submission=other).values_list("shown_note", flat=True)) == [
        "Assigned to Ann Lee. Counsel asked for Ann."]
    # The new holder works on it; the old one no longer may.
    assert services.submission_release(submission=sub, user=bob).status == S.CERTIFIED
    assert _events(sub)[-1][:4] == ("released", "bob", "in_review", "certified")


@pytest.mark.django_db
def test_who_may_assign_to_whom_and_when(cycle, supervisor, reviewer, ann, submitter):
    sub = SubmissionFactory(cycle=cycle, status=S.CERTIFIED)
    with pytest.raises(PermissionDenied, match="Only a state supervisor may assign"):
        submission_assign(submission=sub, user=reviewer, assignee=ann)
    for nobody in (submitter, user_factory(Role.STATE_ADMIN), user_factory(Role.STATE_REVIEWER, is_active=False)):
        with pytest.raises(ValidationError, match="Choose an active state reviewer"):
            submission_assign(submission=sub, user=supervisor, assignee=nobody)
    for status, message in ((S.AWAITING_SIGN_OFF, "awaits sign-off"),
                            (S.DECIDED, r"not waiting for review \(decided\)"),
                            (S.EVALUATED, "not waiting for review")):
        other = SubmissionFactory(cycle=cycle, status=status)
        with pytest.raises(ValidationError, match=message):
            submission_assign(submission=other, user=supervisor, assignee=ann)
    held = SubmissionFactory(cycle=cycle, status=S.IN_REVIEW, reviewer=ann)
    with pytest.raises(ValidationError, match="Ann Lee already holds this submission"):
        submission_assign(submission=held, user=supervisor, assignee=ann)
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_stale_page_never_reassigns_what_changed_under_it(cycle, supervisor, ann, bob):
    sub = SubmissionFactory(cycle=cycle, status=S.CERTIFIED)
    stale = Submission.objects.get(pk=sub.pk)  # what the second supervisor's page read
    submission_assign(submission=sub, user=supervisor, assignee=ann)
    with pytest.raises(ValidationError, match="Someone else changed this submission first: it is now in state "
                                              "review with Ann Lee"):
        submission_assign(submission=stale, user=supervisor, assignee=bob)
    sub.refresh_from_db()
    assert sub.reviewer == ann and AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_bulk_assign_moves_each_it_may_and_says_why_not_for_the_rest(cycle, supervisor, ann):
    waiting = [SubmissionFactory(cycle=cycle, status=S.CERTIFIED) for _ in range(3)]
    decided = SubmissionFactory(cycle=cycle, status=S.DECIDED)
    result = submissions_assign(submissions=[*waiting, decided], user=supervisor, assignee=ann)
    assert result.assigned == waiting
    assert [(s, reason) for s, reason in result.refused] == [
        (decided, "This submission is not waiting for review (decided).")]
    assert set(Submission.objects.filter(reviewer=ann).values_list("pk", flat=True)) == {s.pk for s in waiting}
    assert AuditEvent.objects.filter(action="assigned").count() == 3


@pytest.mark.django_db
def test_bulk_assign_from_the_queue_page(client, cycle, supervisor, reviewer, ann):
    a, b = (SubmissionFactory(cycle=cycle, status=S.CERTIFIED) for _ in range(2))
    decided = SubmissionFactory(cycle=cycle, status=S.DECIDED)
    client.force_login(reviewer)
    assert client.post(reverse("queue_assign"), {"assignee": ann.pk, "submissions": [f"{a.pk}:"]}).status_code == 403
    client.force_login(supervisor)
    response = client.post(reverse("queue_assign"), {
        "assignee": ann.pk, "submissions": [f"{a.pk}:", f"{b.pk}:", f"{decided.pk}:"],
        "query": "sort=district&page=2"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("review_queue") + "?sort=district"
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["Assigned 2 submissions to Ann Lee.",
                     f"{decided.district.name} version 1: This submission is not waiting for review (decided)."]
    assert list(Submission.objects.filter(reviewer=ann).order_by("pk")) == [a, b]
    response = client.post(reverse("queue_assign"), {"assignee": ann.pk}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Tick the submissions to assign first."]
    # A row the page showed unassigned that a reviewer claimed since is not taken from them.
    c = SubmissionFactory(cycle=cycle, status=S.CERTIFIED)
    services.submission_claim(submission=c, user=reviewer)
    response = client.post(reverse("queue_assign"), {"assignee": ann.pk, "submissions": [f"{c.pk}:"]}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        f"{c.district.name} version 1: Someone else changed this submission first: it is now in state review with "
        "reviewer. Check it and try again."]
    c.refresh_from_db()
    assert c.reviewer == reviewer


@pytest.mark.django_db
def test_assign_on_the_submission_page(client, cycle, supervisor, reviewer, ann):
    sub = SubmissionFactory(cycle=cycle, status=S.CERTIFIED)
    url = reverse("submission_detail", args=[sub.pk])
    client.force_login(reviewer)
    assert reverse("submission_assign", args=[sub.pk]) not in client.get(url).content.decode()
    client.force_login(supervisor)
    html = client.get(url).content.decode()
    assert 'for="id_assign_reviewer">Assign to</label>' in html and f'<option value="{ann.pk}">Ann Lee</option>' in html
    response = client.post(reverse("submission_assign", args=[sub.pk]), {"assignee": ann.pk, "holder": ""},
                           follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Assigned to Ann Lee."]
    html = response.content.decode()
    assert 'Reassign to</label>' in html and f'<option value="{ann.pk}">' not in html  # not to the holder again


def _race(callables) -> list[str]:
    """Run the callables at the same instant on their own connections; what each got."""
    barrier = threading.Barrier(len(callables))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(fn) -> None:
        try:
            barrier.wait()
            try:
                fn()
                result = "won"
            except ValidationError as exc:
                result = "lost: " + " ".join(exc.messages)
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in callables]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_concurrent_assignments_and_claims_have_exactly_one_winner(cycle, supervisor, ann, bob, reviewer):
    """Two supervisors assign one submission to two reviewers at once, and two reviewers claim one: one wins.

    On PostgreSQL (CI, or DATABASE_URL) the threads' UPDATEs really run at once on two connections."""
    second = user_factory(Role.STATE_SUPERVISOR, username="second")
    for _ in range(3):
        sub = SubmissionFactory(cycle=cycle, status=S.CERTIFIED)
        # Each supervisor's page showed it unassigned (expected holder: nobody).
        outcomes = _race([lambda s=sub: submission_assign(submission=Submission.objects.get(pk=s.pk),
                                                          user=supervisor, assignee=ann, expected_reviewer_id=None),
                          lambda s=sub: submission_assign(submission=Submission.objects.get(pk=s.pk),
                                                          user=second, assignee=bob, expected_reviewer_id=None)])
        assert sorted(o.split(":")[0] for o in outcomes) == ["lost", "won"], outcomes
        sub.refresh_from_db()
        assert sub.reviewer in (ann, bob) and sub.status == S.IN_REVIEW
        events = AuditEvent.objects.filter(submission=sub)
        assert list(events.values_list("action", flat=True)) == ["assigned"]
        assert events.get().note == f"Assigned to {sub.reviewer.get_full_name()}."

        claimed = SubmissionFactory(cycle=cycle, status=S.CERTIFIED)
        outcomes = _race([lambda s=claimed: services.submission_claim(submission=Submission.objects.get(pk=s.pk),
                                                                      user=reviewer),
                          lambda s=claimed: submission_assign(submission=Submission.objects.get(pk=s.pk),
                                                              user=second, assignee=bob, expected_reviewer_id=None)])
        assert sorted(o.split(":")[0] for o in outcomes) == ["lost", "won"], outcomes
        assert AuditEvent.objects.filter(submission=claimed, to_status=S.IN_REVIEW).count() == 1
