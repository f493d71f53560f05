"""Every export is safe against formula injection, and the public cycle export suppresses like the PDF."""
from __future__ import annotations

import csv
import io
import zipfile
from unittest import mock

import openpyxl
import pytest

from compliance import services
from compliance.demo import demo_workbook
from compliance.models import Submission
from compliance.models import SubmissionStatus as S
from compliance.reports.spreadsheet_safety import safe_cell, safe_text
from compliance.workbook.template import write_workbook
from districts.models import Role
from tests.api.conftest import Api, get_token
from tests.factories import (
    DistrictFactory,
    EvaluationFactory,
    FindingFactory,
    ReportingCycleFactory,
    SchoolFactory,
    SubmissionFactory,
    user_factory,
)

DANGEROUS = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-2+3 Academy", "@SUM(A1) Middle",
             "\tTabbed Elementary", "\rReturn High"]
# Whitespace before the formula: spreadsheets skip it, so these are formulas too (issue 14).
WHITESPACE_LED = [' =HYPERLINK("http://evil.example","x")', "   +1+2 Academy", "\u00a0@SUM(A1) Middle",
                  " \t-2+3 Elementary", "\n=1+1 High", "\uff1d1+1 Full-width"]
STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def _formula_like(cell: str) -> bool:
    """What a spreadsheet could read as a formula, worked out here independently of safe_text."""
    return cell.lstrip(" \t\r\n\u00a0").startswith(STARTS)


@pytest.mark.parametrize("text", DANGEROUS)
def test_safe_text_prefixes_an_apostrophe(text):
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("text", WHITESPACE_LED)
def test_safe_text_neutralizes_a_formula_after_leading_whitespace(text):
    assert safe_text(text) == "'" + text


def test_safe_cell_leaves_harmless_text_and_numbers():
    assert safe_text("Carver Elementary") == "Carver Elementary"
    assert safe_text("  Carver Elementary") == "  Carver Elementary"
    assert [safe_cell(v) for v in (-3, 0.412, None, True)] == [-3, 0.412, None, True]
    # Text that is exactly a number is no formula: it stays as it is (a spreadsheet reads a number).
    assert [safe_text(v) for v in ("-12", "+3.5", "-0.25", "1e-3", "-.5")] == ["-12", "+3.5", "-0.25", "1e-3", "-.5"]
    assert [safe_text(v) for v in ("-", "-12+1", "- 12", "-12 students")] == ["'-", "'-12+1", "'- 12", "'-12 students"]


def _export(cycle, variant: str, fmt: str, table: str | None = None) -> bytes:
    return services.cycle_export(cycle=cycle, variant=variant, fmt=fmt, table=table)[0]


def _csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.fixture
def hostile_cycle(db):
    cycle = ReportingCycleFactory()
    district = DistrictFactory(name=DANGEROUS[0], region=DANGEROUS[3])
    for i, name in enumerate(DANGEROUS):
        SchoolFactory(district=district, school_id=f"{i:04d}", name=name)
    # Decided: the public variant prints only results the state has decided.
    ev = EvaluationFactory(submission=SubmissionFactory(district=district, cycle=cycle, status=S.DECIDED))
    FindingFactory(evaluation=ev, school_id="0001", message="-5 points below the band", rule="INT-02")
    FindingFactory(evaluation=ev, school_id="0002", message="=1+1", rule="INT-01")
    return cycle


@pytest.mark.parametrize("variant", ["state", "public"])
def test_cycle_csv_neutralizes_formula_text(hostile_cycle, variant):
    districts = _csv_rows(_export(hostile_cycle, variant, "csv", "districts"))
    header, row = districts[0], districts[1]
    assert row[header.index("district_name")] == "'" + DANGEROUS[0]
    assert row[header.index("region")] == "'" + DANGEROUS[3]
    assert row[header.index("multigroup_d")] == "0.412"  # a number, no apostrophe
    findings = _csv_rows(_export(hostile_cycle, variant, "csv", "findings"))
    names = [r[findings[0].index("school_name")] for r in findings[1:]]
    assert names == ["'" + DANGEROUS[1], "'" + DANGEROUS[2]]
    for line in findings[1:] + districts[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in line), line
    if variant == "state":
        messages = [r[findings[0].index("message")] for r in findings[1:]]
        assert messages == ["'-5 points below the band", "'=1+1"]


def test_cycle_csv_zip_holds_both_tables(hostile_cycle):
    body, content_type, name = services.cycle_export(cycle=hostile_cycle, variant="state", fmt="csv")
    assert content_type == "application/zip" and name == "cycle-2026-27-state-csv.zip"
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.namelist() == ["cycle-2026-27-state-districts.csv", "cycle-2026-27-state-findings.csv"]
    assert _csv_rows(archive.read("cycle-2026-27-state-districts.csv"))[1][1] == "'" + DANGEROUS[0]


@pytest.mark.parametrize("variant", ["state", "public"])
def test_cycle_xlsx_neutralizes_formula_text_and_keeps_numbers(hostile_cycle, variant):
    body, content_type, name = services.cycle_export(cycle=hostile_cycle, variant=variant, fmt="xlsx")
    assert name == f"cycle-2026-27-{variant}.xlsx" and content_type.endswith("spreadsheetml.sheet")
    wb = openpyxl.load_workbook(io.BytesIO(body))
    assert wb.sheetnames == ["Districts", "Findings"]
    districts = wb["Districts"]
    header = [c.value for c in districts[1]]
    row = districts[2]
    assert row[header.index("district_name")].value == "'" + DANGEROUS[0]
    assert row[header.index("district_name")].data_type == "s"
    mg = row[header.index("multigroup_d")]
    assert mg.value == 0.412 and mg.data_type == "n"
    assert row[header.index("findings_INT-01")].value == 1 and row[header.index("schools")].value == 7
    for sheet in wb:
        for line in sheet.iter_rows():
            for cell in line:
                assert cell.data_type != "f"
                assert not (isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@", "\t", "\r")))


def test_web_downloads_are_the_exports(client, hostile_cycle):
    client.force_login(user_factory(Role.STATE_REVIEWER))
    response = client.get(f"/statewide/{hostile_cycle.pk}/export/public.csv", {"table": "findings"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="cycle-2026-27-public-findings.csv"' in response["Content-Disposition"]
    assert response.content == _export(hostile_cycle, "public", "csv", "findings")
    assert client.get(f"/statewide/{hostile_cycle.pk}/export/secret.csv").status_code == 403
    assert client.get(f"/statewide/{hostile_cycle.pk}/export/state.pdf").status_code == 404


# --- With a real evaluated workbook -------------------------------------------------------------


@pytest.fixture
def evaluated(submitter, district, cycle):
    """The zoned demo district with hostile school names and Carver at 7 Hispanic students (a small cell)."""
    data = demo_workbook("zoned", cycle.school_year)
    data.district.district_id = district.state_id
    for school, name in zip(data.schools, DANGEROUS[1:]):
        school.school_name = name
    carver = next(s for s in data.schools if s.school_id == "0316")
    moved = carver.hispanic - 7
    carver.hispanic, carver.black = 7, carver.black + moved
    buffer = io.BytesIO()
    write_workbook(buffer, data)
    buffer.seek(0)
    with mock.patch("compliance.tasks.evaluate_submission.delay"):
        submission = services.submission_create(district=district, cycle=cycle, uploaded_by=submitter,
                                                fileobj=buffer, filename="w.xlsx")
    with mock.patch("compliance.tasks.render_report.delay"):
        evaluation = services.submission_evaluate(submission_id=submission.pk)
    return submission, evaluation, data


@pytest.mark.django_db
def test_per_submission_csv_exports_neutralize_school_names(evaluated):
    _, evaluation, data = evaluated
    rows = list(csv.DictReader(io.StringIO(
        services.report_export_csv(evaluation=evaluation, kind="schools").decode("utf-8-sig"))))
    names = {r["school_id"]: r["school_name"] for r in rows}
    for school, name in zip(data.schools, DANGEROUS[1:]):
        # The reader strips a leading tab or carriage return; what is left is still neutralized.
        assert names[school.school_id] == safe_text(name.strip())
    assert [names[s.school_id] for s in data.schools[:3]] == ["'" + n for n in DANGEROUS[1:4]]
    assert all(not v.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for v in r.values())
    findings = services.report_export_csv(evaluation=evaluation, kind="findings").decode("utf-8-sig")
    assert all(not v.startswith(("=", "+", "-", "@", "\t", "\r"))
               for r in csv.DictReader(io.StringIO(findings)) for v in r.values())


@pytest.mark.django_db
def test_public_variant_suppresses_what_the_pdf_suppresses(evaluated, cycle):
    submission, evaluation, _ = evaluated
    Submission.objects.filter(pk=submission.pk).update(status=S.DECIDED)  # public: decided results only
    pdf_rows = list(csv.DictReader(io.StringIO(
        services.report_export_csv(evaluation=evaluation, kind="findings").decode("utf-8-sig"))))
    public = list(csv.DictReader(io.StringIO(
        _export(cycle, "public", "csv", "findings").decode("utf-8-sig"))))
    state = list(csv.DictReader(io.StringIO(
        _export(cycle, "state", "csv", "findings").decode("utf-8-sig"))))
    keys = ("rule", "school_id", "message", "evidence", "threshold")
    assert [tuple(r[k] for k in keys) for r in public] == [tuple(r[k] for k in keys) for r in pdf_rows]
    carver_public = [r for r in public if r["school_id"] == "0316"]
    carver_state = [r for r in state if r["school_id"] == "0316"]
    assert carver_public and all(" 7 " not in f" {r['evidence']} " for r in carver_public)
    stored = [f.message for f in evaluation.findings.order_by("pk")]
    assert [r["message"] for r in state] == [safe_text(m) for m in stored]
    # The state variant prints Carver's exact count somewhere the public one hides it.
    assert any("7" in r["evidence"] for r in carver_state)
    assert submission.district.name in {r["district_name"] for r in public}


@pytest.mark.django_db
def test_prefilled_template_stores_formula_like_names_as_text(cycle):
    data = demo_workbook("zoned", cycle.school_year)
    data.schools[0].school_name = DANGEROUS[0]
    data.district.district_name = "=1+1 County"
    buffer = io.BytesIO()
    write_workbook(buffer, data)
    wb = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value in (DANGEROUS[0], "=1+1 County")]
    assert len(cells) == 2 and all(c.data_type == "s" for c in cells)


@pytest.fixture
def whitespace_cycle(db):
    """Directory names with whitespace before a formula; one finding per school, exact numbers beside them."""
    cycle = ReportingCycleFactory()
    district = DistrictFactory(name=WHITESPACE_LED[0], region=WHITESPACE_LED[2])
    ev = EvaluationFactory(submission=SubmissionFactory(district=district, cycle=cycle))
    for i, name in enumerate(WHITESPACE_LED):
        SchoolFactory(district=district, school_id=f"{i:04d}", name=name)
        FindingFactory(evaluation=ev, school_id=f"{i:04d}", message=WHITESPACE_LED[-1 - i], rule="INT-02")
    return cycle


def test_cycle_csv_neutralizes_formulas_after_whitespace(whitespace_cycle):
    districts = _csv_rows(_export(whitespace_cycle, "state", "csv", "districts"))
    header, row = districts[0], districts[1]
    assert row[header.index("district_name")] == "'" + WHITESPACE_LED[0]
    assert row[header.index("region")] == "'" + WHITESPACE_LED[2]
    assert row[header.index("multigroup_d")] == "0.412" and row[header.index("findings_INT-02")] == "6"
    findings = _csv_rows(_export(whitespace_cycle, "state", "csv", "findings"))
    head = findings[0]
    assert [r[head.index("school_name")] for r in findings[1:]] == ["'" + n for n in WHITESPACE_LED]
    assert [r[head.index("message")] for r in findings[1:]] == ["'" + n for n in reversed(WHITESPACE_LED)]
    assert not [cell for line in findings[1:] + districts[1:] for cell in line if _formula_like(cell)]


def test_cycle_xlsx_neutralizes_formulas_after_whitespace_and_keeps_numbers(whitespace_cycle):
    wb = openpyxl.load_workbook(io.BytesIO(_export(whitespace_cycle, "state", "xlsx")))
    districts = wb["Districts"]
    header = [c.value for c in districts[1]]
    row = districts[2]
    assert row[header.index("district_name")].value == "'" + WHITESPACE_LED[0]
    assert row[header.index("findings_INT-02")].value == 6 and row[header.index("findings_INT-02")].data_type == "n"
    assert row[header.index("multigroup_d")].value == 0.412 and row[header.index("multigroup_d")].data_type == "n"
    findings = wb["Findings"]
    head = [c.value for c in findings[1]]
    names = [line[head.index("school_name")] for line in findings.iter_rows(min_row=2)]
    assert [c.value for c in names] == ["'" + n for n in WHITESPACE_LED] and {c.data_type for c in names} == {"s"}
    for sheet in wb:
        for line in sheet.iter_rows():
            assert not [c for c in line if c.data_type == "f" or (isinstance(c.value, str) and _formula_like(c.value))]


@pytest.mark.django_db
def test_public_cycle_export_carries_only_decided_results(client):
    """A draft, a certified submission and one in review or awaiting sign-off: row and stage, no results."""
    cycle = ReportingCycleFactory()
    stages = {}
    for status in (S.EVALUATED, S.CERTIFIED, S.IN_REVIEW, S.AWAITING_SIGN_OFF, S.DECIDED):
        district = DistrictFactory(name=f"District {status}")
        ev = EvaluationFactory(submission=SubmissionFactory(district=district, cycle=cycle, status=status))
        FindingFactory(evaluation=ev, scope="district", school_id="", message=f"Draft finding of {status}",
                       rule="INT-05")
        stages[district.name] = status
    findings = _csv_rows(_export(cycle, "public", "csv", "findings"))
    assert [(r[1], r[8]) for r in findings[1:]] == [("District decided", "Draft finding of decided")]
    districts = list(csv.DictReader(io.StringIO(_export(cycle, "public", "csv", "districts").decode("utf-8-sig"))))
    by_name = {r["district_name"]: r for r in districts}
    assert [(n, by_name[n]["status"], by_name[n]["findings_INT-05"], by_name[n]["multigroup_d"]) for n in stages] == [
        ("District evaluated", "Evaluated, not certified", "", ""),
        ("District certified", "Certified, waiting for review", "", ""),
        ("District in_review", "In review", "", ""),
        ("District awaiting_sign_off", "In review", "", ""),
        ("District decided", "Decided", "1", by_name["District decided"]["multigroup_d"]),
    ]
    assert by_name["District decided"]["multigroup_d"] != ""
    body = _export(cycle, "public", "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(body))["Findings"]
    assert [row[8] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Draft finding of decided"]
    # The state's own variant still carries every result.
    assert len(_csv_rows(_export(cycle, "state", "csv", "findings"))) == 6
    # The same through the web download and the API (state staff only).
    staff = user_factory(Role.STATE_REVIEWER)
    client.force_login(staff)
    web = client.get(f"/statewide/{cycle.pk}/export/public.csv?table=findings")
    assert [r[8] for r in _csv_rows(b"".join(web.streaming_content if web.streaming else [web.content]))[1:]] == [
        "Draft finding of decided"]
    api = Api(client, get_token(client, staff.username))
    answer = api.get(f"/api/v1/cycles/{cycle.pk}/export?variant=public&format=csv&table=findings")
    assert answer.status_code == 200
    assert [r[8] for r in _csv_rows(b"".join(answer.streaming_content if answer.streaming else [answer.content]))[1:]
            ] == ["Draft finding of decided"]
