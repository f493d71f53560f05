"""The plan's PDF summary is one page for any plan: totals per band, the largest changes, the verdict."""
from __future__ import annotations

import io
import re
import subprocess

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from compliance.demo import demo_workbook
from compliance.rules.planner import CloseSchool, GradeCenter, Lottery, MoveStudents, lever_to_json
from planner.models import Plan
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def _pdf(blob: bytes, *args: str) -> str:
    return subprocess.run([*args, "-", "-"] if args[0] == "pdftotext" else [*args, "-"], input=blob,
                          capture_output=True, check=True, timeout=60).stdout.decode()


def _pages(blob: bytes) -> int:
    info = _pdf(blob, "pdfinfo")
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    return int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))


def test_a_430_change_plan_prints_on_one_page(client, large_district):
    district, sub, user, _ = large_district
    elementary = [s for s in demo_workbook("large", sub.cycle.school_year).schools if s.band == "elementary"]
    biggest = max(elementary, key=lambda s: s.enrollment_total)
    rest = [s for s in elementary if s is not biggest]
    ring = rest[6:156]  # 150 schools passing students round a ring
    moves = [MoveStudents(ring[i % 150].school_id, ring[(i + 1) % 150].school_id, 10 + i % 7) for i in range(427)]
    levers = [CloseSchool(biggest.school_id, (rest[0].school_id, rest[1].school_id)),
              GradeCenter((rest[2].school_id, rest[3].school_id), (("PK", "2"), ("3", "5"))),
              Lottery(rest[4].school_id, 100, 0.5, 80, 90), *moves]
    plan = Plan.objects.create(district=district, base_submission=sub, name="Ring of moves", created_by=user,
                               levers=[lever_to_json(lv) for lv in levers])
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)

    blob = client.get(reverse("planner_plan_summary", args=[plan.pk])).content
    assert _pages(blob) == 1
    text = " ".join(_pdf(blob, "pdftotext", "-layout").split())
    # 427 moves are 61 rounds of 10, 11, ..., 16 students (91 a round): 5,551 students.
    assert "430 changes: 427 moves (5,551 students), 1 closure, 1 grade-center pairing, 1 lottery." in text
    # Every changed school is a row of the exported Proposed sheet; the summary counts them.
    xlsx = client.get(reverse("planner_plan_proposed", args=[plan.pk])).content
    ws = load_workbook(io.BytesIO(xlsx))["Proposed"]
    rows = sum(1 for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value)
    assert f"{rows} schools change." in text
    # The closure is the largest change: all its students leave, half to each receiving school.
    e = biggest.enrollment_total
    first = f"{biggest.school_name} ({biggest.school_id}) Elementary closed {e:,} 0 {-e:+,}"
    assert first in text
    assert "of the 430 changes: those other than moves first, then the largest moves" in text
    assert f"Close {biggest.school_name}; its students go to {rest[0].school_name}, {rest[1].school_name}" in text
    page = client.get(reverse("planner_plan", args=[plan.pk])).content.decode()
    verdict = re.search(r'<span id="verdict-title">([^<]+)</span>', page).group(1)
    assert f"INT-05 verdict: {verdict}" in text


def test_small_counts_in_the_summary_read_as_less_than_ten(client, zoned_district):
    district, sub, user, _ = zoned_district
    plan = Plan.objects.create(district=district, base_submission=sub, name="Small move", created_by=user,
                               levers=[lever_to_json(MoveStudents("0311", "0316", 40, ed=5))])
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    blob = client.get(reverse("planner_plan_summary", args=[plan.pk])).content
    assert _pages(blob) == 1
    text = " ".join(_pdf(blob, "pdftotext", "-layout").split())
    assert "Move 40 students (<10 economically disadvantaged) from North Hills Elementary to Carver Elementary" in text
    # North Hills 520 -> 480, Carver 395 -> 435: both changes are whole moves of 40 students.
    assert "North Hills Elementary (0311) Elementary changed 520 480 -40" in text
    assert "Carver Elementary (0316) Elementary changed 395 435 +40" in text
    assert "1 change: 1 move (40 students)." in text and "2 schools change." in text


def _summary_words(client, district, sub, user, name: str, levers: list) -> str:
    """The plan summary PDF's words, one space apart, for a plan of ``levers`` the district user reads."""
    plan = Plan.objects.create(district=district, base_submission=sub, name=name, created_by=user, levers=levers)
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    return " ".join(_pdf(client.get(reverse("planner_plan_summary", args=[plan.pk])).content,
                         "pdftotext", "-layout").split())


def test_a_small_group_of_a_move_hides_what_would_give_it_back(client, zoned_district):
    district, sub, user, _ = zoned_district
    move = MoveStudents("0316", "0311", 56, ed=55, composition={"hispanic": 1, "black": 55})
    text = _summary_words(client, district, sub, user, "Mixed move", [lever_to_json(move)])
    # 1 Hispanic of 56: hidden, and so the 55 Black students (56 - 55 = 1); 55 ED of 56 leaves 1 not
    # ED: top-coded to ">46" (56 - 10).
    assert ("Move 56 students (>46 economically disadvantaged): <10 Hispanic students, >46 Black students "
            "from Carver Elementary to North Hills Elementary") in text
    assert "1 change: 1 move (56 students)." in text


def test_a_small_move_is_given_back_by_no_school_row_nor_total(client, zoned_district):
    district, sub, user, _ = zoned_district
    levers = [MoveStudents("0311", "0316", 40), MoveStudents("0312", "0313", 3)]
    text = _summary_words(client, district, sub, user, "Two moves", [lever_to_json(lv) for lv in levers])
    assert "Move <10 students from Lakeview Elementary to Pinecrest Elementary" in text
    assert "2 changes: 2 moves (* students)." in text
    # Lakeview 480 -> 477, Pinecrest 455 -> 458: the enrollment after less now would give the 3 back.
    assert "Lakeview Elementary (0312) Elementary changed 480 * <10" in text
    assert "Pinecrest Elementary (0313) Elementary changed 455 * <10" in text
    assert "Carver Elementary (0316) Elementary changed 395 435 +40" in text
    # 43 gained less the 40 printed is the 3: hidden in the elementary column, and so in the district's.
    assert "Students gained by the schools that grow * * 0 0" in text


def test_the_summary_hides_counts_under_the_rule_sets_threshold(client, zoned_district):
    district, sub, user, cycle = zoned_district
    cycle.rule_set.params["PRIVACY"]["min_cell"] = 20
    cycle.rule_set.save()
    text = _summary_words(client, district, sub, user, "Move of 15", [lever_to_json(MoveStudents("0311", "0316", 15))])
    assert "Move <20 students from North Hills Elementary to Carver Elementary" in text
    assert "1 change: 1 move (<20 students)." in text
    assert "North Hills Elementary (0311) Elementary changed 520 * <20" in text
    assert "Carver Elementary (0316) Elementary changed 395 * <20" in text
    assert "Students gained by the schools that grow <20 <20 0 0" in text
    assert "Counts of 1 to 19 students are printed as “<20”." in text
