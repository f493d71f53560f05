"""The marked workbook: the problem cell filled and commented, the Problems sheet linking to it."""
from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from compliance.models import Problem
from compliance.workbook.marked import FILLS, PROBLEMS_SHEET, marked_workbook, problem_cells
from compliance.workbook.reader import read_workbook
from tests.compliance.workbook.helpers import edit, write
from tests.factories import EvaluationFactory, SubmissionFactory


def _damaged(tmp_path):
    path = edit(write(tmp_path / "w.xlsx"), [("Schools", 3, "black", "12a"), ("Schools", 4, "white", "=1+1")])
    return path.read_bytes(), read_workbook(path).problems


def test_problem_cell_is_filled_and_commented_and_linked(tmp_path):
    data, problems = _damaged(tmp_path)
    assert [(p.code, p.row, p.column) for p in problems if p.code == "DATA-22"][0] == ("DATA-22", 3, "black")
    wb = openpyxl.load_workbook(io.BytesIO(marked_workbook(data, problems)))
    # 'black' is the 11th header of the Schools sheet: column K.
    cell = wb["Schools"]["K3"]
    assert cell.fill.fill_type == "solid"
    assert cell.fill.start_color.rgb.endswith(FILLS["error"])
    assert "DATA-22" in cell.comment.text and "'12a' is not a number" in cell.comment.text
    assert "Fix: Enter a plain number" in cell.comment.text
    assert wb["Schools"]["K2"].fill.fill_type is None  # an untouched cell stays as it was
    assert wb.sheetnames[0] == PROBLEMS_SHEET
    sheet = wb[PROBLEMS_SHEET]
    rows = {r[2].value: r for r in sheet.iter_rows(min_row=2)}
    assert rows["DATA-22"][0].value == "Schools!K3"
    assert rows["DATA-22"][0].hyperlink.location == "Schools!K3"


def test_cell_references_and_text_never_become_formulas(tmp_path):
    data, problems = _damaged(tmp_path)
    cells = problem_cells(data, problems)
    assert cells[[p.code for p in problems].index("DATA-22")] == "Schools!K3"
    wb = openpyxl.load_workbook(io.BytesIO(marked_workbook(data, problems)))
    values = [c.value for row in wb[PROBLEMS_SHEET].iter_rows(min_row=2) for c in row]
    formulas = [c for row in wb[PROBLEMS_SHEET].iter_rows(min_row=2) for c in row if c.data_type == "f"]
    assert formulas == [] and len(values) == 9 * len(problems)


def test_a_column_named_by_its_letter_is_marked_in_that_column(tmp_path):
    # Schools T2:T3 hold values under no header (the header row is 1): the warning sits on T1, the
    # header cell to fill in. District C3 holds a value beside the field and value columns: on C3,
    # not on B3 where a field's problem goes (as the unknown field on row 9 still does).
    path = write(tmp_path / "w.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Schools"]["T2"], wb["Schools"]["T3"] = "note", 5
    wb["District"]["C3"] = "ask for Pat"
    wb["District"].append(["superintendent", "Dr. Who"])
    wb["District"].append(["LEA", "0100390"])  # a field typed in capitals, as a column letter is written
    wb.save(path)
    data, problems = path.read_bytes(), read_workbook(path).problems
    assert [(p.code, p.sheet, p.row, p.column) for p in problems] == [
        ("DATA-19", "District", 3, "C"), ("DATA-19", "District", 9, "superintendent"),
        ("DATA-19", "District", 10, "LEA"), ("DATA-19", "Schools", 1, "T")]
    assert problem_cells(data, problems) == ["District!C3", "District!B9", "District!B10", "Schools!T1"]
    marked = openpyxl.load_workbook(io.BytesIO(marked_workbook(data, problems)))
    for ref, said in (("District!C3", "The column C has values, but the District sheet is read only"),
                      ("District!B9", "The field 'superintendent' is not part of the template"),
                      ("District!B10", "The field 'LEA' is not part of the template"),
                      ("Schools!T1", "The column T has values but no header in row 1")):
        title, coordinate = ref.split("!")
        cell = marked[title][coordinate]
        assert cell.fill.fill_type == "solid" and cell.fill.start_color.rgb.endswith(FILLS["warning"]), ref
        assert cell.comment.text.startswith(f"DATA-19 (warning): {title}, row ") and said in cell.comment.text, ref
    assert marked["District"]["B3"].fill.fill_type is None and marked["Schools"]["T2"].fill.fill_type is None
    links = [r[0].hyperlink.location for r in marked[PROBLEMS_SHEET].iter_rows(min_row=2)]
    assert links == ["District!C3", "District!B9", "District!B10", "Schools!T1"]


def test_refused_file_is_never_opened_and_gets_a_problems_sheet_only(tmp_path):
    hostile = b"not a zip at all, but a text file renamed"
    problems = read_workbook(hostile).problems
    assert [p.code for p in problems] == ["DATA-08"]
    wb = openpyxl.load_workbook(io.BytesIO(marked_workbook(hostile, problems)))
    assert wb.sheetnames == [PROBLEMS_SHEET]
    assert wb[PROBLEMS_SHEET]["C2"].value == "DATA-08"
    assert problem_cells(hostile, problems) == [None]


@pytest.mark.django_db
def test_web_downloads_of_original_and_marked_workbook_and_404_for_another_district(
        client, tmp_path, district_a, cycle, submitter_a, user_b):
    data, problems = _damaged(tmp_path)
    sub = SubmissionFactory(district=district_a, cycle=cycle, uploaded_by=submitter_a, status="rejected",
                            file=ContentFile(data, name="w.xlsx"))
    evaluation = EvaluationFactory(submission=sub, outcome="rejected")
    for p in problems:
        Problem.objects.create(evaluation=evaluation, code=p.code, severity=p.severity, sheet=p.sheet or "",
                               row=p.row, column=p.column or "", value=str(p.value or ""), message=p.message,
                               fix=p.fix)
    client.force_login(submitter_a)
    page = client.get(reverse("submission_detail", args=[sub.pk])).content.decode()
    assert reverse("workbook_marked", args=[sub.pk]) in page and reverse("workbook_original", args=[sub.pk]) in page
    original = client.get(reverse("workbook_original", args=[sub.pk]))
    assert original.status_code == 200 and original.content == data
    marked = client.get(reverse("workbook_marked", args=[sub.pk]))
    assert marked.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(marked.content))
    assert "DATA-22" in wb["Schools"]["K3"].comment.text
    client.force_login(user_b)
    assert client.get(reverse("workbook_original", args=[sub.pk])).status_code == 404
    assert client.get(reverse("workbook_marked", args=[sub.pk])).status_code == 404
