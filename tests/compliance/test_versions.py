"""A returned submission and its next version (issue 11): the return carried over, findings and measures compared."""
from __future__ import annotations

import io
from unittest import mock

import pytest
from django.urls import reverse

from compliance import services
from compliance.models import Evaluation, EvaluationOutcome, Finding
from compliance.services.portal import version_comparison
from compliance.states import SubmissionStatus as S

pytestmark = pytest.mark.django_db


def _upload(user, district, cycle, data):
    with mock.patch("compliance.tasks.evaluate_submission.delay"), \
            mock.patch("compliance.tasks.send_notification.delay"):
        return services.submission_create(district=district, cycle=cycle, uploaded_by=user, fileobj=io.BytesIO(data),
                                          filename="w.xlsx")


def _evaluate(submission, rule_set, findings, multigroup_d):
    """Store an accepted evaluation with ``findings`` [(rule, school, severity)] as the worker would."""
    services.submission_transition(submission=submission, to=S.VALIDATING, action="evaluation_started")
    evaluation = Evaluation.objects.create(
        submission=submission, rule_set=rule_set, rule_set_label=rule_set.label, outcome=EvaluationOutcome.ACCEPTED,
        measures={"district": {"dissimilarity": {"multigroup": multigroup_d}, "enrollment_total": 4200}})
    for rule, school, severity in findings:
        Finding.objects.create(evaluation=evaluation, rule=rule, severity=severity, scope="school" if school else
                               "district", school_id=school, message=f"{rule} at {school}")
    with mock.patch("compliance.tasks.send_notification.delay"):
        services.submission_transition(submission=submission, to=S.EVALUATED, action="evaluation_finished")
    return evaluation


def test_return_then_new_version_compares_findings_and_measures(client, submitter, certifier, reviewer, district,
                                                                 cycle, rule_set):
    first = _upload(submitter, district, cycle, b"PK\x03\x04 v1")
    _evaluate(first, rule_set, [("INT-01", "0311", "finding"), ("INT-02", "0316", "finding"),
                                ("RES-01", "0314", "warning"), ("INT-06", "", "info")], 0.412)
    services.submission_certify(submission=first, user=certifier, full_name="Pat Lee", title="Superintendent")
    services.submission_claim(submission=first, user=reviewer)
    services.submission_return(submission=first, user=reviewer, note="Correct the Carver enrollment (0316).")

    second = _upload(submitter, district, cycle, b"PK\x03\x04 v2")
    first.refresh_from_db()
    assert first.status == S.SUPERSEDED
    # v2: Carver's INT-02 resolved, North Hills' INT-01 unchanged, a new RES-02 at 0314.
    _evaluate(second, rule_set, [("INT-01", "0311", "finding"), ("RES-01", "0314", "warning"),
                                 ("RES-02", "0314", "finding")], 0.298)

    comparison = version_comparison(submission=second)
    assert comparison["previous"] == first
    assert comparison["return_note"] == "Correct the Carver enrollment (0316)."
    assert comparison["added"] == [("RES-02", "0314")]
    assert comparison["resolved"] == [("INT-02", "0316")]
    assert comparison["unchanged"] == [("INT-01", "0311"), ("RES-01", "0314")]  # notes (info) not compared
    measures = {label: (before, after) for label, before, after in comparison["measures"]}
    assert measures["Enrolled students"] == ("4,200", "4,200")
    multigroup = [v for k, v in measures.items() if "ultigroup" in k]
    assert multigroup == [("0.412", "0.298")]

    client.force_login(submitter)
    page = client.get(reverse("submission_detail", args=[second.pk])).content.decode()
    assert f'Compared with <a href="/submissions/{first.pk}/">version 1</a>, which this version replaces' in page
    assert "1 added, 1 resolved, 2 unchanged" in page
    assert "Correct the Carver enrollment (0316)." in page
    # The returned version still shows the state's return after it was superseded.
    old_page = client.get(reverse("submission_detail", args=[first.pk])).content.decode()
    assert ("The state returned this version for revision: required actions</strong></p> "
            "<p>Correct the Carver enrollment (0316).</p>") in " ".join(old_page.split())


def test_first_version_has_no_comparison(submitter, district, cycle):
    assert version_comparison(submission=_upload(submitter, district, cycle, b"PK\x03\x04 v1")) is None


def test_a_version_after_a_rejected_one_says_there_is_nothing_to_compare(client, submitter, district, cycle,
                                                                         rule_set):
    first = _upload(submitter, district, cycle, b"PK\x03\x04 first")
    services.submission_transition(submission=first, to=S.VALIDATING, action="evaluation_started")
    Evaluation.objects.create(submission=first, rule_set=rule_set, rule_set_label=rule_set.label,
                              outcome=EvaluationOutcome.REJECTED)
    with mock.patch("compliance.tasks.send_notification.delay"):
        services.submission_transition(submission=first, to=S.REJECTED, action="evaluation_finished")
    second = _upload(submitter, district, cycle, b"PK\x03\x04 second")
    _evaluate(second, rule_set, [("INT-01", "0311", "finding")], 0.41)
    assert version_comparison(submission=second)["previous_evaluated"] is False
    client.force_login(submitter)
    html = client.get(reverse("submission_detail", args=[second.pk])).content.decode()
    assert "Version 1 was never evaluated (it did not pass the data checks), so it has no findings to compare with." \
        in html
