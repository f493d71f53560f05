"""The problems table (issue 11): sorted by sheet, row, code or severity, each problem with its cell,
a page at a time, and exported as CSV and XLSX with no text read as a formula."""
from __future__ import annotations

import csv
import io
import re
from unittest import mock

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from compliance import services, tasks
from compliance.demo import demo_workbook, write_mistakes_sample
from compliance.models import EvaluationOutcome
from compliance.states import SubmissionStatus as S
from compliance.views import PROBLEMS_PER_PAGE
from tests.factories import EvaluationFactory, ProblemFactory, SubmissionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rejected(district, cycle, submitter):
    """Five problems in an order that no sort keeps: (code, severity, sheet, row)."""
    sub = SubmissionFactory(district=district, cycle=cycle, uploaded_by=submitter, status=S.REJECTED)
    ev = EvaluationFactory(submission=sub, outcome=EvaluationOutcome.REJECTED)
    for code, severity, sheet, row in [("DATA-30", "warning", "Schools", 9), ("DATA-21", "error", "Budget", 3),
                                       ("DATA-07", "error", "Schools", 4), ("DATA-02", "error", "", None),
                                       ("DATA-41", "warning", "Budget", 12)]:
        ProblemFactory(evaluation=ev, code=code, severity=severity, sheet=sheet, row=row)
    return sub


def _codes(client, sub, sort: str) -> list[str]:
    response = client.get(reverse("submission_detail", args=[sub.pk]), {"problem_sort": sort})
    return [p.code for p, _cell in response.context["problem_rows"]]


@pytest.mark.parametrize(("sort", "expected"), [
    # Ties are broken by the other keys. The whole-file problem (no sheet, no row) sorts first by sheet
    # (and so among the errors), last by row either way.
    ("", ["DATA-30", "DATA-21", "DATA-07", "DATA-02", "DATA-41"]),  # as the checks found them
    ("code", ["DATA-02", "DATA-07", "DATA-21", "DATA-30", "DATA-41"]),
    ("-code", ["DATA-41", "DATA-30", "DATA-21", "DATA-07", "DATA-02"]),
    ("severity", ["DATA-02", "DATA-21", "DATA-07", "DATA-41", "DATA-30"]),  # errors first, then by sheet and row
    ("-severity", ["DATA-41", "DATA-30", "DATA-02", "DATA-21", "DATA-07"]),
    ("sheet", ["DATA-02", "DATA-21", "DATA-41", "DATA-07", "DATA-30"]),  # "" sorts before "Budget"
    ("row", ["DATA-21", "DATA-07", "DATA-30", "DATA-41", "DATA-02"]),
    ("-row", ["DATA-41", "DATA-30", "DATA-07", "DATA-21", "DATA-02"]),
    ("nonsense", ["DATA-30", "DATA-21", "DATA-07", "DATA-02", "DATA-41"]),
])
def test_problems_sort_by_each_column(client, submitter, rejected, sort, expected):
    client.force_login(submitter)
    assert _codes(client, rejected, sort) == expected


def test_sort_headers_say_their_order_and_reverse_it(client, submitter, rejected):
    client.force_login(submitter)
    url = reverse("submission_detail", args=[rejected.pk])
    html = client.get(url, {"problem_sort": "code", "severity": "error"}).content.decode()
    # The sorted column is announced and its link reverses; the filter is kept in every link.
    assert re.search(r'<th scope="col" aria-sort="ascending"><a class="sort" href="\?[^"]*problem_sort=-code', html)
    assert "severity=error" in re.search(r'<a class="sort" href="([^"]*problem_sort=row[^"]*)"', html).group(1)
    assert "Data problems in the workbook, sorted by code" in html
    html = client.get(url, {"problem_sort": "-code"}).content.decode()
    assert 'aria-sort="descending"' in html and "sorted by code (reversed)" in html


def test_each_problem_names_its_cell_beside_the_header(client, submitter, district, cycle, tmp_path):
    path = tmp_path / "mistakes.xlsx"
    data = demo_workbook("zoned", cycle.school_year)
    data.district.district_id = district.state_id
    write_mistakes_sample(path, data)
    workbook = load_workbook(path)
    header = [c.value for c in workbook["Schools"][1]]
    black = f"Schools!{get_column_letter(header.index('black') + 1)}4"  # the typo "12a" (compliance/demo.py)
    # The District sheet lists fields (name in column A, value in column B): the value's cell is meant.
    email_row = next(r[0].row for r in workbook["District"].iter_rows() if r[0].value == "contact_email")
    with mock.patch.object(tasks.evaluate_submission, "delay"), mock.patch.object(tasks.send_notification, "delay"):
        sub = services.submission_create(district=district, cycle=cycle, uploaded_by=submitter,
                                         fileobj=io.BytesIO(path.read_bytes()), filename="mistakes.xlsx")
    with mock.patch.object(tasks.send_notification, "delay"):
        services.submission_evaluate(submission_id=sub.pk)
    client.force_login(submitter)
    response = client.get(reverse("submission_detail", args=[sub.pk]))
    cells = {(p.sheet, p.row, p.column): cell for p, cell in response.context["problem_rows"]}
    assert cells[("Schools", 4, "black")] == black
    assert cells[("District", email_row, "contact_email")] == f"District!B{email_row}"
    html = response.content.decode()
    assert f'<td>black</td>\n            <td><code class="cellref">{black}</code></td>' in html


def test_problems_come_a_page_at_a_time(client, submitter, district, cycle):
    sub = SubmissionFactory(district=district, cycle=cycle, uploaded_by=submitter, status=S.REJECTED)
    ev = EvaluationFactory(submission=sub, outcome=EvaluationOutcome.REJECTED)
    for i in range(PROBLEMS_PER_PAGE + 5):
        ProblemFactory(evaluation=ev, row=i + 2)
    client.force_login(submitter)
    url = reverse("submission_detail", args=[sub.pk])
    first = client.get(url, {"problem_sort": "-row"})
    assert len(first.context["problem_rows"]) == PROBLEMS_PER_PAGE
    assert first.context["problem_rows"][0][0].row == PROBLEMS_PER_PAGE + 6
    assert f"Showing problems 1 to {PROBLEMS_PER_PAGE} of {PROBLEMS_PER_PAGE + 5}." in first.content.decode()
    second = client.get(url, {"problem_sort": "-row", "problem_page": 2})
    assert [p.row for p, _ in second.context["problem_rows"]] == [6, 5, 4, 3, 2]
    assert "Page 2 of 2" in second.content.decode()


HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)"]


@pytest.fixture
def hostile(district, cycle, submitter):
    sub = SubmissionFactory(district=district, cycle=cycle, uploaded_by=submitter, status=S.REJECTED)
    ev = EvaluationFactory(submission=sub, outcome=EvaluationOutcome.REJECTED)
    for i, value in enumerate(HOSTILE):
        ProblemFactory(evaluation=ev, code=f"DATA-2{i}", value=value, message=f"{value} is not a count.",
                       severity="warning" if i % 2 else "error", row=10 - i)
    return sub


def test_csv_export_is_sorted_filtered_and_formula_safe(client, submitter, hostile):
    client.force_login(submitter)
    response = client.get(reverse("problems_download", args=[hostile.pk, "csv"]),
                          {"problem_sort": "row", "severity": "error"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{hostile.district.state_id}-{hostile.cycle.school_year}-v{hostile.version}'
        '-problems.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Cell", "Severity", "Code", "Sheet", "Row", "Column", "Value", "Problem", "How to fix it"]
    # Errors only (values 0 and 2), lowest row first; each text that would be a formula starts with '.
    assert [(r[2], r[4], r[6]) for r in rows[1:]] == [("DATA-22", "8", "'-2+3"), ("DATA-20", "10", "'" + HOSTILE[0])]
    assert rows[2][7] == "'" + HOSTILE[0] + " is not a count."


def test_xlsx_export_keeps_every_text_as_text(client, submitter, hostile):
    client.force_login(submitter)
    response = client.get(reverse("problems_download", args=[hostile.pk, "xlsx"]), {"problem_sort": "code"})
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content))["Problems"]
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert [v[2] for v in values] == ["DATA-20", "DATA-21", "DATA-22", "DATA-23"]
    assert [v[6] for v in values] == ["'" + h for h in HOSTILE]
    assert [v[4] for v in values] == [10, 9, 8, 7]  # numbers stay numbers
    assert all(c.data_type == "s" for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str))


def test_exports_refuse_other_districts_and_unknown_formats(client, user_b, submitter, hostile):
    client.force_login(user_b)
    assert client.get(reverse("problems_download", args=[hostile.pk, "csv"])).status_code == 404
    client.force_login(submitter)
    assert client.get(reverse("problems_download", args=[hostile.pk, "pdf"])).status_code == 404
    page = client.get(reverse("submission_detail", args=[hostile.pk]), {"problem_sort": "row"}).content.decode()
    assert f'{reverse("problems_download", args=[hostile.pk, "csv"])}?problem_sort=row' in page
