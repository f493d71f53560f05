"""Live status (issue 11): it states the usual time for a district of this size, from the latest checks
of districts of similar size, or an estimate from the number of schools when too few have run."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from compliance.models import ReportKind
from compliance.services.portal import duration_text, usual_durations
from compliance.states import SubmissionStatus as S
from tests.factories import (
    DistrictFactory,
    EvaluationFactory,
    ReportFactory,
    SchoolFactory,
    SubmissionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the estimates are cached for five minutes
    yield
    cache.clear()


def _district_with(schools: int, **kwargs):
    district = DistrictFactory(**kwargs)
    for i in range(schools):
        SchoolFactory(district=district, school_id=f"{i:04d}")
    return district


def _history(district, cycle, check_seconds, report_seconds=()):
    now = timezone.now()
    for i, seconds in enumerate(check_seconds):
        sub = SubmissionFactory(district=district, cycle=cycle, version=i + 1, status=S.SUPERSEDED)
        finished = now - timedelta(hours=i + 1)
        ev = EvaluationFactory(submission=sub, started_at=finished - timedelta(seconds=seconds), finished_at=finished)
        if i < len(report_seconds):
            ReportFactory(submission=sub, evaluation=ev, kind=ReportKind.EVALUATION,
                          created_at=finished + timedelta(seconds=report_seconds[i]))


@pytest.mark.parametrize(("seconds", "text"), [(3, "about 5 seconds"), (22, "about 20 seconds"),
                                               (53, "about 55 seconds"), (56, "about a minute"),
                                               (89, "about a minute"), (100, "about 2 minutes"),
                                               (610, "about 10 minutes")])
def test_durations_read_as_a_person_says_them(seconds, text):
    assert duration_text(seconds) == text


def test_the_median_of_similar_districts_only(cycle):
    district = _district_with(10)
    similar = _district_with(8)  # between half and twice as many schools
    bigger = _district_with(30)
    _history(similar, cycle, [20, 30, 40, 50], [60, 80, 100, 2 * 86400])  # the last: rendered again days later
    _history(bigger, cycle, [600, 600, 600], [900, 900, 900])
    usual = usual_durations(district=district)
    assert usual == {"schools": 10, "check": "about 35 seconds", "report": "about a minute",
                     "measured": True, "runs": 4}


def test_an_estimate_that_grows_with_the_district_when_too_few_have_run(cycle):
    small, large = _district_with(10), _district_with(320)
    _history(small, cycle, [30, 30])  # two runs: too few for a median
    # 20 s + 0.1 s a school to check, 40 s + 0.25 s a school for the report.
    assert usual_durations(district=small) == {"schools": 10, "check": "about 20 seconds",
                                               "report": "about 40 seconds", "measured": False, "runs": 2}
    assert usual_durations(district=large) == {"schools": 320, "check": "about 50 seconds",
                                               "report": "about 2 minutes", "measured": False, "runs": 0}


def test_the_status_says_it_while_checking_and_while_the_report_is_prepared(client, submitter, district, cycle):
    _history(_district_with(1), cycle, [10, 10, 12], [30, 30, 30])  # district has one school (conftest)
    sub = SubmissionFactory(district=district, cycle=cycle, uploaded_by=submitter, status=S.QUEUED)
    client.force_login(submitter)
    html = client.get(reverse("submission_status", args=[sub.pk])).content.decode()
    assert ("Checking a district of 1 school usually takes about 10 seconds, and its report about 30 seconds "
            "more (the median of the latest 3 checks of districts this size).") in html
    sub.status = S.EVALUATED
    sub.save()
    EvaluationFactory(submission=sub)
    html = client.get(reverse("submission_detail", args=[sub.pk])).content.decode()
    assert "(for a district of 1 school this usually takes about 30 seconds)" in html
