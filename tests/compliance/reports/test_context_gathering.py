"""Context for the key measures: the district's earlier decided submissions and the state's other districts,
gathered from the database by services/reports.py and printed by the renderer."""
from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from compliance.models import Decision, DecisionOutcome
from compliance.reports.render import render_report_html
from compliance.reports.trends import context_view
from compliance.services.reports import _history, _peers
from compliance.states import SubmissionStatus as S
from districts.models import Role
from tests.factories import (
    DistrictFactory,
    EvaluationFactory,
    ReportingCycleFactory,
    SubmissionFactory,
    sample_measures,
    user_factory,
)

from .factories import make_context


def _measures(multigroup: float, ed: float, progressivity: float | None = None) -> dict:
    m = sample_measures()
    m["district"]["dissimilarity"]["multigroup"] = multigroup
    m["district"]["dissimilarity"]["ed_not_ed"] = ed
    m["district"]["resources"] = {"progressivity": progressivity}
    return m


@pytest.fixture
def cycles(db):
    now = ReportingCycleFactory()
    before = ReportingCycleFactory(school_year="2025-26", rule_set=now.rule_set,
                                   opens_on=now.opens_on - timedelta(days=365),
                                   due_on=now.due_on - timedelta(days=365),
                                   closes_on=now.closes_on - timedelta(days=365))
    return before, now


@pytest.mark.django_db
def test_history_is_the_districts_earlier_decided_submissions_oldest_first(cycles):
    before, now = cycles
    district = DistrictFactory()
    reviewer = user_factory(Role.STATE_REVIEWER)
    decided = SubmissionFactory(district=district, cycle=before, status=S.DECIDED)
    EvaluationFactory(submission=decided, measures=_measures(0.52, 0.41))
    Decision.objects.create(submission=decided, outcome=DecisionOutcome.CORRECTIVE_ACTION, decided_by=reviewer)
    # Not history: a superseded version of last year, and this year's submission itself.
    EvaluationFactory(submission=SubmissionFactory(district=district, cycle=before, status=S.SUPERSEDED),
                      measures=_measures(0.9, 0.9))
    current = SubmissionFactory(district=district, cycle=now, status=S.EVALUATED)
    EvaluationFactory(submission=current, measures=_measures(0.44, 0.38))
    history = _history(current)
    assert [(h["label"], h["outcome"]) for h in history] == [("2025-26", "Noncompliant: corrective action required")]
    assert history[0]["measures"]["dissimilarity"]["multigroup"] == 0.52


@pytest.mark.django_db
def test_peers_are_the_other_districts_newest_report_bearing_submissions_of_the_cycle(cycles):
    before, now = cycles
    mine = SubmissionFactory(cycle=now)
    EvaluationFactory(submission=mine, measures=_measures(0.44, 0.38))
    for value in (0.2, 0.3, 0.6):
        other = DistrictFactory()
        old = SubmissionFactory(district=other, cycle=now, status=S.SUPERSEDED)
        EvaluationFactory(submission=old, measures=_measures(0.99, 0.99))  # an older version: not counted
        EvaluationFactory(submission=SubmissionFactory(district=other, cycle=now, status=S.CERTIFIED),
                          measures=_measures(value, value))
    rejected = SubmissionFactory(cycle=now, status=S.REJECTED)  # no report: not counted
    EvaluationFactory(submission=rejected, measures=_measures(0.95, 0.95))
    EvaluationFactory(submission=SubmissionFactory(cycle=before, status=S.DECIDED), measures=_measures(0.9, 0.9))
    peers = _peers(mine)
    assert sorted(p["dissimilarity"]["multigroup"] for p in peers) == [0.2, 0.3, 0.6]


def test_the_report_prints_the_trend_and_where_the_district_stands():
    ctx = make_context()
    own = ctx.evaluation["measures"]["district"]  # multigroup 0.412, ED D 0.293, progressivity 0.93
    earlier = copy.deepcopy(own)
    earlier["dissimilarity"]["multigroup"], earlier["dissimilarity"]["ed_not_ed"] = 0.5, 0.35
    ctx.history = [{"label": "2025-26", "outcome": "Corrective action required", "measures": earlier}]
    ctx.peers = [_measures(m, e, p)["district"] for m, e, p in ((0.2, 0.1, 1.1), (0.3, 0.5, 0.9), (0.6, 0.2, 1.2))]
    view = context_view(ctx)
    assert view is not None
    rows = {r["label"]: r["cells"] for r in view["history"]["rows"]}
    assert rows["Multigroup dissimilarity D (race)"] == ["0.500", "0.412"]
    assert view["history"]["columns"] == ["2025-26", "2026-27 (this report)"]
    state = {r["label"]: r for r in view["state"]["rows"]}
    # 0.412 among 0.2, 0.3, 0.6: one district is less even (0.6); the median of the three is 0.3.
    assert state["Multigroup dissimilarity D (race)"]["median"] == "0.300"
    assert state["Multigroup dissimilarity D (race)"]["standing"] == "more even than 1 of the 3"
    # progressivity 0.93 among 1.1, 0.9, 1.2: more progressive than one (0.9).
    assert state["Progressivity of spending"]["standing"] == "more progressive than 1 of the 3"
    html = render_report_html(ctx)
    assert "The district over time and across the state" in html
    assert html.count('alt="Line chart of dissimilarity over 2 submissions.') == 1
    assert "Dot plots, one per measure" in html


def test_no_context_section_without_history_or_enough_peers():
    ctx = make_context()
    ctx.peers = [_measures(0.2, 0.1)["district"]]  # one other district says nothing about a distribution
    assert context_view(ctx) is None
    assert "The district over time and across the state" not in render_report_html(ctx)
