"""Property-based test: schemathesis against /api/openapi.json on the loopback server, with a district
user's token, finds no 500 and no response outside the schema."""
from __future__ import annotations

from unittest import mock

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from compliance.models import Submission
from tests.api.conftest import get_token
from tests.factories import EvaluationFactory, FindingFactory, ProblemFactory, SubmissionFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


@pytest.fixture
def api_schema(live_server, client, district_a, cycle, submitter_a, certifier_a):
    # Something for the generated ids to find: an evaluated and a rejected submission of district A.
    evaluated = SubmissionFactory(district=district_a, cycle=cycle, uploaded_by=submitter_a)
    FindingFactory(evaluation=EvaluationFactory(submission=evaluated))
    rejected = SubmissionFactory(district=district_a, cycle=cycle, uploaded_by=submitter_a, status="superseded")
    ProblemFactory(evaluation=EvaluationFactory(submission=rejected, outcome="rejected"))
    token = get_token(client, submitter_a.username)
    with mock.patch("compliance.tasks.evaluate_submission.delay"), mock.patch("compliance.tasks.render_report.delay"):
        schema = schemathesis.openapi.from_url(f"{live_server.url}/api/openapi.json")
        schema.config.headers = {"Authorization": f"Bearer {token}"}  # read back by the test
        yield schema
    assert Submission.objects.exists()



def test_api_conforms_to_its_schema(api_schema):
    # Each operation on its own hypothesis run (schemathesis' pytest plugin predates pytest 9).
    operations = [result.ok() for result in api_schema.get_all_operations()]
    # Revoking tokens last: it finds (and revokes) the token in use, and every later call would be 401.
    operations.sort(key=lambda op: op.method.upper() == "DELETE")
    assert len(operations) >= 14
    seen: set[tuple[str, int]] = set()
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            # The token replaces whatever Authorization schemathesis generated from the security scheme.
            case.headers = {**(case.headers or {}), **api_schema.config.headers}
            response = case.call_and_validate(checks=CHECKS)
            seen.add((f"{case.method} {case.operation.path}", response.status_code))

        check()
    # The token worked: the district's own data came back, not only refusals.
    assert ("GET /api/v1/districts", 200) in seen
    assert ("GET /api/v1/submissions/{submission_id}", 404) in seen


def test_certify_conforms_for_the_districts_certifier(api_schema, client, certifier_a):
    # The submitter's token only ever meets certify's 403; the certifier's reaches the service itself.
    headers = {"Authorization": f"Bearer {get_token(client, certifier_a.username)}"}
    (operation,) = [op for op in (r.ok() for r in api_schema.get_all_operations())
                    if op.method.upper() == "POST" and op.path.endswith("/certify")]
    seen: set[int] = set()

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        case.headers = {**(case.headers or {}), **headers}
        seen.add(case.call_and_validate(checks=CHECKS).status_code)

    check()
    assert 404 in seen  # ids of no visible submission
    assert seen <= {200, 400, 404, 409, 422}
