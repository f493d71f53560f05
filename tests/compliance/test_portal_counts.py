"""One count (issue 11): errors, warnings, findings and notes read the same on the home page, the
submission page, the e-mail and the PDF, for a real evaluation with data warnings and rule warnings."""
from __future__ import annotations

import io
import re
import subprocess
from collections import Counter
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from compliance import services, tasks
from compliance.demo import demo_workbook
from compliance.models import Problem, ReportKind
from compliance.states import SubmissionStatus as S
from compliance.workbook.template import write_workbook

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _zoned_with_a_data_warning(school_year: str, state_id: str) -> io.BytesIO:
    """The demo's zoned district (findings, rule warnings and notes) with one school's Budget row
    removed: a plausibility warning of the data (a school without a Budget row)."""
    data = demo_workbook("zoned", school_year)
    data.district.district_id = state_id
    data.budget = data.budget[1:]
    buffer = io.BytesIO()
    write_workbook(buffer, data)
    buffer.seek(0)
    return buffer


def _home_counts(html: str, submission) -> list[int]:
    row = re.search(rf'<th scope="row"><a href="{reverse("submission_detail", args=[submission.pk])}">.*?</tr>',
                    html, re.S)
    assert row, "the submission's row on the home page"
    return [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row.group(0))]


def _page_counts(html: str) -> dict[str, int]:
    block = re.search(r'<dl class="counts">(.*?)</dl>', html, re.S)
    assert block, "the counts on the submission page"
    return {k: int(v) for k, v in re.findall(r"<dt>(\w+)</dt><dd>(\d+)</dd>", block.group(1))}


def _pdf_text(report) -> str:
    with report.file.open("rb") as fh:
        out = subprocess.run(["pdftotext", "-", "-"], input=fh.read(), capture_output=True, check=True).stdout
    return " ".join(out.decode().split())


def test_home_page_submission_page_email_and_pdf_agree(client, submitter, certifier, district, cycle):
    with mock.patch.object(tasks.evaluate_submission, "delay"), mock.patch.object(tasks.send_notification, "delay"):
        submission = services.submission_create(district=district, cycle=cycle, uploaded_by=submitter,
                                                fileobj=_zoned_with_a_data_warning(cycle.school_year,
                                                                                   district.state_id),
                                                filename="riverside.xlsx")
    with mock.patch.object(tasks.render_report, "delay"), mock.patch.object(tasks.send_notification, "delay"):
        evaluation = services.submission_evaluate(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == S.EVALUATED

    # Worked out from the stored rows by the definition: warnings are the data's and the rules' together.
    problems = Counter(Problem.objects.filter(evaluation=evaluation).values_list("severity", flat=True))
    findings = Counter(evaluation.findings.values_list("severity", flat=True))
    assert problems["warning"] >= 1 and findings["warning"] >= 1 and findings["info"] >= 1  # every kind occurs
    expected = {"Errors": 0, "Warnings": problems["warning"] + findings["warning"],
                "Findings": findings["finding"], "Notes": findings["info"]}

    client.force_login(submitter)
    home = client.get(reverse("home")).content.decode()
    assert _home_counts(home, submission) == [expected[k] for k in ("Errors", "Warnings", "Findings", "Notes")]
    page = client.get(reverse("submission_detail", args=[submission.pk])).content.decode()
    assert _page_counts(page) == expected

    mail.outbox.clear()
    services.notification_deliver(notification_id=services.notification_queue(kind="evaluated",
                                                                               submission_id=submission.pk).pk)
    [message] = mail.outbox
    for label in ("Findings", "Warnings", "Notes"):
        assert f"{label}: {expected[label]}\n" in message.body

    report = services.report_generate(evaluation=evaluation, kind=ReportKind.EVALUATION)
    text = _pdf_text(report)
    sentence = (f"It records {expected['Findings']} findings (noncompliance that needs a corrective action), "
                f"{expected['Warnings']} warnings (concerns the district must explain) and "
                f"{expected['Notes']} notes.")
    assert sentence in text
    total = sum(expected.values())
    assert (f"All areas {expected['Errors']} {expected['Findings']} {expected['Warnings']} {expected['Notes']} "
            f"{total}") in text


def test_rejected_counts_agree_on_home_page_submission_page_and_email(client, submitter, district, cycle):
    data = _zoned_with_a_data_warning(cycle.school_year, district.state_id)
    workbook = load_workbook(data)
    schools = workbook["Schools"]
    header = [c.value for c in schools[1]]
    schools.cell(4, header.index("black") + 1).value = "12a"  # one error: a typo in a count
    broken = io.BytesIO()
    workbook.save(broken)
    broken.seek(0)
    with mock.patch.object(tasks.evaluate_submission, "delay"), mock.patch.object(tasks.send_notification, "delay"):
        submission = services.submission_create(district=district, cycle=cycle, uploaded_by=submitter,
                                                fileobj=broken, filename="riverside.xlsx")
    with mock.patch.object(tasks.render_report, "delay"), mock.patch.object(tasks.send_notification, "delay"):
        evaluation = services.submission_evaluate(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == S.REJECTED
    problems = Counter(evaluation.problems.values_list("severity", flat=True))
    assert problems["error"] >= 1 and not evaluation.findings.exists()
    expected = {"Errors": problems["error"], "Warnings": problems["warning"], "Findings": 0, "Notes": 0}

    client.force_login(submitter)
    home = client.get(reverse("home")).content.decode()
    assert _home_counts(home, submission) == [expected[k] for k in ("Errors", "Warnings", "Findings", "Notes")]
    assert _page_counts(client.get(reverse("submission_detail", args=[submission.pk])).content.decode()) == expected
    services.notification_deliver(notification_id=services.notification_queue(kind="rejected",
                                                                               submission_id=submission.pk).pk)
    body = mail.outbox[-1].body
    e, w = expected["Errors"], expected["Warnings"]
    assert f"{e} error{'s' if e != 1 else ''} must be fixed; {w} warning{'s' if w != 1 else ''}." in body
