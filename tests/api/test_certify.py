"""POST /api/v1/submissions/{id}/certify answers clean JSON 4xx, never 500: twice, in a race, too early,
and for an account whose name is longer than the certification record holds."""
from __future__ import annotations

import subprocess
from datetime import datetime
from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse
from django.utils import timezone

from compliance import services
from compliance.models import DEFAULT_ATTESTATION, AuditEvent, Certification, NotificationLog, Submission
from districts.models import Role
from tests.api.conftest import Api, district_a_workbook, get_token, upload
from tests.conftest import make_user
from tests.factories import EvaluationFactory, FindingFactory, SubmissionFactory, user_factory

pytestmark = pytest.mark.django_db

def not_certifiable(version: int, status: str) -> dict:
    """Where the submission stands, not what was sent: 409, saying which version and where it is."""
    return {"detail": f"Version {version} cannot be certified: its status is \u201c{status}\u201d; only an evaluated "
                      "version without blocking problems can be certified.", "code": "state_conflict"}


@pytest.fixture
def evaluated(district_a, cycle, submitter_a):
    sub = SubmissionFactory(district=district_a, cycle=cycle, uploaded_by=submitter_a, status="evaluated")
    FindingFactory(evaluation=EvaluationFactory(submission=sub))
    return sub


def _certify(client, user, sub):
    return Api(client, get_token(client, user.username)).post(f"/api/v1/submissions/{sub.pk}/certify")


def test_certifying_twice_is_refused_the_second_time(client, evaluated, certifier_a):
    first = _certify(client, certifier_a, evaluated)
    assert first.status_code == 200 and first.json()["status"] == "certified"
    again = _certify(client, certifier_a, evaluated)
    assert (again.status_code, again.json()) == (409, not_certifiable(evaluated.version, "Certified and submitted"))
    assert Certification.objects.filter(submission=evaluated).count() == 1
    assert AuditEvent.objects.filter(submission=evaluated, action="certified").count() == 1


def test_the_loser_of_a_race_gets_409(client, evaluated, district_a, certifier_a):
    # Both requests read the submission while it was evaluated; the other certifier's commits first.
    stale = Submission.objects.get(pk=evaluated.pk)
    other = make_user("certifier2", Role.DISTRICT_CERTIFIER, [district_a])
    services.submission_certify(submission=Submission.objects.get(pk=evaluated.pk), user=other)
    with mock.patch("api.endpoints.submissions.visible_submission", return_value=stale):
        lost = _certify(client, certifier_a, evaluated)
    assert (lost.status_code, lost.json()) == (409, {
        "detail": "Someone else changed this submission first; read it again.", "code": "conflict"})
    certification = Certification.objects.get(submission=evaluated)
    assert certification.certified_by == other and certification.full_name == "certifier2"


def test_a_submission_not_evaluated_is_refused(client, district_a, cycle, submitter_a, certifier_a):
    queued = SubmissionFactory(district=district_a, cycle=cycle, uploaded_by=submitter_a, status="queued")
    answer = _certify(client, certifier_a, queued)
    assert (answer.status_code, answer.json()) == (409, not_certifiable(queued.version, "Queued for checking"))
    # Evaluated by its status, but its only evaluation was rejected: nothing accepted to certify.
    odd = SubmissionFactory(district=district_a, cycle=cycle, uploaded_by=submitter_a, status="evaluated")
    EvaluationFactory(submission=odd, outcome="rejected")
    answer = _certify(client, certifier_a, odd)
    assert (answer.status_code, answer.json()) == (400, {
        "detail": "This version has no completed evaluation to certify; wait for its check to finish.",
        "code": "refused"})
    assert not Certification.objects.exists()
    assert set(Submission.objects.values_list("status", flat=True)) == {"queued", "evaluated"}


def test_a_name_longer_than_the_record_is_refused_not_a_server_error(client, evaluated, district_a):
    # first (150) + space + last (100) = 251 characters; Certification.full_name holds 200. On PostgreSQL
    # this was a DataError inside the transaction: a 500 that SQLite (which ignores lengths) never showed.
    long = user_factory(Role.DISTRICT_CERTIFIER, [district_a], username="long.name",
                        first_name="A" * 150, last_name="B" * 100)
    answer = _certify(client, long, evaluated)
    assert (answer.status_code, answer.json()) == (400, {
        "detail": "A name of at most 200 characters and a title of at most 200 can be certified; "
                  "certify on the submission's web page, typing them.", "code": "refused"})
    assert Submission.objects.get(pk=evaluated.pk).status == "evaluated"
    assert not Certification.objects.exists()


def test_a_name_of_exactly_200_characters_certifies_and_its_event_fits(client, evaluated, district_a):
    username = "u" * 100
    user = user_factory(Role.DISTRICT_CERTIFIER, [district_a], username=username,
                        first_name="A" * 99, last_name="B" * 100)
    answer = _certify(client, user, evaluated)
    assert answer.status_code == 200 and answer.json()["status"] == "certified"
    assert Certification.objects.get(submission=evaluated).full_name == "A" * 99 + " " + "B" * 100
    event = AuditEvent.objects.get(submission=evaluated, action="certified")
    # 200 + " (" + 100 + ")" = 303 characters, cut to the column's 300.
    assert event.actor_name == ("A" * 99 + " " + "B" * 100 + " (" + username)[:300]
    assert len(event.actor_name) == 300


def test_a_broker_that_is_down_does_not_turn_the_certification_into_an_error(
        client, evaluated, certifier_a, django_capture_on_commit_callbacks):
    # The certification is committed before the e-mail is queued; the sweep sends the e-mail later.
    token = get_token(client, certifier_a.username)
    with mock.patch("compliance.tasks.send_notification.delay", side_effect=ConnectionRefusedError) as send, \
            mock.patch("compliance.tasks.render_report.delay", side_effect=ConnectionRefusedError), \
            django_capture_on_commit_callbacks(execute=True) as callbacks:
        answer = Api(client, token).post(f"/api/v1/submissions/{evaluated.pk}/certify")
    assert len(callbacks) == 2  # the e-mail, and the rendering of the certified report
    assert answer.status_code == 200 and answer.json()["status"] == "certified"
    message = NotificationLog.objects.get(pk=send.call_args.kwargs["notification_id"])  # the outbox row is kept
    assert (message.kind, message.submission_id, message.sent_at) == ("certified", evaluated.pk, None)
    assert Certification.objects.filter(submission=evaluated).exists()


def test_a_typed_title_too_long_is_refused_by_the_service(evaluated, certifier_a):
    with pytest.raises(ValidationError) as refused:
        services.submission_certify(submission=evaluated, user=certifier_a, full_name="Pat Doe", title="T" * 201)
    assert refused.value.messages == ["A name of at most 200 characters and a title of at most 200 can be certified."]
    assert Submission.objects.get(pk=evaluated.pk).status == "evaluated"


# --- Signed in the body, or made through the API without a signature (issue: an attestation never seen) ----------

ATTESTED_THROUGH_API = "the API call carries the attestation stated in the API documentation"
CARL = "Carl Certifier (District certifier account)"


@pytest.fixture
def carl(district_a):
    return user_factory(Role.DISTRICT_CERTIFIER, [district_a], username="carl", first_name="Carl",
                        last_name="Certifier")


def _url(sub) -> str:
    return f"/api/v1/submissions/{sub.pk}/certify"


def _page(user, sub) -> str:
    """The submission's web page as ``user`` reads it, spaces squashed."""
    browser = Client()
    browser.force_login(user)
    return " ".join(browser.get(reverse("submission_detail", args=[sub.pk])).content.decode().split())


# Every way of calling without a signature that certified before the body existed still does, unsigned.
BODILESS = {  # (body, content type)
    "no body at all": (b"", ""),
    "an empty form (the test client's default)": (encode_multipart(BOUNDARY, {}), MULTIPART_CONTENT),
    "an empty JSON object": (b"{}", "application/json"),
    "JSON null": (b"null", "application/json"),
    "a form of other fields": (b"note=hello", "application/x-www-form-urlencoded"),
    "JSON naming none of the fields": (b'{"note": "hello"}', "application/json"),
    "text": (b"certify please", "text/plain"),
}


@pytest.mark.parametrize(("body", "content_type"), BODILESS.values(), ids=BODILESS.keys())
def test_a_call_without_a_signature_certifies_as_the_tokens_account_through_the_api(client, evaluated, carl, body,
                                                                                   content_type):
    token = get_token(client, carl.username)
    answer = client.generic("POST", _url(evaluated), body, content_type,
                            headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.content
    certification = Certification.objects.get(submission=evaluated)
    assert (certification.full_name, certification.title, certification.certified_by, certification.via,
            certification.signed, certification.attestation) == (
        "Carl Certifier", "District certifier", carl, "api", False, DEFAULT_ATTESTATION)
    shown = answer.json()
    assert shown["status"] == "certified"
    assert datetime.fromisoformat(shown["certification"].pop("certified_at")) == certification.certified_at
    assert shown["certification"] == {"signer_name": "Carl Certifier", "signer_title": "District certifier",
                                      "via": "api", "signed": False, "attestation": DEFAULT_ATTESTATION}


def test_the_unsigned_certification_says_so_on_the_page_in_the_trail_and_the_email(client, evaluated, carl):
    token = get_token(client, carl.username)
    with mock.patch("compliance.tasks.send_notification.delay"), mock.patch("compliance.tasks.render_report.delay"):
        assert Api(client, token).post(_url(evaluated)).status_code == 200
    event = AuditEvent.objects.get(submission=evaluated, action="certified")
    assert event.note == (f"Certified through the API by {CARL}. No name, title or attestation was typed; "
                          f"{ATTESTED_THROUGH_API}: {DEFAULT_ATTESTATION}")

    page = _page(carl, evaluated)
    assert (f"Certified through the API by <strong>{CARL}</strong> on " in page
            and f". No name, title or attestation was typed; {ATTESTED_THROUGH_API}.</p>" in page)
    # The statement is shown as what the API documentation states, never as a signed attestation.
    assert ("<p>The attestation stated in the API documentation, which the call carries:</p> "
            f"<blockquote>{DEFAULT_ATTESTATION}</blockquote>") in page.replace("&#x27;", "'")
    assert "Certified by <strong>" not in page and "Carl Certifier, District certifier" not in page

    notification = NotificationLog.objects.get(submission=evaluated, kind="certified")
    services.notification_deliver(notification_id=notification.pk)
    text = mail.outbox[-1].body
    assert f"Certified by: {CARL}, through the API\n" in text
    assert f"No name, title or attestation was typed; {ATTESTED_THROUGH_API}.\n" in text
    assert f"The attestation stated in the API documentation: {DEFAULT_ATTESTATION}\n" in text
    assert "\nAttestation: " not in text


def test_a_signature_in_the_body_is_recorded_and_shown_as_signed_through_the_api(client, evaluated, carl, cycle):
    cycle.attestation = "I attest, for the 2026-27 cycle, that these counts match our October 1 census."
    cycle.save()
    api = Api(client, get_token(client, carl.username))
    assert [c["attestation"] for c in api.get("/api/v1/cycles").json()["items"]] == [cycle.attestation]
    answer = api.post(_url(evaluated), {"signer_name": "  Pat   Lee ", "signer_title": "Superintendent",
                                        "attest": True}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    certification = Certification.objects.get(submission=evaluated)
    assert (certification.full_name, certification.title, certification.certified_by, certification.via,
            certification.signed, certification.attestation) == (
        "Pat Lee", "Superintendent", carl, "api", True, cycle.attestation)
    shown = answer.json()["certification"]
    assert (shown["signer_name"], shown["signer_title"], shown["via"], shown["signed"], shown["attestation"]) == (
        "Pat Lee", "Superintendent", "api", True, cycle.attestation)
    event = AuditEvent.objects.get(submission=evaluated, action="certified")
    assert event.note == f"Certified through the API by Pat Lee, Superintendent: {cycle.attestation}"
    page = _page(carl, evaluated)
    assert "Certified through the API by <strong>Pat Lee, Superintendent</strong> on" in page
    assert f"<blockquote>{cycle.attestation}</blockquote>" in page and "API documentation" not in page


def test_json_sent_as_a_form_still_signs(client, evaluated, carl):
    # curl -d '{...}' without -H 'Content-Type: application/json' sends it as a form: read as JSON, as ninja does.
    answer = Api(client, get_token(client, carl.username)).post(
        _url(evaluated), b'{"signer_name": "Pat Lee", "signer_title": "Superintendent", "attest": true}',
        content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200, answer.content
    assert Certification.objects.get(submission=evaluated).signed is True


def _web_refusal(user, sub, full_name: str, title: str, confirm: bool) -> list[str]:
    """What the web form says to the same values (its messages), the submission left as it was."""
    browser = Client()
    browser.force_login(user)
    form = {"full_name": full_name, "title": title, **({"confirm": "on"} if confirm else {})}
    response = browser.post(reverse("submission_certify", args=[sub.pk]), form)
    return [str(m) for m in get_messages(response.wsgi_request)]


# (signer_name, signer_title, attest) -> what the web form and the API both say.
REFUSED_AS_ON_THE_WEB = [
    ("", " ", True, ["Type your full name to certify.", "Type your title (for example, Superintendent) to certify."]),
    ("Pat Lee", "Superintendent", False, ["Tick the box to certify the data before submitting them."]),
    ("P" * 201, "Superintendent", True, ["Ensure this value has at most 200 characters (it has 201)."]),
]


@pytest.mark.parametrize(("name", "title", "attest", "messages"), REFUSED_AS_ON_THE_WEB)
def test_a_signature_is_refused_exactly_as_the_web_form_refuses_it(client, evaluated, carl, name, title, attest,
                                                                   messages):
    answer = Api(client, get_token(client, carl.username)).post(
        _url(evaluated), {"signer_name": name, "signer_title": title, "attest": attest},
        content_type="application/json")
    assert (answer.status_code, answer.json()) == (400, {"detail": " ".join(messages), "code": "refused"})
    assert _web_refusal(carl, evaluated, name, title, attest) == messages
    assert Submission.objects.get(pk=evaluated.pk).status == "evaluated" and not Certification.objects.exists()


NOT_THE_SCHEMA = {  # body -> (status, the answer's detail)
    b'{"signer_name": "Pat Lee", "signer_title": "Superintendent"}': (422, "attest: Field required"),
    b'{"attest": true}': (422, "signer_name: Field required; signer_title: Field required"),
    b'{"signer_name": "Pat Lee", "signer_title": "Superintendent", "attest": "yes"}': (
        422, "attest: Input should be a valid boolean"),
    b'{"signer_name": 7, "signer_title": "Superintendent", "attest": true}': (
        422, "signer_name: Input should be a valid string"),
    b'{"signer_name": "Pat Lee",': (400, "Cannot parse request body"),
}


@pytest.mark.parametrize(("body", "expected"), NOT_THE_SCHEMA.items())
def test_a_body_not_of_the_schema_is_refused_before_anything_is_certified(client, evaluated, carl, body, expected):
    answer = Api(client, get_token(client, carl.username)).post(_url(evaluated), body,
                                                               content_type="application/json")
    status, detail = expected
    assert (answer.status_code, answer.json()) == (status, {"detail": detail, "code": "invalid_request"})
    assert not Certification.objects.exists()


def test_a_signature_sent_as_form_fields_is_refused_not_ignored(client, evaluated, carl):
    answer = Api(client, get_token(client, carl.username)).post(
        _url(evaluated), {"signer_name": "Pat Lee", "signer_title": "Superintendent", "attest": "true"})
    assert (answer.status_code, answer.json()) == (422, {
        "detail": "Send signer_name, signer_title and attest as a JSON body (Content-Type: application/json).",
        "code": "invalid_request"})
    assert not Certification.objects.exists()


def test_who_may_certify_and_where_it_stands_come_before_what_was_typed(client, evaluated, submitter_a, carl):
    unticked = {"signer_name": "Pat Lee", "signer_title": "Superintendent", "attest": False}
    refused = Api(client, get_token(client, submitter_a.username)).post(_url(evaluated), unticked,
                                                                       content_type="application/json")
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    api = Api(client, get_token(client, carl.username))
    assert api.post(_url(evaluated)).status_code == 200
    again = api.post(_url(evaluated), unticked, content_type="application/json")
    assert (again.status_code, again.json()) == (409, not_certifiable(evaluated.version, "Certified and submitted"))


def test_the_web_form_records_a_signed_web_certification(evaluated, certifier_a):
    browser = Client()
    browser.force_login(certifier_a)
    browser.post(reverse("submission_certify", args=[evaluated.pk]),
                 {"confirm": "on", "full_name": "Pat Lee", "title": "Superintendent"})
    certification = Certification.objects.get(submission=evaluated)
    assert (certification.via, certification.signed) == ("web", True)
    assert "Certified by <strong>Pat Lee, Superintendent</strong> on" in _page(certifier_a, evaluated)


def test_a_certification_recorded_before_the_channel_was_kept_reads_as_it_did(evaluated, certifier_a):
    services.submission_certify(submission=evaluated, user=certifier_a, full_name="Pat Lee", title="Superintendent")
    Certification.objects.filter(submission=evaluated).update(via="", signed=None)  # as migration 0018 leaves one
    page = _page(certifier_a, evaluated)
    assert "Certified by <strong>Pat Lee, Superintendent</strong> on" in page
    assert f"<blockquote>{DEFAULT_ATTESTATION}</blockquote>" in page.replace("&#x27;", "'")


def _pdf_text(report) -> str:
    with report.file.open("rb") as fh:
        pdf = fh.read()
    return " ".join(subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                                   check=True).stdout.decode().split())


@pytest.mark.slow
def test_the_certified_pdf_says_the_api_call_carries_the_attestation(api_for, carl, district_a, cycle, worker,
                                                                      tmp_path):
    api = api_for(carl)
    created = upload(api, district_a.pk, district_a_workbook(tmp_path, broken=False)).json()
    evaluation = worker(created["id"], report=True)
    assert api.post(f"/api/v1/submissions/{created['id']}/certify").status_code == 200
    report = services.report_generate(evaluation=evaluation, kind="evaluation")  # the certified rendering
    text = _pdf_text(report)
    certified_at = timezone.localtime(Certification.objects.get(submission_id=created["id"]).certified_at)
    assert f"Certified by {CARL}, through the API, {certified_at:%B %-d, %Y, %H:%M %Z}" in text
    assert f"Attestation No name, title or attestation was typed; {ATTESTED_THROUGH_API}." in text
    assert "DRAFT" not in text
