"""The evaluation service on a real workbook: stored results, rejection, reproduction."""
from __future__ import annotations

import copy
import io
import tempfile
from pathlib import Path
from unittest import mock

import pytest

from compliance import services
from compliance.demo import demo_workbook, write_mistakes_sample
from compliance.models import AuditEvent, Evaluation, EvaluationOutcome, RuleSet, Submission
from compliance.models import SubmissionStatus as S
from compliance.workbook.template import write_workbook


def _upload(user, district, cycle, key="zoned", broken=False):
    data = demo_workbook(key, cycle.school_year)
    data.district.district_id = district.state_id
    buffer = io.BytesIO()
    if broken:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "b.xlsx"
            write_mistakes_sample(path, data)
            buffer = io.BytesIO(path.read_bytes())
    else:
        write_workbook(buffer, data)
        buffer.seek(0)
    with mock.patch("compliance.tasks.evaluate_submission.delay"):
        return services.submission_create(district=district, cycle=cycle, uploaded_by=user, fileobj=buffer,
                                           filename="w.xlsx")


@pytest.mark.django_db
def test_evaluation_stores_findings_and_moves_to_evaluated(submitter, district, cycle):
    submission = _upload(submitter, district, cycle)
    with mock.patch("compliance.tasks.render_report.delay"):
        evaluation = services.submission_evaluate(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == S.EVALUATED
    assert evaluation.rule_set_label == "State default v1"
    stored = list(evaluation.findings.values_list("rule", "school_id"))
    assert [(f["rule"], f["school_id"] or "") for f in evaluation.result["findings"]] == stored
    assert ("INT-02", "0316") in stored
    assert evaluation.problems.filter(severity="error").count() == 0


@pytest.mark.django_db
def test_blocking_problems_reject_with_sheet_row_column(submitter, district, cycle):
    submission = _upload(submitter, district, cycle, broken=True)
    evaluation = services.submission_evaluate(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == S.REJECTED and evaluation.outcome == "rejected"
    assert evaluation.findings.count() == 0
    typo = evaluation.problems.get(sheet="Schools", row=4, column="black")
    assert typo.value == "12a" and typo.severity == "error" and typo.fix


@pytest.mark.django_db
def test_workbook_for_another_district_is_rejected(submitter, district, cycle):
    data = demo_workbook("zoned", cycle.school_year)  # district_id 2611 matches the fixture...
    data.district.district_id = "9999"  # ...but this one claims another district
    buffer = io.BytesIO()
    write_workbook(buffer, data)
    buffer.seek(0)
    with mock.patch("compliance.tasks.evaluate_submission.delay"):
        submission = services.submission_create(district=district, cycle=cycle, uploaded_by=submitter,
                                                fileobj=buffer, filename="w.xlsx")
    evaluation = services.submission_evaluate(submission_id=submission.pk)
    assert evaluation.problems.filter(sheet="District", column="district_id", severity="error").exists()


@pytest.mark.django_db
def test_rerunning_an_old_evaluation_reproduces_it_after_the_rule_set_moved_on(submitter, district, cycle):
    submission = _upload(submitter, district, cycle)
    with mock.patch("compliance.tasks.render_report.delay"):
        evaluation = services.submission_evaluate(submission_id=submission.pk)
    # The state tightens its rules: a new version, used by nothing yet.
    params = copy.deepcopy(cycle.rule_set.params)
    params["INT-01"]["band"] = 0.05
    services.rule_set_new_version(rule_set=cycle.rule_set, params=params)
    again = services.evaluation_reproduce(evaluation=Evaluation.objects.get(pk=evaluation.pk))
    assert again["findings"] == evaluation.result["findings"]
    assert again["measures"] == evaluation.result["measures"]
    assert again["rule_set"] == {"name": "State default", "version": "1"}


@pytest.mark.django_db
def test_enrollment_jump_against_previous_accepted_submission_is_a_warning(submitter, district, cycle):
    first = _upload(submitter, district, cycle)
    with mock.patch("compliance.tasks.render_report.delay"):
        services.submission_evaluate(submission_id=first.pk)
    data = demo_workbook("zoned", cycle.school_year)
    carver = next(s for s in data.schools if s.school_id == "0316")
    scale = 2  # 395 -> 790 students: +100%
    for group in ("hispanic", "american_indian", "asian", "black", "pacific_islander", "white", "two_or_more",
                  "econ_disadvantaged", "enrollment_total"):
        setattr(carver, group, getattr(carver, group) * scale)
    carver.english_learners = None
    buffer = io.BytesIO()
    write_workbook(buffer, data)
    buffer.seek(0)
    with mock.patch("compliance.tasks.evaluate_submission.delay"):
        second = services.submission_create(district=district, cycle=cycle, uploaded_by=submitter, fileobj=buffer,
                                            filename="v2.xlsx")
    with mock.patch("compliance.tasks.render_report.delay"):
        evaluation = services.submission_evaluate(submission_id=second.pk)
    warning = evaluation.problems.get(code="DATA-40")
    assert warning.severity == "warning" and warning.sheet == "Schools"
    assert Submission.objects.get(pk=first.pk).status == S.SUPERSEDED


@pytest.mark.django_db
def test_evaluating_freezes_the_rule_set_version_it_used(submitter, district, cycle):
    RuleSet.objects.filter(pk=cycle.rule_set_id).update(frozen=False)  # e.g. a cycle created ahead of time
    submission = _upload(submitter, district, cycle)
    with mock.patch("compliance.tasks.render_report.delay"):
        services.submission_evaluate(submission_id=submission.pk)
    assert RuleSet.objects.get(pk=cycle.rule_set_id).frozen


@pytest.mark.django_db
def test_a_system_failure_tells_the_district_plainly_and_keeps_details_internal(submitter, district, cycle):
    submission = _upload(submitter, district, cycle)
    with mock.patch("compliance.pipeline.evaluate_path", side_effect=OSError("/srv/secret/storage unreachable")):
        with pytest.raises(OSError):
            services.submission_evaluate(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == S.FAILED
    note = AuditEvent.objects.filter(submission=submission, to_status=S.FAILED).get().note
    assert note == services.FAILURE_NOTE and "secret" not in note
    evaluation = Evaluation.objects.get(submission=submission)
    assert evaluation.outcome == EvaluationOutcome.ERROR and "/srv/secret/storage" in evaluation.error
