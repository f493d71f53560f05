""""What would it take" on the page: kept or replaced changes, on a draft and on a saved plan, announced."""
from __future__ import annotations

import pytest
from django.urls import reverse

from compliance.demo import demo_workbook
from compliance.rules.planner import lever_from_json
from compliance.rules.planner_effect import Baseline, plan_effect, suggested_moves
from districts.models import Role
from planner.models import Plan
from tests.factories import DEFAULT_PASSWORD, user_factory

pytestmark = pytest.mark.django_db
PAIR = {"kind": "grade_center", "school_ids": "0312, 0316", "spans": "K-2, 3-5"}


def _login(client, user):
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)


def _draft(client, district, sub):
    return client.session.get(f"planner-draft-{district.pk}-{sub.pk}", [])


def test_suggestion_is_added_after_the_drafts_changes_by_default(client, zoned_district):
    district, sub, user, _ = zoned_district
    _login(client, user)
    client.post(reverse("planner_draft_lever_add", args=[district.pk]), PAIR)
    r = client.post(reverse("planner_draft_suggest", args=[district.pk]), {"band": "elementary"},
                    HTTP_HX_REQUEST="true")
    body = r.content.decode()
    stored = _draft(client, district, sub)
    assert stored[0]["kind"] == "grade_center" and len(stored) > 1
    assert {lv["kind"] for lv in stored[1:]} == {"move"}
    moves = len(stored) - 1
    students = sum(lv["total"] for lv in stored[1:])
    # The live region is told what happened and the outcome; the block shows every change with its Remove.
    assert (f'<div id="plan-announce" hx-swap-oob="innerHTML">Suggested {moves} moves ({students:,} students) '
            "for the elementary schools, added after the 1 change already in the plan.") in body
    assert body.count("Remove<span") == len(stored)
    schools = demo_workbook("zoned", sub.cycle.school_year).schools
    effect = plan_effect(Baseline.of(schools), [lever_from_json(d) for d in stored])
    assert effect.flagged_after["elementary"] == []
    assert 'data-flagged-after="Elementary">0<' in body


def test_replacing_is_asked_for_and_drops_the_changes(client, zoned_district):
    district, sub, user, _ = zoned_district
    _login(client, user)
    client.post(reverse("planner_draft_lever_add", args=[district.pk]), PAIR)
    r = client.post(reverse("planner_draft_suggest", args=[district.pk]), {"band": "middle", "mode": "replace"})
    assert r.status_code == 302  # without JavaScript: post/redirect/get, the outcome as a message
    stored = _draft(client, district, sub)
    expected, _ = suggested_moves(demo_workbook("zoned", sub.cycle.school_year).schools, "middle")
    assert [lever_from_json(d) for d in stored] == expected
    page = client.get(r["Location"]).content.decode()
    assert "in place of the 1 change that was in the plan." in page


def test_a_saved_plan_gets_suggestions_too_and_keeps_its_changes(client, zoned_district):
    district, sub, user, _ = zoned_district
    _login(client, user)
    client.post(reverse("planner_draft_lever_add", args=[district.pk]), PAIR)
    client.post(reverse("planner_draft_save", args=[district.pk]), {"name": "Pair and more"})
    plan = Plan.objects.get()
    page = client.get(reverse("planner_plan", args=[plan.pk])).content.decode()
    assert reverse("planner_plan_suggest", args=[plan.pk]) in page
    client.post(reverse("planner_plan_suggest", args=[plan.pk]), {"band": "elementary", "mode": "add"})
    plan.refresh_from_db()
    assert plan.levers[0]["kind"] == "grade_center" and len(plan.levers) > 1
    # State staff see a shared plan but may not change it: no suggestion form, and a post is refused.
    plan.shared = True
    plan.save()
    reviewer = user_factory(Role.STATE_REVIEWER, username="state.rev")
    client.logout()
    _login(client, reviewer)
    page = client.get(reverse("planner_plan", args=[plan.pk])).content.decode()
    assert "suggest-heading" not in page
    before = list(plan.levers)
    assert client.post(reverse("planner_plan_suggest", args=[plan.pk]), {"band": "middle"}).status_code == 403
    plan.refresh_from_db()
    assert plan.levers == before


def test_a_band_with_nothing_to_do_says_so_and_keeps_the_plan(client, zoned_district):
    district, sub, user, _ = zoned_district
    _login(client, user)
    client.post(reverse("planner_draft_suggest", args=[district.pk]), {"band": "middle"})
    first = _draft(client, district, sub)
    r = client.post(reverse("planner_draft_suggest", args=[district.pk]), {"band": "middle"}, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert "No suggestion for the middle schools after the changes above" in body and 'role="alert"' in body
    assert _draft(client, district, sub) == first
    assert "plan-announce" not in body  # the alert says it; nothing else is read out


def test_a_plan_whose_changes_no_longer_apply_is_told_why_not_built_on(client, zoned_district):
    district, sub, user, _ = zoned_district
    plan = Plan.objects.create(district=district, base_submission=sub, name="Old", created_by=user,
                               levers=[{"kind": "close", "school_id": "0999", "receiving": []}])
    _login(client, user)
    r = client.post(reverse("planner_plan_suggest", args=[plan.pk]), {"band": "elementary"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert "The plan&#x27;s changes cannot be built on: There is no school 0999 in this district." in r.content.decode()
    # Replacing them is still possible: the suggestion starts from the district as it is.
    client.post(reverse("planner_plan_suggest", args=[plan.pk]), {"band": "elementary", "mode": "replace"})
    plan.refresh_from_db()
    assert plan.levers and {lv["kind"] for lv in plan.levers} == {"move"}
