"""The review page: district context, severity changes, confirming a whole rule, returns with required actions."""
from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from compliance import services
from compliance.models import (
    AuditEvent,
    Certification,
    Decision,
    DecisionOutcome,
    Finding,
    RequiredAction,
    ReviewStatus,
    Submission,
)
from compliance.models import SubmissionStatus as S
from compliance.services.review import finding_review, finding_severity_change, findings_confirm_rule
from tests.factories import (
    EvaluationFactory,
    FindingFactory,
    ReportingCycleFactory,
    SchoolFactory,
    SubmissionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(district, cycle, reviewer, certifier):
    """In review with ``reviewer``: two INT-01 findings, an INT-02 finding, a RES-01 warning and a note."""
    sub = SubmissionFactory(district=district, cycle=cycle, status=S.IN_REVIEW, reviewer=reviewer)
    Certification.objects.create(submission=sub, certified_by=certifier, full_name="Pat Lee", title="Superintendent",
                                 attestation="I certify.", certified_at=timezone.now() - timedelta(days=33))
    SchoolFactory(district=district, school_id="0316", name="Carver Elementary")
    measures = {"district": {"schools": 24, "enrollment_total": 11250}, "bands": {}, "schools": []}
    evaluation = EvaluationFactory(submission=sub, measures=measures)
    for rule, school, severity in (("INT-01", "0311", "finding"), ("INT-01", "0316", "finding"),
                                   ("INT-02", "0316", "finding"), ("RES-01", "0311", "warning"),
                                   ("INT-06", "", "info")):
        FindingFactory(evaluation=evaluation, rule=rule, school_id=school, severity=severity,
                       scope="school" if school else "district", band="" if not school else "elementary")
    return sub


def _finding(sub, rule, school) -> Finding:
    return Finding.objects.get(evaluation__submission=sub, rule=rule, school_id=school)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- District context -------------------------------------------------------------------------


def test_state_staff_see_the_district_its_size_due_date_and_earlier_outcomes(client, held, reviewer, certifier):
    earlier = ReportingCycleFactory(school_year="2024-25", rule_set=held.cycle.rule_set)
    old = SubmissionFactory(district=held.district, cycle=earlier, status=S.DECIDED)
    Decision.objects.create(submission=old, outcome=DecisionOutcome.COMPLIANT_WITH_FINDINGS, note="n",
                            decided_by=reviewer)
    client.force_login(reviewer)
    html = " ".join(client.get(reverse("submission_detail", args=[held.pk])).content.decode().split())
    for text in ("<dt>Region</dt><dd>South</dd>", "<dt>NCES LEA id</dt><dd>2803300</dd>",
                 "<dt>Size</dt><dd>24 schools, 11,250 students (this workbook)</dd>",
                 "(3 days overdue) <strong class=\"overdue-tag\">Overdue</strong>",
                 "<dt>Reviewer</dt><dd>reviewer</dd>",
                 "<th scope=\"row\">2024-25</th>", "Compliant with findings: corrective action plan"):
        assert text in html, text
    client.force_login(certifier)
    html = client.get(reverse("submission_detail", args=[held.pk])).content.decode()
    assert "District and review" not in html and "NCES LEA id" not in html


# --- Severity -------------------------------------------------------------------------------------


def test_changing_a_severity_needs_a_reason_and_confirms_at_the_new_severity(held, reviewer, reviewer2):
    finding = _finding(held, "INT-02", "0316")
    with pytest.raises(ValidationError, match="Say why the severity changes"):
        finding_severity_change(finding=finding, user=reviewer, severity="warning", reason="  ")
    with pytest.raises(ValidationError, match="already a finding"):
        finding_severity_change(finding=finding, user=reviewer, severity="finding", reason="x")
    with pytest.raises(ValidationError, match="Only findings and warnings"):
        finding_severity_change(finding=_finding(held, "INT-06", ""), user=reviewer, severity="warning", reason="x")
    with pytest.raises(PermissionDenied):
        finding_severity_change(finding=finding, user=reviewer2, severity="warning", reason="x")
    finding_severity_change(finding=finding, user=reviewer, severity="warning", reason="Magnet school, by design.")
    finding.refresh_from_db()
    assert (finding.severity, finding.original_severity, finding.review_status, finding.review_note) == (
        "warning", "finding", "confirmed", "Severity changed from finding to warning: Magnet school, by design.")
    event = AuditEvent.objects.get(action="finding_severity_changed")
    assert event.note == "INT-02 0316: Severity changed from finding to warning: Magnet school, by design."
    # Confirming it again without a note keeps the reason; changing it back clears "was".
    finding_review(finding=finding, user=reviewer, status=ReviewStatus.CONFIRMED)
    assert finding.review_note.startswith("Severity changed from finding to warning")
    finding_severity_change(finding=finding, user=reviewer, severity="finding", reason="On reflection, no.")
    finding.refresh_from_db()
    assert (finding.severity, finding.original_severity) == ("finding", "")


def test_a_finding_made_a_warning_no_longer_bars_compliant(held, reviewer):
    for f in Finding.objects.filter(evaluation__submission=held).exclude(severity="info"):
        if f.severity == "finding":
            finding_severity_change(finding=f, user=reviewer, severity="warning", reason="Within the state's waiver.")
        else:
            finding_review(finding=f, user=reviewer, status=ReviewStatus.CONFIRMED)
    with mock.patch("compliance.tasks.render_report.delay"):
        decision = services.submission_decide(submission=held, user=reviewer, outcome=DecisionOutcome.COMPLIANT,
                                              note="Waivers apply.")
    assert decision.outcome == "compliant"


def test_severity_change_through_htmx_swaps_the_finding(client, held, reviewer, reviewer2):
    finding = _finding(held, "INT-01", "0311")
    client.force_login(reviewer)
    form_url, url = reverse("finding_severity_form", args=[finding.pk]), reverse("finding_severity", args=[finding.pk])
    page = client.get(reverse("submission_detail", args=[held.pk])).content.decode()
    assert f'<a href="{form_url}" class="change-severity" hx-get="{form_url}"' in page  # a link, not 500 forms
    assert f'action="{url}"' not in page
    html = client.get(form_url, headers={"HX-Request": "true"}).content.decode()
    assert html.lstrip().startswith(f'<tbody id="finding-{finding.pk}"') and f'action="{url}"' in html
    assert '<option value="warning">' in html and '<option value="finding">' not in html  # already a finding
    html = client.get(form_url).content.decode()  # without htmx: a page of its own
    assert "<h1>Change the severity of INT-01, North Hills Elementary (0311)</h1>" in html
    response = client.post(url, {"severity": "warning", "reason": ""}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tbody id="finding-{finding.pk}"')
    assert "Say why the severity changes." in html and f'action="{url}"' in html  # the form stays open
    response = client.post(url, {"severity": "warning", "reason": "Small school."}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "(was finding)" in html and "Saved." in html
    assert "Severity changed from finding to warning: Small school." in html
    response = client.post(url, {"severity": "finding", "reason": "Back."}, follow=True)
    assert _messages(response) == ["INT-01: severity changed to finding."]
    response = client.post(url, {"severity": "finding", "reason": "Again."}, follow=True)
    assert response.redirect_chain[-1][0] == form_url  # refused: back to the form, saying why
    assert _messages(response) == ["INT-01: It is already a finding."]
    client.force_login(reviewer2)
    assert client.get(form_url).status_code == 403
    # htmx: the reason in the row (base.html swaps 403s), never a whole 403 page inside the table.
    response = client.get(form_url, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 403 and html.lstrip().startswith(f'<tbody id="finding-{finding.pk}"')
    assert ('<span class="field-error" role="alert">Only the reviewer who claimed this submission (or a supervisor) '
            "may do this.</span>") in html
    assert "<html" not in html and f'action="{url}"' not in html


# --- Refused once the submission is no longer in review ----------------------------------------

NOT_IN_REVIEW = "The submission is not in review."


def _no_longer_in_review(sub, state: str) -> None:
    """Decided, or released to the queue and not claimed again (certified, nobody holding it)."""
    status, reviewer = {"decided": (S.DECIDED, sub.reviewer), "certified": (S.CERTIFIED, None)}[state]
    Submission.objects.filter(pk=sub.pk).update(status=status, reviewer=reviewer)


@pytest.mark.parametrize("who", ["reviewer", "supervisor"])
@pytest.mark.parametrize("state", ["decided", "certified"])
def test_the_severity_form_of_a_submission_no_longer_in_review_says_why(client, held, reviewer, supervisor, who,
                                                                         state):
    finding = _finding(held, "INT-01", "0311")
    _no_longer_in_review(held, state)
    client.force_login({"reviewer": reviewer, "supervisor": supervisor}[who])
    form_url, url = reverse("finding_severity_form", args=[finding.pk]), reverse("finding_severity", args=[finding.pk])
    back = reverse("submission_detail", args=[held.pk]) + f"#finding-{finding.pk}"
    # Without JavaScript: back to the finding on its page, the reason at the top.
    response = client.get(form_url)
    assert response.status_code == 302 and response["Location"] == back
    page = client.get(back)
    assert page.status_code == 200 and _messages(page) == [NOT_IN_REVIEW]
    assert f"<strong>Problem:</strong> {NOT_IN_REVIEW}" in page.content.decode()
    # htmx: the finding's row again, saying why, with no form.
    response = client.get(form_url, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith(f'<tbody id="finding-{finding.pk}"')
    assert f'<span class="field-error" role="alert">{NOT_IN_REVIEW}</span>' in html
    assert f'action="{url}"' not in html and "<html" not in html
    # A form left open from before: posting it lands on the finding, not on the refusing form page.
    response = client.post(url, {"severity": "warning", "reason": "Small school."})
    assert response.status_code == 302 and response["Location"] == back
    assert _messages(client.get(back)) == [f"INT-01: {NOT_IN_REVIEW}"]
    finding.refresh_from_db()
    assert (finding.severity, finding.review_status) == ("finding", ReviewStatus.OPEN)


@pytest.mark.parametrize("who", ["reviewer", "supervisor"])
@pytest.mark.parametrize("state", ["decided", "certified", "returned"])
def test_returning_a_submission_no_longer_in_review_says_why(client, held, reviewer, supervisor, who, state):
    client.force_login({"reviewer": reviewer, "supervisor": supervisor}[who])
    url, detail = reverse("submission_return", args=[held.pk]), reverse("submission_detail", args=[held.pk])
    if state == "returned":  # the first of two clicks on "Return for revision" returns it
        first = client.post(url, {"actions": "Fix the Budget sheet."}, follow=True)
        assert _messages(first) == ["Returned to the district for revision with the required actions."]
    else:
        _no_longer_in_review(held, state)
    status = Submission.objects.get(pk=held.pk).status
    actions = RequiredAction.objects.count()
    response = client.post(url, {"actions": "x"})
    assert response.status_code == 302 and response["Location"] == detail
    page = client.get(detail)
    assert page.status_code == 200 and _messages(page) == [NOT_IN_REVIEW]
    assert f"<strong>Problem:</strong> {NOT_IN_REVIEW}" in page.content.decode()
    assert Submission.objects.get(pk=held.pk).status == status
    assert RequiredAction.objects.count() == actions
    assert AuditEvent.objects.filter(submission=held, action="returned").count() == (state == "returned")


# --- Confirm a whole rule ----------------------------------------------------------------------


def test_confirm_every_open_finding_of_one_rule(client, held, reviewer, reviewer2, certifier):
    detail = reverse("submission_detail", args=[held.pk])
    FindingFactory(evaluation=held.latest_evaluation, rule="INT-01", school_id="0320", severity="finding")
    finding_review(finding=_finding(held, "INT-01", "0320"), user=reviewer, status=ReviewStatus.DISMISSED,
                   note="Closed in June.")
    client.force_login(reviewer)
    html = client.get(detail).content.decode()
    assert "Confirm all 2 open INT-01 findings</button>" in html
    assert "Confirm all 1 open INT-02 finding</button>" in html
    assert "open INT-06" not in html  # a note needs no disposition
    response = client.post(reverse("findings_confirm_rule", args=[held.pk]),
                           {"rule": "INT-01", "query": "rule=INT-01&finding_severity=finding"}, follow=True)
    assert _messages(response) == ["Confirmed 2 INT-01 findings."]
    assert response.redirect_chain[-1][0] == f"{detail}?rule=INT-01&finding_severity=finding#rule-int-01"
    statuses = dict(Finding.objects.filter(evaluation__submission=held, rule="INT-01")
                    .values_list("school_id", "review_status"))
    assert statuses == {"0311": "confirmed", "0316": "confirmed", "0320": "dismissed"}
    assert _finding(held, "INT-02", "0316").review_status == "open"
    event = AuditEvent.objects.get(action="finding_confirmed_all")
    assert (event.actor, event.note) == (reviewer, "INT-01: 2 confirmed at once (0311, 0316)")
    assert "Confirm all 2 open INT-01" not in response.content.decode()
    response = client.post(reverse("findings_confirm_rule", args=[held.pk]), {"rule": "INT-01"}, follow=True)
    assert _messages(response) == ["No open INT-01 findings are left to confirm."]
    for other in (reviewer2, certifier):
        client.force_login(other)
        assert "Confirm all" not in client.get(detail).content.decode()
    assert client.post(reverse("findings_confirm_rule", args=[held.pk]), {"rule": "INT-02"}).status_code == 403
    with pytest.raises(PermissionDenied):
        findings_confirm_rule(submission=held, user=reviewer2, rule="INT-02")


# --- Return with required actions ------------------------------------------------------------


def test_return_with_required_actions_one_per_line_some_about_a_finding(client, held, reviewer, certifier,
                                                                       django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client.force_login(reviewer)
    url = reverse("submission_return", args=[held.pk])
    response = client.post(url, {"actions": "INT-01 9999: Explain it"})
    assert response.status_code == 400
    assert "Line 1: this version has no INT-01 finding for \u201c9999\u201d.</a>" in response.content.decode()
    response = client.post(url, {"actions": "Fix the Budget sheet.\nINT-01: Explain it"})
    assert ("Line 2: this version has 2 INT-01 findings; name the school, band or "
            "\u201cdistrict\u201d after the rule, e.g. INT-01 0311: ...</a>") in response.content.decode()
    assert Submission.objects.get(pk=held.pk).status == S.IN_REVIEW and not RequiredAction.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"actions": "Add the Budget rows for every school.\n\n"
                                                "int-02 0316: Explain Carver's enrollment change\n"
                                                "- INT-06: Publish the lottery results"}, follow=True)
    assert _messages(response) == ["Returned to the district for revision with the required actions."]
    rows = list(RequiredAction.objects.order_by("position").values_list("position", "description", "finding_label"))
    assert rows == [(1, "Add the Budget rows for every school.", ""),
                    (2, "Explain Carver's enrollment change", "INT-02, Carver Elementary (0316)"),
                    (3, "Publish the lottery results", "INT-06, district")]
    note = ("1. Add the Budget rows for every school.\n"
            "2. INT-02, Carver Elementary (0316): Explain Carver's enrollment change\n"
            "3. INT-06, district: Publish the lottery results")
    assert AuditEvent.objects.get(action="returned").note == note
    returned_mail = [m for m in mail.outbox if "returned" in m.subject.lower()]
    assert returned_mail and "2. INT-02, Carver Elementary (0316): Explain Carver's enrollment change" in \
        returned_mail[0].body
    client.force_login(certifier)
    html = " ".join(client.get(reverse("submission_detail", args=[held.pk])).content.decode().split())
    assert ("<li><strong>INT-02, Carver Elementary (0316):</strong> Explain Carver&#x27;s enrollment change</li>"
            in html)
    upload = reverse("submission_upload", args=[held.district_id])
    assert f'<p><a href="{upload}">Upload a corrected workbook</a> for {held.district.name}.</p>' in html


def test_the_next_version_shows_the_actions_and_whether_each_finding_is_still_found(client, held, reviewer,
                                                                                    certifier, submitter):
    services.review.submission_return_with_actions(submission=held, user=reviewer, actions=[
        {"description": "Rebalance North Hills", "finding": _finding(held, "INT-01", "0311"),
         "finding_label": "INT-01, North Hills Elementary (0311)"},
        {"description": "Explain Carver", "finding": _finding(held, "INT-02", "0316"),
         "finding_label": "INT-02, Carver Elementary (0316)"},
        {"description": "Add the Budget rows"}])
    second = SubmissionFactory(district=held.district, cycle=held.cycle, status=S.EVALUATED, uploaded_by=submitter)
    Submission.objects.filter(pk=held.pk).update(status=S.SUPERSEDED)
    FindingFactory(evaluation=EvaluationFactory(submission=second), rule="INT-01", school_id="0311")
    client.force_login(certifier)
    html = " ".join(client.get(reverse("submission_detail", args=[second.pk])).content.decode().split())
    assert "The state's required actions on version 1:" in html
    assert ("<li><strong>INT-01, North Hills Elementary (0311):</strong> Rebalance North Hills "
            "<span class=\"muted\">(still found in this version)</span></li>") in html
    assert ("<li><strong>INT-02, Carver Elementary (0316):</strong> Explain Carver "
            "<span class=\"muted\">(no longer found in this version)</span></li>") in html
    assert "<li>Add the Budget rows</li>" in html


def test_only_the_holder_or_a_supervisor_returns(client, held, reviewer2, supervisor):
    client.force_login(reviewer2)
    assert client.post(reverse("submission_return", args=[held.pk]), {"actions": "x"}).status_code == 403
    with pytest.raises(ValidationError, match="at least one required action"):
        services.review.submission_return_with_actions(submission=held, user=supervisor, actions=[{"description": " "}])
    other = SubmissionFactory(cycle=held.cycle, status=S.IN_REVIEW, reviewer=supervisor)
    with pytest.raises(ValidationError, match="another submission"):
        services.review.submission_return_with_actions(submission=other, user=supervisor, actions=[
            {"description": "x", "finding": _finding(held, "INT-01", "0311")}])


def test_a_plan_line_may_name_its_finding_too(client, held, reviewer):
    for f in Finding.objects.filter(evaluation__submission=held).exclude(severity="info"):
        finding_review(finding=f, user=reviewer, status=ReviewStatus.CONFIRMED)
    client.force_login(reviewer)
    with mock.patch("compliance.tasks.render_report.delay"):
        client.post(reverse("submission_decide", args=[held.pk]), {
            "outcome": "compliant_with_findings", "note": "Minor.",
            "plan": "2099-03-01 INT-02 0316: Rebalance Carver\n2099-04-01 Train the registrars"})
    assert Submission.objects.get(pk=held.pk).status == S.DECIDED
    actions = list(held.corrective_actions.order_by("pk").values_list("description", "finding__rule",
                                                                      "finding__school_id"))
    assert actions == [("Rebalance Carver", "INT-02", "0316"), ("Train the registrars", None, None)]
