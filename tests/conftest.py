"""Fixtures shared by the whole suite: the demo-shaped directory, people in each role, a cycle."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.models import ReportingCycle, RuleSet
from compliance.rules.ruleset import DEFAULT_RULE_SET_NAME, default_params
from districts.models import District, Role, School, User


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploaded files and reports of one test never leak into another (or into var/).
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(tmp_path / "media")}},
    }


@pytest.fixture
def district(db) -> District:
    d = District.objects.create(state_id="2611", nces_id="2803300", name="Riverside County Schools", state="MS",
                                region="South")
    School.objects.create(district=d, school_id="0311", name="North Hills Elementary", grade_low="K", grade_high="5")
    return d


@pytest.fixture
def other_district(db) -> District:
    return District.objects.create(state_id="2521", nces_id="2801020", name="Magnolia Grove", state="MS")


@pytest.fixture
def rule_set(db) -> RuleSet:
    # get_or_create: a transactional test (live server, real worker) flushes the rows that
    # the data migration made, and pytest-django runs those tests last.
    return RuleSet.objects.get_or_create(name=DEFAULT_RULE_SET_NAME, version=1,
                                         defaults={"params": default_params()})[0]


@pytest.fixture
def cycle(db, rule_set) -> ReportingCycle:
    today = timezone.localdate()
    return ReportingCycle.objects.create(
        school_year="2026-27", rule_set=rule_set, opens_on=today - timedelta(days=10),
        due_on=today + timedelta(days=10), closes_on=today + timedelta(days=20),
    )


def make_user(username: str, role: str, districts=()) -> User:
    user = User.objects.create_user(username=username, password="x-demo-password-1", role=role)
    if districts:
        user.districts.set(districts)
    return user


@pytest.fixture
def submitter(district) -> User:
    return make_user("submitter", Role.DISTRICT_SUBMITTER, [district])


@pytest.fixture
def certifier(district) -> User:
    return make_user("certifier", Role.DISTRICT_CERTIFIER, [district])


@pytest.fixture
def reviewer(db) -> User:
    return make_user("reviewer", Role.STATE_REVIEWER)


@pytest.fixture
def reviewer2(db) -> User:
    return make_user("reviewer2", Role.STATE_REVIEWER)


@pytest.fixture
def supervisor(db) -> User:
    return make_user("supervisor", Role.STATE_SUPERVISOR)
