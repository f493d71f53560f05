"""Recommendation entries in the admin: previewed with sample values as a district reads them, then versioned."""
from __future__ import annotations

import json

import pytest

from compliance.models import AuditEvent, EquityAssistanceRegion, RecommendationEntry
from tests.factories import DistrictFactory

CHANGELIST = "/admin/compliance/recommendationentry/"


def page(entry: RecommendationEntry) -> str:
    return f"{CHANGELIST}{entry.pk}/change/"


def fields(entry: RecommendationEntry, step: str, **changed) -> dict:
    """The edit form as posted: the entry's values, some retyped."""
    data = {"title": entry.title, "body": entry.body, "rule_codes": list(entry.rule_codes),
            "conditions": json.dumps(entry.conditions), "sources": "\n".join(entry.sources), "active": "on",
            "reason": "Plainer words", "step": step}
    data.update(changed)
    return data


@pytest.fixture
def grade_centers(db) -> RecommendationEntry:
    return RecommendationEntry.objects.get(key="grade-centers", version=1)


@pytest.mark.django_db
def test_the_preview_fills_placeholders_with_sample_values_and_saves_nothing(admin_client, grade_centers):
    DistrictFactory(state="MS")
    EquityAssistanceRegion.objects.filter(state="MS").update(center="Corrected Center")
    body = ("{district_name} has {schools_in_band} schools in the {band} band; {school_name} ({school_id}) "
            "could pair with one.\n\nAsk the {center} ({operator}, Region {region}) serving {state}.")
    response = admin_client.post(page(grade_centers), fields(grade_centers, "review", body=body,
                                                             title="Pair {school_name}"))
    assert response.templates[0].name == "admin/compliance/recommendationentry/preview.html"
    preview = response.context["preview"]
    assert preview["title"] == "Pair North Hills Elementary"
    assert preview["paragraphs"] == [
        "Riverside County School District has 4 schools in the elementary band; North Hills Elementary (0311) "
        "could pair with one.",
        # The installation's state (from the directory) and its center as the admin corrected it.
        "Ask the Corrected Center (Southern Education Foundation, Region II) serving Mississippi."]
    assert preview["rules"] == ["INT-01 Racially identifiable schools", "INT-02 Intensely segregated schools",
                                "INT-03 Economically identifiable schools", "INT-04 District evenness (dissimilarity)"]
    assert preview["estimated"] is True
    assert [(r["parameter"], r["after"]) for r in response.context["rows"]] == [
        ("Title", "Pair {school_name}"), ("Text", body)]
    assert RecommendationEntry.objects.filter(key="grade-centers").count() == 1 and not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_confirming_saves_the_next_version_and_records_before_and_after(admin_client, grade_centers):
    data = fields(grade_centers, "confirm", title="Grade centers (Clinton, Mississippi)",
                  conditions='{"min_schools_in_band": 2, "max_schools_in_band": 8}', expected="1")
    response = admin_client.post(page(grade_centers), data)
    new = RecommendationEntry.objects.get(key="grade-centers", version=2)
    assert response["Location"] == page(new)
    assert (new.title, new.conditions, new.body) == (
        "Grade centers (Clinton, Mississippi)", {"min_schools_in_band": 2, "max_schools_in_band": 8},
        grade_centers.body)
    event = AuditEvent.objects.get()
    assert (event.action, event.subject, event.note) == (
        "recommendation_edited", "Recommendation grade-centers v2: Grade centers (Clinton, Mississippi)",
        "Plainer words")
    assert event.changes == [
        {"field": "title", "before": grade_centers.title, "after": "Grade centers (Clinton, Mississippi)"},
        {"field": "conditions.max_schools_in_band", "before": 6, "after": 8}]
    stale = admin_client.post(page(grade_centers), {**data, "title": "Another", "expected": "1"})
    assert "Someone saved a newer version" in stale.content.decode()
    assert RecommendationEntry.objects.filter(key="grade-centers").count() == 2


@pytest.mark.django_db
def test_unknown_placeholders_and_rules_are_refused_on_the_form(admin_client, grade_centers):
    response = admin_client.post(page(grade_centers), fields(grade_centers, "review", body="Hello {principal}",
                                                             rule_codes=[]))
    errors = response.context["form"].errors
    assert errors["rule_codes"] == ["This field is required."]
    response = admin_client.post(page(grade_centers), fields(grade_centers, "review", body="Hello {principal}"))
    assert response.context["form"].errors["body"][0].startswith("body: unknown placeholder(s) {principal}")


@pytest.mark.django_db
def test_nothing_changed_offers_nothing_to_save(admin_client, grade_centers):
    response = admin_client.post(page(grade_centers), fields(grade_centers, "review"))
    assert response.context["nothing"] is True and b"Save as version" not in response.content


@pytest.mark.django_db
def test_a_new_entry_starts_at_version_1_and_its_key_must_be_new(admin_client):
    data = {"key": "magnet-themes", "title": "Magnet themes", "body": "Give {school_name} a theme.",
            "rule_codes": ["INT-02"], "conditions": "{}", "sources": "https://example.org/magnets\nA citation",
            "active": "on", "reason": "New guidance", "step": "review"}
    preview = admin_client.post(f"{CHANGELIST}add/", data)
    assert preview.context["preview"]["paragraphs"] == ["Give North Hills Elementary a theme."]
    assert preview.context["preview"]["sources"] == [{"text": "https://example.org/magnets", "url": True},
                                                     {"text": "A citation", "url": False}]
    admin_client.post(f"{CHANGELIST}add/", {**data, "step": "confirm", "expected": ""})
    entry = RecommendationEntry.objects.get(key="magnet-themes")
    assert (entry.version, entry.sources, entry.rule_codes) == (1, ["https://example.org/magnets", "A citation"],
                                                                ["INT-02"])
    assert AuditEvent.objects.get().action == "recommendation_created"
    again = admin_client.post(f"{CHANGELIST}add/", data)
    assert again.context["form"].errors["key"] == ["A recommendation with this key exists: edit its newest version."]
