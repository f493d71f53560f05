"""The statewide view: counts by status match the rows, overdue lists, measures, permissions, constant queries."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance import selectors_statewide as statewide
from compliance.models import AuditEvent, Decision, DecisionOutcome
from compliance.models import SubmissionStatus as S
from compliance.models_review import ActionStatus, CorrectiveAction
from districts.models import Role
from tests.factories import (
    DistrictFactory,
    EvaluationFactory,
    FindingFactory,
    ReportingCycleFactory,
    SubmissionFactory,
    sample_measures,
    user_factory,
)

pytestmark = pytest.mark.django_db


def _certified(sub, days_ago: float) -> None:
    AuditEvent.objects.create(submission=sub, action="certified", from_status=S.EVALUATED, to_status=S.CERTIFIED,
                              created_at=timezone.now() - timedelta(days=days_ago))


@pytest.fixture
def state():
    """One district per stage (two not started), in two regions; an older version under a newer one."""
    cycle = ReportingCycleFactory()
    made = {}
    for i, (stage, status) in enumerate([
        ("uploaded", S.QUEUED), ("rejected", S.REJECTED), ("evaluated", S.EVALUATED),
        ("certified", S.CERTIFIED), ("in_review", S.IN_REVIEW), ("returned", S.RETURNED), ("decided", S.DECIDED),
    ]):
        district = DistrictFactory(name=f"{stage} district", region="North" if i % 2 else "South")
        made[stage] = SubmissionFactory(district=district, cycle=cycle, status=status)
    # The rejected district's newest version counts, not its first.
    first = made["rejected"]
    first.status = S.SUPERSEDED
    first.save()
    made["rejected"] = SubmissionFactory(district=first.district, cycle=cycle, status=S.REJECTED)
    made["failed"] = SubmissionFactory(district=DistrictFactory(name="failed district", region="North"),
                                       cycle=cycle, status=S.FAILED)
    DistrictFactory(name="quiet district", region="North")
    DistrictFactory(name="silent district", region="South")
    Decision.objects.create(submission=made["decided"], outcome=DecisionOutcome.COMPLIANT, note="ok",
                            decided_by=user_factory(Role.STATE_REVIEWER))
    return cycle, made


def test_counts_by_stage_match_the_rows(state):
    cycle, made = state
    standings = statewide.cycle_standings(cycle=cycle)
    counts = {key: n for key, _, n in statewide.stage_counts(standings)}
    assert counts == {"not_started": 2, "uploaded": 2, "rejected": 1, "evaluated": 1, "certified": 1,
                      "in_review": 1, "returned": 1, "decided": 1}
    by_name = {s.district.name: s for s in standings}
    assert by_name["rejected district"].submission.pk == made["rejected"].pk
    assert by_name["quiet district"].submission is None
    assert by_name["decided district"].decision.outcome == DecisionOutcome.COMPLIANT


def test_region_filter(state):
    cycle, _ = state
    north = statewide.cycle_standings(cycle=cycle, region="North")
    assert {s.district.name for s in north} == {
        "rejected district", "certified district", "returned district", "failed district", "quiet district"}
    assert statewide.regions() == ["North", "South"]


def test_key_measures_flagged_share_and_comparability():
    cycle = ReportingCycleFactory()
    sub = SubmissionFactory(cycle=cycle)
    measures = sample_measures()
    measures["district"]["resources"] = {"progressivity": 0.87}
    ev = EvaluationFactory(submission=sub, measures=measures)  # 7 schools
    for school, rule in (("0001", "INT-01"), ("0001", "INT-03"), ("0002", "INT-02"), ("0003", "RES-01")):
        FindingFactory(evaluation=ev, rule=rule, school_id=school)
    FindingFactory(evaluation=ev, rule="RES-02", school_id="0004")
    FindingFactory(evaluation=ev, rule="INT-04", scope="district", school_id="")
    (s,) = statewide.cycle_standings(cycle=cycle)
    assert s.measures == {"multigroup_d": 0.412, "ed_d": 0.31, "progressivity": 0.87, "schools": 7}
    assert s.flagged_schools == 2  # 0001 (twice) and 0002; RES findings do not flag
    assert s.flagged_share == pytest.approx(2 / 7)
    assert s.comparability_failures == 2
    assert s.findings_by_rule == {"INT-01": 1, "INT-02": 1, "INT-03": 1, "INT-04": 1, "RES-01": 1, "RES-02": 1}
    # A finding the state dismissed on review counts nowhere: 0002's INT-02 goes, and 0002 with it.
    from compliance.models import Finding, ReviewStatus
    Finding.objects.filter(evaluation=ev, rule="INT-02").update(review_status=ReviewStatus.DISMISSED)
    (s,) = statewide.cycle_standings(cycle=cycle)
    assert s.flagged_schools == 1 and s.findings_by_rule["INT-02"] == 0


def test_counts_by_rule_are_of_findings_not_warnings_or_notes():
    # INT-04: 2 findings and 3 warnings; INT-05: 2 commendation notes; RES-01: 1 warning. The report reads
    # "INT-04: 2 findings, 3 warnings" and "met, with a commendation": the counts are 2, 0 and 0.
    cycle = ReportingCycleFactory()
    ev = EvaluationFactory(submission=SubmissionFactory(cycle=cycle))
    for rule, severity, n in (("INT-04", "finding", 2), ("INT-04", "warning", 3), ("INT-05", "info", 2),
                              ("RES-01", "warning", 1)):
        for _ in range(n):
            FindingFactory(evaluation=ev, rule=rule, severity=severity, scope="district", school_id="")
    (s,) = statewide.cycle_standings(cycle=cycle)
    assert s.findings_by_rule == {"INT-04": 2}
    assert s.findings_by_rule["INT-05"] == 0 and s.comparability_failures == 0


def test_only_the_newest_accepted_evaluation_counts():
    cycle = ReportingCycleFactory()
    sub = SubmissionFactory(cycle=cycle)
    old = EvaluationFactory(submission=sub, started_at=timezone.now() - timedelta(hours=2))
    FindingFactory(evaluation=old, rule="INT-02")
    new = EvaluationFactory(submission=sub)
    (s,) = statewide.cycle_standings(cycle=cycle)
    assert s.evaluation_id == new.pk and s.findings_by_rule == {}


def test_overdue_lists():
    cycle = ReportingCycleFactory(due_on=timezone.localdate() - timedelta(days=1), review_days=30)
    late = SubmissionFactory(cycle=cycle, status=S.EVALUATED)
    never = DistrictFactory()
    on_time = SubmissionFactory(cycle=cycle, status=S.CERTIFIED)
    _certified(on_time, days_ago=29)
    review_late = SubmissionFactory(cycle=cycle, status=S.IN_REVIEW)
    _certified(review_late, days_ago=31)
    decided_late = SubmissionFactory(cycle=cycle, status=S.DECIDED)
    _certified(decided_late, days_ago=90)
    overdue = statewide.overdue(statewide.cycle_standings(cycle=cycle), cycle)
    assert {s.district.pk for s in overdue["not_certified"]} == {late.district_id, never.pk}
    assert [s.district.pk for s in overdue["review"]] == [review_late.district_id]


def test_nothing_is_overdue_before_the_due_date():
    cycle = ReportingCycleFactory()  # due in 14 days
    SubmissionFactory(cycle=cycle, status=S.EVALUATED)
    assert statewide.overdue(statewide.cycle_standings(cycle=cycle), cycle) == {
        "not_certified": [], "review": [], "plans": []}


def _action(sub, days_from_today: int, status=ActionStatus.OPEN, description: str = "") -> CorrectiveAction:
    return CorrectiveAction.objects.create(
        submission=sub, status=status, description=description or f"due {days_from_today:+d}",
        due_on=timezone.localdate() + timedelta(days=days_from_today))


def test_corrective_actions_past_due():
    cycle = ReportingCycleFactory()  # due in 14 days: nothing else is overdue
    late = SubmissionFactory(cycle=cycle, status=S.DECIDED)
    _action(late, -1)  # yesterday, still open: past due
    _action(late, 0)  # due today: not yet past due
    _action(late, -10, ActionStatus.ACCEPTED)  # accepted: done, however late
    _action(late, -3, ActionStatus.SUBMITTED)  # answered but not accepted: still past due
    _action(late, -2, ActionStatus.ASKED_AGAIN)
    on_track = SubmissionFactory(cycle=cycle, status=S.DECIDED)
    _action(on_track, -5, ActionStatus.ACCEPTED)
    _action(on_track, 1)
    # A proposed noncompliance's plan is not in force until a supervisor signs it off.
    proposed = SubmissionFactory(cycle=cycle, status=S.AWAITING_SIGN_OFF)
    _action(proposed, -1)
    standings = statewide.cycle_standings(cycle=cycle)
    plans = statewide.overdue(standings, cycle)["plans"]
    assert [s.district.pk for s in plans] == [late.district_id]
    assert [a.description for a in plans[0].past_due_actions] == ["due -3", "due -2", "due -1"]
    # A day later the action due today is past due too (fresh standings: overdue fills them).
    tomorrow = timezone.now() + timedelta(days=1)
    (plans,) = [statewide.overdue(statewide.cycle_standings(cycle=cycle), cycle, now=tomorrow)["plans"]]
    assert [a.description for a in plans[0].past_due_actions] == ["due -3", "due -2", "due -1", "due +0"]
    assert [s.district.pk for s in plans] == [late.district_id]


def test_awaiting_sign_off_counts_in_review_and_its_clock_runs():
    cycle = ReportingCycleFactory(review_days=30)
    sub = SubmissionFactory(cycle=cycle, status=S.AWAITING_SIGN_OFF)
    _certified(sub, days_ago=31)
    standings = statewide.cycle_standings(cycle=cycle)
    assert standings[0].stage == "in_review"
    assert [s.district.pk for s in statewide.overdue(standings, cycle)["review"]] == [sub.district_id]


def _districts(cycle, n: int) -> None:
    statuses = [S.EVALUATED, S.CERTIFIED, S.DECIDED, S.REJECTED, None]
    for i in range(n):
        district = DistrictFactory()
        status = statuses[i % len(statuses)]
        if status is None:
            continue
        sub = SubmissionFactory(district=district, cycle=cycle, status=status)
        _certified(sub, 3)
        if status != S.REJECTED:
            FindingFactory(evaluation=EvaluationFactory(submission=sub))
        if status == S.DECIDED:  # one action past due, one accepted: one district in the plans list each
            _action(sub, -2)
            _action(sub, -2, ActionStatus.ACCEPTED)


@pytest.mark.parametrize("n", [10, 100])
def test_standings_take_six_queries(django_assert_num_queries, n):
    cycle = ReportingCycleFactory()
    _districts(cycle, n)
    with django_assert_num_queries(6):
        standings = statewide.cycle_standings(cycle=cycle)
        assert len(standings) == n


def _page_queries(client, n: int, show: str, plans_past_due: int) -> int:
    cycle = ReportingCycleFactory()  # the same cycle both times: 10, then 110 districts
    _districts(cycle, n)
    client.force_login(user_factory(Role.STATE_REVIEWER))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/statewide/", {"cycle": cycle.pk, "show": show})
    assert response.status_code == 200
    plans = dict((label, n_) for label, n_, _ in response.context["overdue"])["Corrective action plans past due"]
    assert plans == plans_past_due
    return len(ctx.captured_queries)


@pytest.mark.parametrize("show", ["", "overdue_plans"])
def test_page_queries_do_not_grow_with_districts(client, show):
    # Every fifth district is decided with one action past due (i = 2, 7, ...): 2 of 10, then 2 + 20 of 110.
    small = _page_queries(client, 10, show, 2)
    big = _page_queries(client, 100, show, 22)
    assert big == small


def test_page_lists_past_due_plans_with_their_submission(client):
    cycle = ReportingCycleFactory()
    sub = SubmissionFactory(cycle=cycle, status=S.DECIDED, district=DistrictFactory(name="Late district"))
    _action(sub, -1, description="Redraw the attendance zones of the two elementary schools")
    _action(sub, 0, description="Publish the revised transfer policy")
    client.force_login(user_factory(Role.STATE_SUPERVISOR))
    html = client.get("/statewide/", {"cycle": cycle.pk}).content.decode()
    assert (f'href="?cycle={cycle.pk}&amp;show=overdue_plans#listed" '
            'aria-label="1 district: Corrective action plans past due"') in html
    listed = client.get("/statewide/", {"cycle": cycle.pk, "show": "overdue_plans"})
    assert [s.district.name for s in listed.context["page"]] == ["Late district"]
    page = listed.content.decode()
    yesterday = timezone.localdate() - timedelta(days=1)
    assert (f"<li>Redraw the attendance zones of the two elementary schools, due {yesterday.day} "
            f"{yesterday:%b %Y} (waiting for the district&#x27;s plan)</li>") in page
    assert "Publish the revised transfer policy" not in page  # due today: not past due
    assert f'<a href="/submissions/{sub.pk}/">The plan of version {sub.version} of Late district</a>' in page
    assert '<th scope="col">Past-due actions</th>' in page
    assert '<th scope="col">Past-due actions</th>' not in html


def test_page_counts_link_to_their_lists(client, state):
    cycle, made = state
    client.force_login(user_factory(Role.STATE_SUPERVISOR))
    html = client.get("/statewide/").content.decode()
    assert f'href="?cycle={cycle.pk}&amp;show=not_started#listed" aria-label="2 districts: Not started"' in html
    listed = client.get("/statewide/", {"cycle": cycle.pk, "show": "in_review"})
    page = listed.context["page"]
    assert [s.district.name for s in page] == ["in_review district"]
    assert f'/submissions/{made["in_review"].pk}/' in listed.content.decode()
    assert 'aria-label="0 districts: Corrective action plans past due"' in html
    assert html.count("<img ") == 0  # no accepted evaluation in this state: no charts, a sentence each
    north = client.get("/statewide/", {"cycle": cycle.pk, "region": "North"})
    assert north.context["total"] == 5


def test_page_draws_each_measure_with_a_table(client):
    cycle = ReportingCycleFactory()
    for d in (0.2, 0.45, 0.7):
        measures = sample_measures()
        measures["district"]["dissimilarity"]["multigroup"] = d
        EvaluationFactory(submission=SubmissionFactory(cycle=cycle), measures=measures)
    client.force_login(user_factory(Role.STATE_REVIEWER))
    response = client.get("/statewide/")
    dists = {d.key: d for d in response.context["distributions"]}
    assert dists["multigroup_d"].measured == 3
    assert [n for _, n in dists["multigroup_d"].bins] == [0, 0, 1, 0, 1, 0, 0, 1, 0, 0]
    assert dists["multigroup_d"].bins[2][0] == "0.20 to under 0.30"
    assert dists["ed_d"].bins[3] == ("0.30 to under 0.40", 3)
    assert dists["comparability"].bins == [("0", 3)]
    html = response.content.decode()
    assert 'alt="Histogram of multigroup dissimilarity (D) across 3 districts: median 0.45' in html
    from compliance.reports.statewide_charts import _in_sentence
    assert [_in_sentence(t) for t in ("ED dissimilarity (D)", "INT-01 schools", "Progressivity")] == [
        "ED dissimilarity (D)", "INT-01 schools", "progressivity"]  # acronyms keep their capitals
    assert html.count("<img ") == 4  # progressivity is undefined in these evaluations


def test_only_state_staff_see_it(client, district):
    client.force_login(user_factory(Role.DISTRICT_CERTIFIER, [district]))
    assert client.get("/statewide/").status_code == 403
    cycle = ReportingCycleFactory()
    assert client.get(f"/statewide/{cycle.pk}/export/state.csv").status_code == 403
    assert client.get(f"/statewide/{cycle.pk}/export/public.xlsx").status_code == 403
    client.force_login(user_factory(Role.STATE_ADMIN))
    assert client.get("/statewide/").status_code == 200
    assert 'href="/statewide/"' in client.get("/statewide/").content.decode()
