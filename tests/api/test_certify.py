"""POST /api/v1/submissions/{id}/certify answers clean JSON 4xx, never 500: twice, in a race, too early,
and for an account whose name is longer than the certification record holds."""
from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from compliance import services
from compliance.models import AuditEvent, Certification, NotificationLog, Submission
from districts.models import Role
from tests.api.conftest import Api, get_token
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
