"""The planner's pages without JavaScript (post/redirect/get), with htmx, permissions and the exports."""
from __future__ import annotations

import io
import subprocess

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from compliance.pipeline import builtin_rule_set, evaluate_path
from districts.models import Role
from planner.models import Plan
from tests.factories import DEFAULT_PASSWORD, DistrictFactory, user_factory

pytestmark = pytest.mark.django_db


def _login(client, user):
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)


def test_zone_change_without_javascript_redirects_and_shows_the_effect(client, zoned_district):
    district, sub, user, _ = zoned_district
    _login(client, user)
    url = reverse("planner_district", args=[district.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b"No change yet" in page.content
    # 100 students, the sending school's mix: North Hills (520, 94 ED) to Carver.
    r = client.post(reverse("planner_draft_lever_add", args=[district.pk]),
                    {"kind": "move", "from_id": "0311", "to_id": "0316", "total": "100"})
    assert r.status_code == 302 and r["Location"] == url
    page = client.get(url).content.decode()
    assert "Move 100 students from North Hills Elementary to Carver Elementary" in page
    # 94/520 of 100 is 18.08: 18 ED students move; North Hills keeps 420 students and 76 ED.
    assert "<td class=\"num\">420</td>" in page and "<td class=\"num\">76</td>" in page


def test_htmx_change_returns_only_the_effect_block(client, zoned_district):
    district, _, user, _ = zoned_district
    _login(client, user)
    r = client.post(reverse("planner_draft_lever_add", args=[district.pk]),
                    {"kind": "grade_center", "school_ids": "0311, 0317", "spans": "K-2, 3-5"}, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert r.status_code == 200 and "<html" not in body
    assert "Commendation" in body  # pooling mostly-white 0311 with mostly-Black 0317 lowers elementary D
    # The two centers hold the pooled 900 students: 450 each (3 grades each of K-5).
    assert body.count('<td class="num">450</td>') == 2


def test_bad_lever_is_refused_with_its_reason(client, zoned_district):
    district, _, user, _ = zoned_district
    _login(client, user)
    r = client.post(reverse("planner_draft_lever_add", args=[district.pk]),
                    {"kind": "move", "from_id": "0311", "to_id": "0316", "total": "9999"}, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert "North Hills Elementary has only 520 students; it cannot send 9999." in body
    # Also beside the move form (the effect block is far above it), and nothing is announced as done.
    assert ('<p id="lever-move-status" class="lever-status field-error" hx-swap-oob="true">North Hills Elementary '
            "has only 520 students; it cannot send 9999.") in body
    assert '<p id="lever-lottery-status" class="lever-status" hidden hx-swap-oob="true"></p>' in body
    assert "plan-announce" not in body
    assert client.session.get(f"planner-draft-{district.pk}-{zoned_district[1].pk}", []) == []


def test_save_share_and_export_round_trip(client, zoned_district):
    district, sub, user, cycle = zoned_district
    _login(client, user)
    client.post(reverse("planner_draft_lever_add", args=[district.pk]),
                {"kind": "grade_center", "school_ids": "0311, 0317", "spans": "K-2, 3-5"})
    r = client.post(reverse("planner_draft_save", args=[district.pk]), {"name": "Pair North Hills and Douglass"})
    plan = Plan.objects.get()
    assert r["Location"] == reverse("planner_plan", args=[plan.pk])
    assert plan.levers[0]["kind"] == "grade_center" and plan.created_by == user and not plan.shared
    colleague = user_factory(Role.DISTRICT_CERTIFIER, [district], username="colleague")
    reviewer = user_factory(Role.STATE_REVIEWER, username="state.rev")
    for who, status in ((colleague, 404), (reviewer, 404)):
        client.logout()
        _login(client, who)
        assert client.get(reverse("planner_plan", args=[plan.pk])).status_code == status
    client.logout()
    _login(client, user)
    client.post(reverse("planner_plan_share", args=[plan.pk]), {"shared": "1"})
    client.logout()
    _login(client, reviewer)
    assert client.get(reverse("planner_plan", args=[plan.pk])).status_code == 200
    refused = client.post(reverse("planner_plan_lever_add", args=[plan.pk]),
                          {"kind": "close", "school_id": "0312"})
    assert refused.status_code == 403
    xlsx = client.get(reverse("planner_plan_proposed", args=[plan.pk]))
    assert xlsx.status_code == 200
    ws = load_workbook(io.BytesIO(xlsx.content))["Proposed"]
    ids = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    assert ids == ["0311", "0317"]  # the demo's own seven-row rezoning is replaced by the plan
    out = evaluate_path(xlsx.content, rule_set=builtin_rule_set(), guarded=False)
    int05 = [f for f in out.result["findings"] if f["rule"] == "INT-05"]
    assert int05 and all(f["evidence"]["commendation"] for f in int05)
    pdf = client.get(reverse("planner_plan_summary", args=[plan.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-1.7")  # PDF/UA-1 is PDF 1.7, tagged
    info = _pdfinfo(pdf.content)
    assert info["Pages"] == "1" and info["Tagged"] == "yes"


def _pdfinfo(blob: bytes) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", "-"], input=blob, capture_output=True, check=True, timeout=30).stdout.decode()
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def test_state_staff_see_the_planner_read_only(client, zoned_district):
    district, *_ = zoned_district
    reviewer = user_factory(Role.STATE_REVIEWER, username="state.viewer")
    _login(client, reviewer)
    page = client.get(reverse("planner_district", args=[district.pk])).content.decode()
    assert "You may look at this plan but not change it." in page
    assert "levers-heading" not in page and "planner_draft_save" not in page and "Save plan" not in page
    r = client.post(reverse("planner_draft_lever_add", args=[district.pk]), {"kind": "close", "school_id": "0312"})
    assert r.status_code == 403
    r = client.post(reverse("planner_draft_save", args=[district.pk]), {"name": "Not mine"})
    assert r.status_code == 403 and not Plan.objects.exists()


def test_other_district_users_cannot_open_the_planner(client, zoned_district):
    district, *_ = zoned_district
    outsider = user_factory(Role.DISTRICT_SUBMITTER, [DistrictFactory()], username="outsider")
    _login(client, outsider)
    assert client.get(reverse("planner_district", args=[district.pk])).status_code == 404
    r = client.post(reverse("planner_draft_lever_add", args=[district.pk]), {"kind": "close", "school_id": "0312"})
    assert r.status_code == 404


def test_a_district_without_an_evaluated_workbook_is_told_so(client):
    district = DistrictFactory(name="Hilltop County Schools")
    user = user_factory(Role.DISTRICT_SUBMITTER, [district], username="hill.user")
    _login(client, user)
    page = client.get(reverse("planner_district", args=[district.pk]))
    assert page.status_code == 200
    assert "Hilltop County Schools has none yet" in page.content.decode()


def test_htmx_remove_moves_the_focus_and_announces_what_happened(client, zoned_district):
    district, _, user, _ = zoned_district
    _login(client, user)
    add = reverse("planner_draft_lever_add", args=[district.pk])
    r = client.post(add, {"kind": "move", "from_id": "0311", "to_id": "0316", "total": "100"}, HTTP_HX_REQUEST="true")
    said = ("Change 1 added: Move 100 students from North Hills Elementary to Carver Elementary. INT-05 verdict: "
            "Commendation. Schools flagged by INT-01/02/03 in the district: ")
    body = r.content.decode()
    assert f'<div id="plan-announce" hx-swap-oob="innerHTML">{said}' in body
    assert f'<p id="lever-move-status" class="lever-status" hx-swap-oob="true">{said}' in body
    client.post(add, {"kind": "close", "school_id": "0312", "receiving": ["0313"]}, HTTP_HX_REQUEST="true")
    # Removing change 1: the focus goes to the Remove button now first (the closure's), read out as change 1.
    body = client.post(reverse("planner_draft_lever_remove", args=[district.pk, 0]), HTTP_HX_REQUEST="true"
                       ).content.decode()
    assert body.count("autofocus") == 1
    assert ('class="link-button" autofocus>Remove<span class="visually-hidden"> change 1</span>') in body
    assert "Close Lakeview Elementary; its students go to Pinecrest Elementary" in body
    assert ">Change 1 removed: Move 100 students from North Hills Elementary to Carver Elementary." in body
    # Removing the last one: nothing left to focus in the list, so its heading takes the focus.
    body = client.post(reverse("planner_draft_lever_remove", args=[district.pk, 0]), HTTP_HX_REQUEST="true"
                       ).content.decode()
    assert '<h2 id="changes-heading" tabindex="-1" autofocus>' in body and body.count("autofocus") == 1
    assert "No changes yet." in body


def test_remove_without_javascript_redirects_with_a_message(client, zoned_district):
    district, _, user, _ = zoned_district
    _login(client, user)
    client.post(reverse("planner_draft_lever_add", args=[district.pk]), {"kind": "close", "school_id": "0312"})
    r = client.post(reverse("planner_draft_lever_remove", args=[district.pk, 0]), follow=True)
    page = r.content.decode()
    assert r.redirect_chain[-1][0] == reverse("planner_district", args=[district.pk])
    assert "Change 1 removed: Close Lakeview Elementary; its students go to no other school." in page
    assert "autofocus" not in page and "No changes yet." in page


def test_planner_root_takes_a_district_user_to_their_district_and_lists_districts_for_state_staff(client,
                                                                                                   zoned_district):
    district, _, user, _ = zoned_district
    other = DistrictFactory(name="Aardvark Unified")
    _login(client, user)
    r = client.get("/planner/")
    assert r.status_code == 302 and r["Location"] == reverse("planner_district", args=[district.pk])
    _login(client, user_factory(Role.STATE_REVIEWER))
    page = client.get("/planner/").content.decode()
    # Every district, by name, each linking to its planner.
    links = [(reverse("planner_district", args=[d.pk]), d.name) for d in (other, district)]
    positions = [page.index(f'<a href="{url}">{name}</a>') for url, name in links]
    assert positions == sorted(positions)
    _login(client, user_factory(Role.DISTRICT_SUBMITTER, []))
    assert client.get("/planner/").status_code == 403
