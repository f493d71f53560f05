"""The library and the EAC table are data in the database: seeded, editable, versioned, used."""
from __future__ import annotations

import json

import pytest

from compliance.admin_recommendations import RecommendationForm
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
def test_admin_edit_saves_a_new_version_and_evaluation_uses_it(admin_client):
    entry = RecommendationEntry.objects.get(key="equity-assistance-center", version=1)
    data = {"title": "Call your regional Equity Assistance Center today", "body": entry.body,
            "rule_codes": entry.rule_codes, "conditions": json.dumps(entry.conditions),
            "sources": "\n".join(entry.sources), "active": "on", "reason": "Plainer title", "step": "confirm",
            "expected": "1"}
    response = admin_client.post(f"/admin/compliance/recommendationentry/{entry.pk}/change/", data)
    assert response.status_code == 302
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


def test_invalid_entry_is_refused_by_the_admin_form():
    form = RecommendationForm({"key": "x", "title": "T", "body": "B", "rule_codes": ["INT-01"],
                               "conditions": '{"max_schools_in_band": "many"}', "reason": "r"})
    assert not form.is_valid()
    assert form.errors["conditions"] == ["conditions.max_schools_in_band: must be a whole number, 0 or more."]
