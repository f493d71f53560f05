"""Fixtures shared by the whole suite: two districts, the people of each role in them, a cycle.

The personas (all built with tests/factories.py):

- ``district_a``: Riverside County Schools (state id 2611, the demo's zoned district, so its
  sample workbooks upload to it), with North Hills Elementary (0311); ``district`` is the same.
- ``district_b``: Magnolia Grove (2521); ``other_district`` is the same.
- ``submitter_a`` and ``certifier_a``: district A's submitter and certifier (``submitter``,
  ``certifier``); ``user_b``: district B's submitter, who must see nothing of district A.
- ``reviewer``, ``reviewer2``, ``supervisor``: state staff.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.models import ReportingCycle, RuleSet
from compliance.rules.ruleset import DEFAULT_RULE_SET_NAME, default_params
from compliance.services.sweeper import _sender
from districts.models import District, Role, User
from tests.factories import DistrictFactory, ReportingCycleFactory, SchoolFactory, user_factory


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploaded files and reports of one test never leak into another (or into var/).
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(tmp_path / "media")}},
    }


@pytest.fixture(autouse=True)
def _broker_sends(settings):
    # Each test starts from a healthy broker (task_send remembers a failure for a few seconds). Sends
    # stay on the test's thread: many tests run a task in-process through a mocked ``delay``, which
    # must see the test's database transaction. The sending thread is on in tests/faults/ (real
    # workers and brokers), where the web side runs as in production.
    settings.BROKER_SEND_IN_BACKGROUND = False
    settings.BROKER_SEND_WAIT_MS = 10_000  # a loaded machine never makes a mocked send look hung
    _sender.reset()
    yield
    _sender.wait_idle(30)  # a send of this test that is still going must not fail into the next one
    _sender.reset()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The production hasher takes about a second a password on the 2-core machine; the suite
    # creates hundreds of users. Logging in still checks the password, with MD5.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def district_a(db) -> District:
    d = DistrictFactory(state_id="2611", nces_id="2803300", name="Riverside County Schools", region="South")
    SchoolFactory(district=d, school_id="0311", name="North Hills Elementary", grade_low="K", grade_high="5")
    return d


@pytest.fixture
def district_b(db) -> District:
    return DistrictFactory(state_id="2521", nces_id="2801020", name="Magnolia Grove", region="North")


@pytest.fixture
def district(district_a) -> District:
    return district_a


@pytest.fixture
def other_district(district_b) -> District:
    return district_b


@pytest.fixture
def rule_set(db) -> RuleSet:
    # get_or_create: a transactional test (live server, real worker) flushes the rows that
    # the data migration made, and pytest-django runs those tests last.
    return RuleSet.objects.get_or_create(name=DEFAULT_RULE_SET_NAME, version=1,
                                         defaults={"params": default_params()})[0]


@pytest.fixture
def cycle(rule_set) -> ReportingCycle:
    """The open 2026-27 cycle under the default rule set: opened 10 days ago, due in 10, closes in 20."""
    today = timezone.localdate()
    return ReportingCycleFactory(school_year="2026-27", rule_set=rule_set, opens_on=today - timedelta(days=10),
                                 due_on=today + timedelta(days=10), closes_on=today + timedelta(days=20))


def make_user(username: str, role: str, districts: Iterable[District] = ()) -> User:
    """A saved user with ``role``, no first or last name: messages and reports show ``username``."""
    return user_factory(role, districts, username=username, first_name="", last_name="")


@pytest.fixture
def submitter_a(district_a) -> User:
    return make_user("submitter", Role.DISTRICT_SUBMITTER, [district_a])


@pytest.fixture
def certifier_a(district_a) -> User:
    return make_user("certifier", Role.DISTRICT_CERTIFIER, [district_a])


@pytest.fixture
def user_b(district_b) -> User:
    return make_user("user_b", Role.DISTRICT_SUBMITTER, [district_b])


@pytest.fixture
def submitter(submitter_a) -> User:
    return submitter_a


@pytest.fixture
def certifier(certifier_a) -> User:
    return certifier_a


@pytest.fixture
def reviewer(db) -> User:
    return make_user("reviewer", Role.STATE_REVIEWER)


@pytest.fixture
def reviewer2(db) -> User:
    return make_user("reviewer2", Role.STATE_REVIEWER)


@pytest.fixture
def supervisor(db) -> User:
    return make_user("supervisor", Role.STATE_SUPERVISOR)
