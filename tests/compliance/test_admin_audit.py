"""The administrators' audit search: each filter narrows as stated, pages cost the same queries at any size."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.models import AuditEvent
from compliance.states import SubmissionStatus as S
from tests.factories import SubmissionFactory

URL = "/admin/compliance/auditevent/"


def at(day: int, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime(2026, 10, day, hour, 0))


@pytest.fixture
def trail(district_a, district_b, cycle, submitter, user_b, reviewer, supervisor):
    """Six events over four days, two districts, three people and the system."""
    a = SubmissionFactory(district=district_a, cycle=cycle, uploaded_by=submitter, status=S.IN_REVIEW)
    b = SubmissionFactory(district=district_b, cycle=cycle, uploaded_by=user_b, status=S.CERTIFIED)
    make = AuditEvent.objects.create
    return {
        "a_upload": make(submission=a, actor=submitter, action="uploaded", to_status=S.RECEIVED, created_at=at(1)),
        "a_claim": make(submission=a, actor=reviewer, action="claimed", from_status=S.CERTIFIED,
                        to_status=S.IN_REVIEW, created_at=at(3, 9)),
        "a_pdf": make(submission=a, actor=submitter, action="downloaded", created_at=at(3, 23),
                      subject="Findings report (PDF): 2611-2026-27-v1-evaluation.pdf"),
        "b_upload": make(submission=b, actor=user_b, action="uploaded", to_status=S.RECEIVED, created_at=at(2)),
        "b_checked": make(submission=b, action="evaluation_finished", from_status=S.VALIDATING,
                          to_status=S.EVALUATED, created_at=at(2, 13)),
        "rules": make(actor=supervisor, action="rule_set_edited", subject="State default v2", created_at=at(4),
                      changes=[{"field": "INT-01.band", "before": 0.15, "after": 0.2}], note="Board vote of May 2"),
    }


def listed(response) -> list[int]:
    return [row["event"].pk for row in response.context["rows"]]


@pytest.mark.django_db
def test_each_filter_narrows_the_search(admin_client, trail, district_b):
    t = trail
    newest_first = ["rules", "a_pdf", "a_claim", "b_checked", "b_upload", "a_upload"]
    assert listed(admin_client.get(URL)) == [t[k].pk for k in newest_first]
    cases = {
        "actor=reviewer": ["a_claim"],
        "actor=SUBMITTER": ["a_pdf", "a_upload"],  # part of the kept name, any case
        "action=uploaded": ["b_upload", "a_upload"],
        f"district={district_b.pk}": ["b_checked", "b_upload"],
        f"submission={t['a_upload'].submission_id}": ["a_pdf", "a_claim", "a_upload"],
        "start=2026-10-02&end=2026-10-03": ["a_pdf", "a_claim", "b_checked", "b_upload"],  # end day included
        "start=2026-10-04": ["rules"],
        "text=board vote": ["rules"],
        "text=evaluation.pdf": ["a_pdf"],
        "actor=submitter&action=downloaded&end=2026-10-03": ["a_pdf"],
    }
    for query, keys in cases.items():
        response = admin_client.get(f"{URL}?{query}")
        assert listed(response) == [t[k].pk for k in keys], query
        assert response.context["page"].paginator.count == len(keys)


@pytest.mark.django_db
def test_the_list_reads_as_a_person_would_and_the_event_page_shows_before_and_after(admin_client, trail):
    page = admin_client.get(URL).content.decode()
    assert "6 events" in page
    assert "Riverside County Schools 2026-27 v1" in page and "System" in page
    assert "Edited a rule set" in page and "(1 change)" in page
    assert "Certified and submitted \u2192 In state review" in page  # the status words of the state machine
    detail = admin_client.get(f"{URL}{trail['rules'].pk}/change/").content.decode()
    # The before/after in the form's units: 0.15 of a share is 15 percentage points.
    assert "INT-01 Racially identifiable schools" in detail
    assert "15 percentage points" in detail and "20 percentage points" in detail
    assert "Board vote of May 2" in detail


@pytest.mark.django_db
def test_a_backwards_date_range_is_an_error_not_an_empty_list(admin_client, trail):
    response = admin_client.get(f"{URL}?start=2026-10-04&end=2026-10-01")
    assert response.context["form"].errors == {"end": ["The end date is before the start date."]}
    assert response.context["page"].paginator.count == 6  # unfiltered until corrected


@pytest.mark.django_db
def test_the_extract_is_the_search_safe_for_spreadsheets_and_is_itself_recorded(admin_client, trail, submitter):
    AuditEvent.objects.create(actor=submitter, action="commented", note="=HYPERLINK(\"http://evil\")",
                              created_at=at(5))
    response = admin_client.get(f"{URL}extract.csv?actor=submitter")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["action"] for r in rows] == ["commented", "downloaded", "uploaded"]
    assert rows[0]["note"] == "'=HYPERLINK(\"http://evil\")"
    assert rows[1]["what"] == "Findings report (PDF): 2611-2026-27-v1-evaluation.pdf"
    recorded = AuditEvent.objects.filter(action="downloaded").latest("pk")
    assert recorded.subject.startswith("Audit trail extract of 3 events (CSV), search actor=submitter")
    assert recorded.actor.is_superuser


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?action=uploaded", "?actor=user&start=2026-01-01"])
def test_the_search_runs_the_same_number_of_queries_for_10_and_1000_events(admin_client, district_a, district_b,
                                                                          cycle, submitter, query):
    subs = [SubmissionFactory(district=d, cycle=cycle, uploaded_by=submitter) for d in (district_a, district_b)]

    def add(n: int) -> None:
        now = timezone.now()
        AuditEvent.objects.bulk_create(
            AuditEvent(submission=subs[i % 2], district_id=subs[i % 2].district_id, actor=submitter,
                       actor_name="Some User (user)", action="uploaded" if i % 3 else "downloaded",
                       subject=f"File {i}", created_at=now - timedelta(minutes=i)) for i in range(n))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(URL + query)
        assert response.status_code == 200
        return len(captured)

    add(10)
    few = queries()
    add(990)
    assert AuditEvent.objects.count() == 1000
    assert queries() == few
    # Session, user and authenticator (3), the actions and districts of the form (2), count and page (2),
    # saving the session (3).
    assert few <= 10
