"""The team's review queue: filters with counts, sorts, pages, saved views, my reviews and sign-offs (issue 12)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance import permissions
from compliance.models import Certification, DecisionProposal, SavedQueueView
from compliance.models import SubmissionStatus as S
from compliance.selectors_review import awaiting_sign_off_by, my_reviews, queue_submissions
from compliance.services.review_queue import queue_view_save
from districts.models import Role
from tests.factories import (
    DistrictFactory,
    EvaluationFactory,
    FindingFactory,
    ReportingCycleFactory,
    SubmissionFactory,
    user_factory,
)

pytestmark = pytest.mark.django_db


def _certified(sub, days_ago: int, certifier) -> None:
    Certification.objects.create(submission=sub, certified_by=certifier, full_name="Pat Lee", title="Superintendent",
                                 attestation="I certify.", certified_at=timezone.now() - timedelta(days=days_ago))


@pytest.fixture
def world(cycle, reviewer, reviewer2, certifier):
    """Five submissions worked out by hand (cycle: review due 30 days after certification; cycle 2: 10 days).

    walnut  certified 40 days ago, waiting      -> due 10 days ago (overdue), South, a finding
    ash     in review with ``reviewer``, 20 ago -> due in 10 days, North, warnings only (newest evaluation)
    maple   awaiting sign-off (reviewer2), 35   -> due 5 days ago (overdue), North, nothing found
    cedar   cycle 2, certified 1 day ago        -> due in 9 days, South, never evaluated
    elm     decided, certified 60 days ago      -> not overdue (decided), South
    oak     evaluated, not certified            -> never in the queue
    """
    cycle2 = ReportingCycleFactory(school_year="2025-26", rule_set=cycle.rule_set, review_days=10)
    d = {name: DistrictFactory(name=name.capitalize(), region=region) for name, region in
         (("walnut", "South"), ("ash", "North"), ("maple", "North"), ("cedar", "South"), ("elm", "South"),
          ("oak", "South"))}
    subs = {
        "walnut": SubmissionFactory(district=d["walnut"], cycle=cycle, status=S.CERTIFIED),
        "ash": SubmissionFactory(district=d["ash"], cycle=cycle, status=S.IN_REVIEW, reviewer=reviewer),
        "maple": SubmissionFactory(district=d["maple"], cycle=cycle, status=S.AWAITING_SIGN_OFF, reviewer=reviewer2),
        "cedar": SubmissionFactory(district=d["cedar"], cycle=cycle2, status=S.CERTIFIED),
        "elm": SubmissionFactory(district=d["elm"], cycle=cycle, status=S.DECIDED),
        "oak": SubmissionFactory(district=d["oak"], cycle=cycle, status=S.EVALUATED),
    }
    for name, days in (("walnut", 40), ("ash", 20), ("maple", 35), ("cedar", 1), ("elm", 60)):
        _certified(subs[name], days, certifier)
    FindingFactory(evaluation=EvaluationFactory(submission=subs["walnut"]), severity="finding")
    old = EvaluationFactory(submission=subs["ash"], started_at=timezone.now() - timedelta(days=2))
    FindingFactory(evaluation=old, severity="finding")  # an older evaluation: its finding no longer counts
    FindingFactory(evaluation=EvaluationFactory(submission=subs["ash"]), severity="warning")
    FindingFactory(evaluation=EvaluationFactory(submission=subs["maple"]), severity="info")
    DecisionProposal.objects.create(submission=subs["maple"], outcome="corrective_action", note="Zones.",
                                    proposed_by=reviewer2)
    return subs


def _names(response) -> list[str]:
    return [s.district.name.lower() for s in response.context["page"].object_list]


def test_state_staff_land_on_the_queue_and_district_users_do_not(client, reviewer, submitter):
    client.force_login(reviewer)
    assert client.get(reverse("home"))["Location"] == reverse("review_queue")
    client.force_login(submitter)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("review_queue")).status_code == 403


def test_default_is_the_open_reviews_by_due_date(client, reviewer, world):
    client.force_login(reviewer)
    response = client.get(reverse("review_queue"))
    assert _names(response) == ["walnut", "maple", "cedar", "ash"]
    html = response.content.decode()
    assert "Team queue: 4 submissions, sorted by review due date, soonest first" in html
    assert html.count('<strong class="overdue-tag">Overdue</strong>') == 2  # walnut and maple stand out
    assert "10 days overdue" in html and "due in 9 days" in html
    rows = {s.district.name.lower(): s for s in response.context["page"].object_list}
    assert rows["walnut"].review_due.date() == (rows["walnut"].certified_at + timedelta(days=30)).date()
    assert [rows[n].top_severity for n in ("walnut", "ash", "maple", "cedar")] == [3, 2, 1, 0]


@pytest.mark.parametrize(("sort", "expected"), [
    ("due", ["walnut", "maple", "cedar", "ash"]),
    ("severity", ["walnut", "ash", "maple", "cedar"]),
    ("age", ["walnut", "maple", "ash", "cedar"]),
    ("district", ["ash", "cedar", "maple", "walnut"]),
])
def test_sorts(client, reviewer, world, sort, expected):
    client.force_login(reviewer)
    assert _names(client.get(reverse("review_queue"), {"sort": sort})) == expected


@pytest.mark.parametrize(("query", "expected"), [
    ({"overdue": "yes"}, ["walnut", "maple"]),
    ({"assigned": "me"}, ["ash"]),
    ({"assigned": "none"}, ["walnut", "cedar"]),
    ({"severity": "finding"}, ["walnut"]),
    ({"severity": "warning"}, ["ash"]),
    ({"severity": "none"}, ["maple", "cedar"]),
    ({"region": "South"}, ["walnut", "cedar"]),
    ({"status": "decided"}, ["elm"]),
    ({"status": "all", "sort": "district"}, ["ash", "cedar", "elm", "maple", "walnut"]),
    ({"region": "South", "status": "all", "sort": "district"}, ["cedar", "elm", "walnut"]),
    ({"overdue": "yes", "severity": "none"}, ["maple"]),
])
def test_filters(client, reviewer, world, query, expected, cycle):
    client.force_login(reviewer)
    assert _names(client.get(reverse("review_queue"), query)) == expected


def test_cycle_and_district_filters(client, reviewer, world):
    client.force_login(reviewer)
    cedar = world["cedar"]
    assert _names(client.get(reverse("review_queue"), {"cycle": cedar.cycle_id})) == ["cedar"]
    assert _names(client.get(reverse("review_queue"), {"district": world["ash"].district_id})) == ["ash"]


def test_each_filter_value_shows_its_count_under_the_other_filters(client, reviewer, world):
    client.force_login(reviewer)
    html = client.get(reverse("review_queue")).content.decode()
    for option in ('value="" selected>Open reviews (4)', 'value="certified">Certified and submitted (2)',
                   'value="in_review">In state review (1)', 'value="decided">Decided (1)',
                   'value="returned">Returned for revision (0)', 'value="all">Any status (5)',
                   'value="yes">Overdue only (2)', 'value="me">Assigned to me (1)', 'value="none">Unassigned (2)',
                   'value="finding">Findings (1)', 'value="warning">Warnings, no findings (1)',
                   'value="none">No findings or warnings (2)', 'value="South">South (2)', 'value="North">North (2)',
                   'selected>All regions (4)'):
        assert option in html, option
    html = client.get(reverse("review_queue"), {"overdue": "yes"}).content.decode()
    # Under "overdue only": walnut (certified, a finding) and maple (awaiting sign-off, nothing found).
    for option in ('value="certified">Certified and submitted (1)', 'value="awaiting_sign_off">Noncompliance '
                   'awaiting a supervisor&#x27;s sign-off (1)', 'value="decided">Decided (0)',
                   'value="finding">Findings (1)', 'value="none">No findings or warnings (1)',
                   'value="yes" selected>Overdue only (2)', 'value="South">South (1)'):
        assert option in html, option


def test_pages_of_fifty(client, reviewer, cycle, certifier):
    for i in range(53):
        _certified(SubmissionFactory(cycle=cycle, status=S.CERTIFIED), 53 - i, certifier)
    client.force_login(reviewer)
    first = client.get(reverse("review_queue"))
    assert len(first.context["page"].object_list) == 50
    html = first.content.decode()
    assert "Team queue: 53 submissions, 1 to 50, sorted by review due date" in html
    assert 'page=2#queue">Next page</a>' in html
    second = client.get(reverse("review_queue"), {"page": 2})
    assert len(second.context["page"].object_list) == 3
    assert "51 to 53" in second.content.decode()


def test_my_reviews_keeps_what_awaits_sign_off(world, reviewer2, reviewer):
    assert [s.district.name for s in my_reviews(user=reviewer2)] == ["Maple"]
    assert [s.district.name for s in my_reviews(user=reviewer)] == ["Ash"]


def test_the_sign_off_list_is_exactly_what_can_sign_off_allows(world, reviewer2, supervisor, cycle):
    second = user_factory(Role.STATE_SUPERVISOR, username="second")
    # One a supervisor proposed himself, one a supervisor holds: neither is theirs to sign off.
    own = SubmissionFactory(cycle=cycle, status=S.AWAITING_SIGN_OFF, reviewer=reviewer2)
    DecisionProposal.objects.create(submission=own, outcome="corrective_action", note="n", proposed_by=supervisor)
    held = SubmissionFactory(cycle=cycle, status=S.AWAITING_SIGN_OFF, reviewer=second)
    DecisionProposal.objects.create(submission=held, outcome="corrective_action", note="n", proposed_by=second)
    maple = world["maple"]
    for user, expected in ((supervisor, {maple.pk, held.pk}), (second, {maple.pk, own.pk}), (reviewer2, set())):
        listed = set(awaiting_sign_off_by(user=user).values_list("pk", flat=True))
        assert listed == expected, user.username
        for sub in (maple, own, held):
            assert (sub.pk in listed) == permissions.can_sign_off(user, sub)


def test_supervisor_page_lists_decisions_awaiting_their_sign_off(client, supervisor, reviewer, world):
    client.force_login(supervisor)
    html = client.get(reverse("review_queue")).content.decode()
    assert "Awaiting your sign-off (1)" in html
    client.force_login(reviewer)
    assert "Awaiting your sign-off" not in client.get(reverse("review_queue")).content.decode()


def test_admin_reads_the_queue_without_claim_or_assign(client, world):
    client.force_login(user_factory(Role.STATE_ADMIN))
    response = client.get(reverse("review_queue"))
    html = response.content.decode()
    assert _names(response) == ["walnut", "maple", "cedar", "ash"]
    assert reverse("submission_claim", args=[world["walnut"].pk]) not in html
    assert 'id="bulk-assign"' not in html


def test_claim_buttons_for_reviewers_and_checkboxes_for_supervisors(client, reviewer, supervisor, world):
    client.force_login(reviewer)
    html = client.get(reverse("review_queue")).content.decode()
    claims = [s for s in world.values() if reverse("submission_claim", args=[s.pk]) in html]
    assert claims == [world["walnut"], world["cedar"]]
    assert 'form="bulk-assign"' not in html
    client.force_login(supervisor)
    html = client.get(reverse("review_queue")).content.decode()
    assert html.count('form="bulk-assign"') == 4


def test_saved_views_keep_only_the_queue_filters_per_user(client, reviewer, reviewer2, world):
    client.force_login(reviewer)
    response = client.post(reverse("queue_view_save"), {
        "name": "  My   overdue ", "query": "overdue=yes&page=3&csrfmiddlewaretoken=x&sort=severity&bogus=1"})
    view = SavedQueueView.objects.get()
    assert (view.user, view.name, view.query) == (reviewer, "My overdue", "overdue=yes&sort=severity")
    assert response["Location"] == reverse("review_queue") + "?overdue=yes&sort=severity"
    html = client.get(reverse("review_queue"), {"overdue": "yes", "sort": "severity"}).content.decode()
    assert 'href="?overdue=yes&amp;sort=severity#queue" aria-current="page">My overdue</a>' in html
    # Saving the same name again replaces its filters.
    queue_view_save(user=reviewer, name="My overdue", query="assigned=me")
    assert list(SavedQueueView.objects.values_list("name", "query")) == [("My overdue", "assigned=me")]
    # Another reviewer neither sees nor deletes it.
    client.force_login(reviewer2)
    assert "My overdue" not in client.get(reverse("review_queue")).content.decode()
    assert client.post(reverse("queue_view_delete", args=[view.pk])).status_code == 404
    client.force_login(reviewer)
    client.post(reverse("queue_view_delete", args=[view.pk]))
    assert not SavedQueueView.objects.exists()


def test_bad_filter_values_are_ignored_with_a_note(client, reviewer, world):
    client.force_login(reviewer)
    response = client.get(reverse("review_queue"), {"district": "abc", "overdue": "maybe", "sort": "x", "page": "z"})
    assert response.status_code == 200
    assert _names(response) == ["walnut", "maple", "cedar", "ash"]
    assert "This filter was ignored." in response.content.decode()


def test_queue_for_someone_without_the_queue_is_empty(world, submitter):
    assert not queue_submissions(user=submitter).exists()


def test_the_queue_sets_of_the_state_machine():
    from compliance import states

    assert states.HELD == {S.IN_REVIEW, S.AWAITING_SIGN_OFF}
    assert states.UNDER_REVIEW == {S.CERTIFIED, S.IN_REVIEW, S.AWAITING_SIGN_OFF}
    assert states.ASSIGNABLE == {S.CERTIFIED, S.IN_REVIEW}
    # Assigning is a state move from the queue, or none at all (a reassignment keeps the status).
    assert all(states.MOVES[(s, S.IN_REVIEW)] == states.Mover.STATE for s in states.CLAIMABLE)
