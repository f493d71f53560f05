"""seed_demo: idempotent, four district shapes, one user per role, an open cycle, real samples."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings

from compliance.models import ReportingCycle
from compliance.rules.model import school_band
from compliance.workbook.reader import read_workbook
from districts.models import District, Role, School, User


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_writes_readable_samples(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    counts = (District.objects.count(), School.objects.count(), User.objects.count(), ReportingCycle.objects.count())
    call_command("seed_demo")
    assert counts == (District.objects.count(), School.objects.count(), User.objects.count(),
                      ReportingCycle.objects.count())
    assert counts[0] == 4 and counts[3] == 1
    assert School.objects.filter(district__state_id="2500").count() >= 300
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert ReportingCycle.objects.get().is_open

    samples = sorted(p.name for p in (tmp_path / "samples").glob("*.xlsx"))
    assert samples == ["grade_center-2521.xlsx", "large-2500.xlsx", "lottery-2560.xlsx",
                       "zoned-2611-with-mistakes.xlsx", "zoned-2611.xlsx"]
    grade_center = read_workbook(tmp_path / "samples" / "grade_center-2521.xlsx")
    assert not grade_center.has_errors
    assert [(s.grade_low, s.grade_high) for s in grade_center.schools] == [
        ("K", "1"), ("2", "3"), ("4", "5"), ("6", "6"), ("7", "8"), ("9", "9"), ("10", "12")]
    assert [school_band(s.grade_low, s.grade_high) for s in grade_center.schools] == [
        "elementary"] * 3 + ["middle"] * 2 + ["high"] * 2
    lottery = read_workbook(tmp_path / "samples" / "lottery-2560.xlsx")
    assert len(lottery.lottery) == 3 and not lottery.has_errors
    broken = read_workbook(tmp_path / "samples" / "zoned-2611-with-mistakes.xlsx")
    assert broken.has_errors


@pytest.mark.django_db
def test_seed_demo_refuses_outside_the_dev_profile(settings):
    settings.DEV = False
    with pytest.raises(SystemExit):
        call_command("seed_demo")
    assert not User.objects.filter(username="reviewer").exists()


@pytest.mark.django_db
def test_demo_users_can_log_in_through_the_login_page(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    page = client.get("/login/")
    assert page.status_code == 200 and b'name="username"' in page.content
    response = client.post("/login/", {"username": "reviewer", "password": "demo-reviewer-pass"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/", follow=True).redirect_chain == [("/review/", 302)]  # state staff work from the queue


@pytest.mark.django_db
@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_repeated_wrong_passwords_lock_the_account(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    for _ in range(3):
        client.post("/login/", {"username": "reviewer", "password": "wrong-password"})
    locked = client.post("/login/", {"username": "reviewer", "password": "demo-reviewer-pass"})
    assert locked.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
