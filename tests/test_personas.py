"""The shared personas of tests/conftest.py: who belongs where, and what each may see."""
from __future__ import annotations

import pytest
from django.utils import timezone

from compliance.selectors import districts_visible_to, submissions_visible_to
from districts.models import Role
from tests.factories import DEFAULT_PASSWORD, SubmissionFactory

pytestmark = pytest.mark.django_db


def test_district_personas_and_their_aliases(district_a, district_b, district, other_district):
    assert district is district_a and other_district is district_b
    assert (district_a.state_id, district_a.name) == ("2611", "Riverside County Schools")
    assert list(district_a.schools.values_list("school_id", "name")) == [("0311", "North Hills Elementary")]
    assert (district_b.state_id, district_b.name) == ("2521", "Magnolia Grove")


def test_people_personas_have_their_roles_and_districts(submitter_a, certifier_a, user_b, reviewer, reviewer2,
                                                        supervisor, submitter, certifier, district_a, district_b):
    assert submitter is submitter_a and certifier is certifier_a
    roles = {u.username: (u.role, sorted(d.state_id for d in u.districts.all()))
             for u in (submitter_a, certifier_a, user_b, reviewer, reviewer2, supervisor)}
    assert roles == {
        "submitter": (Role.DISTRICT_SUBMITTER, ["2611"]),
        "certifier": (Role.DISTRICT_CERTIFIER, ["2611"]),
        "user_b": (Role.DISTRICT_SUBMITTER, ["2521"]),
        "reviewer": (Role.STATE_REVIEWER, []),
        "reviewer2": (Role.STATE_REVIEWER, []),
        "supervisor": (Role.STATE_SUPERVISOR, []),
    }
    # No names, so messages name people by username (tests match on it).
    assert submitter_a.get_full_name() == "" and reviewer.get_full_name() == ""
    assert all(u.check_password(DEFAULT_PASSWORD) for u in (submitter_a, user_b, reviewer))


def test_user_b_sees_district_b_only_and_state_staff_see_both(submitter_a, user_b, reviewer, cycle,
                                                              district_a, district_b):
    a_sub = SubmissionFactory(district=district_a, cycle=cycle, uploaded_by=submitter_a)
    b_sub = SubmissionFactory(district=district_b, cycle=cycle, uploaded_by=user_b)

    assert list(districts_visible_to(user=user_b)) == [district_b]
    assert list(submissions_visible_to(user=user_b)) == [b_sub]
    assert list(submissions_visible_to(user=submitter_a)) == [a_sub]
    assert set(districts_visible_to(user=reviewer)) == {district_a, district_b}


def test_cycle_is_open_today_under_the_default_rule_set(cycle, rule_set):
    today = timezone.localdate()
    assert cycle.rule_set == rule_set and cycle.school_year == "2026-27"
    assert [(d - today).days for d in (cycle.opens_on, cycle.due_on, cycle.closes_on)] == [-10, 10, 20]
