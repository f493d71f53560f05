"""The library and the EAC table are data in the database: seeded, editable, versioned, used."""
from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from compliance.models import EquityAssistanceRegion, RecommendationEntry
from compliance.rules.model import RuleFinding
from compliance.rules.recommendations import DEFAULT_LIBRARY, recommend
from compliance.selectors import eac_regions_current, recommendation_library_current


@pytest.mark.django_db
def test_library_and_regions_are_seeded_from_the_defaults():
    assert RecommendationEntry.objects.count() == len(DEFAULT_LIBRARY)
    assert EquityAssistanceRegion.objects.get(state="MS").center == "Equity Assistance Center-South"
    assert {e.key for e in recommendation_library_current()} == {e.key for e in DEFAULT_LIBRARY}


@pytest.mark.django_db
def test_admin_edit_saves_a_new_version_and_evaluation_uses_it(admin_user):
    entry = RecommendationEntry.objects.get(key="equity-assistance-center", version=1)
    admin = site._registry[RecommendationEntry]
    request = RequestFactory().post("/")
    request.user = admin_user
    form_class = admin.get_form(request, entry)
    data = {"key": entry.key, "title": "Call your regional Equity Assistance Center today", "body": entry.body,
            "rule_codes": __import__("json").dumps(entry.rule_codes),
            "conditions": __import__("json").dumps(entry.conditions),
            "sources": __import__("json").dumps(entry.sources), "active": "on"}
    form = form_class(data, instance=entry)
    assert form.is_valid(), form.errors
    obj = form.save(commit=False)
    admin.save_model(request, obj, form, change=True)
    versions = list(RecommendationEntry.objects.filter(key=entry.key).values_list("version", "title"))
    assert versions == [(2, "Call your regional Equity Assistance Center today"),
                        (1, RecommendationEntry.objects.get(key=entry.key, version=1).title)]

    EquityAssistanceRegion.objects.filter(state="MS").update(center="Corrected Center Name")
    findings = [RuleFinding(rule="INT-04", severity="warning", scope="district", message="m")]
    from compliance.demo import demo_workbook

    recommend(demo_workbook("grade_center", "2026-27"), findings, None, library=recommendation_library_current(),
              eac_regions=eac_regions_current(), state="MS")
    titles = [r.title for r in findings[0].recommendations]
    assert "Call your regional Equity Assistance Center today" in titles
    assert any("Corrected Center Name" in (r.body + r.title) for r in findings[0].recommendations)


@pytest.mark.django_db
def test_invalid_entry_is_refused_by_the_admin_form(admin_user):
    admin = site._registry[RecommendationEntry]
    request = RequestFactory().post("/")
    request.user = admin_user
    form = admin.get_form(request)({"key": "x", "title": "T", "body": "B", "rule_codes": '["NOPE-99"]',
                                    "conditions": '{"max_schools_in_band": "many"}', "sources": "[]"})
    assert not form.is_valid()
