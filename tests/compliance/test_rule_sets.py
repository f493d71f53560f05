"""Rule sets are versioned data: validated on save, frozen once a cycle opens, reproducible."""
from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from compliance import services
from compliance.models import ReportingCycle, RuleSet
from compliance.rules.ruleset import DEFAULT_PARAMS, DEFAULT_RULE_SET_NAME, validate_params


@pytest.mark.django_db
def test_default_rule_set_comes_from_the_data_migration():
    rule_set = RuleSet.objects.get(name=DEFAULT_RULE_SET_NAME, version=1)
    assert rule_set.params == DEFAULT_PARAMS
    assert rule_set.params["INT-01"]["band"] == 0.15
    assert rule_set.params["RES-01"]["limit"] == 1.10


def test_validation_messages_name_the_parameter_and_the_problem():
    params = copy.deepcopy(DEFAULT_PARAMS)
    params["INT-01"]["band"] = 1.5
    params["INT-02"]["severity"] = "fatal"
    params["RES-01"]["min_enrollment"] = 99.5
    params["INT-04"]["warning_at"] = 0.7
    params["INT-03"]["bogus"] = 1
    del params["RES-05"]
    params["XYZ-01"] = {}
    errors = validate_params(params)
    assert "INT-01.band: 1.5 is outside the allowed range 0 to 1." in errors
    assert "INT-02.severity: must be one of finding, warning, info." in errors
    assert "RES-01.min_enrollment: must be a whole number." in errors
    assert "INT-04: warning_at must not be above finding_at." in errors
    assert any(e.startswith("INT-03.bogus: unknown parameter") for e in errors)
    assert any(e.startswith("RES-05: missing") for e in errors)
    assert any(e.startswith("XYZ-01: unknown rule code") for e in errors)
    assert validate_params("nope") and validate_params(DEFAULT_PARAMS) == []


@pytest.mark.django_db
def test_invalid_rule_set_cannot_be_saved():
    params = copy.deepcopy(DEFAULT_PARAMS)
    params["INT-02"]["threshold"] = "90%"
    with pytest.raises(ValidationError) as excinfo:
        RuleSet.objects.create(name="Bad", params=params)
    assert "INT-02.threshold: must be a number." in excinfo.value.message_dict["params"]
    assert not RuleSet.objects.filter(name="Bad").exists()


@pytest.mark.django_db
def test_opening_a_cycle_freezes_its_rule_set_and_edits_make_a_new_version():
    rule_set = RuleSet.objects.create(name="Mississippi 2026", params=copy.deepcopy(DEFAULT_PARAMS))
    rule_set.params["INT-01"]["band"] = 0.20
    rule_set.save()  # not yet used by an open cycle: editable in place
    today = timezone.localdate()
    ReportingCycle.objects.create(school_year="2026-27", rule_set=rule_set, opens_on=today,
                                  due_on=today + timedelta(days=5), closes_on=today + timedelta(days=9))
    rule_set.refresh_from_db()
    assert rule_set.frozen
    rule_set.params["INT-01"]["band"] = 0.10
    with pytest.raises(ValidationError, match="frozen"):
        rule_set.save()
    new = services.rule_set_new_version(rule_set=RuleSet.objects.get(pk=rule_set.pk),
                                        params=rule_set.params, notes="Tighter band")
    assert (new.name, new.version, new.frozen, new.params["INT-01"]["band"]) == ("Mississippi 2026", 2, False, 0.10)
    assert RuleSet.objects.get(pk=rule_set.pk).params["INT-01"]["band"] == 0.20


@pytest.mark.django_db
def test_future_cycle_does_not_freeze_yet():
    rule_set = RuleSet.objects.create(name="Next year", params=copy.deepcopy(DEFAULT_PARAMS))
    today = timezone.localdate()
    ReportingCycle.objects.create(school_year="2027-28", rule_set=rule_set, opens_on=today + timedelta(days=200),
                                  due_on=today + timedelta(days=260), closes_on=today + timedelta(days=300))
    rule_set.refresh_from_db()
    assert not rule_set.frozen
