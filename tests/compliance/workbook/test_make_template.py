"""manage.py make_template: blank, and prefilled from the state's directory."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from compliance.workbook.reader import read_workbook


def test_blank_template(tmp_path: Path) -> None:
    out = tmp_path / "blank.xlsx"
    call_command("make_template", str(out), "--school-year", "2026-27")
    wb = openpyxl.load_workbook(out)
    district = {r[0].value: r[1].value for r in wb["District"].iter_rows(min_row=2)}
    assert district["school_year"] == "2026-27" and district["district_id"] is None
    assert wb["Schools"].max_row == 1  # headers only


@pytest.mark.django_db
def test_prefilled_from_district(tmp_path: Path) -> None:
    from districts.models import District, School

    d = District.objects.create(state_id="0042", name="Lakeside ISD", state="MS")
    School.objects.create(district=d, school_id="007", name="Lakeside High", grade_low="9", grade_high="12")
    School.objects.create(district=d, school_id="003", name="Lakeside Elementary", grade_low="K", grade_high="5")
    out = tmp_path / "lakeside.xlsx"
    call_command("make_template", str(out), "--district", "0042", "--school-year", "2026-27")

    wb = openpyxl.load_workbook(out)
    rows = [(r[0].value, r[1].value) for r in wb["Schools"].iter_rows(min_row=2)]
    assert rows == [("003", "Lakeside Elementary"), ("007", "Lakeside High")]
    assert [(r[0].value, r[1].value) for r in wb["Budget"].iter_rows(min_row=2)] == rows
    data = read_workbook(out)
    # The reader sees the prefilled ids as text, leading zeros intact, in rows 2 and 3.
    missing = {(p.row, p.column) for p in data.problems if p.code == "DATA-21"}
    assert (2, "title_i") in missing and (3, "enrollment_total") in missing
    assert not any(p.column == "school_id" for p in data.problems)


@pytest.mark.django_db
def test_unknown_district_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No district with state id '9999' exists"):
        call_command("make_template", str(tmp_path / "x.xlsx"), "--district", "9999")
    assert not (tmp_path / "x.xlsx").exists()


def test_bad_school_year(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="--school-year must look like 2026-27"):
        call_command("make_template", str(tmp_path / "x.xlsx"), "--school-year", "2026")
